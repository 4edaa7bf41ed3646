"""``fininvest quarantine`` (rejections by reason), ``fininvest forget`` (a file out of the
case) and re-ingest reporting what changed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from fininvest.ingest import ingest_files
from fininvest.workspace import Workspace

from .conftest import invoke

HEAD = "txn_id,timestamp,from_account,to_account,amount,currency,channel,city\n"
BROKEN = HEAD + (
    "H1,2025-03-01T10:00:00+01:00,,DE89370400440532013000,9.500,00,EUR,cash,Köln\n"  # 9 fields
    'H2,2025-03-02T10:00:00+01:00,,DE89370400440532013000,"9.500,00",EUR,cash,Bonn\n'
    'H3,2025-03-03T10:00:00+01:00,,DE89370400440532013000,"9.200,00",EUR,cash,Bonn\n'
    "H4,14/03/2025 21:45,,DE89370400440532013000,9200.00,EUR,cash,Bonn\n"
    "H5,2025-03-05T10:00:00+01:00,,DE89370400440532013000,9300.00,EUR,cash,Bonn\n"
)


def _case(ws: Workspace, tmp_path: Path) -> Path:
    f = tmp_path / "hansa.csv"
    f.write_text(BROKEN, encoding="utf-8")
    ingest_files(ws, [f])
    return f


def test_quarantine_groups_rejections_by_reason(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    _case(ws, tmp_path)
    stored = pl.read_parquet(ws.quarantine_parts())
    doc = json.loads(invoke(runner, "quarantine", ws.root, "--format", "json").stdout)
    assert doc["records"] == stored.height
    assert sum(g["count"] for g in doc["reasons"]) == stored.height
    amount = [g for g in doc["reasons"] if g["field"] == "amount"]
    assert len(amount) == 1 and amount[0]["count"] == 2  # one reason, two values
    assert {e["source_line"] for e in amount[0]["examples"]} == {3, 4}
    only = json.loads(
        invoke(runner, "quarantine", ws.root, "--field", "timestamp", "--format", "json").stdout
    )
    assert only["records"] == 1 and only["reasons"][0]["examples"][0]["record_id"] == "H4"
    rows = list(csv.DictReader(io.StringIO(invoke(runner, "quarantine", ws.root, "--format",
                                                  "csv").stdout)))  # fmt: skip
    assert len(rows) == stored.height and {"source_line", "field", "reason", "raw"} <= set(rows[0])
    table = invoke(runner, "quarantine", ws.root, "--file", "hansa.csv").stdout
    assert "2 × amount" in table and "H4" in table


def test_ingest_points_at_the_quarantine_command_with_the_case(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    f = tmp_path / "hansa.csv"
    f.write_text(BROKEN, encoding="utf-8")
    out = invoke(runner, "ingest", ws.root, f).stdout
    assert f"fininvest quarantine {ws.root}" in out.replace("\n", "")
    assert "CASE_DIR" not in out


def test_reingesting_the_same_file_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = _case(ws, tmp_path)
    [again] = ingest_files(ws, [f])
    assert (again.added, again.already_present) == (0, again.accepted) == (0, 1)


def test_forget_removes_a_files_rows_and_rejections_and_keeps_the_raw_copy(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    _case(ws, tmp_path)
    fixed = tmp_path / "hansa_fixed.csv"
    fixed.write_text(HEAD + "H9,2025-03-09T10:00:00+01:00,,X,1.00,EUR,cash,Bonn\n")
    ingest_files(ws, [fixed])
    before = ws.scan("transactions").select(pl.len()).collect().item()
    doc = json.loads(invoke(runner, "forget", ws.root, "hansa.csv", "--format", "json").stdout)
    assert doc["rows"] == {"transactions": before - 1} and doc["rejections"] == 4
    assert ws.scan("transactions").select("txn_id").collect()["txn_id"].to_list() == ["H9"]
    assert ws.quarantine_parts() == []
    assert not ws.path("raw", "hansa.csv").exists()
    assert Path(doc["kept_at"]).read_text(encoding="utf-8") == BROKEN
    assert ws.audit_entries()[-1]["command"] == "forget"
    ingest_files(ws, sorted(ws.path("raw").iterdir()))  # the case's raw/ no longer has it
    assert ws.quarantine_parts() == []
