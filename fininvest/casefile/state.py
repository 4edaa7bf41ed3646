"""The state of a workspace's tables, as an audit entry records what a command read."""

from __future__ import annotations

from typing import Any

from fininvest.workspace import Workspace, file_sha256


def table_state(ws: Workspace) -> list[dict[str, Any]]:
    """Every part file of every table, with its SHA-256 and size: which data a result came
    from (a pack can check an alert against these hashes).

    Complexity: reads every part file once (hashing at disk speed).
    """
    return [
        {
            "table": table,
            "file": str(part.relative_to(ws.root)),
            "sha256": file_sha256(part),
            "bytes": part.stat().st_size,
        }
        for table in ws.tables()
        for part in ws.table_parts(table)
    ]
