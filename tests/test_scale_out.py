"""Screening on distributed engines gives the local screen's alerts and explanations.

One test body per backend (splink style): ``local`` is the same plan run partition by
partition in this process, ``spark`` a ``local[2]`` session and ``dask`` a two-worker
LocalCluster on 127.0.0.1, each started once per session. Results are compared through the
SHA-256 of their sorted rows (:func:`results_digest`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

from fininvest.screening.engine import RULES
from fininvest.screening.engines import Engine, get_engine, screen_transactions, screen_workspace
from fininvest.screening.engines.plan import (
    EVENT_SCHEMA,
    HIT_SCHEMA,
    MONEY_SCHEMA,
    PER_ACCOUNT,
    WHOLE_CASE,
    WINDOWED,
    Layout,
    double_edges,
)
from fininvest.screening.engines.stages import results_digest
from fininvest.screening.run import ScreenResult, screen
from fininvest.workspace import Workspace

from .conftest import invoke

BACKENDS = ["local", "spark", "dask"]


@pytest.fixture(scope="session")
def engines() -> Iterator[dict[str, Engine]]:
    """Each engine started once, on first use, and stopped at the end of the session."""
    started: dict[str, Engine] = {}

    class Lazy(dict[str, Engine]):
        def __missing__(self, name: str) -> Engine:
            started[name] = self[name] = get_engine(name)
            return started[name]

    yield Lazy()
    for e in started.values():
        e.close()


def digests(res: ScreenResult) -> tuple[str, str]:
    return results_digest(res.alerts), results_digest(res.explanations)


def test_every_rule_has_one_place() -> None:
    from fininvest.screening import rules  # noqa: F401  (registers the rules)

    assert set(PER_ACCOUNT) | set(WHOLE_CASE) == set(RULES)
    assert not set(PER_ACCOUNT) & set(WHOLE_CASE)
    assert set(WINDOWED) <= set(PER_ACCOUNT)


def _money(rows: list[tuple[str | None, str | None, int]]) -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [None] * len(rows) for f in MONEY_SCHEMA}
    cols["row"] = list(range(len(rows)))
    cols["ref"] = [f"T{i}" for i in range(len(rows))]
    cols["payer"] = [r[0] for r in rows]
    cols["payee"] = [r[1] for r in rows]
    cols["ts"] = [r[2] for r in rows]
    return pa.table(cols, schema=MONEY_SCHEMA)


def test_edges_doubled_and_busy_accounts_bucketed_with_overlap() -> None:
    money = _money([("A", "B", 0), (None, "A", 5), ("B", None, 7), ("H", "A", 95), ("H", "B", 120)])
    plain = pl.from_arrow(double_edges(money, {}, 0))
    assert isinstance(plain, pl.DataFrame)
    sides = sorted(plain.select("owner", "outflow", "ref").iter_rows())
    assert sides == [
        ("A", False, "T1"), ("A", False, "T3"), ("A", True, "T0"), ("B", False, "T0"),
        ("B", False, "T4"), ("B", True, "T2"), ("H", True, "T3"), ("H", True, "T4"),
    ]  # fmt: skip
    # H busy: buckets of 100 s from t=0 overlapping by 10 s: t=95 is in buckets 0 and 1
    # its buckets go to partitions 3 and 2 (the layout's), the other accounts to 0 or 1
    parts = Layout(2, {"H": [3, 2]})
    busy = pl.from_arrow(double_edges(money, {"H": (0, 100)}, 10, parts).cast(EVENT_SCHEMA))
    assert isinstance(busy, pl.DataFrame)
    hub = busy.filter(pl.col("owner") == "H").sort("bucket", "ts")
    assert hub.select("bucket", "part", "ref").rows() == [(0, 3, "T3"), (1, 2, "T3"), (1, 2, "T4")]
    others = busy.filter(pl.col("owner") != "H")
    assert others["bucket"].to_list() == [-1] * 6
    assert set(others["part"]) <= {0, 1}
    assert others.group_by("owner").agg(pl.col("part").n_unique())["part"].to_list() == [1, 1]


def test_dask_reads_a_part_in_slices_of_bounded_rows(
    sample_ws: Workspace, engines: dict[str, Engine]
) -> None:
    """A read task holds at most ``rows_per_task`` rows of a part, and the rows with their
    places in the case are those the local engine reads."""
    from fininvest.screening.engines.dask import DaskEngine, read_slices
    from fininvest.screening.engines.local import LocalEngine

    slices = read_slices(sample_ws, 700)
    assert any(start > 0 for *_, start, _ in slices)  # some part is cut
    assert max(n for *_, n in slices) <= 700
    dask = DaskEngine(client=engines["dask"].client, rows_per_task=700)  # type: ignore[attr-defined]
    got = pl.from_arrow(dask.touching(dask.read_workspace(sample_ws), None))
    want = pl.from_arrow(LocalEngine().touching(LocalEngine().read_workspace(sample_ws), None))
    assert isinstance(got, pl.DataFrame) and isinstance(want, pl.DataFrame)
    assert got.sort("row").equals(want.sort("row"))


@pytest.fixture(scope="module")
def medium_local(medium_ws: Workspace) -> tuple[str, str]:
    return digests(screen(medium_ws))


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_medium_case_same_alerts_and_explanations_on_every_engine(
    backend: str, engines: dict[str, Engine], medium_ws: Workspace, medium_local: tuple[str, str]
) -> None:
    """~1M transactions and card payments: the same alerts and every explanation identical
    (the rules over the whole case on all transactions: ``scope="all"``)."""
    res = screen_workspace(medium_ws, engines[backend], scope="all", write=False)
    assert digests(res) == medium_local
    assert res.engine["engine"] == backend


@pytest.fixture(scope="module")
def sample_local(sample_ws: Workspace) -> tuple[ScreenResult, tuple[str, str]]:
    res = screen(sample_ws)
    return res, digests(res)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_busy_accounts_split_into_buckets_give_the_unsplit_result(
    backend: str, engines: dict[str, Engine], sample_ws: Workspace, sample_local: tuple
) -> None:
    local, expected = sample_local
    busiest = (
        pl.concat(
            [
                sample_ws.scan("transactions").select(pl.col("from_account").alias("a")),
                sample_ws.scan("transactions").select(pl.col("to_account").alias("a")),
            ]
        )
        .drop_nulls()
        .group_by("a")
        .len()
        .sort("len", descending=True)
        .collect()
    )
    cut = int(busiest["len"][5])  # the busiest accounts go to time buckets
    res = screen_workspace(
        sample_ws, engines[backend], max_group_events=cut, scope="all", write=False
    )
    # card payments only add events: at least the accounts above the cut in transfers
    assert res.engine["busy_accounts"] >= int((busiest["len"] > cut).sum()) >= 1
    assert digests(res) == expected
    assert res.status == local.status


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_partition_holds_what_the_layout_gives_it(
    backend: str, engines: dict[str, Engine], sample_ws: Workspace
) -> None:
    """The engine's shuffle keeps the layout: one layout partition per engine partition
    (a hash of the partition numbers would put two in one, and leave others empty)."""
    parts = Layout(5, {"busy": [5, 6, 7]})
    engine = engines[backend]
    events = engine.map_batches(
        engine.read_workspace(sample_ws),
        partial(double_edges, busy={}, window=0, parts=parts),
        EVENT_SCHEMA,
    )

    def seen(table: pa.Table) -> pa.Table:
        distinct = sorted(set(table["part"].to_pylist()))
        return pa.Table.from_pylist([{"entity_id": ",".join(map(str, distinct))}], HIT_SCHEMA)

    got = pl.from_arrow(engine.screen_partitions(events, seen, parts.partitions))
    assert isinstance(got, pl.DataFrame)
    # the five ordinary ones hold rows (Dask also screens the three empty ones)
    assert [p.count(",") for p in got["entity_id"] if p] == [0] * 5


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_one_and_sixteen_partitions_agree(
    backend: str, engines: dict[str, Engine], sample_ws: Workspace, sample_local: tuple
) -> None:
    _, expected = sample_local
    for n in (1, 16):
        res = screen_workspace(sample_ws, engines[backend], partitions=n, write=False)
        assert digests(res) == expected, n


@pytest.mark.slow
def test_flagged_scope_says_so_and_keeps_the_per_account_results(
    engines: dict[str, Engine], sample_ws: Workspace, sample_local: tuple
) -> None:
    local, _ = sample_local
    res = screen_workspace(sample_ws, engines["local"], scope="flagged", write=False)
    assert "on the subgraph" in res.status["short_cycle"]
    per_account = pl.col("indicator").is_in(list(PER_ACCOUNT))
    assert results_digest(res.explanations.filter(per_account)) == results_digest(
        local.explanations.filter(per_account)
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["spark", "dask"])
def test_library_entry_takes_the_engines_own_dataframe(
    backend: str, engines: dict[str, Engine], sample_ws: Workspace, tmp_path: Path
) -> None:
    """A Spark or Dask DataFrame read from a Parquet file of the ``transactions`` layout on
    (here, local) shared storage, no workspace: the same result as the in-process engine on
    the same rows."""
    rows = sample_ws.scan("transactions").collect()
    shared = tmp_path / "transactions.parquet"
    rows.write_parquet(shared)
    kyc = {t: sample_ws.scan(t).collect() for t in ("accounts", "parties")}
    if backend == "spark":
        frame = engines["spark"].spark.read.parquet(str(shared))  # type: ignore[attr-defined]
    else:
        import dask.dataframe as dd

        frame = dd.read_parquet(str(shared))
    res = screen_transactions(frame, engines[backend], kyc=kyc, config=sample_ws.config)
    ref = screen_transactions(rows, engines["local"], kyc=kyc, config=sample_ws.config)
    assert res.alerts.height > 0
    assert digests(res) == digests(ref)


@pytest.mark.slow
def test_screen_command_on_dask_writes_the_local_results(
    runner: CliRunner, sample_ws: Workspace, sample_local: tuple
) -> None:
    _, expected = sample_local
    out = invoke(
        runner, "screen", sample_ws.root, "--engine", "dask", "--scope", "all",
        "--partitions", "4", "--format", "json",
    )  # fmt: skip
    doc = json.loads(out.stdout)
    assert doc["engine"]["engine"] == "dask" and doc["engine"]["partitions"] == 4
    written = tuple(
        results_digest(pl.read_parquet(sample_ws.path("results", f"{n}.parquet")))
        for n in ("alerts", "explanations")
    )
    assert written == expected
    last = sample_ws.audit_entries()[-1]
    assert last["params"]["engine"] == "dask"


@pytest.mark.slow
def test_bench_screen_on_dask_reports_the_ratio_to_local(runner: CliRunner) -> None:
    out = invoke(runner, "bench", "screen", "--engine", "dask", "--rows", "5000",
                 "--format", "json")  # fmt: skip
    doc = json.loads(out.stdout)
    assert doc["same_results"] is True
    assert doc["seconds"] > 0 and doc["local_seconds"] > 0
    assert doc["ratio"] == round(doc["seconds"] / doc["local_seconds"], 2)
    assert doc["rows_per_s"] == round(5000 / doc["seconds"])
    assert doc["start_seconds"] > 0 and doc["alerts"] > 0
    assert doc["digests"] == doc["local_digests"]
    # the driver and the two workers of the LocalCluster (nannies too) were measured
    assert doc["worker_processes"] >= 2 and doc["worker_peak_rss_mb"] > 0
    assert doc["partitions"] == 8  # the fewest when not given
