"""``fininvest explain`` and ``screen --explain``: every explanation in words with its
evidence, names beside ids, possible victims listed apart, ids never cut, the screen's inputs
recorded in the audit log."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from rich.console import Console

from fininvest.cli import cli
from fininvest.cli.screen_cmd import render_screen
from fininvest.workspace import Workspace, file_sha256

from .conftest import invoke


@pytest.fixture(scope="module")
def screened(sample_ws: Workspace) -> dict[str, Any]:
    """The sample case screened once through the CLI; the JSON document."""
    out = invoke(CliRunner(), "screen", sample_ws.root, "--top", "5", "--format", "json")
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def _names(ws: Workspace) -> dict[str, str]:
    return dict(ws.scan("parties").select("party_id", "name").collect().iter_rows())


def test_explain_gives_every_explanation_with_evidence_and_names(
    sample_ws: Workspace, screened: dict[str, Any], runner: CliRunner
) -> None:
    top = screened["alerts"][0]
    names = _names(sample_ws)
    assert top["holder_name"] == names[top["holder_id"]]  # the screen's JSON names holders
    doc = json.loads(
        invoke(runner, "explain", sample_ws.root, top["entity_id"], "--format", "json").stdout
    )
    (alert,) = doc["alerts"]
    stored = pl.read_parquet(sample_ws.path("results", "explanations.parquet")).filter(
        pl.col("entity_id") == top["entity_id"]
    )
    assert len(alert["explanations"]) == stored.height
    txn = (
        sample_ws.scan("transactions")
        .select("txn_id", "amount", "currency", "channel")
        .collect()
        .rows_by_key("txn_id", named=True, unique=True)
    )
    checked = 0
    for e in alert["explanations"]:
        assert e["detail"] and e["citation"] and e["window"]
        for t in e["transactions"]:
            assert t["txn_id"] in e["evidence"]
            assert set(t) >= {"time", "amount", "currency", "payer", "payee", "channel", "city"}
            if t["txn_id"] in txn:  # the evidence row is the stored transaction
                row = txn[t["txn_id"]]
                assert (t["amount"], t["currency"], t["channel"]) == (
                    row["amount"], row["currency"], row["channel"],
                )  # fmt: skip
                checked += 1
    assert checked
    table = invoke(runner, "explain", sample_ws.root, top["entity_id"]).stdout
    assert f"{top['holder_id']} ({names[top['holder_id']]})" in table
    assert stored["detail"][0] in table.replace("\n", " ") or stored["indicator"][0] in table
    assert " EUR" in table  # amounts carry their currency


def test_explain_a_person_covers_their_accounts(
    sample_ws: Workspace, screened: dict[str, Any], runner: CliRunner
) -> None:
    holder = screened["alerts"][0]["holder_id"]
    doc = json.loads(invoke(runner, "explain", sample_ws.root, holder, "--format", "json").stdout)
    assert doc["name"] == _names(sample_ws)[holder]
    assert {a["holder_id"] for a in doc["alerts"]} == {holder}
    assert screened["alerts"][0]["entity_id"] in {a["entity_id"] for a in doc["alerts"]}


def test_explain_an_unknown_id_is_a_usage_error(
    sample_ws: Workspace, screened: dict[str, Any], runner: CliRunner
) -> None:
    res = runner.invoke(cli, ["explain", str(sample_ws.root), "NOPE-1"])
    assert res.exit_code == 2
    assert "NOPE-1" in res.stderr and "fininvest search" in res.stderr


def test_screen_explain_csv_has_one_row_per_explanation(
    sample_ws: Workspace, screened: dict[str, Any], runner: CliRunner
) -> None:
    out = invoke(runner, "screen", sample_ws.root, "--explain", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    stored = pl.read_parquet(sample_ws.path("results", "explanations.parquet"))
    assert len(rows) == stored.height
    assert {"holder_name", "detail", "observed", "threshold", "evidence", "citation"} <= set(
        rows[0]
    )
    first = rows[0]
    assert first["evidence"].split(" ")[0] in set(stored["evidence"].explode().drop_nulls())


def test_screen_lists_possible_victims_apart_and_names_holders(
    sample_ws: Workspace, screened: dict[str, Any], runner: CliRunner
) -> None:
    out = invoke(runner, "screen", sample_ws.root, "--top", "5", "--explain").stdout
    victims = screened["possible_victim_accounts"]
    assert victims, "the sample case has possible victims"
    for v in victims:
        assert v["entity_id"] in out
    names = _names(sample_ws)
    for a in screened["alerts"]:
        if a["holder_id"] in names:
            assert names[a["holder_id"]] in out
    assert "observed" in out and "source:" in out  # --explain: the explanations in words


def test_narrow_terminal_keeps_account_ids_whole(screened: dict[str, Any]) -> None:
    for width in (80, 100):
        c = Console(width=width, file=io.StringIO(), record=True)
        render_screen(screened, c)
        text = c.export_text()
        for a in (*screened["alerts"], *screened["possible_victim_accounts"]):
            assert a["entity_id"] in text, (width, a["entity_id"])


def test_screen_audit_records_the_table_state_it_read(
    sample_ws: Workspace, screened: dict[str, Any]
) -> None:
    entry = [e for e in sample_ws.audit_entries() if e["command"] == "screen"][-1]
    parts = {str(p.relative_to(sample_ws.root)): p for t in sample_ws.tables()
             for p in sample_ws.table_parts(t)}  # fmt: skip
    assert {i["file"] for i in entry["inputs"]} == set(parts)
    for i in entry["inputs"]:
        assert i["sha256"] == file_sha256(parts[i["file"]])
