"""``fininvest show`` (an entity card) and ``fininvest search`` (find an id)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.names import label, name_key
from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.tables import keep_ids_whole, plain


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("entity")
@FORMAT_OPTION
def show(case_dir: Path, entity: str, fmt: str) -> None:
    """Everything the case holds on ENTITY (a person, company or account), as a card.

    Its properties with their provenance (file, line, SHA-256), the accounts it holds or
    opened for others, identifiers, alerts of the last screen, chains and roles, assets, and
    intelligence with its grading. Reads the workspace tables; no graph needed.

    \b
    Example:
      fininvest show CASE_DIR P-0008888
      fininvest show CASE_DIR NL73INGB0000008891 --format json
    """
    from fininvest.casefile.lookup import card
    from fininvest.casefile.names import load_names
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    doc = load_names(ws).annotate(card(ws, entity))
    ws.audit("show", {"entity": entity}, counts={"alerts": len(doc["alerts"])})
    emit(fmt, doc, lambda c: render_card(doc, c))


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("text")
@click.option("--limit", default=50, show_default=True, help="At most this many matches.")
@FORMAT_OPTION
def search(case_dir: Path, text: str, limit: int, fmt: str) -> None:
    """Find persons, companies and accounts by name, account number or identifier.

    Names match without regard to accents or case (every word of TEXT, in any order);
    account numbers and IBANs in any spacing; phones in any format (the end of the number);
    e-mails, addresses and devices by their text.

    \b
    Example:
      fininvest search CASE_DIR "georgi georgiev"
      fininvest search CASE_DIR "NL73 INGB 0000 0088 91"
      fininvest search CASE_DIR "06 7039 9910"
    """
    from fininvest.casefile.lookup import search as run_search
    from fininvest.workspace import open_workspace

    ws = open_workspace(case_dir)
    found = run_search(ws, text, limit)
    ws.audit("search", {"text": text}, counts={"matches": len(found)})
    emit(fmt, {"query": text, "matches": found}, lambda c: render_matches(text, found, c, case_dir))


def render_matches(
    text: str, found: list[dict[str, Any]], c: Console, case_dir: Path | str = "CASE_DIR"
) -> None:
    if not found:
        c.print(f"Nothing in this case matches {text!r}.", markup=False)
        return
    t = Table("id", "kind", "name", "matched", "value", title=f"{len(found)} match(es)")
    for m in found:
        t.add_row(m["id"], m["kind"], m["name"] or "", m["matched"], str(m["value"]))
    c.print(keep_ids_whole(t, "id"))
    plain(c, f"Next: fininvest show {case_dir} ID")


def render_card(doc: dict[str, Any], c: Console) -> None:
    """The card of :func:`fininvest.casefile.lookup.card` for people."""
    title = f"{doc['id']}" + (f" — {doc['name']}" if doc["name"] else "") + f" ({doc['kind']})"
    c.print(title, style="bold", markup=False)
    if doc["holder_id"]:
        c.print(f"held by {doc['holder_id']}" + (f" ({doc['name']})" if doc["name"] else ""),
                markup=False)  # fmt: skip
    props = Table("property", "value", box=None, show_header=False)
    named = doc.get("properties_names", {})
    for k, v in doc["properties"].items():
        props.add_row(k, label(v, named.get(v)) if isinstance(v, str) else str(v))
    c.print(props)
    for p in doc["provenance"]:
        where = f"{p['source_file']} line {p['source_line']} (record {p['record_no']}"
        plain(c, f"  source: {where}, sha256 {str(p['source_sha256'])[:12]}…)", "dim")
    sections = (
        ("Accounts", "accounts", ("account_id", "relation", "holder_id", "institution",
         "country", "opened"), ("account_id", "holder_id")),
        ("Identifiers", "identifiers", ("kind", "value", "owner_id", "valid_from", "valid_to",
         "source_file", "source_line"), ("owner_id",)),
        ("Alerts (last screen)", "alerts", ("rank", "entity_id", "classification", "score",
         "indicators"), ("entity_id",)),
        ("Chains", "chains", ("id", "roles", "jurisdictions"), ("id",)),
        ("Assets", "assets", ("asset_id", "kind", "description", "value", "currency",
         "jurisdiction"), ("asset_id",)),
        ("Intelligence", "intelligence", ("link_id", "relation", "other_id", "place", "date_from",
         "grading", "handling_code"), ("link_id", "other_id")),
    )  # fmt: skip
    for title, key, cols, ids in sections:
        _section(c, title, doc[key], cols, ids)


def _section(
    c: Console, title: str, rows: list[dict[str, Any]], cols: tuple[str, ...], ids: tuple[str, ...]
) -> None:
    if not rows:
        c.print(f"{title}: none", markup=False, style="dim")
        return
    t = Table(*cols, title=title, title_justify="left")
    for r in rows:
        t.add_row(*(label(r[k], r.get(name_key(k))) if k in ids and r.get(k) else _cell(r.get(k))
                    for k in cols))  # fmt: skip
    c.print(keep_ids_whole(t, *ids))


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)
