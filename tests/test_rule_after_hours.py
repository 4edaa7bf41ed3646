"""``after_hours_venue_card`` (merchant level) against a plain-Python oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import Context
from fininvest.screening.rules.card import after_hours_venue_card

from .rule_cases import params

T0 = datetime(2025, 3, 1, tzinfo=UTC)
# (merchant, mcc, minutes after T0, offset minutes)
payment = st.tuples(
    st.integers(0, 3),
    st.sampled_from([7297, 7230, 5812]),
    st.integers(0, 60 * 24 * 20),
    st.sampled_from([None, -300, 0, 60, 120, 330]),
)


def _oracle(
    rows: list[tuple[int, int, int, int | None]],
    start: int,
    end: int,
    share: float,
    min_n: int,
    mccs: list[int],
) -> dict[str, float]:
    counts: dict[str, list[int]] = {}
    for m, mcc, minutes, off in rows:
        if mcc not in mccs:
            continue
        hour = (T0 + timedelta(minutes=minutes + (off or 0))).hour
        night = (hour >= start or hour < end) if start > end else (start <= hour < end)
        c = counts.setdefault(f"M{m}", [0, 0])
        c[0] += 1
        c[1] += night
    return {m: round(k / n, 4) for m, (n, k) in counts.items() if n >= min_n and k >= share * n}


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(payment, max_size=60),
    start=st.integers(0, 23),
    end=st.integers(0, 23),
    share=st.sampled_from([0.0, 0.3, 0.6]),
    min_n=st.integers(1, 5),
)
def test_after_hours_venue_card_matches_oracle(
    rows: list[tuple[int, int, int, int | None]], start: int, end: int, share: float, min_n: int
) -> None:
    p = params(
        "after_hours_venue_card",
        night_start_hour=start,
        night_end_hour=end,
        min_night_share=share,
        min_payments=min_n,
    )
    card = pl.DataFrame(
        {
            "txn_id": [f"C{i}" for i in range(len(rows))],
            "merchant_id": [f"M{m}" for m, *_ in rows],
            "merchant_name": [None] * len(rows),
            "mcc": [mcc for _m, mcc, *_ in rows],
            "ts": [T0 + timedelta(minutes=mi) for _m, _c, mi, _o in rows],
            "ts_offset_min": [o for *_, o in rows],
        },
        schema={
            "txn_id": pl.String,
            "merchant_id": pl.String,
            "merchant_name": pl.String,
            "mcc": pl.Int64,
            "ts": pl.Datetime("ms", "UTC"),
            "ts_offset_min": pl.Int64,
        },
    )
    ctx = Context(None, p, {"card_transactions": card})  # type: ignore[arg-type]
    hits = after_hours_venue_card(ctx)
    got = {h.entity: h.observed for h in hits}
    assert got == _oracle(rows, start, end, share, min_n, p["after_hours_venue_card"]["mccs"])
    assert all(h.entity_kind == "merchant" and h.account == -1 for h in hits)
