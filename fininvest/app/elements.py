"""Cytoscape elements of the graph views, built on the server.

dash-cytoscape sends the whole element list to the browser on every change, so the server does
the work: payments between two accounts become **one** edge (count, sum, first and last date),
a node with many links shows one page of them and a "+N more" stub, and expansions are sent as
additions only (``dash.Patch``), never as the whole list again. Every element carries classes
from a closed vocabulary (:func:`emitted_classes`), which the stylesheets in
``dashboards/styles/`` style; a test checks the two agree.

Positions are computed here (``preset`` layout): the focus in the middle, each page of
neighbours on a ring around the node it belongs to. They are deterministic, cost nothing in the
browser, and an expansion does not move what is already on screen.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fininvest.app.styles import colours, jurisdiction_class

#: node kind (graph label) -> class
KIND_CLASS = {
    "Person": "person",
    "Company": "company",
    "Account": "account",
    "Phone": "identifier",
    "Email": "identifier",
    "Address": "identifier",
    "Device": "identifier",
    "IP": "identifier",
    "Ad": "ad",
    "Trip": "trip",
    "Alert": "alert",
    "Asset": "asset",
    "STR": "report",
}
ROLE_NAMES = ("recruiter", "transporter", "exploiter", "controller", "beneficiary", "victim")
RELIABILITY = ("A", "B", "C", "D", "E", "F")
INTEL_TYPES = frozenset(
    {
        "RECRUITED",
        "TRANSPORTED",
        "EXPLOITED",
        "CONTROLLED",
        "ASSOCIATED_WITH",
        "EMPLOYED_BY",
        "DIRECTOR_OF",
        "ADVERTISED",
    }
)
#: handling codes that permit sharing without conditions (UK 3x5x2 "P", 5x5x5 code 1, H0)
OPEN_HANDLING = frozenset({"P", "1", "H0"})
EDGE_CLASS = {
    "PAID": "money",
    "DEPOSITED": "cash",
    "HOLDS": "holds",
    "USES": "uses",
    "FLAGGED_BY": "flagged",
}
NODE_FLAGS = ("alerted", "focus", "more", "group")
GROUP = "jur|"
EDGE_FLAGS = ("intel", "cross-border", "more", "handling-restricted", "link", "two-way")
MORE = "more|"


def emitted_classes() -> set[str]:
    """Every class an element of the app can carry (the stylesheets may style only these)."""
    out = set(KIND_CLASS.values()) | set(NODE_FLAGS) | set(EDGE_FLAGS) | set(EDGE_CLASS.values())
    out |= {f"role-{r}" for r in ROLE_NAMES}
    out |= {f"reliability-{g}" for g in RELIABILITY}
    out |= {f"jur-{c}" for c in colours()["jurisdictions"]}
    return out


def node_label(node_id: str, name: str | None) -> str:
    """The text under a node: the name if known, else the id (shortened past 28 characters)."""
    text = name or node_id
    return text if len(text) <= 28 else text[:27] + "…"


def node_element(
    node_id: str,
    kind: str,
    name: str | None = None,
    role: str | None = None,
    country: str | None = None,
    *,
    alerted: bool = False,
    position: tuple[float, float] | None = None,
    extra: list[str] | None = None,
) -> dict[str, Any]:
    """One node: data (id, label, kind, role, country) and its classes."""
    classes = [KIND_CLASS.get(kind, "identifier"), jurisdiction_class(country)]
    if role in ROLE_NAMES:
        classes.append(f"role-{role}")
    if alerted:
        classes.append("alerted")
    classes += extra or []
    el: dict[str, Any] = {
        "data": {
            "id": node_id,
            "label": node_label(node_id, name),
            "kind": kind,
            "role": role or "",
            "country": country or "",
        },
        "classes": " ".join(classes),
    }
    if position is not None:
        el["position"] = {"x": round(position[0], 1), "y": round(position[1], 1)}
    return el


@dataclass
class Link:
    """A neighbour of a node and the (aggregated) edges that tie them."""

    other: str
    kind: str
    name: str | None
    role: str | None
    country: str | None
    edges: list[dict[str, Any]]
    weight: float = 0.0


INTEL_WEIGHT = 1e12  # intelligence links are listed before any amount of money


def _intel_edge(focus: str, r: dict[str, Any]) -> dict[str, Any]:
    p = r["props"]
    src, dst = (focus, r["other"]) if r["outgoing"] else (r["other"], focus)
    grading = str(p.get("grading") or "")
    handling = str(p.get("handling_code") or "")
    classes = ["intel"]
    if grading[:1] in RELIABILITY:
        classes.append(f"reliability-{grading[:1]}")
    if handling and handling.upper() not in OPEN_HANDLING:
        classes.append("handling-restricted")
    if p.get("from_country") and p.get("to_country") and p["from_country"] != p["to_country"]:
        classes.append("cross-border")
    return {
        "data": {
            "id": f"{r['rel']}|{p.get('link_id')}",
            "source": src,
            "target": dst,
            "rel": r["rel"].lower(),
            "badge": " ".join(x for x in (grading, handling) if x),
            "date_ms": p.get("date_ms") or 0,
            "date": p.get("date") or "",
            "record": p.get("link_id") or "",
        },
        "classes": " ".join(classes),
    }


def _in_range(first: int | None, last: int | None, since: int | None, until: int | None) -> bool:
    if since is not None and (last or first or 0) < since:
        return False
    return not (until is not None and (first or last or 0) > until)


def _money_edge(rel: str, src: str, dst: str, a: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "id": f"{rel}|{src}|{dst}",
            "source": src,
            "target": dst,
            "rel": rel.lower(),
            "count": a["count"],
            "total": round(a["total"], 2),
            "first_ms": a["first_ms"],
            "last_ms": a["last_ms"],
        },
        "classes": EDGE_CLASS[rel],
    }


def links(
    focus: str, rows: list[dict[str, Any]], since: int | None = None, until: int | None = None
) -> list[Link]:
    """The neighbours of ``focus`` from the rows of ``query/app_neighbours``, with money
    aggregated per pair and direction (monthly ``PAID`` flows → one edge with count, total,
    first and last time), intelligence one edge per record, and links outside the date range
    ``[since, until]`` (epoch ms) left out. Strongest first: intelligence, then by amount,
    then by kind and id.

    Complexity: O(R log R) for R rows.
    """
    money: dict[tuple[str, str, str], dict[str, Any]] = {}
    out: dict[str, Link] = {}

    def link(r: dict[str, Any]) -> Link:
        x = out.get(r["other"])
        if x is None:
            x = out[r["other"]] = Link(
                r["other"], r["kind"], r["name"], r["role"], r["country"], []
            )
        return x

    for r in rows:
        p, other = r["props"], r["other"]
        if other is None or other == focus:
            continue
        src, dst = (focus, other) if r["outgoing"] else (other, focus)
        if r["rel"] in INTEL_TYPES:
            if _in_range(p.get("date_ms"), p.get("date_ms"), since, until):
                x = link(r)
                x.edges.append(_intel_edge(focus, r))
                x.weight += INTEL_WEIGHT
        elif r["rel"] in ("PAID", "DEPOSITED"):
            if not _in_range(p.get("first_ms"), p.get("last_ms"), since, until):
                continue
            link(r)
            agg = money.setdefault(
                (r["rel"], src, dst), {"count": 0, "total": 0.0, "first_ms": None, "last_ms": None}
            )
            agg["count"] += int(p.get("count") or 0)
            agg["total"] += float(p.get("total") or 0.0)
            for key, pick in (("first_ms", min), ("last_ms", max)):
                if p.get(key) is not None:
                    agg[key] = p[key] if agg[key] is None else pick(agg[key], p[key])
        else:
            edge_id = f"{r['rel']}|{src}|{dst}"
            x = link(r)
            if all(e["data"]["id"] != edge_id for e in x.edges):
                x.edges.append(
                    {
                        "data": {
                            "id": edge_id,
                            "source": src,
                            "target": dst,
                            "rel": r["rel"].lower(),
                        },
                        "classes": EDGE_CLASS.get(r["rel"], "link"),
                    }
                )
    for (rel, src, dst), a in sorted(money.items()):
        x = out[dst if src == focus else src]
        edge = _money_edge(rel, src, dst, a)
        if (rel, dst, src) in money:  # drawn curved, so that the two arrows do not overlap
            edge["classes"] += " two-way"
        x.edges.append(edge)
        x.weight += a["total"]
    return sorted(out.values(), key=lambda x: (-x.weight, x.kind, x.other))


def ring(
    centre: tuple[float, float], n: int, radius: float, start: float = 0.0
) -> list[tuple[float, float]]:
    """``n`` positions evenly on a circle around ``centre``."""
    step = 2 * math.pi / max(n, 1)
    return [
        (
            centre[0] + radius * math.cos(start + i * step),
            centre[1] + radius * math.sin(start + i * step),
        )
        for i in range(n)
    ]


def group_of(node: dict[str, Any]) -> str:
    """The id of the compound node of a node's jurisdiction (``jur|DE``; ``jur|?`` unknown)."""
    return GROUP + (node["data"].get("country") or "?")


def group_node(group_id: str) -> dict[str, Any]:
    """The compound (parent) node of one jurisdiction; cytoscape draws it around its members."""
    code = group_id[len(GROUP) :]
    label = code if code != "?" else "jurisdiction unknown"
    return {
        "data": {"id": group_id, "label": label, "kind": "group", "country": code},
        "classes": f"group {jurisdiction_class(code)}",
    }


def more_stub(node: str, remaining: int, position: tuple[float, float]) -> list[dict[str, Any]]:
    """The "+N more" node of ``node`` and its edge; tapping it shows the next page."""
    stub = MORE + node
    return [
        {
            "data": {"id": stub, "label": f"+{remaining} more", "kind": "more", "of": node},
            "classes": "more",
            "position": {"x": round(position[0], 1), "y": round(position[1], 1)},
        },
        {"data": {"id": MORE + "edge|" + node, "source": node, "target": stub}, "classes": "more"},
    ]


def grouped_by_kind(items: list[Link]) -> dict[str, list[Link]]:
    """Neighbours by node kind (the side panel's summary)."""
    out: dict[str, list[Link]] = defaultdict(list)
    for x in items:
        out[x.kind].append(x)
    return dict(out)
