"""The ``fininvest`` command line: a thin click layer over the library.

Every command takes the case workspace as its first argument, records what it did in the
workspace's audit log, and accepts ``--format json`` where it prints a summary.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from fininvest import __version__
from fininvest.cli.output import FORMAT_KEY
from fininvest.errors import EXIT_INTERNAL, FininvestError


class FininvestGroup(click.Group):
    """Maps :class:`FininvestError` to a readable message and the documented exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FininvestError as exc:
            if ctx.meta.get(FORMAT_KEY) == "json":
                click.echo(json.dumps(exc.to_dict(), indent=2))
            click.secho(f"Error: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
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
      fininvest graph load CASE_DIR          # the entity graph (embedded store)
      fininvest chains CASE_DIR              # recruiter → transporter → exploiter
      fininvest trace CASE_DIR --from IBAN   # follow the money onward

    fininvest demo does all of it on the small sample case.

    Every command takes the case workspace (CASE_DIR) as its first argument and records
    what it did in CASE_DIR/audit.jsonl. Add --format json for one JSON document on stdout.

    \b
    Exit status: 0 success · 1 internal error · 2 usage error · 3 bad input
                 4 missing or invalid workspace · 5 graph store unreachable
    """


def _register() -> None:
    from fininvest.cli import (
        analytics_cmd,
        app_cmd,
        bench_cmd,
        demo_cmd,
        evaluate_cmd,
        graph_cmd,
        indicators_cmd,
        ingest_cmd,
        sample_cmd,
        screen_cmd,
        workspace_cmds,
    )

    cli.add_command(workspace_cmds.init)
    cli.add_command(workspace_cmds.status)
    cli.add_command(workspace_cmds.info)
    cli.add_command(ingest_cmd.ingest)
    cli.add_command(sample_cmd.sample)
    cli.add_command(bench_cmd.bench)
    cli.add_command(demo_cmd.demo)
    cli.add_command(indicators_cmd.indicators)
    cli.add_command(screen_cmd.screen)
    cli.add_command(evaluate_cmd.evaluate)
    cli.add_command(graph_cmd.graph)
    cli.add_command(analytics_cmd.chains)
    cli.add_command(analytics_cmd.trace)
    cli.add_command(analytics_cmd.network)
    cli.add_command(app_cmd.app)
    cli.add_command(app_cmd.app_user)


_register()


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
