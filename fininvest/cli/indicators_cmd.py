"""``fininvest indicators``: the cited THB red-flag catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.indicators.catalogue import FAMILIES, effective_parameters, load_catalogue
from fininvest.workspace import open_workspace


@click.command()
@click.option(
    "--case",
    "case_dir",
    type=click.Path(path_type=Path),
    help="Show the parameters in effect for this workspace (its [indicators] overrides).",
)
@click.option("--family", type=click.Choice(list(FAMILIES)), help="Only this family.")
@FORMAT_OPTION
def indicators(case_dir: Path | None, family: str | None, fmt: str) -> None:
    """List the THB red-flag indicators with their parameters and sources.

    The catalogue lives in indicators/*.toml (one file per indicator) and is validated as a
    whole; any problem is reported with the file and what to fix.
    """
    cat = load_catalogue()
    overrides = open_workspace(case_dir).config.get("indicators", {}) if case_dir else {}
    params = effective_parameters(cat, overrides)
    rows: list[dict[str, Any]] = [
        {
            "id": ind.id,
            "title": ind.title,
            "families": list(ind.families),
            "level": ind.level,
            "signals": ind.signals,
            "weight": ind.weight,
            "tables": list(ind.tables),
            "parameters": params[ind.id],
            "citations": [c.short() for c in ind.citations],
        }
        for ind in cat.values()
        if family is None or family in ind.families
    ]

    def render(c: Console) -> None:
        t = Table(
            "id",
            "families",
            "level",
            "weight",
            "parameters",
            "sources",
            title=f"{len(rows)} THB red-flag indicators",
        )
        for r in rows:
            t.add_row(
                r["id"],
                ", ".join(r["families"]),
                r["level"],
                f"{r['weight']:g}",
                ", ".join(f"{k}={v}" for k, v in r["parameters"].items()),
                "; ".join(r["citations"]),
            )
        c.print(t)

    emit(fmt, rows, render)
