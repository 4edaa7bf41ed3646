"""One writer at a time per case, and what a killed writer left behind.

:func:`workspace_lock` takes an exclusive ``fcntl`` lock on ``CASE_DIR/.fininvest.lock`` for the
commands that write the case's tables or graph (``ingest``, ``graph load``). The kernel releases
it when the process ends, however it ends (exit, exception, ``kill -9``), so a crash never leaves
the case locked; a second command gets :class:`~fininvest.errors.WorkspaceBusy` (exit status 4)
naming the pid that holds it. :func:`clean_leftovers`, run under the lock, removes the temporary
files of a writer that was killed: hidden copies in ``raw/``, temporary folders and partial
Parquet files in ``tables/`` and ``quarantine/``.

Examples
--------
>>> from pathlib import Path; import tempfile
>>> from fininvest.workspace import init_workspace
>>> ws = init_workspace(Path(tempfile.mkdtemp()) / "case")
>>> with workspace_lock(ws, "ingest"):
...     holder(ws)["command"]
'ingest'
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fininvest.errors import WorkspaceBusy
from fininvest.workspace import Workspace

LOCK_NAME = ".fininvest.lock"


def holder(ws: Workspace) -> dict[str, Any]:
    """What the lock file says about the process holding (or last holding) the lock."""
    try:
        return dict(json.loads(ws.path(LOCK_NAME).read_text("utf-8")))
    except (OSError, ValueError):
        return {}


@contextmanager
def workspace_lock(ws: Workspace, command: str) -> Iterator[None]:
    """Hold the case's writer lock for the body, or raise :class:`WorkspaceBusy` at once.

    Parameters
    ----------
    ws : the workspace.
    command : what is running (written into the lock file, shown to a second command).

    Complexity: O(1); the lock is never waited for.
    """
    path = ws.path(LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        info = holder(ws)
        raise WorkspaceBusy(
            f"another fininvest process is loading this case (pid {info.get('pid', '?')}, "
            f"{info.get('command', 'a command')} since {info.get('since', '?')})",
            hint="Wait until it has finished, then run the command again. The lock is released "
            "when that process ends, even if it is killed.",
        ) from None
    try:
        os.ftruncate(fd, 0)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, json.dumps({"pid": os.getpid(), "command": command, "since": stamp}).encode())
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def leftovers(ws: Workspace) -> list[Path]:
    """Temporary files and folders of an ingest that did not finish (only to be removed while
    holding :func:`workspace_lock`, when no other writer can be using them)."""
    found = list(ws.path("raw").glob(".tmp-*"))
    for folder in (ws.path("tables"), ws.path("quarantine")):
        if folder.is_dir():
            found += folder.rglob(".tmp-*")
            found += folder.rglob("*.partial")
    return sorted(set(found))


def clean_leftovers(ws: Workspace) -> list[str]:
    """Remove :func:`leftovers`; their paths relative to the case (for the audit log)."""
    removed = []
    for path in leftovers(ws):
        if not path.exists():  # inside a folder removed just before
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(str(path.relative_to(ws.root)))
    return removed
