"""A default workspace (base EUR, no FX file) accepts an IBM AML transactions file: every
currency and payment format of IBM's "HI-Small_Trans.csv" layout, dates in 2022
(tests/data/ibm_aml/, written by make_sample.py beside it)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from fininvest.ingest import ingest_files
from fininvest.normalise import CURRENCY_NAMES
from fininvest.workspace import Workspace

SAMPLE = Path(__file__).parent / "data" / "ibm_aml" / "HI-Small_Trans-sample.csv"


def test_default_workspace_accepts_the_ibm_layout(ws: Workspace) -> None:
    with SAMPLE.open() as fh:
        rows = list(csv.reader(fh))[1:]
    assert {r[8].upper() for r in rows} == set(CURRENCY_NAMES)  # every IBM currency name
    assert {r[9] for r in rows} == {
        "Cheque", "ACH", "Credit Card", "Wire", "Cash", "Reinvestment", "Bitcoin",
    }  # fmt: skip
    [s] = ingest_files(ws, [SAMPLE])
    assert s.kind == "ibm_aml" and s.read == len(rows)
    assert s.accepted / s.read >= 0.99, s.notes
    assert s.accepted == s.read  # nothing in this layout is rejected
    tx = ws.scan("transactions").collect()
    assert tx.height == s.accepted
    # a currency the ECB does not quote (Saudi riyal, bitcoin; the rouble after March 2022)
    # is accepted with an empty base amount, and the summary counts it
    empty = tx.filter(pl.col("amount_base").is_null())
    assert s.no_base_amount == empty.height > 0
    assert set(empty["currency"].cast(pl.String)) <= {"SAR", "XBT", "RUB"}
    assert {"SAR", "XBT"} <= set(empty["currency"].cast(pl.String))
    assert any("no FX rate to EUR" in n for n in s.notes)
    converted = tx.filter(pl.col("currency").cast(pl.String).is_in(["USD", "JPY", "INR", "BRL"]))
    assert converted["amount_base"].null_count() == 0
    early_rub = tx.filter(
        (pl.col("currency") == "RUB") & (pl.col("ts") < pl.datetime(2022, 2, 1, time_zone="UTC"))
    )
    assert early_rub.height and early_rub["amount_base"].null_count() == 0
