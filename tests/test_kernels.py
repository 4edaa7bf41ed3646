"""Every numba kernel against a slow, obviously correct oracle, on random and edge-case input.

Events are generated unsorted and go through :func:`order_events`, the public path, so the
tests also cover the ordering (ties in time, inflows before outflows, stable otherwise).
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import _Flagged
from fininvest.screening.events import order_events
from fininvest.screening.kernels import (
    counterparty_periods,
    event_parts,
    fifo_pass_through,
    local_codes,
    outflow_after,
    top_counterparty,
    transfer_sides,
    window_count_max,
    window_count_max_of,
    window_distinct_max,
    window_distinct_max_sides,
    window_sum_max,
)


@st.composite
def event_sets(draw: st.DrawFn) -> dict[str, np.ndarray | int]:
    n_acc = draw(st.integers(min_value=1, max_value=5))
    n = draw(st.integers(min_value=0, max_value=60))
    span = draw(st.sampled_from([1, 10, 100, 10_000]))  # small spans force equal timestamps
    return {
        "n_acc": n_acc,
        "account": np.array(
            draw(st.lists(st.integers(0, n_acc - 1), min_size=n, max_size=n)), np.int64
        ),
        "ts": np.array(draw(st.lists(st.integers(0, span), min_size=n, max_size=n)), np.int64),
        "outflow": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), np.bool_),
        "flag": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), np.bool_),
        "category": np.array(draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n)), np.int64),
        "amount": np.array(
            draw(
                st.lists(st.sampled_from([0.0, 1.0, 2.5, 10.0, 99.99, 1e6]), min_size=n, max_size=n)
            ),
            np.float64,
        ),
        "window": draw(st.sampled_from([1, 2, 5, 10, 50, 10**9])),
    }


def _sorted(ev: dict) -> tuple[dict, np.ndarray]:  # type: ignore[type-arg]
    order, offsets = order_events(ev["account"], ev["ts"], ev["outflow"], ev["n_acc"])
    return {k: (v[order] if isinstance(v, np.ndarray) else v) for k, v in ev.items()}, offsets


def _per_account(ev: dict):  # type: ignore[no-untyped-def]
    """Oracle view: each account's events in (ts, inflow-first, input) order."""
    rows = sorted(
        range(len(ev["ts"])), key=lambda i: (ev["account"][i], ev["ts"][i], ev["outflow"][i], i)
    )
    out: dict[int, list[int]] = {a: [] for a in range(ev["n_acc"])}
    for i in rows:
        out[int(ev["account"][i])].append(i)
    return out


def oracle_count_max(ev: dict) -> list[int]:  # type: ignore[type-arg]
    best = []
    for rows in _per_account(ev).values():
        b = 0
        for i in rows:
            if ev["flag"][i]:
                t = ev["ts"][i]
                b = max(
                    b, sum(1 for j in rows if ev["flag"][j] and t - ev["window"] < ev["ts"][j] <= t)
                )
        best.append(b)
    return best


def oracle_sum_max(ev: dict) -> list[float]:  # type: ignore[type-arg]
    best = []
    for rows in _per_account(ev).values():
        b = 0.0
        for i in rows:
            if ev["flag"][i]:
                t = ev["ts"][i]
                b = max(
                    b,
                    sum(
                        ev["amount"][j]
                        for j in rows
                        if ev["flag"][j] and t - ev["window"] < ev["ts"][j] <= t
                    ),
                )
        best.append(b)
    return best


def oracle_distinct_max(ev: dict) -> list[int]:  # type: ignore[type-arg]
    best = []
    for rows in _per_account(ev).values():
        b = 0
        for i in rows:
            if ev["flag"][i] and ev["category"][i] >= 0:
                t = ev["ts"][i]
                cats = {
                    ev["category"][j]
                    for j in rows
                    if ev["flag"][j]
                    and ev["category"][j] >= 0
                    and t - ev["window"] < ev["ts"][j] <= t
                }
                b = max(b, len(cats))
        best.append(b)
    return best


