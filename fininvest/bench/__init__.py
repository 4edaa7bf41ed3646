"""Benchmarks: ``fininvest bench ingest | screen | graph`` (see docs/performance.md)."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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


#: the calibration's reading on the machine of the performance baseline (2 vCPU AMD EPYC with a
#: 32 MB L3, 2026-11-22; ../shared/research/perf-baseline.md §1, "gather 7 columns by the
#: permutation: numpy fancy indexing")
BASELINE_GATHER_SECONDS = 0.392


def host() -> dict[str, Any]:
    """What the benchmark ran on: the CPU (model, family/model numbers, cores, L2 and L3
    sizes) and ``gather_seconds``, a fixed piece of work timed on it, with ``vs_baseline``,
    that time over the baseline machine's.

    The work is the baseline's: gather the seven columns of a 10M-row event table (int64,
    int64, float64, int16, int8, int8, int32) by a random permutation with numpy, best of
    three. Random reads of memory are what screening spends its time on, so the figure moves
    with it, though not one for one: on 2026-11-23 a host took 0.99 s (2.5× the baseline)
    where the 10M-row screen took 1.7-1.8× its earlier time. The project's VMs have not always
    run on the same hardware; compare figures from hosts whose calibration agrees.
    """
    import numpy as np

    info: dict[str, Any] = {"cpu": platform.processor() or platform.machine()}
    try:
        first_cpu = Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines()
        fields = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in first_cpu)}
        info["cpu"] = fields.get("model name", info["cpu"])
        info["cpu_family_model"] = f"{fields.get('cpu family', '?')}/{fields.get('model', '?')}"
    except OSError:
        pass
    info["cores"] = os.cpu_count()
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction" and level in ("2", "3"):
            info[f"l{level}"] = size
    n = 10_000_000
    rng = np.random.default_rng(0)
    columns: list[np.ndarray] = [
        rng.integers(0, 1 << 40, n),
        rng.integers(0, 1 << 30, n),
        rng.random(n),
        rng.integers(0, 9000, n).astype(np.int16),
        rng.integers(0, 4, n).astype(np.int8),
        rng.integers(0, 2, n).astype(np.int8),
        rng.integers(0, 5000, n).astype(np.int32),
    ]
    permutation = rng.permutation(n)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for c in columns:
            c[permutation]
        best = min(best, time.perf_counter() - t0)
    info.update(calibration(best))
    return info


def calibration(gather_seconds: float) -> dict[str, float]:
    """The calibration figures as printed: the gather time and its ratio to the baseline machine's.

    The ratio comes from the rounded time, so a reader can check it from the output (from the
    unrounded time it could differ in the last digit).

    >>> calibration(0.89149)
    {'gather_seconds': 0.891, 'vs_baseline': 2.27}
    """
    shown = round(gather_seconds, 3)
    return {"gather_seconds": shown, "vs_baseline": round(shown / BASELINE_GATHER_SECONDS, 2)}


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


def cold_then_warm(
    child: Callable[[dict[str, str]], dict[str, Any]],
) -> tuple[dict[str, Any], float]:
    """Run a fininvest benchmark child twice on one new, empty numba cache: first cold (it
    compiles every kernel it uses), then warm (it loads them). ``child(env)`` runs it with
    ``env`` added to its environment and returns its document, which holds ``seconds`` and
    ``start_seconds`` (its warm-up on a small input before the timed run).

    Returns the warm run's document and the compile time: what the empty cache added to the
    start and the timed run together.
    """
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold = child(env)
        warm = child(env)
    compile_seconds = (
        cold["start_seconds"] + cold["seconds"] - warm["start_seconds"] - warm["seconds"]
    )
    return warm, compile_seconds
