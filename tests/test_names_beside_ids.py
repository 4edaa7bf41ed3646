"""The holder's name beside every id, in every command that prints account or person ids, in
every format (table, CSV, JSON), on the committed sample case.

Each command runs as an analyst would run it (screen, graph load, then the rest); the
output is checked by :mod:`tests.names_check`, which knows only the names the workspace
holds (KYC customers and accounts, intelligence): an account or person id printed on a line,
in a CSV row or in a JSON object without its name beside it fails the test.

Exempt: the raw records of ``fininvest quarantine`` (shown byte for byte as the file held
them, never altered).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fininvest.casefile.names import load_names
from fininvest.cli import cli
from fininvest.workspace import Workspace

from .conftest import invoke
from .names_check import TOKEN, missing_in_csv, missing_in_json, missing_in_text


def run(*args: object) -> str:
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, (args, res.stdout[-1500:], res.stderr[-1500:])
    return res.stdout


@pytest.fixture(scope="module")
def case(sample_ws: Workspace, sample_server: None) -> dict[str, Any]:
    """The sample case screened and loaded into its graph by the commands themselves."""
    screened = json.loads(run("screen", sample_ws.root, "--top", "5", "--format", "json"))
    run("graph", "load", sample_ws.root)
    run("chains", sample_ws.root)
    if not sample_ws.path("jit", "JIT-2026-NAMES.toml").exists():
        run("jit", "create", sample_ws.root, "--id", "JIT-2026-NAMES", "--home", "NL",
            "--partner", "BG", "--from", "2026-01-01", "--until", "2030-12-31",
            "--purpose", "names beside ids")  # fmt: skip
    names = load_names(sample_ws)
    known = {i: n for i in (*names.party, *names.holder) if (n := names.name(i))}
    top = screened["alerts"][0]
    assets = json.loads(run("assets", sample_ws.root, "list", "--format", "json"))
    return {
        "ws": sample_ws,
        "screen": screened,
        "known": known,
        "account": top["entity_id"],
        "holder": top["holder_id"],
        "name": names.name(top["holder_id"]),
        "victim": screened["possible_victim_accounts"][0]["entity_id"],
        "asset": assets[0]["asset_id"],
    }


def check(out: str, fmt: str, known: dict[str, str]) -> list[str]:
    if fmt == "json":
        return missing_in_json(json.loads(out), known)
    if fmt == "csv":
        return missing_in_csv(out, known)
    return missing_in_text(out, known)


#: every command that prints account or person ids; "C" is the case, "A" the top alert's
#: account, "H" its holder, "V" a possible victim's account, "N" the holder's name, "S" an asset
COMMANDS = [
    ("screen C --top 5", ("table", "csv")),
    ("screen C --top 5 --explain", ("table", "csv")),
    ("graph status C", ("table", "json")),
    ("explain C A", ("table", "json", "csv")),
    ("explain C H", ("table", "json", "csv")),
    ("explain C V", ("table", "json", "csv")),
    ("show C H", ("table", "json")),
    ("show C A", ("table", "json")),
    ("show C V", ("table", "json")),
    ("search C N", ("table", "json")),
    ("status C", ("table", "json")),
    ("trace C --from A", ("table", "json")),
    ("trace C --from H", ("table", "json")),
    ("chains C", ("table", "json")),
    ("network C", ("table", "json")),
    ("evidence list C", ("table", "json")),
    ("assets C list", ("table", "json")),
    ("assets C show S", ("table", "json")),
    ("assets C report", ("table", "json", "csv")),
    ("jit list C", ("table", "json")),
    ("share C --jit JIT-2026-NAMES --partner BG --preview", ("table", "json")),
]


def test_the_screen_json_names_every_id(case: dict[str, Any]) -> None:
    assert missing_in_json(case["screen"], case["known"]) == []


@pytest.mark.parametrize(("line", "formats"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_id_has_its_name_beside_it(
    case: dict[str, Any], line: str, formats: tuple[str, ...]
) -> None:
    values = {"C": case["ws"].root, "A": case["account"], "H": case["holder"],
              "V": case["victim"], "N": case["name"], "S": case["asset"]}  # fmt: skip
    args = [values.get(w, w) for w in line.split()]
    for fmt in formats:
        out = run(*args, "--format", fmt)
        missing = check(out, fmt, case["known"])
        assert missing == [], (line, fmt, missing[:5])


def test_quarantine_names_ids_outside_the_raw_records(case: dict[str, Any]) -> None:
    root, known = case["ws"].root, case["known"]
    doc = json.loads(run("quarantine", root, "--format", "json"))
    raws = {e["raw"] for g in doc["reasons"] for e in g["examples"] if e["raw"]}
    for g in doc["reasons"]:
        for e in g["examples"]:
            e.pop("raw")
    assert missing_in_json(doc, known) == []
    in_raw = {t for raw in raws for t in TOKEN.findall(raw)}  # the table wraps raw records
    table = run("quarantine", root)
    assert missing_in_text(table, {i: n for i, n in known.items() if i not in in_raw}) == []
    rows = list(csv.reader(io.StringIO(run("quarantine", root, "--format", "csv"))))
    raw = rows[0].index("raw")
    kept = io.StringIO()
    csv.writer(kept).writerows(row[:raw] + row[raw + 1 :] for row in rows)
    assert missing_in_csv(kept.getvalue(), known) == []


def test_the_check_finds_an_id_printed_without_its_name(case: dict[str, Any]) -> None:
    known, acc, holder = case["known"], case["account"], case["holder"]
    name = known[holder]
    assert missing_in_text(f"│ {acc} │ 20.00 │", known)
    assert not missing_in_text(f"│ {acc} │ {holder} ({name}) │", known)
    assert missing_in_json({"from": acc, "to": "x"}, known)
    assert missing_in_json({"victims": [holder]}, known)
    assert not missing_in_json({"victims": [holder], "victims_names": {holder: name}}, known)
    assert missing_in_json({"detail": f"swept to {holder} within 2 days"}, known)
    assert missing_in_csv(f"rank,account\n1,{acc}\n", known)


def test_the_training_key_names_its_ids(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FININVEST_TRAINER_SECRET_FILE", str(tmp_path / "trainer.secret"))
    invoke(runner, "train", "start", "funnel", tmp_path / "ana", "--trainee", "Ana")
    raw = tmp_path / "ana" / "raw"
    with (raw / "kyc_customers.csv").open(encoding="utf-8") as fh:
        party = {r["party_id"]: r["name"] for r in csv.DictReader(fh)}
    with (raw / "kyc_accounts.csv").open(encoding="utf-8") as fh:
        known = {r["account_id"]: party[r["holder_id"]] for r in csv.DictReader(fh)
                 if r["holder_id"] in party}  # fmt: skip
    known.update(party)
    key = ("train", "key", "funnel", "--trainee", "Ana")
    assert missing_in_text(invoke(runner, *key).stdout, known) == []
    assert missing_in_json(json.loads(invoke(runner, *key, "--format", "json").stdout), known) == []


BANK = """txn_id,timestamp,from_account,to_account,amount,currency,channel,city
T1,2025-03-01T10:00:00+01:00,DE02ACCOUNTA,DE02ACCOUNTB,1000.00,EUR,sepa,Berlin
T2,2025-03-01T12:00:00+01:00,DE02ACCOUNTB,DE02ACCOUNTC,900.00,EUR,sepa,Berlin
"""
HOLDERS = """account_id,holder_id,holder_name
DE02ACCOUNTA,P-A,Anna Ölberg
DE02ACCOUNTB,P-B,Boris Brand
DE02ACCOUNTC,P-C,Cäcilie Kern
"""


def test_trace_names_holders_the_graph_does_not_know(ws: Workspace, runner: CliRunner) -> None:
    """Names only in the account export (no customer file): the graph has no holder for the
    accounts reached, the workspace has; trace names them in its table and JSON."""
    from fininvest.graph import embedded

    ws.path("raw", "bank.csv").write_text(BANK, encoding="utf-8")
    ws.path("raw", "kyc_accounts.csv").write_text(HOLDERS, encoding="utf-8")
    invoke(runner, "ingest", ws.root)
    try:
        invoke(runner, "graph", "load", ws.root)
        doc = json.loads(
            invoke(runner, "trace", ws.root, "--from", "DE02ACCOUNTA", "--format", "json").stdout
        )
        table = invoke(runner, "trace", ws.root, "--from", "DE02ACCOUNTA").stdout
    finally:
        embedded.stop(ws)
    assert {(r["account"], r["holder"], r["holder_name"]) for r in doc["reached"]} == {
        ("DE02ACCOUNTB", "P-B", "Boris Brand"), ("DE02ACCOUNTC", "P-C", "Cäcilie Kern")
    }  # fmt: skip
    known = {"DE02ACCOUNTA": "Anna Ölberg", "DE02ACCOUNTB": "Boris Brand",
             "DE02ACCOUNTC": "Cäcilie Kern", "P-B": "Boris Brand",
             "P-C": "Cäcilie Kern"}  # fmt: skip
    assert missing_in_json(doc, known) == [] and missing_in_text(table, known) == []


def test_asset_amounts_carry_their_currency(case: dict[str, Any]) -> None:
    """Sentences with amounts say the currency (tables say it in their headers)."""
    root, asset = case["ws"].root, case["asset"]
    report = run("assets", root, "report")
    line = next(x for x in report.splitlines() if x.startswith("realised "))
    assert re.fullmatch(r"realised [\d,]+\.\d\d EUR · compensation from it [\d,]+\.\d\d EUR .*",
                        line), line  # fmt: skip
    shown = run("assets", root, "show", asset).splitlines()[1]
    assert re.match(r"value [\d,]+\.\d\d [A-Z]{3} = [\d,]+\.\d\d EUR · realised", shown), shown
