"""Numbering the values of a text column by their Arrow views, without hashing a string.

Polars lays a String column out as 16-byte Arrow *views*: the length, then the bytes
themselves when they fit in 12 (zero past the value), else a prefix, the buffer and an offset.
So every row holding the same short value holds the same view, and so does every row of one
value read from a dictionary-encoded Parquet page (the rows point at the dictionary's copy).
A small table of views that stays in the first-level cache then does what a hash of every
string would.

Two users:

* ingest casts the closed vocabularies (currency, channel, country: all values of 12 bytes or
  fewer) to their ``Enum`` with :func:`enum_from_views`, which looks each row's view up among
  the categories' views, instead of Polars' string-by-string cast;
* screening codes the merchant and deposit city (``fininvest.screening.view_codes``): it
  numbers the views of each chunk with :func:`number_views` and reads only the few distinct
  ones back as text.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from fininvest.formats.arrowview import view_chunks


@njit(cache=True, inline="always")
def slot(key: np.uint64, bits: int) -> int:  # pragma: no cover - compiled
    """A table slot of ``2**bits`` for a hash: its top bits after a multiplication by the
    golden ratio (Fibonacci hashing), so that the slot does not rest on how well the hash's
    low bits alone are mixed."""
    return np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits))  # type: ignore[return-value]


@njit(cache=True, inline="always")
def _probe(
    key_lo: np.ndarray, key_hi: np.ndarray, code: np.ndarray, lo: int, hi: int, bits: int
) -> int:  # pragma: no cover - compiled
    """The slot of a table of ``2**bits`` slots (linear probing; ``code`` −1: empty) that
    holds the view ``(lo, hi)``, or the empty slot where it would go. Only reads the
    arrays (see docs/development.md on helpers inside kernel loops)."""
    mask = (1 << bits) - 1
    s = slot(np.uint64(lo) ^ np.uint64(hi) * np.uint64(0xC2B2AE3D27D4EB4F), bits)
    while code[s] >= 0 and (key_lo[s] != lo or key_hi[s] != hi):
        s = (s + 1) & mask
    return s


@njit(cache=True, inline="always")
def _is_null(validity: np.ndarray, validity_offset: int, i: int) -> bool:  # pragma: no cover
    """Is row ``i`` of a chunk null (its bit clear in a non-empty validity bitmap)?"""
    if validity.shape[0] == 0:
        return False
    b = validity_offset + i
    return not (validity[b >> 3] >> (b & 7)) & 1


@njit(cache=True, nogil=True)
def number_views(
    views: np.ndarray,
    validity: np.ndarray,
    validity_offset: int,
    codes: np.ndarray,
    max_distinct: int,
) -> np.ndarray | None:  # pragma: no cover - compiled
    """Number the rows' views in order of first appearance into ``codes`` (−1 for null);
    returns a row of each number, or None past ``max_distinct`` distinct views.

    ``views``, ``validity`` and ``validity_offset`` are one chunk as
    :class:`~fininvest.formats.arrowview.ViewChunk` gives it. O(n), with a table of at most
    ``2 × max_distinct`` slots (rounded up to a power of two, at least 16).
    """
    n = views.shape[0]
    bits = 4
    while (1 << bits) < 2 * max_distinct:
        bits += 1
    key_lo = np.zeros(1 << bits, np.int64)
    key_hi = np.zeros(1 << bits, np.int64)
    slot_code = np.full(1 << bits, -1, np.int32)
    first = np.empty(max_distinct, np.int64)
    used = 0
    words = views.view(np.int64).reshape(n, 2)
    for i in range(n):
        if _is_null(validity, validity_offset, i):
            codes[i] = -1
            continue
        lo, hi = words[i, 0], words[i, 1]
        s = _probe(key_lo, key_hi, slot_code, lo, hi, bits)
        if slot_code[s] < 0:
            if used == max_distinct:
                return None
            key_lo[s], key_hi[s], slot_code[s] = lo, hi, used
            first[used] = i
            used += 1
        codes[i] = slot_code[s]
    return first[:used].copy()


def enum_physical(dtype: pl.Enum) -> np.dtype:
    """The numpy type of an ``Enum``'s physical codes.

    >>> many = pl.Enum([str(i) for i in range(300)])
    >>> enum_physical(pl.Enum(["card", "cash"])), enum_physical(many)
    (dtype('uint8'), dtype('uint16'))
    """
    codes: np.ndarray = pl.Series([], dtype=dtype).to_physical().to_numpy()
    return codes.dtype


@njit(cache=True)
def _category_table(
    lo: np.ndarray, hi: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """An open-addressing table of ``2**bits`` slots holding the views ``(lo[k], hi[k])``;
    a slot's code is ``k``, −1 when empty."""
    key_lo = np.zeros(1 << bits, np.int64)
    key_hi = np.zeros(1 << bits, np.int64)
    code = np.full(1 << bits, -1, np.int64)
    for k in range(lo.shape[0]):  # distinct views: each probe ends on an empty slot
        s = _probe(key_lo, key_hi, code, lo[k], hi[k], bits)
        key_lo[s], key_hi[s], code[s] = lo[k], hi[k], k
    return key_lo, key_hi, code


