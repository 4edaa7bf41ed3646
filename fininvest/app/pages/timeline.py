"""Timeline: the dated events of a chain or an entity in time order, filterable by kind.

Transactions of their accounts, intelligence records (trips, recruitment, exploitation, ads),
suspicious transaction reports naming their accounts, and decisions on their assets.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import plotly.graph_objects as go
import polars as pl
from dash import Dash, Input, Output, dcc, html

from fininvest.app.components import grid, note, plot_text
from fininvest.app.factory import AppContext
from fininvest.app.pages.chains import chain_options

KINDS = ("transaction", "intelligence", "trip", "ad", "report", "asset decision")
MAX_ROWS = 5_000


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def events(ctx: AppContext, parties: list[str]) -> list[dict[str, Any]]:
    """Every dated event of the parties (and their accounts), in time order: dicts with
    ``when``, ``kind``, ``what`` and ``record``."""
    data = ctx.data
    accounts = [a for p in parties for a in data.accounts_of(p)] + parties
    acc = list(accounts)
    out: list[dict[str, Any]] = []
    tx = data.table("transactions")
    if tx.height:
        mine = tx.filter(pl.col("from_account").is_in(acc) | pl.col("to_account").is_in(acc))
        for t in mine.select(
            "ts",
            "txn_id",
            "amount",
            "currency",
            "from_account",
            "to_account",
            pl.col("channel").cast(pl.String),
            "report_id",
        ).iter_rows(named=True):
            out.append(
                {
                    "when": t["ts"],
                    "kind": "transaction",
                    "record": t["txn_id"],
                    "what": f"{t['amount']:,.2f} {t['currency']} {t['from_account'] or 'cash'}"
                    f" → {t['to_account'] or 'cash'} ({t['channel']})",
                }
            )
        reports = set(mine["report_id"].drop_nulls().to_list())
        strs = data.table("str_reports")
        if reports and strs.height:
            for r in strs.filter(pl.col("report_id").is_in(list(reports))).iter_rows(named=True):
                out.append(
                    {
                        "when": r["submitted"],
                        "kind": "report",
                        "record": r["report_id"],
                        "what": f"{r['report_code']}: {r['reason'] or ''}",
                    }
                )
    intel = data.table("intel_links")
    if intel.height:
        mine = intel.filter(pl.col("subject_id").is_in(acc) | pl.col("object_id").is_in(acc))
        for r in mine.iter_rows(named=True):
            relation = str(r["relation"])
            kind = {"transported": "trip", "advertised_with": "ad"}.get(relation, "intelligence")
            route = f" {r['from_country']} → {r['to_country']}" if r["from_country"] else ""
            out.append(
                {
                    "when": r["date_from"],
                    "kind": kind,
                    "record": r["link_id"],
                    "what": f"{r['subject_id']} {relation.replace('_', ' ')} {r['object_id']}"
                    f"{route} ({r['source_reliability']}{r['info_credibility']}"
                    f" {r['handling_code'] or ''})",
                }
            )
    assets, history = data.asset_register()
    if assets.height and history.height:
        owned = assets.filter(pl.col("owner_id").is_in(acc))["asset_id"].to_list()
        for r in history.filter(pl.col("asset_id").is_in(owned)).iter_rows(named=True):
            out.append(
                {
                    "when": r["date"],
                    "kind": "asset decision",
                    "record": r["event_id"],
                    "what": f"{r['asset_id']} {r['status']} ({r['decision_ref'] or ''})",
                }
            )
    return sorted(out, key=lambda e: (_when(e["when"]), e["kind"], e["record"]))


def figure(items: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure(
        [
            go.Scattergl(
                x=[_when(e["when"]) for e in items if e["kind"] == kind],
                y=[kind] * sum(1 for e in items if e["kind"] == kind),
                mode="markers",
                name=kind,
                text=[plot_text(e["what"]) for e in items if e["kind"] == kind],
                hovertemplate="%{x}<br>%{text}<extra></extra>",
            )
            for kind in KINDS
            if any(e["kind"] == kind for e in items)
        ]
    )
    fig.update_layout(height=300, margin={"l": 110, "r": 10, "t": 10, "b": 30}, showlegend=False)
    return fig


def subjects(ctx: AppContext, chain_id: str | None, entity: str | None) -> list[str]:
    if entity:
        return [entity]
    chain = ctx.data.chain(chain_id) if chain_id else None
    return [*chain["members"].values(), *chain.get("victims", [])] if chain else []


def timeline_view(ctx: AppContext, who: list[str], kinds: list[str] | None) -> html.Div:
    if not who:
        return html.Div(note("Choose a chain, or open /timeline?entity=<id>."))
    ctx.audit("view", {"page": "timeline", "item": ",".join(who[:20])})
    items = [e for e in events(ctx, who) if not kinds or e["kind"] in kinds]
    rows = [
        [_when(e["when"]).strftime("%Y-%m-%d %H:%M"), e["kind"], e["what"], e["record"]]
        for e in items[:MAX_ROWS]
    ]
    return html.Div(
        [
            dcc.Graph(id="timeline-chart", figure=figure(items), config={"displaylogo": False}),
            note(
                f"{len(items)} events"
                + (f"; the first {MAX_ROWS} listed" if len(items) > MAX_ROWS else "")
            ),
            grid(["when", "kind", "what", "record"], rows, grid_id="timeline-table", page_size=20),
        ]
    )


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    options = chain_options(ctx)
    entity = query.get("entity")
    chosen = None if entity else (query.get("chain") or (options[0]["value"] if options else None))
    return html.Div(
        [
            html.H2("Timeline"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Chain"),
                            dcc.Dropdown(options, value=chosen, id="timeline-pick"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Kinds"),
                            dcc.Checklist(
                                list(KINDS), list(KINDS), id="timeline-kinds", inline=True
                            ),
                        ]
                    ),
                ],
                className="fi-filters",
            ),
            dcc.Store(id="timeline-entity", data=entity),
            html.Div(timeline_view(ctx, subjects(ctx, chosen, entity), None), id="timeline-box"),
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("timeline-box", "children"),
        Input("timeline-pick", "value"),
        Input("timeline-kinds", "value"),
        Input("timeline-entity", "data"),
        prevent_initial_call=True,
    )
    def _pick(chain_id: str | None, kinds: list[str] | None, entity: str | None) -> Any:
        return timeline_view(ctx, subjects(ctx, chain_id, entity), kinds)
