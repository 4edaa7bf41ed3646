"""Roles from the victims outward (``victim_control``) and one finding, one explanation.

The second-opinion case in ``tests/data/second_opinion/europol_ro_uk_2023`` was written by hand
from a published forced-labour case (see its README), not by fininvest's generator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fininvest.indicators.catalogue import load_catalogue
from fininvest.ingest import ingest_files
from fininvest.screening.engine import Context, Hit
from fininvest.screening.roles import MONEY_COLUMNS, control_hits
from fininvest.screening.rules.kyc import swept_to_third_party
from fininvest.screening.run import ScreenResult, screen
from fininvest.screening.scoring import build_alerts, classify, score_hits
from fininvest.workspace import Workspace, init_workspace

from .rule_cases import events, params

CASE = Path(__file__).parent / "data" / "second_opinion" / "europol_ro_uk_2023"
P = {"min_victims": 2, "min_share": 0.5, "min_months": 3, "min_payer_share": 0.5}
DAY = 86_400


def money(rows: list[tuple[str, int, str, str, float, str]]) -> Any:
    """``money_of`` over the given transfers (ref, ts, payer, payee, amount, channel)."""
    frame = pl.DataFrame(rows, schema=MONEY_COLUMNS, orient="row")

    def money_of(accounts: list[str]) -> pl.DataFrame:
        return frame.filter(pl.col("payer").is_in(accounts) | pl.col("payee").is_in(accounts))

    return money_of


def accounts_of(*holders: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [f"A-{h}" for h in holders],
            "holder_id": list(holders),
            "opened_by": [None] * len(holders),
        }  # fmt: skip
    )


# ------------------------------------------------------------------ the second-opinion case
@pytest.fixture(scope="module")
def europol_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, ScreenResult]:
    ws = init_workspace(tmp_path_factory.mktemp("europol") / "case", base_currency="GBP")
    summary = ingest_files(ws, sorted(CASE.glob("*.csv")))
    assert summary  # every record accepted is checked below through the screen's evidence
    return ws, screen(ws)


def test_forced_labour_case_ranks_the_controller_and_keeps_the_victims_apart(
    europol_case: tuple[Workspace, ScreenResult],
) -> None:
    ws, res = europol_case
    victims = {f"ACC-PV{i}" for i in range(1, 5)}
    suspects = res.alerts.filter(pl.col("classification") == "suspect")
    assert not victims & set(suspects["entity_id"])  # the safeguard: never ranked as suspects
    possible = res.alerts.filter(pl.col("classification") == "possible_victim")
    assert victims == set(possible["entity_id"])
    top = suspects.row(0, named=True)
    assert top["entity_id"] == "ACC-PG1" and "victim_control" in top["indicators"]
    e = res.explanations.filter(
        (pl.col("entity_id") == "ACC-PG1") & (pl.col("indicator") == "victim_control")
    ).row(0, named=True)
    # the sentence, the count and the evidence agree: the four victims and the four transfers
    # by which the loans in their names reached the gang member
    assert e["observed"] == 4 and "controls 4 possible victims" in e["detail"]
    assert {x for x in e["evidence"] if x.startswith("account:")} == {
        f"account:{v}" for v in victims
    }
    txns = ws.scan("transactions").collect()
    moved = txns.filter(
        pl.col("from_account").is_in(list(victims)) & (pl.col("to_account") == "ACC-PG1")
    )
    assert set(moved["txn_id"]) == {x for x in e["evidence"] if not x.startswith("account:")}
    # the employers paid the wages the gang took in cash: no link of theirs to the gang shows
    assert not {"ACC-CE1", "ACC-CE2"} & set(suspects["entity_id"])
    assert res.status["victim_control"] == "evaluated: fired on 1 account(s)"


def test_the_same_case_in_cash_keeps_the_victims_apart(tmp_path: Path) -> None:
    """The loans taken at ATMs too: no money link points to the gang, and the workers are
    still possible victims (their wages leave as soon as they arrive), not suspects."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in CASE.glob("kyc_*.csv"):
        (raw / f.name).write_bytes(f.read_bytes())
    bank = pl.read_csv(CASE / "bank_transactions.csv", infer_schema_length=0)
    to_gang = pl.col("to_account") == "ACC-PG1"
    bank.with_columns(
        pl.when(to_gang).then(None).otherwise(pl.col("to_account")).alias("to_account"),
        pl.when(to_gang).then(pl.lit("atm")).otherwise(pl.col("channel")).alias("channel"),
        pl.when(to_gang).then(None).otherwise(pl.col("to_country")).alias("to_country"),
        pl.when(to_gang).then(pl.lit("GB")).otherwise(pl.col("country")).alias("country"),
    ).write_csv(raw / "bank_transactions.csv")
    ws = init_workspace(tmp_path / "case", base_currency="GBP")
    ingest_files(ws, sorted(raw.glob("*.csv")))
    alerts = screen(ws).alerts
    victims = {f"ACC-PV{i}" for i in range(1, 5)}
    possible = alerts.filter(pl.col("classification") == "possible_victim")
    assert victims == set(possible["entity_id"])


