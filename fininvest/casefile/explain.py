"""Why an account (or a person's accounts) is flagged: every explanation of the last screen in
words, with its evidence transactions and the public source.

Reads ``results/alerts.parquet`` and ``results/explanations.parquet`` (written by
``fininvest screen``) and the money tables for the evidence; nothing is recomputed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from fininvest.casefile.names import Names, load_names
from fininvest.errors import UnknownEntity, WorkspaceError
from fininvest.workspace import Workspace

#: the columns of the long form: one row per explanation (``screen --explain --format csv``)
LONG_COLUMNS = ("rank", "entity_id", "holder_id", "holder_name", "score", "classification",
                "indicator", "family", "detail", "observed", "threshold", "window",
                "evidence_total", "evidence", "citation")  # fmt: skip


def read_results(ws: Workspace) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The last screen's alerts and explanations."""
    alerts, expl = ws.path("results", "alerts.parquet"), ws.path("results", "explanations.parquet")
    if not alerts.exists() or not expl.exists():
        raise WorkspaceError(
            f"{ws.root} has not been screened yet",
            hint=f"Run: fininvest screen {ws.root}",
        )
    return pl.read_parquet(alerts), pl.read_parquet(expl)


def with_names(alerts: pl.DataFrame, names: Names) -> pl.DataFrame:
    """The alerts with ``holder_name`` after ``holder_id``."""
    return alerts.with_columns(
        pl.col("holder_id")
        .replace_strict(names.party, default=None, return_dtype=pl.String)
        .alias("holder_name")
    ).select(*alerts.columns[: alerts.columns.index("holder_id") + 1], "holder_name",
             *alerts.columns[alerts.columns.index("holder_id") + 1 :])  # fmt: skip


def long_form(alerts: pl.DataFrame, explanations: pl.DataFrame) -> pl.DataFrame:
    """One row per explanation, with its alert's rank, holder and score (alerts must carry
    ``holder_name``, see :func:`with_names`); evidence ids joined by spaces."""
    return (
        alerts.select("rank", "entity_id", "holder_id", "holder_name", "score", "classification")
        .join(explanations, on="entity_id", how="inner", maintain_order="left")
        .with_columns(pl.col("evidence").list.join(" "))
        .select(LONG_COLUMNS)
    )


def evidence_rows(ws: Workspace, ids: set[str], names: Names) -> dict[str, dict[str, Any]]:
    """The transactions (bank and card) among ``ids``: local time with its offset, amount and
    currency, payer and payee with their names, channel and city."""
    found: dict[str, dict[str, Any]] = {}
    if not ids:
        return found
    wanted = pl.col("txn_id").is_in(sorted(ids))
    if ws.has_table("transactions"):
        rows = ws.scan("transactions").filter(wanted).select(
            "txn_id", "ts", "ts_offset_min", "amount", "currency",
            pl.col("from_account").alias("payer"), pl.col("to_account").alias("payee"),
            pl.col("depositor_id"), "channel", "city",
        ).collect()  # fmt: skip
        for r in rows.iter_rows(named=True):
            found[r["txn_id"]] = _row(r, names)
    if ws.has_table("card_transactions"):
        rows = ws.scan("card_transactions").filter(wanted).select(
            "txn_id", "ts", "ts_offset_min", "amount", "currency",
            pl.col("payer_account").alias("payer"),
            pl.coalesce("merchant_name", "merchant_id").alias("payee"),
            pl.lit(None, pl.String).alias("depositor_id"), "channel",
            pl.col("merchant_city").alias("city"),
        ).collect()  # fmt: skip
        for r in rows.iter_rows(named=True):
            found[r["txn_id"]] = _row(r, names)
    return found


def local_time(ts: Any, offset_min: int | None) -> str:
    """The time as the record gave it: local clock time and its UTC offset.

    >>> from datetime import datetime, timezone
    >>> local_time(datetime(2025, 3, 14, 20, 45, tzinfo=timezone.utc), 60)
    '2025-03-14 21:45 +01:00'
    """
    if ts is None:
        return ""
    off = offset_min or 0
    local = ts + timedelta(minutes=off)
    sign = "+" if off >= 0 else "-"
    return f"{local:%Y-%m-%d %H:%M} {sign}{abs(off) // 60:02d}:{abs(off) % 60:02d}"


