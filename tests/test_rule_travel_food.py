"""``provisioning_food`` and ``geo_mobility`` against plain-Python oracles on random cases."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.indicators.catalogue import load_catalogue
from fininvest.screening.engine import DAY, Context
from fininvest.screening.events import Events
from fininvest.screening.rules.card import geo_mobility, provisioning_food

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


def _params(ind: str, **over: object) -> dict[str, dict[str, object]]:
    p = {x.name: x.default for x in load_catalogue()[ind].parameters.values()}
    return {ind: {**p, **over}}


def _ctx(
    rows: list[tuple[int, int, int, int, int]], params: dict[str, dict[str, object]]
) -> Context:
    frame = pl.DataFrame(
        {
            "account": [a for a, *_ in rows],
            "ts": [d * DAY + h * 3600 for _a, d, h, _m, _c in rows],
            "outflow": [True] * len(rows),
            "amount": [20.0] * len(rows),
            "counterparty": [-1] * len(rows),
            "mcc": [m for *_, m, _c in rows],
            "city_code": [c for *_, c in rows],
            "country": [CITY_COUNTRY[c] if c >= 0 else None for *_, c in rows],
            "ref": [f"C{i}" for i in range(len(rows))],
        },
        schema={
            "account": pl.Int64,
            "ts": pl.Int64,
            "outflow": pl.Boolean,
            "amount": pl.Float64,
            "counterparty": pl.Int64,
            "mcc": pl.Int64,
            "city_code": pl.Int64,
            "country": pl.String,
            "ref": pl.String,
        },
    )
    kyc = {
        "accounts": pl.DataFrame({"account_id": ACCOUNTS, "holder_id": ["P0", "P1", "P2"]}),
        "parties": pl.DataFrame(
            {"party_id": ["P0", "P1", "P2"], "residence_country": [HOME[a] for a in ACCOUNTS]},
            schema_overrides={"residence_country": pl.String},
        ),
    }
    return Context(Events(frame, ACCOUNTS, CITIES), params, kyc)


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
        _ctx(rows, _params("provisioning_food", window_days=window, min_days=min_days))
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
    hits = geo_mobility(_ctx(rows, _params("geo_mobility", window_days=window, min_cities=k)))
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
