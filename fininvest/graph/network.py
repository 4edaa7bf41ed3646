"""Network analytics: communities, brokers and inferred roles, written back to the graph.

The network is one node per party and an undirected tie where two parties are linked by:

* **recurring money** — at least ``min_payments`` payments between accounts they hold (one-off
  payments tie everyone to everyone through shops and employers and hide the structure);
* **shared identifiers** — the same phone, e-mail, address, device or IP;
* **intelligence** — recruited, transported, exploited, controlled, associated with.

Communities are Louvain communities (networkx, fixed seed, so they are stable from run to run);
the broker score is betweenness centrality estimated from ``k`` sampled sources (Brandes;
O(k·m) instead of O(n·m)), scaled to 0–1. Roles are inferred for persons without an
intelligence role, from the reconstructed chains and KYC openings, with a confidence that
says how they were found; a role that came from intelligence is never replaced.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import polars as pl

from fininvest.graph.chains import chains_of_trafficking
from fininvest.graph.store import GraphStore
from fininvest.workspace import Workspace

# how much an inferred role can be trusted, by what it rests on
CONFIDENCE = {"kyc": 0.8, "financial": 0.6, "third_party_opening": 0.7}
BATCH = 5_000
#: members listed per community in the result (the graph holds every membership)
MEMBERS_LISTED = 50


def money_ties(ws: Workspace, min_payments: int = 3) -> pl.DataFrame:
    """Pairs of parties with at least ``min_payments`` payments between their accounts."""
    if not (ws.has_table("transactions") and ws.has_table("accounts")):
        return pl.DataFrame(schema={"a": pl.String, "b": pl.String, "count": pl.UInt32})
    holders = ws.scan("accounts").select("account_id", "holder_id")
    return (
        ws.scan("transactions")
        .filter(pl.col("from_account").is_not_null() & pl.col("to_account").is_not_null())
        .join(holders, left_on="from_account", right_on="account_id")
        .rename({"holder_id": "a"})
        .join(holders, left_on="to_account", right_on="account_id")
        .rename({"holder_id": "b"})
        .filter(pl.col("a") != pl.col("b"))
        .group_by("a", "b")
        .agg(pl.len().alias("count"))
        .filter(pl.col("count") >= min_payments)
        .sort("a", "b")
        .collect()
    )


def party_network(ws: Workspace, store: GraphStore, min_payments: int = 3) -> nx.Graph:
    """The tie network (weights: payments, shared identifiers × 5, intelligence × 10)."""
    g = nx.Graph()

    def tie(a: str, b: str, weight: float) -> None:
        g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0})["weight"] + weight)

    for a, b, n in money_ties(ws, min_payments).iter_rows():
        tie(a, b, n)
    for r in store.run("query/shared_identifier_links"):
        tie(r["a"], r["b"], 5 * r["shared"])
    for r in store.run("query/intel_person_links"):
        tie(r["a"], r["b"], 10)
    return g


def infer_roles(
    chains: list[dict[str, Any]], openings: list[dict[str, Any]]
) -> dict[str, tuple[str, float, str]]:
    """person → (role, confidence, basis) for roles found without intelligence naming them."""
    roles: dict[str, tuple[str, float, str]] = {}
    controllers = set()
    for chain in chains:
        by_role = {link["to_role"]: link for link in chain["links"]}
        for role, pid in chain["members"].items():
            link = by_role.get(role)
            known = chain.get("roles", {}).get(role, {}).get("basis")
            basis = known or (link["basis"] if link else chain.get("recruiter_basis"))
            if role == "controller":
                controllers.add(pid)
            if basis in CONFIDENCE:
                roles[pid] = (role, CONFIDENCE[basis], basis)
        for v in chain["victims"]:
            roles.setdefault(v, ("victim", CONFIDENCE["third_party_opening"], "chain"))
    for o in openings:
        if o["holder"] not in roles:
            conf = CONFIDENCE["third_party_opening"] if o["opener"] in controllers else 0.4
            roles[o["holder"]] = ("victim", conf, "third_party_opening")
    return roles


def analyse_network(
    ws: Workspace,
    store: GraphStore,
    *,
    min_payments: int = 3,
    k: int = 32,
    chains: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Compute communities, broker scores and inferred roles and write them to the graph.

    Parameters
    ----------
    min_payments : int
        Payments between two parties that make a money tie.
    k : int
        Sampled sources for the betweenness estimate (more: slower, more precise).
    chains : list, optional
        Chains already reconstructed (else they are reconstructed here).

    Returns
    -------
    dict
        ``persons``, ``ties``, ``communities`` (their number), ``largest_communities`` (sizes)
        and ``community_members`` (the ten largest, each with its first MEMBERS_LISTED ids),
        ``brokers`` (top 20) and ``inferred_roles``.
    """
    g = party_network(ws, store, min_payments)
    communities = sorted(
        nx.community.louvain_communities(g, weight="weight", seed=1),
        key=lambda c: (-len(c), min(c)),
    )
    community_of = {p: i for i, c in enumerate(communities) for p in c}
    broker = (
        nx.betweenness_centrality(g, k=min(k, len(g)), seed=1, normalized=True) if len(g) else {}
    )
    top = max(broker.values(), default=0.0) or 1.0
    chains = chains if chains is not None else chains_of_trafficking(store, 1)
    roles = infer_roles(chains, store.run("query/third_party_openings"))
    persons = {r["id"] for r in store.run("query/person_roles", {"ids": sorted(g.nodes)})}
    persons |= set(roles)
    rows = []
    for pid in sorted(persons):
        role = roles.get(pid)
        c = community_of.get(pid)
        rows.append(
            {
                "id": pid,
                "community": f"COM-{c:04d}" if c is not None else None,
                "community_size": len(communities[c]) if c is not None else 1,
                "broker_score": round(broker.get(pid, 0.0) / top, 4),
                "inferred_role": role[0] if role else None,
                "inferred_role_confidence": role[1] if role else None,
                "inferred_role_basis": role[2] if role else None,
            }
        )
    for start in range(0, len(rows), BATCH):
        store.run("write/person_network", {"rows": rows[start : start + BATCH]})
    written = {r["id"]: r for r in store.run("query/person_roles", {"ids": sorted(roles)})}
    return {
        "persons": len(rows),
        "ties": g.number_of_edges(),
        "communities": len(communities),
        "largest_communities": [len(c) for c in communities[:10]],
        "community_members": [
            {"community": f"COM-{i:04d}", "size": len(c), "members": sorted(c)[:MEMBERS_LISTED]}
            for i, c in enumerate(communities[:10])
        ],
        "brokers": sorted(
            (
                {"id": r["id"], "broker_score": r["broker_score"], "community": r["community"]}
                for r in rows
                if r["broker_score"] > 0
            ),  # fmt: skip
            key=lambda r: -r["broker_score"],
        )[:20],
        "inferred_roles": [
            {"id": pid, "role": role, "confidence": conf, "basis": basis}
            for pid, (role, conf, basis) in sorted(roles.items())
            if written.get(pid, {}).get("role_source") != "intelligence"
        ],
        "intelligence_roles_kept": sum(
            1 for r in written.values() if r.get("role_source") == "intelligence"
        ),
    }
