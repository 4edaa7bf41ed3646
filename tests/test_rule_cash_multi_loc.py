"""``third_party_cash_multi_loc``: its sentence, its observed value and its evidence are the
same window's events, and it fires exactly where one window holds both thresholds (oracle)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context, resolve_evidence
from fininvest.screening.rules.flows import third_party_cash_multi_loc

from .rule_cases import events, params

CITIES = ["Berlin", "Munich", "Hamburg", "Cologne", "Bremen"]
ACCOUNTS = ["A0", "A1"]
COLUMNS = ["account", "ts", "outflow", "amount", "channel", "city_code", "depositor_id", "ref"]

# (account, day, city, by a third party)
deposit = st.tuples(st.integers(0, 1), st.integers(0, 80), st.integers(0, 4), st.booleans())


def _case(rows: list[tuple[int, int, int, bool]]) -> tuple[Context, dict[str, tuple[int, int]]]:
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    ev = events(
        [
            (a, d * DAY + i, False, 500.0, "cash", c, "P9" if third else None, f"T{i}")
            for i, (a, d, c, third) in enumerate(rows)
        ],
        COLUMNS,
        ACCOUNTS,
        CITIES,
    )
    p = params("third_party_cash_multi_loc", window_days=30, min_deposits=5, min_locations=3)
    # the oracle: each deposit by its id, to check the evidence against
    by_ref = {f"T{i}": (a, d * DAY + i, c) for i, (a, d, c, third) in enumerate(rows) if third}
    return Context(ev, p, {}), by_ref  # type: ignore[return-value]


def _oracle(by_ref: dict[str, tuple[int, int, int]]) -> set[int]:
    """Accounts where some 30-day window holds ≥ 5 third-party deposits in ≥ 3 cities."""
    out = set()
    for a, end, _c in by_ref.values():
        inside = [(t, c) for b, t, c in by_ref.values() if b == a and end - 30 * DAY < t <= end]
        if len(inside) >= 5 and len({c for _t, c in inside}) >= 3:
            out.add(a)
    return out


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(deposit, max_size=30))
def test_sentence_and_evidence_agree_and_fire_as_the_oracle(
    rows: list[tuple[int, int, int, bool]],
) -> None:
    ctx, by_ref = _case(rows)
    hits = third_party_cash_multi_loc(ctx)
    resolve_evidence(ctx.ev, hits)
    assert {h.account for h in hits} == _oracle(by_ref)
    for h in hits:
        said = re.match(r"(\d+) cash deposits by third parties in (\d+) different cities", h.detail)
        assert said, h.detail
        evidence = [by_ref[r] for r in h.evidence]  # every one a third-party cash deposit
        assert int(said.group(1)) == len(evidence) == h.evidence_total
        assert int(said.group(2)) == len({c for _a, _t, c in evidence}) == h.observed
        times = [t for _a, t, _c in evidence]
        assert max(times) - min(times) < 30 * DAY  # one window
        assert {a for a, _t, _c in evidence} == {h.account}


def test_count_and_evidence_agree_where_the_busiest_window_is_not_the_widest() -> None:
    """Six deposits in one city first, then four in three cities: the window with most
    deposits (day 0–9: 6 + …) and the window with most cities differ; the explanation names
    the events of one window only."""
    rows = [(0, d, 0, True) for d in range(6)] + [(0, 40 + d, d % 3, True) for d in range(5)]
    ctx, by_ref = _case(rows)
    hits = third_party_cash_multi_loc(ctx)
    resolve_evidence(ctx.ev, hits)
    assert len(hits) == 1
    assert hits[0].detail.startswith(f"{len(hits[0].evidence)} cash deposits")