@njit(cache=True, nogil=True)
def _category_codes(
    views: np.ndarray,
    validity: np.ndarray,
    validity_offset: int,
    key_lo: np.ndarray,
    key_hi: np.ndarray,
    code: np.ndarray,
    out: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Each row's category position into ``out`` (0 for null) by looking its view up in the
    table of :func:`_category_table`; False at the first view that is not there."""
    n = views.shape[0]
    bits = 0
    while (1 << bits) < code.shape[0]:
        bits += 1
    words = views.view(np.int64).reshape(n, 2)
    for i in range(n):
        if _is_null(validity, validity_offset, i):
            out[i] = 0
            continue
        s = _probe(key_lo, key_hi, code, words[i, 0], words[i, 1], bits)
        if code[s] < 0:
            return False
        out[i] = code[s]
    return True


_TABLES: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _categories_by_view(categories: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The table of :func:`_category_table` for the categories that fit in a view (12 bytes
    or fewer: every vocabulary fininvest declares), made once per list of categories."""
    key = tuple(categories)
    if key not in _TABLES:
        inline = [(k, c.encode()) for k, c in enumerate(categories) if len(c.encode()) <= 12]
        words = np.zeros((len(inline), 4), np.int32)  # length, then the bytes, zero-padded
        for row, (_, raw) in enumerate(inline):
            words[row, 0] = len(raw)
            words[row, 1:] = np.frombuffer(raw.ljust(12, b"\0"), np.int32)
        pairs = words.view(np.int64).reshape(len(inline), 2)
        bits = 4
        while (1 << bits) < 2 * max(len(inline), 1):
            bits += 1
        key_lo, key_hi, slot_index = _category_table(
            np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]), bits
        )
        positions = np.array([k for k, _ in inline] + [-1], np.int64)
        _TABLES[key] = (key_lo, key_hi, positions[slot_index])  # −1 stays −1 (empty)
    return _TABLES[key]


def enum_from_views(values: pl.Series, dtype: pl.Enum) -> pl.Series | None:
    """``values.cast(dtype)`` for a String column whose every value is one of the ``Enum``'s
    categories, from the column's views; None when that is not so.

    Parameters
    ----------
    values : a String Series (any number of chunks, sliced or not).
    dtype : the ``Enum`` to cast to.

    Returns
    -------
    The same Series as Polars' cast (same values, nulls and name), or None when a non-null
    value is not a category, or is longer than the 12 bytes a view holds (no declared
    vocabulary has such a value), or Polars does not lay the column out as views. The
    caller then casts with Polars, which decides.

    Notes
    -----
    O(n), no string read: each row's 16-byte view is looked up in a table of the categories'
    views that stays in the first-level cache. Polars 2.1 casts text to an ``Enum`` string
    by string through a hash map (28–34 ms for a 1M-row column of a bank export on the
    project's slower host; docs/performance.md, ingest).

    Examples
    --------
    >>> channel = pl.Enum(["card", "cash", "wire"])
    >>> enum_from_views(pl.Series("c", ["wire", None, "card", "wire"]), channel).to_list()
    ['wire', None, 'card', 'wire']
    >>> enum_from_views(pl.Series("c", ["wire", "Wire"]), channel) is None
    True
    """
    if values.dtype != pl.String:
        return None
    key_lo, key_hi, code = _categories_by_view(dtype.categories.to_list())
    physical = np.empty(len(values), enum_physical(dtype))
    with view_chunks(values) as chunks:
        if chunks is None:
            return None
        start = 0
        for c in chunks:
            end = start + c.views.shape[0]
            part = physical[start:end]
            if not _category_codes(
                c.views, c.validity, c.validity_offset, key_lo, key_hi, code, part
            ):
                return None
            start = end
    out = pl.Series(values.name, physical)
    if values.null_count():
        out = pl.select(pl.when(values.is_not_null()).then(out)).to_series()
    return out.cat.to(dtype)
