"""Polars string columns that point into a byte buffer, built without copying the strings.

The CSV record scan already knows where every record starts and ends; for a clean piece of a
file (plain ASCII, no carriage return inside a record, quotes only around whole fields, every
record with the header's number of fields) a numba kernel writes one 16-byte Arrow *view* per
field (length, then the bytes themselves when they fit in 12, else a 4-byte prefix and the
field's offset in the buffer). The views are handed to Polars
through the Arrow C data interface (``__arrow_c_array__``, format ``vu``: UTF-8 views), which
Polars imports without copying. That replaces Polars' own CSV parse for such pieces
(docs/performance.md, ingest); every other piece is still parsed by Polars.

Memory: the buffers a column points into (the views, the validity bitmap and the file bytes)
are kept in ``_KEPT`` until Polars calls the array's release callback, i.e. until the last
Polars object using them is gone. The callbacks are made immortal, so a column that outlives
this module during interpreter shutdown still finds them.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numba import njit


class ArrowSchema(ctypes.Structure):
    pass


class ArrowArray(ctypes.Structure):
    pass


_RELEASE_SCHEMA = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
_RELEASE_ARRAY = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))

ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", _RELEASE_SCHEMA),
    ("private_data", ctypes.c_void_p),
]
ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.c_void_p),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", _RELEASE_ARRAY),
    ("private_data", ctypes.c_void_p),
]

#: what each exported array keeps alive, by the key in its ``private_data``
_KEPT: dict[int, tuple[Any, ...]] = {}
_KEYS = itertools.count(1)
_UTF8_VIEW = b"vu"
_NO_NAME = b""
#: view arrays no column uses any more, kept for the next chunk: fresh memory costs a page
#: fault per 4 KB here (128 MB of views per 1M-record chunk took 0.34 s to allocate and fill)
_POOL: list[np.ndarray] = []
_POOL_MAX = 4
#: per pooled array (by id): the array and how many columns still point into it
_IN_USE: dict[int, list[Any]] = {}


def take_views(width: int, n: int) -> np.ndarray:
    """An int32 array of shape (width, n, 4) for :func:`split_views`, reused when possible.

    Hand every column of it to :func:`string_column`; it goes back to the pool when Polars has
    released them all."""
    for i, base in enumerate(_POOL):
        if base.shape[0] == width and base.shape[1] >= n:
            del _POOL[i]
            break
    else:
        base = np.empty((width, n, 4), np.int32)
    _IN_USE[id(base)] = [base, width]
    return base[:, :n]


def give_back(views: np.ndarray) -> None:
    """Return one column of a :func:`take_views` array that was not handed to Polars."""
    base = views.base if views.base is not None else views  # numpy: the owning array
    entry = _IN_USE.get(id(base))
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] == 0:
        del _IN_USE[id(base)]
        if len(_POOL) < _POOL_MAX:
            _POOL.append(entry[0])


def _release_schema(schema: Any) -> None:
    schema.contents.release = _RELEASE_SCHEMA()


def _release_array(array: Any) -> None:
    kept = _KEPT.pop(int(array.contents.private_data or 0), None)
    if kept is not None:
        give_back(kept[0])
    array.contents.release = _RELEASE_ARRAY()


_RELEASE_SCHEMA_FN = _RELEASE_SCHEMA(_release_schema)
_RELEASE_ARRAY_FN = _RELEASE_ARRAY(_release_array)
for _fn in (_RELEASE_SCHEMA_FN, _RELEASE_ARRAY_FN):  # immortal: see the module docstring
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_fn))

_capsule = ctypes.pythonapi.PyCapsule_New
_capsule.restype = ctypes.py_object
_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class _ViewColumn:
    """One UTF-8 view column in the Arrow C data interface (consumed once by Polars)."""

    def __init__(self, views: np.ndarray, valid: np.ndarray, data: np.ndarray) -> None:
        n = valid.shape[0]
        bitmap = np.packbits(valid, bitorder="little")
        sizes = np.array([data.shape[0]], np.int64)
        # data.ctypes.data is never NULL for an empty buffer in numpy, as the spec asks
        self._buffers = (ctypes.c_void_p * 4)(
            bitmap.ctypes.data, views.ctypes.data, data.ctypes.data, sizes.ctypes.data
        )
        key = next(_KEYS)
        _KEPT[key] = (views, bitmap, data, sizes, self._buffers)
        self.schema = ArrowSchema(_UTF8_VIEW, _NO_NAME, None, 2, 0, None, None,
                                  _RELEASE_SCHEMA_FN, None)  # fmt: skip  # flags 2: nullable
        self.array = ArrowArray(n, int(n - np.count_nonzero(valid)), 0, 4, 0,
                                ctypes.cast(self._buffers, ctypes.c_void_p), None, None,
                                _RELEASE_ARRAY_FN, key)  # fmt: skip

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return (
            _capsule(ctypes.addressof(self.schema), b"arrow_schema", None),
            _capsule(ctypes.addressof(self.array), b"arrow_array", None),
        )

    def release_unused(self) -> None:
        """Release what Polars did not take (after an error); a no-op once consumed."""
        if self.array.release:
            self.array.release(ctypes.pointer(self.array))


class ArrowArrayStream(ctypes.Structure):
    pass


ArrowArrayStream._fields_ = [
    ("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                    ctypes.POINTER(ArrowSchema))),
    ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                  ctypes.POINTER(ArrowArray))),
    ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(ArrowArrayStream))),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArrayStream))),
    ("private_data", ctypes.c_void_p),
]  # fmt: skip

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


@dataclass(frozen=True)
class ViewChunk:
    """One chunk of a String Series as Arrow lays it out, read in place (no copy).

    ``views``: int32 (n, 4), one 16-byte view per value (length, then the bytes when they fit
    in 12, else a prefix, the buffer index and the offset); ``data``: the one buffer the long
    values point into (empty when every value is inline); ``validity``: the null bitmap's bytes
    (empty: no nulls), value ``i``'s bit at ``validity_offset + i``.
    """

    views: np.ndarray
    data: np.ndarray
    validity: np.ndarray
    validity_offset: int


def _numpy_at(address: int | None, n_bytes: int, dtype: type) -> np.ndarray:
    """The ``n_bytes`` at ``address`` as a numpy array (no copy; empty for none)."""
    if not address or n_bytes <= 0:
        return np.zeros(0, dtype)
    block = memoryview((ctypes.c_uint8 * n_bytes).from_address(address)).cast("B")
    return np.frombuffer(block, dtype)


@contextmanager
def view_chunks(s: pl.Series) -> Iterator[list[ViewChunk] | None]:
    """The chunks of a String Series in place, through the Arrow C stream interface
    (``__arrow_c_stream__``): valid inside the ``with`` block only, released after.

    Yields None when the Series does not come as UTF-8 views with at most one data buffer per
    chunk (then read it another way, e.g. ``str.join``): Polars keeps the long strings of a
    column built in pieces in several buffers. A column of :func:`string_column` has one.

    >>> with view_chunks(pl.Series(["a", None, "a value longer than 12 bytes"])) as chunks:
    ...     [c.views[:, 0].tolist() for c in chunks], bytes(chunks[0].data[:7])
    ([[1, 0, 28]], b'a value')
    """
    capsule = s.__arrow_c_stream__()  # owns the stream: kept alive until released below
    stream = ctypes.cast(
        _capsule_pointer(capsule, b"arrow_array_stream"), ctypes.POINTER(ArrowArrayStream)
    ).contents
    arrays: list[ArrowArray] = []
    try:
        schema = ArrowSchema()
        if stream.get_schema(ctypes.byref(stream), ctypes.byref(schema)):
            raise RuntimeError("the Arrow stream gave no schema")
        is_views = schema.format == _UTF8_VIEW
        schema.release(ctypes.byref(schema))
        chunks: list[ViewChunk] | None = [] if is_views else None
        while chunks is not None:
            array = ArrowArray()
            if stream.get_next(ctypes.byref(stream), ctypes.byref(array)):
                raise RuntimeError("the Arrow stream failed")
            if not array.release:  # the end of the stream
                break
            arrays.append(array)
            n_data = array.n_buffers - 3  # validity, views, data buffers…, their sizes
            if n_data > 1:
                chunks = None
                break
            buffers = ctypes.cast(array.buffers, ctypes.POINTER(ctypes.c_void_p))
            n = array.offset + array.length
            views = _numpy_at(buffers[1], 16 * n, np.int32).reshape(n, 4)[array.offset :]
            size = _numpy_at(buffers[n_data + 2], 8 * n_data, np.int64)
            data = (
                _numpy_at(buffers[2], int(size[0]), np.uint8)
                if n_data
                else _numpy_at(None, 0, np.uint8)
            )
            nulls = buffers[0] and array.null_count != 0
            validity = _numpy_at(buffers[0] if nulls else None, (n + 7) // 8, np.uint8)
            chunks.append(ViewChunk(views, data, validity, array.offset))
        yield chunks
    finally:
        for array in arrays:
            array.release(ctypes.byref(array))
        stream.release(ctypes.byref(stream))


def string_column(name: str, views: np.ndarray, valid: np.ndarray, data: np.ndarray) -> pl.Series:
    """A Polars String Series from Arrow views into ``data`` (no string is copied).

    Parameters
    ----------
    views : int32 array of shape (n, 4), C-contiguous: one Arrow view per value.
    valid : bool per value (False: null; its view is ignored).
    data : uint8 array the long values' views point into (kept alive as long as the Series).
    """
    if not views.flags.c_contiguous:
        raise ValueError("views must be C-contiguous")
    col = _ViewColumn(views, valid, data)
    try:
        return pl.Series(col).alias(name)  # the capsule carries no name
    finally:
        col.release_unused()


@njit(cache=True, inline="always")
def view_words(  # pragma: no cover - compiled
    first: int, more: int, length: int, offset: int
) -> tuple[int, int, int]:
    """The last three int32 words of the Arrow view of a value of ``length`` bytes (the first
    word is the length itself): its bytes when they fit in 12, else a 4-byte prefix, buffer 0
    and ``offset``. ``first`` holds the value's first 8 bytes, ``more`` the next 4 (little-endian,
    zero past the value; only the first 4 bytes are read for a long value).

    The view is written by the caller, not here, on purpose: the former ``put_view(buf, views,
    ...)``, inlined into the record split's loop, kept two atomic reference-count updates per
    array per field (``NRT_incref``/``NRT_decref`` around every inlined call, in the kernel's
    assembly), 40% of the split's time at 10M rows (3.6-4.0 against 2.2-2.3 s). A helper that
    only reads an array (:func:`value_bytes`) measured no such cost.
    """
    if length <= 12:
        return first & 0xFFFFFFFF, (first >> 32) & 0xFFFFFFFF, more & 0xFFFFFFFF
    return first & 0xFFFFFFFF, 0, offset


@njit(cache=True, inline="always")
def value_bytes(buf: np.ndarray, at: int, length: int) -> tuple[int, int]:  # pragma: no cover
    """The bytes of ``buf[at : at + length]`` that its Arrow view holds, for
    :func:`view_words`: all of them up to 12, else the first 4."""
    held = length if length <= 12 else 4
    first, more = 0, 0
    for k in range(min(held, 8)):
        first |= int(buf[at + k]) << (8 * k)
    for k in range(8, held):
        more |= int(buf[at + k]) << (8 * (k - 8))
    return first, more


def split_views(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a: int,
    b: int,
    lo: int,
    width: int,
    delim: int,
    quote: int,
    views: np.ndarray,
    valid: np.ndarray,
) -> bool:
    """Arrow views of the fields of records ``a..b-1`` (offsets relative to ``lo``, where
    ``buf`` starts in the file), for ``width`` columns: ``views[c, r]``, ``valid[c, r]``.

    As the CSV parser reads them: an empty field is null; a quoted field is its content (which
    may hold delimiters and newlines; ``""`` is the empty string). Returns False, leaving the
    outputs undefined, at the first field the views cannot stand for without copying or
    guessing: a doubled quote inside quotes, a quote inside an unquoted field or anything
    after a closing quote, a carriage return, or a record without exactly ``width`` fields.
    Such a chunk is for the CSV parser.

    A clean file's plain chunks never get here: they are scanned and split in one pass
    (:meth:`fininvest.formats.csvscan.RecordIndex.split_plain`); this is for the chunks that
    pass failed on, quoted fields mostly.
    """
    return bool(_split(buf, starts, ends, a, b, lo, width, delim, quote, views, valid))


@njit(cache=True, nogil=True)
def _split(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf, starts, ends, a, b, lo, width, delim, quote, views, valid
):
    # field by field: a quoted field is its content up to the closing quote, which must end
    # the field
    special = np.zeros(256, np.bool_)  # one load and one test per ordinary byte
    special[delim] = True
    special[quote] = True
    special[13] = True
    for r in range(b - a):
        s = starts[a + r] - lo
        e = ends[a + r] - lo
        col = 0
        fs = s
        while True:  # one field per turn, starting at fs
            if col == width:
                return False
            if fs < e and buf[fs] == quote:
                j = fs + 1
                while j < e and buf[j] != quote:
                    if buf[j] == 13:
                        return False
                    j += 1
                if j >= e or (j + 1 < e and buf[j + 1] != delim):
                    return False  # unterminated, a doubled quote, or text after the quote
                valid[col, r] = True
                at, length = fs + 1, j - fs - 1
                i = j + 1
            else:
                i = fs
                while i < e and not special[buf[i]]:
                    i += 1
                if i < e and buf[i] != delim:
                    return False  # a quote inside an unquoted field, or a carriage return
                valid[col, r] = i > fs
                at, length = fs, i - fs
            first, more = value_bytes(buf, at, length)
            views[col, r, 0] = length
            w1, w2, w3 = view_words(first, more, length, at)
            views[col, r, 1] = np.int32(np.uint32(w1))
            views[col, r, 2] = np.int32(np.uint32(w2))
            views[col, r, 3] = np.int32(np.uint32(w3))
            col += 1
            if i >= e:
                break
            fs = i + 1  # past the delimiter
        if col != width:
            return False
    return True
