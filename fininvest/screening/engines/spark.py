"""The Spark engine: ``mapInArrow`` before and after a ``repartition`` by account.

Spark reads the Parquet parts itself (``_metadata.row_index`` gives each row's place, so ties
in time keep the local screen's order), doubles the rows into events on the executors,
repartitions them by ``part`` (the partition the layout gives an account or a busy
account's time bucket) and runs
:func:`~fininvest.screening.engines.plan.screen_partition` once per partition through
``mapInArrow``: Arrow batches in and out, Polars and the numba kernels inside. Only the hits
and the driver stage's rows come back to the driver.

The master is Spark's own: ``local[2]`` by default, or any URL (``spark://host:7077``,
``yarn``, ``k8s://…``); under ``spark-submit`` or on Databricks pass the session that is
already there. Spark needs Java 17 or later; when ``JAVA_HOME`` is not set it is derived
from the ``java`` on the PATH for this process only.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

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
from fininvest.workspace import Workspace

#: Spark SQL names of the Arrow types the plan uses
_SQL = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.int32(): "int",
    pa.int16(): "smallint",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.list_(pa.string()): "array<string>",
}


#: settings of a Spark we start on this machine (``local[…]``): the executors run in the
#: driver's JVM, which also collects the driver stage's rows (Spark's default heap of 1 GB
#: and result limit of 1 GB stop a 10M-row screen); on a cluster they are the user's own
LOCAL_CONF = {"spark.driver.memory": "6g", "spark.driver.maxResultSize": "4g"}


def ddl(schema: pa.Schema) -> str:
    """A Spark DDL schema string for an Arrow schema of the plan.

    >>> ddl(pa.schema([("a", pa.string()), ("n", pa.int64())]))
    '`a` string, `n` bigint'
    """
    return ", ".join(f"`{f.name}` {_SQL[f.type]}" for f in schema)


def java_home() -> str | None:
    """``JAVA_HOME`` as set, else the home of the ``java`` on the PATH (None if neither)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    return str(Path(java).resolve().parent.parent) if java else None


def start_session(master: str = "local[2]", app: str = "fininvest-screen") -> Any:
    """A SparkSession on ``master`` with Arrow on and the Python workers on this Python."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise EngineUnavailable(
            "PySpark is not installed", hint='pip install "fininvest[spark]"'
        ) from e
    home = java_home()
    if home is None:
        raise EngineUnavailable(
            "no Java runtime for Spark", hint="Install Java 17 or set JAVA_HOME"
        )
    os.environ.setdefault("JAVA_HOME", home)  # this process and the JVM it starts only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        builder = SparkSession.builder.master(master)
        if master.startswith("local"):  # on a cluster the executors must reach the driver
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
            for key, value in LOCAL_CONF.items():  # the JVM we start: its executors are in it
                builder = builder.config(key, value)
        session = (
            builder.appName(app)
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            # fewer, larger Arrow batches: each costs a Polars call on the way in
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return session
    except Exception as e:  # the JVM or the master did not start
        raise EngineUnavailable(f"Spark did not start on {master}: {e}") from e


def shuffle_keys(session: Any, partitions: int) -> list[int]:
    """For each partition ``p``, an int that ``repartition(partitions, col)`` sends to
    partition ``p`` (Spark hashes the column: Murmur3, pmod the partitions)."""
    from pyspark.sql import functions as F

    keys: dict[int, int] = {}
    start = 0
    while len(keys) < partitions:
        ids = session.range(start, start + 64 * partitions).select(
            F.col("id").cast("int").alias("k"),
            F.expr(f"pmod(hash(cast(id as int)), {partitions})").alias("p"),
        )
        for k, p in ids.collect():
            keys.setdefault(int(p), int(k))
        start += 64 * partitions
    return [keys[p] for p in range(partitions)]


def _batches(fn: Callable[[pa.Table], pa.Table]) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """``fn`` on each Arrow batch, as ``mapInArrow`` calls it."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for b in batches:
            yield from fn(pa.Table.from_batches([b])).to_batches()

    return run