def oracle_fifo(ev: dict, max_age: int) -> list[tuple[float, float]]:  # type: ignore[type-arg]
    out = []
    for rows in _per_account(ev).values():
        queue: deque[list[float]] = deque()  # [ts, remaining]
        total_in = got = 0.0
        for i in rows:
            t, amt = ev["ts"][i], ev["amount"][i]
            if not ev["outflow"][i]:
                total_in += amt
                queue.append([t, amt])
                continue
            need = amt
            while need > 0 and queue:
                if queue[0][0] < t - max_age or queue[0][1] <= 0:
                    queue.popleft()
                    continue
                take = min(need, queue[0][1])
                queue[0][1] -= take
                need -= take
                got += take
        out.append((got / total_in if total_in > 0 else float("nan"), got))
    return out


@settings(max_examples=300, deadline=None)  # the first call may compile the kernel
@given(event_sets())
def test_window_count_max_matches_oracle(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    best, at = window_count_max(offsets, s["ts"], s["flag"], ev["window"])
    assert best.tolist() == oracle_count_max(ev)
    for a in range(ev["n_acc"]):  # the anchor ends a window that really holds `best` events
        if best[a]:
            seg = slice(offsets[a], offsets[a + 1])
            t = s["ts"][at[a]]
            inside = (s["ts"][seg] > t - ev["window"]) & (s["ts"][seg] <= t) & s["flag"][seg]
            assert offsets[a] <= at[a] < offsets[a + 1] and inside.sum() >= best[a]
        else:
            assert at[a] == -1


@settings(max_examples=300, deadline=None)
@given(event_sets(), st.data())
def test_window_count_max_of_listed_accounts_matches_oracle(ev: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    """Counting only some accounts (any order, repeats, none at all) gives the oracle's count
    for each of them."""
    s, offsets = _sorted(ev)
    accounts = np.array(data.draw(st.lists(st.integers(0, ev["n_acc"] - 1), max_size=8)), np.int64)
    want = oracle_count_max(ev)
    got = window_count_max_of(offsets, s["ts"], s["flag"], ev["window"], accounts)
    assert got.tolist() == [want[a] for a in accounts.tolist()]


@settings(max_examples=300, deadline=None)
@given(event_sets(), st.booleans())
def test_flagged_events_compacted_give_the_same_windows(ev: dict, sparse: bool) -> None:  # type: ignore[type-arg]
    """The window rules hand the kernels only the flagged events when those are few
    (engine._Flagged), and count the best window of every account for the explanations: both
    must agree with the oracle."""
    if sparse:  # under a quarter flagged: the compacted path
        ev["flag"] = ev["flag"] & (np.arange(ev["flag"].shape[0]) % 5 == 0)
    s, offsets = _sorted(ev)
    sub = _Flagged(SimpleNamespace(offsets=offsets, ts=s["ts"]), s["flag"])  # type: ignore[arg-type]
    best, at = window_count_max(sub.offsets, sub.ts, sub.flag, ev["window"])
    want = oracle_count_max(ev)
    assert best.tolist() == want
    assert sub.counts(ev["window"], np.arange(ev["n_acc"])).tolist() == want
    distinct, _ = window_distinct_max(
        sub.offsets, sub.ts, sub.flag, sub.take(s["category"]), 5, ev["window"]
    )
    assert distinct.tolist() == oracle_distinct_max(ev)
    for a in np.flatnonzero(best):  # answers map back to flagged events of the account
        e = sub.event(at[a])
        assert s["flag"][e] and offsets[a] <= e < offsets[a + 1]


@settings(max_examples=300, deadline=None)
@given(event_sets())
def test_window_sum_max_matches_oracle(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    best, _at = window_sum_max(offsets, s["ts"], s["amount"], s["flag"], ev["window"])
    np.testing.assert_allclose(best, oracle_sum_max(ev), rtol=1e-9, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(event_sets())
def test_window_distinct_max_matches_oracle(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    best, _at = window_distinct_max(offsets, s["ts"], s["flag"], s["category"], 5, ev["window"])
    assert best.tolist() == oracle_distinct_max(ev)


@settings(max_examples=300, deadline=None)
@given(event_sets(), st.data())
def test_window_distinct_max_sides_is_two_single_passes(ev: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    n = s["ts"].shape[0]
    side = np.array(data.draw(st.lists(st.integers(-1, 1), min_size=n, max_size=n)), np.int8)
    best, at = window_distinct_max_sides(offsets, s["ts"], side, s["category"], 5, ev["window"])
    for g in (0, 1):
        want_best, want_at = window_distinct_max(
            offsets, s["ts"], side == g, s["category"], 5, ev["window"]
        )
        assert best[:, g].tolist() == want_best.tolist()
        assert at[:, g].tolist() == want_at.tolist()


@settings(max_examples=300, deadline=None)
@given(event_sets(), st.sampled_from([0, 1, 5, 50, 10**9]))
def test_fifo_pass_through_matches_oracle(ev: dict, max_age: int) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    ratio, matched = fifo_pass_through(offsets, s["ts"], s["amount"], s["outflow"], max_age)
    expected = oracle_fifo(ev, max_age)
    np.testing.assert_allclose(ratio, [e[0] for e in expected], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(matched, [e[1] for e in expected], rtol=1e-12)


@settings(max_examples=300, deadline=None)
@given(event_sets())
def test_outflow_after_matches_oracle(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    at = np.flatnonzero(s["flag"])  # inflows and outflows: an outflow gets NaN
    sums = outflow_after(
        offsets, s["account"], s["ts"], s["amount"], s["outflow"], at, ev["window"]
    )
    got = dict(zip(at.tolist(), sums.tolist(), strict=True))
    for a in range(ev["n_acc"]):
        for i in range(offsets[a], offsets[a + 1]):
            if i not in got:
                continue
            if not s["outflow"][i]:
                t = s["ts"][i]
                seg = range(offsets[a], offsets[a + 1])
                expected = sum(
                    s["amount"][j]
                    for j in seg
                    if s["outflow"][j] and t < s["ts"][j] <= t + ev["window"]
                )
                assert abs(got[i] - expected) <= 1e-9 * max(1.0, expected)
            else:
                assert np.isnan(got[i])


@settings(max_examples=300, deadline=None)
@given(event_sets())
def test_top_counterparty_matches_oracle(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)  # category stands for the counterparty (−1: none)
    top, top_amount, total = top_counterparty(offsets, s["flag"], s["category"], s["amount"], 5)
    for a, rows in _per_account(ev).items():
        sums: dict[int, float] = {}
        for i in rows:
            if ev["flag"][i] and ev["category"][i] >= 0:
                cp = int(ev["category"][i])
                sums[cp] = sums.get(cp, 0.0) + float(ev["amount"][i])
        if not sums:
            assert top[a] == -1 and total[a] == 0.0
            continue
        best = max(sums.values())
        assert top[a] == min(cp for cp, x in sums.items() if x == best)
        assert top_amount[a] == pytest.approx(best)
        assert total[a] == pytest.approx(sum(sums.values()))


@settings(max_examples=300, deadline=None)
@given(event_sets())
def test_local_codes_keep_distinct_counts(ev: dict) -> None:  # type: ignore[type-arg]
    s, offsets = _sorted(ev)
    local, most = local_codes(offsets, s["category"], 5)
    for a in range(ev["n_acc"]):
        seg = range(offsets[a], offsets[a + 1])
        seen: dict[int, int] = {}  # oracle: number categories by first appearance
        for i in seg:
            c = int(s["category"][i])
            want = -1 if c < 0 else seen.setdefault(c, len(seen))
            assert local[i] == want
        assert most >= len(seen)
    # the distinct-count kernel gives the same answer on local codes with `most` slots
    best, at = window_distinct_max(offsets, s["ts"], s["flag"], s["category"], 5, ev["window"])
    best_l, at_l = window_distinct_max(
        offsets, s["ts"], s["flag"], local, max(most, 1), ev["window"]
    )
    assert best.tolist() == best_l.tolist() and at.tolist() == at_l.tolist()


@settings(max_examples=200, deadline=None)
@given(event_sets(), st.sampled_from([1, 7, 50]))
def test_counterparty_periods_match_oracle(ev: dict, period: int) -> None:  # type: ignore[type-arg]
    """Distinct counterparties and those dealt with in two or more periods, per account,
    against a plain count over (account, counterparty) pairs."""
    s, offsets = _sorted(ev)
    local, _ = local_codes(offsets, s["category"], 5)
    accounts = np.arange(ev["n_acc"], dtype=np.int64)
    partners, recurring = counterparty_periods(offsets, local, s["ts"], accounts, period)
    for a in range(ev["n_acc"]):
        periods: dict[int, set[int]] = {}
        for i in range(offsets[a], offsets[a + 1]):
            if s["category"][i] >= 0:
                periods.setdefault(int(s["category"][i]), set()).add(int(s["ts"][i]) // period)
        assert partners[a] == len(periods)
        assert recurring[a] == sum(len(p) >= 2 for p in periods.values())


def test_edge_cases() -> None:
    empty = np.zeros(0, np.int64)
    order, offsets = order_events(empty, empty, np.zeros(0, np.bool_), 3)
    assert offsets.tolist() == [0, 0, 0, 0]
    best, at = window_count_max(offsets, empty, np.zeros(0, np.bool_), 10)
    assert best.tolist() == [0, 0, 0] and at.tolist() == [-1, -1, -1]
    # exactly on the window boundary: (t - W, t] excludes an event W seconds earlier
    ts = np.array([0, 10, 20], np.int64)
    flag = np.ones(3, np.bool_)
    off = np.array([0, 3], np.int64)
    assert window_count_max(off, ts, flag, 10)[0].tolist() == [1]
    assert window_count_max(off, ts, flag, 11)[0].tolist() == [2]
    # an outflow at the same second as an inflow consumes it (inflows sort first)
    order, off = order_events(
        np.zeros(2, np.int64), np.array([5, 5], np.int64), np.array([True, False]), 1
    )
    amount = np.array([100.0, 100.0])[order]
    ratio, _ = fifo_pass_through(
        off, np.array([5, 5], np.int64), amount, np.array([True, False])[order], 0
    )
    assert ratio.tolist() == [1.0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 50) | st.integers(0, 5_000), max_size=300),
    st.integers(1, 80),
)
def test_event_parts_cover_every_account_once_with_balanced_events(
    sizes: list[int], n_parts: int
) -> None:
    """The parallel parts of the per-account kernels: consecutive runs of whole accounts that
    cover every account exactly once, each holding at most its share of the events plus one
    account (an account is never split) — so each thread's block of parts holds about half."""
    offsets = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    cut = event_parts(offsets, n_parts)
    assert cut.shape[0] == n_parts + 1 and cut[0] == 0 and cut[-1] == len(sizes)
    assert np.all(np.diff(cut) >= 0)
    total, biggest = int(offsets[-1]), max(sizes, default=0)
    for p in range(n_parts):
        held = int(offsets[cut[p + 1]] - offsets[cut[p]])
        assert held <= -(-total // n_parts) + biggest
    half = n_parts // 2  # on two threads, numba's static schedule splits the parts about here
    first = int(offsets[cut[half]])
    assert abs(first - total * half / n_parts) <= biggest + 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 5), st.booleans()), max_size=50))
def test_transfer_sides_is_the_plain_where(events: list[tuple[int, bool]]) -> None:
    cp = np.array([c for c, _ in events], np.int32)
    out = np.array([o for _, o in events], np.bool_)
    want = np.where(cp >= 0, out.astype(np.int8), np.int8(-1))
    got = transfer_sides(cp, out)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)
