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

from fininvest.bench import cpu_report, host, measured, peak_rss_mb, run_child

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
def run_fininvest(csv: Path, fx: Path, work: Path) -> dict[str, Any]:
    from fininvest.formats.csvscan import scan_records
    from fininvest.ingest import ingest_files
    from fininvest.workspace import init_workspace

    scan_records(np.frombuffer(b"a,b\n1,2\n", np.uint8))  # load the cached kernel
    ws = init_workspace(work / "case")
    ingest_files(ws, [fx], copy_raw=False)
    with measured() as m:  # as `fininvest ingest` does it, the copy into raw/ included
        [s] = ingest_files(ws, [csv])
    total = ws.scan("transactions").select(pl.col("amount_base").sum()).collect().item()
    return {**m, "accepted": s.accepted, "rejected": s.rejected, "total": total}


def run_pandas(csv: Path, fx: Path, work: Path) -> dict[str, Any]:
    import pandas as pd

    from fininvest.formats.declarations import CHANNELS
    from fininvest.normalise import CURRENCIES

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


def _child(impl: str, csv: Path, fx: Path) -> dict[str, Any]:
    """Run one implementation in a fresh process (it reports its own peak RSS)."""
    with tempfile.TemporaryDirectory(dir=csv.parent) as work:
        return run_child(
            "fininvest.bench.ingest",
            [impl, str(csv), str(fx), work],
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
        say("ingesting with fininvest")
        ours = _child("fininvest", csv, fx)
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
    impl, csv_path, fx_path, work_dir = sys.argv[1:5]
    runner = run_fininvest if impl == "fininvest" else run_pandas
    result = runner(Path(csv_path), Path(fx_path), Path(work_dir))
    sys.stdout.write(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))
