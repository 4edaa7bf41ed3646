"""``fininvest bench``: measured speed and memory against a reference implementation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from fininvest.cli.output import FORMAT_OPTION, emit, stages
from fininvest.screening.engines.options import engine_options


@click.group()
def bench() -> None:
    """Benchmarks that print throughput, wall time, peak memory and a same-run ratio.

    Numbers depend on the machine and on its other load; compare ratios from the same run.
    Results are recorded in docs/performance.md.
    """


@bench.command("ingest")
@click.option(
    "--rows",
    type=int,
    default=1_000_000,
    show_default=True,
    help="Number of bank transactions to generate and ingest.",
)
@click.option(
    "--reference/--no-reference",
    default=True,
    show_default=True,
    help="Also time the equivalent pandas ingest (needs pandas + pyarrow).",
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the temporary CSV goes (default: the system temp folder).",
)
@FORMAT_OPTION
def bench_ingest_cmd(rows: int, reference: bool, workdir: Path | None, fmt: str) -> None:
    """Canonical bank CSV → validated, normalised Parquet, against a pandas reference.

    Each implementation runs in a fresh process; wall time excludes interpreter start-up
    and data generation; peak memory is the process's maximum RSS. Each fininvest process
    first ingests a 2,000-row file, which loads its numba kernels from the cache (the warm
    start) or, with an empty cache, compiles them; fininvest runs once with an empty cache and
    once with the cache it filled, and the start and the compile time are reported apart from
    the timed run. fininvest's CPU time (user and system, every thread) and minor page faults
    are reported beside its wall time.
    """
    from fininvest.bench.ingest import bench_ingest
    from fininvest.errors import require

    if reference:
        require("pandas", "the pandas reference of bench ingest (--no-reference runs without)",
                'pip install "fininvest[dev]"')  # fmt: skip
    with stages(4) as say:
        res = bench_ingest(rows, reference=reference, workdir=workdir, progress=say)

    def render(c: Console) -> None:
        c.print(
            f"ingest {res['rows']:,} rows ({res['csv_mb']} MB CSV): {res['seconds']} s, "
            f"{res['rows_per_s']:,} rows/s, peak RSS {res['peak_rss_mb']} MB, "
            f"{res['rejected']:,} rejected; start with a warm cache {res['start_seconds']} s, "
            f"compile {res['compile_seconds']} s"
        )
        c.print(_cpu_line(res))
        if "ratio" in res:
            c.print(
                f"pandas reference: {res['reference_seconds']} s, peak RSS "
                f"{res['reference_peak_rss_mb']} MB → ratio {res['ratio']}× "
                f"({'results agree' if res['agree'] else 'RESULTS DIFFER'})"
            )
        c.print(_host_line(res))

    emit(fmt, res, render)


def _host_line(res: dict[str, Any]) -> str:
    h = res["host"]
    caches = ", ".join(f"{k.upper()} {h[k]}" for k in ("l2", "l3") if k in h)
    return (
        f"host: {h['cpu']} ({h.get('cpu_family_model', '?')}), {h['cores']} cores, {caches}; "
        f"calibration {h['gather_seconds']} s = {h['vs_baseline']}× the baseline machine's"
    )


def _cpu_line(res: dict[str, Any]) -> str:
    return (
        f"CPU {res['cpu_user_seconds']} s user + {res['cpu_system_seconds']} s system "
        f"(both cores), {res['minor_page_faults']:,} pages touched for the first time"
    )


@bench.command("screen")
@click.option(
    "--rows",
    type=int,
    default=1_000_000,
    show_default=True,
    help="Number of bank transactions to generate and screen.",
)
@click.option(
    "--reference-rows",
    type=int,
    help="Run the (slow) pandas reference on this many rows instead (ratio taken there). "
    "Default: --rows, at most 400,000 (the reference takes about 40 s there and grows "
    "faster than the rows).",
)
@click.option(
    "--files",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Write the transactions as this many part files of the same period, as that many "
    "exports would be: each file in time order, the table not, so the screen sorts the row "
    "times first (one file: already in time order, no sort of the times).",
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the temporary workspace goes (default: the system temp folder).",
)
@engine_options
@FORMAT_OPTION
def bench_screen_cmd(
    rows: int,
    reference_rows: int | None,
    files: int,
    workdir: Path | None,
    fmt: str,
    **engine: Any,
) -> None:
    """Parquet in → alerts out: the numba engine against a pandas reference.

    The reference covers five bank-transfer indicators (structuring, fan-in, fan-out, rapid
    pass-through, cash deposits by third parties in several cities); both must fire on the
    same accounts. Each fininvest process first screens a 1,000-row case, which loads every
    kernel from the numba cache (the warm start) or, with an empty cache, compiles it; the
    start and the compile time are reported apart from the timed run, and the timed run's CPU
    time (user and system, every thread), minor page faults and time per phase (with the
    slowest indicators) beside it. The last line
    describes the host and times a fixed piece of work on it against the machine the goals
    were set on: figures from different hosts compare only through it.

    With --engine spark or dask it times that engine instead (its start and warm-up apart)
    against the local screen in the same run, checks both wrote the same alerts and
    explanations (the SHA-256 of each, printed) and reports the peak memory of the driver
    and of the engine's processes (Dask workers; Spark's JVM and Python workers), e.g.
    fininvest bench screen --engine dask --rows 1000000 --files 20.
    """
    if engine["engine"] != "local":
        _bench_engine(rows, files, workdir, fmt, engine)
        return
    from fininvest.bench.screen import bench_screen
    from fininvest.errors import require

    require("pandas", "the pandas reference of bench screen", 'pip install "fininvest[dev]"')
    with stages(4) as say:
        res = bench_screen(
            rows, reference_rows=reference_rows, files=files, progress=say, workdir=workdir
        )

    def render(c: Console) -> None:
        c.print(
            f"screen {res['rows']:,} transactions in {res['files']} file(s): "
            f"{res['seconds']} s warm, "
            f"{res['rows_per_s']:,} rows/s, peak RSS {res['peak_rss_mb']} MB (input "
            f"{res['input_mb']} MB), {res['alerts']:,} alerts; start with a warm cache "
            f"{res['start_seconds']} s, compile {res['compile_seconds']} s"
        )
        c.print(_cpu_line(res))
        c.print(
            "timed screen by phase: "
            + ", ".join(f"{p} {t} s" for p, t in res["phase_seconds"].items())
            + "; slowest indicators (two run at a time): "
            + ", ".join(f"{i} {t} s" for i, t in res["slowest_indicators"].items())
        )
        c.print(
            f"pandas reference at {res['reference_rows']:,} rows: "
            f"{res['reference_seconds']} s vs {res['seconds_at_reference_rows']} s → ratio "
            f"{res['ratio']}× ({'same accounts fired' if res['agree'] else 'RESULTS DIFFER'})"
        )
        c.print(_host_line(res))

    emit(fmt, res, render)


def _bench_engine(
    rows: int, files: int, workdir: Path | None, fmt: str, engine: dict[str, Any]
) -> None:
    from fininvest.bench.scale_out import bench_engine

    with stages(3) as say:
        res = bench_engine(rows, files=files, progress=say, workdir=workdir, **engine)

    def render(c: Console) -> None:
        c.print(
            f"screen {res['rows']:,} transactions on {res['engine']} ({res['partitions']} "
            f"partitions): {res['seconds']} s, {res['rows_per_s']:,} rows/s; local in the same "
            f"run {res['local_seconds']} s ({res['local_rows_per_s']:,} rows/s) → ratio "
            f"{res['ratio']}× the local time"
        )
        c.print(
            "SHA-256 of the alerts and of the explanations "
            + (
                "identical to the local screen's"
                if res["same_results"]
                else "DIFFER from the local screen's: RESULTS DIFFER"
            )
            + f" (alerts {res['digests']['alerts'][:12]}…, explanations "
            f"{res['digests']['explanations'][:12]}…)"
        )
        c.print(
            f"{res['engine']} start {res['start_seconds']} s, warm-up on 1,000 rows "
            f"{res['warmup_seconds']} s (not in the timed run); timed run by stage: "
            + ", ".join(f"{p} {t} s" for p, t in res["phase_seconds"].items())
        )
        c.print(
            f"peak RSS: driver {res['peak_rss_mb']:,} MB; {res['worker_processes']} "
            f"{res['engine']} process(es) it started (workers; Spark's JVM and Python "
            f"workers), largest {res['worker_peak_rss_mb']:,} MB, sum of their peaks "
            f"{res['workers_peak_rss_sum_mb']:,} MB"
        )
        c.print(_host_line(res))

    emit(fmt, res, render)


@bench.command("graph")
@click.option(
    "--edges",
    type=int,
    default=1_000_000,
    show_default=True,
    help="Aggregated money flows (PAID relationships) to generate and load.",
)
@click.option(
    "--reference/--no-reference",
    default=True,
    show_default=True,
    help="Also load the same flows the plain way (falkordb client encoding, one batch at a "
    "time) into a second graph, for a same-run ratio.",
)
@FORMAT_OPTION
def bench_graph_cmd(edges: int, reference: bool, fmt: str) -> None:
    """Embedded graph store: load throughput, chain reconstruction and 6-hop trace latency.

    Generates a case graph (one person per account, Zipf-skewed payers, planted rings with
    graded intelligence), starts a private FalkorDB in a temporary workspace, loads it through
    the real `graph load` path and times chains (median of 3) and a 6-hop, 30-day trace from
    100 random paying accounts (median of 3).
    """
    from fininvest.bench.graph import bench_graph

    with stages(6) as say:
        res = bench_graph(edges, reference=reference, progress=say)

    def render(c: Console) -> None:
        c.print(
            f"load {res['edges']:,} PAID relationships: {res['load_seconds']} s, "
            f"{res['rels_per_s']:,} relationships/s (server peak RSS {res['server_peak_rss_mb']} "
            "MB)"
        )
        if "ratio" in res:
            c.print(
                f"plain client batches: {res['reference_seconds']} s, "
                f"{res['reference_rels_per_s']:,}/s → {res['ratio']}× faster; same counts: "
                f"{res['agree']}"
            )
        c.print(
            f"chains: {res['chains_seconds']} s ({res['chains_found']} of "
            f"{res['chains_planted']} planted); trace 6 hops from {res['trace_sources']} "
            f"accounts: {res['trace_seconds']} s ({res['trace_edges']:,} flows)"
        )

    emit(fmt, res, render)


@bench.command("app")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--focus", help="Entity to open (default: the account with most counterparties).")
@click.option("--max-elements", default=2_000, show_default=True, type=click.IntRange(50, 20_000))
@FORMAT_OPTION
def bench_app_cmd(
    case_dir: Path, runs: int, focus: str | None, max_elements: int, fmt: str
) -> None:
    """The graph explorer in headless Chromium: first render of a two-hop neighbourhood (up to
    --max-elements) and the latency of an expand, min/median/max over --runs.

    Needs a loaded graph (fininvest graph load) and Debian's chromium. Goals: first render
    1.5 s, expand 250 ms; figures depend on the machine and its load.

    \b
    Example:
      fininvest bench app demo-case --runs 5
    """
    from fininvest.bench.app import bench_app
    from fininvest.graph import embedded
    from fininvest.graph.store import open_store
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    started = embedded.running(ws) is None
    try:
        res = bench_app(ws, open_store(ws), focus=focus, runs=runs, max_elements=max_elements)
    finally:
        if started:
            embedded.stop(ws)

    def render(c: Console) -> None:
        c.print(
            f"{res['elements']} elements around {res['focus']} ({res['browser']}, {runs} runs): "
            f"first render {res['first_render']['median_ms']} ms median "
            f"({res['first_render']['min_ms']}–{res['first_render']['max_ms']}), expand "
            f"{res['expand']['median_ms']} ms median "
            f"({res['expand']['min_ms']}–{res['expand']['max_ms']})",
            highlight=False,
        )

    emit(fmt, res, render)
