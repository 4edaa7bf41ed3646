"""Alerts: the ranked screening alerts, filterable; possible victims listed apart.

Selecting an alert (``/alert/<account>``) shows its explanation in words — indicator, window,
observed against threshold, citation — and its evidence transactions, and links the account to
the graph explorer.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from dash import Dash, Input, Output, dcc, html

from fininvest.app.components import grid, href, md_link, note, text
from fininvest.app.factory import AppContext

MAX_ROWS = 500
MAX_EVIDENCE = 500


def filter_alerts(
    alerts: pl.DataFrame,
    families: list[str] | None = None,
    indicators: list[str] | None = None,
    jurisdictions: list[str] | None = None,
    min_score: float | None = None,
) -> pl.DataFrame:
    """The alerts matching every filter given (each list: any of its values).

    Examples
    --------
    >>> filter_alerts(alerts, families=["forced_labour"], min_score=2.0)  # doctest: +SKIP
    """
    out = alerts
    if not out.height:
        return out
    if families:
        out = out.filter(pl.col("families").list.eval(pl.element().is_in(families)).list.any())
    if indicators:
        out = out.filter(pl.col("indicators").list.eval(pl.element().is_in(indicators)).list.any())
    if jurisdictions:
        out = out.filter(pl.col("country").is_in(jurisdictions))
    if min_score is not None:
        out = out.filter(pl.col("score") >= min_score)
    return out


def alert_table(alerts: pl.DataFrame, classification: str, table_id: str) -> html.Div:
    """Rows of one classification (suspects or possible victims), in rank order."""
    rows = alerts.filter(pl.col("classification") == classification).sort("rank")
    shown = rows.head(MAX_ROWS)
    body = [
        [
            r["rank"],
            md_link("alert", r["entity_id"]),
            r["holder_name"] or r["holder_id"] or "",
            r["country"] or "",
            f"{r['score']:.2f}",
            ", ".join(r["indicators"]),
        ]
        for r in shown.iter_rows(named=True)
    ]
    cols = ["rank", "account", "holder", "country", "score", "indicators"]
    parts: list[Any] = [grid(cols, body, grid_id=table_id, links=["account"], page_size=15)]
    if rows.height > shown.height:
        parts.append(note(f"{rows.height - shown.height} more; narrow the filters."))
    return html.Div(parts, className="fi-scroll")


def explanation_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Each fired indicator in words: what was seen, against what, over which window, and the
    source of the indicator."""
    out = []
    for r in rows:
        seen = f"observed {text(r['observed'])} against a threshold of {text(r['threshold'])}"
        out.append(
            f"{r['indicator']} ({r['family']}, weight {r['weight']:g}): {r['detail']} — {seen}"
            f" over {r['window']}. Source: {r['citation']}."
        )
    return out


def detail(ctx: AppContext, entity_id: str) -> html.Div:
    """One alert: its explanation and evidence transactions."""
    alerts = ctx.data.alerts()
    row = alerts.filter(pl.col("entity_id") == entity_id) if alerts.height else alerts
    if not row.height:
        return html.Div(note(f"No alert on {entity_id}."), id="alert-detail")
    a = row.row(0, named=True)
    expl = ctx.data.explanations(entity_id)
    evidence_ids = sorted({e for r in expl for e in r["evidence"]})
    txs = ctx.data.transactions(evidence_ids[:MAX_EVIDENCE])
    who = a["holder_name"] or a["holder_id"] or "unknown holder"
    tx_rows = [
        [
            t["ts"].strftime("%Y-%m-%d %H:%M") if t["ts"] else "",
            f"{t['amount']:,.2f} {t['currency'] or ''}",
            t["from_account"] or "(cash)",
            t["to_account"] or "(cash)",
            t["channel"] or "",
            t["city"] or "",
            t["txn_id"],
            f"{t['source_file']} record {t['record_no']}",
        ]
        for t in txs
    ]
    return html.Div(
        [
            html.H3(f"Alert #{a['rank']} ({a['classification'].replace('_', ' ')}): {entity_id}"),
            html.P(f"Holder: {who}; score {a['score']:.2f}; country {a['country'] or '?'}."),
            dcc.Link(
                "Open the account in the graph explorer",
                href=href("entity", entity_id),
                id="alert-open-explorer",
            ),
            html.H4("Why"),
            html.Ul([html.Li(line) for line in explanation_lines(expl)], id="alert-why"),
            html.H4(f"Evidence transactions ({len(evidence_ids)})"),
            grid(
                ["time", "amount", "payer", "payee", "channel", "city", "id", "source"],
                tx_rows,
                grid_id="alert-evidence",
                page_size=10,
            ),
        ],
        id="alert-detail",
    )


