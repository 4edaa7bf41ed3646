"""Case files are the owner's only: folders 0700, files 0600, whatever the umask.

A case holds names, birth dates and accounts of victims and suspects; another local user must
not be able to read any of it (the graph socket and the password were already owner-only, but
in the red-team trial the graph's snapshot and log, ``raw/``, ``tables/`` and ``quarantine/``
were world-readable). :func:`private_umask` is applied whenever a workspace is created or
opened, so everything fininvest writes afterwards (Parquet, results, the audit log) is created
owner-only; the graph server gets the same umask (:mod:`fininvest.graph.embedded`); files that
keep a source's mode when copied are narrowed with :func:`make_private`. ``fininvest status``
reports what :func:`exposed` finds (files made readable by others later, or by an older
fininvest).

Examples
--------
>>> import tempfile; from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "a.csv").write_text("x"); (root / "a.csv").chmod(0o644)
>>> [p.name for p in exposed(root)]
['a.csv']
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: permission bits of group and others; none of them may be set on a case's files
OTHERS = 0o077


def private_umask() -> int:
    """Add group and other bits to the process umask (never loosening it); the old umask."""
    old = os.umask(OTHERS)
    os.umask(old | OTHERS)
    return old


def make_private(path: Path) -> None:
    """Owner-only: 0700 for a folder, 0600 for a file (a symlink is left as it is)."""
    if path.is_symlink():
        return
    path.chmod(0o700 if path.is_dir() else 0o600)


def exposed(root: Path, limit: int = 10_000) -> list[Path]:
    """Files and folders under ``root`` (itself included) that group or others may access.

    Complexity: one ``lstat`` per entry, stopping after ``limit`` findings.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [None, *files] if folder == str(root) else files:
            path = Path(folder) if name is None else Path(folder, name)
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & OTHERS:
                found.append(path)
        for d in dirs:
            path = Path(folder, d)
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & OTHERS:
                found.append(path)
        if len(found) >= limit:
            break
    return found
