"""The Neo4j 5 backend (server or cluster) through the official ``neo4j`` driver.

Same named Cypher files, same plain rows as the embedded store. Writes (``load/``, ``schema/``,
``admin/``, ``write/``) are routed to the leader, everything else to readers, so a ``neo4j://``
URI works against a cluster.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from fininvest.errors import GraphUnavailable
from fininvest.graph.store import BatchFailed, counts, cypher

WRITES = ("load", "schema", "admin", "write")


def _plain(value: Any) -> Any:
    """Driver objects (Node, Relationship, Path, temporal types) → plain values."""
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Node):
        return {**{k: _plain(v) for k, v in value.items()}, "_labels": sorted(value.labels)}
    if isinstance(value, Relationship):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return [_plain(n) for n in value.nodes]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


class Neo4jStore:
    """A Neo4j 5 database reached by ``bolt://`` or ``neo4j://`` (routing)."""

    dialect = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str | None = None,
        graph: str = "case",
    ) -> None:
        import neo4j

        self._neo4j = neo4j
        self.name = graph
        self._database = database
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except Exception as exc:
            raise GraphUnavailable(
                f"cannot reach Neo4j at {uri}: {exc}",
                hint="Check --uri, --user and FININVEST_NEO4J_PASSWORD, and that the server runs.",
            ) from exc

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        routing = (
            self._neo4j.RoutingControl.WRITE
            if name.split("/", 1)[0] in WRITES
            else self._neo4j.RoutingControl.READ
        )
        try:
            records, _summary, keys = self._driver.execute_query(
                cypher(name), params or {}, routing_=routing, database_=self._database
            )
        except self._neo4j.exceptions.ServiceUnavailable as exc:
            raise GraphUnavailable(f"graph query {name} failed: {exc}") from exc
        return [{k: _plain(r[k]) for k in keys} for r in records]

    def counts(self) -> dict[str, dict[str, int]]:
        return counts(self)

    def write(self, name: str, df: pl.DataFrame, batch: int = 10_000) -> int:
        written = 0
        for i, start in enumerate(range(0, df.height, batch)):
            part = df.slice(start, batch)
            try:
                rows = self.run(name, {"rows": part.to_dicts()})
            except GraphUnavailable:
                raise
            except Exception as exc:
                raise BatchFailed(i, start, part.height, exc) from exc
            written += int(rows[0]["n"]) if rows else 0
        return written

    def compact(self) -> None:
        """Neo4j's transaction log needs no compaction after a load."""

    def require_unique_keys(self, types: list[str]) -> None:
        """Nothing more to do: the uniqueness constraints are Cypher, in cypher/schema/neo4j/."""

    def delete(self) -> None:
        while self.run("admin/delete_batch", {"limit": 10_000})[0]["n"]:
            pass

    def close(self) -> None:
        self._driver.close()