def _options(values: list[str]) -> list[dict[str, str]]:
    return [{"label": v, "value": v} for v in sorted(set(values))]


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    alerts = ctx.data.alerts()
    if not alerts.height:
        return html.Div([html.H2("Alerts"), note("No alerts: run fininvest screen CASE_DIR.")])
    families = alerts["families"].explode().drop_nulls().to_list()
    indicators = alerts["indicators"].explode().drop_nulls().to_list()
    countries = alerts["country"].drop_nulls().to_list()
    filters = html.Div(
        [
            html.Div(
                [
                    html.Label("Family"),
                    dcc.Dropdown(
                        _options(families), multi=True, id="alerts-family", persistence=True
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Indicator"),
                    dcc.Dropdown(
                        _options(indicators), multi=True, id="alerts-indicator", persistence=True
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Jurisdiction"),
                    dcc.Dropdown(
                        _options(countries), multi=True, id="alerts-jurisdiction", persistence=True
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Minimum score"),
                    dcc.Input(
                        id="alerts-min-score", type="number", min=0, step=0.5, persistence=True
                    ),
                ]
            ),
        ],
        className="fi-filters",
    )
    side = detail(ctx, item) if item else html.Div(note("Select an alert."), id="alert-detail")
    return html.Div(
        [
            html.H2("Alerts"),
            filters,
            html.Div(
                [
                    html.Div(
                        [
                            html.H3("Suspects"),
                            html.Div(
                                alert_table(alerts, "suspect", "alerts-suspects"),
                                id="alerts-suspects-box",
                            ),
                            html.Div(
                                [
                                    html.H3(
                                        "Possible victims (listed apart, never ranked "
                                        "among suspects)"
                                    ),
                                    html.Div(
                                        alert_table(alerts, "possible_victim", "alerts-victims"),
                                        id="alerts-victims-box",
                                    ),
                                ],
                                className="fi-victims",
                            ),
                        ],
                        className="fi-main",
                    ),
                    html.Div(side, className="fi-side"),
                ],
                className="fi-row",
            ),
        ]
    )


def filtered_tables(
    ctx: AppContext,
    families: list[str] | None,
    indicators: list[str] | None,
    jurisdictions: list[str] | None,
    min_score: float | None,
) -> tuple[html.Div, html.Div]:
    """The two tables after filtering (the callback of the filters)."""
    alerts = filter_alerts(ctx.data.alerts(), families, indicators, jurisdictions, min_score)
    return (
        alert_table(alerts, "suspect", "alerts-suspects"),
        alert_table(alerts, "possible_victim", "alerts-victims"),
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("alerts-suspects-box", "children"),
        Output("alerts-victims-box", "children"),
        Input("alerts-family", "value"),
        Input("alerts-indicator", "value"),
        Input("alerts-jurisdiction", "value"),
        Input("alerts-min-score", "value"),
        prevent_initial_call=True,
    )
    def _filter(fam: Any, ind: Any, jur: Any, score: Any) -> tuple[html.Div, html.Div]:
        return filtered_tables(ctx, fam, ind, jur, score)
