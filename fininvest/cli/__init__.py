"""The ``fininvest`` command line: a thin click layer over the library.

The commands on a case take its workspace as their first argument, record what they did in
the workspace's audit log, and accept ``--format json`` where they print a summary. Commands
are declared in :data:`COMMANDS` and imported only when they run, so that ``--help``,
``--version`` and light commands start without loading the screening kernels.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any, NamedTuple

import click

from fininvest import __version__
from fininvest.errors import EXIT_INTERNAL, FininvestError


class Entry(NamedTuple):
    """Where a command lives (``"module:attribute"``) and its one-line summary, so that the
    command list and ``--help`` need not import any command (each imports only what it needs
    when it runs; a test checks every summary against the command's own help)."""

    target: str
    summary: str


#: Every command of ``fininvest``: name → where it lives and its summary. Add a command here.
COMMANDS: dict[str, Entry] = {
    "init": Entry("fininvest.cli.workspace_cmds:init",
                  "Create an investigation workspace in CASE_DIR."),
    "status": Entry("fininvest.cli.workspace_cmds:status",
                    "Show the workspace's tables, quarantine and last commands."),
    "info": Entry("fininvest.cli.workspace_cmds:info",
                  "Show the version and where the Cypher files, indicator catalogue and app "
                  "assets are."),
    "ingest": Entry("fininvest.cli.ingest_cmd:ingest",
                    "Validate, normalise and store FILES in the workspace (default: everything "
                    "in CASE_DIR/raw)."),
    "sample": Entry("fininvest.cli.sample_cmd:sample",
                    "Generate a synthetic THB case: raw files into CASE_DIR/raw, ground truth "
                    "apart."),
    "bench": Entry("fininvest.cli.bench_cmd:bench",
                   "Benchmarks that print throughput, wall time, peak memory and a same-run "
                   "ratio."),
    "demo": Entry("fininvest.cli.demo_cmd:demo",
                  "Run every user's job end to end on the small sample case (default CASE_DIR: "
                  "demo-case)."),
    "indicators": Entry("fininvest.cli.indicators_cmd:indicators",
                        "List the THB red-flag indicators with their parameters and sources."),
    "screen": Entry("fininvest.cli.screen_cmd:screen",
                    "Screen every account against the THB red-flag catalogue; rank and explain "
                    "the alerts."),
    "explain": Entry("fininvest.cli.explain_cmd:explain",
                     "Why ENTITY (an account, a merchant, or a person: their accounts) is "
                     "flagged."),
    "show": Entry("fininvest.cli.lookup_cmd:show",
                  "Everything the case holds on ENTITY (a person, company or account), as a "
                  "card."),
    "search": Entry("fininvest.cli.lookup_cmd:search",
                    "Find persons, companies and accounts by name, account number or "
                    "identifier."),
    "quarantine": Entry("fininvest.cli.quarantine_cmd:quarantine",
                        "The rejected records of CASE_DIR, grouped by reason with counts and "
                        "examples."),
    "forget": Entry("fininvest.cli.quarantine_cmd:forget",
                    "Take FILE out of the case: its rows and its rejected records; the raw "
                    "copy kept aside."),
    "warmup": Entry("fininvest.cli.warmup_cmd:warmup",
                    "Compile the numba kernels once, on a tiny synthetic case (about a "
                    "minute)."),
    "evaluate": Entry("fininvest.cli.evaluate_cmd:evaluate",
                      "Measure the last screening against a synthetic case's ground truth."),
    "typology-check": Entry("fininvest.cli.typology_check_cmd:typology_check",
                            "Transfer-only check of the AML typologies: main-account recall@k "
                            "per typology."),
    "graph": Entry("fininvest.cli.graph_cmd:graph",
                   "The embedded graph store (FalkorDB on a password-protected unix socket in "
                   "the case)."),
    "chains": Entry("fininvest.cli.analytics_cmd:chains",
                    "Reconstruct chains of trafficking: recruiter → transporter → exploiter → "
                    "controller."),
    "trace": Entry("fininvest.cli.analytics_cmd:trace",
                   "Follow the money forward from buyers', victims' or suspects' accounts."),
    "network": Entry("fininvest.cli.analytics_cmd:network",
                     "Communities, brokers and inferred roles, written back to the graph."),
    "evidence": Entry("fininvest.cli.evidence_cmd:evidence",
                      "Prosecutor evidence packs: one signed, deterministic BagIt bag per "
                      "chain."),
    "assets": Entry("fininvest.cli.assets_cmd:assets",
                    "The asset-recovery register: each asset's history from identification to "
                    "confiscation, sale and victim compensation, and the statistics the law "
                    "asks for."),
    "jit": Entry("fininvest.cli.jit_cmd:jit",
                 "Joint Investigation Team agreements: who shares what with whom, until when."),
    "share": Entry("fininvest.cli.share_cmd:share",
                   "Prepare a share for a JIT partner: records in scope, others pseudonymised or "
                   "withheld."),
    "deconflict": Entry("fininvest.cli.deconflict_cmd:deconflict",
                        "Find out whether two JIT partners hold the same phones, accounts, "
                        "passports or persons, without handing each other their lists (private "
                        "set intersection)."),
    "fx": Entry("fininvest.cli.fx_cmd:fx",
                "Reference exchange rates: the ECB's euro reference rates, 1999 onwards."),
    "app": Entry("fininvest.cli.app_cmd:app",
                 "Serve the investigator's web app of a case until Ctrl-C."),
    "app-user": Entry("fininvest.cli.app_cmd:app_user",
                      "Users of the web app (needed to serve it beyond this machine)."),
    "train": Entry("fininvest.cli.train_cmd:train",
                   "Graded exercises: a variant per trainee, scoring and a debrief."),
}  # fmt: skip


def summary(name: str, limit: int) -> str:
    """The declared one-line summary of a command, cut as click cuts a command's help."""
    return click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit)


