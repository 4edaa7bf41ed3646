"""The Dask engine: ``shuffle`` by account, then ``map_partitions``.

Each Parquet part is read by a task (``dask.dataframe.from_map``; the part's number and row
index give each row its place, so ties in time keep the local screen's order), doubled into
events, shuffled by ``group`` (an account, or a busy account's time bucket) and screened by
:func:`~fininvest.screening.engines.plan.screen_partition` once per partition: Arrow tables
in and out, Polars and the numba kernels inside.

The cluster is Dask's own: a scheduler address (``tcp://host:8786``) or a ``Client`` already
made; by default a two-worker ``LocalCluster`` on 127.0.0.1 in this process's lifetime.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from fininvest.errors import EngineUnavailable
from fininvest.screening.engines.plan import (
    HIT_SCHEMA,
    MONEY_SCHEMA,
    money_rows,
    row_key,
    source_columns,
)
from fininvest.screening.events import MONEY_TABLES
from fininvest.workspace import Workspace, scan_parts

#: money rows read by one task: a slice of a Parquet part (whole row groups are decoded, so a
#: task holds this many rows whatever the size of the part)
ROWS_PER_TASK = 500_000
#: memory of each worker of the default LocalCluster (two of them): Dask spills to disk at
#: 70 % of it, pauses at 80 % and restarts the worker at 95 %
LOCAL_WORKER_MEMORY = "5GB"


def start_client(
    scheduler: str | None = None, workers: int = 2, memory_limit: str = LOCAL_WORKER_MEMORY
) -> Any:
    """A Dask client of ``scheduler``, or of a new LocalCluster of ``workers`` processes on
    127.0.0.1 (one thread each: the numba kernels use the cores) of ``memory_limit`` each
    (not Dask's default, the machine's memory shared out: the machine is not ours alone)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise EngineUnavailable(
            "Dask is not installed", hint='pip install "fininvest[dask]"'
        ) from e
    try:
        if scheduler:
            return Client(scheduler, timeout="20s")
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, host="127.0.0.1",
            dashboard_address=None, processes=True, memory_limit=memory_limit,
        )  # fmt: skip
        return Client(cluster)
    except OSError as e:
        raise EngineUnavailable(f"no Dask scheduler at {scheduler}: {e}") from e


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas keeping Arrow types (lists of strings, nullable integers)."""
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _meta(schema: pa.Schema) -> pd.DataFrame:
    return to_pandas(schema.empty_table())


def _on_pandas(
    df: pd.DataFrame, fn: Callable[[pa.Table], pa.Table], schema: pa.Schema
) -> pd.DataFrame:
    table = pa.Table.from_pandas(df, preserve_index=False)
    return to_pandas(fn(table).cast(schema))


def shuffle_keys(partitions: int) -> np.ndarray:
    """For each partition ``p``, an int32 value that Dask's hash shuffle on an int column
    sends to partition ``p`` (``shuffle(on=...)`` hashes; the layout must be kept).

    >>> from dask.dataframe.shuffle import partitioning_index
    >>> keys = shuffle_keys(5)
    >>> partitioning_index(pd.DataFrame({"k": keys.astype(np.float64)}), 5).tolist()
    [0, 1, 2, 3, 4]
    """
    from dask.dataframe.shuffle import partitioning_index

    keys = np.full(partitions, -1, dtype=np.int64)
    start = 0
    while (keys < 0).any():
        cands = np.arange(start, start + 64 * partitions, dtype=np.int64)
        # the shuffle casts numeric keys to float64 before hashing them
        got = partitioning_index(pd.DataFrame({"part": cands.astype(np.float64)}), partitions)
        for c, p in zip(cands.tolist(), np.asarray(got).tolist(), strict=True):
            if keys[p] < 0:
                keys[p] = c
        start += 64 * partitions
    return keys.astype(np.int32)


def _route(df: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    """``part`` (a partition number) replaced by the key the shuffle sends there."""
    part = keys[df["part"].to_numpy(dtype=np.int64)]
    return df.assign(part=pd.array(part, dtype=pd.ArrowDtype(pa.int32())))


def gather(frame: Any, schema: pa.Schema) -> pa.Table:
    """A Dask frame's partitions brought to this process one by one, as one Arrow table of
    ``schema``. (``compute()`` would first concatenate them on one worker: the whole frame
    in that worker's memory.)"""
    from dask.base import compute

    parts = compute(*frame.to_delayed())
    tables = [pa.Table.from_pandas(df, preserve_index=False).cast(schema) for df in parts]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _read_slice(item: tuple[int, int, str, str, int, int]) -> pd.DataFrame:
    """Rows ``start`` to ``start + length`` of one Parquet part as money rows (``row``:
    table, part and row number). Polars reads only the row groups the slice covers."""
    t, f, table, path, start, length = item
    df = (
        scan_parts(table, [Path(path)])
        .slice(start, length)
        .select(
            *source_columns(table),
            row_key(t, pl.lit(f), pl.int_range(start, start + pl.len(), dtype=pl.Int64)).alias(
                "_row"
            ),
        )
    )
    return to_pandas(money_rows(df.collect().to_arrow(), table))


def read_slices(
    ws: Workspace, rows_per_task: int = ROWS_PER_TASK
) -> list[tuple[int, int, str, str, int, int]]:
    """The read tasks of a workspace's money tables: (table number, part number, table,
    path, first row, rows), at most ``rows_per_task`` rows each."""
    items = []
    for t, table in enumerate(MONEY_TABLES):
        for f, path in enumerate(ws.table_parts(table)):
            n = pl.scan_parquet(path).select(pl.len()).collect().item()
            items += [
                (t, f, table, str(path), s, min(rows_per_task, n - s))
                for s in range(0, n, rows_per_task)
            ]
    return items


class DaskEngine:
    name = "dask"

    def __init__(
        self, scheduler: str | None = None, client: Any = None, rows_per_task: int = ROWS_PER_TASK
    ) -> None:
        import dask

        # the frames are Arrow-typed already: no conversion of their strings to pandas'
        # string dtype (a copy of every text column of every partition, shuffle included)
        dask.config.set({"dataframe.convert-string": False})
        self.owned = client is None
        self.client = client or start_client(scheduler)
        self.rows_per_task = rows_per_task

    def close(self) -> None:
        if self.owned:
            cluster = self.client.cluster
            self.client.close()
            if cluster is not None:
                cluster.close()

    def read_workspace(self, ws: Workspace) -> Any:
        import dask.dataframe as dd

        # kept on the workers (spilled to disk past their memory): the counts, the
        # partitions and the driver read them
        return dd.from_map(
            _read_slice, read_slices(ws, self.rows_per_task), meta=_meta(MONEY_SCHEMA)
        ).persist()

    def from_transactions(self, frame: Any) -> Any:
        cols = [c for c in source_columns("transactions") if c in frame.columns]
        frame = frame[cols]
        sizes = frame.map_partitions(len).compute().tolist()
        starts = [sum(sizes[:i]) for i in range(len(sizes))]

        def numbered(
            df: pd.DataFrame, partition_info: dict[str, Any] | None = None
        ) -> pd.DataFrame:
            first = starts[partition_info["number"]] if partition_info else 0
            table = pa.Table.from_pandas(df, preserve_index=False)
            table = table.append_column("_row", pa.array(range(first, first + len(df)), pa.int64()))
            return to_pandas(money_rows(table, "transactions"))

        return frame.map_partitions(numbered, meta=_meta(MONEY_SCHEMA)).persist()

    def map_batches(self, frame: Any, fn: Callable[[pa.Table], pa.Table], schema: pa.Schema) -> Any:
        return frame.map_partitions(_on_pandas, fn, schema, meta=_meta(schema))

    def account_counts(self, events: Any, at_least: int) -> tuple[int, int, int, pa.Table]:
        from dask.base import compute

        per = events.groupby("owner").agg(
            n=("ts", "count"), first=("ts", "min"), last=("ts", "max")
        )
        heavy, total, accounts, first = compute(
            per[per["n"] >= at_least], per["n"].sum(), per["n"].count(), per["first"].min()
        )
        heavy = heavy.reset_index().sort_values("owner")[["owner", "n", "first", "last"]]
        table = pa.Table.from_pandas(heavy, preserve_index=False)
        return int(total), int(accounts), int(first) if total else 0, table

    def screen_partitions(
        self, events: Any, fn: Callable[[pa.Table], pa.Table], partitions: int
    ) -> pa.Table:
        keys = shuffle_keys(partitions)
        routed = events.map_partitions(_route, keys, meta=events._meta)
        shuffled = routed.shuffle(on="part", npartitions=partitions)
        out = shuffled.map_partitions(_on_pandas, fn, HIT_SCHEMA, meta=_meta(HIT_SCHEMA))
        return gather(out, HIT_SCHEMA)

    def counterparties(self, events: Any, accounts: list[str]) -> list[str]:
        rows = events[events["owner"].isin(accounts)]["counterparty"].dropna().unique()
        return [str(a) for a in rows.compute().tolist()]

    def present(self, events: Any, accounts: list[str]) -> list[str]:
        rows = events[events["owner"].isin(accounts)]["owner"].unique()
        return [str(a) for a in rows.compute().tolist()]

    def touching(self, money: Any, accounts: list[str] | None) -> pa.Table:
        if accounts is not None:
            money = money[money["payer"].isin(accounts) | money["payee"].isin(accounts)]
        return gather(money, MONEY_SCHEMA)


__all__ = ["DaskEngine", "start_client"]
