"""Where traced money left the banking system or was spent: cash withdrawals (outflows with
no receiving account) and card payments of the traced accounts, from the workspace tables.

A trace over transfers ends where money leaves as cash; without this, "0 flows, 0 accounts
reached" hides that the money was withdrawn.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from fininvest.workspace import Workspace


def cash_out(ws: Workspace, since_ms: dict[str, int]) -> list[dict[str, Any]]:
    """Per account of ``since_ms`` (account → epoch ms from which its money is traced): its
    cash withdrawals by channel and its card payments after that time, largest total first.

    Returns
    -------
    list of dict
        ``{"account", "how" (channel, or "card payment"), "count", "amount" (base currency),
        "first_ms", "last_ms"}``.

    Complexity: one filtered scan of ``transactions`` and of ``card_transactions``.
    """
    if not since_ms:
        return []
    start = pl.DataFrame(
        {"account": list(since_ms), "since": list(since_ms.values())},
        schema={"account": pl.String, "since": pl.Int64},
    ).lazy()
    parts = []
    if ws.has_table("transactions"):
        parts.append(
            ws.scan("transactions")
            .filter(pl.col("to_account").is_null() & pl.col("from_account").is_not_null())
            .select(
                pl.col("from_account").alias("account"),
                pl.col("channel").cast(pl.String).alias("how"),
                "ts",
                "amount_base",
            )  # fmt: skip
        )
    if ws.has_table("card_transactions"):
        parts.append(
            ws.scan("card_transactions").select(
                pl.col("payer_account").alias("account"),
                pl.lit("card payment").alias("how"),
                "ts",
                "amount_base",
            )  # fmt: skip
        )
    if not parts:
        return []
    out = (
        pl.concat(parts)
        .join(start, on="account")
        .with_columns(pl.col("ts").dt.epoch("ms").alias("ms"))
        .filter(pl.col("ms") >= pl.col("since"))
        .group_by("account", "how")
        .agg(
            pl.len().alias("count"),
            pl.col("amount_base").sum().round(2).alias("amount"),
            pl.col("ms").min().alias("first_ms"),
            pl.col("ms").max().alias("last_ms"),
        )
        .sort(["amount", "account", "how"], descending=[True, False, False])
        .collect()
    )
    return out.to_dicts()
