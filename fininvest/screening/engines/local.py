"""The in-process engine: the distributed plan run partition by partition in this process.

Frames are Polars DataFrames; the shuffle groups the events by their ``part``, as a
cluster's would be. It is the reference the Spark and Dask engines are tested against, and
shows what the partition and bucket settings change (nothing, in the results).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa

from fininvest.screening.engines.plan import HIT_SCHEMA, MONEY_SCHEMA, money_rows, row_key
from fininvest.screening.events import MONEY_TABLES
from fininvest.workspace import Workspace, scan_parts


class LocalEngine:
    name = "local"

    def read_workspace(self, ws: Workspace) -> pl.DataFrame:
        parts: list[pl.DataFrame] = []
        for t, table in enumerate(MONEY_TABLES):
            for f, path in enumerate(ws.table_parts(table)):
                df = scan_parts(table, [path]).collect()
                df = df.with_columns(
                    row_key(t, pl.lit(f), pl.int_range(pl.len(), dtype=pl.Int64)).alias("_row")
                )
                parts.append(_frame(money_rows(df.to_arrow(), table)))
        return pl.concat(parts) if parts else _frame(MONEY_SCHEMA.empty_table())

    def from_transactions(self, frame: pl.DataFrame) -> pl.DataFrame:
        df = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"))
        return _frame(money_rows(df.to_arrow(), "transactions"))

    def map_batches(
        self, frame: pl.DataFrame, fn: Callable[[pa.Table], pa.Table], schema: pa.Schema
    ) -> pl.DataFrame:
        out = pl.from_arrow(fn(frame.to_arrow()).cast(schema))
        assert isinstance(out, pl.DataFrame)
        return out

    def account_counts(self, events: pl.DataFrame, at_least: int) -> tuple[int, int, int, pa.Table]:
        heavy = (
            events.group_by("owner")
            .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("ts").min().alias("first"),
                 pl.col("ts").max().alias("last"))
            .filter(pl.col("n") >= at_least)
            .sort("owner")
        )  # fmt: skip
        first = events["ts"].min() if events.height else 0
        accounts = events["owner"].n_unique()
        return events.height, accounts, int(first), heavy.to_arrow()  # type: ignore[arg-type]

    def screen_partitions(
        self, events: pl.DataFrame, fn: Callable[[pa.Table], pa.Table], partitions: int
    ) -> pa.Table:
        out = [fn(rows.to_arrow()) for _, rows in events.group_by("part", maintain_order=True)]
        return (
            pa.concat_tables([t.cast(HIT_SCHEMA) for t in out]) if out else HIT_SCHEMA.empty_table()
        )

    def counterparties(self, events: pl.DataFrame, accounts: list[str]) -> list[str]:
        cps = events.filter(pl.col("owner").is_in(pl.Series(accounts, dtype=pl.String).implode()))
        return cps["counterparty"].drop_nulls().unique().to_list()

    def present(self, events: pl.DataFrame, accounts: list[str]) -> list[str]:
        wanted = pl.Series(accounts, dtype=pl.String).implode()
        return events.filter(pl.col("owner").is_in(wanted))["owner"].unique().to_list()

    def touching(self, money: pl.DataFrame, accounts: list[str] | None) -> pa.Table:
        if accounts is None:
            return money.to_arrow()
        wanted = pl.Series(accounts, dtype=pl.String).implode()
        return money.filter(
            pl.col("payer").is_in(wanted) | pl.col("payee").is_in(wanted)
        ).to_arrow()

    def close(self) -> None:
        return None


def _frame(table: pa.Table) -> pl.DataFrame:
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


__all__ = ["LocalEngine"]
