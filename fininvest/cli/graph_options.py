"""Where the graph is: the case's embedded store by default, or a Neo4j server or cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def graph_options(f: F) -> F:
    """``--uri``, ``--user``, ``--password`` (also from FININVEST_NEO4J_* variables)."""
    f = click.option(
        "--password",
        envvar="FININVEST_NEO4J_PASSWORD",
        default=None,
        help="Neo4j password (better: the FININVEST_NEO4J_PASSWORD variable).",
    )(f)
    f = click.option(
        "--user", envvar="FININVEST_NEO4J_USER", default=None, help="Neo4j user (default neo4j)."
    )(f)
    return click.option(
        "--uri",
        envvar="FININVEST_NEO4J_URI",
        default=None,
        help="bolt://host:7687 or neo4j://host:7687 (cluster routing) to use Neo4j instead of "
        "the case's embedded graph store; also [graph] uri in fininvest.toml.",
    )(f)
