"""Indicators on the transfer graph: cycles, scatter-gather, gather-scatter."""

from __future__ import annotations

import math

import numpy as np

from fininvest.screening.engine import (
    DAY,
    MAX_CYCLE_STEPS,
    MAX_INTERMEDIARY_PAIRS,
    Context,
    EventRefs,
    Hit,
    NotEvaluated,
    _transfers,
    _window_evidence,
    rule,
)
from fininvest.screening.graph_kernels import (
    in_degree,
    short_cycles,
    source_legs,
)
from fininvest.screening.graph_kernels import scatter_gather as scatter_gather_pairs


@rule("short_cycle", shares=("transfer_graph", "counterparty_codes", "one_off"))
def short_cycle(ctx: Context) -> list[Hit]:
    """Money that leaves an account and comes back through others within the window.

    Judged against the accounts' own history: a cycle whose every leg is a regular relation
    of its payer (two accounts that pay each other back and forth all through the case) is
    their normal exchange and does not fire; ``Hit.unusual`` counts the legs between accounts
    that deal with each other only within the window (:meth:`Events.one_off`)."""
    p = ctx.params["short_cycle"]
    ev = ctx.ev
    g = ev.transfer_graph()
    found, path = short_cycles(
        *g.csr,
        int(p["max_length"]),
        int(p["window_days"] * DAY),
        float(p["min_return_share"]),
        MAX_CYCLE_STEPS,
    )
    hits = []
    fired = np.flatnonzero(found)
    one_off = ev.one_off(int(p["window_days"] * DAY)) if fired.shape[0] else np.zeros(0, np.bool_)
    for s in fired:
        edges = path[s][path[s] >= 0]
        new_legs = int(one_off[g.events[edges]].sum())
        if not new_legs:  # every leg a regular relation of its payer: their normal exchange
            continue
        route = [ev.accounts[s]] + [ev.accounts[t] for t in g.targets[edges]]
        hits.append(
            Hit(
                int(s),
                "short_cycle",
                float(len(edges)),
                float(p["max_length"]),
                f"{p['window_days']:g} days",
                EventRefs(g.events[edges]),
                f"money went round {' → '.join(route)} in {len(edges)} transfers "
                f"within {p['window_days']:g} days",
                # how unusual: legs between accounts that deal with each other only then
                unusual=float(new_legs),
            )
        )
    return hits


@rule("scatter_gather", shares=("transfer_graph",), alone=True)
def scatter_gather(ctx: Context) -> list[Hit]:
    """One source pays several intermediaries, which each pay one destination soon after."""
    p = ctx.params["scatter_gather"]
    ev = ctx.ev
    g = ev.transfer_graph()
    # hubs (employers, payroll bureaus) are not intermediaries of a split; bounds the work
    indeg = in_degree(g.targets, len(ev.accounts))
    outdeg = np.diff(g.indptr)
    is_mid = (indeg > 0) & (outdeg > 0) & (indeg * outdeg <= MAX_INTERMEDIARY_PAIRS)
    w = int(p["window_days"] * DAY)
    share = float(p["min_pass_share"])  # the intermediary pays on most of what it received
    least = math.ceil(p["min_intermediaries"])
    legs: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # the hubs' legs, kept by the search
    src, dst, through = scatter_gather_pairs(*g.csr, is_mid, w, share, least, hub_legs=legs)
    hits = []
    searched = -1
    for s, d, n in zip(src.tolist(), dst.tolist(), through.tolist(), strict=True):
        if s != searched:  # sources come in order: one search per source
            e1, e2 = legs.pop(s) if s in legs else source_legs(s, g.csr, is_mid, w, share)
            reached, searched = g.targets[e2], s
            by_dest = np.argsort(reached, kind="stable")  # a hub reaches 500 pairs
            reached = reached[by_dest]
        d_ = reached.dtype.type(d)  # a Python int would widen the whole array in each search
        to_d = by_dest[np.searchsorted(reached, d_) : np.searchsorted(reached, d_, side="right")]
        refs = EventRefs(np.unique(g.events[np.concatenate([e1[to_d], e2[to_d]])]))
        detail = (
            f"{ev.accounts[s]} paid {n} intermediaries who paid {ev.accounts[d]} within "
            f"{p['window_days']:g} days"
        )
        for acc in (s, d):
            hits.append(
                Hit(
                    int(acc),
                    "scatter_gather",
                    float(n),
                    p["min_intermediaries"],
                    f"{p['window_days']:g} days",
                    refs,
                    detail,
                )
            )
    return hits