# ------------------------------------------------------------------------ control, in small
def test_victims_sharing_identifiers_among_themselves_control_no_one() -> None:
    ident = pl.DataFrame(
        {"owner_id": ["v1", "v2", "v3", "x"], "kind": ["address"] * 4, "value": ["house"] * 4}
    )
    acc = accounts_of("v1", "v2", "v3", "x")
    none = money([])
    # "x" shares the house with three possible victims but nothing points from it to them
    found = control_hits({"A-v1", "A-v2", "A-v3"}, list(acc["account_id"]),
                         {"accounts": acc, "identifiers": ident}, none, P)  # fmt: skip
    assert found == []
    # with one one-way link (it opened one victim's account) the shared house counts too
    acc = acc.with_columns(
        pl.when(pl.col("holder_id") == "v1").then(pl.lit("x")).otherwise(None).alias("opened_by")
    )
    found = control_hits({"A-v1", "A-v2", "A-v3"}, list(acc["account_id"]),
                         {"accounts": acc, "identifiers": ident}, none, P)  # fmt: skip
    assert [(h.account, h.observed) for h in found] == [(3, 3.0)]
    assert (
        "opened 1 of their accounts; shares phones, e-mails or addresses with 3" in found[0].detail
    )


def test_a_landlord_of_a_few_possible_victims_among_many_tenants_is_no_controller() -> None:
    tenants = [f"t{i}" for i in range(10)]
    acc = accounts_of("v1", "v2", "boss", "landlord", *tenants)
    rows = []
    for n, payer in enumerate(["v1", "v2", *tenants]):
        for month in range(4):
            t = month * 30 * DAY
            rows.append((f"R{n}-{month}", t, f"A-{payer}", "A-landlord", 500.0, "sepa"))
    for n, v in enumerate(["v1", "v2"]):
        rows.append((f"S{n}", 5 * DAY, f"A-{v}", "A-boss", 3000.0, "p2p"))
    found = control_hits({"A-v1", "A-v2"}, list(acc["account_id"]), {"accounts": acc},
                         money(rows), P)  # fmt: skip
    # the landlord is paid month after month by both, but they are 2 of its 12 payers; the
    # boss gets most of their money and they are all its payers
    assert [acc["account_id"][h.account] for h in found] == ["A-boss"]
    assert found[0].detail.endswith("receives most of the money of 2")


def test_wages_that_go_back_to_the_employers_side_rank_employer_and_owner_together() -> None:
    """A subcontractor pays the workers, a housing company it deals with takes most of their
    wages back, and one person directs the housing company (intelligence)."""
    acc = accounts_of("v1", "v2", "sub", "housing", "owner")
    rows = [("H0", 0, "A-sub", "A-housing", 3000.0, "sepa")]  # the subcontractor pays its rent
    for n, v in enumerate(["v1", "v2"]):
        for month in range(3):
            t = month * 30 * DAY
            rows.append((f"W{n}{month}", t, "A-sub", f"A-{v}", 1400.0, "payroll"))
            rows.append((f"K{n}{month}", t + DAY, f"A-{v}", "A-housing", 900.0, "sepa"))
    intel = pl.DataFrame(
        {
            "link_id": ["I1"],
            "subject_id": ["owner"],
            "relation": ["director_of"],
            "object_id": ["housing"],
        }  # fmt: skip
    )
    found = control_hits({"A-v1", "A-v2"}, list(acc["account_id"]),
                         {"accounts": acc, "intel_links": intel}, money(rows), P)  # fmt: skip
    by_account = {acc["account_id"][h.account]: h for h in found}
    assert set(by_account) == {"A-sub", "A-housing", "A-owner"}
    assert "pays the wages of 2 of them, which go back to its side" in by_account["A-sub"].detail
    assert "H0" in by_account["A-sub"].evidence  # the dealing that puts the housing on its side
    assert "through housing" in by_account["A-owner"].detail
    assert all(h.observed == 2 for h in found)


