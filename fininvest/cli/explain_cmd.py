"""``fininvest explain``: why an account or a person is flagged, in words, with the evidence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.names import label
from fininvest.cli.output import emit, write_csv
from fininvest.cli.tables import csv_format_option, keep_ids_whole

#: explanations of one indicator on one account shown in full before the rest are counted
REPEATS_SHOWN = 3


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("entity")
@click.option(
    "--evidence",
    "evidence_limit",
    default=20,
    show_default=True,
    help="Evidence transactions shown per explanation (all ids stay in json and csv).",
)
@click.option("--all", "show_all", is_flag=True, help="Show every repeat of an indicator.")
@csv_format_option(
    "table for people; json (one document) or csv (one row per explanation) for tools."
)
def explain(case_dir: Path, entity: str, evidence_limit: int, show_all: bool, fmt: str) -> None:
    """Why ENTITY (an account, a merchant, or a person: their accounts) is flagged.

    Every explanation of the last screen in words: the indicator, what was observed against
    its threshold, the window, the evidence transactions (time, amount and currency, payer,
    payee, channel, city) and the public source. Possible victims are explained too.

    \b
    Example:
      fininvest explain CASE_DIR NL73INGB0000008891
      fininvest explain CASE_DIR P-0008888 --format csv > why.csv
    """
    from fininvest.casefile.explain import explain as run_explain
    from fininvest.casefile.explain import long_form, read_results, with_names
    from fininvest.casefile.names import load_names
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    names = load_names(ws)
    doc = names.annotate(run_explain(ws, entity, evidence_limit=evidence_limit, names=names))
    ws.audit("explain", {"entity": entity}, counts={"alerts": len(doc["alerts"])})
    if fmt == "csv":
        import polars as pl

        alerts, expl = read_results(ws)
        ids = [a["entity_id"] for a in doc["alerts"]]
        chosen = with_names(alerts.filter(pl.col("entity_id").is_in(ids)), names)
        sys.stdout.write(write_csv(long_form(chosen, names.name_all_sentences(expl))) or "")
        return
    emit(fmt, doc, lambda c: render_explain(doc, c, show_all=show_all, limit=evidence_limit))


def render_explain(
    doc: dict[str, Any], c: Console, *, show_all: bool = False, limit: int = 20
) -> None:
    """The explanations of :func:`fininvest.casefile.explain.explain` for people."""
    who = doc["query"] + (f" ({doc['name']})" if doc.get("name") else "")
    if not doc["alerts"]:
        c.print(f"{who}: no alert in the last screen.", markup=False)
        return
    for a in doc["alerts"]:
        render_alert(a, c, show_all=show_all, limit=limit)


def render_alert(a: dict[str, Any], c: Console, *, show_all: bool = False, limit: int = 20) -> None:
    """One alert: its header line, then each explanation and its evidence."""
    holder = a.get("holder_id")
    held = f" held by {holder}" + (f" ({a['holder_name']})" if a.get("holder_name") else "")
    kind = {"possible_victim": "possible victim"}.get(a["classification"], a["classification"])
    c.print(
        f"\n{a['entity_id']}{held if holder else ''} · {kind} #{a['rank']} · "
        f"score {a['score']:.2f} · families: {', '.join(a['families'])}",
        markup=False,
        style="bold",
    )
    if a.get("infrastructure"):  # structure findings set aside (docs/detection.md)
        c.print(f"treated as infrastructure: {a['infrastructure']}", markup=False)
    for e in a["explanations"]:
        c.print(
            f"• {e['indicator']} ({e['family']}, weight {e['weight']:g}): {e['detail']}",
            markup=False,
        )
        findings = e.get("details") or []  # one explanation per indicator: its repeats
        if len(findings) > 1:
            shown_findings = findings if show_all else findings[:REPEATS_SHOWN]
            for sentence in shown_findings:
                c.print(f"  – {sentence}", markup=False)
            if len(findings) > len(shown_findings):
                c.print(
                    f"  … and {len(findings) - len(shown_findings)} more {e['indicator']} "
                    "finding(s) like these (--all shows them)",
                    markup=False,
                )
        more = (
            f", {e['evidence_total']:,} in all" if e["evidence_total"] > len(e["evidence"]) else ""
        )
        c.print(
            f"  observed {e['observed']:g} against threshold {e['threshold']:g} · "
            f"window {e['window']} · evidence {len(e['evidence']):,}{more} · "
            f"source: {e['citation']}",
            markup=False,
            style="dim",
        )
        if e["transactions"]:
            c.print(evidence_table(e["transactions"]))
        shown = e["evidence"][:limit]
        txn_ids = {t["txn_id"] for t in e["transactions"]}
        others = [x for x in shown if x not in txn_ids]  # accounts, parties, intelligence
        if others:
            named = e.get("evidence_names", {})
            c.print("  evidence: " + ", ".join(label(x, named.get(x)) for x in others),
                    markup=False)  # fmt: skip
        if e["evidence_total"] > len(shown):
            c.print(
                f"  … and {e['evidence_total'] - len(shown):,} more evidence item(s) "
                "(--evidence N shows more; --format csv lists every id)",
                markup=False,
                style="dim",
            )


def evidence_table(txns: list[dict[str, Any]]) -> Table:
    """Evidence transactions: time, amount with currency, payer, payee, channel, city, id."""
    from fininvest.casefile.explain import money

    t = Table("time", "amount", "payer", "payee", "channel", "city", "transaction", box=None)
    t.columns[1].justify = "right"
    for x in txns:
        t.add_row(
            x["time"],
            money(x["amount"], x["currency"]),
            label(x["payer"], x["payer_name"]),
            label(x["payee"], x["payee_name"]),
            x["channel"] or "",
            x["city"] or "",
            x["txn_id"],
        )
    return keep_ids_whole(t, "payer", "payee", "transaction")
