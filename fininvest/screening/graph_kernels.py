"""Graph kernels over the transfer graph: time-respecting short cycles and scatter-gather.

Edges are transfers (source account, target account, time), grouped by source in a CSR layout
and sorted by time within each source. A cycle through account *s* is a path
s → a → … → s of 2..``max_length`` edges whose times increase along the path and all lie within
``window`` seconds of the first edge: money that leaves and comes back.

The slow, obviously correct oracle is in ``tests/test_graph_kernels.py``.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from fininvest.screening.kernels import PARTS, event_parts


def build_csr(
    src: np.ndarray, dst: np.ndarray, ts: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, targets, times, edge ids) with each source's edges sorted by time; the
    targets keep the integer type of ``dst`` (int32 node ids take half the memory).

    Edges that come already grouped by source in time order (transfers taken from the event
    streams) skip the sort: one O(n) check instead of an O(n log n) lexsort."""
    counts = np.bincount(src, minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    step = np.diff(src)
    if bool(np.all((step > 0) | ((step == 0) & (np.diff(ts) >= 0)))):
        order = np.arange(src.shape[0], dtype=np.int64)
        return indptr, dst, ts.astype(np.int64, copy=False), order
    order = np.lexsort((ts, src))
    return indptr, dst[order], ts[order].astype(np.int64), order.astype(np.int64)


@njit(cache=True, parallel=True, nogil=True)
def transfer_csr(
    offsets: np.ndarray,
    outflow: np.ndarray,
    counterparty: np.ndarray,
    ts: np.ndarray,
    amount: np.ndarray,
) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled
    """The transfer graph straight from per-account event streams: every outflow to a known
    account (``counterparty`` ≥ 0) is an edge of its account, in the streams' time order.

    Parameters
    ----------
    offsets : int64[n_accounts + 1], each account's events, in time order within it.
    outflow, counterparty, ts, amount : per event.

    Returns
    -------
    (indptr, targets, times, amounts, events) : the CSR of :func:`build_csr` (targets in
    ``counterparty``'s integer type) and the event index of each edge (int64).

    Notes
    -----
    Two parallel passes over the accounts (count, then fill), in parts of about equal events;
    no sort and no gathers of the whole event arrays, since the streams are already grouped by
    account and ordered by time.
    """
    n_acc = offsets.shape[0] - 1
    indptr = np.zeros(n_acc + 1, np.int64)
    cut = event_parts(offsets, PARTS)  # parts of about equal events, not of accounts
    for part in prange(PARTS):
        for a in range(cut[part], cut[part + 1]):
            k = 0
            for i in range(offsets[a], offsets[a + 1]):
                if outflow[i] and counterparty[i] >= 0:
                    k += 1
            indptr[a + 1] = k
    for a in range(n_acc):
        indptr[a + 1] += indptr[a]
    m = indptr[n_acc]
    targets = np.empty(m, counterparty.dtype)
    times = np.empty(m, np.int64)
    amounts = np.empty(m, np.float64)
    events = np.empty(m, np.int64)
    for part in prange(PARTS):
        for a in range(cut[part], cut[part + 1]):
            e = indptr[a]
            for i in range(offsets[a], offsets[a + 1]):
                if outflow[i] and counterparty[i] >= 0:
                    targets[e] = counterparty[i]
                    times[e] = ts[i]
                    amounts[e] = amount[i]
                    events[e] = i
                    e += 1
    return indptr, targets, times, amounts, events


def in_degree(targets: np.ndarray, n: int) -> np.ndarray:
    """Edges into each of ``n`` nodes: ``np.bincount(targets, minlength=n)`` on every core.

    Each thread counts its share of the edges into a row of its own (int32: ``n`` × 4 bytes
    per thread), then the rows are summed. At 10M rows (7M transfers, 500k accounts) numpy's
    single-threaded bincount took 0.1 s, most of it widening the int32 targets first.

    >>> in_degree(np.array([2, 0, 2], np.int32), 4).tolist()
    [1, 0, 2, 0]
    """
    rows = max(1, min(numba.get_num_threads(), targets.shape[0]))
    counts: np.ndarray = _count_in_rows(targets, n, rows)
    return counts


@njit(cache=True, parallel=True, nogil=True)
def _count_in_rows(targets: np.ndarray, n: int, rows: int) -> np.ndarray:  # pragma: no cover
    part = np.zeros((rows, n), np.int32)
    m = targets.shape[0]
    for r in prange(rows):
        for k in range(m * r // rows, m * (r + 1) // rows):
            part[r, targets[k]] += 1
    out = np.zeros(n, np.int64)
    for v in prange(n):
        total = 0
        for r in range(rows):
            total += part[r, v]
        out[v] = total
    return out


@njit(cache=True, parallel=True, nogil=True)
def short_cycles(
    indptr: np.ndarray,
    targets: np.ndarray,
    times: np.ndarray,
    amounts: np.ndarray,
    max_length: int,
    window: int,
    min_return_share: float,
    max_steps: int,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Per node: does a time-respecting cycle of 2..max_length edges within ``window`` start
    and end here, with the closing transfer returning at least ``min_return_share`` of the
    first one? Returns (found, path) where ``path[s]`` holds the CSR edge indices of the cycle
    found from *s* (−1 padded).

    Notes
    -----
    Depth-first search from every node with an explicit stack; each edge must be later than
    the previous one and within ``window`` of the first. ``max_steps`` bounds the work per start
    node (hubs): a search cut short reports no cycle rather than a wrong one.
    """
    n = indptr.shape[0] - 1
    found = np.zeros(n, np.bool_)
    path = np.full((n, max_length), -1, np.int64)
    cut = event_parts(indptr, PARTS)  # sources in parts of about equal transfers (hubs)
    for part in prange(PARTS):
        # stack of (node, edge cursor, time of the edge that reached it, depth)
        node_st = np.empty(max_length + 1, np.int64)
        cur_st = np.empty(max_length + 1, np.int64)
        t_st = np.empty(max_length + 1, np.int64)
        for s in range(cut[part], cut[part + 1]):
            for e0 in range(indptr[s], indptr[s + 1]):
                if found[s]:
                    break
                t0 = times[e0]
                if targets[e0] == s:
                    continue  # a self-transfer is not a cycle through others
                depth = 1
                node_st[1] = targets[e0]
                cur_st[1] = indptr[targets[e0]]
                t_st[1] = t0
                steps = 0
                while depth >= 1 and steps < max_steps:
                    steps += 1
                    v = node_st[depth]
                    e = cur_st[depth]
                    if e >= indptr[v + 1]:
                        depth -= 1
                        continue
                    cur_st[depth] = e + 1
                    te = times[e]
                    if te <= t_st[depth] or te > t0 + window:
                        continue
                    w = targets[e]
                    if w == s and depth + 1 >= 2 and amounts[e] >= min_return_share * amounts[e0]:
                        found[s] = True
                        path[s, 0] = e0
                        for d in range(1, depth + 1):
                            path[s, d] = cur_st[d] - 1  # the edge taken at each level
                        break
                    if depth + 1 < max_length and w != v and w != s:
                        depth += 1
                        node_st[depth] = w
                        cur_st[depth] = indptr[w]
                        t_st[depth] = te
    return found, path


Csr = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: A source with more transfers than this is searched with its transfers split among the
#: cores, after the other sources (which are searched a source per core). At 10M rows one
#: payroll-like source has 2.7M transfers: searched on one core, it took 0.14 s while the other
#: core had finished, and as long again to write its pairs out.
HUB_EDGES = 50_000
#: Pieces a hub's transfers are split into.
HUB_PIECES = 64


@njit(cache=True, nogil=True)
def _legs(
    s: int,
    lo: int,
    hi: int,
    csr: Csr,
    is_mid: np.ndarray,
    window: int,
    min_share: float,
    first: np.ndarray,
    second: np.ndarray,
    fill: bool,
) -> int:  # pragma: no cover - compiled
    """Count the legs of :func:`pass_through_legs` whose first edge is in ``[lo, hi)`` (edges
    of ``s``), and with ``fill`` write them to ``first`` and ``second``."""
    indptr, targets, times, amounts = csr
    count = 0
    for e1 in range(lo, hi):
        i = targets[e1]
        if i == s or not is_mid[i]:
            continue
        t1 = times[e1]
        start = indptr[i] + np.searchsorted(times[indptr[i] : indptr[i + 1]], t1, side="right")
        for e2 in range(start, indptr[i + 1]):
            if times[e2] - t1 > window:
                break
            d = targets[e2]
            if d == s or d == i or amounts[e2] < min_share * amounts[e1]:
                continue
            if fill:
                first[count] = e1
                second[count] = e2
            count += 1
    return count


@njit(cache=True, nogil=True)
def pass_through_legs(
    s: int, csr: Csr, is_mid: np.ndarray, window: int, min_share: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The two-leg routes out of ``s`` that :func:`scatter_gather` counts: s → i (edge e1)
    then i → d (edge e2) with i an allowed intermediary, t1 < t2 ≤ t1 + window, s, i, d
    distinct and amount(e2) ≥ min_share × amount(e1).

    ``csr`` is (indptr, targets, times, amounts). Returns (e1, e2) CSR edge indices, by e1
    then e2; the destination of a leg is ``targets[e2]``. Each intermediary's edges are in
    time order, so its onward legs start at a bisection. This is also the evidence of a
    source's pairs (:func:`source_legs` splits a hub's search among the cores)."""
    lo, hi = csr[0][s], csr[0][s + 1]
    none = np.empty(0, np.int64)
    count = _legs(s, lo, hi, csr, is_mid, window, min_share, none, none, False)
    first = np.empty(count, np.int64)
    second = np.empty(count, np.int64)
    _legs(s, lo, hi, csr, is_mid, window, min_share, first, second, True)
    return first, second


@njit(cache=True, parallel=True, nogil=True)
def _hub_legs(
    s: int, csr: Csr, is_mid: np.ndarray, window: int, min_share: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`pass_through_legs` with the source's edges in HUB_PIECES pieces searched in
    parallel: the same legs in the same order."""
    lo, hi = csr[0][s], csr[0][s + 1]
    cut = np.empty(HUB_PIECES + 1, np.int64)
    for k in range(HUB_PIECES + 1):
        cut[k] = lo + (hi - lo) * k // HUB_PIECES
    at = np.zeros(HUB_PIECES + 1, np.int64)
    none = np.empty(0, np.int64)
    for k in prange(HUB_PIECES):
        at[k + 1] = _legs(s, cut[k], cut[k + 1], csr, is_mid, window, min_share, none, none, False)
    for k in range(HUB_PIECES):
        at[k + 1] += at[k]
    first = np.empty(at[HUB_PIECES], np.int64)
    second = np.empty(at[HUB_PIECES], np.int64)
    for k in prange(HUB_PIECES):
        _legs(
            s,
            cut[k],
            cut[k + 1],
            csr,
            is_mid,
            window,
            min_share,
            first[at[k] : at[k + 1]],
            second[at[k] : at[k + 1]],
            True,
        )
    return first, second


def source_legs(
    s: int,
    csr: Csr,
    is_mid: np.ndarray,
    window: int,
    min_share: float,
    hub_edges: int = HUB_EDGES,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pass_through_legs`, searched on every core when ``s`` has more than
    ``hub_edges`` transfers."""
    if csr[0][s + 1] - csr[0][s] > hub_edges:
        return _hub_legs(s, csr, is_mid, window, min_share)
    return pass_through_legs(s, csr, is_mid, window, min_share)


@njit(cache=True, nogil=True)
def _pairs_of_legs(
    e1: np.ndarray, e2: np.ndarray, targets: np.ndarray, n: int, least: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Destinations reached through at least ``least`` distinct intermediaries by the legs
    (e1, e2) of one source, and how many, in order of destination."""
    keys = np.empty(e1.shape[0], np.int64)  # destination × n + intermediary
    for k in range(e1.shape[0]):
        keys[k] = targets[e2[k]] * n + targets[e1[k]]
    keys.sort()
    dest = np.empty(keys.shape[0], np.int64)
    through = np.empty(keys.shape[0], np.int64)
    found = 0
    k = 0
    while k < keys.shape[0]:
        d = keys[k] // n
        distinct = 0
        while k < keys.shape[0] and keys[k] // n == d:
            if k == 0 or keys[k] != keys[k - 1]:
                distinct += 1
            k += 1
        if distinct >= least:
            dest[found] = d
            through[found] = distinct
            found += 1
    return dest[:found], through[:found]


@njit(cache=True, nogil=True)
def _gathered(
    s: int, csr: Csr, is_mid: np.ndarray, window: int, min_share: float, least: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Destinations reached from ``s`` through at least ``least`` distinct intermediaries
    (see :func:`pass_through_legs`), and how many, in order of destination."""
    e1, e2 = pass_through_legs(s, csr, is_mid, window, min_share)
    return _pairs_of_legs(e1, e2, csr[1], csr[0].shape[0] - 1, least)


@njit(cache=True, parallel=True, nogil=True)
def _scatter_gather_sources(
    csr: Csr,
    is_mid: np.ndarray,
    window: int,
    min_share: float,
    least: int,
    hub: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`scatter_gather` of every source but the hubs, a source per core at a time."""
    indptr = csr[0]
    n = indptr.shape[0] - 1
    n_pairs = np.zeros(n + 1, np.int64)
    work = np.zeros(n + 1, np.int64)  # transfers searched here: the hubs' are not
    for s in range(n):
        work[s + 1] = work[s] + (0 if hub[s] else indptr[s + 1] - indptr[s])
    cut = event_parts(work, PARTS)  # sources in parts of about equal transfers searched
    for part in prange(PARTS):  # count, then fill: parallel loops cannot append to one output
        for s in range(cut[part], cut[part + 1]):
            if not hub[s]:
                d, _ = _gathered(s, csr, is_mid, window, min_share, least)
                n_pairs[s + 1] = d.shape[0]
    for s in range(n):
        n_pairs[s + 1] += n_pairs[s]
    src = np.empty(n_pairs[n], np.int64)
    dst = np.empty(n_pairs[n], np.int64)
    through = np.empty(n_pairs[n], np.int64)
    for part in prange(PARTS):
        for s in range(cut[part], cut[part + 1]):
            if n_pairs[s + 1] == n_pairs[s]:
                continue
            d, c = _gathered(s, csr, is_mid, window, min_share, least)
            for k in range(d.shape[0]):
                src[n_pairs[s] + k] = s
                dst[n_pairs[s] + k] = d[k]
                through[n_pairs[s] + k] = c[k]
    return src, dst, through


def scatter_gather(
    indptr: np.ndarray,
    targets: np.ndarray,
    times: np.ndarray,
    amounts: np.ndarray,
    is_mid: np.ndarray,
    window: int,
    min_share: float,
    min_intermediaries: int,
    hub_edges: int = HUB_EDGES,
    hub_legs: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source–destination pairs joined by at least ``min_intermediaries`` distinct
    intermediaries, each of which received from the source and paid the destination within
    ``window`` (on at least ``min_share`` of what it received).

    Parameters
    ----------
    indptr, targets, times, amounts : the transfer graph as CSR, each source's edges in time
        order (:func:`build_csr`).
    is_mid : bool per node, may it be an intermediary (callers exclude hubs such as payroll
        bureaus, whose in × out legs would dominate the work).
    window : seconds from the first leg to the second.
    hub_edges : sources with more transfers are searched with their transfers split among
        the cores (:data:`HUB_EDGES`); the answer does not depend on it.
    hub_legs : if given, receives the legs (:func:`pass_through_legs`) of every hub source
        that has pairs, by source: the evidence of its pairs without searching it again.

    Returns
    -------
    (source, destination, intermediaries) arrays, one entry per pair, sources ascending and
    each source's destinations ascending.

    Notes
    -----
    Every source is searched on its own (in parallel): its legs are collected, keyed
    destination × n + intermediary and sorted, so memory is bounded by one source's legs
    instead of the whole two-hop join. O(Σ_s L_s log L_s) for L_s legs from s; the second
    legs start at a bisection of the intermediary's time-ordered edges.

    Examples
    --------
    >>> indptr, targets, times, order = build_csr(
    ...     np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.array([1, 1, 2, 3]), 4)
    >>> amounts = np.ones(4)
    >>> [a.tolist() for a in scatter_gather(
    ...     indptr, targets, times, amounts, np.ones(4, np.bool_), 5, 0.5, 2)]
    [[0], [3], [2]]
    """
    csr = (indptr, targets, times, amounts)
    hub = np.diff(indptr) > hub_edges
    found = [_scatter_gather_sources(csr, is_mid, window, min_share, min_intermediaries, hub)]
    for s in np.flatnonzero(hub).tolist():
        e1, e2 = _hub_legs(s, csr, is_mid, window, min_share)
        d, c = _pairs_of_legs(e1, e2, targets, indptr.shape[0] - 1, min_intermediaries)
        found.append((np.full(d.shape[0], s, np.int64), d, c))
        if hub_legs is not None and d.shape[0]:
            hub_legs[s] = (e1, e2)
    src, dst, through = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.argsort(src, kind="stable")  # the hubs in their place; destinations stay sorted
    return src[order], dst[order], through[order]


@njit(cache=True, nogil=True)
def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Connected components of an undirected graph of ``n`` nodes given as edge lists.

    Union-find with path halving and union by size; returns, per node, the smallest node id
    of its component (a canonical label). O((n + m) α(n)) time, O(n) memory.

    Examples
    --------
    >>> connected_components(4, np.array([0, 2]), np.array([1, 3])).tolist()  # doctest: +SKIP
    [0, 0, 2, 2]
    """
    parent = np.arange(n)
    size = np.ones(n, np.int64)
    for i in range(a.shape[0]):
        x, y = a[i], b[i]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x == y:
            continue
        if size[x] < size[y]:
            x, y = y, x
        parent[y] = x
        size[x] += size[y]
    label = np.empty(n, np.int64)
    smallest = np.full(n, n, np.int64)
    for v in range(n):
        r = v
        while parent[r] != r:
            r = parent[r]
        label[v] = r
        if v < smallest[r]:
            smallest[r] = v
    for v in range(n):
        label[v] = smallest[label[v]]
    return label
