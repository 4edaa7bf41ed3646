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
(:func:`~fininvest.screening.engines.stages.results_digest`) must be equal.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from fininvest.bench import host, measured, peak_rss_mb, run_child
from fininvest.bench.screen import WARMUP_ROWS, make_transactions, write_workspace


def run_engine(root: Path, warmup: Path, engine: str, options: dict[str, Any]) -> dict[str, Any]:
    """The child: start ``engine``, screen ``warmup``, then screen ``root`` timed."""
    from fininvest.screening.engines import get_engine, screen_workspace
    from fininvest.workspace import open_workspace

    run = {
        "partitions": int(options.pop("partitions", 8)),
        "scope": options.pop("scope", "flagged"),
    }
    with measured() as started:
        backend = get_engine(engine, **options)
    try:
        with measured() as warm:
            screen_workspace(open_workspace(warmup), backend, **run)
        with measured() as m:
            res = screen_workspace(open_workspace(root), backend, **run)
    finally:
        backend.close()
    return {
        **m,
        "start_seconds": started["seconds"],
        "warmup_seconds": warm["seconds"],
        "alerts": res.alerts.height,
        "phases": res.seconds,
        "engine": res.engine,
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
    partitions: int = 8,
    scope: str = "flagged",
    progress: Any = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Time the screen of ``rows`` generated transactions on ``engine`` and locally (see the
    module docstring). Returns wall seconds, rows/s, the ratio engine / local, the engine's
    start and warm-up, and whether both found the same alerts and explanations."""
    say = progress or (lambda _m: None)
    options: dict[str, Any] = {"partitions": partitions, "scope": scope}
    if master:
        options["master"] = master
    if scheduler:
        options["scheduler"] = scheduler
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say(f"generating {rows:,} transactions")
        root = write_workspace(Path(tmp) / "case", make_transactions(rows))
        warmup = write_workspace(Path(tmp) / "warmup", make_transactions(WARMUP_ROWS))
        say("local screen (warm numba cache)")
        local = run_child("fininvest.bench.screen", ["fininvest", str(root), str(warmup)],
                          as_command="screen")  # fmt: skip
        local_digests = _digests(root)
        say(f"{engine} screen")
        dist = run_child(
            "fininvest.bench.scale_out", [engine, str(root), str(warmup), json.dumps(options)]
        )
        same = _digests(root) == local_digests
    # the ratio and the rates from the printed times, so that they can be checked
    seconds, local_seconds = round(dist["seconds"], 3), round(local["seconds"], 3)
    return {
        "rows": rows,
        "engine": engine,
        "partitions": partitions,
        "scope": scope,
        "seconds": seconds,
        "rows_per_s": round(rows / seconds),
        "start_seconds": round(dist["start_seconds"], 3),
        "warmup_seconds": round(dist["warmup_seconds"], 3),
        "phase_seconds": {p: round(t, 3) for p, t in dist["phases"].items()},
        "peak_rss_mb": round(dist["peak_rss_mb"]),
        "local_seconds": local_seconds,
        "local_rows_per_s": round(rows / local_seconds),
        "ratio": round(seconds / local_seconds, 2),
        "alerts": dist["alerts"],
        "same_results": same,
        "run": dist["engine"],
        "host": host(),
    }


if __name__ == "__main__":
    name, root_dir, warmup_dir, opts = sys.argv[1:]
    result = run_engine(Path(root_dir), Path(warmup_dir), name, json.loads(opts))
    sys.stdout.write(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}, default=str))
