"""``fininvest demo``: the main job end to end on the sample case."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from rich.console import Console

from fininvest.cli.ingest_cmd import render_summaries, run_ingest
from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.cli.screen_cmd import render_screen
from fininvest.cli.workspace_cmds import workspace_status
from fininvest.graph import embedded
from fininvest.graph.load import load_graph
from fininvest.graph.store import open_store
from fininvest.resources import source_root
from fininvest.sample import generate_case
from fininvest.screening.run import screen, summary
from fininvest.workspace import CONFIG_NAME, init_workspace, open_workspace


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path), default="demo-case")
@FORMAT_OPTION
def demo(case_dir: Path, fmt: str) -> None:
    """Run the main job end to end on the small sample case (default CASE_DIR: demo-case).

    \b
    Today: sample case → ingest (validate, normalise, quarantine) → screening (ranked,
    explained alerts) → graph load into the embedded store. Chains, evidence packs and the
    app join as they land.
    Safe to run again: ingest is idempotent.
    """
    ws = (
        open_workspace(case_dir)
        if (case_dir / CONFIG_NAME).exists()
        else init_workspace(case_dir, name="Demo: synthetic THB case")
    )
    committed = source_root() / "sample_data"
    if (committed / "raw").is_dir():
        for sub in ("raw", "truth"):
            for f in sorted((committed / sub).iterdir()):
                if not ws.path(sub, f.name).exists():
                    shutil.copy2(f, ws.path(sub, f.name))
        origin = "committed sample_data/"
    else:  # an installed wheel has no sample_data/: generate the identical case
        with stderr.status("generating the sample case"):
            generate_case(ws.path("raw"), ws.path("truth"), scale="small", seed=7, compress=True)
        origin = "generated (small, seed 7)"
    files = sorted(p for p in ws.path("raw").iterdir() if p.is_file())
    summaries = run_ingest(ws, files, None, None, quiet=fmt == "json")
    status = workspace_status(ws)
    with stderr.status("screening"):
        screened = summary(screen(ws), top=10)
    with stderr.status("loading the embedded graph store"):
        was_running = embedded.running(ws) is not None
        store = open_store(ws)
        load_graph(ws, store)
        graph = store.counts()
        if not was_running:  # leave no server behind; `fininvest graph start` brings it back
            embedded.stop(ws)
    ws.audit("demo", {"origin": origin})

    def render(c: Console) -> None:
        c.print(f"[bold]Demo case[/bold] in {ws.root} (sample: {origin})")
        render_summaries(summaries, c)
        c.print(
            "Workspace tables: "
            + ", ".join(f"{t} {i['rows']:,}" for t, i in status["tables"].items())
        )
        c.print(
            f"Quarantine: {status['quarantine']['records']} records, each with its reason "
            f"(see {ws.path('quarantine')})."
        )
        render_screen(screened, c)
        c.print(
            "Graph (embedded FalkorDB): "
            + ", ".join(
                f"{k} {v:,}" for k, v in {**graph["nodes"], **graph["relationships"]}.items()
            )
        )
        c.print(f"Next: fininvest screen {case_dir} --format json  (every alert explained)")

    emit(
        fmt,
        {
            "workspace": str(ws.root),
            "sample": origin,
            "ingest": [s.to_dict() for s in summaries],
            "status": status,
            "screen": screened,
            "graph": graph,
        },
        render,
    )
