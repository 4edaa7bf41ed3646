"""``fininvest warmup``."""

from __future__ import annotations

import click

from fininvest.cli.output import FORMAT_OPTION, emit, stages


@click.command()
@FORMAT_OPTION
def warmup(fmt: str) -> None:
    """Compile the numba kernels once, on a tiny synthetic case (about a minute).

    The first ingest and screen after installing would otherwise compile them; `make demo`
    and the install run this step. With a warm cache it takes a few seconds.

    \b
    Example:
      fininvest warmup
    """
    from fininvest.warmup import COMPILE_NOTE, kernels_cached, warm_up

    if not kernels_cached():
        click.echo(COMPILE_NOTE, err=True)
    with stages(8) as say:
        res = warm_up(say)
    emit(
        fmt,
        res,
        lambda c: c.print(
            f"warm: {res['kernels_compiled']} kernels compiled in {res['seconds']} s "
            "(0: they were already in the cache)"
        ),
    )
