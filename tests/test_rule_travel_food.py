"""``provisioning_food`` and ``geo_mobility`` against plain-Python oracles on random cases."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context
from fininvest.screening.rules.card import geo_mobility, provisioning_food

from .rule_cases import events, params

ACCOUNTS = ["A0", "A1", "A2"]
CITIES = ["Berlin", "Paris", "Rome", "Vienna", "Madrid"]
CITY_COUNTRY = ["DE", "FR", "IT", "AT", "ES"]
HOME = {"A0": "DE", "A1": "FR", "A2": None}

# (account, day, hour, mcc, city)
payment = st.tuples(
    st.integers(0, 2),
    st.integers(0, 80),
    st.integers(0, 23),
    st.sampled_from([5812, 5814, 5411, 7011]),
    st.integers(-1, 4),
)


def _ctx(rows: list[tuple[int, int, int, int, int]], p: dict[str, dict[str, object]]) -> Context:
    ev = events(
        [
            (a, d * DAY + h * 3600, True, 20.0, m, c, CITY_COUNTRY[c] if c >= 0 else None, f"C{i}")
            for i, (a, d, h, m, c) in enumerate(rows)
        ],
        ["account", "ts", "outflow", "amount", "mcc", "city_code", "country", "ref"],
        ACCOUNTS,
        CITIES,
    )
    kyc = {
        "accounts": pl.DataFrame({"account_id": ACCOUNTS, "holder_id": ["P0", "P1", "P2"]}),
        "parties": pl.DataFrame(
            {"party_id": ["P0", "P1", "P2"], "residence_country": [HOME[a] for a in ACCOUNTS]},
            schema_overrides={"residence_country": pl.String},
        ),
    }
    return Context(ev, p, kyc)


def _window_max(times: list[int], values: list[int], window: int, distinct: bool) -> int:
    best = 0
    for end in times:
        inside = [v for t, v in zip(times, values, strict=True) if end - window < t <= end]
        best = max(best, len(set(inside)) if distinct else len(inside))
    return best


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(payment, max_size=50), window=st.sampled_from([7, 30]), min_days=st.integers(1, 4)
)
def test_provisioning_food_matches_oracle(
    rows: list[tuple[int, int, int, int, int]], window: int, min_days: int
) -> None:
    hits = provisioning_food(
        _ctx(rows, params("provisioning_food", window_days=window, min_days=min_days))
    )
    want = {}
    for a in range(3):
        orders = sorted(
            (d * DAY + h * 3600, d) for aa, d, h, m, _c in rows if aa == a and m in (5812, 5814)
        )
        seconds, seen = [], {}
        for t, d in orders:  # the moment a day gets its second order
            seen[d] = seen.get(d, 0) + 1
            if seen[d] == 2:
                seconds.append(t)
        n = _window_max(seconds, seconds, window * DAY, distinct=False)
        if n >= min_days:
            want[a] = n
    assert {h.account: int(h.observed) for h in hits} == want


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(payment, max_size=50), window=st.sampled_from([7, 30]), k=st.integers(1, 4))
def test_geo_mobility_matches_oracle(
    rows: list[tuple[int, int, int, int, int]], window: int, k: int
) -> None:
    hits = geo_mobility(_ctx(rows, params("geo_mobility", window_days=window, min_cities=k)))
    want = {}
    for a, acc in enumerate(ACCOUNTS):
        home = HOME[acc]
        ev = sorted(
            (d * DAY + h * 3600, c)
            for aa, d, h, _m, c in rows
            if aa == a and home and c >= 0 and CITY_COUNTRY[c] != home
        )
        n = _window_max([t for t, _ in ev], [c for _, c in ev], window * DAY, distinct=True)
        count = _window_max([t for t, _ in ev], [c for _, c in ev], window * DAY, distinct=False)
        if n >= k and count >= k:
            want[a] = n
    assert {h.account: int(h.observed) for h in hits} == want
