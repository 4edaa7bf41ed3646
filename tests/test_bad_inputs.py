"""Every file of the bad-input corpus gives its documented outcome (see EXPECTED.toml)."""

from __future__ import annotations

import json
import tomllib

import polars as pl
import pytest

from fininvest.ingest import ingest_files
from fininvest.workspace import Workspace

from .conftest import BAD, invoke

MANIFEST = tomllib.loads((BAD / "EXPECTED.toml").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_documented_outcome(ws: Workspace, name: str) -> None:
    case = MANIFEST[name]
    [s] = ingest_files(ws, [BAD / name], kind=case.get("kind"))
    if "error" in case:
        assert s.error is not None and case["error"] in s.error
        assert s.hint, "a refused file must say what to do"
        assert not any(ws.table_parts(t) for t in ws.tables()), "nothing stored from it"
        return
    assert s.error is None, s.error
    assert (s.read, s.accepted, s.rejected) == (case["read"], case["accepted"], case["rejected"])
    assert s.read == s.accepted + s.rejected
    if "note" in case:
        assert any(case["note"] in n for n in s.notes), s.notes
    q = ws.quarantine_parts()
    if case["rejected"]:
        rej = pl.read_parquet(q)
        assert rej.height == case["rejected"]
        assert rej["source_file"].to_list() == [name] * rej.height
        assert rej["record_no"].null_count() == 0 and rej["source_line"].null_count() == 0
        assert rej["field"].null_count() == 0 and rej["raw"].null_count() == 0
        assert all(case["reason"] in r for r in rej["reason"]), rej["reason"].to_list()
    else:
        assert not q


def test_missing_columns_lists_every_problem(ws: Workspace) -> None:
    [s] = ingest_files(ws, [BAD / "missing_columns.csv"], kind="bank")
    assert s.error is not None
    assert "'amount': required column is missing" in s.error
    assert "'currency': required column is missing (did you mean 'curency'?)" in s.error
    assert "expected columns:" in s.error


def test_unknown_format_lists_formats(ws: Workspace, runner) -> None:  # type: ignore[no-untyped-def]
    r = invoke(runner, "ingest", ws.root, BAD / "header_only.csv", "--input-format", "xlsx")
    assert r.exit_code == 2 and "csv" in r.output and "parquet" in r.output


def test_cli_exit_status_for_unreadable_file(ws: Workspace, runner) -> None:  # type: ignore[no-untyped-def]
    r = invoke(
        runner, "ingest", ws.root, BAD / "xxe.xml", BAD / "extra_columns.csv", "--format", "json"
    )
    assert r.exit_code == 3
    doc = json.loads(r.stdout)
    by_file = {d["file"]: d for d in doc}
    assert by_file["xxe.xml"]["error"] and by_file["extra_columns.csv"]["accepted"] == 2


def test_strict_fails_on_rejections(ws: Workspace, runner) -> None:  # type: ignore[no-untyped-def]
    r = invoke(
        runner, "ingest", ws.root, BAD / "negative_amount.csv", "--strict", "--format", "json"
    )
    assert r.exit_code == 3
    assert json.loads(r.stdout)[0]["rejected"] == 1  # still exactly one JSON document
    r = invoke(runner, "ingest", ws.root, BAD / "extra_columns.csv", "--strict")
    assert r.exit_code == 0
