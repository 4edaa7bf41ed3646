"""Which files an ingest reads, and what it says about the ones it does not.

A folder (by default the case's ``raw/``) means every regular file under it. Hidden files
(names starting with ``.``: editor and system leftovers, fininvest's own temporary copies) and
anything that is not a regular file (a folder reached through a link, a device, a pipe, a link
to nothing) are skipped, and each skip is reported, never silent. A symbolic link to a regular
file is read from its target, and ingest keeps a copy of the bytes in ``raw/`` in place of the
link (:func:`fininvest.ingest.pipeline.ingest_files`), so the evidence cannot change with the
target.
"""

from __future__ import annotations

import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Inputs:
    """The files to ingest, and a note per path skipped (file name and why)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def list_inputs(paths: list[Path]) -> Inputs:
    """Files as given; a folder means every regular file under it (hidden ones skipped, and
    said so).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("x"), (d / ".b.csv").write_text("y")
    >>> found = list_inputs([d])
    >>> [p.name for p in found.files], found.skipped
    (['a.csv'], ['.b.csv: a hidden file (its name starts with a dot); rename it to ingest it'])
    """
    out = Inputs()
    for p in paths:
        if not p.is_dir():
            out.files.append(p)  # named explicitly: read (or refused with its reason)
            continue
        for q in sorted(p.rglob("*")):
            rel = q.relative_to(p)
            hidden = next((part for part in rel.parts if part.startswith(".")), None)
            if hidden is not None:
                if hidden == rel.parts[-1]:  # said once, for the hidden entry itself
                    what = "folder" if q.is_dir() and not q.is_symlink() else "file"
                    out.skipped.append(
                        f"{shown_name(rel)}: a hidden {what} (its name starts with a dot); "
                        f"rename it to ingest it"
                    )
                continue
            reason = _not_regular(q)
            if reason == "folder":
                continue  # its files are listed by rglob
            if reason:
                out.skipped.append(f"{shown_name(rel)}: {reason}")
            else:
                out.files.append(q)
    return out


def shown_name(rel: Path) -> str:
    """A file name as it is safe to print on one line: control and format characters (a
    newline that would forge a line of output, an ANSI escape, a bidirectional override)
    written as escapes.

    >>> shown_name(Path("fake\\nline.csv"))
    'fake\\\\x0aline.csv'
    """
    return "".join(_escaped(c) for c in str(rel))


def _escaped(c: str) -> str:
    if unicodedata.category(c) not in ("Cc", "Cf"):
        return c
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def _not_regular(q: Path) -> str | None:
    """Why ``q`` is not read as an input file (None if it is: a regular file, or a link to
    one); "folder" for a real folder."""
    try:
        st = q.lstat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if stat.S_ISLNK(st.st_mode):
        try:
            target = q.stat()
        except OSError:
            return "a symbolic link to nothing (its target is missing)"
        if stat.S_ISDIR(target.st_mode):
            return "a symbolic link to a folder (not followed; copy the files instead)"
        if not stat.S_ISREG(target.st_mode):
            return "a symbolic link to something that is not a regular file"
        return None
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a device, pipe or socket)"
    return None