def _partition(fn: Callable[[pa.Table], pa.Table], schema: pa.Schema) -> Callable[..., Any]:
    """``fn`` once on all the batches of a partition."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        got = list(batches)
        if got:
            yield from fn(pa.Table.from_batches(got)).to_batches()

    return run


def _numbered(tbl: pa.Table, table_no: int, table: str, files: dict[str, int]) -> pa.Table:
    """Money rows of a batch read with the file name and row index of each row."""
    d = pl.from_arrow(tbl)
    assert isinstance(d, pl.DataFrame)
    number = pl.col("_file").replace_strict(files, return_dtype=pl.Int64)
    d = d.with_columns(row_key(table_no, number, pl.col("_index")).alias("_row"))
    return money_rows(d.drop("_file", "_index").to_arrow(), table)


class SparkEngine:
    name = "spark"

    def __init__(self, master: str | None = None, session: Any = None) -> None:
        self.owned = session is None
        self.spark = session or start_session(master or "local[2]")

    def close(self) -> None:
        if self.owned:
            self.spark.stop()

    def read_workspace(self, ws: Workspace) -> Any:
        from pyspark.sql import functions as F

        frames = []
        for t, table in enumerate(MONEY_TABLES):
            parts = ws.table_parts(table)
            if not parts:
                continue
            files = {p.name: f for f, p in enumerate(parts)}
            df = self.spark.read.option("mergeSchema", "true").parquet(*map(str, parts))
            cols = [c for c in source_columns(table) if c in df.columns]
            df = df.select(*cols, F.col("_metadata.file_name").alias("_file"),
                           F.col("_metadata.row_index").alias("_index"))  # fmt: skip

            to_money = partial(_numbered, table_no=t, table=table, files=files)
            frames.append(df.mapInArrow(_batches(to_money), ddl(MONEY_SCHEMA)))
        out = frames[0]
        for f in frames[1:]:
            out = out.unionByName(f)
        return out.persist()  # read once: the counts, the partitions and the driver read it

    def from_transactions(self, frame: Any) -> Any:
        from pyspark.sql import functions as F

        cols = [c for c in source_columns("transactions") if c in frame.columns]
        df = frame.select(*cols, F.monotonically_increasing_id().alias("_row"))
        return df.mapInArrow(_batches(lambda t: money_rows(t, "transactions")), ddl(MONEY_SCHEMA))

    def map_batches(self, frame: Any, fn: Callable[[pa.Table], pa.Table], schema: pa.Schema) -> Any:
        return frame.mapInArrow(_batches(fn), ddl(schema))

    def account_counts(self, events: Any, at_least: int) -> tuple[int, int, int, pa.Table]:
        from pyspark.sql import functions as F

        per = events.groupBy("owner").agg(
            F.count("*").alias("n"), F.min("ts").alias("first"), F.max("ts").alias("last")
        )
        per = per.persist()
        total, accounts, first = per.agg(F.sum("n"), F.count("*"), F.min("first")).collect()[0]
        heavy = per.filter(F.col("n") >= at_least).orderBy("owner").toArrow()
        per.unpersist()
        return int(total or 0), int(accounts), int(first or 0), heavy

    def screen_partitions(
        self, events: Any, fn: Callable[[pa.Table], pa.Table], partitions: int
    ) -> pa.Table:
        from pyspark.sql import functions as F

        # repartition(n, col) sends a row to pmod(hash(col), n): route each ``part`` to the
        # key that lands in that partition, so the layout is kept
        keys = shuffle_keys(self.spark, partitions)
        routed = events.withColumn(
            "part", F.element_at(F.array(*[F.lit(k) for k in keys]), F.col("part") + 1)
        )
        out = routed.repartition(partitions, "part").mapInArrow(
            _partition(fn, HIT_SCHEMA), ddl(HIT_SCHEMA)
        )
        return out.toArrow().cast(HIT_SCHEMA)

    def _among(self, frame: Any, column: str, accounts: list[str]) -> Any:
        """Rows of ``frame`` whose ``column`` is one of ``accounts``: a broadcast semi-join
        (an ``isin`` of tens of thousands of literals makes a plan Spark is slow to build)."""
        from pyspark.sql import functions as F

        wanted = self.spark.createDataFrame([(a,) for a in accounts], "account string")
        return frame.join(F.broadcast(wanted), frame[column] == wanted["account"], "left_semi")

    def counterparties(self, events: Any, accounts: list[str]) -> list[str]:
        rows = self._among(events, "owner", accounts).select("counterparty").distinct()
        return [r[0] for r in rows.collect() if r[0] is not None]

    def present(self, events: Any, accounts: list[str]) -> list[str]:
        rows = self._among(events, "owner", accounts).select("owner").distinct()
        return [r[0] for r in rows.collect()]

    def touching(self, money: Any, accounts: list[str] | None) -> pa.Table:
        if accounts is not None:
            either = self._among(money, "payer", accounts).unionByName(
                self._among(money, "payee", accounts)
            )
            money = either.dropDuplicates(["row"])  # a row between two of them comes twice
        return money.toArrow().cast(MONEY_SCHEMA)
