"""Graph kernels over the transfer graph: time-respecting short cycles.

Edges are transfers (source account, target account, time), grouped by source in a CSR layout
and sorted by time within each source. A cycle through account *s* is a path
s → a → … → s of 2..``max_length`` edges whose times increase along the path and all lie within
``window`` seconds of the first edge: money that leaves and comes back.

The slow, obviously correct oracle is in ``tests/test_graph_kernels.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def build_csr(
    src: np.ndarray, dst: np.ndarray, ts: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, targets, times, edge ids) with each source's edges sorted by time.

    Edges that come already grouped by source in time order (transfers taken from the event
    streams) skip the sort: one O(n) check instead of an O(n log n) lexsort."""
    counts = np.bincount(src, minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    step = np.diff(src)
    if bool(np.all((step > 0) | ((step == 0) & (np.diff(ts) >= 0)))):
        order = np.arange(src.shape[0], dtype=np.int64)
        return indptr, dst.astype(np.int64, copy=False), ts.astype(np.int64, copy=False), order
    order = np.lexsort((ts, src))
    return indptr, dst[order].astype(np.int64), ts[order].astype(np.int64), order.astype(np.int64)


@njit(cache=True, parallel=True)
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
    for s in prange(n):
        # stack of (node, edge cursor, time of the edge that reached it, depth)
        node_st = np.empty(max_length + 1, np.int64)
        cur_st = np.empty(max_length + 1, np.int64)
        t_st = np.empty(max_length + 1, np.int64)
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


@njit(cache=True)
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
