"""Numba kernels over per-account event streams.

Every kernel takes events already ordered by (account, time, direction) — inflows before
outflows at the same second — with ``offsets`` delimiting each account's segment
(``offsets[a]:offsets[a + 1]``), makes one pass with two pointers per window, and returns one
value per account plus the index of the event where that value was reached (the evidence
anchor). A window at event *i* covers the same account's events with time in
``(t_i - window, t_i]``.

Each kernel has a slow, obviously correct oracle in ``tests/test_kernels.py`` and hypothesis
tests comparing both on random input. Use :func:`fininvest.screening.events.order_events` to
get the order and offsets; never call a kernel on unsorted input.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: parallel parts of the per-account kernels: numba hands each thread a contiguous block of
#: parts, so with parts of about equal events both cores get about half the work
PARTS = 64


@njit(cache=True, nogil=True)
def _n_chunks(n_acc: int, slots: int) -> int:  # pragma: no cover - compiled
    """Parallel chunks for a kernel that keeps one scratch array of ``slots`` per chunk: at
    most 256, and at most 2^24 slots (128 MB of int64) in all."""
    return max(1, min(n_acc, 256, (1 << 24) // max(slots, 1)))


@njit(cache=True, nogil=True)
def event_parts(offsets: np.ndarray, n_parts: int) -> np.ndarray:  # pragma: no cover
    """Cut the accounts into ``n_parts`` runs of consecutive accounts holding about equal
    numbers of events: part p is accounts ``cut[p]:cut[p + 1]``.

    A ``prange`` over accounts splits them evenly by count, so with skewed activity (one
    settlement or funnel account holding a fifth of all events, as in the 10M-row benchmark)
    one core did most of the work; cut by events, each thread's block of parts holds about
    its share. An account is never split, so a part is empty where one account holds more
    than a part's share. O(n_parts log n_accounts).

    >>> event_parts(np.array([0, 6, 7, 8, 9, 10, 11, 12]), 2).tolist()
    [0, 1, 7]
    """
    n_acc = offsets.shape[0] - 1
    n_parts = max(1, n_parts)
    cut = np.empty(n_parts + 1, np.int64)
    cut[0] = 0
    total = offsets[n_acc] - offsets[0] if n_acc > 0 else 0
    for p in range(1, n_parts):
        target = offsets[0] + total * p // n_parts
        a = np.searchsorted(offsets, target)  # first account starting at or after the target
        cut[p] = min(max(cut[p - 1], a), n_acc)
    cut[n_parts] = n_acc
    return cut


@njit(cache=True, parallel=True, nogil=True)
def transfer_sides(counterparty: np.ndarray, outflow: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Per event: 1 for money sent to a known account, 0 for money received from one, −1 for
    the rest (cash, card payments, unknown counterparties) — the ``side`` that
    :func:`window_distinct_max_sides` counts on, in one parallel pass (``np.where`` over 17M
    events made three temporaries on one core).

    >>> transfer_sides(np.array([3, -1, 0]), np.array([True, True, False])).tolist()
    [1, -1, 0]
    """
    out = np.empty(counterparty.shape[0], np.int8)
    for i in prange(counterparty.shape[0]):
        out[i] = (1 if outflow[i] else 0) if counterparty[i] >= 0 else -1
    return out


@njit(cache=True, nogil=True, inline="always")
def _count_max_in(
    ts: np.ndarray, flag: np.ndarray, start: int, stop: int, window: int
) -> tuple[int, int]:  # pragma: no cover - compiled
    """The most flagged events in one window among events ``start:stop`` (one account's
    segment), and the event ending that window (−1 when none is flagged)."""
    best, at = 0, -1
    lo, count = start, 0
    for i in range(start, stop):
        if flag[i]:
            count += 1
        while ts[lo] <= ts[i] - window:
            if flag[lo]:
                count -= 1
            lo += 1
        if flag[i] and count > best:
            best, at = count, i
    return best, at


