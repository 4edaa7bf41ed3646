"""Money flow: where the money of a chain came from and where it went, as a Sankey.

Payers of the victims → victims → the chain's members → accounts abroad, other accounts, and
cash taken out of the banking system, which is its own sink (never "nothing"). Below it, the
paths of ``fininvest trace`` from the controller's accounts (the same tracing module) and the
chain's outflows per month.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl
from dash import Dash, Input, Output, dcc, html

from fininvest.app.components import note, plot_text, table
from fininvest.app.data import ms_to_iso
from fininvest.app.factory import AppContext
from fininvest.app.pages.chains import chain_options, residence
from fininvest.graph.trace import TraceParams

CASH = "cash taken out of the banking system"
PAYERS = "payers of the victims"
CASH_CHANNELS = ("atm", "cash")


def groups(ctx: AppContext, chain: dict[str, Any]) -> dict[str, str]:
    """Account → its place in the flow: a role with the member's name, or "victims"."""
    names = ctx.data.names()
    out: dict[str, str] = {}
    for v in chain.get("victims", []):
        for a in ctx.data.accounts_of(v):
            out[a] = "victims"
    for role, pid in chain["members"].items():
        for a in ctx.data.accounts_of(pid):
            out[a] = f"{role}: {names.get(pid, pid)}"
    return out


def flows(ctx: AppContext, chain: dict[str, Any]) -> pl.DataFrame:
    """Totals between the places of a chain's money (columns ``src``, ``dst``, ``total``,
    ``count``), from the transactions table.

    Money into the victims' accounts from outside the chain comes from "payers of the victims";
    money leaving the chain goes to "abroad: XX" or "other accounts in XX" (by the payee
    account's country against the controller's residence), or, for ATM and cash withdrawals,
    to the cash sink.
    """
    tx = ctx.data.table("transactions")
    place = groups(ctx, chain)
    if not tx.height or not place:
        return pl.DataFrame(
            schema={"src": pl.String, "dst": pl.String, "total": pl.Float64, "count": pl.UInt32}
        )
    home = residence(ctx).get(chain["members"].get("controller", ""), "")
    accounts = list(place)
    mine = tx.filter(pl.col("from_account").is_in(accounts) | pl.col("to_account").is_in(accounts))
    mapping = pl.DataFrame({"account": list(place), "group": list(place.values())})
    src = mine.join(mapping, left_on="from_account", right_on="account", how="left")["group"]
    dst = mine.join(mapping, left_on="to_account", right_on="account", how="left")["group"]
    to_country = mine["to_country"].cast(pl.String).fill_null("?")
    channel = mine["channel"].cast(pl.String)
    frame = pl.DataFrame(
        {
            "src": src,
            "dst": dst,
            "amount": mine["amount_base"],
            "to_country": to_country,
            "channel": channel,
            "to_account": mine["to_account"],
        }
    )
    frame = frame.with_columns(
        pl.col("src").fill_null(PAYERS),
        pl.when(pl.col("dst").is_not_null())
        .then(pl.col("dst"))
        .when(pl.col("to_account").is_null() & pl.col("channel").is_in(CASH_CHANNELS))
        .then(pl.lit(CASH))
        .when(pl.col("to_country") != home)
        .then(pl.concat_str(pl.lit("abroad: "), pl.col("to_country")))
        .otherwise(pl.concat_str(pl.lit("other accounts in "), pl.col("to_country")))
        .alias("dst"),
    )
    out = (
        frame.filter(pl.col("src") != pl.col("dst"))
        .group_by("src", "dst")
        .agg(pl.col("amount").sum().alias("total"), pl.len().alias("count"))
        .sort("total", "src", "dst", descending=[True, False, False])
    )
    # a Sankey cannot draw a cycle: of two opposite flows keep the larger
    seen: set[tuple[str, str]] = set()
    keep = []
    for s, d in out.select("src", "dst").iter_rows():
        keep.append((d, s) not in seen)
        seen.add((s, d))
    return out.filter(pl.Series(keep))


def sankey(frame: pl.DataFrame) -> go.Figure:
    labels = sorted(set(frame["src"].to_list()) | set(frame["dst"].to_list()))
    index = {label: i for i, label in enumerate(labels)}
    fig = go.Figure(
        go.Sankey(
            node={"label": [plot_text(x) for x in labels], "pad": 18},
            link={
                "source": [index[s] for s in frame["src"]],
                "target": [index[d] for d in frame["dst"]],
                "value": frame["total"].to_list(),
                "customdata": frame["count"].to_list(),
                "hovertemplate": "%{value:,.0f} in %{customdata} payments<extra></extra>",
            },
        )
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=460)
    return fig


def traced(ctx: AppContext, chain: dict[str, Any], max_paths: int = 10) -> dict[str, Any]:
    """``fininvest trace`` from the controller's accounts (the same tracing module)."""
    controller = chain["members"].get("controller")
    sources = ctx.data.accounts_of(controller) if controller else []
    if not sources:
        return {"paths": [], "edges": [], "reached": []}
    return ctx.data.trace(sources, TraceParams(max_hops=4, max_paths=max_paths))


def trace_rows(res: dict[str, Any]) -> list[list[Any]]:
    """The largest traced paths: amount carried, the accounts, arrival date, hops."""
    return [
        [
            f"{p['amount']:,.2f}",
            " → ".join([p["hops"][0]["from"], *(h["to"] for h in p["hops"])]),
            ms_to_iso(p["hops"][-1]["arrival_ms"]),
            len(p["hops"]),
        ]
        for p in res["paths"]
        if p["hops"]
    ]


