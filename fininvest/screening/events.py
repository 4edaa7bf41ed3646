"""Per-account event streams: what the kernels run on.

A transaction between two accounts is two events: an outflow of the payer and an inflow of the
payee. :func:`order_events` sorts events by (account, time, direction) — inflows first at equal
times — with one packed int64 key, and returns the permutation and the segment offsets.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.workspace import Workspace


def order_events(
    account: np.ndarray, ts: np.ndarray, outflow: np.ndarray, n_accounts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Order events by (account, time, direction).

    Parameters
    ----------
    account : int64 dense account codes in ``[0, n_accounts)``.
    ts : int64 times in seconds.
    outflow : bool, True for money leaving the account.
    n_accounts : number of account codes.

    Returns
    -------
    order : int64 permutation that sorts the events.
    offsets : int64[n_accounts + 1], ``offsets[a]:offsets[a + 1]`` are account *a*'s events in
        sorted order.

    Notes
    -----
    One packed key ``account · 2^(b+1) + (ts − t0) · 2 + outflow`` sorted once (stable), which
    the performance baseline measured 6× faster than a multi-column lexsort. Raises if the key
    would not fit in 63 bits.
    """
    n = account.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(n_accounts + 1, np.int64)
    t0 = int(ts.min())
    span = int(ts.max()) - t0
    bits = max(1, span.bit_length()) + 1
    if (max(1, n_accounts).bit_length() + bits) > 62:
        raise ValueError("time span and number of accounts do not fit a 63-bit sort key")
    key = (
        (account.astype(np.int64) << bits)
        | ((ts.astype(np.int64) - t0) << 1)
        | outflow.astype(np.int64)
    )
    order = np.argsort(key, kind="stable")
    counts = np.bincount(account, minlength=n_accounts)
    offsets = np.zeros(n_accounts + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return order, offsets


class Events:
    """Every money movement of a workspace as per-account events, ordered for the kernels.

    Attributes (numpy arrays, one entry per event, in kernel order)
    ----------
    account, ts (seconds), outflow, amount (base currency), counterparty (account code or -1),
    channel (text), mcc (-1 for bank events), city (code or -1), depositor (party id or None),
    purpose (text or None), country, to_country, ref (transaction id: the evidence).
    ``accounts`` maps codes back to account ids; ``offsets`` delimits each account's events.
    """

    def __init__(self, frame: pl.DataFrame, accounts: list[str], cities: list[str]) -> None:
        self.accounts = accounts
        self.cities = cities
        n_acc = len(accounts)
        account = frame["account"].to_numpy()
        ts = frame["ts"].to_numpy()
        outflow = frame["outflow"].to_numpy()
        order, self.offsets = order_events(account, ts, outflow, n_acc)
        self.frame = frame[order]
        self.ts = ts[order]
        self.outflow = outflow[order]
        self.account = account[order]
        self.amount = self.frame["amount"].fill_null(0.0).to_numpy()
        self.counterparty = self.frame["counterparty"].fill_null(-1).to_numpy()
        self.mcc = self.frame["mcc"].fill_null(-1).to_numpy()
        self.city = self.frame["city_code"].fill_null(-1).to_numpy()
        self.ref = self.frame["ref"]  # transaction ids: gathered only for evidence

    def refs(self, idx: np.ndarray) -> list[str]:
        """Transaction ids of the given event indices (the evidence of a hit)."""
        return [str(r) for r in self.ref.gather(idx).to_list()]

    def col(self, name: str) -> pl.Series:
        return self.frame[name]

    def __len__(self) -> int:
        return self.frame.height


def load_events(ws: Workspace) -> Events | None:
    """Build the event streams from the ``transactions`` and ``card_transactions`` tables.

    Returns None when the workspace has no money movements at all.
    """
    parts = []
    if ws.has_table("transactions"):
        tx = (
            ws.scan("transactions")
            .select(
                "txn_id",
                "ts",
                "from_account",
                "to_account",
                "amount_base",
                pl.col("channel").cast(pl.String),
                "city",
                pl.col("country").cast(pl.String),
                pl.col("to_country").cast(pl.String),
                "depositor_id",
                "purpose",
            )
            .collect()
        )
        common: list[pl.Expr | str] = [
            pl.col("ts").dt.epoch("s").alias("ts"),
            pl.col("amount_base").alias("amount"),
            "channel",
            "city",
            "country",
            "to_country",
            "depositor_id",
            "purpose",
            pl.col("txn_id").alias("ref"),
            pl.lit(None, pl.Int16).alias("mcc"),
            pl.lit("bank").alias("source"),
        ]
        parts.append(
            tx.filter(pl.col("from_account").is_not_null()).select(
                pl.col("from_account").alias("account_id"),
                pl.col("to_account").alias("cp_id"),
                pl.lit(True).alias("outflow"),
                *common,
            )
        )
        parts.append(
            tx.filter(pl.col("to_account").is_not_null()).select(
                pl.col("to_account").alias("account_id"),
                pl.col("from_account").alias("cp_id"),
                pl.lit(False).alias("outflow"),
                *common,
            )
        )
    if ws.has_table("card_transactions"):
        card = (
            ws.scan("card_transactions")
            .filter(pl.col("payer_account").is_not_null())
            .select(
                pl.col("payer_account").alias("account_id"),
                pl.lit(None, pl.String).alias("cp_id"),
                pl.lit(True).alias("outflow"),
                pl.col("ts").dt.epoch("s").alias("ts"),
                pl.col("amount_base").alias("amount"),
                pl.lit("card").alias("channel"),
                pl.col("merchant_city").alias("city"),
                pl.col("merchant_country").cast(pl.String).alias("country"),
                pl.lit(None, pl.String).alias("to_country"),
                pl.lit(None, pl.String).alias("depositor_id"),
                pl.col("merchant_name").alias("purpose"),
                pl.col("txn_id").alias("ref"),
                pl.col("mcc"),
                pl.lit("card").alias("source"),
            )
            .collect()
        )
        parts.append(card)
    if not parts:
        return None
    ev = pl.concat(parts, how="vertical_relaxed")
    accounts = sorted(
        set(ev["account_id"].unique().to_list()) | set(ev["cp_id"].drop_nulls().unique().to_list())
    )
    codes = pl.DataFrame(
        {"account_id": accounts, "code": range(len(accounts))},
        schema={"account_id": pl.String, "code": pl.Int64},
    )
    cities = sorted(ev["city"].drop_nulls().unique().to_list())
    city_codes = pl.DataFrame(
        {"city": cities, "city_code": range(len(cities))},
        schema={"city": pl.String, "city_code": pl.Int64},
    )
    ev = (
        ev.join(codes, on="account_id", how="left")
        .join(codes.rename({"account_id": "cp_id", "code": "counterparty"}), on="cp_id", how="left")
        .join(city_codes, on="city", how="left")
        .rename({"code": "account"})
    )
    return Events(ev, accounts, cities)
