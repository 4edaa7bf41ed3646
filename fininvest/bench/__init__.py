"""Benchmarks: ``fininvest bench ingest | screen | graph`` (see docs/performance.md)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
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
