"""``provisioning_food`` and ``geo_mobility`` against plain-Python oracles on random cases."""

from __future__ import annotations

import polars as pl
from hypothesis import event, given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context
from fininvest.screening.rules.card import (
    geo_mobility,
    provisioning_food,
    third_party_travel_payment,
)

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


# (account, day, hour, mcc, city, amount): lodging, a flight, ride-share, two subsistence
# codes, something else
travel = st.tuples(
    st.integers(0, 2),
    st.integers(0, 20),  # dense enough for the three conditions to meet often
    st.integers(0, 23),
    st.sampled_from([7011, 3501, 4511, 4121, 5812, 5411, 5999]),
    st.integers(-1, 4),
    st.sampled_from([10.0, 50.0, 200.0]),
)
KIND_OF = {7011: 0, 3501: 0, 4511: 1, 4121: 2, 5812: 3, 5411: 3}


def _travel_ctx(
    rows: list[tuple[int, int, int, int, int, float]],
    credits: list[tuple[int, int, float]],
    p: dict[str, dict[str, object]],
) -> Context:
    """Card payments of A0-A2 (persons) and credits to them from C0 (a company's account)."""
    accounts = [*ACCOUNTS, "C0"]
    ev = events(
        [(a, d * DAY + h * 3600, True, x, m, c, None, f"T{i}")
         for i, (a, d, h, m, c, x) in enumerate(rows)]
        + [(a, d * DAY, False, x, None, None, 3, f"K{i}") for i, (a, d, x) in enumerate(credits)],
        ["account", "ts", "outflow", "amount", "mcc", "city_code", "counterparty", "ref"],
        accounts,
        CITIES,
    )  # fmt: skip
    kyc = {
        "accounts": pl.DataFrame({"account_id": accounts, "holder_id": ["P0", "P1", "P2", "Q0"]}),
        "parties": pl.DataFrame(
            {"party_id": ["P0", "P1", "P2", "Q0"], "kind": ["person"] * 3 + ["company"]}
        ),
    }
    return Context(ev, p, kyc)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.one_of(st.lists(travel, max_size=6), st.lists(travel, min_size=20, max_size=60)),
    credits=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 20), st.sampled_from([50.0, 400.0])), max_size=4
    ),
    window=st.sampled_from([1, 7, 30]),
    min_kinds=st.integers(2, 4),
    min_cities=st.integers(2, 3),
    share=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_third_party_travel_payment_matches_oracle(
    rows: list[tuple[int, int, int, int, int, float]],
    credits: list[tuple[int, int, float]],
    window: int,
    min_kinds: int,
    min_cities: int,
    share: float,
) -> None:
    """Fires where some window holds lodging in ``min_lodging_cities`` cities, some window
    holds ``min_categories`` kinds of travel payment, and companies paid the account less than
    ``covered_share`` of its travel spend; observed: the most kinds in a window; the evidence
    holds both windows' payments."""
    p = params(
        "third_party_travel_payment",
        window_days=window,
        min_categories=min_kinds,
        min_lodging_cities=min_cities,
        covered_share=share,
    )
    hits = third_party_travel_payment(_travel_ctx(rows, credits, p))
    want = {}
    for a in range(3):
        mine = sorted((d * DAY + h * 3600, m, c, x) for aa, d, h, m, c, x in rows if aa == a)
        stays = [(t, c) for t, m, c, _x in mine if KIND_OF.get(m) == 0 and c >= 0]
        paid = [(t, KIND_OF[m]) for t, m, _c, _x in mine if m in KIND_OF]
        spent = sum(x for _t, m, _c, x in mine if m in KIND_OF)
        covered = sum(x for aa, _d, x in credits if aa == a)
        cities = _window_max([t for t, _ in stays], [c for _, c in stays], window * DAY, True)
        kinds = _window_max([t for t, _ in paid], [k for _, k in paid], window * DAY, True)
        if cities >= min_cities and kinds >= min_kinds and covered < share * spent:
            want[a] = kinds
    assert {h.account: int(h.observed) for h in hits} == want
    event(f"fires on {len(want)}")
    for h in hits:
        assert "cities" in h.detail and "kinds" in h.detail and "companies paid in" in h.detail
        assert len(h.evidence) >= min_kinds  # type: ignore[arg-type]