@pytest.mark.parametrize(
    ("sign", "contradiction"),
    [
        # a controller's own accounts are never possible victims (its funnel looks swept)
        ("swept_to_third_party", "victim_control"),
        # wages that leave at once are a worker's taken wage, unless the account pools wages
        ("wage_in_fast_out", "pooled_wages"),
    ],
)
def test_a_victims_sign_and_what_contradicts_it(sign: str, contradiction: str) -> None:
    cat = load_catalogue()
    assert classify([Hit(0, sign, 3, 2, "", [], "")], cat) == "possible_victim"
    both = [Hit(0, sign, 3, 2, "", [], ""), Hit(0, contradiction, 3, 2, "", [], "")]
    assert classify(both, cat) == "suspect"


def test_money_swept_to_the_holders_own_account_is_not_swept_to_a_third_party() -> None:
    rows = [(0, d * DAY, False, 1000.0, -1, f"I{d}") for d in range(5)]
    rows += [(0, d * DAY + 3600, True, 990.0, 1, f"O{d}") for d in range(5)]
    rows += [(1, d * DAY + 3600, False, 990.0, 0, f"O{d}") for d in range(5)]
    ev = events(rows, ["account", "ts", "outflow", "amount", "counterparty", "ref"],
                ["funnel", "own", "other"])  # fmt: skip
    p = params("swept_to_third_party")
    third = pl.DataFrame({"account_id": ["funnel", "own"], "holder_id": ["boss", "victim"]})
    assert [h.account for h in swept_to_third_party(Context(ev, p, {"accounts": third}))] == [0]
    own = pl.DataFrame({"account_id": ["funnel", "own"], "holder_id": ["boss", "boss"]})
    assert swept_to_third_party(Context(ev, p, {"accounts": own})) == []


# ------------------------------------------------------------ one finding, one explanation
def repeats(n: int, account: int = 0) -> list[Hit]:
    return [
        Hit(account, "scatter_gather", 3.0, 2.0, f"{d} days", [f"T{d}", f"T{d + 1}"], f"pair {d}")
        for d in range(n)
    ]


def test_repeats_of_one_indicator_score_as_one_and_combinations_outrank_them() -> None:
    cat = load_catalogue()
    assert score_hits(repeats(46), cat) == score_hits(repeats(1), cat)
    two_families = repeats(1) + [Hit(0, "ad_micropayments", 5, 5, "", [], "")]
    assert score_hits(two_families, cat)[0] > score_hits(repeats(46), cat)[0]


def test_repeats_are_one_explanation_with_all_their_evidence() -> None:
    cat = load_catalogue()
    alerts, expl = build_alerts(repeats(46), cat, ["A"], {})
    assert expl.height == 1
    row = expl.row(0, named=True)
    assert row["findings"] == 46 and len(row["details"]) == 46
    assert sorted(row["evidence"]) == sorted(f"T{d}" for d in range(47))  # every id, once
    assert row["evidence_total"] == 47
    assert row["detail"].startswith("46 findings of this kind (windows: 0 days; 1 days;")
    assert alerts["findings"].to_list() == [46]


def test_equal_scores_are_ordered_by_findings_and_evidence_not_by_id() -> None:
    cat = load_catalogue()
    hits = repeats(1, account=0) + repeats(5, account=1)  # "A" sorts first, "B" has more
    alerts, _ = build_alerts(hits, cat, ["A", "B"], {})
    assert alerts["score"].n_unique() == 1
    assert alerts["entity_id"].to_list() == ["B", "A"]


def test_explain_shows_three_findings_of_an_indicator_then_counts_the_rest() -> None:
    from rich.console import Console

    from fininvest.cli.explain_cmd import render_alert

    cat = load_catalogue()
    _, expl = build_alerts(repeats(5), cat, ["A"], {})
    e = {**expl.drop("entity_id").row(0, named=True), "transactions": []}
    alert = {"entity_id": "A", "holder_id": None, "classification": "suspect", "rank": 1,
             "score": 1.0, "families": ["laundering_mechanics"], "explanations": [e]}  # fmt: skip
    short, full = Console(record=True, width=200), Console(record=True, width=200)
    render_alert(alert, short)
    render_alert(alert, full, show_all=True)
    said = short.export_text()
    assert "5 findings of this kind" in said
    assert said.count("  – pair ") == 3 and "2 more scatter_gather finding(s)" in said
    assert full.export_text().count("  – pair ") == 5