@njit(cache=True, parallel=True, nogil=True)
def window_count_max(
    offsets: np.ndarray, ts: np.ndarray, flag: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per account: the largest number of flagged events in any window, and where.

    Parameters
    ----------
    offsets : int64[n_accounts + 1], segment bounds of each account.
    ts : int64 event times (seconds), ascending within each segment.
    flag : bool, which events count.
    window : window length in seconds (> 0).

    Returns
    -------
    best : int64[n_accounts], the maximum count (0 if no flagged event).
    at : int64[n_accounts], index of the last event of the best window (-1 if none).

    Notes
    -----
    O(n) per account: the left pointer only moves forward. In parallel over parts of about
    equal events (:func:`event_parts`).
    """
    n_acc = offsets.shape[0] - 1
    best = np.zeros(n_acc, np.int64)
    at = np.full(n_acc, -1, np.int64)
    cut = event_parts(offsets, PARTS)
    for part in prange(PARTS):
        for a in range(cut[part], cut[part + 1]):
            best[a], at[a] = _count_max_in(ts, flag, offsets[a], offsets[a + 1], window)
    return best, at


@njit(cache=True, parallel=True, nogil=True)
def window_count_max_of(
    offsets: np.ndarray, ts: np.ndarray, flag: np.ndarray, window: int, accounts: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """:func:`window_count_max`'s ``best`` for the listed ``accounts`` only (in their order;
    repeats allowed), reading only their segments.

    For the counts an explanation quotes once a rule has fired on other grounds: at 10M rows
    the fan-in rule fires on accounts holding 0.1% of the 17M events, so counting every
    account's windows (0.10 s) was almost all waste. In parallel over parts of about equal
    events of the listed accounts. O(events of the listed accounts + len(accounts)).

    >>> ts = np.array([0, 5, 9, 100, 0, 1], np.int64)
    >>> window_count_max_of(np.array([0, 4, 6]), ts, ts >= 0, 10, np.array([1, 0])).tolist()
    [2, 3]
    """
    k = accounts.shape[0]
    seen = np.zeros(k + 1, np.int64)  # events of the listed accounts before each
    for j in range(k):
        seen[j + 1] = seen[j] + offsets[accounts[j] + 1] - offsets[accounts[j]]
    best = np.zeros(k, np.int64)
    cut = event_parts(seen, PARTS)
    for part in prange(PARTS):
        for j in range(cut[part], cut[part + 1]):
            a = accounts[j]
            best[j] = _count_max_in(ts, flag, offsets[a], offsets[a + 1], window)[0]
    return best


@njit(cache=True, parallel=True, nogil=True)
def window_sum_max(
    offsets: np.ndarray, ts: np.ndarray, value: np.ndarray, flag: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per account: the largest sum of ``value`` over flagged events in any window, and where.

    Same window semantics as :func:`window_count_max`; returns (best sum, anchor index or -1).
    The running sum is recomputed when the window empties, so rounding does not drift.
    """
    n_acc = offsets.shape[0] - 1
    best = np.zeros(n_acc)
    at = np.full(n_acc, -1, np.int64)
    cut = event_parts(offsets, PARTS)
    for part in prange(PARTS):
        for a in range(cut[part], cut[part + 1]):
            lo = offsets[a]
            total = 0.0
            inside = 0
            for i in range(offsets[a], offsets[a + 1]):
                if flag[i]:
                    total += value[i]
                    inside += 1
                while ts[lo] <= ts[i] - window:
                    if flag[lo]:
                        total -= value[lo]
                        inside -= 1
                    lo += 1
                if inside == 0:
                    total = 0.0
                if flag[i] and (at[a] < 0 or total > best[a]):
                    best[a] = total
                    at[a] = i
    return best, at


