"""The ``fininvest`` console entry point: sets Polars' allocator up for the command, then runs
the CLI.

Polars allocates with jemalloc and configures it (``_RJEM_MALLOC_CONF``) when it is first
imported, which is why this module imports nothing that imports Polars. By default Polars hands
freed memory back to the system after 0.5 s. The chunked ingest frees and re-allocates the
same column buffers about once a second, so with that default nearly every buffer is
allocated afresh and every page of it faults in zeroed; keeping freed memory for 2 s lets the
next chunk reuse it. Measured at 10M rows: page faults 0.87M → 0.6M, system time about
3.5 → 2.3 s (docs/performance.md, ingest).

Screening is the other way round: its peak is the event build, where numpy (glibc) allocates
the event columns while jemalloc may still hold the just-freed account-id strings; with
Polars' 0.5 s the peak at 10M rows varied from 1.27 to 1.49 GB between runs, with 0.1 s it is
1.27 GB in every run (the memory goal is 3× the 424 MB input), at no measurable cost in time.

Screening also starts numpy without transparent huge pages (``NUMPY_MADVISE_HUGEPAGE=0``;
numpy asks for them on every large array by default). On this project's VM a fresh 2 MB page
cost more system time than the 512 small pages it replaces: in eleven alternating whole 10M-row
screens, the median went from 7.39 to 7.02 s and the system time from ~2.6 to ~2.15 s, with
the same peak memory (docs/performance.md, screening). Ingest was measured the same way before
and showed no difference, so it keeps numpy's default.

A ``_RJEM_MALLOC_CONF`` or ``NUMPY_MADVISE_HUGEPAGE`` that the user set is always left as it is.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

ALLOCATOR_VAR = "_RJEM_MALLOC_CONF"
#: what Polars itself sets the variable to when the user has not (polars/__init__.py)
POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
#: jemalloc options per command (appended to Polars' own defaults, so they take precedence).
ALLOCATOR_BY_COMMAND = {
    "ingest": "dirty_decay_ms:2000,muzzy_decay_ms:2000",
    "screen": "dirty_decay_ms:100,muzzy_decay_ms:100",
}
HUGEPAGE_VAR = "NUMPY_MADVISE_HUGEPAGE"
#: commands whose numpy arrays stay on small pages (see the module docstring)
SMALL_PAGES = {"screen"}


def allocator_env(argv: Sequence[str]) -> dict[str, str]:
    """The environment to set before Polars loads, for the command in ``argv``.

    >>> allocator_env(["ingest", "case", "bank.csv"])
    {'_RJEM_MALLOC_CONF': 'dirty_decay_ms:2000,muzzy_decay_ms:2000'}
    >>> allocator_env(["screen", "case"])[HUGEPAGE_VAR]
    '0'
    >>> allocator_env(["--version"]), allocator_env(["status", "case"])
    ({}, {})
    """
    command = next((a for a in argv if not a.startswith("-")), None)
    env = {}
    conf = ALLOCATOR_BY_COMMAND.get(command or "")
    # Polars writes its own default into the variable when it loads (so a benchmark parent
    # that has loaded Polars shows it): only another value is the user's
    if conf is not None and os.environ.get(ALLOCATOR_VAR) in (None, POLARS_DEFAULT):
        env[ALLOCATOR_VAR] = conf
    if command in SMALL_PAGES and HUGEPAGE_VAR not in os.environ:
        env[HUGEPAGE_VAR] = "0"
    return env


#: which library reads each variable when it is first imported: after that, setting it is moot
READ_BY = {ALLOCATOR_VAR: "polars", HUGEPAGE_VAR: "numpy"}


def main() -> None:
    env = allocator_env(sys.argv[1:])
    os.environ.update({k: v for k, v in env.items() if READ_BY[k] not in sys.modules})
    from fininvest.cli import main as cli_main

    # the objects of the imported libraries (Polars, numba, click…) live as long as the
    # process: keep the garbage collector from walking them again on every full collection
    gc.freeze()
    cli_main()
