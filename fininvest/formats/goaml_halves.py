"""A large goAML file parsed in two halves at once: this process takes the first, a second
process the other, and the rows are merged as one parse of the whole file would give them.

Parsing goAML is Python work for every element (:mod:`fininvest.formats.goaml`), about 200 s
per GB on the project's slower VM, on one core. The file is cut right after a ``</report>``
end tag near its middle:

* the first half is the bytes before the cut, closed with the root's end tag;
* the second is the file's prolog up to and including the root's start tag (so its XML
  declaration, encoding and namespace declarations hold), then the bytes from the cut on.

Each half goes through the same hardened parser. If both are well-formed, the cut was between
two reports directly under the root (a ``</report>`` inside a comment, a CDATA section or a
deeper element leaves a half unclosed or mismatched), so the halves hold exactly the reports of
the file. Line numbers of the second half are shifted to the file's. Anything else — a small
or compressed file, one core, no cut found, a half that does not parse, the other process
failing — and the caller parses the file in one pass, which also gives any error its message.

Merging: reports and transactions of the first half, then of the second; a party, account or
identifier already in the first half is kept as first seen there (record numbers are counted
again per kind by the pipeline).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import polars as pl

from fininvest.formats.goaml import GoamlRows, _Table, parse_stream, progress
from fininvest.limits import Limits

#: the tables of :class:`~fininvest.formats.goaml.GoamlRows`, and the key of those that keep a
#: row once
TABLES = {
    "reports": None,
    "transactions": None,
    "parties": ["party_id"],
    "accounts": ["account_id"],
    "identifiers": ["owner_id", "kind", "value"],
}

#: files below this size are parsed in one pass (starting a process costs about a second)
MIN_BYTES = 64 << 20
#: how far past the middle a ``</report>`` is looked for
SEARCH_BYTES = 16 << 20


class _Stream:
    """``head``, then ``size`` bytes of ``path`` from ``start``, then ``tail``, read as one
    binary stream."""

    def __init__(self, path: Path, start: int, size: int, head: bytes, tail: bytes) -> None:
        self._fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._fh.seek(start)
        self._left = size
        self._pending = [head] if head else []
        self._tail = tail
        #: line ends in the bytes of ``path`` read so far
        self.newlines = 0

    def read(self, n: int) -> bytes:
        if self._pending:
            return self._pending.pop()
        if self._left > 0:
            block = self._fh.read(min(n, self._left))
            self._left -= len(block)
            if block:
                self.newlines += block.count(b"\n")
                return block
            self._left = 0
        block, self._tail = self._tail, b""
        return block

    def close(self) -> None:
        self._fh.close()


def root_tag(data: bytes) -> tuple[int, bytes] | None:
    """Where the root element's start tag ends (the offset past its ``>``) and its name, from
    the first bytes of a file; None when there is a DOCTYPE (the one-pass parse refuses it), the
    encoding is not ASCII-compatible, or the tag is not within ``data``.

    >>> root_tag(b'<?xml version="1.0"?>\\n<!-- x > y -->\\n<g:reports a="1>2">\\n<report/>')
    (56, b'g:reports')
    >>> root_tag(b'<!DOCTYPE r []><reports>') is None
    True
    """
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16
    while True:
        at = data.find(b"<", at)
        if at < 0:
            return None
        if data.startswith(b"<?", at):
            at = data.find(b"?>", at)
            if at < 0:
                return None
            at += 2
        elif data.startswith(b"<!--", at):
            at = data.find(b"-->", at)
            if at < 0:
                return None
            at += 3
        elif data.startswith(b"<!", at):
            return None
        else:
            break
    end = at + 1
    while end < len(data) and data[end] not in b" \t\r\n/>":
        end += 1
    name = data[at + 1 : end]
    quote = None
    while end < len(data):
        c = data[end : end + 1]
        if quote:
            quote = None if c == quote else quote
        elif c in (b'"', b"'"):
            quote = c
        elif c == b">":
            return end + 1, name
        end += 1
    return None


def cut_point(path: Path, size: int) -> tuple[int, bytes, bytes] | None:
    """Where to cut ``path`` (past a ``</report>`` end tag at or after the middle), its prolog
    through the root's start tag, and the root's name; None when there is no such cut."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        root = root_tag(head)
        if root is None:
            return None
        prolog_end, name = root
        if name.rpartition(b":")[2] != b"reports":
            return None  # a single <report>: nothing to share
        prefix = name.rpartition(b":")[0]
        end_tag = b"</" + (prefix + b":" if prefix else b"") + b"report>"
        middle = max(size // 2, prolog_end)
        fh.seek(middle)
        window = fh.read(SEARCH_BYTES)
    found = window.find(end_tag)
    if found < 0:
        return None
    return middle + found + len(end_tag), head[:prolog_end], name


def _second_half(path: Path, at: int, size: int, out: Path) -> None:
    """Parse the second half (the prolog, in ``out/prolog``, then the file from ``at``) and
    write its tables to ``out`` as Arrow IPC files, with the report count in
    ``out/counts.json``: what the other process does. Lines are counted from the prolog's
    first; the caller shifts them to the file's."""
    stream = _Stream(path, at, size - at, (out / "prolog").read_bytes(), b"")
    try:
        rows, n_reports, n_tx = parse_stream(stream, path.name)  # type: ignore[arg-type]
    finally:
        stream.close()
    for name in TABLES:
        # compressed: read back into memory, not mapped from a folder about to go
        getattr(rows, name).frame().write_ipc(out / f"{name}.arrow", compression="lz4")
    (out / "counts.json").write_text(json.dumps({"reports": n_reports, "transactions": n_tx}))


def parse_in_halves(
    path: Path, say: Callable[[str], None] | None = None, limits: Limits | None = None
) -> tuple[GoamlRows, int] | None:
    """The rows and number of reports of ``path``, parsed in two halves at once; None when the
    file is not to be, or cannot be, parsed that way (the caller then parses it in one pass).

    The second half is parsed by ``python -m fininvest.formats.goaml_halves`` (a fresh
    interpreter: nothing of the caller's ``__main__`` is imported, as ``multiprocessing``'s
    spawn would), and read back from Arrow IPC files."""
    size = path.stat().st_size
    if size < MIN_BYTES or (os.cpu_count() or 1) < 2:
        return None
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            return None  # gzip: no seeking into the XML
    cut = cut_point(path, size)
    if cut is None:
        return None
    at, prolog, name = cut
    with tempfile.TemporaryDirectory(prefix="fininvest-goaml-") as tmp:
        out = Path(tmp)
        (out / "prolog").write_bytes(prolog)
        package_root = str(Path(__file__).resolve().parents[2])  # this very fininvest
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH")) if p
        )}  # fmt: skip
        args = [str(path.resolve()), str(at), str(size), tmp]
        child = subprocess.Popen(
            [sys.executable, "-m", "fininvest.formats.goaml_halves", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            read = progress(path, say, scale=2, note=" (about: two halves at once)")
            stream = _Stream(path, 0, at, b"", b"</" + name + b">")
            try:
                rows1, reports1, _ = parse_stream(stream, path.name, read, limits)  # type: ignore[arg-type]
            finally:
                stream.close()
            second_ok = child.wait() == 0
        except BaseException as stop:  # an interrupt too: the other process must not outlive us
            child.kill()
            child.wait()
            if isinstance(stop, Exception):
                return None  # the one-pass parse gives the error its message
            raise
        if not second_ok:
            return None
        reports2 = json.loads((out / "counts.json").read_text())["reports"]
        # the second half's lines: the prolog's (which the file has only once) for the lines
        # before the cut
        shift = stream.newlines - prolog.count(b"\n")
        rows = GoamlRows()
        for table, key in TABLES.items():
            second = pl.read_ipc(out / f"{table}.arrow").with_columns(pl.col("_line") + shift)
            setattr(rows, table, getattr(rows1, table).merged(_Table.of(second), key))
    return rows, reports1 + reports2


if __name__ == "__main__":
    _path, _at, _size, _out = sys.argv[1:]
    _second_half(Path(_path), int(_at), int(_size), Path(_out))
