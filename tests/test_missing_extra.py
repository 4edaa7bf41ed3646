"""A benchmark whose pandas reference is not installed says what to install, before any work
(simulated by hiding pandas from the import system)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
sys.modules["pandas"] = None  # as if pandas were not installed: find_spec and import fail
import importlib.util
real = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "pandas" else real(name, *a)
from fininvest.cli import cli
cli.main(sys.argv[1:], prog_name="fininvest")
"""


def test_bench_screen_without_pandas_says_what_to_install() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "bench", "screen", "--rows", "1000"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "needs pandas" in out.stderr and 'pip install "fininvest[dev]"' in out.stderr
    assert "Traceback" not in out.stderr


def test_bench_ingest_without_pandas_says_so_or_runs_without_the_reference() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "bench", "ingest", "--rows", "1000"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "--no-reference" in out.stderr
