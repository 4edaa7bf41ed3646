"""``fininvest search`` (names in any accents and case, account numbers in any spacing, phones
in any format) and ``fininvest show`` (an entity card), from the workspace tables alone."""

from __future__ import annotations

import json
from typing import Any

import phonenumbers
import polars as pl
import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.workspace import Workspace

from .conftest import invoke


@pytest.fixture(scope="module")
def person(sample_ws: Workspace) -> dict[str, Any]:
    """A person of the sample with an account (with IBAN) and a phone."""
    phones = (
        sample_ws.scan("identifiers")
        .filter((pl.col("kind") == "phone") & (pl.col("owner_kind") == "party"))
        .select("owner_id", "value")
    )
    acc = sample_ws.scan("accounts").filter(pl.col("iban").is_not_null())
    row = (
        sample_ws.scan("parties")
        .filter(pl.col("kind") == "person")
        .join(phones, left_on="party_id", right_on="owner_id")
        .join(
            acc.select("holder_id", "account_id", "iban"), left_on="party_id", right_on="holder_id"
        )  # fmt: skip
        .sort("party_id")
        .head(1)
        .collect()
    )
    found: dict[str, Any] = row.to_dicts()[0]
    return found


def _search(runner: CliRunner, ws: Workspace, text: str) -> set[str]:
    doc = json.loads(invoke(runner, "search", ws.root, text, "--format", "json").stdout)
    return {m["id"] for m in doc["matches"]}


def test_search_names_ignore_accents_case_and_order(
    sample_ws: Workspace, person: dict[str, Any], runner: CliRunner
) -> None:
    words = person["name"].split()
    accented = " ".join(reversed(words)).upper().replace("E", "É").replace("A", "Á")
    assert person["party_id"] in _search(runner, sample_ws, accented)


def test_search_accounts_in_any_spacing(
    sample_ws: Workspace, person: dict[str, Any], runner: CliRunner
) -> None:
    iban = person["iban"]
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert person["account_id"] in _search(runner, sample_ws, spaced)


def test_search_phones_in_any_format(
    sample_ws: Workspace, person: dict[str, Any], runner: CliRunner
) -> None:
    number = phonenumbers.parse(person["value"])
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = "00 " + phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    ).lstrip("+")
    for text in (national, international, person["value"]):
        assert person["party_id"] in _search(runner, sample_ws, text), text


def test_show_gives_the_card_with_provenance(
    sample_ws: Workspace, person: dict[str, Any], runner: CliRunner
) -> None:
    doc = json.loads(
        invoke(runner, "show", sample_ws.root, person["party_id"], "--format", "json").stdout
    )
    assert doc["kind"] == "party" and doc["name"] == person["name"]
    assert doc["properties"]["name"] == person["name"]
    assert doc["provenance"][0]["source_file"] and doc["provenance"][0]["source_line"]
    assert person["account_id"] in {a["account_id"] for a in doc["accounts"]}
    assert person["value"] in {i["value"] for i in doc["identifiers"]}
    for section in ("alerts", "chains", "assets", "intelligence"):
        assert isinstance(doc[section], list)
    table = invoke(runner, "show", sample_ws.root, person["party_id"]).stdout
    assert person["name"] in table and person["account_id"] in table
    acc = json.loads(
        invoke(runner, "show", sample_ws.root, person["account_id"], "--format", "json").stdout
    )
    assert acc["kind"] == "account" and acc["holder_id"] == person["party_id"]


def test_show_intelligence_carries_its_grading(sample_ws: Workspace, runner: CliRunner) -> None:
    link = sample_ws.scan("intel_links").head(1).collect().to_dicts()[0]
    doc = json.loads(
        invoke(runner, "show", sample_ws.root, link["subject_id"], "--format", "json").stdout
    )
    (mine,) = [i for i in doc["intelligence"] if i["link_id"] == link["link_id"]]
    assert mine["grading"] == f"{link['source_reliability']}{link['info_credibility']}"


def test_show_an_unknown_id_is_a_usage_error(sample_ws: Workspace, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["show", str(sample_ws.root), "NOPE-1"])
    assert res.exit_code == 2 and "fininvest search" in res.stderr
