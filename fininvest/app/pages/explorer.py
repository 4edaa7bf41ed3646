"""Graph explorer: search, an entity's neighbourhood, tap to expand, a side panel.

A search finds parties by name (accent- and case-insensitive), accounts by id or IBAN, and
phones, e-mails and other identifiers. ``/entity/<id>`` shows the entity and one page of its
neighbours (``?hops=2`` also their neighbours, up to ``max_elements``). Tapping a node adds its
neighbours — only the new elements travel, as a ``dash.Patch`` — and a node with more links
than a page shows a "+N more" stub that pages on. The state kept in the browser is the ordered
list of element ids and their positions, never the elements themselves.
"""

from __future__ import annotations

from typing import Any

import dash_cytoscape as cyto
from dash import Dash, Input, Output, Patch, State, dcc, html, no_update
from dash import ctx as dash_ctx

from fininvest.app.components import href, image_export, link, note, table, text
from fininvest.app.data import ms_to_iso
from fininvest.app.elements import (
    MORE,
    group_node,
    group_of,
    more_stub,
    node_element,
    ring,
)
from fininvest.app.factory import AppContext
from fininvest.app.styles import stylesheet

HIDDEN_PROPS = {"record_ids", "source_sha256", "_labels"}


def _date_ms(value: str | None, end: bool = False) -> int | None:
    from datetime import UTC, datetime

    if not value:
        return None
    day = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    return int(day.timestamp() * 1000) + (86_399_999 if end else 0)


def new_state(
    focus: str, since: int | None = None, until: int | None = None, group: bool = False
) -> dict[str, Any]:
    return {
        "focus": focus,
        "ids": [],
        "pos": {},
        "shown": {},
        "since": since,
        "until": until,
        "group": group,
    }


def grouped(nodes: list[dict[str, Any]], on_screen: set[str]) -> list[dict[str, Any]]:
    """Put each node in its jurisdiction's compound node (``data.parent``); returns the
    compound nodes not on screen yet (to be added before their members)."""
    parents: list[dict[str, Any]] = []
    for n in nodes:
        gid = group_of(n)
        n["data"]["parent"] = gid
        if gid not in on_screen and all(p["data"]["id"] != gid for p in parents):
            parents.append(group_node(gid))
    return parents


def _alerted(ctx: AppContext) -> set[str]:
    alerts = ctx.data.result("alerts")
    return set(alerts["entity_id"].to_list()) if alerts.height else set()


