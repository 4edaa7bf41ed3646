"""Time-respecting, amount-aware money-flow tracing over the aggregated ``PAID`` flows.

Starting from source accounts (or the accounts of source persons), each hop follows the money
that left an account **after** it arrived there and within a window of its arrival; the amount
traced along each flow is the account's newly arrived amount shared in proportion to the
flows leaving it, and never more than the flow itself. So, at every account and every hop,
**traced out ≤ traced in** (flow conservation holds exactly; the only tolerance is
``min_amount``: shares below it are dropped, which can only lower the traced amounts).

Flows are monthly aggregates (count, total, first and last time), so "after" is judged on the
aggregate: a flow qualifies if its last payment is at or after the arrival time and its first
payment is within ``window`` of it; the money is taken to arrive at the next account at the
later of the arrival time and the flow's first payment.

Complexity: one indexed query per hop; O(F · d) per hop for F frontier accounts of out-degree
d. ``max_frontier`` bounds F (the largest amounts are kept), which bounds the whole trace.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fininvest.errors import UnknownEntity
from fininvest.graph.store import GraphStore

DAY_MS = 86_400_000
NO_END = 10**15  # ms: no window for what the sources themselves paid


@dataclass(frozen=True)
class TraceParams:
    max_hops: int = 6
    window_ms: int = 30 * DAY_MS
    min_amount: float = 1.0
    since_ms: int = 0
    max_frontier: int = 2_000
    max_paths: int = 50


def source_accounts(store: GraphStore, ids: list[str]) -> dict[str, list[str]]:
    """id given by the user → the accounts it stands for (an unknown id is an error)."""
    out: dict[str, list[str]] = {}
    for r in store.run("query/accounts_of", {"ids": ids}):
        accounts = ([r["account"]] if r["account"] else []) + [a for a in r["held"] if a]
        out[r["id"]] = sorted(set(accounts))
    unknown = [i for i in ids if not out.get(i)]
    if unknown:
        raise UnknownEntity(
            f"trace: no account, person or company with accounts in the graph for: "
            f"{', '.join(unknown[:10])}",
            hint="Give account ids (IBAN or bank:number) or party ids; is the graph loaded?",
        )
    return out


def trace_money(store: GraphStore, sources: list[str], params: TraceParams) -> dict[str, Any]:
    """Trace money forward from ``sources`` (account ids).

    Each arrival of money at an account (account, time, amount) is followed separately: the
    flows leaving the account after that time and within the window share its amount in
    proportion to their totals; when several arrivals draw on the same flow, their shares are
    scaled down so that together they never exceed the flow's total.

    Returns
    -------
    dict
        ``edges`` (hop, from, to, amount traced, flow total, month, first/last time, arrival
        time, evidence), ``reached`` (per account: amount received in the trace, earliest
        arrival, fewest hops), ``paths`` (the ``max_paths`` largest paths from a source to where
        the traced money stops, with the amount carried all the way) and ``truncated`` (hops
        at which the frontier was cut to ``max_frontier`` arrivals).

    Examples
    --------
    >>> trace_money(store, ["NL19INGB0000008893"], TraceParams(max_hops=3))  # doctest: +SKIP
    """
    # an arrival: (account, time) -> amount; None for a source = everything it paid
    frontier: dict[tuple[str, int], float | None] = {(s, params.since_ms): None for s in sources}
    # the heaviest path to each arrival: (amount carried, edge indices); -1 marks a source
    best: dict[tuple[str, int], tuple[float, list[int]]] = {k: (-1.0, []) for k in frontier}
    edges: list[dict[str, Any]] = []
    reached: dict[str, dict[str, Any]] = {}
    finished: list[tuple[float, list[int]]] = []  # paths where the traced money stops
    truncated: list[int] = []
    for hop in range(1, params.max_hops + 1):
        if not frontier:
            break
        span: dict[str, tuple[int, int]] = {}
        for (a, t), amt in frontier.items():
            end = t + (params.window_ms if amt is not None else NO_END)
            lo, hi = span.get(a, (t, end))
            span[a] = (min(lo, t), max(hi, end))
        rows = store.run(
            "query/trace_step",
            {
                "frontier": [
                    {"id": a, "t": lo, "window_ms": hi - lo} for a, (lo, hi) in sorted(span.items())
                ]
            },
        )
        out_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            out_of[r["src"]].append(r)
        claims: list[tuple[tuple[str, int], dict[str, Any], float]] = []
        for (a, t), amt in sorted(frontier.items()):
            end = t + (params.window_ms if amt is not None else NO_END)
            flows = [f for f in out_of.get(a, []) if f["last_ms"] >= t and f["first_ms"] <= end]
            paid = sum(f["total"] for f in flows)
            if paid <= 0:
                continue
            budget = paid if amt is None else min(amt, paid)
            claims += [((a, t), f, budget * f["total"] / paid) for f in flows]
        drawn: dict[tuple[str, str, str], float] = defaultdict(float)
        for _k, f, share in claims:
            drawn[f["src"], f["dst"], f["month"]] += share
        nxt: dict[tuple[str, int], float] = defaultdict(float)
        nxt_best: dict[tuple[str, int], tuple[float, list[int]]] = {}
        moved_on: set[tuple[str, int]] = set()
        for (a, t), f, share in claims:
            total_drawn = drawn[f["src"], f["dst"], f["month"]]
            if total_drawn > f["total"]:
                share *= f["total"] / total_drawn
            if share < params.min_amount:
                continue
            t_next = max(t, f["first_ms"])
            edges.append(
                {
                    "hop": hop,
                    "from": a,
                    "to": f["dst"],
                    "amount": share,
                    "flow_total": f["total"],
                    "month": f["month"],
                    "first_ms": f["first_ms"],
                    "last_ms": f["last_ms"],
                    "arrival_ms": t_next,
                }
            )
            idx = len(edges) - 1
            nxt[f["dst"], t_next] += share
            moved_on.add((a, t))
            got = reached.setdefault(
                f["dst"], {"account": f["dst"], "amount": 0.0, "first_ms": t_next, "hops": hop}
            )
            got["amount"] += share
            got["first_ms"] = min(got["first_ms"], t_next)
            arrived = frontier[a, t]
            carried, path = best[a, t]
            carried = share if carried < 0 or not arrived else carried * share / arrived
            if carried > nxt_best.get((f["dst"], t_next), (-1.0, []))[0]:
                nxt_best[f["dst"], t_next] = (carried, [*path, idx])
        finished += [x for k, x in best.items() if k not in moved_on and x[1]]
        if len(nxt) > params.max_frontier:
            truncated.append(hop)
            keep = heapq.nlargest(params.max_frontier, nxt, key=lambda k: nxt[k])
            nxt = defaultdict(float, {k: nxt[k] for k in keep})
        frontier = dict(nxt)
        best = {k: nxt_best[k] for k in frontier}
    finished += [x for x in best.values() if x[1]]
    top = heapq.nlargest(params.max_paths, finished, key=lambda x: x[0])
    used = sorted({i for _amt, p in top for i in p})
    evidence = {
        (r["src"], r["dst"], r["month"]): r["evidence"]
        for r in store.run(
            "query/paid_evidence",
            {"flows": [{k: edges[i][k] for k in ("from", "to", "month")} for i in used]},
        )
    }
    paths = [
        {
            "amount": round(amt, 2),
            "hops": [
                {
                    **{k: edges[i][k] for k in ("from", "to", "amount", "arrival_ms", "month")},
                    "evidence": evidence.get((edges[i]["from"], edges[i]["to"], edges[i]["month"])),
                }
                for i in p
            ],
        }
        for amt, p in top
    ]
    return {
        "sources": sources,
        "edges": edges,
        "reached": sorted(reached.values(), key=lambda r: -r["amount"]),
        "paths": paths,
        "truncated": truncated,
    }
