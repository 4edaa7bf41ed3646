"""Tables that fit the terminal without cutting ids: an id stays whole (so that it can be
pasted into another command); other text wraps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import remember_format

F = TypeVar("F", bound=Callable[..., Any])


def keep_ids_whole(table: Table, *headers: str) -> Table:
    """Make the named columns at least as wide as their longest id (the cell's first word)
    and let every other column wrap instead of cutting with an ellipsis.

    >>> import io
    >>> from rich.console import Console
    >>> t = Table("account", "indicators")
    >>> t.add_row("NL73INGB0000008891 (Georgi Georgiev)", "structuring, " * 8)
    >>> c = Console(width=40, file=io.StringIO(), record=True)
    >>> c.print(keep_ids_whole(t, "account"))
    >>> "NL73INGB0000008891" in c.export_text()
    True
    """
    for column in table.columns:
        column.overflow = "fold"
        if column.header in headers:
            words = [str(cell).split(" ", 1)[0] for cell in column.cells]
            column.min_width = max((len(w) for w in words), default=0) or None
    return table


def csv_format_option(help_text: str) -> Callable[[F], F]:
    """``--format table|json|csv`` (the commands whose results are rows)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        is_eager=True,
        callback=remember_format,
        help=help_text,
    )


def plain(c: Console, text: str, style: str | None = None) -> None:
    """Print ``text`` as it is (names and reasons may hold ``[…]``, never read as markup)."""
    c.print(text, markup=False, style=style, highlight=False)


def plural(n: int, noun: str) -> str:
    """``n`` and the noun, in the plural unless n is 1.

    >>> plural(1, "account"), plural(3, "flow"), plural(1200, "account")
    ('1 account', '3 flows', '1,200 accounts')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def counts_text(counts: dict[str, int]) -> str:
    """Counts by label as words, not a Python dict.

    >>> counts_text({"Account": 3912, "Ad": 7}), counts_text({})
    ('Account 3,912, Ad 7', 'none')
    """
    return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"
