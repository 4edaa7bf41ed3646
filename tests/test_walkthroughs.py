"""Every command of docs/walkthroughs.md runs, in order, on a fresh folder (exit status 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.walkthrough import commands, run

DOC = Path(__file__).resolve().parent.parent / "docs" / "walkthroughs.md"


def test_walkthrough_commands_parse() -> None:
    cmds = commands(DOC.read_text("utf-8"))
    assert cmds[0] == "fininvest demo demo-case --no-serve"
    assert not any("Ctrl-C" in c for c in cmds) and len(cmds) > 25
    assert all("\\" not in c for c in cmds)  # continuation lines joined


@pytest.mark.slow
def test_every_walkthrough_command_runs(tmp_path: Path) -> None:
    try:
        for cmd in commands(DOC.read_text("utf-8")):
            r = run(cmd, tmp_path)
            assert r.returncode == 0, f"$ {cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    finally:  # the graph commands leave the case's server running for the next command
        for case in ("demo-case", "bg-case"):
            if (tmp_path / case / "graph").is_dir():
                run(f"fininvest graph stop {case}", tmp_path)
