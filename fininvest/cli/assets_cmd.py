"""``fininvest assets``: the asset-recovery register (list, show, update, report, verify)."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fininvest.casefile.explain import money
from fininvest.casefile.names import load_names
from fininvest.cli.graph_options import graph_options
from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.tables import csv_format_option
from fininvest.workspace import Workspace, open_workspace


def _open(ctx: click.Context) -> tuple[Workspace, Any]:
    from fininvest.assets.register import Register

    ws = open_workspace(ctx.obj["case_dir"])
    reg = Register(ws)
    synced = reg.sync()
    if synced.appended or synced.refused:
        click.echo(
            f"register: {synced.appended} ingested event(s) appended, {len(synced.refused)} "
            "refused (quarantine/asset-register.parquet)",
            err=True,
        )
    return ws, reg


def _chains_of(ws: Workspace) -> dict[str, list[str]]:
    """party id → ids of the chains it is a member of (empty without results/chains.json)."""
    from fininvest.assets.proceeds import chain_members

    if not ws.path("results", "chains.json").exists():
        return {}
    out: dict[str, list[str]] = {}
    for ch in ws.chains():
        for m in chain_members(ch):
            out.setdefault(m, []).append(str(ch.get("id")))
    return out


def _date(_ctx: click.Context, _p: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}': write a date as YYYY-MM-DD") from None


@click.group()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.pass_context
def assets(ctx: click.Context, case_dir: Path) -> None:
    """The asset-recovery register: each asset's history from identification to
    confiscation, sale and victim compensation, and the statistics the law asks for.

    Every change is an appended, hash-chained event; ingested asset_events are brought in
    first, through the same checks (refused ones go to quarantine/asset-register.parquet).
    The lifecycle is in docs/assets-lifecycle.md; the workflow in docs/assets.md.

    \b
    Examples:
      fininvest assets CASE_DIR list --jurisdiction NL
      fininvest assets CASE_DIR show AS-SE-01-000
      fininvest assets CASE_DIR update AS-SE-01-000 --to confiscated --date 2026-03-02 \\
          --decision "RB Amsterdam 13/123" --authority "Rechtbank Amsterdam"
      fininvest assets CASE_DIR report --year 2026 --format csv > return-2026.csv
      fininvest assets CASE_DIR verify
    """
    ctx.obj = {"case_dir": case_dir}


@assets.command("list")
@click.option("--jurisdiction", help="Only assets in this country (ISO alpha-2).")
@click.option("--status", help="Only assets whose current status is this.")
@click.option("--chain", "chain_id", help="Only assets owned by members of this chain.")
@FORMAT_OPTION
@click.pass_context
def list_cmd(
    ctx: click.Context, jurisdiction: str | None, status: str | None, chain_id: str | None, fmt: str
) -> None:
    """List assets with their owner, current status, since when and values.

    Example: fininvest assets CASE_DIR list --status frozen --format json
    """
    ws, reg = _open(ctx)
    names, chains = load_names(ws), _chains_of(ws)
    rows = []
    for aid, st in sorted(reg.states().items()):
        a = reg.assets.get(aid)
        if a is None or st.seq == 0:
            continue
        if jurisdiction and a.jurisdiction != jurisdiction.upper():
            continue
        if status and st.status != status:
            continue
        if chain_id and chain_id not in chains.get(a.owner_id, []):
            continue
        rows.append(
            {
                "asset_id": aid,
                "kind": a.kind,
                "description": a.description,
                "owner_id": a.owner_id,
                "owner_name": names.name(a.owner_id),
                "chains": chains.get(a.owner_id, []),
                "jurisdiction": a.jurisdiction,
                "status": st.status,
                "since": st.since.isoformat() if st.since else None,
                "value": a.value,
                "currency": a.currency,
                "value_base": a.value_base,
                "realised": st.realised,
                "to_victims": st.to_victims,
                "events": st.seq,
            }
        )
    ws.audit(
        "assets list",
        {"jurisdiction": jurisdiction, "status": status, "chain": chain_id},
        counts={"assets": len(rows)},
    )

    def render(c: Console) -> None:
        t = Table("asset", "kind", "owner", "where", "status", "since", "value", "realised",
                  "to victims", title=f"{len(rows)} assets ({reg.fx.base})",
                  title_justify="left")  # fmt: skip
        for r in rows:
            owner = f"{r['owner_name']} ({r['owner_id']})" if r["owner_name"] else r["owner_id"]
            t.add_row(r["asset_id"], r["kind"], owner, r["jurisdiction"], r["status"],
                      r["since"], str(r["value_base"] or "?"), str(r["realised"]),
                      str(r["to_victims"]))  # fmt: skip
        c.print(t)

    emit(fmt, rows, render)


@assets.command()
@click.argument("asset_id")
@FORMAT_OPTION
@click.pass_context
def show(ctx: click.Context, asset_id: str, fmt: str) -> None:
    """One asset's history: every event with its decision, authority, states and amounts,
    the owner, the chains the owner belongs to, and the events allowed next.

    Example: fininvest assets CASE_DIR show AS-SE-01-000
    """
    from fininvest.assets.allocation import art30_split

    ws, reg = _open(ctx)
    st = reg.state(asset_id)
    a = reg.assets.get(asset_id)
    names, chains = load_names(ws), _chains_of(ws)
    owner = a.owner_id if a else None
    doc = {
        "asset_id": asset_id,
        "kind": a.kind if a else None,
        "description": a.description if a else None,
        "owner_id": owner,
        "owner_name": names.name(owner),
        "chains": chains.get(owner or "", []),
        "jurisdiction": a.jurisdiction if a else None,
        "value": a.value if a else None,
        "currency": a.currency if a else None,
        "value_base": a.value_base if a else None,
        "status": st.status,
        "since": st.since.isoformat() if st.since else None,
        "realised": st.realised,
        "to_victims": st.to_victims,
        "shared": st.shared,
        "remaining": st.remaining,
        "allowed_next": list(reg.lc.allowed_after(st.status)),
        "art30_split": art30_split(reg.lc, st, reg.fx.base),
        "events": st.events,
    }
    ws.audit("assets show", {"asset_id": asset_id}, counts={"events": st.seq})

    def render(c: Console) -> None:
        who = f"{doc['owner_name']} ({owner})" if doc["owner_name"] else owner
        c.print(
            Text.assemble(
                (asset_id, "bold"),
                f" {doc['kind']} — {doc['description']} · owner {who} · "
                f"{doc['jurisdiction']} · chains: {', '.join(doc['chains']) or '—'}",
            ),
            highlight=False,
        )
        c.print(
            f"value {money(doc['value'], doc['currency'])} = "
            f"{money(doc['value_base'], reg.fx.base)} · realised {money(st.realised, reg.fx.base)}"
            f" · to victims {money(st.to_victims, reg.fx.base)} · shared "
            f"{money(st.shared, reg.fx.base)}",
            highlight=False,
        )
        t = Table("#", "date", "status", "decision", "authority", "issuing→executing",
                  "amount", f"{reg.fx.base}", "source", title_justify="left")  # fmt: skip
        for ev in st.events:
            amt = f"{ev['amount']} {ev['currency']}" if ev.get("amount") else ""
            route = f"{ev.get('issuing_state') or '?'}→{ev.get('executing_state') or '?'}"
            t.add_row(str(ev["seq"]), ev["date"], ev["status"], ev.get("decision_ref") or "",
                      ev.get("authority") or "", route, amt, ev.get("amount_base") or "",
                      ev.get("source") or "")  # fmt: skip
        c.print(t)
        c.print(f"allowed next: {', '.join(doc['allowed_next']) or 'none (final)'}")
        split = doc["art30_split"]
        if split:
            c.print(
                f"Reg. 2018/1805 art. 30(7): after victims {split['after_victims']}; due to "
                f"{split['issuing_state']} {split['due_to_issuing_state']}; shared "
                f"{split['shared']}; outstanding {split['outstanding']} (unless agreed otherwise)",
                highlight=False,
            )

    emit(fmt, doc, render)


@assets.command()
@click.argument("asset_id")
@click.option(
    "--to", "status", required=True, help="The new status (see docs/assets-lifecycle.md)."
)
@click.option("--date", "on", required=True, callback=_date, help="Date of the decision.")
@click.option("--decision", "decision_ref", help="Reference of the decision.")
@click.option("--authority", help="The deciding authority.")
@click.option("--amount", help="Amount concerned (sale proceeds, paid, shared).")
@click.option("--currency", help="Currency of --amount (default: the base currency).")
@click.option("--issuing", "issuing_state", help="Issuing state (default: asset's country).")
@click.option("--executing", "executing_state", help="Executing state (default: issuing).")
@click.option("--note", help="Free remark (buyer, valuation basis, follow-up).")
@FORMAT_OPTION
@click.pass_context
def update(
    ctx: click.Context,
    asset_id: str,
    status: str,
    on: date,
    decision_ref: str | None,
    authority: str | None,
    amount: str | None,
    currency: str | None,
    issuing_state: str | None,
    executing_state: str | None,
    note: str | None,
    fmt: str,
) -> None:
    """Record a decision on an asset: one appended, hash-chained event.

    Refused (exit 3) when the lifecycle does not allow it after the current status (the
    allowed ones are named), when a required field is missing, when it is dated before the
    previous event, or when it pays out more than the realised value left.

    \b
    Example:
      fininvest assets CASE_DIR update AS-SE-01-000 --to sold --date 2026-05-04 \\
          --decision "DSPN-2026-114" --authority "Domeinen Roerende Zaken" \\
          --amount 41200 --currency EUR
    """
    ws, reg = _open(ctx)
    ev = reg.update(
        asset_id,
        status,
        on,
        decision_ref=decision_ref,
        authority=authority,
        amount=amount,
        currency=currency,
        issuing_state=issuing_state,
        executing_state=executing_state,
        note=note,
    )
    ws.audit(
        "assets update",
        {"asset_id": asset_id, "to": status, "date": on.isoformat(), "decision": decision_ref},
        counts={"seq": ev["seq"], "hash": ev["hash"]},
    )
    emit(
        fmt,
        ev,
        lambda c: c.print(
            f"{asset_id}: event {ev['seq']} '{status}' on {ev['date']} recorded "
            f"(hash {ev['hash'][:16]}…)",
            highlight=False,
        ),
    )


@assets.command()
@click.option("--year", type=int, help="Yearly statistics of this year only.")
@click.option(
    "--as-of", "as_of", callback=_date, help="Date for time in stage (default: today, UTC)."
)
@click.option(
    "--stuck-days",
    default=365,
    show_default=True,
    type=click.IntRange(1),
    help="An asset in the same (not final) status longer than this is stuck.",
)
@click.option(
    "--proceeds",
    is_flag=True,
    help="Add proceeds against assets per chain (needs the graph and results/chains.json).",
)
@graph_options
@csv_format_option(
    "table: readable; json: the whole report; csv: the yearly statistics (for a return)."
)
@click.pass_context
def report(
    ctx: click.Context,
    year: int | None,
    as_of: date | None,
    stuck_days: int,
    proceeds: bool,
    uri: str | None,
    user: str | None,
    password: str | None,
    fmt: str,
) -> None:
    """Totals per jurisdiction and status, the funnel identified → frozen → confiscated →
    realised → paid to victims, time in stage, stuck assets and the yearly statistics in the
    form of Directive (EU) 2024/1260 art. 28 — all computed from the events.

    \b
    Example:
      fininvest assets CASE_DIR report --year 2026 --format csv > return-2026.csv
      fininvest assets CASE_DIR report --proceeds      # recovery gap per chain
    """
    from fininvest.assets.statistics import YEARLY_COLUMNS, book_of
    from fininvest.assets.statistics import report as make_report

    ws, reg = _open(ctx)
    book = book_of(reg)
    when = as_of or datetime.now(UTC).date()
    doc = make_report(book, when, stuck_days, year)
    if proceeds:
        from fininvest.assets.proceeds import proceeds_against_assets
        from fininvest.graph.store import open_store

        store = open_store(ws, uri=uri, user=user, password=password)
        doc["proceeds_against_assets"] = proceeds_against_assets(book, store, ws.chains())
    ws.audit(
        "assets report",
        {"year": year, "as_of": when.isoformat(), "stuck_days": stuck_days, "format": fmt},
        counts={"assets": doc["assets"], "yearly_rows": len(doc["yearly"])},
    )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(YEARLY_COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(doc["yearly"])
        sys.stdout.write(buf.getvalue())
        return
    emit(fmt, doc, lambda c: render_report(doc, c))


def render_report(doc: dict[str, Any], c: Console) -> None:
    """The report as tables."""
    cur = doc["base_currency"]
    t = Table("jurisdiction", "status", "assets", f"value {cur}", title="Assets by jurisdiction "
              "and status", title_justify="left")  # fmt: skip
    for r in doc["by_jurisdiction_status"]:
        t.add_row(r["jurisdiction"], r["status"], str(r["assets"]), str(r["value"]))
    c.print(t)
    f = doc["funnel"]
    t = Table("stage", "assets", f"value {cur}", title="Funnel", title_justify="left")
    for s in f["stages"]:
        t.add_row(s["stage"], str(s["assets"]), str(s["value"]))
    c.print(t)
    share = "—" if f["victims_share"] is None else f"{f['victims_share']:.1%}"
    c.print(
        f"realised {money(f['realised'], cur)} · compensation from it "
        f"{money(f['compensation_from_realised'], cur)} ({share}) · restitution in kind "
        f"{money(f['restitution_in_kind'], cur)} · shared {money(f['shared'], cur)}",
        highlight=False,
    )
    t = Table("status", "stays", "median days", "longest days", "longest", title="Time in "
              f"stage (as of {doc['as_of']})", title_justify="left")  # fmt: skip
    for r in doc["time_in_stage"]:
        t.add_row(r["status"], str(r["stays"]), str(r["median_days"]), str(r["longest_days"]),
                  r["longest_asset"])  # fmt: skip
    c.print(t)
    c.print(f"stuck over {doc['stuck_days']} days: "
            + (", ".join(f"{s['asset_id']} ({s['status']}, {s['days']} d)" for s in doc["stuck"])
               or "none"), highlight=False)  # fmt: skip
    t = Table("year", "state", "freeze iss/exe", "confisc. iss/exe", "final iss/exe",
              "cross-border", "frozen", "confiscated", "interim sales", "recovered",
              "to victims", "shared",
              "under mgmt", title=f"Yearly statistics ({cur})", title_justify="left")  # fmt: skip
    for r in doc["yearly"]:
        t.add_row(
            str(r["year"]), r["state"],
            f"{r['freezing_orders_issued']}/{r['freezing_orders_executed']}",
            f"{r['confiscation_orders_issued']}/{r['confiscation_orders_executed']}",
            f"{r['final_confiscations_issued']}/{r['final_confiscations_executed']}",
            str(r["cross_border_orders_issued"]), str(r["value_frozen"]),
            str(r["value_confiscated"]), str(r["value_interim_sales"]),
            str(r["value_recovered"]), str(r["value_to_victims"]),
            str(r["value_shared"]),
            f"{r['assets_under_management']} ({r['value_under_management']})",
        )  # fmt: skip
    c.print(t)
    if "proceeds_against_assets" in doc:
        t = Table("chain", "traced to members", "frozen", "confiscated", "recovery gap",
                  "coverage", title="Proceeds against assets", title_justify="left")  # fmt: skip
        for r in doc["proceeds_against_assets"]:
            cov = "—" if r["coverage"] is None else f"{r['coverage']:.0%}"
            t.add_row(str(r["chain_id"]), str(r["traced_to_members"]), str(r["frozen_value"]),
                      str(r["confiscated_value"]), str(r["recovery_gap"]), cov)  # fmt: skip
        c.print(t)


@assets.command()
@FORMAT_OPTION
@click.pass_context
def verify(ctx: click.Context, fmt: str) -> None:
    """Recompute every asset's hash chain; name each event altered, removed or unreadable.

    Exit 0 when intact, 3 when not. Example: fininvest assets CASE_DIR verify
    """
    from fininvest.assets.register import Register, RegisterNotIntact

    ws = open_workspace(ctx.obj["case_dir"])
    reg = Register(ws)
    problems = reg.verify()
    n = len(reg.events())
    ws.audit("assets verify", {}, counts={"events": n, "problems": len(problems)},
             status="ok" if not problems else "failed")  # fmt: skip
    doc = {"events": n, "intact": not problems, "problems": problems}
    if problems and fmt != "json":
        for p in problems:
            where = f"{p.get('asset_id', '?')} event {p.get('event_id') or p.get('seq', '?')}"
            line = f" (journal line {p['line']})" if p.get("line") else ""
            click.echo(f"{where}{line}: {p['problem']}", err=True)
    if problems and fmt == "json":
        emit(fmt, doc, lambda c: None)
        ctx.exit(RegisterNotIntact.exit_code)
    if problems:
        raise RegisterNotIntact(f"the register is not intact: {len(problems)} problem(s)")
    emit(fmt, doc, lambda c: c.print(f"register intact: {n} events, every hash chain verifies"))
