"""``fininvest deconflict offer|answer|result|log``: do two JIT partners hold the same people?"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.names import label
from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.cli.output import printable as escape
from fininvest.jit.agreement import load_agreement, refusals_audited
from fininvest.jit.collect import SET_KINDS, collect_items
from fininvest.jit.deconflict import (
    compute_result,
    log_step,
    make_answer,
    make_offer,
    read_message,
    receive_result,
    write_message,
)
from fininvest.jit.ledger import read_ledger, verify_ledger
from fininvest.workspace import open_workspace

CASE_DIR = click.argument("case_dir", type=click.Path(path_type=Path))
JIT_OPTION = click.option("--jit", "jit_id", required=True, help="The JIT agreement id.")
KIND_OPTION = click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(SET_KINDS),
    help="What to compare (repeat; default all): identifier kinds, and 'names' for the "
    "persons' name match keys.",
)
IDS_OPTION = click.option(
    "--ids",
    "extra",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV of further identifiers (kind,value,country,record), e.g. passports, wallets.",
)
COUNT_ONLY = click.option(
    "--count-only", is_flag=True, help="Reveal only how many items both sides hold, to both."
)
OUT = click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))


def set_options(fn: Any) -> Any:
    """The options of the two steps that send a set: --out, --kind, --ids, --count-only."""
    for option in (FORMAT_OPTION, COUNT_ONLY, IDS_OPTION, KIND_OPTION, OUT):
        fn = option(fn)
    return fn


@click.group()
def deconflict() -> None:
    """Find out whether two JIT partners hold the same phones, accounts, passports or persons,
    without handing each other their lists (private set intersection).

    \b
    Side A:  fininvest deconflict offer  CASE_A --jit JIT-X --partner DE --out offer.json
    Side B:  fininvest deconflict answer CASE_B --jit JIT-X offer.json --out answer.json
    Side A:  fininvest deconflict result CASE_A --jit JIT-X answer.json --out closing.json
    Side B:  fininvest deconflict result CASE_B --jit JIT-X closing.json

    Both sides learn the same hits, each mapped to its own records; the messages hold only
    blinded curve points. Every step is checked against the agreement (exit 3 when refused),
    capped in size, and logged in CASE_DIR/jit/exchanges.jsonl (hash-chained: see
    'deconflict log'). See docs/jit.md.
    """


def _items(case_dir: Path, kinds: tuple[str, ...], extra: Path | None) -> tuple[Any, Any, Any]:
    ws = open_workspace(case_dir)
    items, rejected = collect_items(ws, kinds or SET_KINDS, extra)
    if rejected:
        stderr.print(f"{rejected} values did not normalise and are left out", highlight=False)
    return ws, items, rejected


@deconflict.command()
@CASE_DIR
@JIT_OPTION
@click.option("--partner", required=True, help="The partner country (ISO alpha-2).")
@set_options
def offer(
    case_dir: Path,
    jit_id: str,
    partner: str,
    out: Path,
    kinds: tuple[str, ...],
    extra: Path | None,
    count_only: bool,
    fmt: str,
) -> None:
    """Start an exchange: blind this side's identifiers and name keys into an offer file.

    Send the offer file to the partner; keep the workspace (it holds the exchange's secret).
    """
    ws, items, rejected = _items(case_dir, kinds, extra)
    agreement = load_agreement(ws, jit_id)
    t0 = time.perf_counter()
    with refusals_audited(ws, "deconflict offer", {"jit": jit_id, "partner": partner.upper()}):
        msg = make_offer(ws, agreement, partner.upper(), items, count_only=count_only)
    _sent(fmt, ws, "offer", msg, out, t0, rejected, sent=msg["n"])


@deconflict.command()
@CASE_DIR
@JIT_OPTION
@click.argument("offer_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@set_options
def answer(
    case_dir: Path,
    jit_id: str,
    offer_file: Path,
    out: Path,
    kinds: tuple[str, ...],
    extra: Path | None,
    count_only: bool,
    fmt: str,
) -> None:
    """Answer a partner's offer: blind its items again and add this side's own, blinded.

    Send the answer file back; the partner's result step returns a closing file from
    which 'deconflict result' gives this side its hits.
    """
    ws, items, rejected = _items(case_dir, kinds, extra)
    agreement = load_agreement(ws, jit_id)
    received, offer_sha = read_message(offer_file, "offer")
    t0 = time.perf_counter()
    with refusals_audited(ws, "deconflict answer", {"jit": jit_id, "offer": offer_sha}):
        msg = make_answer(ws, agreement, received, offer_sha, items, count_only=count_only)
    _sent(fmt, ws, "answer", msg, out, t0, rejected, received=len(msg["double"]), sent=msg["n"])


def _sent(
    fmt: str,
    ws: Any,
    step: str,
    msg: dict[str, Any],
    out: Path,
    t0: float,
    rejected: int,
    **counts: int,
) -> None:
    """Write a message that sends a set, log the step and print what was sent."""
    sha = write_message(out, msg)
    log_step(ws, step, msg, sha, **counts)
    summary = {"step": step, "exchange": msg["exchange"], "jit": msg["jit"], "partner": msg["to"],
               **counts, "not_normalised": rejected, "count_only": msg["count_only"],
               "seconds": round(time.perf_counter() - t0, 2), "out": str(out),
               "sha256": sha}  # fmt: skip
    said = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    emit(fmt, summary, lambda c: c.print(
        f"{step} {msg['exchange']} ({msg['to']}): {said} blinded items; in {out} "
        f"({summary['seconds']} s)", highlight=False))  # fmt: skip


@deconflict.command()
@CASE_DIR
@JIT_OPTION
@click.argument("message_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the offering side writes the closing message for the partner (required there).",
)
@FORMAT_OPTION
def result(case_dir: Path, jit_id: str, message_file: Path, out: Path | None, fmt: str) -> None:
    """Finish an exchange and show the hits, mapped to this side's own records.

    On the offering side MESSAGE_FILE is the partner's answer, and --out receives the
    closing message to send back; on the answering side it is that closing message.
    Name hits say which match key met (name+dob, phonetic+dob, part+initials+dob+nationality).
    """
    ws = open_workspace(case_dir)
    agreement = load_agreement(ws, jit_id)
    msg, sha = read_message(message_file, "answer", "result")
    refused = refusals_audited(ws, "deconflict result", {"jit": jit_id, "message": sha})
    if msg["type"] == "answer":
        if out is None:
            raise click.UsageError("the offering side needs --out for the closing message")
        with refused:
            report, closing = compute_result(ws, agreement, msg, sha)
        report["out"] = str(out)
        report["sha256"] = write_message(out, closing)
        log_step(ws, "result", msg, sha, received=report["received"], hits=report["hits"])
    else:
        with refused:
            report = receive_result(ws, agreement, msg)
        log_step(ws, "closing", msg, sha, hits=report["hits"], partner_hits=msg.get("hits"))
    from fininvest.casefile.names import load_names

    report = load_names(ws).annotate(report)  # our own records only: the partner's unnamed
    emit(fmt, report, lambda c: render_report(report, c))


def render_report(r: dict[str, Any], c: Console) -> None:
    c.print(
        f"exchange {r['exchange']} with {r['partner']}: {r['hits']} items held by both"
        + (" (count only)" if r["count_only"] else ""),
        highlight=False,
    )
    if r.get("agree") is False:
        c.print(f"the partner reports {r['partner_hits']} hits: the results disagree", style="red")
    if r["identifiers"]:
        t = Table("kind", "identifier", "records")
        for h in r["identifiers"]:
            named = h.get("records_names", {})
            shown = [label(r, named.get(r)) for r in h["records"]]
            t.add_row(h["kind"], escape(h["value"]), escape(", ".join(shown)))
        c.print(t)
    if r["persons"]:
        t = Table("person", "matched by")
        for p in r["persons"]:
            t.add_row(escape(p["record"]), ", ".join(p["keys"]))
        c.print(t)
    if r.get("out"):
        c.print(f"closing message for {r['partner']}: {r['out']}")


@deconflict.command()
@CASE_DIR
@FORMAT_OPTION
def log(case_dir: Path, fmt: str) -> None:
    """Show the exchange log and verify its hash chain (exit 4 when it is broken)."""
    from fininvest.errors import WorkspaceError

    ws = open_workspace(case_dir)
    entries = read_ledger(ws)
    problems = verify_ledger(ws)
    if problems:
        raise WorkspaceError(
            f"the exchange log of {ws.root} does not verify: " + "; ".join(problems[:5]),
            hint="Restore jit/exchanges.jsonl from a backup; each exchange's message digests "
            "are also in audit.jsonl.",
        )
    data = {"entries": entries, "verified": not problems, "problems": problems}

    def render(c: Console) -> None:
        t = Table("seq", "time", "step", "jit", "partner", "exchange", "counts")
        for e in entries:
            counts = ", ".join(
                f"{k} {e[k]}" for k in ("sent", "received", "hits", "partner_hits") if k in e
            )
            t.add_row(str(e["seq"]), e["time"], e["step"], e["jit"], str(e["partner"]),
                      str(e["exchange"])[:8], counts)  # fmt: skip
        c.print(t)
        c.print(f"{len(entries)} entries; the hash chain verifies")

    ws.audit("deconflict log", {}, counts={"entries": len(entries)})
    emit(fmt, data, render)


@deconflict.command()
@click.option("--n", "n", default=100_000, show_default=True, type=click.IntRange(2, 2_000_000),
              help="Identifiers per side (half of them shared).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256), help="Processes (default: every core).")
@click.option("--openmined", is_flag=True, help="Also time openmined-psi on the same sets.")
@FORMAT_OPTION
def bench(n: int, workers: int | None, openmined: bool, fmt: str) -> None:
    """Time one full exchange of N identifiers per side on this machine (both sides).

    Example: fininvest deconflict bench --n 100000 --openmined

    Runs offer, answer, result and closing in two throw-away workspaces with the message
    files written and read, and prints the seconds of each step. On a shared machine the
    figures vary from run to run: repeat and report the spread.
    """
    import os

    from fininvest.jit.bench import bench_exchange, bench_openmined

    data = bench_exchange(n, workers, say=lambda m: stderr.print(f"· {m}", highlight=False))
    data["cores"] = os.cpu_count()
    if openmined:
        stderr.print("· openmined-psi…", highlight=False)
        data["openmined_psi"] = bench_openmined(n)

    def render(c: Console) -> None:
        t = Table("step", "seconds", "CPU seconds")
        for step, s in data["steps_s"].items():
            t.add_row(step, f"{s:.2f}", f"{data['steps_cpu_s'][step]:.2f}")
        t.add_row(
            "protocol (4 steps)", f"{data['protocol_s']:.2f}", f"{data['protocol_cpu_s']:.2f}"
        )
        c.print(t)
        mb = {k: data[f"{k}_bytes"] / 1e6 for k in ("offer", "answer")}
        c.print(f"{n:,} per side on {data['cores']} cores; hits A {data['hits']['A']:,}, "
                f"B {data['hits']['B']:,} (expected {n // 2:,}); offer "
                f"{mb['offer']:.1f} MB, answer {mb['answer']:.1f} MB")  # fmt: skip
        om = data.get("openmined_psi")
        if om:
            c.print(f"openmined-psi (one process): {om['seconds']:.2f} s, {om['hits']:,} hits")

    emit(fmt, data, render)
