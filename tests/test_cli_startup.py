"""Fast start: ``--help`` and ``--version`` import no command, a light command imports only
what it needs, and the declared command summaries are the commands' own."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from fininvest.cli import COMMANDS, cli, summary
from fininvest.workspace import Workspace

PROBE = """
import sys, json
from fininvest.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="fininvest", standalone_mode=False)
except SystemExit:
    pass
heavy = ("numba", "polars", "numpy", "fininvest.screening.kernels", "fininvest.graph.store")
print(json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(out.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["screen", "--help"]])
def test_help_and_version_load_no_heavy_module(args: list[str]) -> None:
    assert _loaded(*args) == []


def test_status_loads_no_numba(sample_ws: Workspace) -> None:
    loaded = _loaded("status", str(sample_ws.root))
    assert "numba" not in loaded and "fininvest.screening.kernels" not in loaded


def test_summaries_are_the_commands_own_help() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        cmd = cli.get_command(ctx, name)
        assert cmd is not None, name
        assert summary(name, 300) == cmd.get_short_help_str(300), name
