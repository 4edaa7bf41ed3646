"""The usual ISO 8601 timestamp shape parsed straight from the string bytes (numba).

Bank exports nearly always write ``YYYY-MM-DDTHH:MM:SS`` followed by nothing, ``Z`` or
``±HH:MM``. :func:`parse_usual` reads exactly that shape from the bytes of a Polars
string column, in one pass without building a string per value, and says for every other
value that it was not claimed; :func:`fininvest.normalise.parse_timestamps` hands those to its
Polars parser, so every value gets the same answer as before (checked on random near-ISO text
in ``tests/test_normalise.py``).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit, prange

#: status of a value: parsed here; null (no value); another shape (parse it elsewhere)
PARSED, MISSING, OTHER = 0, 1, 2
#: offset of a value parsed without a UTC offset (the offset stays null)
NO_OFFSET = -32768


@njit(cache=True, inline="always")
def _digits(data: np.ndarray, at: int, n: int) -> int:  # pragma: no cover - compiled
    """The n decimal digits at ``data[at:]`` as a number, or −1 if one is not a digit."""
    v = 0
    for k in range(at, at + n):
        d = int(data[k]) - 48
        if d < 0 or d > 9:
            return -1
        v = v * 10 + d
    return v


@njit(cache=True, inline="always")
def _is_space(c: int) -> bool:  # pragma: no cover - compiled
    return c == 32 or 9 <= c <= 13


@njit(cache=True, inline="always")
def _days_from_civil(y: int, m: int, d: int) -> int:  # pragma: no cover - compiled
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


#: days per month of a common year (a constant inside the compiled parsers)
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@njit(cache=True, inline="always")
def _parse_one(data: np.ndarray, lo: int, hi: int) -> tuple[int, int, int]:  # pragma: no cover
    """One value, ``data[lo:hi]``: (status, UTC milliseconds, offset minutes or
    :data:`NO_OFFSET`)."""
    while lo < hi and _is_space(data[lo]):
        lo += 1
    while hi > lo and _is_space(data[hi - 1]):
        hi -= 1
    tail = hi - lo - 19
    if not (tail == 0 or tail == 1 or tail == 6):
        return OTHER, 0, NO_OFFSET
    if (
        data[lo + 4] != 45  # -
        or data[lo + 7] != 45
        or data[lo + 10] != 84  # T
        or data[lo + 13] != 58  # :
        or data[lo + 16] != 58
    ):
        return OTHER, 0, NO_OFFSET
    y, mo, d = _digits(data, lo, 4), _digits(data, lo + 5, 2), _digits(data, lo + 8, 2)
    h, mi, s = _digits(data, lo + 11, 2), _digits(data, lo + 14, 2), _digits(data, lo + 17, 2)
    if y < 1 or mo < 1 or mo > 12 or d < 1 or h < 0 or h > 23 or mi < 0 or mi > 59:
        return OTHER, 0, NO_OFFSET
    if s < 0 or s > 59:
        return OTHER, 0, NO_OFFSET
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    if d > _MONTH_DAYS[mo - 1] + (1 if mo == 2 and leap else 0):
        return OTHER, 0, NO_OFFSET
    minutes = 0
    if tail == 1:
        if data[hi - 1] != 90 and data[hi - 1] != 122:  # Z or z
            return OTHER, 0, NO_OFFSET
    elif tail == 6:
        t = lo + 19
        sign = 1 if data[t] == 43 else (-1 if data[t] == 45 else 0)  # + or -
        oh, om = _digits(data, t + 1, 2), _digits(data, t + 4, 2)
        if sign == 0 or data[t + 3] != 58 or oh < 0 or om < 0:
            return OTHER, 0, NO_OFFSET
        minutes = sign * (oh * 60 + om)  # as the Polars path: minutes not range-checked
        if abs(minutes) > 18 * 60:
            return OTHER, 0, NO_OFFSET
    seconds = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - minutes * 60
    return PARSED, seconds * 1000, (minutes if tail > 0 else NO_OFFSET)


@njit(cache=True, parallel=True)
def _parse(
    offsets: np.ndarray, data: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Values back to back: value ``i`` is ``data[offsets[i]:offsets[i + 1]]``."""
    n = offsets.shape[0] - 1
    ms = np.zeros(n, np.int64)
    offset = np.full(n, NO_OFFSET, np.int16)
    status = np.full(n, OTHER, np.int8)
    for i in prange(n):
        if not valid[i]:
            status[i] = MISSING
            continue
        status[i], ms[i], offset[i] = _parse_one(data, offsets[i], offsets[i + 1])
    return ms, offset, status


@njit(cache=True, parallel=True)
def _parse_views(
    views: np.ndarray,
    data: np.ndarray,
    validity: np.ndarray,
    bit0: int,
    ms: np.ndarray,
    offset: np.ndarray,
    status: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Values as Arrow views into ``data`` (see :class:`~fininvest.formats.arrowview.ViewChunk`;
    ``validity`` empty: no nulls). A value of 12 bytes or fewer is stored in its view and is
    too short for the usual shape (19 bytes at least): another shape."""
    for i in prange(views.shape[0]):
        ms[i], offset[i], status[i] = 0, NO_OFFSET, OTHER
        if validity.shape[0] and not (validity[(bit0 + i) >> 3] >> ((bit0 + i) & 7)) & 1:
            status[i] = MISSING
            continue
        length = views[i, 0]
        if length > 12:
            at = int(views[i, 3])  # an int32 offset, as Arrow declares it
            status[i], ms[i], offset[i] = _parse_one(data, at, at + length)


def parse_usual(s: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the usual export shape of a String Series.

    Returns
    -------
    (ms, offset, status) : UTC milliseconds since the epoch (int64), the written UTC offset in
    minutes (int16, :data:`NO_OFFSET` when none was written) and the status per value
    (:data:`PARSED`, :data:`MISSING` for null, :data:`OTHER` for any other shape, including
    out-of-range fields such as a 31 April or a second 60, which the caller parses its own way).

    Examples
    --------
    >>> ms, off, st = parse_usual(pl.Series(["2025-03-14T21:45:10+01:00", None, "14/03/2025"]))
    >>> ms[0], int(off[0]), st.tolist()
    (np.int64(1741985110000), 60, [0, 1, 2])
    """
    s = s.cast(pl.String)
    n = s.len()
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int8)
    # imported here: fininvest.formats imports this module (through fininvest.normalise)
    from fininvest.formats.arrowview import view_chunks

    with view_chunks(s) as chunks:
        if chunks is not None:  # read where the strings are: no copy at all
            ms, offset = np.empty(n, np.int64), np.empty(n, np.int16)
            status = np.empty(n, np.int8)
            at = 0
            for c in chunks:
                k = c.views.shape[0]
                _parse_views(c.views, c.data, c.validity, c.validity_offset,
                             ms[at : at + k], offset[at : at + k], status[at : at + k])  # fmt: skip
                at += k
            return ms, offset, status
    return _parse_joined(s)


def _parse_joined(s: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`parse_usual` on the bytes of every value back to back (nulls are empty) and
    where each starts: two Polars passes and one copy, no Python string per value. For a
    column whose long strings are spread over several buffers."""
    offsets = np.zeros(s.len() + 1, np.int64)
    np.cumsum(s.str.len_bytes().fill_null(0).to_numpy(), out=offsets[1:])
    joined = s.str.join("").cast(pl.Binary).to_numpy()[0]
    return _parse(offsets, np.frombuffer(joined, np.uint8), s.is_not_null().to_numpy())
