"""Benchmarks: ``fininvest bench ingest | screen | graph`` (see docs/performance.md)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fininvest.launch import allocator_env


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process in MB, from its own ``VmHWM``.

    Not ``ru_maxrss``: on Linux a child's ``ru_maxrss`` also counts the image it was forked
    from before ``exec`` — a benchmark child would report the parent's peak (the generated
    data), not its own. Falls back to ``ru_maxrss`` where ``/proc`` is missing.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Measure the block: wall ``seconds``, the CPU time of every thread of the process
    (``cpu_user_seconds``, ``cpu_system_seconds``) and ``minor_page_faults`` (pages touched
    for the first time, each zeroed by the kernel). The dict is filled when the block ends.

    System time and page faults are reported because on a virtual machine first touches of
    memory can cost a large share of the run (docs/performance.md: about 30% of the CPU of a
    10M-row screen on the project machine), which wall time alone does not show.

    >>> with measured() as m:
    ...     _ = bytearray(1 << 20)
    >>> sorted(m)
    ['cpu_system_seconds', 'cpu_user_seconds', 'minor_page_faults', 'seconds']
    """
    out: dict[str, float] = {}
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    yield out
    t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    out.update(
        seconds=t1 - t0,
        cpu_user_seconds=r1.ru_utime - r0.ru_utime,
        cpu_system_seconds=r1.ru_stime - r0.ru_stime,
        minor_page_faults=r1.ru_minflt - r0.ru_minflt,
    )


#: what :func:`measured` adds to a benchmark child's result, as the parent reports it
CPU_FIELDS = ("cpu_user_seconds", "cpu_system_seconds", "minor_page_faults")


def cpu_report(child: dict[str, Any]) -> dict[str, float]:
    """The CPU fields of a child's result, rounded for the report."""
    return {k: round(child[k], 2) for k in CPU_FIELDS}


def run_child(
    module: str,
    args: list[str],
    env: dict[str, str] | None = None,
    *,
    as_command: str | None = None,
) -> dict[str, Any]:
    """Run ``python -m module args…`` in a fresh process and return the JSON document it
    prints (each benchmark child adds its own ``peak_rss_mb``).

    ``as_command``: the child stands in for ``fininvest <as_command>`` and gets the allocator
    settings the console entry point gives that command (:mod:`fininvest.launch`).
    """
    own = allocator_env([as_command]) if as_command else {}
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        env={**os.environ, **own, **(env or {})},
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"benchmark process {module} {args[0]} failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result
