"""Jurisdictions (JIT view): the countries of the case and the money between them.

Per country: the parties living there, the accounts held there, the transaction records that
touch it, the intelligence records it holds and the assets located there; and a graph of the
cross-border money (one edge per pair of countries, width by amount).
"""

from __future__ import annotations

from typing import Any

import dash_cytoscape as cyto
import polars as pl
from dash import Dash, html

from fininvest.app.components import note, table
from fininvest.app.factory import AppContext
from fininvest.app.styles import jurisdiction_class, stylesheet


def _count_by(df: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
    if not df.height or column not in df.columns:
        return pl.DataFrame(schema={"country": pl.String, name: pl.UInt32})
    return (
        df.select(pl.col(column).cast(pl.String).alias("country"))
        .drop_nulls()
        .group_by("country")
        .agg(pl.len().alias(name))
    )


def summary(ctx: AppContext) -> pl.DataFrame:
    """One row per country: entities, accounts, records, intelligence, assets."""
    d = ctx.data
    tx = d.table("transactions")
    touching = (
        pl.concat(
            [
                tx.select(pl.col("from_country").cast(pl.String).alias("c")),
                tx.select(pl.col("to_country").cast(pl.String).alias("c")),
            ]
        )
        .drop_nulls()
        .rename({"c": "country_of"})
        if tx.height
        else pl.DataFrame(schema={"country_of": pl.String})
    )
    assets, _events = d.asset_register()
    parts = [
        _count_by(d.table("parties"), "residence_country", "entities"),
        _count_by(d.table("accounts"), "country", "accounts"),
        _count_by(touching, "country_of", "records"),
        _count_by(d.table("intel_links"), "jurisdiction", "intelligence"),
        _count_by(assets, "jurisdiction", "assets"),
    ]
    out = parts[0]
    for p in parts[1:]:
        out = out.join(p, on="country", how="full", coalesce=True)
    return out.fill_null(0).sort("records", "country", descending=[True, False])


def cross_border(ctx: AppContext, limit: int = 60) -> pl.DataFrame:
    """Money between countries: payer country → payee country, count and total."""
    tx = ctx.data.table("transactions")
    if not tx.height:
        return pl.DataFrame(
            schema={"src": pl.String, "dst": pl.String, "count": pl.UInt32, "total": pl.Float64}
        )
    return (
        tx.select(
            pl.col("from_country").cast(pl.String).alias("src"),
            pl.col("to_country").cast(pl.String).alias("dst"),
            "amount_base",
        )
        .drop_nulls()
        .filter(pl.col("src") != pl.col("dst"))
        .group_by("src", "dst")
        .agg(pl.len().alias("count"), pl.col("amount_base").sum().alias("total"))
        .sort("total", "src", "dst", descending=[True, False, False])
        .head(limit)
    )


def country_elements(per_country: pl.DataFrame, money: pl.DataFrame) -> list[dict[str, Any]]:
    shown = set(money["src"].to_list()) | set(money["dst"].to_list())
    rows = per_country.filter(pl.col("country").is_in(list(shown)))
    els: list[dict[str, Any]] = [
        {
            "data": {"id": r["country"], "label": r["country"], "entities": r["entities"]},
            "classes": jurisdiction_class(r["country"]),
        }
        for r in rows.iter_rows(named=True)
    ]
    known = {e["data"]["id"] for e in els}
    els += [
        {
            "data": {
                "id": f"{s}>{d}",
                "source": s,
                "target": d,
                "total": round(t, 2),
                "label": f"{c} · {t:,.0f}",
            }
        }
        for s, d, c, t in money.iter_rows()
        if s in known and d in known
    ]
    return els


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    per_country = summary(ctx)
    if not per_country.height:
        return html.Div([html.H2("Jurisdictions"), note("Nothing ingested yet.")])
    money = cross_border(ctx)
    cols = ["country", "entities", "accounts", "records", "intelligence", "assets"]
    return html.Div(
        [
            html.H2("Jurisdictions"),
            note(
                "Partner shares (pseudonymised) are prepared with fininvest share once that "
                "command is installed."
            ),
            html.Div(
                [
                    html.Div(
                        cyto.Cytoscape(
                            id="jurisdictions-graph",
                            elements=country_elements(per_country, money),
                            layout={"name": "circle", "padding": 30},
                            stylesheet=stylesheet("jurisdictions"),
                            className="fi-cy",
                            style={"height": "55vh"},
                        ),
                        className="fi-main",
                    ),
                    html.Div(
                        table(
                            cols, per_country.select(cols).rows(), table_id="jurisdictions-table"
                        ),
                        className="fi-side fi-scroll",
                    ),
                ],
                className="fi-row",
            ),
            html.H4("Cross-border money (largest pairs)"),
            table(
                ["from", "to", "payments", "total"],
                [[s, d, c, f"{t:,.2f}"] for s, d, c, t in money.iter_rows()],
                table_id="jurisdictions-money",
            ),
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    """No callbacks: the page is computed on load."""
