"""Shared fixtures.

Fixture strategy: every test gets its own workspace under pytest's tmp_path (isolated per
run); the sample case is generated once per session at the ``tiny`` scale for speed, and the
committed ``sample_data/`` case is ingested once per session for end-to-end checks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.sample import generate_case
from fininvest.workspace import Workspace, init_workspace

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
SAMPLE_DATA = ROOT / "sample_data"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "case", name="test case")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def tiny_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    """A tiny generated case: (raw dir, truth dir, summary)."""
    base = tmp_path_factory.mktemp("tiny")
    summary = generate_case(base / "raw", base / "truth", scale="tiny", seed=11)
    return base / "raw", base / "truth", summary


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The committed small sample case, ingested once."""
    from fininvest.ingest import ingest_files

    ws = init_workspace(tmp_path_factory.mktemp("sample") / "case", name="sample")
    for f in sorted((SAMPLE_DATA / "raw").iterdir()):
        shutil.copy(f, ws.path("raw", f.name))
    ingest_files(ws, sorted(ws.path("raw").iterdir()))
    return ws
