"""``fininvest bench ingest``: canonical bank CSV → validated, normalised Parquet.

Generates N rows of realistic text (IBAN-like string ids, ISO 8601 timestamps with offsets, a
few per cent in a foreign currency, cash rows without a paying account), then runs in fresh
processes, one after the other:

* ``fininvest`` — the real ingest pipeline (``ingest_files``): record scan, Polars parse,
  declared validation, FX conversion, duplicate check, provenance, Parquet + quarantine,
  and the copy of the file into the workspace's raw/ folder, as ``fininvest ingest`` makes it;
* ``pandas`` — the same checks written the way an analyst would in pandas (reference).

Both must accept and reject the same records and agree on the converted total. Wall time is
measured inside each process around the ingest call (interpreter start-up excluded); peak RSS
is the process's maximum resident set (``wait4``).

The ingest has numba kernels too (the record scan, the view codes, the repeated-id bitmap).
Each fininvest process first ingests a small file of the same generator (the warm start,
``start_seconds``), which loads them from the numba cache or, with an empty cache, compiles
them; the fininvest side runs twice, with an empty cache and then with the cache it filled,
and ``compile_seconds`` is what the empty cache added. Before, a first benchmark on a fresh
checkout compiled inside the timed ingest (9.5 s instead of 4.4–4.7 s at 10M rows).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fininvest.bench import cold_then_warm, cpu_report, host, measured, peak_rss_mb, run_child

CHANNEL_MIX = {"card": 0.35, "sepa": 0.2, "p2p": 0.15, "cash": 0.08, "atm": 0.1, "wire": 0.07,
               "payroll": 0.05}  # fmt: skip


def make_bank_csv(path: Path, rows: int, seed: int = 1) -> Path:
    """Write ``rows`` canonical bank transactions (plus 0.1% defective rows)."""
    rng = np.random.default_rng(seed)
    n_acc = max(1000, rows // 20)
    acc = rng.zipf(1.6, rows) % n_acc
    cp = rng.integers(0, n_acc, rows)
    channels = np.array(list(CHANNEL_MIX))
    channel = rng.choice(channels, rows, p=np.array(list(CHANNEL_MIX.values())))
    cash_in = channel == "cash"
    ts = 1_735_689_600 + np.sort(rng.integers(0, 365 * 86_400, rows))
    df = pl.DataFrame(
        {
            "i": np.arange(rows),
            "acc": acc,
            "cp": cp,
            "ts": ts,
            "channel": channel,
            "cash_in": cash_in,
            "amount": np.round(rng.lognormal(4.0, 1.2, rows), 2),
            "foreign": rng.random(rows) < 0.03,
            "bad": rng.random(rows) < 0.001,
        }
    )
    out = df.select(
        pl.format("TX{}", pl.col("i")).alias("txn_id"),
        (pl.from_epoch("ts", "s").dt.strftime("%Y-%m-%dT%H:%M:%S") + "+01:00").alias("timestamp"),
        pl.when(pl.col("cash_in"))
        .then(None)
        .otherwise(pl.format("DE{}", pl.col("acc").cast(pl.String).str.zfill(20)))
        .alias("from_account"),
        pl.when(pl.col("channel") == "atm")
        .then(None)
        .otherwise(pl.format("DE{}", pl.col("cp").cast(pl.String).str.zfill(20)))
        .alias("to_account"),
        pl.when(pl.col("bad"))
        .then(pl.lit("-1.00"))
        .otherwise(pl.col("amount").cast(pl.String))
        .alias("amount"),
        pl.when(pl.col("foreign")).then(pl.lit("RON")).otherwise(pl.lit("EUR")).alias("currency"),
        pl.col("channel"),
        pl.when(pl.col("cash_in") | (pl.col("channel") == "atm"))
        .then(pl.lit("Hamburg"))
        .otherwise(None)
        .alias("city"),
    )
    out.write_csv(path)
    return path


def make_fx_csv(path: Path) -> Path:
    days = pl.date_range(pl.date(2024, 12, 20), pl.date(2026, 1, 5), "1d", eager=True)
    pl.DataFrame({"date": days, "currency": "RON", "quote": "EUR", "rate": 0.2011}).write_csv(path)
    return path


# ----------------------------------------------------------------------------- children
def run_fininvest(csv: Path, fx: Path, work: Path, warmup: Path | None = None) -> dict[str, Any]:
    """Ingest ``csv`` (with the rates ``fx``) into a new workspace under ``work``, timed. With
    ``warmup``, ingest that (small) file into a workspace of its own first and report it as
    ``start_seconds``: it loads every kernel from the numba cache, or compiles it."""
    from fininvest.ingest import ingest_files
    from fininvest.workspace import init_workspace

    start: dict[str, Any] = {}
    if warmup is not None:
        with measured() as w:
            ws = init_workspace(work / "warmup")
            ingest_files(ws, [fx], copy_raw=False)
            ingest_files(ws, [warmup])
        start = {"start_seconds": w["seconds"]}
    ws = init_workspace(work / "case")
    ingest_files(ws, [fx], copy_raw=False)
    with measured() as m:  # as `fininvest ingest` does it, the copy into raw/ included
        [s] = ingest_files(ws, [csv])
    total = ws.scan("transactions").select(pl.col("amount_base").sum()).collect().item()
    return {**m, **start, "accepted": s.accepted, "rejected": s.rejected, "total": total}


def run_pandas(csv: Path, fx: Path, work: Path) -> dict[str, Any]:
    import pandas as pd

    from fininvest.codes import CURRENCIES
    from fininvest.formats.declarations import CHANNELS

    t0 = time.perf_counter()
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    ts = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True, errors="coerce")
    off = df["timestamp"].str.extract(r"([+-])(\d{2}):?(\d{2})$")
    offset = (off[1].astype(float) * 60 + off[2].astype(float)) * off[0].map({"+": 1, "-": -1})
    amount = pd.to_numeric(df["amount"], errors="coerce")
    currency = df["currency"].str.strip().str.upper()
    channel = df["channel"].str.strip().str.lower()
    bad = (
        (df["txn_id"].str.strip() == "")
        | ts.isna()
        | amount.isna()
        | (amount < 0)
        | ~currency.isin(CURRENCIES)
        | ~channel.isin(CHANNELS)
        | ((df["from_account"] == "") & (df["to_account"] == ""))
    )
    bad |= df["txn_id"].duplicated() & ~bad
    rates = pd.read_csv(fx, parse_dates=["date"])
    good = df[~bad].assign(
        ts=ts[~bad],
        ts_offset_min=offset[~bad],
        amount=amount[~bad],
        currency=currency[~bad],
        channel=channel[~bad],
    )
    good["day"] = good["ts"].dt.tz_localize(None).dt.normalize()
    good = good.merge(
        rates.rename(columns={"date": "day"})[["day", "currency", "rate"]],
        on=["day", "currency"],
        how="left",
    )
    good["amount_base"] = good["amount"].where(
        good["currency"] == "EUR", good["amount"] * good["rate"]
    )
    good.drop(columns=["day", "rate"]).to_parquet(work / "transactions.parquet")
    df[bad].assign(line=df.index[bad] + 2).to_parquet(work / "quarantine.parquet")
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "accepted": int((~bad).sum()),
        "rejected": int(bad.sum()),
        "total": float(good["amount_base"].sum()),
    }


#: rows of the file a fininvest child ingests before the timed run (its warm start)
WARMUP_ROWS = 2_000


def _warmup_csv(path: Path) -> Path:
    """The warm start's file: :data:`WARMUP_ROWS` rows of the same generator, its last record
    repeated, so that the check for repeated ids (only run when there are candidates) loads or
    compiles its kernels too."""
    make_bank_csv(path, WARMUP_ROWS, seed=2)
    last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[1]
    with path.open("ab") as f:
        f.write(last + b"\n")
    return path


def _child(
    impl: str, csv: Path, fx: Path, env: dict[str, str] | None = None, warmup: Path | None = None
) -> dict[str, Any]:
    """Run one implementation in a fresh process (it reports its own peak RSS)."""
    with tempfile.TemporaryDirectory(dir=csv.parent) as work:
        return run_child(
            "fininvest.bench.ingest",
            [impl, str(csv), str(fx), work, *([str(warmup)] if warmup else [])],
            env,
            as_command="ingest" if impl == "fininvest" else None,
        )


def bench_ingest(
    rows: int, *, reference: bool = True, workdir: Path | None = None, progress: Any = None
) -> dict[str, Any]:
    """Generate, ingest with fininvest and with pandas, compare; returns the figures."""
    say = progress or (lambda _m: None)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        csv = Path(tmp) / "bank.csv"
        say(f"generating {rows:,} rows")
        make_bank_csv(csv, rows)
        fx = make_fx_csv(Path(tmp) / "fx.csv")
        size_mb = csv.stat().st_size / 2**20
        warmup = _warmup_csv(Path(tmp) / "warmup.csv")
        say("ingesting with fininvest, first with an empty numba cache (compile), then warm")
        ours, compile_seconds = cold_then_warm(
            lambda env: _child("fininvest", csv, fx, env, warmup)
        )
        ref = None
        if reference:
            say("ingesting with the pandas reference")
            ref = _child("pandas", csv, fx)
        say("calibrating the host")
        machine = host()
    out: dict[str, Any] = {
        "rows": rows,
        "csv_mb": round(size_mb, 1),
        "seconds": round(ours["seconds"], 3),
        "rows_per_s": round(rows / ours["seconds"]),
        "start_seconds": round(ours["start_seconds"], 3),
        "compile_seconds": round(compile_seconds, 3),
        "peak_rss_mb": round(ours["peak_rss_mb"]),
        **cpu_report(ours),
        "accepted": ours["accepted"],
        "rejected": ours["rejected"],
        "host": machine,
    }
    if ref is not None:
        agree = (
            ref["accepted"] == ours["accepted"]
            and ref["rejected"] == ours["rejected"]
            and abs(ref["total"] - ours["total"]) <= 1e-6 * max(1.0, abs(ref["total"]))
        )
        out.update(
            reference="pandas",
            reference_seconds=round(ref["seconds"], 3),
            reference_peak_rss_mb=round(ref["peak_rss_mb"]),
            ratio=round(ref["seconds"] / ours["seconds"], 2),
            agree=agree,
        )
    return out


if __name__ == "__main__":
    impl, csv_path, fx_path, work_dir, *more = sys.argv[1:]
    if impl == "fininvest":
        result = run_fininvest(
            Path(csv_path), Path(fx_path), Path(work_dir), Path(more[0]) if more else None
        )
    else:
        result = run_pandas(Path(csv_path), Path(fx_path), Path(work_dir))
    sys.stdout.write(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))
