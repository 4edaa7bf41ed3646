"""``wage_kickback_cycle`` against a slow, obviously correct oracle on random transfer graphs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context
from fininvest.screening.events import Events
from fininvest.screening.rules.flows import wage_kickback_cycle

from .rule_cases import events, params

N = 6  # accounts 0..5
# (from, to, day, hour, amount, is_payroll)
transfer = st.tuples(
    st.integers(0, N - 1),
    st.integers(0, N - 1),
    st.integers(0, 60),
    st.integers(0, 23),
    st.sampled_from([100.0, 300.0, 500.0, 1000.0]),
    st.booleans(),
)


def _events(rows: list[tuple[int, int, int, int, float, bool]]) -> Events:
    recs = []
    for i, (a, b, d, h, x, pay) in enumerate(rows):
        if a == b:
            continue
        for acc, cp, out in ((a, b, True), (b, a, False)):  # both ends see the transfer
            recs.append(
                (acc, d * DAY + h * 3600, out, x, cp, "payroll" if pay else "sepa", f"T{i}")
            )
    columns = ["account", "ts", "outflow", "amount", "counterparty", "channel", "ref"]
    return events(recs, columns, [f"A{i}" for i in range(N)])


def _oracle(
    rows: list[tuple[int, int, int, int, float, bool]], share: float, days: float, min_cycles: int
) -> dict[int, int]:
    tx = [(a, b, d * DAY + h * 3600, x, pay) for a, b, d, h, x, pay in rows if a != b]
    deals = {(a, b) for a, b, *_ in tx} | {(b, a) for a, b, *_ in tx}
    cycles: dict[int, set[int]] = {}
    for i, (emp, w, tw, wage, pay) in enumerate(tx):
        if not pay:
            continue
        legs = [
            (r, y)
            for (s, r, t, y, _p) in tx
            if s == w and r != w and tw < t <= tw + days * DAY and (r == emp or (emp, r) in deals)
        ]
        if legs and sum(y for _r, y in legs) >= share * wage:
            for r, _y in legs:
                cycles.setdefault(r, set()).add(i)
    return {r: len(c) for r, c in cycles.items() if len(c) >= min_cycles}


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(transfer, max_size=30),
    share=st.sampled_from([0.1, 0.5, 0.9]),
    days=st.sampled_from([1, 7]),
    min_cycles=st.integers(1, 3),
)
def test_wage_kickback_cycle_matches_oracle(
    rows: list[tuple[int, int, int, int, float, bool]], share: float, days: int, min_cycles: int
) -> None:
    p = params("wage_kickback_cycle", share_back=share, within_days=days, min_cycles=min_cycles)
    hits = wage_kickback_cycle(Context(_events(rows), p))
    assert {h.account: int(h.observed) for h in hits} == _oracle(rows, share, days, min_cycles)