def money(amount: float | Decimal | str | None, currency: str | None) -> str:
    """An amount with its currency (exact decimals, also written as text, stay exact).

    >>> money(9500, "EUR"), money("70039.00", "EUR")
    ('9,500.00 EUR', '70,039.00 EUR')
    """
    if amount is None or amount == "":
        return ""
    value = Decimal(amount) if isinstance(amount, str) else amount
    return f"{value:,.2f} {currency or ''}".rstrip()


def _row(r: dict[str, Any], names: Names) -> dict[str, Any]:
    payer = r["payer"] if r["payer"] is not None else r["depositor_id"]
    return {
        "txn_id": r["txn_id"],
        "time": local_time(r["ts"], r["ts_offset_min"]),
        "amount": r["amount"],
        "currency": r["currency"],
        "payer": payer,
        "payer_name": names.name(payer),
        "payee": r["payee"],
        "payee_name": names.name(r["payee"]),
        "channel": r["channel"],
        "city": r["city"],
    }


def entities_of(query: str, alerts: pl.DataFrame, names: Names, case_dir: str) -> list[str]:
    """The alerted entities ``query`` stands for: the entity itself, or a party's accounts
    (``case_dir`` is named in the hint when ``query`` is unknown)."""
    ids = set(alerts.get_column("entity_id").to_list())
    if query in ids:
        return [query]
    held = sorted(a for a, h in names.holder.items() if h == query)
    if not held and query not in names.party:
        raise UnknownEntity(
            f"{query} is neither an account, a merchant nor a person of this case",
            hint=f"Find the id with: fininvest search {case_dir} TEXT",
        )
    return [a for a in held if a in ids]


def explain(
    ws: Workspace, query: str, *, evidence_limit: int = 20, names: Names | None = None
) -> dict[str, Any]:
    """Every explanation of the alerts on ``query`` (an account, a merchant, or a person: then
    each of their alerted accounts), each with up to ``evidence_limit`` evidence transactions.

    Returns
    -------
    dict
        ``{"query", "name", "alerts": [{rank, entity_id, holder_id, holder_name, score,
        classification, explanations: [{indicator, detail, observed, threshold, window,
        citation, evidence_total, evidence, transactions}]}]}``. ``alerts`` is empty when the
        entity is known but not flagged. The sentences name the ids they quote; ``names``
        (default: the workspace's, :func:`load_names`) saves reading them again.
    """
    alerts, expl = read_results(ws)
    names = names or load_names(ws)
    expl = names.name_all_sentences(expl)
    targets = entities_of(query, alerts, names, str(ws.root))
    return {
        "query": query,
        "name": names.name(query),
        "alerts": explained(ws, alerts, expl, names, targets, evidence_limit),
    }


def explained(
    ws: Workspace,
    alerts: pl.DataFrame,
    explanations: pl.DataFrame,
    names: Names,
    targets: list[str],
    evidence_limit: int,
) -> list[dict[str, Any]]:
    """The alerts on ``targets`` (suspects first, by rank), each with its explanations and
    their first ``evidence_limit`` evidence transactions looked up in one pass per table."""
    chosen = with_names(alerts.filter(pl.col("entity_id").is_in(targets)), names)
    mine = explanations.filter(pl.col("entity_id").is_in(targets))
    shown = {i for ev in mine.get_column("evidence").to_list() for i in ev[:evidence_limit]}
    txns = evidence_rows(ws, shown, names)
    out = []
    for a in chosen.sort("classification", "rank", descending=[True, False]).iter_rows(named=True):
        rows = mine.filter(pl.col("entity_id") == a["entity_id"]).drop("entity_id").to_dicts()
        for e in rows:
            e["transactions"] = [txns[i] for i in e["evidence"][:evidence_limit] if i in txns]
        out.append({**a, "explanations": rows})
    return out