@njit(cache=True, parallel=True, nogil=True)
def window_distinct_max(
    offsets: np.ndarray,
    ts: np.ndarray,
    flag: np.ndarray,
    category: np.ndarray,
    n_categories: int,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Per account: the largest number of distinct categories among flagged events in any
    window (e.g. distinct cities of cash deposits within 30 days), and where.

    ``category`` holds codes in ``[0, n_categories)``; negative codes (unknown) never count.
    Each parallel chunk keeps one count array of ``n_categories`` slots, reset per account.
    """
    n_acc = offsets.shape[0] - 1
    best = np.zeros(n_acc, np.int64)
    at = np.full(n_acc, -1, np.int64)
    # one count array per parallel chunk: cap their total at 2^24 slots (128 MB)
    n_chunks = _n_chunks(n_acc, n_categories)
    cut = event_parts(offsets, n_chunks)  # parts of about equal events
    for c in prange(n_chunks):
        counts = np.zeros(n_categories, np.int64)
        for a in range(cut[c], cut[c + 1]):
            lo = offsets[a]
            distinct = 0
            for i in range(offsets[a], offsets[a + 1]):
                if flag[i] and category[i] >= 0:
                    if counts[category[i]] == 0:
                        distinct += 1
                    counts[category[i]] += 1
                while ts[lo] <= ts[i] - window:
                    if flag[lo] and category[lo] >= 0:
                        counts[category[lo]] -= 1
                        if counts[category[lo]] == 0:
                            distinct -= 1
                    lo += 1
                if flag[i] and category[i] >= 0 and distinct > best[a]:
                    best[a] = distinct
                    at[a] = i
            for j in range(lo, offsets[a + 1]):  # reset what is still in the window
                if flag[j] and category[j] >= 0:
                    counts[category[j]] = 0
    return best, at


@njit(cache=True, parallel=True, nogil=True)
def window_distinct_max_sides(
    offsets: np.ndarray,
    ts: np.ndarray,
    side: np.ndarray,
    category: np.ndarray,
    n_categories: int,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`window_distinct_max` for two kinds of events in one pass: ``side`` is 0 or 1
    per event (−1: neither), and column g of the results is exactly what
    ``window_distinct_max(..., side == g, ...)`` returns. Distinct senders (inflows) and
    distinct payees (outflows) of every account in one walk over the events instead of two.

    Returns
    -------
    best, at : int64[n_accounts, 2].
    """
    n_acc = offsets.shape[0] - 1
    best = np.zeros((n_acc, 2), np.int64)
    at = np.full((n_acc, 2), -1, np.int64)
    n_chunks = _n_chunks(n_acc, 2 * n_categories)
    cut = event_parts(offsets, n_chunks)  # parts of about equal events
    for c in prange(n_chunks):
        counts = np.zeros(2 * n_categories, np.int64)  # side g counts at g * n_categories
        distinct = np.zeros(2, np.int64)
        for a in range(cut[c], cut[c + 1]):
            lo = offsets[a]
            distinct[:] = 0
            for i in range(offsets[a], offsets[a + 1]):
                g = side[i]
                if g >= 0 and category[i] >= 0:
                    k = g * n_categories + category[i]
                    if counts[k] == 0:
                        distinct[g] += 1
                    counts[k] += 1
                while ts[lo] <= ts[i] - window:
                    h = side[lo]
                    if h >= 0 and category[lo] >= 0:
                        k = h * n_categories + category[lo]
                        counts[k] -= 1
                        if counts[k] == 0:
                            distinct[h] -= 1
                    lo += 1
                if g >= 0 and category[i] >= 0 and distinct[g] > best[a, g]:
                    best[a, g] = distinct[g]
                    at[a, g] = i
            for j in range(lo, offsets[a + 1]):  # reset what is still in the window
                if side[j] >= 0 and category[j] >= 0:
                    counts[side[j] * n_categories + category[j]] = 0
    return best, at


@njit(cache=True, parallel=True, nogil=True)
def fifo_pass_through(
    offsets: np.ndarray, ts: np.ndarray, amount: np.ndarray, outflow: np.ndarray, max_age: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Per account: the share of inflows passed on within ``max_age`` seconds (FIFO).

    Each outflow consumes the oldest inflow that still has a remaining amount and is at most
    ``max_age`` seconds old; older inflows expire unconsumed.

    Returns
    -------
    ratio : float64[n_accounts], matched / total inflow (NaN if the account had no inflow).
    matched : float64[n_accounts], the amount passed on.

    Notes
    -----
    Only the oldest live inflow can be partly consumed, so two pointers and one remainder
    suffice; no queue. O(n) per account.
    """
    n_acc = offsets.shape[0] - 1
    ratio = np.full(n_acc, np.nan)
    matched = np.zeros(n_acc)
    cut = event_parts(offsets, PARTS)
    for part in prange(PARTS):
        for a in range(cut[part], cut[part + 1]):
            head = offsets[a]  # oldest inflow that may still have a remainder
            remaining = 0.0
            head_set = False
            total_in = 0.0
            got = 0.0
            for i in range(offsets[a], offsets[a + 1]):
                if not outflow[i]:
                    total_in += amount[i]
                    continue
                need = amount[i]
                while need > 0.0:
                    # find the next live inflow at or after head
                    if not head_set:
                        while head < i and (outflow[head] or ts[head] < ts[i] - max_age):
                            head += 1
                        if head >= i:
                            break
                        remaining = amount[head]
                        head_set = True
                    if ts[head] < ts[i] - max_age:  # expired
                        head += 1
                        head_set = False
                        continue
                    take = min(need, remaining)
                    need -= take
                    remaining -= take
                    got += take
                    if remaining <= 0.0:
                        head += 1
                        head_set = False
            matched[a] = got
            if total_in > 0.0:
                ratio[a] = got / total_in
    return ratio, matched


@njit(cache=True, parallel=True, nogil=True)
def outflow_after(
    offsets: np.ndarray,
    account: np.ndarray,
    ts: np.ndarray,
    amount: np.ndarray,
    outflow: np.ndarray,
    at: np.ndarray,
    horizon: int,
) -> np.ndarray:  # pragma: no cover - compiled
    """For each event index in ``at`` (an inflow at time t): the sum of its account's outflows
    in ``(t, t + horizon]``; NaN where ``at`` names an outflow.

    Parameters
    ----------
    offsets, account, ts, amount, outflow : the events, grouped by account in time order.
    at : int64 event indices (e.g. the payroll credits).

    Returns
    -------
    float64[len(at)]: one sum per entry of ``at`` (not one per event: a per-event array would
    be 136 MB at 17M events for a few thousand wage credits).

    Notes
    -----
    A forward scan from each event, in parallel over ``at``: O(Σ events within the horizon),
    meant for sparse events such as payroll credits.
    """
    out = np.full(at.shape[0], np.nan)
    for k in prange(at.shape[0]):
        i = at[k]
        if outflow[i]:
            continue
        end = offsets[account[i] + 1]
        total = 0.0
        j = i + 1
        while j < end and ts[j] <= ts[i] + horizon:
            if outflow[j] and ts[j] > ts[i]:
                total += amount[j]
            j += 1
        out[k] = total
    return out


@njit(cache=True, parallel=True, nogil=True)
def top_counterparty(
    offsets: np.ndarray,
    flag: np.ndarray,
    counterparty: np.ndarray,
    amount: np.ndarray,
    n_counterparties: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per account: the counterparty that received the largest total of its flagged events,
    that total, and the total over all counterparties.

    Parameters
    ----------
    offsets : int64[n_accounts + 1], segment bounds of each account.
    flag : bool, which events count (e.g. outflows of the accounts that may fire).
    counterparty : codes in ``[0, n_counterparties)``; negative codes never count.
    amount : float64 per event.

    Returns
    -------
    top : int64[n_accounts], the counterparty (−1 if none; ties go to the smaller code).
    top_amount, total : float64[n_accounts].

    Notes
    -----
    O(n): each parallel chunk keeps one sum array of ``n_counterparties`` slots and resets
    only the slots an account touched.
    """
    n_acc = offsets.shape[0] - 1
    top = np.full(n_acc, -1, np.int64)
    top_amount = np.zeros(n_acc, np.float64)
    total = np.zeros(n_acc, np.float64)
    n_chunks = _n_chunks(n_acc, n_counterparties)
    cut = event_parts(offsets, n_chunks)  # parts of about equal events
    for c in prange(n_chunks):
        sums = np.zeros(n_counterparties, np.float64)
        for a in range(cut[c], cut[c + 1]):
            for i in range(offsets[a], offsets[a + 1]):
                if flag[i] and counterparty[i] >= 0:
                    sums[counterparty[i]] += amount[i]
                    total[a] += amount[i]
            for i in range(offsets[a], offsets[a + 1]):
                if flag[i] and counterparty[i] >= 0:
                    cp = counterparty[i]
                    x = sums[cp]
                    if top[a] < 0 or x > top_amount[a] or (x == top_amount[a] and cp < top[a]):
                        top[a] = cp
                        top_amount[a] = x
            for i in range(offsets[a], offsets[a + 1]):
                if counterparty[i] >= 0:
                    sums[counterparty[i]] = 0.0
    return top, top_amount, total


@njit(cache=True, parallel=True, nogil=True)
def local_codes(
    offsets: np.ndarray, category: np.ndarray, n_categories: int
) -> tuple[np.ndarray, int]:  # pragma: no cover - compiled
    """Renumber a high-cardinality category (counterparty accounts) within each account.

    Parameters
    ----------
    offsets : int64[n_accounts + 1], segment bounds of each account.
    category : codes in ``[0, n_categories)``; negative codes stay −1.

    Returns
    -------
    local : int32 per event, 0, 1, 2, … in order of first appearance within the account.
    most : the largest number of distinct categories any account has.

    Notes
    -----
    Distinct counts do not depend on how categories are numbered, so the windowed
    distinct-count kernel gives the same results on ``local`` with ``most`` slots as on the
    global codes with ``n_categories`` slots — and its count array then stays in cache. One
    O(n) pass; two halves of the events (whole accounts), each with its own scratch arrays.
    """
    local = np.full(category.shape[0], -1, np.int32)
    most = np.zeros(2, np.int64)
    cut = event_parts(offsets, 2)  # two halves of the events, not of the accounts
    for part in prange(2):
        owner = np.full(n_categories, -1, np.int64)
        code = np.zeros(n_categories, np.int32)
        for a in range(cut[part], cut[part + 1]):
            k = 0
            for i in range(offsets[a], offsets[a + 1]):
                c = category[i]
                if c < 0:
                    continue
                if owner[c] != a:
                    owner[c] = a
                    code[c] = k
                    k += 1
                local[i] = code[c]
            most[part] = max(most[part], k)
    return local, int(max(most[0], most[1]))


@njit(cache=True, nogil=True)
def local_slots(local: np.ndarray, lo: int, hi: int) -> int:  # pragma: no cover - compiled
    """Distinct counterparties of one account's events ``lo:hi`` (their local codes run
    0, 1, …; −1 none): the scratch slots a per-counterparty pass needs."""
    k = 0
    for i in range(lo, hi):
        if local[i] + 1 > k:
            k = local[i] + 1
    return k


@njit(cache=True, parallel=True, nogil=True)
def one_off_events(
    offsets: np.ndarray, ts: np.ndarray, local: np.ndarray, window: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Per event, whether its counterparty deals with the account only within ``window``
    seconds over the whole case (first to last transfer, either direction): a one-off
    relation, not one of the account's regular counterparties (wages, rent, customers who come
    back). The account's own history is the baseline.

    ``local``: counterparties renumbered within each account, 0, 1, … (−1 none), as
    :meth:`~fininvest.screening.events.Events.local_counterparty` gives them.
    Complexity: O(events), two passes per account with scratch arrays of its distinct
    counterparties.
    """
    out = np.zeros(ts.shape[0], np.bool_)
    for a in prange(offsets.shape[0] - 1):
        lo, hi = offsets[a], offsets[a + 1]
        k = local_slots(local, lo, hi)
        if k == 0:
            continue
        first = np.full(k, -1, np.int64)
        last = np.zeros(k, np.int64)
        for i in range(lo, hi):
            c = local[i]
            if c >= 0:
                if first[c] < 0:
                    first[c] = ts[i]
                last[c] = ts[i]
        for i in range(lo, hi):
            c = local[i]
            if c >= 0 and last[c] - first[c] <= window:
                out[i] = True
    return out


@njit(cache=True, nogil=True, parallel=True)
def counterparty_periods(
    offsets: np.ndarray, local: np.ndarray, ts: np.ndarray, accounts: np.ndarray, period: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """For each of ``accounts``: its distinct counterparties, and how many of them it deals
    with (either direction) in two or more periods of ``period`` seconds.

    ``local``: counterparties renumbered within each account (−1 none), as
    :meth:`~fininvest.screening.events.Events.local_counterparty` gives them.
    Complexity: O(events of those accounts); scratch arrays of each account's distinct
    counterparties, no rows built.
    """
    n = accounts.shape[0]
    partners = np.zeros(n, np.int64)
    recurring = np.zeros(n, np.int64)
    for j in prange(n):
        a = accounts[j]
        lo, hi = offsets[a], offsets[a + 1]
        k = local_slots(local, lo, hi)
        if k == 0:
            continue
        first = np.full(k, -1, np.int64)
        again = np.zeros(k, np.bool_)
        for i in range(lo, hi):
            c = local[i]
            if c >= 0:
                p = ts[i] // period
                if first[c] < 0:
                    first[c] = p
                elif first[c] != p:
                    again[c] = True
        for c in range(k):
            if first[c] >= 0:
                partners[j] += 1
                if again[c]:
                    recurring[j] += 1
    return partners, recurring
