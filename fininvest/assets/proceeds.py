"""Proceeds against assets: per chain of trafficking, the money traced to its members beside
the value of their frozen and confiscated assets — the recovery gap.

The chains come from ``results/chains.json`` (``fininvest chains``); the money from
:func:`fininvest.graph.trace.trace_money`, traced forward from the accounts of the chain's
victims (their earnings are what the members take), counting what reaches accounts held by the
chain's members. Traced amounts are floats in the graph; they are rounded to the cent here.

Complexity: one trace per chain (see :mod:`fininvest.graph.trace`), O(assets) for the rest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fininvest.assets.history import ZERO
from fininvest.assets.money import cents
from fininvest.assets.statistics import Book
from fininvest.graph.store import GraphStore
from fininvest.graph.trace import TraceParams, trace_money


def chain_members(chain: dict[str, Any]) -> set[str]:
    """Party ids of a chain's members (every role)."""
    out: set[str] = set()
    for v in chain.get("members", {}).values():
        out.update([v] if isinstance(v, str) else [m for m in v if isinstance(m, str)])
    return out


def secured_value(book: Book, owners: set[str]) -> dict[str, Decimal]:
    """Estimated value of the owners' assets whose confiscation is final (whatever happened
    after: sale, payouts), and of those frozen now (frozen, seized, under management,
    confiscation ordered; not released)."""
    out = {"frozen": ZERO, "confiscated": ZERO}
    for st in book.live():
        a = book.assets.get(st.asset_id)
        if a is None or a.owner_id not in owners or st.status is None:
            continue
        stages = {book.lifecycle.states[str(ev["status"])].stage for ev in st.events}
        if "confiscated" in stages:
            out["confiscated"] += book.value(st.asset_id)
        elif book.lifecycle.states[st.status].stage == "frozen":
            out["frozen"] += book.value(st.asset_id)
    return out


def proceeds_against_assets(
    book: Book,
    store: GraphStore,
    chains: list[dict[str, Any]],
    params: TraceParams | None = None,
) -> list[dict[str, Any]]:
    """One row per chain: traced to members, frozen and confiscated value, the gap."""
    params = params or TraceParams()
    out = []
    for ch in chains:
        members = chain_members(ch)
        victims = [v for v in ch.get("victims", []) if isinstance(v, str)]
        sources = _accounts(store, victims)
        traced = ZERO
        if sources:
            held = _holders(store, members)
            reached = trace_money(store, sources, params)["reached"]
            traced = cents(Decimal(repr(sum(r["amount"] for r in reached if r["account"] in held))))
        secured = secured_value(book, members)
        total = secured["frozen"] + secured["confiscated"]
        out.append(
            {
                "chain_id": ch.get("id"),
                "members": sorted(members),
                "victims": len(victims),
                "traced_to_members": traced,
                "frozen_value": secured["frozen"],
                "confiscated_value": secured["confiscated"],
                "recovery_gap": max(traced - total, ZERO),
                "coverage": None
                if not traced
                else round(float(min(total / traced, Decimal(1))), 4),
            }
        )
    return out


def _accounts(store: GraphStore, parties: list[str]) -> list[str]:
    if not parties:
        return []
    rows = store.run("query/accounts_of", {"ids": parties})
    return sorted({a for r in rows for a in [r["account"], *r["held"]] if a})


def _holders(store: GraphStore, parties: set[str]) -> set[str]:
    """Accounts held by ``parties``."""
    return set(_accounts(store, sorted(parties)))
