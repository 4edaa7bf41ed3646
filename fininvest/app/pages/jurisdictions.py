"""Jurisdictions (JIT view): the countries of the case and the money between them.

Per country: the parties living there, the accounts held there, the transaction records that
touch it, the intelligence records it holds and the assets located there; and a graph of the
cross-border money (one edge per pair of countries, width by amount).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash_cytoscape as cyto
import polars as pl
from dash import Dash, Input, Output, State, dcc, html, no_update

from fininvest.app.components import note, table
from fininvest.app.factory import AppContext
from fininvest.app.styles import jurisdiction_class, stylesheet
from fininvest.errors import FininvestError
from fininvest.jit.agreement import list_agreements, load_agreement
from fininvest.jit.prepare import prepare_share


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
            share_form(ctx),
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


#: pseudonymised ids listed in the preview (the rest are counted)
LISTED = 1_000


def share_form(ctx: AppContext) -> html.Div:
    """Choose a JIT agreement and a partner; "Preview the share" shows what will be shared,
    pseudonymised and withheld; only then "Write the share" writes the package."""
    agreements = list_agreements(ctx.ws)
    if not agreements:
        return html.Div(
            note("No JIT agreement in this case: create one with fininvest jit create."),
            id="share-form",
        )
    first = agreements[0]
    return html.Div(
        [
            html.H4("Prepare a partner share"),
            html.Div(
                [
                    dcc.Dropdown(
                        [a.id for a in agreements], first.id, id="share-jit", clearable=False
                    ),
                    dcc.Dropdown(
                        partner_options(ctx, first.id), id="share-partner", placeholder="Partner"
                    ),  # fmt: skip
                    html.Button("Preview the share", id="share-preview-button"),
                ],
                className="fi-filters",
            ),
            dcc.Loading(html.Div(id="share-preview")),
            dcc.Loading(html.Div(id="share-written")),
        ],
        id="share-form",
    )


def partner_options(ctx: AppContext, jit_id: str | None) -> list[dict[str, str]]:
    if not jit_id:
        return []
    agreement = load_agreement(ctx.ws, jit_id)
    return [
        {"label": f"{cc} ({authority})", "value": cc}
        for cc, authority in sorted(agreement.partners.items())
    ]


def _refused(ctx: AppContext) -> html.Div | None:
    if ctx.jurisdictions():
        return html.Div(
            note(
                "Shares are prepared by users with the whole case (yours is limited to "
                f"{', '.join(sorted(ctx.jurisdictions()))})."
            ),  # fmt: skip
            id="share-refused",
        )
    return None


def share_preview(ctx: AppContext, jit_id: str | None, partner: str | None) -> html.Div:
    """What a share to ``partner`` would hold (``fininvest share --preview``, audited): the
    records shared per table, every id that will be pseudonymised and the records withheld
    with their reasons; then the button that writes it."""
    if not jit_id or not partner:
        return html.Div(note("Choose an agreement and a partner."))
    refused = _refused(ctx)
    if refused is not None:
        return refused
    try:
        s = prepare_share(ctx.ws, jit_id, partner, via={"app_user": ctx.user()})
    except FininvestError as e:
        return html.Div(note(f"Refused: {e}"), id="share-refused")
    pseudo = s["pseudonymised"]
    return html.Div(
        [
            html.P(
                f"Share {s['jit']} → {s['partner']} (preview, nothing written yet). "
                f"Chains: {', '.join(s['chains']) or 'none crossing the partner'}."
            ),  # fmt: skip
            table(["records", "shared"], list(s["shared"].items()), table_id="share-shared"),
            html.H5(f"Pseudonymised ({len(pseudo)}): out of scope, replaced by keyed pseudonyms"),
            html.Ul(
                [html.Li(f"{p['id']} ({p['kind']}) → {p['pseudonym']}") for p in pseudo[:LISTED]],
                id="share-pseudonymised",
                className="fi-scroll",
            ),
            note(
                f"… and {len(pseudo) - LISTED} more (fininvest share --preview --format json "
                "lists them all)."
            )
            if len(pseudo) > LISTED
            else html.Span(),  # fmt: skip
            html.H5(f"Withheld ({len(s['withheld'])})"),
            table(
                ["reason", "records"],
                list(s["withheld_by_reason"].items()),
                table_id="share-withheld",
            ),  # fmt: skip
            note("The package shows counts below the agreement's threshold as <N."),
            html.Button("Write the share", id="share-write"),
        ]
    )


def share_write(ctx: AppContext, jit_id: str | None, partner: str | None) -> html.Div:
    """Write the share (``fininvest share --out``, audited) to ``CASE_DIR/evidence/`` and say
    where."""
    if not jit_id or not partner:
        return html.Div(note("Choose an agreement and a partner."))
    refused = _refused(ctx)
    if refused is not None:
        return refused
    at = datetime.now(UTC)
    out = ctx.ws.path("evidence", f"share-{jit_id}-{partner}-{at:%Y%m%dT%H%M%SZ}.zip")
    try:
        s = prepare_share(ctx.ws, jit_id, partner, out=out, via={"app_user": ctx.user()})
    except FininvestError as e:
        return html.Div(note(f"Refused: {e}"), id="share-refused")
    return html.Div(
        html.P(["Share written to ", html.Code(str(s["package"]["path"]), id="share-path")])
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("share-partner", "options"), Input("share-jit", "value"), prevent_initial_call=True
    )
    def _partners(jit_id: str | None) -> Any:
        return partner_options(ctx, jit_id)

    @app.callback(
        Output("share-preview", "children"),
        Output("share-written", "children"),
        Input("share-preview-button", "n_clicks"),
        State("share-jit", "value"),
        State("share-partner", "value"),
        prevent_initial_call=True,
    )
    def _preview(_n: Any, jit_id: str | None, partner: str | None) -> Any:
        return share_preview(ctx, jit_id, partner), None

    @app.callback(
        Output("share-written", "children", allow_duplicate=True),
        Input("share-write", "n_clicks"),
        State("share-jit", "value"),
        State("share-partner", "value"),
        prevent_initial_call=True,
    )
    def _write(n: Any, jit_id: str | None, partner: str | None) -> Any:
        return share_write(ctx, jit_id, partner) if n else no_update
