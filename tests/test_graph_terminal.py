"""The graph commands in a terminal: trace says where the money went (cash included), chains
does not ask whether the graph is loaded right after a load, network names its members,
graph load/status print words (no Python dicts), and a started server is announced once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from fininvest.graph import embedded
from fininvest.workspace import Workspace, init_workspace

from .conftest import invoke

BANK = """txn_id,timestamp,from_account,to_account,amount,currency,channel,city
T1,2025-03-01T10:00:00+01:00,DE02ACCOUNTA,DE02ACCOUNTB,1000.00,EUR,sepa,Berlin
T2,2025-03-01T12:00:00+01:00,DE02ACCOUNTB,DE02ACCOUNTC,900.00,EUR,sepa,Berlin
T3,2025-03-01T13:00:00+01:00,DE02ACCOUNTB,DE02ACCOUNTC,50.00,EUR,sepa,Berlin
T4,2025-03-01T14:00:00+01:00,DE02ACCOUNTB,DE02ACCOUNTC,40.00,EUR,sepa,Berlin
T5,2025-03-02T09:00:00+01:00,DE02ACCOUNTC,,500.00,EUR,atm,Berlin
T6,2025-03-03T09:00:00+01:00,DE02ACCOUNTC,,400.00,EUR,atm,Köln
"""
CUSTOMERS = """party_id,kind,name
P-A,person,Anna Ölberg
P-B,person,Boris Brand
P-C,person,Cäcilie Kern
"""
ACCOUNTS = """account_id,holder_id
DE02ACCOUNTA,P-A
DE02ACCOUNTB,P-B
DE02ACCOUNTC,P-C
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Result]]:
    """A three-account case, ingested and loaded into its graph once."""
    ws = init_workspace(tmp_path_factory.mktemp("terminal") / "case")
    for name, text in (("bank.csv", BANK), ("kyc_customers.csv", CUSTOMERS),
                       ("kyc_accounts.csv", ACCOUNTS)):  # fmt: skip
        ws.path("raw", name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    invoke(runner, "ingest", ws.root)
    try:
        yield ws, invoke(runner, "graph", "load", ws.root)
    finally:  # also when the load fails: no server left behind
        embedded.stop(ws)


def test_graph_load_announces_the_server_once_and_prints_no_dicts(
    small: tuple[Workspace, Result], runner: CliRunner
) -> None:
    ws, first = small
    assert "keeps running" in first.stderr and "fininvest graph stop" in first.stderr
    assert "{" not in first.stdout and "Account" in first.stdout
    again = invoke(runner, "graph", "load", ws.root)
    assert "keeps running" not in again.stderr  # said once, when it started
    status = invoke(runner, "graph", "status", ws.root).stdout
    assert "{" not in status and "running" in status


def test_trace_says_the_money_left_as_cash(
    small: tuple[Workspace, Result], runner: CliRunner
) -> None:
    ws, _ = small
    doc = json.loads(
        invoke(runner, "trace", ws.root, "--from", "DE02ACCOUNTA", "--format", "json").stdout
    )
    atm = [x for x in doc["cash_out"] if x["how"] == "atm"]
    assert atm == [
        {"account": "DE02ACCOUNTC", "how": "atm", "count": 2, "amount": 900.0,
         "first_ms": atm[0]["first_ms"], "last_ms": atm[0]["last_ms"],
         "account_name": "Cäcilie Kern"}
    ]  # fmt: skip
    table = invoke(runner, "trace", ws.root, "--from", "DE02ACCOUNTA").stdout
    assert "DE02ACCOUNTC (Cäcilie Kern)" in table and "900.00 EUR" in table
    assert "1 account (" in table  # no "1 accounts"


def test_trace_from_an_account_that_only_withdrew_cash(
    small: tuple[Workspace, Result], runner: CliRunner
) -> None:
    ws, _ = small
    table = invoke(runner, "trace", ws.root, "--from", "DE02ACCOUNTC").stdout
    assert "0 flows" in table and "atm" in table and "900.00 EUR" in table


def test_chains_after_a_load_does_not_ask_whether_the_graph_is_loaded(
    small: tuple[Workspace, Result], runner: CliRunner
) -> None:
    ws, _ = small
    out = invoke(runner, "chains", ws.root).stdout
    assert "No chain of trafficking in the graph loaded at" in out
    assert "may not be loaded" not in out


def test_network_names_community_members(
    small: tuple[Workspace, Result], runner: CliRunner
) -> None:
    ws, _ = small
    doc = json.loads(invoke(runner, "network", ws.root, "--format", "json").stdout)
    members = {m for c in doc["community_members"] for m in c["members"]}
    for row in (*doc["inferred_roles"], *doc["brokers"]):
        assert "name" in row
    assert sum(c["size"] for c in doc["community_members"]) >= len(members)
    out = invoke(runner, "network", ws.root, "--min-payments", "1").stdout
    assert "Boris Brand" in out or "Cäcilie Kern" in out or "Anna Ölberg" in out
