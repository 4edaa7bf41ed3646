"""``lodging_deposit_colocation`` against a slow, obviously correct oracle on random cases."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context
from fininvest.screening.events import Events
from fininvest.screening.rules.card import lodging_deposit_colocation

from .rule_cases import events, params

CITIES = ["Berlin", "Munich", "Hamburg", "Cologne"]
ACCOUNTS = ["A0", "A1", "A2", "A3"]
HOLDER = {"A0": "P0", "A1": "P1", "A2": "P2", "A3": "P3"}

# (kind, account, day, hour, city, depositor)
event = st.tuples(
    st.sampled_from(["stay", "cash"]),
    st.integers(0, 3),
    st.integers(0, 70),
    st.integers(0, 23),
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(0, 3)),
)


COLUMNS = [
    "account",
    "ts",
    "outflow",
    "amount",
    "channel",
    "mcc",
    "city_code",
    "depositor_id",
    "ref",
]


def _events(rows: list[tuple[str, int, int, int, int, int | None]]) -> Events:
    return events(
        [
            (
                a,
                d * DAY + h * 3600,
                k == "stay",
                100.0,
                "card" if k == "stay" else "cash",
                7011 if k == "stay" else None,
                c,
                f"P{p}" if (k == "cash" and p is not None) else None,
                f"T{i}",
            )
            for i, (k, a, d, h, c, p) in enumerate(rows)
        ],
        COLUMNS,
        ACCOUNTS,
        CITIES,
    )


def _oracle(
    rows: list[tuple[str, int, int, int, int, int | None]], tol_days: float, min_cities: int
) -> dict[int, int]:
    """Per lodging account: most distinct matched cities among matches in any 30-day window."""
    stays = [(a, d * DAY + h * 3600, c) for k, a, d, h, c, _p in rows if k == "stay"]
    matches: dict[int, list[tuple[int, int]]] = {}
    for k, a, d, h, c, p in rows:
        if k != "cash":
            continue
        by = p if p is not None else a  # the depositor's account, else the receiving one
        t = d * DAY + h * 3600
        for sa, st_, sc in stays:
            if sa == by and sc == c and abs(t - st_) <= tol_days * DAY:
                matches.setdefault(by, []).append((t, c))
    out = {}
    for a, ms in matches.items():
        best = max(len({c for t, c in ms if end - 30 * DAY < t <= end}) for end, _ in ms)
        if best >= min_cities:
            out[a] = best
    return out


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(event, max_size=40),
    tol=st.sampled_from([0, 1, 2, 5]),
    min_cities=st.integers(1, 3),
)
def test_lodging_deposit_colocation_matches_oracle(
    rows: list[tuple[str, int, int, int, int, int | None]], tol: int, min_cities: int
) -> None:
    kyc = {
        "accounts": pl.DataFrame(
            {"account_id": ACCOUNTS, "holder_id": [HOLDER[a] for a in ACCOUNTS]}
        )
    }
    p = params("lodging_deposit_colocation", tolerance_days=tol, min_cities=min_cities)
    ctx = Context(_events(rows), p, kyc)
    hits = lodging_deposit_colocation(ctx)
    assert {h.account: int(h.observed) for h in hits} == _oracle(rows, tol, min_cities)
    for h in hits:
        assert h.evidence  # the stays and deposits that matched
