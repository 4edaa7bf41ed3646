"""Record boundaries of a delimited text file, found in one pass (numba).

The fields are read afterwards (Arrow views for plain records, else the Polars CSV parser);
this kernel tells, for every record, where it starts and ends, on which line, how many fields
it has and whether it holds non-ASCII bytes. That is what lets the ingest pipeline reject a
truncated or ragged record with its line number instead of silently padding it with nulls, and
quote the raw record in the quarantine.

The slow, obviously correct reference is :func:`scan_records_reference` (used by the tests).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fininvest.formats.arrowview import value_bytes, view_words

QUOTE = ord('"')
NEWLINE = 10
CR = 13
#: Columns whose edge bytes are tracked one by one; later columns share the last flag.
MAX_COLUMNS = 256
#: Control bytes a record's "check me" flag (``high``) is raised for, as for bytes ≥ 0x80:
#: a NUL or another control character is decided at ingest (fininvest.ingest.validate), so
#: clean ASCII chunks skip that check. Tab, line feed and carriage return are not among them.
CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])


@njit(cache=True, nogil=True)
def _scan_into(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf: np.ndarray,
    lo: int,
    hi: int,
    cls: np.ndarray,
    edge: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    nfields: np.ndarray,
    lines: np.ndarray,
    high: np.ndarray,
    n: int,
    line: int,
    edged: np.ndarray,
):
    # Scans buf[lo:hi] and writes its records into the caller's arrays from index n on, with
    # offsets into buf and line numbers counted from ``line`` (the line buf[lo] is on); a last
    # record not ended by a newline is written too. Returns (records written up to, in_quote
    # at hi, line at hi, full): full means the arrays ran out of room at a record boundary
    # (nothing written past it; the caller grows them and scans the range again).
    # cls: 0 ordinary byte, 1 delimiter, 2 quote, 3 newline, 4 control byte (flags the record
    # as ``high`` does a byte >= 0x80; a lookup keeps the loop to one load and one branch for
    # ordinary bytes); edge: space, tab and quote, looked up only for
    # the first and last byte of each field (edged[column]: some field there has one). The
    # edge check is written out at each of its three places on purpose: as a helper function
    # (even with inline="always") the scan ran 0.33-0.39 -> 0.55 s per 300 MB
    cap = starts.shape[0]
    rec_line = line
    start = lo
    fstart = lo
    fields = 1
    in_quote = False
    hi_bits = 0
    for i in range(lo, hi):
        b = buf[i]
        hi_bits |= b
        c = cls[b]
        if c == 0:
            continue
        if c == 4:
            hi_bits |= 128
            continue
        if c == 2:
            in_quote = not in_quote
        elif c == 1:
            if not in_quote:
                if i > fstart and (edge[buf[fstart]] or edge[buf[i - 1]]):
                    edged[min(fields - 1, MAX_COLUMNS - 1)] = True
                fstart = i + 1
                fields += 1
        else:
            if not in_quote:
                if n == cap:
                    return n, in_quote, line, True
                end = i
                if end > start and buf[end - 1] == CR:
                    end -= 1
                if end > fstart and (edge[buf[fstart]] or edge[buf[end - 1]]):
                    edged[min(fields - 1, MAX_COLUMNS - 1)] = True
                starts[n] = start
                ends[n] = end
                nfields[n] = fields if end > start else 0
                lines[n] = rec_line
                high[n] = hi_bits >= 128
                n += 1
                start = i + 1
                fstart = i + 1
                fields = 1
                hi_bits = 0
                rec_line = line + 1
            line += 1
    if start < hi:
        if n == cap:
            return n, in_quote, line, True
        end = hi
        if buf[end - 1] == CR:
            end -= 1
        if end > fstart and (edge[buf[fstart]] or edge[buf[end - 1]]):
            edged[min(fields - 1, MAX_COLUMNS - 1)] = True
        starts[n] = start
        ends[n] = end
        nfields[n] = fields if end > start else 0
        lines[n] = rec_line
        high[n] = hi_bits >= 128
        n += 1
    return n, in_quote, line, False


@njit(cache=True, nogil=True)
def _scan_split_plain(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf: np.ndarray,
    pos: int,
    limit: int,
    cls: np.ndarray,
    edge: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    nfields: np.ndarray,
    lines: np.ndarray,
    high: np.ndarray,
    n: int,
    line: int,
    edged: np.ndarray,
    width: int,
    views: np.ndarray,
    valid: np.ndarray,
):
    # The record scan and the Arrow views of plain records in one pass: from buf[pos] (a record
    # start on line ``line``), at most ``limit`` records are written into the index arrays from
    # index n on and their fields into views[col, r] / valid[col, r], offsets counted from pos.
    # Returns (records, position after the last one, plain): plain is False at the first byte
    # that is not (a quote, a carriage return, a byte >= 0x80, a blank line, a record of
    # another width, a chunk too long for 32-bit view offsets); what was written for earlier
    # records is still right, but the views are incomplete and the caller discards them.
    # cls: 0 ordinary byte, 1 delimiter, 2 not plain, 3 newline.
    size = buf.shape[0]
    last = width - 1
    r = 0
    start = pos
    fstart = pos
    col = 0
    i = pos
    while True:
        # the next delimiter or newline (ordinary bytes take one load and one branch)
        while i < size and cls[buf[i]] == 0:
            i += 1
        if i < size:
            c = cls[buf[i]]
            if c == 2:
                return r, start, False
        elif start == size:
            break  # the file ends with a newline
        else:
            c = 3  # a last record without a newline
        if c == 1:
            if col == last:
                return r, start, False
        elif col != last or i == start:
            return r, start, False
        if i - pos > 0x7FFFFFFF:
            return r, start, False
        if i > fstart:
            if edge[buf[fstart]] or edge[buf[i - 1]]:
                edged[min(col, MAX_COLUMNS - 1)] = True
            valid[col, r] = True
        else:
            valid[col, r] = False
        length = i - fstart
        first, more = value_bytes(buf, fstart, length)
        views[col, r, 0] = length
        w1, w2, w3 = view_words(first, more, length, fstart - pos)
        views[col, r, 1] = np.int32(np.uint32(w1))
        views[col, r, 2] = np.int32(np.uint32(w2))
        views[col, r, 3] = np.int32(np.uint32(w3))
        fstart = i + 1
        if c == 1:
            col += 1
            i += 1
            continue
        starts[n + r] = start
        ends[n + r] = i
        nfields[n + r] = width
        lines[n + r] = line + r
        high[n + r] = False
        r += 1
        start = i + 1
        col = 0
        i += 1
        if r == limit or i >= size:
            break
    return r, min(start, size), True


def scan_records(
    buf: np.ndarray, delimiter: str = ",", quote: str = '"'
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Find the records of a delimited file held in memory.

    Parameters
    ----------
    buf : uint8 array of the file's bytes.
    delimiter, quote : single ASCII characters.

    Returns
    -------
    starts, ends : int64 byte offsets of each record (end exclusive, without ``\\r\\n``).
    nfields : int32 number of fields (0 for a blank line).
    lines : int64 1-based line number where each record starts.
    high : bool, the record contains bytes ≥ 0x80 (non-ASCII: check its UTF-8) or a control
        byte (:data:`CONTROL_BYTES`: check its characters).
    open_quote : True if the file ends inside a quoted field.

    Notes
    -----
    RFC 4180 quoting: a delimiter or newline inside double quotes belongs to the field; a doubled
    quote inside quotes toggles twice and so changes nothing. O(n) in bytes, one pass; the
    kernel releases the GIL so it can run beside the Polars parse.

    Examples
    --------
    >>> import numpy as np
    >>> s, e, f, l, h, q = scan_records(np.frombuffer(b'a,b\\n1,"x\\ny"\\n', np.uint8))
    >>> f.tolist(), l.tolist()
    ([2, 2], [1, 2])
    """
    index = RecordIndex(buf, delimiter, quote)
    index.ensure(buf.shape[0] + 1)  # every record: there is at most one per byte
    starts, ends, nfields, lines, high = (col.copy() for col in index.arrays())
    return starts, ends, nfields, lines, high, index.open_quote


