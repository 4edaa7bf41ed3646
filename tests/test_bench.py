"""The benchmark commands run and their implementations agree (no timing is asserted)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from fininvest.bench import BASELINE_GATHER_SECONDS

from .conftest import invoke


def test_bench_screen_agrees_with_reference(runner: CliRunner) -> None:
    doc = json.loads(
        invoke(runner, "bench", "screen", "--rows", "30000", "--format", "json").stdout
    )
    assert doc["agree"] is True
    assert {
        "rows",
        "seconds",
        "rows_per_s",
        "reference_seconds",
        "ratio",
        "compile_seconds",
        "peak_rss_mb",
    } <= set(doc)
    assert sum(doc["fired_counts"].values()) > 0  # the comparison is not vacuous
    assert doc["start_seconds"] > 0  # the warm start ran, and is reported apart
    _cpu_fields_are_measured(doc)
    _host_is_described(doc)


def _cpu_fields_are_measured(doc: dict[str, float]) -> None:
    """The child's CPU time and page faults: measured (a screen or an ingest touches new
    memory and spends CPU), and consistent with each other."""
    assert doc["cpu_user_seconds"] > 0 and doc["cpu_system_seconds"] >= 0
    assert doc["minor_page_faults"] > 0


def test_bench_ingest_agrees_with_reference(runner: CliRunner) -> None:
    doc = json.loads(
        invoke(runner, "bench", "ingest", "--rows", "20000", "--format", "json").stdout
    )
    assert doc["agree"] is True and doc["rejected"] > 0
    assert {"rows", "seconds", "rows_per_s", "peak_rss_mb", "reference_seconds", "ratio"} <= set(
        doc
    )
    _cpu_fields_are_measured(doc)
    _host_is_described(doc)


def _host_is_described(doc: dict) -> None:  # type: ignore[type-arg]
    """The host the figures came from, and its calibration against the baseline machine."""
    h = doc["host"]
    assert h["cpu"] and h["cores"] >= 1
    assert h["gather_seconds"] > 0
    assert h["vs_baseline"] == round(h["gather_seconds"] / BASELINE_GATHER_SECONDS, 2)


def test_bench_graph_loads_and_finds_the_planted_chains(runner: CliRunner) -> None:
    out = invoke(runner, "bench", "graph", "--edges", "20000", "--format", "json")
    res = json.loads(out.stdout)
    assert res["edges"] == 20_000 and res["agree"] is True
    assert res["chains_found"] == res["chains_planted"]
    for key in ("rels_per_s", "reference_rels_per_s", "ratio", "chains_seconds",
                "trace_seconds", "server_peak_rss_mb"):  # fmt: skip
        assert res[key] > 0
