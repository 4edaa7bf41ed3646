"""``fininvest jit create|list|show``: Joint Investigation Team agreements as data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.output import printable as escape
from fininvest.jit.agreement import (
    RECORD_KINDS,
    Agreement,
    agreement_path,
    create_agreement,
    list_agreements,
    load_agreement,
)
from fininvest.workspace import open_workspace

CASE_DIR = click.argument("case_dir", type=click.Path(path_type=Path))


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}': write a date as YYYY-MM-DD") from None


@click.group()
def jit() -> None:
    """Joint Investigation Team agreements: who shares what with whom, until when.

    \b
    Example:
      fininvest jit create CASE_DIR --id JIT-2026-RO-DE --home RO \\
          --partner DE --authority "DE=BKA Wiesbaden" \\
          --from 2026-01-01 --until 2027-06-30 --purpose "Operation Lantern"
      fininvest jit list CASE_DIR
      fininvest jit show CASE_DIR JIT-2026-RO-DE

    Every fininvest share and fininvest deconflict run is checked against the agreement: a
    partner not in it, or a day outside its period, is refused (exit 3); an unknown
    agreement id is exit 4. See docs/jit.md.
    """


@jit.command()
@CASE_DIR
@click.option("--id", "jit_id", required=True, help="Agreement id, JIT-… (e.g. JIT-2026-RO-DE).")
@click.option("--home", required=True, help="This side's country (ISO alpha-2), e.g. RO.")
@click.option("--partner", "partners", multiple=True, required=True, help="Partner country.")
@click.option(
    "--authority",
    "authorities",
    multiple=True,
    help="A partner's authority as CC=NAME, e.g. 'DE=BKA Wiesbaden'. Repeat per partner.",
)
@click.option("--from", "start", required=True, callback=_date, help="First day (YYYY-MM-DD).")
@click.option("--until", required=True, callback=_date, help="Last day (YYYY-MM-DD).")
@click.option("--purpose", required=True, help="Why the team exists (case, offences).")
@click.option(
    "--handling-code",
    "handling_codes",
    multiple=True,
    help="Handling codes that allow sharing (default P, H0, H1; H2/H3 and others withheld).",
)
@click.option(
    "--record-kind",
    "record_kinds",
    multiple=True,
    type=click.Choice(RECORD_KINDS),
    help="Record kinds a share may carry (repeat; default: all but str_reports).",
)
@click.option(
    "--max-set-size",
    type=click.IntRange(1, 10_000_000),
    help="Most identifiers per side in one deconfliction exchange (default 200,000).",
)
@FORMAT_OPTION
def create(
    case_dir: Path,
    jit_id: str,
    home: str,
    partners: tuple[str, ...],
    authorities: tuple[str, ...],
    start: date,
    until: date,
    purpose: str,
    handling_codes: tuple[str, ...],
    record_kinds: tuple[str, ...],
    max_set_size: int | None,
    fmt: str,
) -> None:
    """Write a new JIT agreement into CASE_DIR/jit/<ID>.toml.

    The file is plain TOML: review and edit what may be shared (record kinds, handling
    codes, grading threshold, count suppression, set-size cap) before the first share.
    """
    ws = open_workspace(case_dir)
    named: dict[str, str] = {}
    for a in authorities:
        cc, sep, name = a.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{a}': write CC=NAME", param_hint="--authority")
        named[cc.strip().upper()] = name.strip()
    partner_map = {p.upper(): named.get(p.upper(), "") for p in partners}
    agreement = create_agreement(
        ws,
        jit_id=jit_id,
        partners=partner_map,
        start=start,
        until=until,
        purpose=purpose,
        home=home.upper(),
        handling_codes=tuple(handling_codes) or None,
        record_kinds=tuple(record_kinds) or None,
        max_set_size=max_set_size,
    )
    ws.audit("jit create", agreement.to_dict())
    path = agreement_path(ws, jit_id)
    emit(
        fmt,
        {**agreement.to_dict(), "file": str(path)},
        lambda c: c.print(f"Wrote agreement {jit_id} to {path}\nNext: fininvest share {case_dir} "
                          f"--jit {jit_id} --partner {next(iter(partner_map))} --preview"),
    )  # fmt: skip


@jit.command(name="list")
@CASE_DIR
@FORMAT_OPTION
def list_cmd(case_dir: Path, fmt: str) -> None:
    """List the JIT agreements of the case, with partners and period."""
    ws = open_workspace(case_dir)
    found = list_agreements(ws)
    ws.audit("jit list", {}, counts={"agreements": len(found)})

    def render(c: Console) -> None:
        if not found:
            c.print(
                f"no JIT agreement yet (fininvest jit create {ws.root} --id JIT-… …)", markup=False
            )
            return
        t = Table("id", "home", "partners", "from", "until", "purpose")
        for a in found:
            t.add_row(
                a.id, a.home, ", ".join(a.partners), str(a.start), str(a.until), escape(a.purpose)
            )
        c.print(t)

    emit(fmt, [a.to_dict() for a in found], render)


@jit.command()
@CASE_DIR
@click.argument("jit_id")
@FORMAT_OPTION
def show(case_dir: Path, jit_id: str, fmt: str) -> None:
    """Show one agreement: partners and authorities, period, what may be shared.

    Example: fininvest jit show CASE_DIR JIT-2026-RO-DE
    """
    ws = open_workspace(case_dir)
    a = load_agreement(ws, jit_id)
    ws.audit("jit show", {"jit": jit_id})
    emit(fmt, a.to_dict(), lambda c: render_agreement(a, c))


def render_agreement(a: Agreement, c: Console) -> None:
    c.print(Text.assemble((a.id, "bold"), f" · {escape(a.purpose)}"), highlight=False)
    c.print(f"in force {a.start} – {a.until}; this side: {a.home or '?'}")
    t = Table("partner", "authority")
    for cc, auth in a.partners.items():
        t.add_row(cc, escape(auth) or "(not named)")
    c.print(t)
    c.print(
        f"may share: {', '.join(a.record_kinds)}\n"
        f"handling codes allowed: {', '.join(a.handling_codes)} (others withheld)\n"
        f"intelligence withheld below source {a.min_source_reliability} / "
        f"information {a.min_info_credibility}\n"
        f"counts below {a.suppress_below} suppressed; at most {a.max_set_size:,} identifiers "
        "per side in a deconfliction exchange",
        highlight=False,
    )
