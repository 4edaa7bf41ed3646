"""``fininvest bench screen --engine spark|dask``: the same screen on a distributed engine
against the local one, in the same run.

Generates N bank transactions (:func:`fininvest.bench.screen.make_transactions`), writes them
as a workspace, and in fresh processes times:

* **local** — :func:`fininvest.screening.run.screen`, after a warm start on a 1,000-row case
  (the numba kernels loaded from the cache);
* **the engine** — :func:`fininvest.screening.engines.screen_workspace`: the engine starts
  (a Spark session, a Dask cluster: ``start_seconds``), screens the 1,000-row case (its
  workers load the kernels: ``warmup_seconds``), then the timed screen.

Both write ``results/``; the digests of their alerts and explanations
(:func:`~fininvest.screening.engines.stages.results_digest`) must be equal. Beside the times:
the peak memory of the driver (the child) and of the engine's processes it started (Dask
workers; Spark's JVM and its Python workers), sampled by :class:`ProcessPeaks`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import polars as pl

from fininvest.bench import host, measured, peak_rss_mb, run_child
from fininvest.bench.screen import WARMUP_ROWS, make_transactions, write_workspace


class ProcessPeaks:
    """The peak resident memory (``VmHWM``) of every process descending from this one, read
    from ``/proc`` every ``every`` seconds while the block runs: a process that ends between
    two readings keeps its last one. Linux only (elsewhere nothing is found).

    >>> with ProcessPeaks() as peaks:
    ...     pass
    >>> sorted(peaks.report())
    ['worker_peak_rss_mb', 'worker_processes', 'workers_peak_rss_sum_mb']
    """

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ProcessPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.read()

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            self.read()

    def read(self) -> None:
        """Record the peaks of the descendants alive now."""
        parent: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parent[int(stat.parent.name)] = int(fields[1])
        mine = {os.getpid()}
        grew = True
        while grew:
            new = {p for p, pp in parent.items() if pp in mine and p not in mine}
            mine |= new
            grew = bool(new)
        for pid in mine - {os.getpid()}:
            mb = peak_rss_mb(pid)
            if mb == mb:  # not NaN: the process is still there
                self.peaks[pid] = max(mb, self.peaks.get(pid, 0.0))

    def report(self) -> dict[str, Any]:
        """The largest peak of one process, the sum of the peaks (an upper bound of what the
        processes held at once), and how many there were."""
        values = list(self.peaks.values())
        return {
            "worker_peak_rss_mb": round(max(values, default=0.0)),
            "workers_peak_rss_sum_mb": round(sum(values)),
            "worker_processes": len(values),
        }


def run_engine(root: Path, warmup: Path, engine: str, options: dict[str, Any]) -> dict[str, Any]:
    """The child: start ``engine``, screen ``warmup``, then screen ``root`` timed; the peak
    memory of the processes it started alongside."""
    from fininvest.screening.engines import get_engine, screen_workspace
    from fininvest.workspace import open_workspace

    run = {"partitions": options.pop("partitions", None), "scope": options.pop("scope", "flagged")}
    with ProcessPeaks() as peaks:
        with measured() as started:
            backend = get_engine(engine, **options)
        try:
            with measured() as warm:
                screen_workspace(open_workspace(warmup), backend, **run)
            with measured() as m:
                res = screen_workspace(open_workspace(root), backend, **run)
            peaks.read()  # before the workers stop
        finally:
            backend.close()
    return {
        **m,
        "start_seconds": started["seconds"],
        "warmup_seconds": warm["seconds"],
        "alerts": res.alerts.height,
        "phases": res.seconds,
        "engine": res.engine,
        **peaks.report(),
    }


def _digests(root: Path) -> dict[str, str]:
    from fininvest.screening.engines.stages import results_digest

    return {
        name: results_digest(pl.read_parquet(root / "results" / f"{name}.parquet"))
        for name in ("alerts", "explanations")
    }


def bench_engine(
    rows: int,
    engine: str,
    *,
    master: str | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    scope: str = "flagged",
    files: int = 1,
    progress: Any = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Time the screen of ``rows`` generated transactions (written as ``files`` parts:
    :func:`~fininvest.bench.screen.write_workspace`) on ``engine`` and locally (see the module
    docstring). Returns wall seconds, rows/s, the ratio engine / local, the engine's start and
    warm-up, the peak memory of the driver and of the engine's processes, and whether both
    found the same alerts and explanations (their SHA-256 digests)."""
    say = progress or (lambda _m: None)
    options: dict[str, Any] = {"partitions": partitions, "scope": scope}
    if master:
        options["master"] = master
    if scheduler:
        options["scheduler"] = scheduler
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say(f"generating {rows:,} transactions")
        root = write_workspace(Path(tmp) / "case", make_transactions(rows), files)
        warmup = write_workspace(Path(tmp) / "warmup", make_transactions(WARMUP_ROWS))
        say("local screen (warm numba cache)")
        local = run_child("fininvest.bench.screen", ["fininvest", str(root), str(warmup)],
                          as_command="screen")  # fmt: skip
        local_digests = _digests(root)
        say(f"{engine} screen")
        dist = run_child(
            "fininvest.bench.scale_out", [engine, str(root), str(warmup), json.dumps(options)]
        )
        digests = _digests(root)
        same = digests == local_digests
    # the ratio and the rates from the printed times, so that they can be checked
    seconds, local_seconds = round(dist["seconds"], 3), round(local["seconds"], 3)
    return {
        "rows": rows,
        "engine": engine,
        "files": files,
        "partitions": dist["engine"]["partitions"],
        "scope": scope,
        "seconds": seconds,
        "rows_per_s": round(rows / seconds),
        "start_seconds": round(dist["start_seconds"], 3),
        "warmup_seconds": round(dist["warmup_seconds"], 3),
        "phase_seconds": {p: round(t, 3) for p, t in dist["phases"].items()},
        "peak_rss_mb": round(dist["peak_rss_mb"]),
        **{
            k: dist[k]
            for k in ("worker_peak_rss_mb", "workers_peak_rss_sum_mb", "worker_processes")
        },
        "local_seconds": local_seconds,
        "local_rows_per_s": round(rows / local_seconds),
        "ratio": round(seconds / local_seconds, 2),
        "alerts": dist["alerts"],
        "same_results": same,
        "digests": digests,
        "local_digests": local_digests,
        "run": dist["engine"],
        "host": host(),
    }


if __name__ == "__main__":
    name, root_dir, warmup_dir, opts = sys.argv[1:]
    result = run_engine(Path(root_dir), Path(warmup_dir), name, json.loads(opts))
    sys.stdout.write(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}, default=str))
