"""``fininvest fx``: the reference exchange rates a workspace converts amounts with."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console

from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.fx import ECB_SOURCE, ECB_URL, describe, update
from fininvest.workspace import open_workspace


@click.group()
def fx() -> None:
    """Reference exchange rates: the ECB's euro reference rates, 1999 onwards.

    Amounts are converted to the case's base currency with the case's own fx files first, then
    with these rates; a record in a currency with neither is kept with an empty base amount.
    Turn the reference off with [fx] reference = "none" in fininvest.toml.
    """


@fx.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@FORMAT_OPTION
def status(case_dir: Path, fmt: str) -> None:
    """Which reference rates the workspace uses: file, first and last day, currencies."""
    ws = open_workspace(case_dir)
    info = asdict(describe(ws.root))
    info["source"] = ECB_SOURCE
    info["enabled"] = ws.config.get("fx", {}).get("reference", "ecb") != "none"

    def render(c: Console) -> None:
        c.print(f"{ECB_SOURCE} ({info['origin']}): {info['first']} to {info['last']}, "
                f"{len(info['currencies'])} currencies", markup=False)  # fmt: skip
        c.print(f"file: {info['path']}", markup=False)
        c.print(", ".join(info["currencies"]), markup=False)
        if not info["enabled"]:
            c.print('turned off in this workspace ([fx] reference = "none")', markup=False)

    emit(fmt, info, render)


@fx.command("update")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    help=f"A downloaded eurofxref-hist.zip (or .csv), or an https:// address. Default: {ECB_URL}",
)
@FORMAT_OPTION
def update_cmd(case_dir: Path, source: str | None, fmt: str) -> None:
    """Store a newer copy of the ECB's rates in the workspace (CASE_DIR/fx/).

    The file is checked before it replaces the copy in use. Files ingested before keep the
    base amounts they were given; re-ingest them to convert with the newer rates.

    Example: fininvest fx update CASE_DIR --from ~/Downloads/eurofxref-hist.zip
    """
    ws = open_workspace(case_dir)
    info = asdict(update(ws.root, source))
    ws.audit("fx update", {"from": source or ECB_URL}, counts={"last": info["last"]})

    def render(c: Console) -> None:
        c.print(f"reference rates now {info['first']} to {info['last']}", markup=False)

    emit(fmt, info, render)
