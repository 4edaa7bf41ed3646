"""Compressed input read as a stream, within the limits of :mod:`fininvest.limits`.

A ``.gz`` input is never decompressed whole into memory: it is read block by block, each
block's output bounded (``zlib``'s ``max_length``), and refused as soon as its decompressed
size or its compression ratio passes the limit. A CSV is decompressed this way into an unnamed
temporary file (nothing is left behind if the process is killed) which is then memory-mapped
like a plain file; goAML is parsed straight from the stream (:class:`GzipStream`).
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from fininvest.errors import BadInput
from fininvest.limits import RATIO_AFTER_BYTES, Limits

GZIP_MAGIC = b"\x1f\x8b"
#: decompressed bytes produced at a time
BLOCK = 1 << 20
#: compressed bytes read at a time (small: the ratio is checked after each)
READ = 1 << 16


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def gunzip_blocks(path: Path, limits: Limits) -> Iterator[bytes]:
    """The decompressed bytes of gzip file ``path``, in blocks of at most :data:`BLOCK`.

    Several gzip members one after the other are read as one stream (as ``gzip`` does);
    zero bytes after the last member are ignored.

    Raises
    ------
    LimitExceeded : the output passes ``max_decompressed_bytes``, or ``max_compression_ratio``
        once :data:`~fininvest.limits.RATIO_AFTER_BYTES` have been produced.
    BadInput : the file is truncated or not gzip.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.gz"
    >>> _ = p.write_bytes(gzip.compress(b"x,y\\n1,2\\n"))
    >>> b"".join(gunzip_blocks(p, Limits()))
    b'x,y\\n1,2\\n'
    """
    name = path.name
    d = zlib.decompressobj(31)
    size_in = size_out = 0
    member_open = False
    with open(path, "rb") as fh:
        pending = b""
        while True:
            if not pending:
                pending = fh.read(READ)
                size_in += len(pending)
                if not pending:
                    break
            if not member_open:
                if size_out and not pending.strip(b"\0"):
                    pending = b""  # zero padding after the last member
                    continue
                member_open = True
            try:
                out = d.decompress(pending, BLOCK)
            except zlib.error as exc:
                raise BadInput(
                    f"{name}: not a readable gzip file ({exc})",
                    hint="Compress the export again (gzip), or send it uncompressed.",
                ) from exc
            pending = d.unconsumed_tail
            if d.eof:
                pending = d.unused_data
                d = zlib.decompressobj(31)
                member_open = False
            if out:
                size_out += len(out)
                if size_out > limits.max_decompressed_bytes:
                    raise limits.refuse(
                        name,
                        "max_decompressed_bytes",
                        f"it expands to more than {size_out:,} bytes",
                    )
                if size_out >= RATIO_AFTER_BYTES and size_out > limits.max_compression_ratio * max(
                    size_in, 1
                ):
                    raise limits.refuse(
                        name,
                        "max_compression_ratio",
                        f"{size_in:,} compressed bytes already expand to {size_out:,} "
                        f"(ratio {size_out // max(size_in, 1):,})",
                    )
                yield out
    if member_open:
        raise BadInput(
            f"{name}: the gzip data ends before its end (truncated file?)",
            hint="Copy or download the file again; the compressed file is incomplete.",
        )


def gunzip_to_memmap(path: Path, limits: Limits, scratch: Path | None = None) -> np.ndarray:
    """The decompressed bytes of ``path`` as a read-only memory map of an unnamed temporary
    file in ``scratch`` (the system's temporary folder if None): disk, not memory, holds
    them, within ``limits``."""
    with tempfile.TemporaryFile(dir=scratch) as tmp:
        for block in gunzip_blocks(path, limits):
            tmp.write(block)
        tmp.flush()
        if tmp.tell() == 0:
            return np.zeros(0, np.uint8)
        # the map holds its own reference to the file: it lives on, unnamed, until unmapped
        return np.memmap(tmp, dtype=np.uint8, mode="r")


class GzipStream:
    """A gzip file as a binary stream with ``read(n)`` (for the goAML parser), within
    ``limits``."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self._blocks = gunzip_blocks(path, limits)
        self._buf = b""
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes (all that is left if ``n`` < 0); empty at the end."""
        if n < 0:
            rest = [self._buf[self._pos :], *self._blocks]
            self._buf, self._pos = b"", 0
            return b"".join(rest)
        while self._pos >= len(self._buf):
            block = next(self._blocks, None)
            if block is None:
                return b""
            self._buf, self._pos = block, 0
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def close(self) -> None:
        self._blocks.close()  # type: ignore[attr-defined]

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_input(path: Path, limits: Limits) -> BinaryIO | GzipStream:
    """``path`` opened for reading its (decompressed) bytes as a stream."""
    if is_gzip(path):
        return GzipStream(path, limits)
    return open(path, "rb")
