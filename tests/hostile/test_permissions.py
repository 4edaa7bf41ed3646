"""A case is the owner's only (folders 0700, files 0600) whatever the umask, including what the
graph server writes; `status` warns about files others can read. The red-team trial: with
umask 022 the graph's snapshot and append-only file, its log, raw/, tables/ and quarantine/
were world-readable, and another local user read names and birth dates."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.permissions import exposed
from tests.conftest import BAD, invoke


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def test_case_files_are_owner_only_whatever_the_umask(
    tmp_path: Path, runner: CliRunner, loose_umask: None
) -> None:
    case = tmp_path / "case"
    source = tmp_path / "bank.csv"
    source.write_bytes((BAD / "duplicate_ids.csv").read_bytes())
    source.chmod(0o644)
    assert invoke(runner, "init", case).exit_code == 0
    os.umask(0o022)  # as a fresh process would start
    assert invoke(runner, "ingest", case, source).exit_code == 0
    os.umask(0o022)
    assert invoke(runner, "graph", "load", case).exit_code == 0
    assert invoke(runner, "graph", "stop", case).exit_code == 0  # final snapshot written
    written = {p.relative_to(case).as_posix() for p in case.rglob("*")}
    assert "raw/bank.csv" in written and "graph/falkordb.log" in written
    assert any(p.startswith("graph/appendonlydir/") for p in written)
    assert any(p.startswith("tables/transactions/part-") for p in written)
    assert any(p.startswith("quarantine/") for p in written)
    assert exposed(case) == []


def test_status_warns_when_others_can_read_the_case(tmp_path: Path, runner: CliRunner) -> None:
    case = tmp_path / "case"
    invoke(runner, "init", case)
    res = invoke(runner, "status", case, "--format", "json")
    assert json.loads(res.stdout)["readable_by_others"]["count"] == 0
    assert "Warning" not in res.stderr
    (case / "raw").chmod(0o755)
    (case / "fininvest.toml").chmod(0o644)
    res = invoke(runner, "status", case, "--format", "json")
    assert res.exit_code == 0
    found = json.loads(res.stdout)["readable_by_others"]
    assert found["count"] == 2 and set(found["examples"]) == {"raw", "fininvest.toml"}
    assert "can be read by other users" in res.stderr and "chmod -R go=" in res.stderr
