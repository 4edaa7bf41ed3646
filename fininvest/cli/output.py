"""Output conventions shared by every command.

* ``--format json`` writes exactly one JSON document to stdout; everything else (progress,
  logs, warnings) goes to stderr.
* Text from the data is never read as markup (the consoles below have it off) and its control
  characters are shown escaped (:func:`printable`), so a file name cannot forge a line.
* Every CSV goes through :func:`csv_safe`: a cell that a spreadsheet would run as a formula
  gets a leading ``'`` (OWASP's rule); JSON and Parquet stay exact.
* Errors derived from :class:`fininvest.errors.FininvestError` become a message (or a JSON error
  document) and the documented exit status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# Text from the data (ids, names, file names, CSV headers) is printed as it is: no console
# reads rich markup ("[/x]" in a holder id crashed `screen`) or ":emoji:" codes in what it prints.
# Styles are given as `style=` or `rich.text.Text`, never as markup in a string.
# When stdout is not a terminal (pipes, CI logs), tables get a generous width instead of 80.
stdout = Console(soft_wrap=True, markup=False, emoji=False)
if not stdout.is_terminal:
    stdout = Console(soft_wrap=True, width=200, markup=False, emoji=False)
stderr = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

if TYPE_CHECKING:  # polars is imported where a CSV is written, not by every command's start
    import polars as pl

FORMAT_KEY = "fininvest.format"


def remember_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta[FORMAT_KEY] = value  # lets the error handler answer in JSON too
    return value


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    is_eager=True,
    callback=remember_format,
    help="table: human-readable; json: one JSON document on stdout for scripts.",
)


def emit(fmt: str, data: Any, render: Callable[[Console], None]) -> None:
    """Write ``data`` as JSON, or call ``render`` for the human-readable form."""
    if fmt == "json":
        sys.stdout.write(json.dumps(data, default=str, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        render(stdout)


@contextmanager
def stages(total: int, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr advancing one step per reported stage."""
    if quiet:
        yield lambda _msg: None
        return
    if not stderr.is_terminal:
        yield lambda msg: stderr.print("· " + printable(msg), style="dim", highlight=False)
        return
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=max(total, 1))

        def step(msg: str) -> None:
            progress.update(task, description=printable(msg), advance=1)

        yield step


#: Characters a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    r"""``text`` with its control characters (newline, carriage return, escape, …) written as
    escapes, so that text from the data cannot start a line or drive the terminal.

    >>> printable("fake\nError: x.csv\x1b[31m")
    'fake\\nError: x.csv\\x1b[31m'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def safe_cell(value: object) -> object:
    """One CSV cell by OWASP's rule, for writers that build rows themselves (``csv.writer``):
    text starting like a formula gets a leading ``'``; anything else is returned as it is.

    >>> safe_cell("=1+1"), safe_cell("ES61"), safe_cell(-5)
    ("'=1+1", 'ES61', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every text cell that starts like a formula prefixed with ``'``.

    A spreadsheet opening the CSV shows the text instead of running it. Numbers are numbers
    in the CSV and are left alone.

    >>> import polars as pl
    >>> csv_safe(pl.DataFrame({"id": ["=HYPERLINK(1)", "ES61", "-5", "@SUM(1)"]}))["id"].to_list()
    ["'=HYPERLINK(1)", 'ES61', "'-5", "'@SUM(1)"]
    """
    import polars as pl

    text = [c for c, t in df.schema.items() if t == pl.String or t == pl.Categorical]
    if not text:
        return df
    starts = "^[" + "".join("\\" + c if c in "-^]\\" else c for c in FORMULA_START) + "]"
    return df.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(starts))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )


def write_csv(df: pl.DataFrame, target: Any = None) -> str | None:
    """The one way fininvest writes CSV: :func:`csv_safe` cells, to ``target`` (a path or a
    file) or returned as text when ``target`` is None."""
    out: str | None = csv_safe(df).write_csv(target)
    return out
