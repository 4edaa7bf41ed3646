"""The ``fininvest`` console entry point: sets Polars' allocator up for the command, then runs
the CLI.

Polars allocates with jemalloc and configures it (``_RJEM_MALLOC_CONF``) when it is first
imported, which is why this module imports nothing that imports Polars. By default Polars hands
freed memory back to the system after 0.5 s. The chunked ingest frees and re-allocates the
same column buffers about once a second, so with that default nearly every buffer is
allocated afresh and every page of it faults in zeroed; keeping freed memory for 2 s lets the
next chunk reuse it. Measured at 10M rows: page faults 0.87M → 0.6M, system time about
3.5 → 2.3 s (docs/performance.md, ingest). Screening is left at Polars' default because
keeping memory raises its peak (about +70 MB at 10M rows) for no gain in time.

A ``_RJEM_MALLOC_CONF`` that the user set is always left as it is.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

ALLOCATOR_VAR = "_RJEM_MALLOC_CONF"
#: jemalloc options per command (appended to Polars' own defaults, so they take precedence).
ALLOCATOR_BY_COMMAND = {"ingest": "dirty_decay_ms:2000,muzzy_decay_ms:2000"}


def allocator_env(argv: Sequence[str]) -> dict[str, str]:
    """The environment to set before Polars loads, for the command in ``argv``.

    >>> allocator_env(["ingest", "case", "bank.csv"])
    {'_RJEM_MALLOC_CONF': 'dirty_decay_ms:2000,muzzy_decay_ms:2000'}
    >>> allocator_env(["--version"]), allocator_env(["screen", "case"])
    ({}, {})
    """
    command = next((a for a in argv if not a.startswith("-")), None)
    conf = ALLOCATOR_BY_COMMAND.get(command or "")
    if conf is None or ALLOCATOR_VAR in os.environ:
        return {}
    return {ALLOCATOR_VAR: conf}


def main() -> None:
    if "polars" not in sys.modules:
        os.environ.update(allocator_env(sys.argv[1:]))
    from fininvest.cli import main as cli_main

    # the objects of the imported libraries (Polars, numba, click…) live as long as the
    # process: keep the garbage collector from walking them again on every full collection
    gc.freeze()
    cli_main()