def _classes(delimiter: str, quote: str) -> np.ndarray:
    cls = np.zeros(256, np.uint8)
    cls[list(CONTROL_BYTES)] = 4
    cls[ord(delimiter)] = 1
    cls[ord(quote)] = 2
    cls[NEWLINE] = 3
    return cls


def _plain_classes(delimiter: str, quote: str) -> np.ndarray:
    cls = np.zeros(256, np.uint8)
    cls[128:] = 2
    cls[list(CONTROL_BYTES)] = 2
    cls[[ord(quote), CR]] = 2
    cls[ord(delimiter)] = 1
    cls[NEWLINE] = 3
    return cls


def _edges(quote: str) -> np.ndarray:
    # bytes >= 0x80 too: a field may begin or end with Unicode white space (a no-break space)
    edge = np.zeros(256, np.bool_)
    edge[[ord(" "), ord("\t"), ord(quote)]] = True
    edge[128:] = True
    return edge


def _capacity(buf: np.ndarray) -> int:
    first = bytes(buf[:65536])
    per_record = max(8, len(first) // max(1, first.count(b"\n")))  # estimate; grows if needed
    return int(buf.shape[0] // per_record + 16)


class RecordIndex:
    """Record boundaries of a large file, scanned window by window as they are needed.

    Lets the first chunk be parsed while the rest of the file is still unscanned; the result is
    identical to one scan of the whole buffer (tested against the plain-Python reference). Each
    window's records are scanned straight into arrays sized from the file (doubled if the
    estimate falls short), so asking for the arrays after every chunk costs nothing.
    """

    WINDOW = 64 << 20
    _DTYPES = (np.int64, np.int64, np.int32, np.int64, np.bool_)

    def __init__(self, buf: np.ndarray, delimiter: str = ",", quote: str = '"') -> None:
        self.buf = buf
        self.cls = _classes(delimiter, quote)
        self.plain_cls = _plain_classes(delimiter, quote)
        self.edge = _edges(quote)
        #: per column: some field so far begins or ends with a space, tab or quote (the
        #: columns that may need stripping; see :meth:`may_need_strip`)
        self.edged = np.zeros(MAX_COLUMNS, np.bool_)
        self.pos = 0  # next byte to scan (always a record start)
        self.line_base = 0
        self.count = 0
        self.done = buf.shape[0] == 0
        self.open_quote = False
        cap = _capacity(buf) if buf.shape[0] else 0
        self._cols: list[np.ndarray] = [np.empty(cap, dt) for dt in self._DTYPES]

    def _grow(self) -> None:
        """Double the room for records (the estimate from the file's first lines fell short)."""
        cap = max(2 * self._cols[0].shape[0], 16)
        grown = [np.empty(cap, dt) for dt in self._DTYPES]
        for new, old in zip(grown, self._cols, strict=True):
            new[: self.count] = old[: self.count]
        self._cols = grown

    def ensure(self, n: int, window: int = WINDOW) -> int:
        """Scan until at least ``n`` records are known or the file ends; returns the count.

        Each window of ``window`` bytes is scanned straight into the record arrays (no
        per-window arrays to allocate and copy); a record cut by the window's end is scanned
        again with the next.
        """
        size = self.buf.shape[0]
        while self.count < n and not self.done:
            end = min(self.pos + window, size)
            starts, ends, nfields, lines, high = self._cols
            upto, in_q, line, full = _scan_into(
                self.buf, self.pos, end, self.cls, self.edge, starts, ends, nfields, lines,
                high, self.count, self.line_base + 1, self.edged,
            )  # fmt: skip
            if full:
                self._grow()
                continue
            at_eof = end == size
            complete_tail = not in_q and end > self.pos and self.buf[end - 1] == NEWLINE
            keep = upto - self.count
            if not at_eof and not complete_tail:
                keep -= 1  # the last record runs past the window: rescan it next time
                if keep == 0:
                    window *= 2  # one record longer than the window
                    continue
            self.count += keep
            if at_eof:
                self.done, self.open_quote = True, bool(in_q)
            elif complete_tail:
                self.line_base = line - 1
                self.pos = end
            else:  # the cut record starts the next window
                self.line_base = int(self._cols[3][self.count]) - 1
                self.pos = int(self._cols[0][self.count])
        return self.count

    def split_plain(
        self, a: int, limit: int, width: int, views: np.ndarray, valid: np.ndarray
    ) -> int:
        """Scan records ``a, a+1, …`` (at most ``limit``) and split their fields into Arrow views
        in the same pass (``views[c, r]``, ``valid[c, r]``, offsets from record ``a``'s start;
        see :func:`fininvest.formats.arrowview.split_views`), as long as they are plain: ASCII,
        no quote or carriage return, ``width`` fields each, no blank line.

        Returns how many records were split (then the index knows them too, exactly as
        :meth:`ensure` would have found them), or 0 if record ``a`` is not known to start where
        the scan could begin, the file has no records left, or one of the records is not plain;
        then the views are to be discarded and the index keeps the records it had (its strip
        flags may already note fields the failed pass saw, which a later scan would note too).
        """
        # the kernel writes views[c, r] and valid[c, r] unchecked
        if (
            min(views.shape[0], valid.shape[0]) < width
            or min(views.shape[1], valid.shape[1]) < limit
        ):
            raise ValueError("views and valid need room for width columns and limit records")
        if a > self.count or (a == self.count and self.done):
            return 0
        while self._cols[0].shape[0] <= a:
            self._grow()
        limit = min(limit, self._cols[0].shape[0] - a)  # at most the room there is
        if a < self.count:
            pos, line = int(self._cols[0][a]), int(self._cols[3][a])
        else:
            pos, line = self.pos, self.line_base + 1
        starts, ends, nfields, lines, high = self._cols
        got, after, plain = _scan_split_plain(
            self.buf, pos, limit, self.plain_cls, self.edge, starts, ends, nfields, lines,
            high, a, line, self.edged, width, views, valid,
        )  # fmt: skip
        if not plain or got == 0:
            return 0
        if a + got > self.count:
            self.count = a + got
            self.pos = after
            self.line_base = line + got - 1
            self.done = after == self.buf.shape[0]
        return int(got)

    def may_need_strip(self, column: int) -> bool:
        """False if no field of 0-based ``column`` scanned so far begins or ends with a space,
        tab, quote or non-ASCII byte: then no parsed value of it has whitespace (ASCII or
        Unicode) at an edge or is an empty string, and the column needs no stripping."""
        return bool(self.edged[min(column, MAX_COLUMNS - 1)])

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(starts, ends, nfields, lines, high) of every record scanned so far (views)."""
        return tuple(col[: self.count] for col in self._cols)


def scan_records_reference(
    data: bytes, delimiter: str = ",", quote: str = '"'
) -> list[tuple[int, int, int, int, bool]]:
    """Plain-Python reference for :func:`scan_records`: (start, end, nfields, line, high)."""
    out = []
    d, q = ord(delimiter), ord(quote)
    start, line, rec_line, fields, in_q, high = 0, 1, 1, 1, False, False
    control = set(CONTROL_BYTES)
    for i, b in enumerate(data):
        high = high or b >= 128 or b in control
        if b == q:
            in_q = not in_q
        elif b == d and not in_q:
            fields += 1
        elif b == NEWLINE:
            if not in_q:
                end = i - 1 if i > start and data[i - 1] == CR else i
                out.append((start, end, fields if end > start else 0, rec_line, high))
                start, fields, high, rec_line = i + 1, 1, False, line + 1
            line += 1
    if start < len(data):
        end = len(data) - 1 if data[-1] == CR else len(data)
        out.append((start, end, fields if end > start else 0, rec_line, high))
    return out
