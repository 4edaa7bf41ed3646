"""The quarantine read back for people: rejected records grouped by reason with counts and
examples; and forgetting a file (its records, its rejections, its raw copy set aside)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from fininvest.errors import UnknownEntity
from fininvest.workspace import Workspace, file_sha256

#: a quoted value inside a reason: the part that differs between records of one reason
QUOTED = r"'[^']*'"


def read_quarantine(
    ws: Workspace, file: str | None = None, field: str | None = None
) -> pl.DataFrame:
    """Every rejected record (optionally of one file name and/or one field), by file and
    record number."""
    parts = ws.quarantine_parts()
    if not parts:
        return pl.DataFrame(
            schema={"source_file": pl.String, "kind": pl.String, "record_no": pl.Int64,
                    "source_line": pl.Int64, "record_id": pl.String, "field": pl.String,
                    "reason": pl.String, "raw": pl.String, "source_sha256": pl.String}
        )  # fmt: skip
    df = pl.scan_parquet(parts)
    if file is not None:
        df = df.filter(pl.col("source_file") == Path(file).name)
    if field is not None:
        df = df.filter(pl.col("field") == field)
    return df.sort("source_file", "record_no").collect()


def group_reasons(rejected: pl.DataFrame, examples: int = 3) -> list[dict[str, Any]]:
    """Rejections grouped by field and reason (its quoted values taken out, so that records
    rejected for the same reason group together): the count, the files, and the first
    ``examples`` records (file, line, record id, the full reason, the raw record).

    >>> df = pl.DataFrame({"source_file": ["f", "f"], "source_line": [2, 3],
    ...     "record_id": ["a", "b"], "field": ["amount", "amount"], "raw": ["", ""],
    ...     "reason": ["amount: '1,5' is not an amount", "amount: '2,5' is not an amount"]})
    >>> [(g["reason"], g["count"]) for g in group_reasons(df)]
    [("amount: '…' is not an amount", 2)]
    """
    if rejected.is_empty():
        return []
    grouped = (
        rejected.with_columns(pl.col("reason").str.replace_all(QUOTED, "'…'").alias("pattern"))
        .group_by("field", "pattern", maintain_order=True)
        .agg(
            pl.len().alias("count"),
            pl.col("source_file").unique(maintain_order=True).alias("files"),
            pl.struct("source_file", "source_line", "record_id", "reason", "raw")
            .head(examples)
            .alias("examples"),
        )
        .sort("count", descending=True)
    )
    return grouped.rename({"pattern": "reason"}).to_dicts()


def forget(ws: Workspace, name: str) -> dict[str, Any]:
    """Remove one raw file from the case: its rows in every table, its quarantine entries;
    the raw copy is moved to ``forgotten/`` (kept, out of the way of ``ingest CASE_DIR``).

    Returns what was removed: ``{"file", "sha256", "rows": {table: n}, "rejections",
    "kept_at"}``.
    """
    raw = ws.path("raw", Path(name).name)
    if not raw.is_file() and Path(name).is_file():  # the original: its copy in raw/
        sha = file_sha256(Path(name))
        raw = next((p for p in ws.path("raw").iterdir() if p.is_file()
                    and p.stat().st_size == Path(name).stat().st_size
                    and file_sha256(p) == sha), raw)  # fmt: skip
    if not raw.is_file():
        raise UnknownEntity(
            f"{Path(name).name} is not a file in {ws.path('raw')}",
            hint=f"The case's files are listed in: fininvest status {ws.root}",
        )
    sha = file_sha256(raw)
    prefix = f"part-{sha[:16]}-"
    rows: dict[str, int] = {}
    for table in ws.tables():
        for part in ws.table_parts(table):
            if part.name.startswith(prefix):
                n = pl.scan_parquet(part).select(pl.len()).collect().item()
                rows[table] = rows.get(table, 0) + int(n)
                part.unlink()
    rejections = 0
    for q in ws.quarantine_parts():
        if q.name.startswith(f"{sha[:16]}-"):
            rejections += int(pl.scan_parquet(q).select(pl.len()).collect().item())
            q.unlink()
    kept = ws.path("forgotten", f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{raw.name}")
    kept.parent.mkdir(exist_ok=True)
    os.replace(raw, kept)
    return {
        "file": raw.name,
        "sha256": sha,
        "rows": rows,
        "rejections": rejections,
        "kept_at": str(kept),
    }