def cash_out(ctx: AppContext, res: dict[str, Any]) -> pl.DataFrame:
    """Cash taken out of the banking system (ATM and cash withdrawals) by the accounts the
    trace reached, after the traced money first arrived there, per day (``day``, ``total``)."""
    tx = ctx.data.table("transactions")
    first = {r["account"]: r["first_ms"] for r in res.get("reached", [])}
    if not tx.height or not first:
        return pl.DataFrame(schema={"day": pl.String, "total": pl.Float64})
    arrived = pl.DataFrame({"from_account": list(first), "arrived_ms": list(first.values())})
    return (
        tx.filter(
            pl.col("to_account").is_null() & pl.col("channel").cast(pl.String).is_in(CASH_CHANNELS)
        )
        .join(arrived, on="from_account")
        .filter(pl.col("ts").dt.epoch("ms") >= pl.col("arrived_ms"))
        .group_by(pl.col("ts").dt.strftime("%Y-%m-%d").alias("day"))
        .agg(pl.col("amount_base").sum().alias("total"))
        .sort("day")
    )


def trace_figure(ctx: AppContext, res: dict[str, Any]) -> go.Figure:
    """The traced paths over time (x: when the money arrived at each hop, y: the amount the
    hop carried), and the cash the reached accounts took out as its own sink."""
    fig = go.Figure()
    for i, p in enumerate(res["paths"]):
        if not p["hops"]:
            continue
        fig.add_trace(
            go.Scatter(
                name=plot_text(f"path {i + 1}: {p['amount']:,.0f} → {p['hops'][-1]['to']}"),
                x=[ms_to_iso(h["arrival_ms"]) for h in p["hops"]],
                y=[round(h["amount"], 2) for h in p["hops"]],
                text=[plot_text(f"{h['from']} → {h['to']}") for h in p["hops"]],
                mode="lines+markers",
                hovertemplate="%{text}<br>%{x}: %{y:,.2f}<extra></extra>",
            )
        )
    cash = cash_out(ctx, res)
    if cash.height:
        fig.add_trace(
            go.Bar(name=CASH, x=cash["day"].to_list(), y=cash["total"].to_list(), opacity=0.5)
        )
    fig.update_layout(height=300, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                      xaxis={"type": "date"}, legend={"font": {"size": 10}})  # fmt: skip
    return fig


def monthly(ctx: AppContext, chain: dict[str, Any]) -> go.Figure:
    """The chain's outgoing money per month, by kind of destination."""
    tx = ctx.data.table("transactions")
    place = groups(ctx, chain)
    out = (
        (
            tx.filter(pl.col("from_account").is_in(list(place)))
            .with_columns(
                pl.col("ts").dt.strftime("%Y-%m").alias("month"),
                pl.when(pl.col("to_account").is_null())
                .then(pl.lit("cash"))
                .otherwise(pl.lit("to accounts"))
                .alias("to"),
            )
            .group_by("month", "to")
            .agg(pl.col("amount_base").sum().alias("total"))
            .sort("month", "to")
        )
        if tx.height and place
        else pl.DataFrame({"month": [], "to": [], "total": []})
    )
    fig = go.Figure(
        [
            go.Bar(
                name=kind,
                x=out.filter(pl.col("to") == kind)["month"].to_list(),
                y=out.filter(pl.col("to") == kind)["total"].to_list(),
            )
            for kind in ("to accounts", "cash")
        ]
    )
    fig.update_layout(barmode="stack", height=260, margin={"l": 40, "r": 10, "t": 10, "b": 30})
    return fig


def flow_view(ctx: AppContext, chain_id: str | None) -> html.Div:
    chain = ctx.data.chain(chain_id) if chain_id else None
    if chain is None:
        return html.Div(note("Choose a chain."))
    ctx.audit("view", {"page": "flow", "item": chain_id})
    frame = flows(ctx, chain)
    res = traced(ctx, chain)
    rows = [[s, d, f"{t:,.2f}", c] for s, d, t, c in frame.iter_rows()]
    return html.Div(
        [
            dcc.Graph(id="flow-sankey", figure=sankey(frame), config={"displaylogo": False}),
            table(["from", "to", "total", "payments"], rows, table_id="flow-table"),
            html.H4("Traced paths from the controller's accounts (fininvest trace)"),
            dcc.Graph(
                id="flow-trace", figure=trace_figure(ctx, res), config={"displaylogo": False}
            ),
            table(["amount", "path", "arrived", "hops"], trace_rows(res), table_id="flow-paths"),
            html.H4("Outgoing money per month"),
            dcc.Graph(id="flow-monthly", figure=monthly(ctx, chain), config={"displaylogo": False}),
        ]
    )


def layout(ctx: AppContext, item: str | None, query: dict[str, str]) -> html.Div:
    options = chain_options(ctx)
    if not options:
        return html.Div([html.H2("Money flow"), note("No chains: run fininvest chains CASE_DIR.")])
    chosen = query.get("chain") or options[0]["value"]
    return html.Div(
        [
            html.H2("Money flow"),
            dcc.Dropdown(options, value=chosen, id="flow-pick", clearable=False),
            html.Div(flow_view(ctx, chosen), id="flow-box"),
        ]
    )


def register(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output("flow-box", "children"), Input("flow-pick", "value"), prevent_initial_call=True
    )
    def _pick(chain_id: str | None) -> Any:
        return flow_view(ctx, chain_id)
