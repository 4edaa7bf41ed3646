"""``payouts_to_workers`` against a plain-Python oracle on random transfer graphs."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context
from fininvest.screening.rules.flows import payouts_to_workers

from .rule_cases import events, params

N = 7
# (from, to, day, card payment instead of a transfer)
move = st.tuples(st.integers(0, N - 1), st.integers(0, N - 1), st.integers(0, 120), st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    moves=st.lists(move, max_size=40),
    companies=st.sets(st.integers(0, N - 1), max_size=3),
    min_payees=st.integers(2, 3),
    min_months=st.integers(1, 3),
)
def test_payouts_to_workers_matches_oracle(
    moves: list[tuple[int, int, int, bool]], companies: set[int], min_payees: int, min_months: int
) -> None:
    recs = []
    for i, (a, b, d, card) in enumerate(moves):
        if card:
            recs.append((a, d * DAY, True, 10.0, -1, 5411, f"C{i}"))
        elif a != b:
            recs.append((a, d * DAY, True, 10.0, b, None, f"T{i}"))
            recs.append((b, d * DAY, False, 10.0, a, None, f"T{i}"))
    accounts = [f"A{i}" for i in range(N)]
    columns = ["account", "ts", "outflow", "amount", "counterparty", "mcc", "ref"]
    kyc = {
        "accounts": pl.DataFrame(
            {"account_id": accounts, "holder_id": [f"P{i}" for i in range(N)]}
        ),
        "parties": pl.DataFrame(
            {
                "party_id": [f"P{i}" for i in range(N)],
                "kind": ["company" if i in companies else "person" for i in range(N)],
            }
        ),
    }
    p = params("payouts_to_workers", min_payees=min_payees, min_months=min_months)
    hits = payouts_to_workers(Context(events(recs, columns, accounts), p, kyc))

    want = {}
    for a in range(N):
        if a in companies:
            continue
        business = any(x == a and (card or (y != a and y in companies)) for x, y, _d, card in moves)
        if business:
            continue
        months: dict[int, set[int]] = {}
        for x, y, d, card in moves:
            if x == a and not card and y != a and y not in companies:
                months.setdefault(y, set()).add(d * DAY // (30 * DAY))
        payees = sum(1 for m in months.values() if len(m) >= min_months)
        if payees >= min_payees:
            want[a] = payees
    assert {h.account: int(h.observed) for h in hits} == want
