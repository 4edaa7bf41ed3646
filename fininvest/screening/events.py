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
    mcc (-1 for bank events), city (code or -1). ``accounts`` maps codes back to account ids;
    ``offsets`` delimits each account's events. Text columns (channel, purpose, depositor_id,
    country, to_country, ref) stay in the source rows (``base``: one row per transaction, not
    per event) and are gathered on demand by :meth:`col` and :meth:`refs`, so a transfer's
    text is stored once although it makes two events.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        accounts: list[str],
        cities: list[str],
        *,
        base: pl.DataFrame | None = None,
        row: np.ndarray | None = None,
    ) -> None:
        self.accounts = accounts
        self.cities = cities
        n_acc = len(accounts)
        account = frame["account"].to_numpy()
        ts = frame["ts"].to_numpy()
        outflow = frame["outflow"].to_numpy()
        order, self.offsets = order_events(account, ts, outflow, n_acc)
        self.ts = ts[order]
        self.outflow = outflow[order]
        self.account = account[order]
        self.amount = frame["amount"].fill_null(0.0).to_numpy()[order]
        self.counterparty = frame["counterparty"].fill_null(-1).to_numpy()[order]
        self.mcc = frame["mcc"].fill_null(-1).to_numpy()[order]
        self.city = frame["city_code"].fill_null(-1).to_numpy()[order]
        self._base = base if base is not None else frame
        rows = row if row is not None else np.arange(frame.height, dtype=np.int64)
        self._row = rows[order]
        self._cols: dict[str, pl.Series] = {}

    def refs(self, idx: np.ndarray) -> list[str]:
        """Transaction ids of the given event indices (the evidence of a hit)."""
        rows = pl.Series(self._row[np.asarray(idx, dtype=np.int64)])
        return [str(r) for r in self._base["ref"].gather(rows).to_list()]

    def col(self, name: str) -> pl.Series:
        """A text column in event order (gathered once, then kept)."""
        if name not in self._cols:
            self._cols[name] = self._base[name].gather(pl.Series(self._row))
        return self._cols[name]

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def load_events(ws: Workspace) -> Events | None:
    """Build the event streams from the ``transactions`` and ``card_transactions`` tables.

    Account codes are assigned once per source row (two hash joins on the transactions, not
    on the doubled event list); the event arrays are then assembled with numpy. Returns None
    when the workspace has no money movements at all.
    """
    text = ["channel", "purpose", "depositor_id", "country", "to_country", "ref"]
    bases: list[pl.DataFrame] = []
    if ws.has_table("transactions"):
        tx = (
            ws.scan("transactions")
            .select(
                pl.col("from_account"),
                pl.col("to_account"),
                pl.col("ts").dt.epoch("s").alias("ts"),
                pl.col("amount_base").alias("amount"),
                pl.col("city"),
                pl.lit(None, pl.Int64).alias("mcc"),
                pl.col("channel").cast(pl.String).cast(pl.Categorical),
                "purpose",
                "depositor_id",
                pl.col("country").cast(pl.String),
                pl.col("to_country").cast(pl.String),
                pl.col("txn_id").alias("ref"),
            )
            .collect()
        )
        bases.append(tx)
    if ws.has_table("card_transactions"):
        card = (
            ws.scan("card_transactions")
            .filter(pl.col("payer_account").is_not_null())
            .select(
                pl.col("payer_account").alias("from_account"),
                pl.lit(None, pl.String).alias("to_account"),
                pl.col("ts").dt.epoch("s").alias("ts"),
                pl.col("amount_base").alias("amount"),
                pl.col("merchant_city").alias("city"),
                pl.col("mcc").cast(pl.Int64),
                pl.lit("card").cast(pl.Categorical).alias("channel"),
                pl.col("merchant_name").alias("purpose"),
                pl.lit(None, pl.String).alias("depositor_id"),
                pl.col("merchant_country").cast(pl.String).alias("country"),
                pl.lit(None, pl.String).alias("to_country"),
                pl.col("txn_id").alias("ref"),
            )
            .collect()
        )
        bases.append(card)
    if not bases:
        return None
    base = pl.concat(bases, how="vertical_relaxed")
    del bases
    accounts_s = (
        pl.concat([base["from_account"].drop_nulls(), base["to_account"].drop_nulls()])
        .unique()
        .sort()
    )
    accounts = accounts_s.to_list()
    cities = base["city"].drop_nulls().unique().sort().to_list()
    codes = pl.DataFrame({"id": accounts_s, "code": pl.int_range(len(accounts), eager=True)})
    city_codes = pl.DataFrame(
        {"city": cities, "city_code": range(len(cities))},
        schema={"city": pl.String, "city_code": pl.Int64},
    )
    coded = (  # left joins that keep the row order: no index and re-sort needed
        base.lazy()
        .select("from_account", "to_account", "city")
        .join(
            codes.lazy().rename({"id": "from_account", "code": "f"}),
            on="from_account",
            how="left",
            maintain_order="left",
        )
        .join(
            codes.lazy().rename({"id": "to_account", "code": "t"}),
            on="to_account",
            how="left",
            maintain_order="left",
        )
        .join(city_codes.lazy(), on="city", how="left", maintain_order="left")
        .select("f", "t", "city_code")
        .collect()
    )
    f = coded["f"].fill_null(-1).to_numpy()
    t = coded["t"].fill_null(-1).to_numpy()
    city = coded["city_code"].fill_null(-1).to_numpy()
    row = np.arange(base.height, dtype=np.int64)
    out_side, in_side = f >= 0, t >= 0
    ts = base["ts"].to_numpy()
    amount = base["amount"].fill_null(0.0).to_numpy()
    mcc = base["mcc"].fill_null(-1).to_numpy()
    frame = pl.DataFrame(
        {
            "account": np.concatenate([f[out_side], t[in_side]]),
            "ts": np.concatenate([ts[out_side], ts[in_side]]),
            "outflow": np.concatenate(
                [np.ones(out_side.sum(), np.bool_), np.zeros(in_side.sum(), np.bool_)]
            ),
            "amount": np.concatenate([amount[out_side], amount[in_side]]),
            "counterparty": np.concatenate([t[out_side], f[in_side]]),
            "mcc": np.concatenate([mcc[out_side], mcc[in_side]]),
            "city_code": np.concatenate([city[out_side], city[in_side]]),
        }
    )
    rows = np.concatenate([row[out_side], row[in_side]])
    return Events(frame, accounts, cities, base=base.select(text), row=rows)
