"""The short-cycle kernel against a brute-force oracle on random transfer graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.graph_kernels import (
    build_csr,
    in_degree,
    pass_through_legs,
    scatter_gather,
    short_cycles,
    source_legs,
    transfer_csr,
)


def oracle(src, dst, ts, amt, n, max_length, window, share):  # type: ignore[no-untyped-def]
    edges = list(zip(src.tolist(), dst.tolist(), ts.tolist(), amt.tolist(), strict=True))
    found = [False] * n

    def walk(start, node, t_prev, t0, a0, length):  # type: ignore[no-untyped-def]
        for a, b, t, x in edges:
            if a != node or t <= t_prev or t > t0 + window:
                continue
            if b == start and length + 1 >= 2 and x >= share * a0:
                return True
            if (
                length + 1 < max_length
                and b != a
                and b != start
                and walk(start, b, t, t0, a0, length + 1)
            ):
                return True
        return False

    for s in range(n):
        for a, b, t, x in edges:
            if a == s and b != s and walk(s, b, t, t, x, 1):
                found[s] = True
                break
    return found


@settings(max_examples=300, deadline=None)  # the first call compiles the kernel
@given(
    st.integers(2, 6),
    st.data(),
    st.sampled_from([2, 3, 4]),
    st.sampled_from([1, 5, 100]),
    st.sampled_from([0.0, 0.5, 1.0]),
)
def test_short_cycles_match_oracle(
    n: int, data: st.DataObject, max_length: int, window: int, share: float
) -> None:
    m = data.draw(st.integers(0, 14))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    dst = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    ts = np.array(data.draw(st.lists(st.integers(0, 20), min_size=m, max_size=m)), np.int64)
    amt = np.array(
        data.draw(st.lists(st.sampled_from([1.0, 50.0, 100.0]), min_size=m, max_size=m)), np.float64
    )
    indptr, targets, times, order = build_csr(src, dst, ts, n)
    found, path = short_cycles(indptr, targets, times, amt[order], max_length, window, share, 10**6)
    assert found.tolist() == oracle(src, dst, ts, amt, n, max_length, window, share)
    heads = np.repeat(np.arange(n), np.diff(indptr))  # source of each CSR edge
    for s in np.flatnonzero(found):  # the reported path is a real cycle through s
        edges = [e for e in path[s] if e >= 0]
        assert 2 <= len(edges) <= max_length
        assert heads[edges[0]] == s and targets[edges[-1]] == s
        assert all(targets[a] == heads[b] for a, b in zip(edges, edges[1:], strict=False))
        t = [times[e] for e in edges]
        assert all(x < y for x, y in zip(t, t[1:], strict=False)) and t[-1] <= t[0] + window


def test_cycle_needs_increasing_times() -> None:
    src, dst = np.array([0, 1, 2]), np.array([1, 2, 0])
    indptr, targets, times, _ = build_csr(src, dst, np.array([1, 2, 3]), 3)
    # 0→1→2→0 at times 1, 2, 3 starts and ends at 0; from 1 the way back (2→0→1) would need
    # 0→1 after time 3
    ones = np.ones(3)
    assert short_cycles(indptr, targets, times, ones, 3, 10, 0.5, 1000)[0].tolist() == [
        True,
        False,
        False,
    ]
    indptr, targets, times, _ = build_csr(src, dst, np.array([3, 2, 1]), 3)
    # 0→1 at 3, 1→2 at 2: time goes backwards, no money can have gone round
    assert short_cycles(indptr, targets, times, ones, 3, 10, 0.5, 1000)[0].tolist() == [
        False,
        False,
        False,
    ]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 40),
    edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=80),
)
def test_connected_components_match_networkx(n: int, edges: list[tuple[int, int]]) -> None:
    """The union-find kernel against networkx on random graphs (self-loops, repeats, isolated
    nodes and the empty graph included)."""
    import networkx as nx

    from fininvest.screening.graph_kernels import connected_components

    edges = [(x, y) for x, y in edges if x < n and y < n]
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    want = np.empty(n, np.int64)
    for comp in nx.connected_components(g):
        want[list(comp)] = min(comp)
    a = np.array([x for x, _ in edges], np.int64)
    b = np.array([y for _, y in edges], np.int64)
    assert connected_components(n, a, b).tolist() == want.tolist()


def scatter_gather_oracle(src, dst, ts, amt, is_mid, window, share, least):  # type: ignore[no-untyped-def]
    """Every pair of transfers s → i, i → d by the definition, then distinct i per (s, d)."""
    edges = list(zip(src.tolist(), dst.tolist(), ts.tolist(), amt.tolist(), strict=True))
    through: dict[tuple[int, int], set[int]] = {}
    legs: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for k1, (s, i, t1, x1) in enumerate(edges):
        for k2, (i2, d, t2, x2) in enumerate(edges):
            if (
                i2 == i
                and is_mid[i]
                and t1 < t2 <= t1 + window
                and len({s, i, d}) == 3
                and x2 >= share * x1
            ):
                through.setdefault((s, d), set()).add(i)
                legs.setdefault((s, d), set()).add((k1, k2))
    pairs = {sd: len(mids) for sd, mids in through.items() if len(mids) >= least}
    return pairs, {sd: legs[sd] for sd in pairs}


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 7),
    st.data(),
    st.sampled_from([0, 1, 5, 100]),
    st.sampled_from([0.0, 0.5, 1.0]),
    st.sampled_from([1, 2, 3]),
    st.sampled_from([0, 2, 1000]),
)
def test_scatter_gather_matches_oracle(
    n: int, data: st.DataObject, window: int, share: float, least: int, hub_edges: int
) -> None:
    """``hub_edges`` 0 and 2 send every source, or the busier ones, through the search that
    splits a source's transfers among the cores; 1000 none."""
    m = data.draw(st.integers(0, 25))
    node = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    src = np.array(data.draw(node), np.int64)
    dst = np.array(data.draw(node), np.int64)
    ts = np.array(data.draw(st.lists(st.integers(0, 8), min_size=m, max_size=m)), np.int64)
    amt = np.array(
        data.draw(st.lists(st.sampled_from([1.0, 50.0, 100.0]), min_size=m, max_size=m)), np.float64
    )
    is_mid = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), np.bool_)
    indptr, targets, times, order = build_csr(src, dst, ts, n)
    csr = (indptr, targets, times, amt[order])
    got_s, got_d, got_n = scatter_gather(*csr, is_mid, window, share, least, hub_edges)
    want, want_legs = scatter_gather_oracle(src, dst, ts, amt, is_mid, window, share, least)
    got = dict(zip(zip(got_s.tolist(), got_d.tolist(), strict=True), got_n.tolist(), strict=True))
    assert got == want
    pairs = list(zip(got_s.tolist(), got_d.tolist(), strict=True))
    assert pairs == sorted(pairs)  # sources ascending, each one's destinations ascending
    for s, d in want:  # the evidence: every leg of the pair, as original edge numbers
        e1, e2 = source_legs(s, csr, is_mid, window, share, hub_edges)
        assert [e1.tolist(), e2.tolist()] == [
            x.tolist() for x in pass_through_legs(s, csr, is_mid, window, share)
        ]
        to_d = targets[e2] == d
        got_legs = set(zip(order[e1[to_d]].tolist(), order[e2[to_d]].tolist(), strict=True))
        assert got_legs == want_legs[(s, d)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.data())
