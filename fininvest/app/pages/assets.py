"""Assets: the lifecycle board (one column per status), totals by jurisdiction and status,
and each asset's history of decisions with a link to its owner in the graph."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl
from dash import Dash, dcc, html

from fininvest.app.components import grid, link, md_link, note, plot_text, table, text
from fininvest.app.factory import AppContext
from fininvest.app.styles import colours
from fininvest.formats.declarations import ASSET_STATUSES


def board(assets: pl.DataFrame) -> html.Div:
    """One column per status, in the order of the confiscation steps."""
    columns = []
    for status in ASSET_STATUSES:
        here = assets.filter(pl.col("status") == status)
        cards = [
            html.Div(
                [
                    link("asset", r["asset_id"]),
                    html.Br(),
                    f"{r['kind']}, {text(r['value'])} {r['currency'] or ''} ({r['jurisdiction']})",
                ]
            )
            for r in here.iter_rows(named=True)
        ]
        columns.append(html.Div([html.H4(f"{status.replace('_', ' ')} ({here.height})"), *cards]))
    return html.Div(columns, className="fi-board", id="assets-board")


def totals(assets: pl.DataFrame) -> go.Figure:
    """Value by jurisdiction, stacked by status."""
    agg = assets.group_by("jurisdiction", "status").agg(pl.col("value").sum()).sort("jurisdiction")
    palette = colours()["statuses"]
    fig = go.Figure(
        [
            go.Bar(
                name=plot_text(s),
                x=agg.filter(pl.col("status") == s)["jurisdiction"].to_list(),
                y=agg.filter(pl.col("status") == s)["value"].to_list(),
                marker_color=palette.get(s),
            )
            for s in ASSET_STATUSES
            if s in set(agg["status"].to_list())
        ]
    )
    fig.update_layout(barmode="stack", height=280, margin={"l": 40, "r": 10, "t": 10, "b": 30})
    return fig


def history(ctx: AppContext, asset_id: str) -> html.Div:
    assets, events = ctx.data.asset_register()
    row = assets.filter(pl.col("asset_id") == asset_id)
    if not row.height:
        return html.Div(note(f"No asset {asset_id}."), id="asset-detail")
    a = row.row(0, named=True)
    ctx.audit("view", {"page": "asset", "item": asset_id})
    mine = events.filter(pl.col("asset_id") == asset_id) if events.height else events
    rows = [
        [
            text(r["date"]),
            r["status"],
            r["decision_ref"] or "",
            r["authority"] or "",
            text(r["amount"]),
            r["jurisdiction"] or "",
            f"{r['source_file']} record {r['record_no']}",
        ]
        for r in mine.iter_rows(named=True)
    ]
    return html.Div(
        [
            html.H3(f"{asset_id}: {a['description'] or a['kind']}"),
            html.P(
                f"{a['kind']}, {text(a['value'])} {a['currency'] or ''}, in {a['jurisdiction']};"
                f" status {a['status']}."
            ),
            html.P(
                [
                    "Owner: ",
                    link("entity", a["owner_id"], a["owner_name"] or a["owner_id"]),
                    " (open in the graph explorer)",
                ]
            ),
            table(
                ["date", "status", "decision", "authority", "amount", "country", "source"],
                rows,
                table_id="asset-history",
            ),
        ],
        id="asset-detail",
    )


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    assets, _events = ctx.data.asset_register()
    if not assets.height:
        return html.Div([html.H2("Assets"), note("No assets in this case.")])
    rows: list[list[Any]] = [
        [
            md_link("asset", r["asset_id"]),
            r["kind"],
            r["owner_name"] or r["owner_id"],
            r["jurisdiction"],
            text(r["value"]),
            r["currency"] or "",
            r["status"],
            text(r["status_date"]),
        ]
        for r in assets.iter_rows(named=True)
    ]
    return html.Div(
        [
            html.H2("Assets"),
            board(assets),
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Graph(
                                id="assets-totals",
                                figure=totals(assets),
                                config={"displaylogo": False},
                            ),
                            grid(
                                [
                                    "asset",
                                    "kind",
                                    "owner",
                                    "country",
                                    "value",
                                    "currency",
                                    "status",
                                    "since",
                                ],
                                rows,
                                grid_id="assets-table",
                                links=["asset"],
                            ),
                        ],
                        className="fi-main",
                    ),
                    html.Div(
                        history(ctx, item) if item else note("Select an asset."),
                        className="fi-side",
                    ),
                ],
                className="fi-row",
            ),
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    """No callbacks: selection is by deep link (/asset/<id>)."""
