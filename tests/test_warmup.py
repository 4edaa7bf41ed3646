"""The first screen says it compiles and shows its phases even when piped; ``fininvest
warmup`` compiles the kernels ahead of the first case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest import warmup
from fininvest.workspace import Workspace

from .conftest import invoke


def test_kernels_cached_looks_in_numbas_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not warmup.kernels_cached()
    (tmp_path / "x_fininvest_screening").mkdir()
    (tmp_path / "x_fininvest_screening" / "kernels.window_count_max-96.py311.nbi").touch()
    assert warmup.kernels_cached()


def test_screen_piped_shows_its_phases_and_the_compile(
    sample_ws: Workspace, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warmup, "kernels_cached", lambda: False)  # as on a fresh install
    res = invoke(runner, "screen", sample_ws.root, "--top", "1", "--format", "json")
    assert warmup.COMPILE_NOTE in res.stderr
    for phase in ("events", "tables", "indicators", "alerts", "write"):
        assert f"· {phase}:" in res.stderr
    json.loads(res.stdout)  # still exactly one JSON document on stdout


def test_warmup_compiles_or_loads_every_kernel(runner: CliRunner) -> None:
    doc = json.loads(invoke(runner, "warmup", "--format", "json").stdout)
    assert doc["kernels_cached"] is True and doc["kernels_compiled"] >= 0