class FininvestGroup(click.Group):
    """Loads a command only when it runs (see :data:`COMMANDS`) and maps
    :class:`FininvestError` to a readable message and the documented exit status."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name].target.split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the summaries, without importing the commands."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit)))
            else:
                rows.append((name, summary(name, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FininvestError as exc:
            from fininvest.cli.output import FORMAT_KEY, printable

            if ctx.meta.get(FORMAT_KEY) == "json":
                click.echo(json.dumps(exc.to_dict(), indent=2))
            # control characters from the data (escape sequences, carriage returns) are shown
            # escaped; the message's own line breaks are kept
            message = "\n".join(printable(line) for line in exc.message.split("\n"))
            click.secho(f"Error: {message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"Hint: {printable(exc.hint)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=FininvestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fininvest")
def cli() -> None:
    """fininvest — follow the money in trafficking-in-human-beings (THB) investigations.

    \b
    Typical session:
      fininvest init CASE_DIR --name "Operation Lantern"
      fininvest ingest CASE_DIR exports/*.csv reports/*.xml
      fininvest status CASE_DIR
      fininvest screen CASE_DIR --top 20     # ranked, explained alerts
      fininvest explain CASE_DIR ACCOUNT     # why: findings, evidence, sources
      fininvest show CASE_DIR PERSON         # everything the case holds on one id
      fininvest graph load CASE_DIR          # the entity graph (embedded store)
      fininvest chains CASE_DIR              # recruiter → transporter → exploiter
      fininvest trace CASE_DIR --from IBAN   # follow the money onward

    fininvest demo does all of it on the small sample case.

    The commands on a case take its workspace (CASE_DIR) as their first argument and record
    what they did in CASE_DIR/audit.jsonl. Add --format json for one JSON document on stdout.

    \b
    Exit status: 0 success · 1 internal error · 2 usage error · 3 bad input
                 4 missing or invalid workspace · 5 graph store unreachable
    """


def main() -> None:
    try:
        cli(prog_name="fininvest")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception:  # an unexpected bug: show the traceback, exit 1
        import traceback

        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)
