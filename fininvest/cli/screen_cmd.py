"""``fininvest screen``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import polars as pl
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import FORMAT_KEY, stderr, stdout
from fininvest.screening.engines.options import (
    audit_options,
    engine_line,
    engine_options,
    screen_on,
)
from fininvest.screening.run import summary
from fininvest.workspace import open_workspace


def _remember(ctx: click.Context, _p: click.Parameter, value: str) -> str:
    ctx.meta[FORMAT_KEY] = value
    return value


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--top", default=20, show_default=True, help="How many suspects to show.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    is_eager=True,
    callback=_remember,
    help="table for people; json (one document) or csv (one row per alert) for tools.",
)
@engine_options
def screen(case_dir: Path, top: int, fmt: str, **engine: Any) -> None:
    """Screen every account against the THB red-flag catalogue; rank and explain the alerts.

    Writes CASE_DIR/results/alerts.parquet and explanations.parquet. Each alert lists the
    indicators that fired with the observed value, threshold, window, the transaction ids
    that prove it and the public source. Accounts that look controlled by someone else are
    classified "possible_victim" and never ranked among suspects. Indicators whose data the
    case lacks are reported as not evaluated.

    With --engine spark or dask the same rules run on that engine, partitioned by account
    (docs/scale-out.md), e.g. fininvest screen CASE_DIR --engine spark --master local[2].
    """
    ws = open_workspace(case_dir)
    with stderr.status("screening"):
        res = screen_on(ws, **engine)
    doc = summary(res, top)
    ws.audit(
        "screen",
        {"top": top, **audit_options(engine)},
        counts={
            "events": res.events,
            "suspects": doc["suspects"],
            "possible_victims": doc["possible_victims"],
            "seconds": round(sum(doc["seconds"].values()), 3),
        },
    )
    if fmt == "json":
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    if fmt == "csv":
        sys.stdout.write(
            res.alerts.with_columns(
                pl.col("indicators").list.join("|"), pl.col("families").list.join("|")
            ).write_csv()
        )
        return
    render_screen(doc, stdout)


def render_screen(doc: dict, c: Console) -> None:  # type: ignore[type-arg]
    t = Table(
        "rank",
        "account",
        "holder",
        "score",
        "families",
        "indicators",
        title=f"{doc['suspects']:,} suspect accounts ({doc['events']:,} events screened)",
    )
    for a in doc["alerts"]:
        t.add_row(
            str(a["rank"]),
            a["entity_id"],
            a["holder_id"] or "",
            f"{a['score']:.2f}",
            ", ".join(a["families"]),
            ", ".join(a["indicators"]),
        )
    c.print(t)
    c.print(
        f"{doc['possible_victims']} possible victim account(s), listed apart "
        "(not ranked among suspects)."
    )
    not_run = {k: v for k, v in doc["indicator_status"].items() if not v.startswith("evaluated")}
    c.print(
        f"{len(doc['indicator_status']) - len(not_run)} indicators evaluated; "
        f"{len(not_run)} not: " + "; ".join(f"{k} ({v})" for k, v in sorted(not_run.items())),
        markup=False,  # the reasons quote fininvest.toml sections such as [thresholds.XX]
    )
    c.print(timing_line(doc))
    if "engine" in doc:
        c.print(engine_line(doc["engine"]), markup=False)


def timing_line(doc: dict) -> str:  # type: ignore[type-arg]
    """Where the screen's time went: its phases and its three slowest indicators (two run at
    a time, so their times overlap).

    >>> print(timing_line({"seconds": {"events": 2.6, "indicators": 3.62},
    ...                    "indicator_seconds": {"fan_out": 0.91}}))
    Screened in 6.22 s: events 2.60 s, indicators 3.62 s; slowest indicators: fan_out 0.91 s.
    """
    phases = doc["seconds"]
    line = f"Screened in {sum(phases.values()):.2f} s: " + ", ".join(
        f"{phase} {t:.2f} s" for phase, t in phases.items()
    )
    slowest = list(doc["indicator_seconds"].items())[:3]
    if slowest:
        line += "; slowest indicators: " + ", ".join(f"{i} {t:.2f} s" for i, t in slowest)
    if doc.get("kernels_compiled"):
        line += (
            f". This included compiling {doc['kernels_compiled']} numba kernels, once per "
            "installation: later screens load them from the cache"
        )
    return line + "."
