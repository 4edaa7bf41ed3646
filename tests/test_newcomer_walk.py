"""What a newcomer met walking issue 27 again: ingesting the same files twice says that nothing
changed, every command answers ``--format json``, hints name the case folder (never the
literal text ``CASE_DIR``), and an explanation counts no more items than its evidence holds."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.workspace import Workspace

from .conftest import invoke

BANK = """txn_id,timestamp,from_account,to_account,amount,currency,channel,city
T1,2025-03-01T10:00:00+01:00,DE02ACCOUNTA,DE02ACCOUNTB,1000.00,EUR,sepa,Berlin
T2,2025-03-01T12:00:00+01:00,DE02ACCOUNTB,,900.00,EUR,atm,Berlin
"""


def test_ingesting_the_same_file_again_says_nothing_changed(
    ws: Workspace, runner: CliRunner
) -> None:
    ws.path("raw", "bank.csv").write_text(BANK, encoding="utf-8")
    first = invoke(runner, "ingest", ws.root).stdout
    assert "Tables changed: transactions +2." in first
    again = invoke(runner, "ingest", ws.root).stdout
    assert "Nothing changed: the 2 accepted records were all in the case already." in again
    assert "Tables changed" not in again


def test_every_command_answers_in_json() -> None:
    """Each leaf command has ``--format`` with ``json`` (the web app's server excepted)."""
    ctx = click.Context(cli)

    def leaves(cmd: click.Command, path: str) -> list[tuple[str, click.Command]]:
        if isinstance(cmd, click.Group):
            return [leaf for name in cmd.list_commands(ctx)
                    for leaf in leaves(cmd.get_command(ctx, name), f"{path} {name}".strip())]  # type: ignore[arg-type]  # fmt: skip
        return [(path, cmd)]

    found = leaves(cli, "")
    assert len(found) > 40
    without = [
        path
        for path, cmd in found
        if not any(
            p.name == "fmt" and isinstance(p.type, click.Choice) and "json" in p.type.choices
            for p in cmd.params
        )
    ]
    assert without == ["app"]


def test_hints_name_the_case_folder(ws: Workspace, runner: CliRunner) -> None:
    ws.path("raw", "bank.csv").write_text(BANK, encoding="utf-8")
    invoke(runner, "ingest", ws.root)
    shown = runner.invoke(cli, ["show", str(ws.root), "NOPE-1"])
    assert shown.exit_code == 2 and f"fininvest search {ws.root} TEXT" in shown.stderr
    invoke(runner, "screen", ws.root)
    explained = runner.invoke(cli, ["explain", str(ws.root), "NOPE-1"])
    assert explained.exit_code == 2 and f"fininvest search {ws.root} TEXT" in explained.stderr
    for args in (("jit", "list", ws.root), ("evidence", "list", ws.root)):
        out = invoke(runner, *args).stdout
        assert str(ws.root) in out and "CASE_DIR" not in out, out
    for args in (
        ("evaluate", ws.root, "--truth", ws.root),  # no truth here: names the folder anyway
        ("share", ws.root, "--jit", "JIT-NONE", "--partner", "NL", "--preview"),
        ("assets", ws.root, "show", "AS-NONE"),
    ):
        failed = runner.invoke(cli, [str(a) for a in args])
        assert failed.exit_code != 0 and "CASE_DIR" not in failed.output + failed.stderr, args


def test_explanations_count_no_more_than_their_evidence(sample_ws: Workspace) -> None:
    """ "86 of 87 card payments at night" comes with the 86 payments (evidence_total says how
    many there were when the evidence list is cut); so for every count a sentence opens with."""
    from fininvest.screening.run import screen

    expl = screen(sample_ws).explanations
    counted = 0
    for r in expl.iter_rows(named=True):
        # repeats of one indicator are one explanation: "N findings of this kind (windows:
        # …); the strongest: <sentence>", whose evidence holds every finding's
        sentence = re.sub(r"^\d+ findings of this kind \(.*?\); the strongest: ", "", r["detail"])
        m = re.match(r"^(?:[^:]*: )?(\d[\d,]*) (?=[a-z])", sentence)
        if m:
            counted += 1
            assert r["evidence_total"] >= int(m.group(1).replace(",", "")), r
    assert counted > 100


def test_the_demo_names_every_id_and_gives_amounts_their_currency(
    tmp_path: Path, runner: CliRunner
) -> None:
    from fininvest.casefile.names import load_names
    from fininvest.workspace import open_workspace

    from .names_check import missing_in_text

    out = invoke(runner, "demo", tmp_path / "demo", "--no-serve").stdout
    names = load_names(open_workspace(tmp_path / "demo"))
    known = {i: n for i in (*names.party, *names.holder) if (n := names.name(i))}
    assert missing_in_text(out, known) == []
    register = next(line for line in out.splitlines() if line.startswith("Asset register"))
    assert re.search(r"identified [\d,]+\.\d\d EUR, frozen [\d,]+\.\d\d EUR", register), register
