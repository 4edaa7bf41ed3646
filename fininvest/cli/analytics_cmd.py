"""``fininvest chains`` and ``fininvest trace``: analytics over the case graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.cashout import cash_out
from fininvest.casefile.names import Names, label, load_names
from fininvest.cli.graph_notice import ServerNotice
from fininvest.cli.graph_options import graph_options
from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.tables import keep_ids_whole, plain, plural
from fininvest.graph.store import open_store
from fininvest.workspace import open_workspace


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--min-jurisdictions",
    default=2,
    show_default=True,
    type=click.IntRange(1, 50),
    help="Keep chains whose acts took place in at least this many countries (places of the "
    "acts, not the countries holding the records).",
)
@graph_options
@FORMAT_OPTION
def chains(
    case_dir: Path,
    min_jurisdictions: int,
    uri: str | None,
    user: str | None,
    password: str | None,
    fmt: str,
) -> None:
    """Reconstruct chains of trafficking: recruiter → transporter → exploiter → controller.

    Built from intelligence links (graded) and from money and KYC records: accounts opened for
    victims by a third person, victims' earnings swept to a controller, the exploiter's
    proceeds paid to a controller, transport and recruitment paid for by the controller, cash
    paid in by the exploiter. A chain holds the roles that are there (a ring without a
    transporter, intelligence on some acts only); several recruiters feeding one controller
    give linked chains. Each link names the records that support it, where the act took place
    (the record's place, the journey, the accounts) and, apart, which countries hold the
    records; each chain says which roles come from the money only and what is missing. Needs
    `fininvest graph load` first; writes results/chains.json (chain ids are stable).

    Example: fininvest chains CASE_DIR --min-jurisdictions 2 --format json
    """
    from fininvest.graph.chains import chains_of_trafficking

    ws = open_workspace(case_dir)
    notice = ServerNotice(ws, uri)
    found = chains_of_trafficking(
        open_store(ws, uri=uri, user=user, password=password), min_jurisdictions
    )
    ws.path("results").mkdir(exist_ok=True)
    ws.path("results", "chains.json").write_text(json.dumps(found, indent=2), "utf-8")
    ws.audit("chains", {"min_jurisdictions": min_jurisdictions}, counts={"chains": len(found)})

    notice.say()
    loads = [e for e in ws.audit_entries() if e["command"] == "graph load"]
    loaded = loads[-1]["time"] if loads and not uri else None
    names = load_names(ws)
    emit(
        fmt,
        names.annotate(found),
        lambda c: render_chains(
            found, c, ws.path("results", "chains.json"), loaded, min_jurisdictions, names
        ),  # fmt: skip
    )


def render_chains(
    found: list[dict[str, Any]],
    c: Console,
    where: Path,
    loaded: str | None = None,
    min_jurisdictions: int = 2,
    names: Names | None = None,
) -> None:
    """One table per chain: who did what to whom, where, on what evidence."""
    if not found and loaded:
        plain(c, f"No chain of trafficking in the graph loaded at {loaded}: a chain needs "
                 "intelligence links, or third-party account openings and swept earnings, "
                 f"that join acts in at least {min_jurisdictions} countries "
                 "(--min-jurisdictions 1 keeps chains within one country).")  # fmt: skip
        return
    if not found:
        plain(c, "No chain of trafficking found; the graph may not be loaded yet: "
                 "fininvest graph load CASE_DIR")  # fmt: skip
        return
    names = names or Names()
    for ch in found:
        t = Table(
            "from", "act", "to", "where", "held by", "basis", "records",
            title=f"{ch['id']} · {' → '.join(ch['jurisdictions'])} · "
            f"{len(ch['victims'])} victims",
            title_justify="left",
        )  # fmt: skip
        for link in ch["links"]:
            kinds = sorted({r["kind"] for r in link["records"]})
            t.add_row(
                f"{names.label(link['from'])}, {link['from_role']}",
                link["act"],
                f"{names.label(link['to'])}, {link['to_role']}",
                link["jurisdiction"] or "?",
                ", ".join(link.get("held_by", [])) or "-",
                link["basis"],
                f"{len(link['records'])} ({', '.join(kinds)})",
            )
        c.print(keep_ids_whole(t, "from", "to"))
        notes = [f"missing {m['role']}" for m in ch.get("missing", [])]
        notes += [
            f"{role} from the money only"
            for role, r in ch.get("roles", {}).items()
            if r.get("money_only")
        ]
        notes += [f"linked to {', '.join(ch['linked'])}"] if ch.get("linked") else []
        if notes:
            plain(c, "  " + "; ".join(notes))
    c.print(f"{plural(len(found), 'chain')}; details in {where}")


def _duration_ms(text: str) -> int:
    units = {"d": 86_400_000, "h": 3_600_000, "m": 60_000}
    try:
        return int(float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise click.BadParameter(f"'{text}': write a number and d, h or m, e.g. 30d") from None


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    help="Where the money starts: an account id (IBAN or bank:number) or a person or company "
    "id (all its accounts). Repeat for several.",
)
@click.option("--max-hops", default=6, show_default=True, type=click.IntRange(1, 20))
@click.option(
    "--window",
    default="30d",
    show_default=True,
    help="Each hop must start within this time after the money arrived (d, h or m).",
)
@click.option(
    "--min-amount",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Drop traced shares below this amount (base currency).",
)
@click.option("--paths", "max_paths", default=20, show_default=True, help="Paths to list.")
@graph_options
@FORMAT_OPTION
def trace(
    case_dir: Path,
    sources: tuple[str, ...],
    max_hops: int,
    window: str,
    min_amount: float,
    max_paths: int,
    uri: str | None,
    user: str | None,
    password: str | None,
    fmt: str,
) -> None:
    """Follow the money forward from buyers', victims' or suspects' accounts.

    Time-respecting: every hop happens after the money arrived and within --window of it.
    Amount-aware: each arrival is shared among the flows that leave after it, in proportion to
    their totals, and never more than arrived or than a flow carried (traced out ≤ traced in at
    every account). Prints the largest paths with amounts and times and the accounts reached,
    with their holders and roles. Needs `fininvest graph load` first.
    """
    from datetime import UTC, datetime

    from fininvest.graph.trace import TraceParams, source_accounts, trace_money

    ws = open_workspace(case_dir)
    notice = ServerNotice(ws, uri)
    store = open_store(ws, uri=uri, user=user, password=password)
    named = source_accounts(store, list(sources))
    accounts = sorted({a for accs in named.values() for a in accs})
    params = TraceParams(
        max_hops=max_hops,
        window_ms=_duration_ms(window),
        min_amount=min_amount,
        max_paths=max_paths,
    )
    res = trace_money(store, accounts, params)
    top = [r["account"] for r in res["reached"][:200]]
    holders = {r["account"]: r for r in store.run("query/account_holders", {"ids": top})}
    for r in res["reached"]:
        r.update({k: v for k, v in holders.get(r["account"], {}).items() if k != "account"})
    res["from"] = named
    since = {a: 0 for a in accounts}  # a source's money from the start; reached: on arrival
    since.update({r["account"]: r["first_ms"] for r in res["reached"] if r["account"] not in since})
    notice.say()
    res["cash_out"] = cash_out(ws, since)
    res["base_currency"] = ws.base_currency
    names = load_names(ws)
    for r in res["reached"]:  # the graph may lack a holder or its name: the workspace knows
        r["holder"] = r.get("holder") or names.holder_of(r["account"])
        r["holder_name"] = r.get("holder_name") or names.name(r["holder"] or r["account"])
    res = names.annotate(res)
    ws.audit(
        "trace",
        {"from": list(sources), "max_hops": max_hops, "window": window},
        counts={"edges": len(res["edges"]), "reached": len(res["reached"])},
    )

    def when(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")

    cur = ws.base_currency

    def render(c: Console) -> None:
        plain(c, f"traced from {plural(len(accounts), 'account')} "
                 f"({', '.join(names.label(a) for a in accounts[:5])}"
                 f"{', …' if len(accounts) > 5 else ''}): {plural(len(res['edges']), 'flow')}, "
                 f"{plural(len(res['reached']), 'account')} reached")  # fmt: skip
        if res["paths"]:
            t = Table("amount", "path (account @ arrival date)", title="largest paths")
            for p in res["paths"]:
                hops = " → ".join(f"{names.label(h['to'])} @ {when(h['arrival_ms'])}"
                                  for h in p["hops"])  # fmt: skip
                t.add_row(
                    f"{p['amount']:,.2f} {cur}", f"{names.label(p['hops'][0]['from'])} → {hops}"
                )
            c.print(keep_ids_whole(t, "path (account @ arrival date)"))
        if res["reached"]:
            r = Table("account", "country", "holder", "role", "received", "first", "hops")
            for x in res["reached"][:20]:
                role = x.get("role") or (
                    f"{x['inferred_role']} (inferred)" if x.get("inferred_role") else ""
                )
                holder = label(x.get("holder"), x.get("holder_name"))
                got = f"{x['amount']:,.2f} {cur}"
                r.add_row(x["account"], x.get("country") or "", holder, role, got,
                          when(x["first_ms"]), str(x["hops"]))  # fmt: skip
            c.print(keep_ids_whole(r, "account", "holder"))
        if res["cash_out"]:
            k = Table("account", "left as", "count", "total", "first", "last",
                      title="money that left as cash or was spent by card")  # fmt: skip
            for x in res["cash_out"][:20]:
                total = f"{x['amount']:,.2f} {cur}"
                k.add_row(names.label(x["account"]), x["how"] or "", f"{x['count']:,}", total,
                          when(x["first_ms"]), when(x["last_ms"]))  # fmt: skip
            c.print(keep_ids_whole(k, "account"))
        elif not res["edges"]:
            plain(c, "No flow left these accounts within the window, and none as cash or card.")
        if res["truncated"]:
            c.print(
                f"frontier cut to the largest arrivals at hops {res['truncated']}", style="yellow"
            )

    emit(fmt, res, render)


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--min-payments",
    default=3,
    show_default=True,
    type=click.IntRange(1),
    help="Payments between two parties that make a money tie.",
)
@click.option(
    "--samples",
    default=32,
    show_default=True,
    type=click.IntRange(1),
    help="Sampled sources for the broker (betweenness) estimate.",
)
@graph_options
@FORMAT_OPTION
def network(
    case_dir: Path,
    min_payments: int,
    samples: int,
    uri: str | None,
    user: str | None,
    password: str | None,
    fmt: str,
) -> None:
    """Communities, brokers and inferred roles, written back to the graph.

    Ties: recurring money between parties, shared identifiers, intelligence links. Communities
    are Louvain (stable seed); the broker score is sampled betweenness centrality (0–1). Roles
    are inferred for persons that intelligence does not name, from the chains of trafficking
    and third-party account openings, with a confidence; a role from intelligence is never
    replaced. Needs `fininvest graph load` first.
    """
    from fininvest.graph.network import analyse_network

    ws = open_workspace(case_dir)
    notice = ServerNotice(ws, uri)
    res = analyse_network(
        ws,
        open_store(ws, uri=uri, user=user, password=password),
        min_payments=min_payments,
        k=samples,
    )
    notice.say()
    ws.audit(
        "network",
        {"min_payments": min_payments, "samples": samples},
        counts={"communities": res["communities"], "inferred_roles": len(res["inferred_roles"])},
    )

    names = load_names(ws)
    res = names.annotate(res)

    def render(c: Console) -> None:
        n = res["communities"]
        plain(c, f"{plural(res['persons'], 'person')}, {plural(res['ties'], 'tie')}, "
                 f"{n:,} {'community' if n == 1 else 'communities'}")  # fmt: skip
        m = Table("community", "size", "members", title="largest communities")
        for com in res["community_members"][:5]:
            shown = "\n".join(names.label(p) for p in com["members"][:8])
            more = com["size"] - min(len(com["members"]), 8)
            m.add_row(
                com["community"], f"{com['size']:,}", shown + (f"\n… +{more:,}" if more else "")
            )
        c.print(keep_ids_whole(m, "community"))
        t = Table("person", "role (inferred)", "confidence", "basis", title="inferred roles")
        for r in res["inferred_roles"]:
            if r["role"] != "victim":
                t.add_row(names.label(r["id"]), r["role"], f"{r['confidence']:.1f}", r["basis"])
        c.print(keep_ids_whole(t, "person"))
        victims = [r["id"] for r in res["inferred_roles"] if r["role"] == "victim"]
        named = f" ({', '.join(names.label(v) for v in victims)})" if victims else ""
        kept = res["intelligence_roles_kept"]
        plain(c, f"possible victims inferred: {len(victims)}{named}; intelligence roles kept "
                 f"as they are: {kept}")  # fmt: skip
        b = Table("person", "broker score", "community", title="brokers")
        for r in res["brokers"][:10]:
            b.add_row(names.label(r["id"]), f"{r['broker_score']:.3f}", r["community"])
        c.print(keep_ids_whole(b, "person"))

    emit(fmt, res, render)
