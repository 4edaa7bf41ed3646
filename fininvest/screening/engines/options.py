"""The engine options of ``fininvest screen`` and ``fininvest bench screen``, and the one
call that screens a workspace on the chosen engine. Imports nothing heavy: the engines load
when a screen runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from fininvest.screening.run import ScreenResult
    from fininvest.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def engine_options(fn: F) -> F:
    """``--engine``, ``--master``, ``--scheduler``, ``--partitions``, ``--scope``."""
    for option in reversed(
        [
            click.option(
                "--engine",
                type=click.Choice(["local", "spark", "dask"]),
                default="local",
                show_default=True,
                help="Where the rules run: this process, or partitioned by account on Spark or "
                "Dask (docs/scale-out.md); with --scope all the alerts are the local ones.",
            ),
            click.option(
                "--master",
                metavar="URL",
                help="Spark master (default local[2]), e.g. spark://host:7077, yarn, k8s://…",
            ),
            click.option(
                "--scheduler",
                metavar="ADDR",
                help="Dask scheduler, e.g. tcp://host:8786 (default: a two-worker local "
                "cluster on 127.0.0.1).",
            ),
            click.option(
                "--partitions",
                type=click.IntRange(min=1),
                help="Partitions of the shuffle by account (spark, dask); default one per "
                "million events (each transaction is two), at least 8, so that a task holds "
                "about a million events (docs/scale-out.md).",
            ),
            click.option(
                "--scope",
                type=click.Choice(["flagged", "all"]),
                default="flagged",
                show_default=True,
                help="What the rules over the whole case (cycles, scatter-gather, peers, "
                "shared identifiers) read on spark/dask: the transactions around the accounts "
                "the per-account rules flagged, or all of them (exact, in the driver's memory).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def audit_options(engine: dict[str, Any]) -> dict[str, Any]:
    """The engine options worth an audit entry: none for the local engine.

    >>> audit_options({"engine": "local", "partitions": 8})
    {}
    >>> audit_options({"engine": "dask", "master": None, "partitions": 8})
    {'engine': 'dask', 'partitions': 8}
    """
    if engine.get("engine", "local") == "local":
        return {}
    return {k: v for k, v in engine.items() if v is not None}


def engine_line(run: dict[str, Any]) -> str:
    """How a distributed screen ran, in one line (``ScreenResult.engine``).

    >>> line = engine_line({"engine": "dask", "partitions": 8, "busy_accounts": 1,
    ...                     "scope": "flagged", "driver_accounts": 3742})
    >>> line.split(";")[0]
    'Ran on dask: 8 partitions, 1 busy account(s) in time buckets'
    >>> line.split(";")[1]
    ' the rules over the whole case read 3,742 accounts (scope flagged).'
    """
    return (
        f"Ran on {run['engine']}: {run['partitions']} partitions, {run['busy_accounts']} busy "
        f"account(s) in time buckets; the rules over the whole case read "
        f"{run['driver_accounts']:,} accounts (scope {run['scope']})."
    )


def screen_on(
    ws: Workspace,
    engine: str = "local",
    master: str | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    scope: str = "flagged",
    progress: Callable[[str], None] | None = None,
) -> ScreenResult:
    """Screen ``ws`` in this process (``engine="local"``: :func:`fininvest.screening.run.screen`,
    told each phase through ``progress``) or on Spark or Dask
    (:func:`fininvest.screening.engines.screen_workspace`)."""
    if engine == "local":
        from fininvest.screening.run import screen

        return screen(ws, progress)
    from fininvest.screening.engines import get_engine, screen_workspace

    backend = get_engine(engine, master=master, scheduler=scheduler)
    try:
        return screen_workspace(ws, backend, partitions=partitions, scope=scope)
    finally:
        backend.close()
