"""Business-account indicators on small hand-made cases where the answer is known."""

from __future__ import annotations

import polars as pl

from fininvest.screening.engine import DAY, Context
from fininvest.screening.events import Events
from fininvest.screening.rules.business import business_sustenance, front_business

from .rule_cases import events, params


def _case(
    transfers: list[tuple[str, str | None, float, str]],
    firms: dict[str, tuple[str, int | None]],
    addresses: dict[str, str] | None = None,
) -> tuple[Events, dict[str, pl.DataFrame]]:
    """transfers: (from, to or None for cash in, amount, channel); firms: account → (occupation,
    business MCC), held by company 'H-<account>'."""
    accounts = sorted(
        {a for a, b, *_ in transfers} | {b for _a, b, *_ in transfers if b} | set(firms)
    )
    accounts = [a for a in accounts if a != "CASH"]
    code = {a: i for i, a in enumerate(accounts)}
    recs = []
    for i, (a, b, x, ch) in enumerate(transfers):
        t = i * DAY
        if a != "CASH":
            recs.append((code[a], t, True, x, code.get(b or "", -1), ch, f"T{i}"))
        if b:
            recs.append((code[b], t, False, x, code.get(a, -1), ch, f"T{i}"))
    kyc = {
        "accounts": pl.DataFrame(
            {"account_id": accounts, "holder_id": [f"H-{a}" for a in accounts]}
        ),
        "parties": pl.DataFrame(
            {
                "party_id": [f"H-{a}" for a in accounts],
                "kind": ["company" if a in firms else "person" for a in accounts],
                "occupation": [firms.get(a, (None, None))[0] for a in accounts],
                "business_mcc": [firms.get(a, (None, None))[1] for a in accounts],
            },
            schema_overrides={"business_mcc": pl.Int16, "occupation": pl.String},
        ),
        "identifiers": pl.DataFrame(
            {
                "owner_id": [f"H-{a}" for a in (addresses or {})],
                "kind": "address",
                "value": list((addresses or {}).values()),
            },
            schema_overrides={"value": pl.String, "owner_id": pl.String},
        ),
    }
    columns = ["account", "ts", "outflow", "amount", "counterparty", "channel", "ref"]
    return events(recs, columns, accounts), kyc


def test_business_sustenance() -> None:
    ev, kyc = _case(
        [
            ("BUILD", "LANDLORD", 300.0, "wire"),  # 30% of its debits keep the workers
            ("BUILD", "WORKER", 700.0, "payroll"),
            ("HOTELCO", "LANDLORD", 900.0, "wire"),  # its own line of business
            ("SHOP", "LANDLORD", 50.0, "wire"),  # 5%: below the share
            ("SHOP", "WORKER", 950.0, "payroll"),
        ],
        {
            "BUILD": ("construction subcontractor", None),
            "LANDLORD": ("accommodation", None),
            "HOTELCO": ("hotel management", None),
            "SHOP": ("retail", None),
        },
    )
    hits = business_sustenance(Context(ev, params("business_sustenance"), kyc))
    assert [(ev.accounts[h.account], h.observed) for h in hits] == [("BUILD", 0.3)]


def test_front_business_cash_outlier_and_shared_address() -> None:
    shares = {"V1": 0.1, "V2": 0.1, "V3": 0.2, "V4": 0.2, "V5": 0.3, "V6": 0.9}
    transfers = []
    for v, s in shares.items():
        transfers += [("CASH", v, 1000 * s, "cash"), ("ACQ", v, 1000 * (1 - s), "wire")]
    firms = {v: ("massage", 7297) for v in shares}
    ev, kyc = _case(transfers, firms)
    hits = front_business(Context(ev, params("front_business"), kyc))
    assert [ev.accounts[h.account] for h in hits] == ["V6"]
    same = [(a, b, 100.0, ch) for a, b, _x, ch in transfers]  # equal cash shares: no outlier
    ev, kyc = _case(same, firms, {"V1": "1 Main St", "V2": "1 Main St", "V3": "1 Main St"})
    hits = front_business(Context(ev, params("front_business"), kyc))
    assert sorted(ev.accounts[h.account] for h in hits) == ["V1", "V2", "V3"]


def test_low_payroll_business_against_peers() -> None:
    from fininvest.screening.rules.business import low_payroll_business

    payroll_share = {"S1": 0.4, "S2": 0.35, "S3": 0.3, "S4": 0.3, "S5": 0.25, "S6": 0.0}
    transfers = []
    for firm, share in payroll_share.items():
        transfers.append(("CLIENT", firm, 1000.0, "wire"))
        if share:
            transfers.append((firm, "WORKER", 1000.0 * share, "payroll"))
    firms = {f: ("construction", None) for f in payroll_share} | {"CLIENT": ("retail", None)}
    ev, kyc = _case(transfers, firms)
    hits = low_payroll_business(Context(ev, params("low_payroll_business"), kyc))
    assert [(ev.accounts[h.account], h.observed) for h in hits] == [("S6", 0.0)]


def test_tppp_opacity_counts_payments_sent_through_processors() -> None:
    from fininvest.screening.rules.business import tppp_opacity

    transfers = [("PAYER", "PSP", 100.0, "wire") for _ in range(5)]
    transfers += [("PSP", "SHOP", 100.0, "wire") for _ in range(6)]  # settlements: not counted
    transfers += [("OTHER", "SHOP", 100.0, "wire") for _ in range(6)]
    firms = {"PSP": ("payment processor", None), "SHOP": ("retail", None)}
    ev, kyc = _case(transfers, firms)
    hits = tppp_opacity(Context(ev, params("tppp_opacity", window_days=30), kyc))
    assert [(ev.accounts[h.account], h.observed) for h in hits] == [("PAYER", 5.0)]
