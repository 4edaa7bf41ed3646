"""``fininvest share``: a pack for a JIT partner, limited to what the agreement allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.names import label
from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.output import printable as escape
from fininvest.cli.tables import keep_ids_whole
from fininvest.jit.agreement import load_agreement
from fininvest.workspace import open_workspace


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--jit", "jit_id", required=True, help="The JIT agreement id.")
@click.option("--partner", required=True, help="The receiving partner country (ISO alpha-2).")
@click.option(
    "--chain",
    "chain_ids",
    multiple=True,
    help="Share these chains (CH-…; repeat). Default: every chain that crosses the partner.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Where to write the package.")
@click.option("--preview", is_flag=True, help="Show what would be shared; write nothing.")
@FORMAT_OPTION
def share(
    case_dir: Path,
    jit_id: str,
    partner: str,
    chain_ids: tuple[str, ...],
    out: Path | None,
    preview: bool,
    fmt: str,
) -> None:
    """Prepare a share for a JIT partner: records in scope, others pseudonymised or withheld.

    \b
    Example:
      fininvest share CASE_DIR --jit JIT-2026-RO-DE --partner DE --preview
      fininvest share CASE_DIR --jit JIT-2026-RO-DE --partner DE --out share-DE/

    The scope is the entities and records linked to the partner's jurisdiction and the
    chains (results/chains.json) that cross it. Persons, accounts and identifiers outside it
    get per-JIT, per-partner keyed pseudonyms (HMAC-SHA-256; the key and the table to
    re-identify stay in CASE_DIR/secrets/jit/). Records whose handling code forbids
    dissemination, or whose grading is below the agreement's threshold, are withheld and
    counted by reason. Counts below 5 are shown as <5. A partner not in the agreement or a
    day outside its period is refused (exit 3).
    """
    from fininvest.casefile.names import load_names
    from fininvest.jit.prepare import prepare_share

    ws = open_workspace(case_dir)
    if not preview and out is None:
        load_agreement(ws, jit_id)  # an unknown agreement is named before the usage error
        raise click.UsageError("give --out PATH for the package (or --preview)")
    result = prepare_share(ws, jit_id, partner, chain_ids, None if preview else out)
    result = load_names(ws).annotate(result)  # our own names, shown only to us
    if preview:
        emit(fmt, result, lambda c: render_preview(result, c))
        return
    written = result["package"]
    emit(fmt, result, lambda c: render_written(written, c))


def render_preview(s: dict[str, Any], c: Console) -> None:
    c.print(f"share {s['jit']} → {s['partner']} (preview, nothing written)", highlight=False)
    c.print("chains: " + (", ".join(s["chains"]) or "none crossing the partner"), highlight=False)
    t = Table("records", "shared")
    for table, n in s["shared"].items():
        t.add_row(table, str(n))
    c.print(t)
    if s["pseudonymised"]:
        shown = s["pseudonymised"][:20]
        t = Table("out of scope", "kind", "pseudonym", title="pseudonymised")
        for p in shown:
            t.add_row(escape(label(p["id"], p.get("name"))), p["kind"], p["pseudonym"])
        c.print(keep_ids_whole(t, "out of scope", "pseudonym"))
        if len(s["pseudonymised"]) > len(shown):
            c.print(f"… and {len(s['pseudonymised']) - len(shown)} more (--format json lists all)")
    if s["withheld"]:
        t = Table("reason", "records", title="withheld")
        for reason, n in s["withheld_by_reason"].items():
            t.add_row(escape(reason), str(n))
        c.print(t)
    c.print("the package shows counts below 5 as <5", highlight=False)


def render_written(written: dict[str, Any], c: Console) -> None:
    c.print(f"wrote the share to {written.get('path')}", highlight=False)
