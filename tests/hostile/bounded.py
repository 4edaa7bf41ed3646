"""Run a fininvest command in a child process under a memory cap, and measure it.

The child's address space is capped (``RLIMIT_AS``) so that a bomb that escapes its limits
fails the test instead of taking the CI machine down; its peak resident memory is read from
the kernel's accounting for that one child (``os.wait4``: ``ru_maxrss``), so it does not mix
with other children of the test session.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: the child's address-space cap: Polars, numba and the thread pools reserve far more
#: address space than they touch, so this is a guard, not the measure (peak RSS is)
ADDRESS_SPACE = 8 << 30
#: peak resident memory every corpus run must stay under
PEAK_RSS_MB = 1024
#: the child is killed after this long (a guard against a hang, not a timing assertion)
HANG_SECONDS = 300


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float


def _cap() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_bounded(*args: str | Path) -> Run:
    """``python -m fininvest ARGS`` in a child with :data:`ADDRESS_SPACE`; its exit code,
    output, peak RSS (MB) and wall time."""
    out_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    with (
        open(out_dir / f"hostile-{os.getpid()}.out", "w+") as out,
        open(out_dir / f"hostile-{os.getpid()}.err", "w+") as err,
    ):
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "fininvest", *map(str, args)],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            preexec_fn=_cap,  # noqa: PLW1509 (no threads are started between fork and exec)
        )
        deadline = start + HANG_SECONDS
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(child.returncode, out.read(), err.read(), usage.ru_maxrss / 1024, seconds)
