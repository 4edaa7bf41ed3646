"""Resources are bounded by the data: every bomb of the corpus, run as ``fininvest ingest`` in a
child process under a memory cap, is refused (exit 3, naming the file, the limit and how to
raise it) or read, with peak RSS under 1 GB. The wall time is printed, not asserted (CI
machines are shared); the child is killed after five minutes, which fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fininvest.workspace import Workspace

from . import corpus
from .bounded import PEAK_RSS_MB, run_bounded

MiB = 1 << 20

#: name → (builder, the limit named in the refusal)
REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "gzip_1GiB_of_NUL": (corpus.nul_bomb_csv_gz, "max_compression_ratio"),
    "gzip_16Mi_malformed_lines": (corpus.malformed_lines_csv_gz, "max_compression_ratio"),
    "goaml_gzip_1GiB_whitespace": (corpus.whitespace_bomb_xml_gz, "max_compression_ratio"),
    "goaml_100MB_text_node": (corpus.long_text_xml, "max_field_bytes"),
    "goaml_100MB_attribute": (corpus.long_attribute_xml, "max_field_bytes"),
    "goaml_64MB_whitespace_run": (
        lambda d: corpus.whitespace_xml(d, 64 * MiB),
        "max_field_bytes",
    ),
    "csv_100k_columns": (lambda d: corpus.wide_csv(d, 100_000), "max_columns"),
    "csv_3000_extra_columns": (lambda d: corpus.wide_csv(d, 3000), "max_columns"),
    "csv_20MB_field": (lambda d: corpus.long_field_csv(d, 20 * MiB), "max_field_bytes"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bomb_is_refused_within_bounds(ws: Workspace, tmp_path: Path, name: str) -> None:
    build, limit = REFUSED[name]
    path = build(tmp_path)
    run = run_bounded("ingest", ws.root, path, "--format", "json", "-q")
    print(f"{name}: {path.stat().st_size:,} bytes, exit {run.code}, "
          f"peak RSS {run.peak_rss_mb:.0f} MB, {run.seconds:.1f} s")  # fmt: skip
    assert run.code == 3, run.stderr[-2000:]
    [summary] = json.loads(run.stdout)
    assert summary["file"] == path.name
    assert limit in summary["error"] and "refused" in summary["error"]
    assert f"[limits] {limit} =" in summary["hint"]
    assert run.peak_rss_mb < PEAK_RSS_MB
    assert not any(ws.table_parts(t) for t in ws.tables()), "nothing stored from a refused file"
    assert not [p for p in ws.path("tables").rglob("*") if p.is_file()], "no file left behind"


def test_column_count_is_that_of_the_whole_header(ws: Workspace, tmp_path: Path) -> None:
    """The header is read in full (it used to be cut at 64 KiB: about 10,940 columns)."""
    run = run_bounded(
        "ingest", ws.root, corpus.wide_csv(tmp_path, 100_000), "--format", "json", "-q"
    )
    assert "its header has 100,008 columns" in json.loads(run.stdout)[0]["error"]


#: name → (builder, extra fininvest.toml text, records read)
READ: dict[str, tuple[Callable[[Path], Path], str, int]] = {
    "csv_1500_extra_columns": (lambda d: corpus.wide_csv(d, 1500), "", 1),
    "csv_10MB_field": (lambda d: corpus.long_field_csv(d, 10 * MiB), "", 2),
    # 2 MB of lines that are one quote each: 524,288 records, every one rejected and kept
    "csv_1Mi_broken_lines": (lambda d: corpus.broken_lines_csv(d, 1 << 20), "", 1 << 19),
    # 2 reports, 2 transactions, 1 party
    "goaml_8MB_whitespace_between_reports": (
        lambda d: corpus.whitespace_xml(d, 8 * MiB),
        "",
        5,
    ),
    # text and attributes are read in linear time (100 MB took 103 s and 146 s before)
    "goaml_32MB_text_node_with_raised_limit": (
        lambda d: corpus.long_text_xml(d, 32 * MiB),
        f"\n[limits]\nmax_field_bytes = {64 * MiB}\n",
        1,
    ),
    "goaml_32MB_attribute_with_raised_limit": (
        lambda d: corpus.long_attribute_xml(d, 32 * MiB),
        f"\n[limits]\nmax_field_bytes = {64 * MiB}\n",
        1,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(READ))
def test_large_but_legal_input_is_read_within_bounds(
    ws: Workspace, tmp_path: Path, name: str
) -> None:
    build, config, records = READ[name]
    if config:
        with open(ws.root / "fininvest.toml", "a") as fh:
            fh.write(config)
    path = build(tmp_path)
    run = run_bounded("ingest", ws.root, path, "--format", "json", "-q")
    print(f"{name}: exit {run.code}, peak RSS {run.peak_rss_mb:.0f} MB, {run.seconds:.1f} s")
    assert run.code == 0, run.stderr[-2000:]
    summaries = json.loads(run.stdout)
    for s in summaries:
        assert s["error"] is None and s["read"] == s["accepted"] + s["rejected"]
    assert max(s["read"] for s in summaries) == records
    assert run.peak_rss_mb < PEAK_RSS_MB
