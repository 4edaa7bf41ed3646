"""``fininvest demo``: the main job end to end on the committed sample case."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Run the end-to-end demo."""
