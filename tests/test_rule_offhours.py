"""``offhours_cash_business`` against a plain-Python oracle on random company inflows."""

from __future__ import annotations

from statistics import median

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context, resolve_evidence
from fininvest.screening.rules.business import offhours_cash_business

from .rule_cases import events, params

FIRMS = [f"F{i}" for i in range(7)]  # F0–F5 massage parlours, F6 a bakery (no peers)
ACCOUNTS = [*FIRMS, "PAYER"]
KIND = {f: ("massage parlour" if f != "F6" else "bakery") for f in FIRMS}

# (firm, day, UTC hour, minute, UTC offset in minutes, cash?, amount)
inflow = st.tuples(
    st.integers(0, 6),
    st.integers(0, 30),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from([0, 60, 120, -300]),
    st.sampled_from([True, True, True, True, False]),  # mostly cash, so that some firms fire
    st.sampled_from([50.0, 400.0, 3000.0]),
)


def _kyc() -> dict[str, pl.DataFrame]:
    return {
        "accounts": pl.DataFrame(
            {"account_id": ACCOUNTS, "holder_id": [f"H-{a}" for a in ACCOUNTS]}
        ),
        "parties": pl.DataFrame(
            {
                "party_id": [f"H-{a}" for a in ACCOUNTS],
                "kind": ["company"] * len(FIRMS) + ["person"],
                "occupation": [KIND.get(a) for a in ACCOUNTS],
                "business_mcc": [None] * len(ACCOUNTS),
            },
            schema_overrides={"business_mcc": pl.Int16, "occupation": pl.String},
        ),
    }


def _oracle(rows: list, p: dict) -> dict[int, float]:  # type: ignore[type-arg]
    per: dict[int, list[tuple[bool, bool, float]]] = {}
    for f, d, h, m, off, cash, x in rows:
        local_hour = ((d * DAY + h * 3600 + m * 60 + off * 60) // 3600) % 24
        outside = local_hour < p["open_hour"] or local_hour >= p["close_hour"]
        per.setdefault(f, []).append((outside, cash, x))
    totals = {f: sum(x for *_, x in v) for f, v in per.items()}
    want = {}
    for f, v in per.items():
        peers = [g for g in per if KIND[FIRMS[g]] == KIND[FIRMS[f]]]
        if len(peers) < 5:
            continue
        off_share = sum(o for o, _, _ in v) / len(v)
        cash_share = sum(c for _, c, _ in v) / len(v)
        if (
            off_share >= p["min_offhours_share"]
            and cash_share >= p["min_cash_share"]
            and totals[f] >= p["peer_multiple"] * median(totals[g] for g in peers)
        ):
            want[f] = round(off_share, 4)
    return want


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(inflow, max_size=60), multiple=st.sampled_from([1.0, 2.0]))
def test_offhours_cash_business_matches_oracle(rows: list, multiple: float) -> None:  # type: ignore[type-arg]
    ev = events(
        [
            (
                f,
                d * DAY + h * 3600 + m * 60,
                False,
                x,
                -1 if cash else 7,
                "cash" if cash else "sepa",
                off,
                f"T{i}",
            )
            for i, (f, d, h, m, off, cash, x) in enumerate(rows)
        ],  # fmt: skip
        ["account", "ts", "outflow", "amount", "counterparty", "channel", "offset_min", "ref"],
        ACCOUNTS,
    )
    p = params("offhours_cash_business", peer_multiple=multiple)
    hits = offhours_cash_business(Context(ev, p, _kyc()))
    assert {h.account: h.observed for h in hits} == _oracle(rows, p["offhours_cash_business"])
    resolve_evidence(ev, hits)  # what evaluate() does: event indices → transaction ids
    for h in hits:  # evidence: the firm's off-hours cash inflows
        assert h.evidence and all(r.startswith("T") for r in h.evidence)


def test_local_time_decides() -> None:
    """Cash at 21:30 UTC is inside business hours in London and outside them in Vienna
    (UTC+2 in summer): only the UTC+2 parlour is open at night."""
    rows = [(f, d * DAY + 21 * 3600 + 1800, False, 900.0 if f == 0 else 100.0, -1, "cash",
             120 if f == 0 else 0, f"T{f}-{d}") for f in range(6) for d in range(10)]  # fmt: skip
    ev = events(
        rows,
        ["account", "ts", "outflow", "amount", "counterparty", "channel", "offset_min", "ref"],
        ACCOUNTS,
    )
    (hit,) = offhours_cash_business(Context(ev, params("offhours_cash_business"), _kyc()))
    assert hit.account == 0 and hit.observed == 1.0 and "100% in cash" in hit.detail