def expand(
    ctx: AppContext, node_id: str, state: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    """The next page of ``node_id``'s neighbours that are not on screen yet.

    Parameters
    ----------
    node_id : the tapped node (a "+N more" stub stands for its node).
    state : ``ids`` on screen in order, node ``pos``itions, neighbours ``shown`` per node,
        date range ``since``/``until`` (epoch ms).

    Returns
    -------
    (new elements, ids removed, new state)
        The removed ids are the node's old "+N more" stub and its edge.

    Complexity: O(R log R) for the R relationships of the node, plus O(E) for the E elements
    on screen (membership).
    """
    if node_id.startswith(MORE):
        node_id = node_id[len(MORE) :]
    state = {
        **state,
        "ids": list(state["ids"]),
        "pos": dict(state["pos"]),
        "shown": dict(state["shown"]),
    }
    on_screen = set(state["ids"])
    page, cap = ctx.settings.page_size, ctx.settings.max_elements
    found = ctx.data.links(node_id, state["since"], state["until"])
    start = state["shown"].get(node_id, 0)
    taken = start
    new_nodes: list[dict[str, Any]] = []
    new_edges: list[dict[str, Any]] = []
    alerted = _alerted(ctx)
    for x in found[start:]:
        if len(new_nodes) >= page or len(on_screen) + len(new_nodes) + len(new_edges) + 3 > cap:
            break
        taken += 1
        if x.other not in on_screen and all(n["data"]["id"] != x.other for n in new_nodes):
            new_nodes.append(
                node_element(x.other, x.kind, x.name, x.role, x.country, alerted=x.other in alerted)
            )
        for e in x.edges:
            if e["data"]["id"] not in on_screen:
                new_edges.append(e)
    if state.get("group"):  # members of one jurisdiction side by side on the ring
        new_nodes.sort(key=lambda n: n["data"]["country"] or "~")
    cx, cy = state["pos"].get(node_id, (0.0, 0.0))
    centre = (float(cx), float(cy))
    radius = 110.0 + 9.0 * len(new_nodes)
    for n, p in zip(
        new_nodes,
        ring(centre, len(new_nodes), radius, 0.3 * len(on_screen)),
        strict=True,
    ):
        n["position"] = {"x": round(p[0], 1), "y": round(p[1], 1)}
        state["pos"][n["data"]["id"]] = [n["position"]["x"], n["position"]["y"]]
    removed = [i for i in (MORE + node_id, MORE + "edge|" + node_id) if i in on_screen]
    parents = grouped(new_nodes, on_screen) if state.get("group") else []
    new = parents + new_nodes + new_edges
    remaining = len(found) - taken
    if remaining > 0:
        new += more_stub(node_id, remaining, (centre[0], centre[1] - 45.0))
    state["shown"][node_id] = taken
    state["ids"] = [i for i in state["ids"] if i not in removed] + [e["data"]["id"] for e in new]
    return new, removed, state


def neighbourhood(
    ctx: AppContext,
    focus: str,
    hops: int = 1,
    since: int | None = None,
    until: int | None = None,
    group: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The focus node and its neighbours (and theirs, for ``hops=2``), at most
    ``max_elements`` elements; with ``group``, every node inside a compound node of its
    jurisdiction. Returns (elements, state); empty if the graph lacks the node."""
    node = ctx.data.node(focus)
    state = new_state(focus, since, until, group)
    if node is None:
        return [], state
    p = node["props"]
    el = node_element(
        focus,
        node["kind"],
        p.get("name"),
        p.get("role") or p.get("inferred_role"),
        p.get("country") or p.get("residence") or p.get("jurisdiction"),
        alerted=focus in _alerted(ctx),
        position=(0.0, 0.0),
        extra=["focus"],
    )
    elements = [*grouped([el], set()), el] if group else [el]
    state["ids"], state["pos"] = [e["data"]["id"] for e in elements], {focus: [0.0, 0.0]}
    new, _removed, state = expand(ctx, focus, state)
    elements += new
    if hops > 1:
        for n in [e["data"]["id"] for e in new if "source" not in e["data"]]:
            if n.startswith(MORE) or len(state["ids"]) >= ctx.settings.max_elements - 3:
                continue
            more, removed, state = expand(ctx, n, state)
            elements = [e for e in elements if e["data"]["id"] not in removed] + more
    return elements, state


def regroup(ctx: AppContext, state: dict[str, Any], group: bool) -> tuple[list[Any], Any]:
    """The same view with grouping by jurisdiction switched on or off: the neighbourhood of the
    focus again, then the same expansions in the same order: the same nodes and edges (when
    grouped, the members of one jurisdiction side by side). Returns (elements, state)."""
    elements, after = neighbourhood(
        ctx, state["focus"], 1, state.get("since"), state.get("until"), group
    )
    for node, count in state.get("shown", {}).items():
        while after["shown"].get(node, 0) < count:
            before = after["shown"].get(node, 0)
            new, removed, after = expand(ctx, node, after)
            elements = [e for e in elements if e["data"]["id"] not in removed] + new
            if after["shown"].get(node, 0) == before:
                break
    return elements, after


def patch(new: list[dict[str, Any]], removed: list[str], before: list[str]) -> Patch:
    """The browser-side update: delete the removed elements by position, append the new."""
    p = Patch()
    for index in sorted((before.index(r) for r in removed), reverse=True):
        del p[index]
    p.extend(new)
    return p


def side_panel(ctx: AppContext, node_id: str) -> html.Div:
    """Properties, provenance (source file and record) and alerts of a node."""
    if node_id.startswith(MORE):
        return html.Div(note("Tap to show the next page of links."))
    node = ctx.data.node(node_id)
    if node is None:
        return html.Div(note(f"{node_id} is not in the graph."))
    props = node["props"]
    rows = [[k, text(v)] for k, v in sorted(props.items()) if k not in HIDDEN_PROPS]
    records = props.get("record_ids") or []
    prov = [
        [p["table"], p["source_file"], p["record_no"], p["source_line"]]
        for p in ctx.data.provenance(node_id)
    ]
    alerts = ctx.data.alerts_of(node_id)
    ctx.audit("view", {"page": "explorer-node", "item": node_id})
    return html.Div(
        [
            html.H3(text(props.get("name") or node_id), id="side-title"),
            html.P([html.Span(node["kind"], className="fi-badge"), node_id]),
            table(["property", "value"], rows),
            html.H4("Provenance"),
            table(["table", "source file", "record", "line"], prov) if prov else html.Span(),
            note("Graph records: " + ", ".join(map(str, records))) if records else html.Span(),
            html.H4("Alerts"),
            html.Ul(
                [
                    html.Li(
                        link(
                            "alert",
                            a["entity_id"],
                            f"#{a['rank']} {a['classification']} score {a['score']:.2f}",
                        )
                    )
                    for a in alerts
                ]
            )
            if alerts
            else note("none"),
            dcc.Link("Centre the explorer here", href=href("entity", node_id)),
        ]
    )


def edge_panel(edge: dict[str, Any]) -> html.Div:
    """What an edge stands for: aggregated payments, or one graded intelligence record."""
    rows = [["from", edge.get("source")], ["to", edge.get("target")], ["kind", edge.get("rel")]]
    if "count" in edge:
        rows += [
            ["payments", edge["count"]],
            ["total", text(edge.get("total"))],
            ["first", ms_to_iso(edge.get("first_ms"))],
            ["last", ms_to_iso(edge.get("last_ms"))],
        ]
    if edge.get("badge"):
        rows += [
            ["grading / handling", edge["badge"]],
            ["record", edge.get("record")],
            ["date", edge.get("date")],
        ]
    return html.Div([html.H3("Link"), table(["", ""], [[k, text(v)] for k, v in rows])])


def search_results(ctx: AppContext, query: str | None) -> list[Any]:
    hits = ctx.data.search(query or "")
    if not hits:
        return [note("No match.")] if query and len(query.strip()) >= 2 else []
    return [
        html.Li(
            [html.Span(h["kind"], className="fi-badge"), link("entity", h["id"], str(h["label"]))]
        )
        for h in hits
    ]


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    hops = 2 if query.get("hops") == "2" else 1
    since, until = _date_ms(query.get("since")), _date_ms(query.get("until"), end=True)
    group = query.get("group") == "1"
    elements, state = neighbourhood(ctx, item, hops, since, until, group) if item else ([], {})
    intro = (
        note(f"{item} is not in the graph (is it loaded? fininvest graph load).")
        if item and not elements
        else note("Tap a node to add its links; tap “+N more” for the next page.")
    )
    return html.Div(
        [
            html.H2("Graph explorer"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Search name, account, IBAN, phone, e-mail"),
                            dcc.Input(
                                id="explorer-search",
                                type="search",
                                debounce=True,
                                placeholder="e.g. Ionescu, NL91…, +4917…",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Dates"),
                            dcc.DatePickerRange(
                                id="explorer-dates",
                                start_date=query.get("since"),
                                end_date=query.get("until"),
                                display_format="YYYY-MM-DD",
                                clearable=True,
                            ),
                        ]
                    ),
                    dcc.Checklist(
                        [{"label": "Group by jurisdiction", "value": "group"}],
                        ["group"] if group else [],
                        id="explorer-group",
                    ),
                    html.Button("PNG", id="explorer-png"),
                    html.Button("SVG", id="explorer-svg"),
                ],
                className="fi-filters",
            ),
            html.Ul(id="explorer-results"),
            intro,
            html.Div(
                [
                    html.Div(
                        cyto.Cytoscape(
                            id="explorer-graph",
                            elements=elements,
                            layout={"name": "preset", "fit": True, "padding": 20},
                            stylesheet=stylesheet("explorer"),
                            className="fi-cy",
                            minZoom=0.05,
                            maxZoom=4,
                            boxSelectionEnabled=False,
                        ),
                        className="fi-main",
                    ),
                    html.Div(
                        side_panel(ctx, item) if item and elements else note("—"),
                        id="explorer-side",
                        className="fi-side",
                    ),
                ],
                className="fi-row",
            ),
            dcc.Store(id="explorer-state", data=state),
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("explorer-graph", "elements"),
        Output("explorer-state", "data"),
        Output("explorer-side", "children"),
        Input("explorer-graph", "tapNodeData"),
        State("explorer-state", "data"),
        prevent_initial_call=True,
    )
    def _tap(node: dict[str, Any] | None, state: dict[str, Any]) -> Any:
        if not node or not state or node.get("kind") == "group":
            return no_update, no_update, no_update
        new, removed, after = expand(ctx, node["id"], state)
        side = side_panel(ctx, node.get("of") or node["id"])
        return patch(new, removed, state["ids"]), after, side

    @app.callback(
        Output("explorer-side", "children", allow_duplicate=True),
        Input("explorer-graph", "tapEdgeData"),
        prevent_initial_call=True,
    )
    def _tap_edge(edge: dict[str, Any] | None) -> Any:
        return edge_panel(edge) if edge else no_update

    @app.callback(
        Output("explorer-graph", "elements", allow_duplicate=True),
        Output("explorer-state", "data", allow_duplicate=True),
        Input("explorer-dates", "start_date"),
        Input("explorer-dates", "end_date"),
        State("explorer-state", "data"),
        prevent_initial_call=True,
    )
    def _dates(since: str | None, until: str | None, state: dict[str, Any]) -> Any:
        if not state or not state.get("focus"):
            return no_update, no_update
        return neighbourhood(
            ctx,
            state["focus"],
            1,
            _date_ms(since),
            _date_ms(until, end=True),
            bool(state.get("group")),
        )

    @app.callback(
        Output("explorer-graph", "elements", allow_duplicate=True),
        Output("explorer-state", "data", allow_duplicate=True),
        Input("explorer-group", "value"),
        State("explorer-state", "data"),
        prevent_initial_call=True,
    )
    def _group(value: list[str] | None, state: dict[str, Any]) -> Any:
        if not state or not state.get("focus"):
            return no_update, no_update
        return regroup(ctx, state, "group" in (value or []))

    @app.callback(
        Output("explorer-results", "children"),
        Input("explorer-search", "value"),
        prevent_initial_call=True,
    )
    def _search(value: str | None) -> Any:
        return search_results(ctx, value)

    @app.callback(
        Output("explorer-graph", "generateImage"),
        Input("explorer-png", "n_clicks"),
        Input("explorer-svg", "n_clicks"),
        State("explorer-state", "data"),
        prevent_initial_call=True,
    )
    def _export(_png: Any, _svg: Any, state: dict[str, Any]) -> Any:
        svg = dash_ctx.triggered_id == "explorer-svg"
        return image_export(ctx, "explorer", svg, (state or {}).get("focus"))
