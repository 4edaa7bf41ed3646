"""The synthetic case generator: determinism, realism constraints, truth kept apart."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import polars as pl

from fininvest.sample import generate_case

from .conftest import SAMPLE_DATA


def _digest(folder: Path) -> dict[str, str]:
    out = {}
    for f in sorted(folder.iterdir()):
        data = f.read_bytes()
        if f.suffix == ".gz":
            data = gzip.decompress(data)
        out[f.name] = hashlib.sha256(data).hexdigest()
    return out


def test_deterministic_per_seed(tmp_path: Path) -> None:
    a = generate_case(tmp_path / "a" / "raw", tmp_path / "a" / "truth", scale="tiny", seed=5)
    b = generate_case(tmp_path / "b" / "raw", tmp_path / "b" / "truth", scale="tiny", seed=5)
    generate_case(tmp_path / "c" / "raw", tmp_path / "c" / "truth", scale="tiny", seed=6)
    assert _digest(tmp_path / "a" / "raw") == _digest(tmp_path / "b" / "raw")
    assert _digest(tmp_path / "a" / "truth") == _digest(tmp_path / "b" / "truth")
    assert _digest(tmp_path / "a" / "raw") != _digest(tmp_path / "c" / "raw")
    assert a["transactions"] == b["transactions"]


def test_committed_sample_matches_the_generator(tmp_path: Path) -> None:
    generate_case(tmp_path / "raw", tmp_path / "truth", scale="small", seed=7, compress=True)
    assert _digest(tmp_path / "raw") == _digest(SAMPLE_DATA / "raw"), "run: make sample-data"
    assert _digest(tmp_path / "truth") == _digest(SAMPLE_DATA / "truth")


def test_sample_size_and_realism() -> None:
    summary = json.loads((SAMPLE_DATA / "truth" / "summary.json").read_text())
    assert 50_000 <= summary["transactions"] <= 100_000
    assert summary["suspicious_accounts"] / summary["accounts"] <= 0.01  # ≥ 99% legitimate
    assert len(summary["countries"]) >= 6
    assert sum(f.stat().st_size for f in SAMPLE_DATA.rglob("*") if f.is_file()) < 20 * 2**20
    chains = json.loads((SAMPLE_DATA / "truth" / "chains.json").read_text())
    assert {c["scenario"] for c in chains} == {
        "sexual_exploitation",
        "forced_labour",
        "forced_criminality",
    }
    for c in chains:
        assert [link["act"] for link in c["links"]] == [
            "transported",
            "exploited",
            "controlled_proceeds",
        ]
        assert len(c["jurisdictions"]) >= 2 and c["victims"]
    accounts = pl.read_csv(SAMPLE_DATA / "truth" / "accounts.csv")
    groups = set(accounts["lookalike_group"].drop_nulls())
    assert groups == {
        "business_traveller",
        "migrant_remitter",
        "dating_user",
        "shared_flat",
        "payroll_bureau",
        "massage_nail_business",
        "car_buyer",
        "team_lunch_organiser",
        "payg_phone_user",
    }
    persons = pl.read_csv(SAMPLE_DATA / "truth" / "persons.csv")
    assert set(persons["role"]) >= {
        "recruiter",
        "transporter",
        "exploiter",
        "controller",
        "victim",
        "none",
    }


def test_victim_accounts_are_controlled_by_others() -> None:
    accounts = pl.read_csv(SAMPLE_DATA / "raw" / "kyc_accounts.csv", infer_schema=False)
    persons = pl.read_csv(SAMPLE_DATA / "truth" / "persons.csv")
    victims = persons.filter(pl.col("role") == "victim")["party_id"]
    controlled = accounts.filter(pl.col("holder_id").is_in(victims.implode()))
    assert controlled.height and controlled["opened_by"].null_count() == 0
    ctrl = persons.filter(pl.col("role") == "controller")["party_id"].to_list()
    assert set(controlled["opened_by"]) <= set(ctrl)


def test_truth_is_not_in_raw() -> None:
    raw_names = {f.name for f in (SAMPLE_DATA / "raw").iterdir()}
    assert not raw_names & {"persons.csv", "chains.json", "accounts.csv"}
    for f in (SAMPLE_DATA / "raw").iterdir():
        head = (gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes())[:2000]
        assert b"role" not in head.split(b"\n")[0] and b"ring_id" not in head


def test_every_exploiter_and_controller_has_money() -> None:
    """The exploiters' share is planted: no key member is silent in the money tables."""
    persons = pl.read_csv(SAMPLE_DATA / "truth" / "persons.csv")
    key = persons.filter(pl.col("role").is_in(["exploiter", "controller"]))["party_id"]
    accounts = pl.read_csv(SAMPLE_DATA / "raw" / "kyc_accounts.csv", infer_schema=False)
    key_accounts = set(accounts.filter(pl.col("holder_id").is_in(key.implode()))["account_id"])
    bank = pl.read_csv(SAMPLE_DATA / "raw" / "bank_transactions.csv.gz", infer_schema=False)
    card = pl.read_csv(SAMPLE_DATA / "raw" / "card_transactions.csv.gz", infer_schema=False)
    moved = set(bank["from_account"]) | set(bank["to_account"]) | set(card["payer_account"])
    assert len(key) == 6 and key_accounts and key_accounts <= moved


def test_declared_incomes_say_nothing_of_roles() -> None:
    """Persons declare incomes from one distribution, ring members and victims included."""
    kyc = pl.read_csv(SAMPLE_DATA / "raw" / "kyc_customers.csv", infer_schema=False)
    persons = pl.read_csv(SAMPLE_DATA / "truth" / "persons.csv")
    income = kyc.join(persons, on="party_id").with_columns(
        pl.col("declared_monthly_income").cast(pl.Float64)
    )
    companies = income.filter(pl.col("kind") == "company")
    assert companies["declared_monthly_income"].null_count() == companies.height
    people = income.filter(pl.col("kind") == "person")
    declared = people["declared_monthly_income"].drop_nulls()
    assert 0.8 <= len(declared) / people.height <= 0.9
    everyone = declared.quantile(0.1), declared.quantile(0.9)
    members = people.filter(pl.col("role") != "none")["declared_monthly_income"].drop_nulls()
    assert members.len() >= 10
    assert everyone[0] <= members.median() <= everyone[1]  # type: ignore[operator]
