"""Reference FX rates (ECB, bundled): a default workspace converts the common currencies from
1999 on; the case's own rates come first; a record with no rate is accepted with an empty base
amount and counted, never rejected; `fininvest fx update|status`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from fininvest.errors import BadInput
from fininvest.fx import read_ecb, reference_rates, update
from fininvest.ingest import ingest_files
from fininvest.workspace import Workspace
from tests.conftest import invoke
from tests.test_ingest import IBM_ACC, IBM_TX

BANK = (
    "txn_id,timestamp,from_account,to_account,amount,currency,channel\n"
    "T1,2024-01-02T10:00:00Z,DE89370400440532013000,,100.00,USD,wire\n"
    "T2,1999-01-04T10:00:00Z,DE89370400440532013000,,100.00,GBP,wire\n"
    "T3,2024-01-06T10:00:00Z,DE89370400440532013000,,100.00,USD,wire\n"
    "T4,2024-01-02T10:00:00Z,DE89370400440532013000,,100.00,SAR,wire\n"
    "T5,2024-01-02T10:00:00Z,DE89370400440532013000,,100.00,EUR,wire\n"
)


def _ecb(per_eur: dict[str, float]) -> float:
    return 1 / per_eur["USD"]


def test_reference_rates_match_the_ecb_file() -> None:
    ecb = read_ecb(Path(__import__("fininvest.fx", fromlist=["x"]).bundled_file()))
    day = ecb.filter(pl.col("date") == pl.date(2024, 1, 2))
    usd, gbp = (day.filter(pl.col("currency") == c)["per_eur"][0] for c in ("USD", "GBP"))
    to_usd = reference_rates("USD").filter(pl.col("date") == pl.date(2024, 1, 2))
    assert to_usd.filter(pl.col("currency") == "GBP")["rate"][0] == pytest.approx(usd / gbp)
    assert to_usd.filter(pl.col("currency") == "EUR")["rate"][0] == pytest.approx(usd)
    assert reference_rates("XAF").is_empty()  # a base the ECB does not quote


def test_default_workspace_converts_and_keeps_records_without_a_rate(
    ws: Workspace, tmp_path: Path
) -> None:
    f = tmp_path / "bank.csv"
    f.write_text(BANK)
    [s] = ingest_files(ws, [f])
    assert (s.read, s.accepted, s.rejected) == (5, 5, 0)
    assert s.no_base_amount == 1 and any("SAR (1)" in n for n in s.notes)
    tx = ws.scan("transactions").collect().sort("txn_id")
    base = dict(zip(tx["txn_id"].to_list(), tx["amount_base"].to_list(), strict=True))
    ecb = read_ecb(Path(__import__("fininvest.fx", fromlist=["x"]).bundled_file()))

    def per_eur(day: str, cur: str) -> float:
        return float(
            ecb.filter((pl.col("date") == pl.lit(day).str.to_date()) & (pl.col("currency") == cur))[
                "per_eur"
            ][0]
        )

    assert base["T1"] == pytest.approx(100 / per_eur("2024-01-02", "USD"))
    assert base["T2"] == pytest.approx(100 / per_eur("1999-01-04", "GBP"))  # from 1999 on
    assert base["T3"] == pytest.approx(100 / per_eur("2024-01-05", "USD"))  # Saturday: Friday's
    assert base["T4"] is None  # SAR: no ECB rate; the record is kept with its own amount
    assert tx.filter(pl.col("txn_id") == "T4")["amount"][0] == 100.0
    assert base["T5"] == 100.0


def test_case_rates_come_before_the_reference(ws: Workspace, tmp_path: Path) -> None:
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,quote,rate\n2024-01-02,USD,EUR,0.5\n")
    f = tmp_path / "bank.csv"
    f.write_text(BANK)
    ingest_files(ws, [fx, f])
    tx = ws.scan("transactions").collect()
    assert tx.filter(pl.col("txn_id") == "T1")["amount_base"][0] == pytest.approx(50.0)


def test_reference_can_be_turned_off(ws: Workspace, tmp_path: Path) -> None:
    cfg = ws.path("fininvest.toml")
    cfg.write_text(cfg.read_text() + '\n[fx]\nreference = "none"\n')
    from fininvest.workspace import open_workspace

    f = tmp_path / "bank.csv"
    f.write_text(BANK)
    [s] = ingest_files(open_workspace(ws.root), [f])
    assert (s.accepted, s.no_base_amount) == (5, 4)  # all but the EUR record


def test_ibm_file_in_a_default_workspace_is_accepted(ws: Workspace, tmp_path: Path) -> None:
    tx_file, acc_file = tmp_path / "HI-Small_Trans.csv", tmp_path / "HI-Small_accounts.csv"
    tx_file.write_text(IBM_TX)
    acc_file.write_text(IBM_ACC)
    out = {s.file: s for s in ingest_files(ws, [tx_file, acc_file])}
    s = out[tx_file.name]
    assert (s.read, s.accepted, s.rejected) == (5, 4, 1)  # only the unknown payment format
    assert s.no_base_amount == 0


def test_fx_update_and_status(ws: Workspace, tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    newer = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(newer, "w") as zf:
        zf.writestr("eurofxref-hist.csv", "Date,USD,GBP,\n2030-01-02,2.0,0.5,\n")
    r = invoke(runner, "fx", "update", ws.root, "--from", newer, "--format", "json")
    assert r.exit_code == 0, r.output
    status = json.loads(invoke(runner, "fx", "status", ws.root, "--format", "json").output)
    assert status["origin"] == "workspace" and status["last"] == "2030-01-02"
    assert reference_rates("EUR", ws.root)["rate"].to_list() == [2.0, 0.5]  # GBP, USD
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(BadInput):
        update(ws.root, str(bad))
    assert status == json.loads(invoke(runner, "fx", "status", ws.root, "--format", "json").output)
