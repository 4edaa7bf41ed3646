"""Chain view: one chain of trafficking from ``results/chains.json``, left to right by role.

Recruiter → transporter → exploiter → controller → the foreign accounts the controller pays,
with the victims below. A link whose two persons live in different countries is cross-border
(highlighted). The table lists every link with its supporting records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import dash_cytoscape as cyto
import polars as pl
from dash import Dash, Input, Output, State, dcc, html
from dash import ctx as dash_ctx

from fininvest.app.components import href, image_export, link, note, table, text
from fininvest.app.elements import node_element
from fininvest.app.factory import AppContext
from fininvest.app.styles import stylesheet

STAGES = ("recruiter", "transporter", "exploiter", "controller", "beneficiary")
STEP_X, VICTIM_Y = 220.0, 170.0
MAX_BENEFICIARIES = 4


def residence(ctx: AppContext) -> dict[str, str]:
    parties = ctx.data.table("parties")
    if not parties.height:
        return {}
    return dict(
        parties.select("party_id", pl.col("residence_country").cast(pl.String))
        .drop_nulls()
        .iter_rows()
    )


def beneficiaries(ctx: AppContext, chain: dict[str, Any]) -> list[dict[str, Any]]:
    """Accounts abroad that the controller's accounts pay most (the chain's foreign
    beneficiaries), with count and total, from the transactions table."""
    controller = chain["members"].get("controller")
    tx = ctx.data.table("transactions")
    if not controller or not tx.height:
        return []
    own = ctx.data.accounts_of(controller)
    home = residence(ctx).get(controller)
    out = (
        tx.filter(pl.col("from_account").is_in(own) & pl.col("to_account").is_not_null())
        .filter(pl.col("to_country").cast(pl.String) != (home or ""))
        .group_by("to_account", pl.col("to_country").cast(pl.String))
        .agg(
            pl.len().alias("count"),
            pl.col("amount_base").sum().alias("total"),
            pl.col("txn_id").sort().head(5).alias("records"),
        )
        .sort("total", "to_account", descending=[True, False])
        .head(MAX_BENEFICIARIES)
    )
    return out.to_dicts()


def chain_elements(ctx: AppContext, chain: dict[str, Any]) -> list[dict[str, Any]]:
    """Nodes placed by stage (x) and edges for the links; victims on a row below."""
    names = ctx.data.names()
    home = residence(ctx)
    members: dict[str, str] = chain["members"]
    els: list[dict[str, Any]] = []
    for i, role in enumerate(STAGES[:-1]):
        if role in members:
            pid = members[role]
            els.append(
                node_element(
                    pid,
                    "Person",
                    chain["names"].get(role) or names.get(pid),
                    role,
                    home.get(pid),
                    position=(i * STEP_X, 0.0),
                )
            )
    for j, b in enumerate(beneficiaries(ctx, chain)):
        els.append(
            node_element(
                b["to_account"],
                "Account",
                names.get(b["to_account"]),
                "beneficiary",
                b["to_country"],
                position=(4 * STEP_X, (j - 1.5) * 70.0),
            )
        )
        els.append(
            {
                "data": {
                    "id": f"pays|{b['to_account']}",
                    "source": members["controller"],
                    "target": b["to_account"],
                    "label": f"{b['count']} payments, {b['total']:,.0f}",
                },
                "classes": "cross-border",
            }
        )
    victims = chain.get("victims", [])
    for k, v in enumerate(victims):
        x = (k - (len(victims) - 1) / 2) * 90.0 + 1.5 * STEP_X
        els.append(
            node_element(v, "Person", names.get(v), "victim", home.get(v), position=(x, VICTIM_Y))
        )
    for n, lk in enumerate(chain.get("links", [])):
        cross = home.get(lk["from"]) and home.get(lk["to"]) and home[lk["from"]] != home[lk["to"]]
        classes = ["cross-border"] if cross else []
        if lk.get("basis") == "intelligence":
            classes.append("intel")
        els.append(
            {
                "data": {
                    "id": f"link|{n}",
                    "source": lk["from"],
                    "target": lk["to"],
                    "label": f"{lk['act'].replace('_', ' ')} ({lk.get('jurisdiction') or '?'})",
                },
                "classes": " ".join(classes),
            }
        )
    return els


def link_rows(ctx: AppContext, chain: dict[str, Any]) -> list[list[Any]]:
    """One row per link: who, act, whom, where, on what basis, and the records."""
    names = ctx.data.names()
    rows = []
    for lk in chain.get("links", []):
        records = "; ".join(
            f"{r['kind']} {r['id']}"
            + (f" ({r['grading']})" if r.get("grading") else "")
            + (f": {r['note']}" if r.get("note") else "")
            for r in lk.get("records", [])
        )
        rows.append(
            [
                link(
                    "entity", lk["from"], f"{names.get(lk['from'], lk['from'])} ({lk['from_role']})"
                ),
                lk["act"].replace("_", " "),
                link("entity", lk["to"], f"{names.get(lk['to'], lk['to'])} ({lk['to_role']})"),
                lk.get("jurisdiction") or "",
                lk.get("basis") or "",
                records,
            ]
        )
    return rows


def chain_view(ctx: AppContext, chain_id: str | None) -> html.Div:
    chain = ctx.data.chain(chain_id) if chain_id else None
    if chain is None:
        return html.Div(note("Choose a chain."), id="chain-body")
    ctx.audit("view", {"page": "chain", "item": chain_id})
    victims = [link("entity", v, ctx.data.names().get(v, v)) for v in chain.get("victims", [])]
    return html.Div(
        [
            html.P(
                f"Jurisdictions: {text(chain.get('jurisdictions'))}; recruited in "
                f"{chain.get('recruited_in') or '?'}; {len(victims)} victims."
            ),
            cyto.Cytoscape(
                id="chain-graph",
                elements=chain_elements(ctx, chain),
                layout={"name": "preset", "fit": True, "padding": 30},
                stylesheet=stylesheet("chain"),
                className="fi-cy",
                style={"height": "45vh"},
            ),
            html.Div(
                [
                    html.Button("Build the evidence pack", id="chain-pack"),
                    html.Button("PNG", id="chain-png"),
                    html.Button("SVG", id="chain-svg"),
                ],
                className="fi-filters",
            ),
            dcc.Loading(html.Div(id="chain-pack-result")),
            html.H4("Links and their records"),
            table(
                ["from", "act", "to", "where", "basis", "records"],
                link_rows(ctx, chain),
                table_id="chain-links",
            ),
            html.H4("Victims"),
            html.Ul([html.Li(v) for v in victims]),
            dcc.Link("Money flow of this chain", href=f"/flow?chain={chain['id']}"),
        ],
        id="chain-body",
    )


def chain_options(ctx: AppContext) -> list[dict[str, str]]:
    return [
        {
            "label": f"{c['id']}: "
            + " → ".join(c["names"].get(r, "?") for r in STAGES[:-1] if r in c["members"]),
            "value": c["id"],
        }
        for c in ctx.data.chains()
    ]


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    options = chain_options(ctx)
    if not options:
        return html.Div([html.H2("Chains"), note("No chains: run fininvest chains CASE_DIR.")])
    return html.Div(
        [
            html.H2("Chain view"),
            dcc.Dropdown(
                options, value=item, id="chain-pick", placeholder="Choose a chain", clearable=False
            ),
            html.Div(chain_view(ctx, item), id="chain-box"),
            note("Deep link: " + href("chain", item)) if item else html.Span(),
        ]
    )


def build_pack(ctx: AppContext, chain_id: str | None) -> html.Div:
    """Write the chain's evidence pack (``fininvest evidence export``: the same function, the
    same audit entry) to ``CASE_DIR/evidence/<chain>-<time>.zip``, signed with the workspace key
    if there is one, and say where it went. Refused to a user limited to jurisdictions (a pack
    holds every record of the chain)."""
    from fininvest.evidence.export import export_pack
    from fininvest.evidence.signing import PRIVATE_NAME

    if not chain_id or ctx.data.chain(chain_id) is None:
        return html.Div(note("Choose a chain first."))
    if ctx.jurisdictions():
        ctx.audit("export", {"page": "chain", "format": "evidence pack", "item": chain_id,
                             "refused": "user limited to jurisdictions"})  # fmt: skip
        return html.Div(
            note(
                "Evidence packs hold every record of a chain: only users with the whole case "
                "build them. Ask for a partner share instead (Jurisdictions page)."
            ),
            id="chain-pack-refused",
        )
    at = datetime.now(UTC).replace(microsecond=0)
    out = ctx.ws.path("evidence", f"{chain_id}-{at:%Y%m%dT%H%M%SZ}-{uuid4().hex[:6]}.zip")
    key = ctx.ws.path("secrets", PRIVATE_NAME)
    res, records = export_pack(
        ctx.ws, [chain_id], out, at=at, sign_key=key if key.is_file() else None
    )
    ctx.audit("export", {"page": "chain", "format": "evidence pack", "item": chain_id,
                         "out": str(res.path)})  # fmt: skip
    signed = f"signed by {res.signed_by}" if res.signed_by else "unsigned (no workspace key)"
    return html.Div(
        [
            html.P(["Evidence pack written to ", html.Code(str(res.path), id="chain-pack-path")]),
            note(
                f"{len(res.files)} files, {records} records, {signed}; "
                f"tag manifest SHA-256 {res.tagmanifest_sha256}."
            ),  # fmt: skip
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("chain-box", "children"), Input("chain-pick", "value"), prevent_initial_call=True
    )
    def _pick(chain_id: str | None) -> Any:
        return chain_view(ctx, chain_id)

    @app.callback(
        Output("chain-pack-result", "children"),
        Input("chain-pack", "n_clicks"),
        State("chain-pick", "value"),
        prevent_initial_call=True,
    )
    def _pack(_clicks: Any, chain_id: str | None) -> Any:
        return build_pack(ctx, chain_id)

    @app.callback(
        Output("chain-graph", "generateImage"),
        Input("chain-png", "n_clicks"),
        Input("chain-svg", "n_clicks"),
        State("chain-pick", "value"),
        prevent_initial_call=True,
    )
    def _export(_png: Any, _svg: Any, chain_id: str | None) -> Any:
        return image_export(ctx, "chain", dash_ctx.triggered_id == "chain-svg", chain_id)
