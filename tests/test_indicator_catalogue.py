"""The cited indicator catalogue: complete, valid, and its loader reports every problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.indicators.catalogue import (
    FAMILIES,
    CatalogueError,
    effective_parameters,
    load_catalogue,
)
from fininvest.resources import resource_dir

from .conftest import invoke

REQUIRED_TYPOLOGIES = {
    "funnel_account", "rapid_pass_through", "structuring", "fan_in", "fan_out",
    "scatter_gather", "gather_scatter", "short_cycle", "pooled_wages", "wage_in_fast_out",
    "third_party_travel_payment", "ad_micropayments", "after_hours_venue_card",
    "shared_identifier_cluster",
}  # fmt: skip


def test_catalogue_is_complete() -> None:
    cat = load_catalogue()
    assert len(cat) >= 30
    assert {f for ind in cat.values() for f in ind.families} == set(FAMILIES)
    assert REQUIRED_TYPOLOGIES <= set(cat)
    assert any(ind.signals in ("victim", "both") for ind in cat.values())  # victim safeguard
    for ind in cat.values():
        assert ind.citations and all(c.url.startswith("https://") for c in ind.citations)


def test_loader_reports_every_problem_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "indicators"
    shutil.copytree(resource_dir("indicators"), folder)
    s = (folder / "structuring.toml").read_text()
    s = s.replace("default = 3\n", "default = 300\n")  # min_count out of range (max 100)
    s = s.replace('"transactions.amount"', '"transactions.amount_eur"')  # unknown column
    s += (
        '\n[[changes]]\ndate = 2026-12-01\nparameter = "min_hits"\nfrom = 3\nto = 4\nreason = "x"\n'
    )
    (folder / "structuring.toml").write_text(s)
    f = (folder / "fan_in.toml").read_text()
    (folder / "fan_in.toml").write_text(
        f[: f.index("[[citations]]")].replace('level = "graph"', 'level = "galaxy"')
    )
    with pytest.raises(CatalogueError) as err:
        load_catalogue(folder)
    problems = "\n".join(err.value.problems)
    assert (
        "structuring.toml: parameter 'min_count': default 300 is above the maximum 100" in problems
    )
    assert "table 'transactions' has no column 'amount_eur'" in problems
    assert "change 1: unknown parameter 'min_hits'" in problems
    assert "fan_in.toml: missing 'citations'" in problems
    assert len(err.value.problems) >= 4


def test_workspace_overrides_are_validated() -> None:
    cat = load_catalogue()
    params = effective_parameters(cat, {"structuring": {"min_count": 4}})
    assert params["structuring"]["min_count"] == 4
    assert params["funnel_account"]["pass_through"] == 0.8
    with pytest.raises(CatalogueError) as err:
        effective_parameters(cat, {"structuring": {"min_count": 0, "colour": 1}, "nope": {}})
    assert len(err.value.problems) == 3


def test_cli_lists_catalogue(runner: CliRunner) -> None:
    rows = json.loads(invoke(runner, "indicators", "--format", "json").stdout)
    assert len(rows) >= 30
    fl = json.loads(
        invoke(runner, "indicators", "--family", "forced_labour", "--format", "json").stdout
    )
    assert {r["id"] for r in fl} >= {"pooled_wages", "wage_in_fast_out"}
