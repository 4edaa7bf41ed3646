"""``fininvest init``, ``status`` and ``info``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fininvest import __version__
from fininvest.cli.output import FORMAT_OPTION, emit, printable, stderr
from fininvest.permissions import exposed
from fininvest.resources import resource_summary
from fininvest.workspace import Workspace, init_workspace, open_workspace

CASE_DIR = click.argument("case_dir", type=click.Path(path_type=Path))


@click.command()
@CASE_DIR
@click.option("--name", help="Case name (default: the directory name).")
@click.option(
    "--base-currency",
    default="EUR",
    show_default=True,
    help="ISO 4217 currency every amount is converted to.",
)
@FORMAT_OPTION
def init(case_dir: Path, name: str | None, base_currency: str, fmt: str) -> None:
    """Create an investigation workspace in CASE_DIR.

    Writes CASE_DIR/fininvest.toml (case name, base currency, per-jurisdiction reporting
    thresholds, graph connection) and the folders for raw inputs, tables, quarantine,
    results, graph data, evidence packs and the audit log.
    """
    ws = init_workspace(case_dir, name=name, base_currency=base_currency)
    data = {"workspace": str(ws.root), "name": ws.name, "base_currency": ws.base_currency}
    emit(
        fmt,
        data,
        lambda c: c.print(
            Text.assemble(
                "Created workspace ",
                (ws.name, "bold"),
                f" in {ws.root} (base currency {ws.base_currency}).\n"
                f"Next: fininvest ingest {case_dir} FILES…",
            )
        ),
    )


def workspace_status(ws: Workspace, last: int = 10) -> dict[str, Any]:
    """Tables with row counts, quarantine count and the last commands run."""
    tables = {}
    for t in ws.tables():
        parts = ws.table_parts(t)
        if parts:
            # from each part's footer: no table schemas (they import the parsers and numba)
            rows = sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in parts)
            tables[t] = {"rows": rows, "files": len(parts)}
    q_parts = ws.quarantine_parts()
    quarantined = pl.scan_parquet(q_parts).select(pl.len()).collect().item() if q_parts else 0
    by_reason: dict[str, int] = {}
    if q_parts:
        for kind, n in pl.scan_parquet(q_parts).group_by("kind").len().collect().iter_rows():
            by_reason[kind] = n
    entries = ws.audit_entries()
    open_to_others = exposed(ws.root)
    return {
        "workspace": str(ws.root),
        "name": ws.name,
        "base_currency": ws.base_currency,
        "tables": tables,
        "quarantine": {"records": quarantined, "by_kind": by_reason},
        "readable_by_others": {
            "count": len(open_to_others),
            "examples": [str(p.relative_to(ws.root)) for p in open_to_others[:5]],
        },
        "last_commands": [
            {k: e.get(k) for k in ("time", "command", "status", "counts")} for e in entries[-last:]
        ],
    }


@click.command()
@CASE_DIR
@click.option("--last", default=10, show_default=True, help="How many audit entries to show.")
@FORMAT_OPTION
def status(case_dir: Path, last: int, fmt: str) -> None:
    """Show the workspace's tables, quarantine and last commands."""
    ws = open_workspace(case_dir)
    data = workspace_status(ws, last)
    if n := data["readable_by_others"]["count"]:
        examples = ", ".join(data["readable_by_others"]["examples"]) or "."
        stderr.print(
            f"Warning: {n:,} files or folders of this case can be read by other users "
            f"(e.g. {printable(examples)}); they hold personal data.\n"
            f"Hint: make the case owner-only: chmod -R go= {printable(str(ws.root))}",
            style="yellow",
        )

    def render(c: Console) -> None:
        c.print(
            Text.assemble(
                (data["name"], "bold"),
                f"  {data['workspace']}  (base currency {data['base_currency']})",
            )
        )
        t = Table("table", "rows", "files", title="Tables")
        for name, info in data["tables"].items():
            t.add_row(name, f"{info['rows']:,}", str(info["files"]))
        c.print(t)
        q = data["quarantine"]
        c.print(
            f"Quarantine: {q['records']:,} rejected records"
            + (
                " (" + ", ".join(f"{k}: {v:,}" for k, v in q["by_kind"].items()) + ")"
                if q["by_kind"]
                else ""
            )
        )
        a = Table("time", "command", "status", "counts", title="Last commands")
        for e in data["last_commands"]:
            counts = ", ".join(f"{k}={v}" for k, v in (e["counts"] or {}).items())
            a.add_row(e["time"], e["command"], e["status"], counts[:80])
        c.print(a)

    emit(fmt, data, render)


@click.command()
@FORMAT_OPTION
def info(fmt: str) -> None:
    """Show the version and where the Cypher files, indicator catalogue and app assets are."""
    resources = resource_summary()

    def render(c: Console) -> None:
        c.print(f"fininvest {__version__}")
        for name, r in resources.items():
            c.print(f"{name:<11} {r['path']}  ({r['files']} files)")

    emit(fmt, {"version": __version__, "resources": resources}, render)
