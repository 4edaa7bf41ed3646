"""One small interface over the graph: run a named Cypher file with parameters → rows.

Cypher lives only in ``cypher/`` and is never built from user input: values always travel as
parameters. Rows come back as plain Python values (numbers, strings, lists, dicts), whatever
engine answered.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import polars as pl
from redis.exceptions import ConnectionError as RedisConnectionError

from fininvest.errors import GraphStopped
from fininvest.graph import embedded
from fininvest.graph.falkor_params import rows_header
from fininvest.resources import resource_dir
from fininvest.workspace import Workspace


def cypher(name: str) -> str:
    """The text of ``cypher/<name>.cypher``."""
    path = resource_dir("cypher") / f"{name}.cypher"
    if not path.exists():
        raise FileNotFoundError(f"no Cypher file {path}")
    return path.read_text("utf-8")


def _plain(value: Any) -> Any:
    """Engine objects (nodes, edges, paths) → plain dicts and lists."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    props = getattr(value, "properties", None)
    if isinstance(props, dict):
        labels = getattr(value, "labels", None)
        out = {k: _plain(v) for k, v in props.items()}
        if labels:
            out["_labels"] = list(labels)
        return out
    return value


class GraphStore(Protocol):
    """What every backend offers; nothing above this interface knows which engine answers."""

    name: str
    dialect: str  # "falkordb" or "neo4j": picks the per-backend DDL variant in cypher/schema/

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run ``cypher/<name>.cypher`` with parameters; rows of plain Python values."""

    def counts(self) -> dict[str, dict[str, int]]:
        """Node counts per label and relationship counts per type."""

    def write(self, name: str, df: pl.DataFrame, batch: int = 10_000) -> int:
        """Send ``df`` to ``cypher/<name>.cypher`` as ``$rows`` in batches; rows written.
        A failing batch raises :class:`BatchFailed` naming its position."""

    def compact(self) -> None:
        """Make a bulk load durable and quick to restart from (no-op where not needed)."""

    def require_unique_keys(self, types: list[str]) -> None:
        """Make the ``key`` property unique for every relationship of these types, where the
        backend does not do it through the DDL files of ``cypher/schema/``."""

    def delete(self) -> None:
        """Remove the whole graph (tests, benchmarks)."""

    def close(self) -> None:
        """Release connections."""


class BatchFailed(Exception):
    """Batch ``index`` (rows ``start`` to ``start + size``) was refused by the database."""

    def __init__(self, index: int, start: int, size: int, cause: Exception) -> None:
        super().__init__(str(cause))
        self.index, self.start, self.size, self.cause = index, start, size, cause


def counts(store: GraphStore) -> dict[str, dict[str, int]]:
    """Node counts per label and relationship counts per type, through the named queries."""
    return {
        "nodes": {r["label"]: r["n"] for r in store.run("counts_by_label")},
        "relationships": {r["type"]: r["n"] for r in store.run("counts_by_type")},
    }


#: What the client raises when the server is gone: the built-in ConnectionError and redis-py's
#: own, which is not a subclass of it.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, RedisConnectionError)


def stopped(what: str, exc: BaseException) -> GraphStopped:
    """The error for a graph server that went away during a command (exit status 5)."""
    return GraphStopped(
        f"{what} failed: the graph store stopped ({exc})",
        hint="Start it again (fininvest graph start CASE_DIR; see graph/falkordb.log for why it "
        "stopped) and rerun the command: a graph load resumes where it was cut off.",
    )


WRITERS = int(os.environ.get("FININVEST_GRAPH_WRITERS", "2"))


class FalkorStore:
    """The embedded FalkorDB backend (Redis protocol over the workspace's unix socket)."""

    dialect = "falkordb"

    def __init__(self, ws: Workspace, graph: str = "case") -> None:
        info = embedded.running(ws) or embedded.start(ws)
        self._db = embedded.connect(ws, info)
        self._graph = self._db.select_graph(graph)
        self.name = graph

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            res = self._graph.query(cypher(name), params or {})
        except CONNECTION_ERRORS as exc:
            raise stopped(f"graph query {name}", exc) from exc
        header = [h[1] if isinstance(h, list | tuple) else h for h in res.header]
        return [dict(zip(header, (_plain(v) for v in row), strict=True)) for row in res.result_set]

    def counts(self) -> dict[str, dict[str, int]]:
        """Node counts per label and relationship counts per type."""
        return counts(self)

    def write(self, name: str, df: pl.DataFrame, batch: int = 10_000) -> int:
        """Batched ``UNWIND $rows`` writes. Parameters are encoded by Polars, and the next
        batch is encoded while the server executes the current one (measured: 2× the
        throughput of the client's own per-value encoding, see docs/performance.md)."""
        text = cypher(name)

        def one(i: int, start: int) -> int:
            part = df.slice(start, batch)
            try:
                res = self._graph.query(rows_header(part) + text)
            except CONNECTION_ERRORS as exc:
                raise stopped(f"graph write {name}", exc) from exc
            except Exception as exc:
                raise BatchFailed(i, start, part.height, exc) from exc
            return int(res.result_set[0][0]) if res.result_set else 0

        # two batches in flight: one being encoded or parsed while the other executes
        with ThreadPoolExecutor(WRITERS) as pool:
            futures = [
                pool.submit(one, i, start) for i, start in enumerate(range(0, df.height, batch))
            ]
            try:
                return sum(f.result() for f in futures)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def require_unique_keys(self, types: list[str]) -> None:
        """A FalkorDB unique constraint on ``key`` for each relationship type (a Redis command,
        not Cypher; the exact-match index it needs is in ``cypher/schema/falkordb/``). Waits
        until each constraint is operational (they are built in the background)."""
        conn = self._db.connection
        for rtype in types:
            try:
                conn.execute_command(
                    "GRAPH.CONSTRAINT", "CREATE", self.name, "UNIQUE", "RELATIONSHIP", rtype,
                    "PROPERTIES", 1, "key",
                )  # fmt: skip
            except CONNECTION_ERRORS as exc:
                raise stopped("graph constraint", exc) from exc
            except Exception as exc:  # already there
                if "already exists" not in str(exc).lower():
                    raise
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = {
                r["label"]: r["status"]
                for r in self.run("admin/falkordb_constraints")
                if r["entitytype"] == "RELATIONSHIP"
            }
            if all(states.get(t) != "PENDING" for t in types):
                return
            time.sleep(0.05)

    def compact(self) -> None:
        """Rewrite the append-only file as a snapshot after a bulk load, so that a restart loads
        the graph instead of replaying every batch (measured: > 20 s for the sample case)."""
        conn = self._db.connection
        for _attempt in range(2):
            try:
                conn.bgrewriteaof()
            except Exception as exc:  # an automatic rewrite is running: wait, then ask again
                if "already in progress" not in str(exc):
                    raise
                self._wait_for_rewrite()
                continue
            self._wait_for_rewrite()
            return

    def _wait_for_rewrite(self) -> None:
        conn = self._db.connection
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # wait: a stop right after would keep the old file
            info = conn.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                return
            time.sleep(0.1)

    def delete(self) -> None:
        try:
            self._graph.delete()
        except Exception:  # an empty graph does not exist yet
            pass

    def close(self) -> None:
        self._db.connection.close()


def open_store(
    ws: Workspace,
    graph: str = "case",
    *,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> GraphStore:
    """The workspace's graph store: the embedded FalkorDB (default), or Neo4j when a
    ``bolt://`` / ``neo4j://`` URI is given here, in ``FININVEST_NEO4J_URI`` or in
    ``fininvest.toml`` (``[graph] uri``)."""
    import os

    conf = ws.config.get("graph", {})
    uri = uri or os.environ.get("FININVEST_NEO4J_URI") or conf.get("uri")
    if uri and not str(uri).startswith("embedded"):
        from fininvest.graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            str(uri),
            user or os.environ.get("FININVEST_NEO4J_USER") or conf.get("user", "neo4j"),
            password or os.environ.get("FININVEST_NEO4J_PASSWORD") or "",
            database=conf.get("database") or None,
            graph=graph,
        )
    return FalkorStore(ws, graph)


__all__ = ["GraphStore", "FalkorStore", "open_store", "cypher", "counts"]
