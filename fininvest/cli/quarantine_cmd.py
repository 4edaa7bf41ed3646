"""``fininvest quarantine`` (rejected records by reason) and ``fininvest forget`` (take a file
out of a case)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import FORMAT_OPTION, emit, write_csv
from fininvest.cli.tables import csv_format_option, plain


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--file", "file", help="Only the records of this input file (its name).")
@click.option("--field", help="Only the records rejected for this field (e.g. amount).")
@click.option("--examples", default=3, show_default=True, help="Examples shown per reason.")
@csv_format_option(
    "table: reasons with counts and examples; json: the same as one document; csv: every "
    "rejected record, one row each."
)
def quarantine(
    case_dir: Path, file: str | None, field: str | None, examples: int, fmt: str
) -> None:
    """The rejected records of CASE_DIR, grouped by reason with counts and examples.

    Each record keeps its file, record number, line, field, reason and the raw record as
    read, so that the export can be fixed at the source and ingested again (then `fininvest
    forget CASE_DIR OLD_FILE` removes the broken original and its rejections).

    \b
    Example:
      fininvest quarantine CASE_DIR
      fininvest quarantine CASE_DIR --file hansa_bank_2025-03.csv --field amount
      fininvest quarantine CASE_DIR --format csv > rejected.csv
    """
    from fininvest.casefile.quarantine import group_reasons, read_quarantine
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    rejected = read_quarantine(ws, file, field)
    ws.audit("quarantine", {"file": file, "field": field}, counts={"records": rejected.height})
    if fmt == "csv":
        sys.stdout.write(write_csv(rejected) or "")
        return
    groups = group_reasons(rejected, examples)
    doc = {"records": rejected.height, "reasons": groups}
    emit(fmt, doc, lambda c: render_reasons(doc, c))


def render_reasons(doc: dict[str, Any], c: Console) -> None:
    if not doc["records"]:
        c.print("No rejected record.")
        return
    c.print(f"{doc['records']:,} rejected record(s), {len(doc['reasons'])} reason(s)")
    for g in doc["reasons"]:
        head = f"{g['count']:,} × {g['field'] or '(record)'}: {g['reason']}"
        plain(c, f"\n{head}  [{', '.join(g['files'])}]", "bold")
        t = Table("file", "line", "record", "reason", "raw record", box=None)
        for e in g["examples"]:
            t.add_row(
                e["source_file"], str(e["source_line"]), e["record_id"] or "", e["reason"],
                e["raw"] or "",
            )  # fmt: skip
        c.print(t)


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("file")
@FORMAT_OPTION
def forget(case_dir: Path, file: str, fmt: str) -> None:
    """Take FILE out of the case: its rows and its rejected records; the raw copy kept aside.

    Its rows go from every table and its rejected records from the quarantine; its raw copy
    moves to CASE_DIR/forgotten/ (never deleted), and the audit log says so.

    Use it when a corrected export replaces a broken one: ingest the fixed file, then forget
    the old one so that `fininvest ingest CASE_DIR` no longer re-reads it. Records that
    another file also holds were stored once, with the file ingested first: ingest the case
    again afterwards to bring them back from the other files.

    \b
    Example:
      fininvest forget CASE_DIR hansa_bank_2025-03.csv
      fininvest ingest CASE_DIR
    """
    from fininvest.casefile.quarantine import forget as run_forget
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    done = run_forget(ws, file)
    ws.audit(
        "forget",
        {"file": done["file"]},
        inputs=[{"file": done["file"], "sha256": done["sha256"]}],
        counts={"rows": sum(done["rows"].values()), "rejections": done["rejections"]},
    )

    def render(c: Console) -> None:
        rows = ", ".join(f"{t}: {n:,}" for t, n in done["rows"].items()) or "none"
        c.print(
            f"Forgot {done['file']}: rows removed ({rows}), {done['rejections']:,} "
            f"rejected record(s) removed; the raw copy is kept at {done['kept_at']}.\n"
            f"Next: fininvest ingest {ws.root}   (brings back records other files also hold)",
            markup=False,
        )

    emit(fmt, done, render)
