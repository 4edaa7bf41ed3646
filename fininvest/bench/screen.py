"""``fininvest bench screen``: Parquet in → alerts out, numba engine against a pandas reference.

Generates N bank transactions with realistic skew (Zipf activity: a few very busy accounts,
many quiet ones; 8% cash deposits in 40 cities, some just under the reporting threshold;
transfers that are often passed on within hours), writes them as a workspace ``transactions``
table (one part in time order; with ``files`` several parts of the same period, each in time
order and the table not, so that the screen has to sort the row times), and in fresh processes
times:

* **fininvest** — ``fininvest.screening.run.screen``: loads the table, builds and sorts the
  event streams, runs every indicator whose data is present, scores, explains, writes alerts;
* **pandas** — the five bank-transfer indicators the reference covers (``structuring``,
  ``fan_in``, ``fan_out``, ``rapid_pass_through``, ``third_party_cash_multi_loc``) written the
  way an analyst would: ``groupby().rolling()`` windows and a Python FIFO per account.

It checks that both fire on exactly the same accounts for those five indicators. The goal
leaves data generation and JIT compile out of the timed run: each fininvest child first
screens a small workspace (its start: compiling every kernel with an empty numba cache,
loading them with a warm one), then the timed one. The start and the compile time are reported
beside the timed run, and the host's calibration (:func:`fininvest.bench.host`) with them.
So is where the timed run's time went: ``phase_seconds`` (the phases of
:attr:`fininvest.screening.run.ScreenResult.seconds`) and ``slowest_indicators`` (wall seconds
of the five slowest; two run at a time, so they overlap).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fininvest.bench import cold_then_warm, cpu_report, host, measured, peak_rss_mb, run_child

COMPARED = ("structuring", "fan_in", "fan_out", "rapid_pass_through",
            "third_party_cash_multi_loc")  # fmt: skip


def make_transactions(rows: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n_acc = max(200, rows // 20)
    acc = (rng.zipf(1.5, rows) - 1) % n_acc
    cp = rng.integers(0, n_acc, rows)
    ts = 1_738_368_000 + np.sort(rng.integers(0, 120 * 86_400, rows))
    kind = rng.choice(4, rows, p=[0.08, 0.3, 0.4, 0.22])  # cash-in, p2p, wire, atm
    amount = np.round(rng.lognormal(5.0, 1.1, rows), 2)
    near = (kind == 0) & (rng.random(rows) < 0.03)
    amount = np.where(near, np.round(rng.uniform(8000, 9999, rows), 2), amount)
    base = pl.DataFrame(
        {
            "i": np.arange(rows),
            "acc": acc,
            "cp": cp,
            "kind": kind,
            "amount": amount,
            "ts": (ts * 1000).astype("datetime64[ms]"),
            "city_no": rng.integers(0, 40, rows),
            "dep_no": rng.integers(0, 50, rows),
        }
    )
    cash_in, atm = pl.col("kind") == 0, pl.col("kind") == 3
    return base.select(
        pl.format("T{}", "i").alias("txn_id"),
        pl.col("ts").dt.replace_time_zone("UTC"),
        pl.when(cash_in).then(None).otherwise(pl.format("A{}", "acc")).alias("from_account"),
        pl.when(cash_in)
        .then(pl.format("A{}", "acc"))
        .when(atm)
        .then(None)
        .otherwise(pl.format("A{}", "cp"))
        .alias("to_account"),
        "amount",
        pl.lit("EUR").alias("currency"),
        pl.col("kind")
        .replace_strict({0: "cash", 1: "p2p", 2: "wire", 3: "atm"}, return_dtype=pl.String)
        .alias("channel"),
        pl.col("amount").alias("amount_base"),
        pl.when(cash_in | atm).then(pl.format("City{}", "city_no")).alias("city"),
        pl.lit("DE").alias("country"),
        pl.when(cash_in).then(pl.format("P{}", "dep_no")).alias("depositor_id"),
    )


def write_workspace(root: Path, df: pl.DataFrame, files: int = 1) -> Path:
    """A workspace whose ``transactions`` table is ``df`` (with provenance), written as
    ``fininvest ingest`` writes a part (LZ4, no statistics, no all-null columns).

    With ``files`` > 1 the rows are dealt in turn to that many parts, as that many exports of
    the same period would be: each part is in time order, the table is not."""
    from fininvest.ingest.pipeline import conform, write_part
    from fininvest.workspace import init_workspace

    if files < 1:
        raise ValueError("files must be at least 1")
    ws = init_workspace(root)
    out = conform(
        df.with_columns(
            pl.lit("bank").alias("source_kind"),
            pl.lit("bench.csv").alias("source_file"),
            pl.lit("0" * 64).alias("source_sha256"),
            pl.int_range(1, pl.len() + 1).alias("record_no"),
        ),
        "transactions",
    )
    ws.table_dir("transactions").mkdir(parents=True, exist_ok=True)
    for f in range(files):
        part = out if files == 1 else out.filter(pl.int_range(pl.len()) % files == f)
        write_part(part, ws.table_dir("transactions") / f"part-bench-{f:05d}.parquet")
    return ws.root


# ----------------------------------------------------------------------------- children
def run_fininvest(root: Path, warmup: Path | None = None) -> dict[str, Any]:
    """Screen the workspace at ``root``, timed. With ``warmup``, screen that (small) workspace
    first and report it as ``start_seconds``: the start of a process with a warm numba cache
    (every kernel's machine code loaded from the cache, thread pools started), which the goal
    leaves out of the timed run, as it does compile time."""
    from fininvest.screening.run import screen
    from fininvest.workspace import open_workspace

    start: dict[str, Any] = {}
    if warmup is not None:
        with measured() as w:
            screen(open_workspace(warmup))
        start = {"start_seconds": w["seconds"]}
    ws = open_workspace(root)
    with measured() as m:
        res = screen(ws)
    fired = {
        i: sorted(res.explanations.filter(pl.col("indicator") == i)["entity_id"].unique())
        for i in COMPARED
    }
    return {
        **m,
        **start,
        "fired": fired,
        "alerts": res.alerts.height,
        "phases": res.seconds,
        "indicator_seconds": res.indicator_seconds,
    }


def run_pandas(root: Path) -> dict[str, Any]:
    import pandas as pd

    from fininvest.indicators.catalogue import load_catalogue

    p = {i: {k: v.default for k, v in load_catalogue()[i].parameters.items()} for i in COMPARED}
    t0 = time.perf_counter()
    parts = sorted((root / "tables" / "transactions").glob("*.parquet"))  # the table's order
    tx = pd.concat([pd.read_parquet(f) for f in parts], ignore_index=True)
    common = ["ts", "amount_base", "channel", "city", "depositor_id", "txn_id"]
    out = tx[tx.from_account.notna()].assign(
        account=tx.from_account, cp=tx.to_account, outflow=True
    )[["account", "cp", "outflow", *common]]
    inn = tx[tx.to_account.notna()].assign(
        account=tx.to_account, cp=tx.from_account, outflow=False
    )[["account", "cp", "outflow", *common]]
    ev = pd.concat([out, inn]).sort_values(["account", "ts", "outflow"], kind="stable")
    ev["channel"] = ev["channel"].astype(str)
    ev["sec"] = (ev.ts - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta("1s")
    fired: dict[str, list[str]] = {}

    def window_count(flag: pd.Series, days: int) -> pd.Series:
        d = ev.assign(f=flag.astype(int))
        r = d.groupby("account").rolling(f"{days}D", on="ts", closed="right")["f"].sum()
        return (
            r.where(d.set_index(["account", d.index])["f"].values == 1)
            .groupby(level=0)
            .max()
            .fillna(0)
        )

    def window_distinct(flag: pd.Series, col: str, days: int) -> pd.Series:
        d = ev[flag].copy()
        if d.empty:
            return pd.Series(dtype=float)
        d["code"] = d[col].astype("category").cat.codes.astype(float)
        r = (
            d.groupby("account")
            .rolling(f"{days}D", on="ts", closed="right")["code"]
            .apply(lambda x: len(np.unique(x)), raw=True)
        )
        return r.groupby(level=0).max()

    cash = (~ev.outflow) & (ev.channel == "cash")
    s = p["structuring"]
    near = (
        cash
        & (ev.amount_base >= s["band_low"] * s["threshold"])
        & (ev.amount_base < s["threshold"])
    )
    c = window_count(near, s["window_days"])
    fired["structuring"] = sorted(c[c >= s["min_count"]].index)
    for ind, flow, key in (("fan_in", False, "min_senders"), ("fan_out", True, "min_payees")):
        q = p[ind]
        flag = (ev.outflow == flow) & ev.cp.notna()
        n = window_distinct(flag, "cp", q["window_days"])
        fired[ind] = sorted(n[n >= q[key]].index)
    q = p["third_party_cash_multi_loc"]
    flag = cash & ev.depositor_id.notna()
    cnt = window_count(flag, q["window_days"])
    dis = window_distinct(flag & ev.city.notna(), "city", q["window_days"])
    both = pd.concat([cnt.rename("n"), dis.rename("d")], axis=1).fillna(0)
    fired["third_party_cash_multi_loc"] = sorted(
        both[(both.n >= q["min_deposits"]) & (both.d >= q["min_locations"])].index
    )
    q = p["rapid_pass_through"]
    age = q["within_hours"] * 3600

    def fifo(g: pd.DataFrame) -> float:
        queue: deque[list[float]] = deque()
        total = got = 0.0
        for t, amt, is_out in zip(g.sec, g.amount_base, g.outflow, strict=True):
            if not is_out:
                total += amt
                queue.append([t, amt])
                continue
            need = amt
            while need > 0 and queue:
                if queue[0][0] < t - age or queue[0][1] <= 0:
                    queue.popleft()
                    continue
                take = min(need, queue[0][1])
                queue[0][1] -= take
                need -= take
                got += take
        return got / total if total > 0 else float("nan")

    ratio = ev.groupby("account")[["sec", "amount_base", "outflow"]].apply(fifo)
    fired["rapid_pass_through"] = sorted(ratio[ratio >= q["min_share"]].index)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "fired": fired}


#: rows of the workspace a fininvest child screens before the timed run (its warm start)
WARMUP_ROWS = 1_000


def _child(
    impl: str, root: Path, env: dict[str, str] | None = None, warmup: Path | None = None
) -> dict[str, Any]:
    return run_child(
        "fininvest.bench.screen",
        [impl, str(root), *([str(warmup)] if warmup else [])],
        env,
        as_command="screen" if impl == "fininvest" else None,
    )


#: the largest pandas reference run by default: its rolling distinct counts take about 40 s
#: at 400k rows on the project machine and grow faster than the rows (861 s at 1M)
REFERENCE_ROWS_MAX = 400_000


def bench_screen(
    rows: int,
    *,
    reference_rows: int | None = None,
    files: int = 1,
    progress: Any = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Time the screen of ``rows`` generated transactions and the pandas reference (at
    ``reference_rows``, default ``rows`` up to :data:`REFERENCE_ROWS_MAX`); see the module
    docstring. ``files``: parts the
    table is written in (:func:`write_workspace`); with more than one the screen also sorts
    the row times.

    Each fininvest child first screens a 1,000-row workspace of the same generator: with an
    empty numba cache that compiles every kernel, with a warm one it loads them. ``seconds``
    is the timed screen after that; ``start_seconds`` the warm start, and ``compile_seconds``
    what the empty cache added to the start and the timed screen together.
    """
    say = progress or (lambda _m: None)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say(f"generating {rows:,} transactions")
        df = make_transactions(rows)
        root = write_workspace(Path(tmp) / "case", df, files)
        warmup = write_workspace(Path(tmp) / "warmup", make_transactions(WARMUP_ROWS))
        input_mb = df.estimated_size() / 2**20
        del df
        say("fininvest, first with an empty numba cache (compile), then warm")
        warm, compile_seconds = cold_then_warm(lambda env: _child("fininvest", root, env, warmup))
        ref_rows = reference_rows or min(rows, REFERENCE_ROWS_MAX)
        ref_root = root
        ours_at_ref = warm
        if ref_rows != rows:
            ref_root = write_workspace(Path(tmp) / "ref", make_transactions(ref_rows), files)
            ours_at_ref, _ = cold_then_warm(lambda env: _child("fininvest", ref_root, env, warmup))
        say(f"pandas reference at {ref_rows:,} rows")
        ref = _child("pandas", ref_root)
        say("calibrating the host")
        machine = host()
    agree = all(ours_at_ref["fired"][i] == ref["fired"][i] for i in COMPARED)
    return {
        "rows": rows,
        "files": files,
        "seconds": round(warm["seconds"], 3),
        "rows_per_s": round(rows / warm["seconds"]),
        "start_seconds": round(warm["start_seconds"], 3),
        "compile_seconds": round(compile_seconds, 3),
        "peak_rss_mb": round(warm["peak_rss_mb"]),
        **cpu_report(warm),
        "input_mb": round(input_mb),
        "alerts": warm["alerts"],
        "phase_seconds": {phase: round(t, 3) for phase, t in warm["phases"].items()},
        "slowest_indicators": dict(
            sorted(
                ((i, round(t, 3)) for i, t in warm["indicator_seconds"].items()),
                key=lambda it: -it[1],
            )[:5]
        ),
        "reference": "pandas",
        "reference_rows": ref_rows,
        "reference_seconds": round(ref["seconds"], 3),
        "seconds_at_reference_rows": round(ours_at_ref["seconds"], 3),
        "ratio": round(ref["seconds"] / ours_at_ref["seconds"], 1),
        "agree": agree,
        "compared_indicators": list(COMPARED),
        "fired_counts": {i: len(ours_at_ref["fired"][i]) for i in COMPARED},
        "host": machine,
    }


if __name__ == "__main__":
    impl, root_dir, *more = sys.argv[1:]
    if impl == "fininvest":
        result = run_fininvest(Path(root_dir), Path(more[0]) if more else None)
    else:
        result = run_pandas(Path(root_dir))
    sys.stdout.write(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}, default=str))
