"""``fininvest bench``: measured speed and memory against a reference implementation."""

from __future__ import annotations

import click


@click.group()
def bench() -> None:
    """Benchmarks that print throughput, wall time, peak memory and a same-run ratio."""
