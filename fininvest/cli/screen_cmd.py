"""``fininvest screen``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.explain_cmd import render_alert
from fininvest.cli.output import emit, stderr, stdout, write_csv
from fininvest.cli.tables import csv_format_option, keep_ids_whole, plural
from fininvest.screening.engines.options import (
    audit_options,
    engine_line,
    engine_options,
    screen_on,
)


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--top", default=20, show_default=True, help="How many suspects to show.")
@csv_format_option(
    "table for people; json (one document) or csv (one row per alert; with --explain "
    "one row per explanation) for tools."
)
@click.option(
    "--explain",
    "explain",
    is_flag=True,
    help="Every alert's explanations in words with their evidence (csv: one row each).",
)
@engine_options
def screen(case_dir: Path, top: int, fmt: str, explain: bool, **engine: Any) -> None:
    """Screen every account against the THB red-flag catalogue; rank and explain the alerts.

    Writes CASE_DIR/results/alerts.parquet and explanations.parquet. Each alert lists the
    indicators that fired with the observed value, threshold, window, the transaction ids
    that prove it and the public source. Accounts that look controlled by someone else are
    classified "possible_victim" and never ranked among suspects (they are listed apart).
    Indicators whose data the case lacks are reported as not evaluated.


    With --engine spark or dask the same rules run on that engine, partitioned by account
    (docs/scale-out.md), e.g. fininvest screen CASE_DIR --engine spark --master local[2].

    \b
    Example:
      fininvest screen CASE_DIR --top 20 --explain
      fininvest screen CASE_DIR --explain --format csv > explanations.csv
    """
    import polars as pl

    from fininvest.casefile.explain import explained, long_form, with_names
    from fininvest.casefile.names import load_names
    from fininvest.casefile.state import table_state
    from fininvest.cli.output import stages
    from fininvest.screening.run import summary
    from fininvest.warmup import COMPILE_NOTE, kernels_cached
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    if not kernels_cached():
        stderr.print(f"{COMPILE_NOTE} (or run fininvest warmup)", markup=False)
    with stages(5) as say:
        res = screen_on(ws, progress=say, **engine)
    names = load_names(ws)
    res.explanations = names.name_all_sentences(res.explanations)
    doc = names.annotate(summary(res, top))
    ws.audit(
        "screen",
        {"top": top, **audit_options(engine)},
        inputs=table_state(ws),
        counts={
            "events": res.events,
            "suspects": doc["suspects"],
            "possible_victims": doc["possible_victims"],
            "seconds": round(sum(doc["seconds"].values()), 3),
        },
    )
    if fmt == "json":
        emit(fmt, doc, lambda c: render_screen(doc, c))
        return
    if fmt == "csv":
        alerts = with_names(res.alerts, names)
        if explain:
            sys.stdout.write(write_csv(long_form(alerts, res.explanations)) or "")
            return
        sys.stdout.write(
            write_csv(
                alerts.with_columns(
                    pl.col("indicators").list.join("|"), pl.col("families").list.join("|")
                )
            )
            or ""
        )
        return
    render_screen(doc, stdout)
    if explain:
        shown = [a["entity_id"] for a in doc["alerts"]]
        for a in explained(ws, res.alerts, res.explanations, names, shown, evidence_limit=5):
            render_alert(names.annotate(a), stdout, limit=5)


def render_screen(doc: dict, c: Console) -> None:  # type: ignore[type-arg]
    from fininvest.casefile.names import label

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
            label(a["holder_id"], a.get("holder_name")),
            f"{a['score']:.2f}",
            ", ".join(a["families"]),
            ", ".join(a["indicators"]),
        )
    c.print(keep_ids_whole(t, "account", "holder"))
    victims = doc["possible_victim_accounts"]
    if victims:
        v = Table(
            "account",
            "holder",
            "indicators",
            title=f"{doc['possible_victims']} possible victim account(s), listed apart "
            "(not ranked among suspects)",
        )
        for a in victims:
            v.add_row(
                a["entity_id"],
                label(a["holder_id"], a.get("holder_name")),
                ", ".join(a["indicators"]),
            )
        c.print(keep_ids_whole(v, "account", "holder"))
    else:
        c.print("No possible victim account.")
    if infra := doc.get("infrastructure_accounts"):
        c.print(
            f"{len(infra)} account(s) treated as infrastructure, their fan-in, fan-out and "
            "scatter/gather findings set aside (why: fininvest explain CASE_DIR ACCOUNT; "
            "results/infrastructure.parquet)",
            markup=False,
        )
    not_run = {k: v for k, v in doc["indicator_status"].items() if not v.startswith("evaluated")}
    c.print(
        f"{len(doc['indicator_status']) - len(not_run)} indicators evaluated; {len(not_run)} not:",
        markup=False,
    )
    by_reason: dict[str, list[str]] = {}
    for ind, why in sorted(not_run.items()):
        by_reason.setdefault(why.removeprefix("not evaluated: "), []).append(ind)
    for why, inds in sorted(by_reason.items(), key=lambda it: -len(it[1])):
        # the reasons quote fininvest.toml sections such as [thresholds.XX]: no markup
        c.print(f"  • {why}: {', '.join(inds)}", markup=False)
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
            f". This included compiling {plural(doc['kernels_compiled'], 'numba kernel')}, "
            "once per installation: later screens load them from the cache"
        )
    return line + "."
