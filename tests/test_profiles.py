"""Import profiles: an export's own conventions declared as data in the workspace, applied
before the ordinary ingest; a profile suggested when a file's header matches one."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.workspace import Workspace, file_sha256

from .conftest import invoke

EXPORT = (
    "Buchungs-ID;Datum;Auftraggeber;Empfänger;Betrag;Währung;Ort\n"
    "HB-1;14/03/2025 21:45;;DE89370400440532013000;9.500,00;EUR;Köln\n"
    "HB-2;15/03/2025 08:05;;DE89370400440532013000;1.200,00;EUR;Bonn\n"
    "HB-3;16/03/2025 23:10;DE89370400440532013000;RO49AAAA1B31007593840000;250,5;EUR;\n"
    "HB-4;17/03/2025 10:00;;DE89370400440532013000;9,800.00;EUR;Bonn\n"  # wrong marks
)
PROFILE = """
kind = "bank"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d/%m/%Y %H:%M"
utc_offset = "+01:00"
[columns]
txn_id = "Buchungs-ID"
timestamp = "Datum"
from_account = "Auftraggeber"
to_account = "Empfänger"
amount = "Betrag"
currency = "Währung"
city = "Ort"
[constants]
channel = "sepa"
"""


def _setup(ws: Workspace, tmp_path: Path) -> Path:
    ws.path("profiles").mkdir(exist_ok=True)
    ws.path("profiles", "hansa.toml").write_text(PROFILE, encoding="utf-8")
    export = tmp_path / "hansa_2025-03.csv"
    export.write_text(EXPORT, encoding="utf-8")
    return export


def test_a_profile_reads_the_export_as_declared(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    export = _setup(ws, tmp_path)
    doc = json.loads(
        invoke(runner, "ingest", ws.root, "--profile", "hansa", export, "--format", "json").stdout
    )
    (s,) = doc
    assert (s["read"], s["accepted"], s["rejected"]) == (4, 3, 1)
    rows = ws.scan("transactions").sort("txn_id").collect()
    assert rows["amount"].to_list() == [9500.0, 1200.0, 250.5]
    assert rows["channel"].to_list() == ["sepa"] * 3  # the constant for the missing column
    assert rows["ts_offset_min"].to_list() == [60] * 3
    assert str(rows["ts"][0]) == "2025-03-14 20:45:00+00:00"
    assert rows["source_line"].to_list() == [2, 3, 4]  # the original's lines
    q = pl.read_parquet(ws.quarantine_parts())  # a value the profile cannot read is not
    assert q["record_id"].to_list() == ["HB-4"] and q["field"].to_list() == ["amount"]
    assert "9,800.00" in q["reason"][0]  # … altered: the validator names it as written
    kept = ws.path("originals", export.name)
    assert kept.read_bytes() == export.read_bytes()
    entry = [e for e in ws.audit_entries() if e["command"] == "profile"][-1]
    assert entry["params"] == {"profile": "hansa"}
    assert entry["inputs"][0]["original_sha256"] == file_sha256(export)


def test_a_file_that_does_not_match_gets_the_matching_profile_suggested(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    export = _setup(ws, tmp_path)
    res = runner.invoke(cli, ["ingest", str(ws.root), str(export)])
    assert res.exit_code == 3
    assert f"--profile hansa {export}" in res.stderr


def test_an_invalid_profile_names_its_file_and_key(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    export = _setup(ws, tmp_path)
    ws.path("profiles", "bad.toml").write_text('kind = "bank"\ndecimals = ","\n')
    res = runner.invoke(cli, ["ingest", str(ws.root), "--profile", "bad", str(export)])
    assert res.exit_code == 4
    assert "bad.toml" in res.stderr and "decimals" in res.stderr


def test_a_profile_value_of_the_wrong_type_is_a_config_error(
    ws: Workspace, tmp_path: Path, runner: CliRunner
) -> None:
    export = _setup(ws, tmp_path)
    ws.path("profiles", "odd.toml").write_text('kind = "bank"\ndelimiter = 59\n')
    res = runner.invoke(cli, ["ingest", str(ws.root), "--profile", "odd", str(export)])
    assert res.exit_code == 4 and "odd.toml" in res.stderr and "delimiter" in res.stderr
