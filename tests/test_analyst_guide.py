"""docs/analyst.md runs as written: every command of its ``sh`` blocks, in order, in a fresh
folder holding the example files; each exits 0 unless the line says ``# exit N``."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.graph import embedded
from fininvest.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "analyst.md"


def commands() -> list[tuple[str, int]]:
    """The guide's shell lines with the exit status each expects."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            if not line.strip():
                continue
            expect = re.search(r"#\s*exit (\d+)\s*$", line)
            out.append((line.split(" #")[0].strip(), int(expect.group(1)) if expect else 0))
    return out


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    if (tmp_path / "lantern").is_dir():
        embedded.stop(open_workspace(tmp_path / "lantern"))


def test_the_guide_uses_only_fininvest_and_file_commands() -> None:
    assert {c.split()[0] for c, _ in commands()} <= {"fininvest", "mkdir", "cp"}
    assert len(commands()) > 20


def test_every_command_of_the_guide_runs(folder: Path) -> None:
    runner = CliRunner()
    said: dict[str, str] = {}
    for line, expect in commands():
        args = shlex.split(line)
        if args[0] != "fininvest":
            subprocess.run(args, cwd=folder, check=True)
            continue
        res = runner.invoke(cli, args[1:], catch_exceptions=False)
        assert res.exit_code == expect, (line, res.stdout[-2000:], res.stderr[-2000:])
        said[line] = res.stdout + res.stderr
    # what the guide says the commands show
    assert "--profile hansa" in said["fininvest ingest lantern docs/examples/analyst/"
                                     "hansa_bank_2025-03.csv"]  # fmt: skip
    assert "9,800.00" in said["fininvest quarantine lantern"]
    assert (
        "Tables changed: transactions +"
        in said[
            "fininvest ingest lantern --profile hansa "
            "docs/examples/analyst/hansa_bank_2025-03_corrected.csv"
        ]
    )
    explained = said["fininvest explain lantern DE89370400440532013000"]
    assert "Elena Popa" in explained and "EUR" in explained and "structuring" in explained
    assert "Andrei Ionescu" in said['fininvest search lantern "0176 4455 6677"']
    assert (
        "DE89370400440532013000" in said['fininvest search lantern "DE89 3704 0044 0532 0130 00"']
    )
    traced = said["fininvest trace lantern --from DE89370400440532013000"]
    assert "RO49AAAA1B31007593840000" in traced
    ws = open_workspace(folder / "lantern")
    assert ws.quarantine_parts() == []  # the broken export was forgotten
    assert (folder / "lantern" / "originals" / "hansa_bank_2025-03.csv").exists()
