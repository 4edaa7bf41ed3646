"""Output conventions shared by every command.

* ``--format json`` writes exactly one JSON document to stdout; everything else (progress,
  logs, warnings) goes to stderr.
* Errors derived from :class:`fininvest.errors.FininvestError` become a message (or a JSON error
  document) and the documented exit status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# When stdout is not a terminal (pipes, CI logs), tables get a generous width instead of 80.
stdout = Console(soft_wrap=True)
if not stdout.is_terminal:
    stdout = Console(soft_wrap=True, width=200)
stderr = Console(stderr=True, soft_wrap=True)

FORMAT_KEY = "fininvest.format"


def _remember_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta[FORMAT_KEY] = value  # lets the error handler answer in JSON too
    return value


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    is_eager=True,
    callback=_remember_format,
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
        yield lambda msg: stderr.print(f"[dim]· {msg}[/dim]", highlight=False)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=max(total, 1))

        def step(msg: str) -> None:
            progress.update(task, description=msg, advance=1)

        yield step