def test_transfer_csr_from_streams_matches_build_csr(n: int, data: st.DataObject) -> None:
    """Per-account event streams (grouped, time-ordered) give the graph build_csr gives from
    the outflows alone."""
    m = data.draw(st.integers(0, 30))
    account = np.sort(
        np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    )
    ts = np.array(data.draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), np.int64)
    order = np.lexsort((ts, account))
    account, ts = account[order], ts[order]
    outflow = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)), np.bool_)
    cp = np.array(data.draw(st.lists(st.integers(-1, n - 1), min_size=m, max_size=m)), np.int32)
    amount = np.arange(m, dtype=np.float64)
    offsets = np.searchsorted(account, np.arange(n + 1))
    indptr, targets, times, amounts, events = transfer_csr(offsets, outflow, cp, ts, amount)
    idx = np.flatnonzero(outflow & (cp >= 0))
    want_indptr, want_targets, want_times, want_order = build_csr(account[idx], cp[idx], ts[idx], n)
    assert indptr.tolist() == want_indptr.tolist()
    assert targets.tolist() == want_targets.tolist() and targets.dtype == np.int32
    assert times.tolist() == want_times.tolist()
    assert events.tolist() == idx[want_order].tolist()
    assert amounts.tolist() == amount[idx[want_order]].tolist()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9), st.lists(st.integers(0, 8), max_size=40))
def test_in_degree_matches_bincount(n: int, targets: list[int]) -> None:
    """The parallel edge count against numpy's (empty graphs and isolated nodes included)."""
    t = np.array([x for x in targets if x < n], np.int32)
    assert in_degree(t, n).tolist() == np.bincount(t, minlength=n).tolist()
