"""The command line: workspace commands, JSON output, exit statuses, audit log."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fininvest.workspace import Workspace, open_workspace

from .conftest import BAD, invoke


def test_init_creates_the_layout(tmp_path: Path, runner: CliRunner) -> None:
    r = invoke(runner, "init", tmp_path / "op", "--name", "Operation Lantern", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["name"] == "Operation Lantern" and doc["base_currency"] == "EUR"
    ws = open_workspace(tmp_path / "op")
    for sub in ("raw", "tables", "quarantine", "results", "graph", "evidence", "secrets"):
        assert ws.path(sub).is_dir()
    assert oct(ws.path("secrets").stat().st_mode)[-3:] == "700"
    assert ws.thresholds()["US"]["cash"] == 10_000
    assert invoke(runner, "init", tmp_path / "op").exit_code == 4  # already a workspace


def test_missing_workspace_exit_status(tmp_path: Path, runner: CliRunner) -> None:
    r = invoke(runner, "status", tmp_path / "nowhere", "--format", "json")
    assert r.exit_code == 4
    assert json.loads(r.stdout)["error"] == "workspace"
    assert "fininvest init" in r.stderr


def test_bad_base_currency(tmp_path: Path, runner: CliRunner) -> None:
    r = invoke(runner, "init", tmp_path / "x", "--base-currency", "EURO")
    assert r.exit_code == 4 and "ISO 4217" in r.stderr


def test_ingest_and_status_json(ws: Workspace, runner: CliRunner) -> None:
    r = invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv", "--format", "json")
    assert r.exit_code == 0
    [doc] = json.loads(r.stdout)
    assert {"file", "kind", "read", "accepted", "rejected"} <= set(doc)
    r = invoke(runner, "status", ws.root, "--format", "json")
    status = json.loads(r.stdout)
    assert status["tables"]["transactions"]["rows"] == 2
    assert status["quarantine"]["records"] == 1
    assert [(e["command"], e["status"]) for e in status["last_commands"]] == [
        ("init", "ok"),
        ("ingest", "started"),  # written before the ingest changes anything
        ("ingest", "ok"),
    ]
    entry = ws.audit_entries()[-1]
    assert entry["inputs"][0]["sha256"] and entry["counts"]["rejected"] == 1


def test_human_output_goes_to_stdout_progress_to_stderr(ws: Workspace, runner: CliRunner) -> None:
    r = invoke(runner, "ingest", ws.root, BAD / "extra_columns.csv")
    assert "Ingest summary" in r.stdout and "extra_columns.csv" in r.stdout
    assert "bank records 1–2" in r.stderr


def test_info_finds_resources(runner: CliRunner) -> None:
    doc = json.loads(invoke(runner, "info", "--format", "json").stdout)
    assert set(doc["resources"]) == {"cypher", "indicators", "dashboards", "training"}


def test_sample_then_ingest_default_raw(tmp_path: Path, runner: CliRunner) -> None:
    case = tmp_path / "c"
    invoke(runner, "init", case)
    r = invoke(runner, "sample", case, "--scale", "tiny", "--seed", "3", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["transactions"] > 1000 and Path(doc["truth"]).is_dir()
    r = invoke(runner, "ingest", case, "-q", "--format", "json")
    files = json.loads(r.stdout)
    assert {f["file"] for f in files} >= {"bank_transactions.csv", "str_reports.xml"}
    assert all(f["read"] == f["accepted"] + f["rejected"] for f in files)


def test_allocator_is_set_per_command_and_user_settings_win(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The console entry point sets Polars' allocator for ingest (keep freed memory 2 s) and
    screen (0.1 s), leaves other commands at Polars' default, and never overrides a setting
    the user made (fininvest.launch)."""
    import subprocess
    import sys

    from fininvest.launch import (
        ALLOCATOR_BY_COMMAND,
        ALLOCATOR_VAR,
        HUGEPAGE_VAR,
        POLARS_DEFAULT,
        allocator_env,
    )

    monkeypatch.delenv(ALLOCATOR_VAR, raising=False)
    monkeypatch.delenv(HUGEPAGE_VAR, raising=False)
    assert allocator_env(["ingest", "case", "a.csv"]) == {
        ALLOCATOR_VAR: ALLOCATOR_BY_COMMAND["ingest"]
    }
    assert allocator_env(["screen", "case"]) == {
        ALLOCATOR_VAR: ALLOCATOR_BY_COMMAND["screen"],
        HUGEPAGE_VAR: "0",  # screening keeps numpy's arrays on small pages
    }
    monkeypatch.setenv(HUGEPAGE_VAR, "1")  # the user's own choice stands
    assert HUGEPAGE_VAR not in allocator_env(["screen", "case"])
    monkeypatch.delenv(HUGEPAGE_VAR)
    assert allocator_env(["status", "case"]) == allocator_env(["--version"]) == {}
    monkeypatch.setenv(ALLOCATOR_VAR, "dirty_decay_ms:0")
    assert allocator_env(["ingest", "case"]) == {}
    # a benchmark parent has loaded Polars, which wrote its own default: the child still gets
    # the command's setting (this was missed at first: the children ran with Polars' default)
    monkeypatch.setenv(ALLOCATOR_VAR, POLARS_DEFAULT)
    assert allocator_env(["ingest", "case"]) == {ALLOCATOR_VAR: ALLOCATOR_BY_COMMAND["ingest"]}

    # end to end: what Polars itself was started with, in a fresh process
    probe = (
        "import os, sys; sys.argv = ['fininvest', *sys.argv[1:]]; import atexit; "
        "atexit.register(lambda: print(os.environ.get('" + ALLOCATOR_VAR + "'), "
        "__import__('numpy')._core.multiarray._get_madvise_hugepage(), file=sys.stderr)); "
        "from fininvest.launch import main; main()"
    )
    monkeypatch.delenv(ALLOCATOR_VAR)
    seen, huge = {}, {}
    for cmd in ("ingest", "screen", "status"):
        p = subprocess.run(
            [sys.executable, "-c", probe, cmd, "--help"], capture_output=True, text=True, check=True
        )
        seen[cmd], huge[cmd] = p.stderr.strip().splitlines()[-1].rsplit(" ", 1)
    for cmd in ("ingest", "screen"):  # after Polars' defaults, so they take precedence
        assert seen[cmd].endswith(ALLOCATOR_BY_COMMAND[cmd])
    assert not any(conf in seen["status"] for conf in ALLOCATOR_BY_COMMAND.values())
    # what numpy itself was started with: small pages for screening only
    assert huge == {"ingest": "True", "screen": "False", "status": "True"}
