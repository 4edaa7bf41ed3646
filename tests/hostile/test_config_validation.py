"""fininvest.toml validated fully (exit 4 naming the file and the key) in every command that
opens a workspace, and a base-currency change that would empty a table refused unless forced.
The red-team trial: `base_currency = "XXX"` accepted (then every transaction quarantined),
a non-UTF-8 file or `graph = 5` ended in a traceback (exit 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.config import SCHEMA, schema_md, validate_config
from fininvest.errors import WorkspaceError
from tests.conftest import SAMPLE_DATA, invoke

BASE = '[case]\nname = "x"\nbase_currency = "EUR"\n'

CASES = {  # config text → what the error must name
    "xxx_currency": ('[case]\nname = "x"\nbase_currency = "XXX"\n', "[case] base_currency"),
    "gold_currency": ('[case]\nname = "x"\nbase_currency = "XAU"\n', "[case] base_currency"),
    "graph_not_table": ("graph = 5\n" + BASE, "'graph' must be a table"),
    "name_not_text": ('[case]\nname = 42\nbase_currency = "EUR"\n', "[case] name"),
    "typo_key": (BASE + "[graph]\nbakend = 'neo4j'\n", "did you mean 'backend'?"),
    "typo_table": (BASE + "[grahp]\nuri = ''\n", "did you mean '[graph]'?"),
    "indicator_param_typo": (
        BASE + "[indicators.structuring]\nwindow_dayz = 10\n",
        "[indicators.structuring]: unknown parameter 'window_dayz' (did you mean 'window_days'?)",
    ),
    "indicator_typo": (BASE + "[indicators.structurin]\n", "did you mean 'structuring'?"),
    "threshold_text": (BASE + '[thresholds.DE]\ncash = "lots"\n', "[thresholds.DE] cash"),
    "threshold_country": (BASE + "[thresholds.ZZ]\ncash = 1\n", "[thresholds.ZZ]"),
    "backend_choice": (BASE + "[graph]\nbackend = 'mysql'\n", "[graph] backend"),
    "missing_case": ("[graph]\nuri = ''\n", "missing table [case]"),
}


def _case(tmp_path: Path, runner: CliRunner) -> Path:
    invoke(runner, "init", tmp_path / "case")
    return tmp_path / "case"


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("command", [("status",), ("screen",), ("graph", "load"), ("ingest",)])
def test_bad_config_is_exit_4_naming_file_and_key(
    tmp_path: Path, runner: CliRunner, name: str, command: tuple[str, ...]
) -> None:
    case = _case(tmp_path, runner)
    text, named = CASES[name]
    (case / "fininvest.toml").write_text(text, "utf-8")
    res = runner.invoke(cli, [*command, str(case)])
    assert res.exit_code == 4, res.output
    assert str(case / "fininvest.toml") in res.output
    assert named in res.output


def test_non_utf8_config_is_exit_4(tmp_path: Path, runner: CliRunner) -> None:
    case = _case(tmp_path, runner)
    (case / "fininvest.toml").write_bytes(BASE.replace("x", "Caf\xe9").encode("latin-1"))
    res = invoke(runner, "status", case)
    assert res.exit_code == 4
    assert "not UTF-8" in res.output and "fininvest.toml" in res.output


def test_init_refuses_a_currency_that_is_not_money(tmp_path: Path, runner: CliRunner) -> None:
    res = invoke(runner, "init", tmp_path / "case", "--base-currency", "XXX")
    assert res.exit_code == 4


def test_defaults_and_docs_come_from_the_schema() -> None:
    cfg = validate_config({"case": {"name": "x", "base_currency": "USD"}})
    assert cfg["graph"]["backend"] == "embedded" and cfg["graph"]["uri"] == ""
    doc = schema_md()
    for table, spec in SCHEMA.items():
        assert f"[{table}" in doc
        for key in spec["keys"]:
            assert f"`{key}`" in doc


#: a table declared by another module, in the shape fininvest.limits declares its limits
LIMITS_LIKE = {"max_columns": (int, 2000, "Columns of a CSV header.")}


def test_a_table_declared_by_another_module_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    import fininvest.config as config

    monkeypatch.setitem(
        config.PLUGGED_TABLES, "limits", "tests.hostile.test_config_validation:LIMITS_LIKE"
    )
    base = {"case": {"name": "x", "base_currency": "EUR"}}
    assert validate_config({**base, "limits": {"max_columns": 5000}})["limits"] == {
        "max_columns": 5000
    }
    with pytest.raises(WorkspaceError) as err:
        validate_config({**base, "limits": {"max_column": 5000}})
    assert "[limits]: unknown key 'max_column' (did you mean 'max_columns'?)" in err.value.message
    with pytest.raises(WorkspaceError, match=r"\[limits\] max_columns: 0 is below"):
        validate_config({**base, "limits": {"max_columns": 0}})
    assert "`max_columns`" in schema_md()


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(WorkspaceError) as err:
        validate_config({"case": {"name": "", "base_currency": "XXX"}, "graph": 5, "x": 1})
    assert "4 problem(s)" in err.value.message


def test_base_currency_change_is_refused_unless_forced(tmp_path: Path, runner: CliRunner) -> None:
    """Re-ingesting with a new base currency would quarantine every transaction without an
    FX rate to it: the transactions table would be emptied without the user asking."""
    case = _case(tmp_path, runner)
    bank = next(p for p in (SAMPLE_DATA / "raw").iterdir() if p.name.startswith("bank"))
    shutil.copy(bank, case / "raw" / bank.name)
    assert invoke(runner, "ingest", case, "-q").exit_code == 0
    toml = case / "fininvest.toml"
    toml.write_text(toml.read_text().replace('base_currency = "EUR"', 'base_currency = "JPY"'))
    res = invoke(runner, "ingest", case, "-q")
    assert res.exit_code == 4
    assert "converted to EUR" in res.output and "--force" in res.output
    assert invoke(runner, "ingest", case, "-q", "--force").exit_code == 0
    assert invoke(runner, "ingest", case, "-q").exit_code == 0  # the change is now recorded
