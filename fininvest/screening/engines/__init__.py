"""Screening on a distributed engine: the same rules and kernels, partitions by account.

One small interface (:class:`Engine`) and one module per backend: :mod:`.local` (in this
process; the reference the others are tested against), :mod:`.spark` (PySpark
``mapInArrow``) and :mod:`.dask` (Dask ``shuffle`` + ``map_partitions``). An engine only
moves Arrow tables; what runs on them is in :mod:`.plan`, and the two stages are put
together by :func:`fininvest.screening.engines.stages.screen_money`.

Library entry points: :func:`screen_transactions` takes a Spark or Dask DataFrame of the
workspace ``transactions`` layout (read from Parquet on shared storage) and returns the
alerts and explanations in the local engine's layout; :func:`screen_workspace` screens a
workspace's tables and writes ``results/`` as ``fininvest screen`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pyarrow comes with the spark and dask extras: not needed to screen locally
    import pyarrow as pa

    from fininvest.screening.run import ScreenResult
    from fininvest.workspace import Workspace

ENGINES = ("local", "spark", "dask")


class Engine(Protocol):
    """What a backend does with its own frames (a Spark DataFrame, a Dask DataFrame, a
    Polars DataFrame for :mod:`.local`). Frames hold money rows
    (:data:`~fininvest.screening.engines.plan.MONEY_SCHEMA`) or event rows
    (:data:`~fininvest.screening.engines.plan.EVENT_SCHEMA`)."""

    name: str

    def read_workspace(self, ws: Workspace) -> Any:
        """The money rows of a workspace's ``transactions`` and ``card_transactions``
        tables, read by the engine from their Parquet parts, ``row`` in the case's order
        (kept by the engine while the screen runs: several steps read them)."""
        ...

    def from_transactions(self, frame: Any) -> Any:
        """Money rows of a frame of the ``transactions`` layout (``row``: the frame's order)."""
        ...

    def map_batches(self, frame: Any, fn: Callable[[pa.Table], pa.Table], schema: pa.Schema) -> Any:
        """``fn`` on each batch of ``frame`` (no shuffle): a frame of ``schema``."""
        ...

    def account_counts(self, events: Any, at_least: int) -> tuple[int, int, int, pa.Table]:
        """The number of event rows and of accounts, the earliest time, and (owner, n, first,
        last) of every account with at least ``at_least`` events."""
        ...

    def screen_partitions(
        self, events: Any, fn: Callable[[pa.Table], pa.Table], partitions: int
    ) -> pa.Table:
        """Shuffle event rows into ``partitions`` partitions, each row to the one its ``part``
        says (not a hash of it: the layout is balanced by events), call ``fn`` once per
        partition (all its rows as one table), and collect what it returns."""
        ...

    def counterparties(self, events: Any, accounts: list[str]) -> list[str]:
        """The distinct counterparties of the given accounts."""
        ...

    def present(self, events: Any, accounts: list[str]) -> list[str]:
        """Which of ``accounts`` have at least one event."""
        ...

    def touching(self, money: Any, accounts: list[str] | None) -> pa.Table:
        """The money rows whose payer or payee is one of ``accounts`` (all when None), as one
        Arrow table in the driver."""
        ...

    def close(self) -> None:
        """Stop what the engine started (a Spark session, a local Dask cluster); a session
        or client handed in is left running."""
        ...


def get_engine(name: str, **options: Any) -> Engine:
    """The engine called ``name`` (:data:`ENGINES`). Options: ``master`` (Spark master URL,
    default ``local[2]``) or ``session`` (a SparkSession); ``scheduler`` (a Dask scheduler
    address; default a two-worker LocalCluster on 127.0.0.1) or ``client``.

    >>> get_engine("local").name
    'local'
    """
    from fininvest.errors import EngineUnavailable

    try:
        if name == "local":
            from fininvest.screening.engines.local import LocalEngine

            return LocalEngine()
        if name == "spark":
            from fininvest.screening.engines.spark import SparkEngine

            return SparkEngine(master=options.get("master"), session=options.get("session"))
        if name == "dask":
            from fininvest.screening.engines.dask import DaskEngine

            return DaskEngine(scheduler=options.get("scheduler"), client=options.get("client"))
    except ImportError as e:  # pyarrow, pandas, pyspark or dask missing
        raise EngineUnavailable(
            f"the {name} engine needs {e.name or 'a package'} installed",
            hint=f'pip install "fininvest[{name if name != "local" else "dask"}]"',
        ) from e
    raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")


def screen_workspace(
    ws: Workspace, engine: Engine, *, write: bool = True, **options: Any
) -> ScreenResult:
    """Screen a workspace on ``engine`` and write ``results/alerts.parquet`` and
    ``results/explanations.parquet`` unless ``write`` is False (see
    :func:`.stages.screen_money` for ``options``)."""
    from fininvest.screening.engines.stages import screen_workspace as run

    return run(ws, engine, write=write, **options)


def screen_transactions(frame: Any, engine: Engine, **options: Any) -> ScreenResult:
    """Screen a Spark or Dask DataFrame of the workspace ``transactions`` layout; returns the
    alerts and explanations in the local engine's layout (nothing is written).

    ``options``: ``kyc`` (dict of Polars frames: ``accounts``, ``parties``,
    ``identifiers``, ``intel_links``), ``config`` (a workspace's ``fininvest.toml`` as a
    dict: indicator overrides and thresholds), and those of :func:`.stages.screen_money`.

    Examples
    --------
    On a Spark session (``spark``) with the case's tables on shared storage::

        tx = spark.read.parquet("/shared/case/tables/transactions")
        res = screen_transactions(tx, get_engine("spark", session=spark))
        res.alerts.head()
    """
    from fininvest.screening.engines.stages import screen_frame

    return screen_frame(frame, engine, **options)
