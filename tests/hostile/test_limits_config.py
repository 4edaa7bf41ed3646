"""The ``[limits]`` table of fininvest.toml: read, validated, and used by ingest."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.limits import LIMITS, Limits, limits_from_config, problems
from fininvest.workspace import Workspace

from . import corpus


def test_every_declared_limit_is_a_field_with_its_default() -> None:
    assert {k: getattr(Limits(), k) for k in LIMITS} == {k: v[1] for k, v in LIMITS.items()}


def test_problems_name_the_key() -> None:
    assert problems({}) == [] and problems({"limits": {"max_columns": 10}}) == []
    assert "unknown key 'max_colums'" in problems({"limits": {"max_colums": 10}})[0]
    for bad in (0, -1, "10", 1.5, True):
        [msg] = problems({"limits": {"max_columns": bad}})
        assert "max_columns must be a positive whole number" in msg
    assert problems({"limits": 5}) == ["'limits' must be a table ([limits])"]
    assert limits_from_config({"limits": {"max_columns": 9}}).max_columns == 9


def test_ingest_uses_the_case_limits(ws: Workspace, tmp_path: Path) -> None:
    path = corpus.wide_csv(tmp_path, 20)
    with open(ws.root / "fininvest.toml", "a") as fh:
        fh.write("\n[limits]\nmax_columns = 10\n")
    r = CliRunner().invoke(cli, ["ingest", str(ws.root), str(path)])
    assert r.exit_code == 3
    assert "its header has 28 columns, beyond the limit max_columns = 10" in r.output
    assert "[limits] max_columns = 20" in r.output  # how to raise it


def test_an_invalid_limits_table_is_a_config_error(ws: Workspace, tmp_path: Path) -> None:
    with open(ws.root / "fininvest.toml", "a") as fh:
        fh.write('\n[limits]\nmax_columns = "many"\n')
    r = CliRunner().invoke(cli, ["ingest", str(ws.root), str(corpus.quote_all_csv(tmp_path))])
    assert r.exit_code == 4 and "fininvest.toml" in r.output and "max_columns" in r.output