@rule("gather_scatter", shares=("counterparty_codes", "one_off"))
def gather_scatter(ctx: Context) -> list[Hit]:
    """Many senders into one account, which then pays many payees within the window.

    Judged against the account's own history: on at least one side, ``min_in`` senders or
    ``min_out`` payees must be one-off relations (dealt with only within the window over the
    whole case, :meth:`Events.one_off`); an account whose regular senders and payees
    (wages in, rent and bills out) fill the window is doing what it always does.
    ``Hit.unusual`` counts those one-off counterparties."""
    p = ctx.params["gather_scatter"]
    ev = ctx.ev
    w = int(p["window_days"] * DAY)
    inflow = (~ev.outflow) & (ev.counterparty >= 0)
    outflow = ev.outflow & (ev.counterparty >= 0)
    best, at = ev.partners(w)  # distinct senders and payees in one pass
    senders, payees, at_in, at_out = best[:, 0], best[:, 1], at[:, 0], at[:, 1]
    hits = []
    fired = np.flatnonzero((senders >= p["min_in"]) & (payees >= p["min_out"]))
    if fired.shape[0]:
        new, _ = ev.new_partners(w)  # one-off senders and payees, in one pass
        new_in, new_out = new[:, 0], new[:, 1]
    for a in fired:
        gap = ev.ts[at_out[a]] - ev.ts[at_in[a]]
        if not 0 <= gap <= w:  # the paying out must follow the gathering
            continue
        if new_in[a] < p["min_in"] and new_out[a] < p["min_out"]:
            continue  # its regular counterparties: what the account always does
        refs = _window_evidence(ev, int(a), int(at_in[a]), inflow, w) + _window_evidence(
            ev, int(a), int(at_out[a]), outflow, w
        )
        hits.append(
            Hit(
                int(a),
                "gather_scatter",
                float(min(senders[a], payees[a])),
                float(min(p["min_in"], p["min_out"])),
                f"{p['window_days']:g} days",
                refs,
                f"{senders[a]} senders gathered, then {payees[a]} payees paid, "
                f"within {p['window_days']:g} days ({new_in[a]} senders and {new_out[a]} "
                "payees it deals with only within such a window)",
                unusual=float(new_in[a] + new_out[a]),
            )
        )
    return hits


@rule("crypto_illicit_services", shares=("transfer_graph",))
def crypto_illicit_services(ctx: Context) -> list[Hit]:
    """Accounts within ``max_hops`` transfers (either direction) of an account tagged as a
    darknet market or a service hosting illicit ads. Breadth-first over the transfer graph."""
    p = ctx.params["crypto_illicit_services"]
    tagged = set(p["tagged_accounts"])
    if not tagged:
        raise NotEvaluated(
            "no tagged illicit services configured ([indicators.crypto_illicit_services] "
            "tagged_accounts in fininvest.toml)"
        )
    ev = ctx.ev
    code = {a: i for i, a in enumerate(ev.accounts)}
    seeds = [code[t] for t in sorted(tagged) if t in code]
    idx = _transfers(ev)
    a, b = ev.account[idx], ev.counterparty[idx]
    n = len(ev.accounts)
    # undirected adjacency in CSR form, each entry remembering its transfer
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    via = np.concatenate([idx, idx])
    order = np.argsort(src, kind="stable")
    indptr = np.searchsorted(src[order], np.arange(n + 1))
    dist = np.full(n, -1, np.int64)
    came = np.full(n, -1, np.int64)  # the transfer that reached the account
    frontier = np.array(seeds, np.int64)
    dist[frontier] = 0
    for hop in range(1, int(p["max_hops"]) + 1):
        nxt = []
        for u in frontier:
            for k in order[indptr[u] : indptr[u + 1]]:
                v = dst[k]
                if dist[v] < 0:
                    dist[v], came[v] = hop, via[k]
                    nxt.append(v)
        frontier = np.array(nxt, np.int64)
    hits = []
    for v in np.flatnonzero(dist > 0):
        hits.append(
            Hit(
                int(v),
                "crypto_illicit_services",
                float(dist[v]),
                float(p["max_hops"]),
                f"{dist[v]} hop(s)",
                EventRefs(np.array([came[v]])),
                f"{dist[v]} transfer(s) away from an account tagged as an illicit service",
            )
        )
    return hits
