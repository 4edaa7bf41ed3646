"""Read CSV and Parquet files into all-text frames aligned with a declared record kind.

The frame has one text column per declared field (named by the field's table column), plus
``_record_no``, ``_line`` and ``_problem`` (a structural problem that rejects the whole record:
wrong number of fields, bytes that are not UTF-8, a blank line).
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fininvest.errors import BadInput, ColumnProblem, SchemaMismatch
from fininvest.formats.arrowview import give_back, split_views, string_column, take_views
from fininvest.formats.compressed import gunzip_blocks, gunzip_to_memmap, is_gzip
from fininvest.formats.csvscan import RecordIndex
from fininvest.formats.fields import RecordKind
from fininvest.limits import Limits

#: The column marking the CSV records that hold a byte other than printable ASCII (the record
#: scan's ``high``): where it is false for a whole chunk, validation skips the character
#: checks (NUL, invisible characters in ids). Frames without it (Parquet, goAML) are checked.
SUSPECT = "_suspect"

DELIMITERS = (",", ";", "\t", "|")
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def canon(name: str) -> str:
    """Header names are compared case-, space-, dash- and underscore-insensitively."""
    return "".join(ch for ch in name.strip().lower() if ch not in " _-\ufeff")


#: Records per chunk: large files are validated, converted and written chunk by chunk, so
#: memory stays bounded and every step stays in its linear regime (docs/performance.md).
CHUNK_RECORDS = 1_000_000
#: Bytes scanned to find the header and the first record (the chunks scan the rest, so that a
#: clean file is scanned and split in one pass: :func:`_split_plain`).
HEADER_WINDOW = 1 << 16
#: Bytes handed to the Polars CSV parser at a time (below glibc's largest mmap threshold).
PIECE_BYTES = 16 << 20
#: Bytes of Arrow views one chunk may take (16 per field): a wide file is read in chunks of
#: fewer records, so memory follows the data, not columns × CHUNK_RECORDS. A file of up to
#: 32 columns keeps chunks of CHUNK_RECORDS.
VIEW_BUDGET = 512 << 20


def chunk_records(width: int, size: int) -> int:
    """Records per chunk of a file of ``size`` bytes with ``width`` columns: within
    :data:`VIEW_BUDGET`, and no more than the file can hold (a record of ``width`` fields
    takes at least ``width`` bytes), so that the views of a small wide file are small."""
    width = max(width, 1)
    return max(1, min(CHUNK_RECORDS, VIEW_BUDGET // (16 * width), size // width + 2))


@dataclass
class RawRecords:
    """A file read as text, ready for validation, in one frame or in chunks."""

    frame: pl.DataFrame
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    _source: Path | None = None
    _buf: np.ndarray | None = None
    _starts: np.ndarray | None = None
    _ends: np.ndarray | None = None
    _chunks: Callable[[], Iterator[pl.DataFrame]] | None = None
    _may_strip: Callable[[], set[str]] | None = None
    records: int = -1

    def __post_init__(self) -> None:
        if self.records < 0:
            self.records = self.frame.height

    def chunks(self) -> Iterator[pl.DataFrame]:
        """The records as frames of at most CHUNK_RECORDS rows."""
        if self._chunks is None:
            yield self.frame
        else:
            yield from self._chunks()

    def strip_candidates(self) -> set[str] | None:
        """The columns of the chunks read so far where some value may have whitespace at an
        edge or be empty (a superset, known from the record scan), or None if not known."""
        return None if self._may_strip is None else self._may_strip()

    def raw_text(self, record_nos: Sequence[int] | np.ndarray) -> list[str]:
        """The raw text of the given 1-based records (for the quarantine)."""
        if self._buf is None or self._starts is None or self._ends is None:
            rows = self.frame.filter(pl.col("_record_no").is_in(list(record_nos)))
            cols = [c for c in rows.columns if not c.startswith("_")]
            text = {
                r[0]: json.dumps(
                    {c: v for c, v in zip(cols, r[1:], strict=True) if v is not None},
                    ensure_ascii=False,
                )
                for r in rows.select("_record_no", *cols).iter_rows()
            }
            return [text[no] for no in record_nos]
        # index 0 of the arrays is the header; a memoryview slices without numpy's per-slice
        # cost (a file of millions of rejected lines spent most of its time here)
        nos = np.asarray(record_nos, dtype=np.int64)
        view = memoryview(self._buf)  # type: ignore[arg-type]  # numpy arrays are buffers
        return [
            view[s:e].tobytes().decode("utf-8", "replace")
            for s, e in zip(self._starts[nos].tolist(), self._ends[nos].tolist(), strict=True)
        ]


def load_bytes(path: Path, limits: Limits | None = None, scratch: Path | None = None) -> np.ndarray:
    """The file's bytes as a uint8 array: memory-mapped (no copy; the page cache holds them).
    A gzip file is decompressed as a stream into an unnamed temporary file in ``scratch``,
    within ``limits`` (:func:`fininvest.formats.compressed.gunzip_to_memmap`), and that is
    mapped: memory never holds the decompressed file."""
    if path.stat().st_size == 0:
        return np.zeros(0, np.uint8)
    if is_gzip(path):
        return gunzip_to_memmap(path, limits or Limits(), scratch)
    return np.memmap(path, dtype=np.uint8, mode="r")


def read_head(path: Path, limits: Limits | None = None) -> bytes:
    """The first line of a file (gunzipped for ``*.gz``), read in full however long it is,
    with the bytes read with it; at most ``max_field_bytes`` (else :class:`LimitExceeded`)."""
    limits = limits or Limits()
    if is_gzip(path):
        blocks = gunzip_blocks(path, limits)
    else:
        blocks = _plain_blocks(path)
    got: list[bytes] = []
    size = 0
    try:
        for block in blocks:
            got.append(block)
            size += len(block)
            if b"\n" in block:
                break
            if size > limits.max_field_bytes:
                raise limits.refuse(
                    path.name,
                    "max_field_bytes",
                    f"its header line is longer than {limits.max_field_bytes:,} bytes",
                )
    finally:
        blocks.close()  # type: ignore[attr-defined]
    return b"".join(got)


def _plain_blocks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(size):
            yield block


def header_end(buf: np.ndarray, file: str, limits: Limits) -> int:
    """Where the first line of ``buf`` ends (its newline, or the end of ``buf``), however long
    the line is, up to ``max_field_bytes``."""
    step = 1 << 16
    for at in range(0, buf.shape[0], step):
        i = bytes(buf[at : at + step]).find(b"\n")
        if i >= 0:
            return at + i
        if at + step > limits.max_field_bytes:
            raise limits.refuse(
                file, "max_field_bytes", f"its header line is longer than {at + step:,} bytes"
            )
    return int(buf.shape[0])


def check_columns(names: Sequence[str], file: str, limits: Limits) -> None:
    """Refuse a header of more than ``max_columns`` columns, before anything is allocated per
    column."""
    if len(names) > limits.max_columns:
        raise limits.refuse(file, "max_columns", f"its header has {len(names):,} columns")


def first_line(data: bytes) -> str:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)].rstrip(b"\r")
    return line.decode("utf-8-sig", "replace")


def sniff_delimiter(header: str, kind: RecordKind | None = None) -> str:
    """The delimiter that splits the header into the most known column names (or fields)."""
    known = {canon(f.name) for f in kind.fields} if kind else set()

    def score(d: str) -> tuple[int, int]:
        parts = header.split(d)
        return (sum(canon(p.strip('"')) in known for p in parts), len(parts))

    return max(DELIMITERS, key=score)


def split_header(header: str, delimiter: str) -> list[str]:
    return [p.strip().strip('"') for p in header.split(delimiter)]


def match_header(
    kind: RecordKind, names: list[str], file: str
) -> tuple[list[int | None], list[str]]:
    """Map each declared field to a column index; list every problem at once.

    Returns the column index per field (None for an absent optional field) and the names of
    extra columns that will be ignored.
    """
    problems: list[ColumnProblem] = []
    if kind.positional:
        idx: list[int | None] = []
        for i, f in enumerate(kind.fields):
            if i < len(names) and canon(names[i]) == canon(f.name):
                idx.append(i)
            elif i >= len(names) and not f.required:
                idx.append(None)
            else:
                got = names[i] if i < len(names) else "(missing)"
                problems.append(
                    ColumnProblem(f.name, f"expected at position {i + 1}, found '{got}'")
                )
                idx.append(None)
        extra = names[len(kind.fields) :]
    else:
        lookup: dict[str, int] = {}
        dupes = []
        for i, n in enumerate(names):
            if canon(n) in lookup:
                dupes.append(n)
            lookup.setdefault(canon(n), i)
        for d in dupes:
            problems.append(ColumnProblem(d, "appears more than once"))
        idx = []
        used: set[int] = set()
        for f in kind.fields:
            hit: int | None = next(
                (lookup[canon(a)] for a in (f.name, *f.aliases) if canon(a) in lookup), None
            )
            idx.append(hit)
            if hit is not None:
                used.add(hit)
        extra = [n for i, n in enumerate(names) if i not in used and n not in dupes]
        for f, col in zip(kind.fields, idx, strict=True):
            if col is None and f.required:
                close = difflib.get_close_matches(f.name, extra, n=1, cutoff=0.6)
                problems.append(
                    ColumnProblem(f.name, "required column is missing", close[0] if close else None)
                )
    if problems:
        raise SchemaMismatch(
            file=file,
            kind_name=kind.name,
            problems=problems,
            expected=[f.name + ("" if f.required else " (optional)") for f in kind.fields],
        )
    return idx, extra


def detect_csv_kind(header: str, kinds: Sequence[RecordKind]) -> RecordKind | None:
    """The declared kind whose required columns all appear in the header (most matches wins).

    If no kind has all its required columns, the kind with clearly the most of them (at least
    half, and at least three columns) is returned, so that the user gets the full list of
    missing columns for the layout they evidently meant instead of "unknown kind".
    """
    best: tuple[int, RecordKind] | None = None
    partial: list[tuple[float, int, RecordKind]] = []
    for kind in kinds:
        if "csv" not in kind.formats:
            continue
        delim = sniff_delimiter(header, kind)
        names = [canon(n) for n in split_header(header, delim)]
        if kind.positional:
            req = [canon(f.name) for f in kind.fields if f.required]
            if names[: len(req)] == req:
                score = len(kind.fields) + 100
            else:
                continue
        else:
            present = {canon(a) for f in kind.fields for a in (f.name, *f.aliases)} & set(names)
            required = [canon(f.name) in names for f in kind.fields if f.required]
            if not all(required):
                partial.append((sum(required) / len(required), len(present), kind))
                continue
            score = len(present)
        if best is None or score > best[0]:
            best = (score, kind)
    if best:
        return best[1]
    partial.sort(key=lambda t: (t[0], t[1]), reverse=True)
    if partial and partial[0][0] >= 0.5 and partial[0][1] >= 3:
        if len(partial) == 1 or partial[1][:2] < partial[0][:2]:
            return partial[0][2]
    return None


def read_csv(
    path: Path, kind: RecordKind, limits: Limits | None = None, scratch: Path | None = None
) -> RawRecords:
    """Read a delimited text file as all-text columns for ``kind``, with record metadata.

    ``limits`` (defaults if None) bound the header's length and columns, each record's length
    and, for a gzip file, its decompressed size and ratio (decompressed into an unnamed file in
    ``scratch``); a file beyond one is refused whole (:class:`LimitExceeded`)."""
    limits = limits or Limits()
    buf = load_bytes(path, limits, scratch)
    if not bytes(buf[:65536]).strip():
        raise BadInput(f"{path.name}: the file is empty", hint="Export the data again.")
    header = first_line(bytes(buf[: header_end(buf, path.name, limits) + 1]))
    delim = sniff_delimiter(header, kind)
    names = split_header(header, delim)
    check_columns(names, path.name, limits)
    idx, extra = match_header(kind, names, path.name)
    notes = []
    if delim != ",":
        notes.append(f"{_DELIM_NAMES[delim]}-delimited file")
    if extra:
        notes.append("extra columns ignored: " + ", ".join(extra))
    index = RecordIndex(buf, delim)  # scanned window by window, as chunks need it
    empty = pl.DataFrame(
        {f.out: pl.Series([], dtype=pl.String) for f in kind.fields}
        | {
            "_record_no": pl.Series([], dtype=pl.Int64),
            "_line": pl.Series([], dtype=pl.Int64),
            "_problem": pl.Series([], dtype=pl.String),
        }
    )
    if index.ensure(2, window=HEADER_WINDOW) <= 1:
        if index.open_quote:
            notes.append("the file ends inside a quoted field (truncated?)")
        return RawRecords(empty, delim, notes + ["header only: no records"])
    width = len(names)
    cut = bool(buf[-1] != ord("\n"))

    def chunk(a: int, b: int, last: bool, table: pl.DataFrame | None) -> pl.DataFrame:
        """Records a..b-1 (1-based record numbers; index 0 of the arrays is the header),
        from ``table`` if they were already split (:func:`_split_plain`), else parsed."""
        starts, ends, nfields, lines, high = index.arrays()
        _check_lengths(starts, ends, lines, a, b, path.name, limits)
        malformed: list[int] = []
        if table is None:
            table, malformed = _parse_records(buf, starts, a, b, delim, width, high, ends)
        if table.height != b - a:
            raise BadInput(
                f"{path.name}: found {b - a} records from record {a} but the CSV parser read "
                f"{table.height}",
                hint="The file mixes line endings or quoting in a way fininvest cannot align; "
                "re-export it as RFC 4180 CSV.",
            )
        # absent optional columns are simply not there; validation treats them as null
        frame = table.select(
            pl.col(f"c{i}").alias(f.out)
            for f, i in zip(kind.fields, idx, strict=True)
            if i is not None
        )
        nf = pl.Series("_nf", nfields[a:b])
        is_last = (pl.int_range(pl.len()) == (b - 1 - a)) & pl.lit(last)
        problem = (
            pl.when(nf == 0)
            .then(pl.lit("blank line"))
            .when(nf != width)
            .then(
                pl.format(
                    "record has {} fields but the header has "
                    + str(width)
                    + (" (truncated last line?)" if last and index.open_quote else ""),
                    nf,
                )
            )
            .otherwise(pl.lit(None, pl.String))
        )
        if malformed:
            bad = np.zeros(b - a, np.bool_)
            bad[np.asarray(malformed) - a] = True
            problem = (
                pl.when(pl.Series(bad) & problem.is_null())
                .then(pl.lit(MALFORMED_QUOTES))
                .otherwise(problem)
            )
        if cut:
            problem = (
                pl.when(is_last & problem.is_not_null())
                .then(problem + " — the file ends mid-record (truncated?)")
                .otherwise(problem)
            )
        frame = frame.with_columns(
            pl.Series("_record_no", np.arange(a, b, dtype=np.int64)),
            pl.Series("_line", lines[a:b]),
            problem.alias("_problem"),
            # records holding a byte other than printable ASCII: their characters are checked
            pl.Series(SUSPECT, high[a:b]),
        )
        if high[a:b].any():
            text_cols = [c for c in frame.columns if not c.startswith("_")]
            bad_utf8 = frame.select(
                pl.any_horizontal(pl.col(c).str.contains("\ufffd", literal=True) for c in text_cols)
            ).to_series() & pl.Series(high[a:b])
            frame = frame.with_columns(
                pl.when(bad_utf8 & pl.col("_problem").is_null())
                .then(pl.lit("bytes that are not valid UTF-8; re-export the file as UTF-8"))
                .otherwise(pl.col("_problem"))
                .alias("_problem")
            )
        return frame

    raw = RawRecords(empty, delim, notes, path, buf)

    def chunks() -> Iterator[pl.DataFrame]:
        a = 1
        full = chunk_records(width, int(buf.shape[0]))
        valid = np.empty((width, full), np.bool_)  # reused: packed into bitmaps
        while True:
            size = _chunk_size(index, a, full)
            table = _split_plain(index, buf, a, size, width, valid, full) if views_enabled else None
            if table is not None:
                b = a + table.height
            else:
                total = index.ensure(a + size + 1)  # one more: is b the end?
                b = min(a + size, total)
            if b <= a:
                break
            yield chunk(a, b, last=index.done and b == index.count, table=table)
            a = b
        if index.open_quote:
            notes.append("the file ends inside a quoted field (truncated?)")
        raw.records = index.count - 1
        raw._starts, raw._ends = index.arrays()[:2]

    raw._chunks = chunks
    raw._may_strip = lambda: {
        f.out
        for f, i in zip(kind.fields, idx, strict=True)
        if i is not None and index.may_need_strip(i)
    }
    raw.records = 0  # known once all chunks have been read
    return raw


MALFORMED_QUOTES = (
    "malformed quoting: quote the whole field and double every quote inside it (RFC 4180), "
    'as in "say ""hi"""'
)


def _parse_records(
    buf: np.ndarray,
    starts: np.ndarray,
    a: int,
    b: int,
    delim: str,
    width: int,
    high: np.ndarray | None = None,
    ends: np.ndarray | None = None,
) -> tuple[pl.DataFrame, list[int]]:
    """Parse records ``a..b-1``: one all-text row each, plus the records the parser refused
    (malformed quoting; those get a row of nulls).

    Plain records (ASCII, no carriage return, quotes only around whole fields and never
    doubled, the header's number of fields: a clean export) are not parsed at all: a numba
    kernel writes Arrow views of their fields, which Polars takes without copying
    (:mod:`fininvest.formats.arrowview`; the same frame as the parser's, hypothesis-tested).
    Everything else goes to the Polars CSV parser.

    The bytes go to Polars in pieces of at most PIECE_BYTES: a Python bytes object that small
    comes from the reused heap, a larger one is a fresh mmap whose every page faults
    (docs/performance.md, ingest). A piece Polars refuses is halved until the refused records
    are found, so one bad record costs a few re-parses, never the file.

    ``high`` (per record: holds a byte ≥ 0x80, from the record scan) lets a piece of plain
    ASCII be parsed as strict UTF-8, which Polars validates about 20% faster than with
    ``utf8-lossy``; the answer is the same, since ASCII has nothing to replace. A piece with
    non-ASCII bytes is read lossily, so invalid bytes become U+FFFD for the caller to reject.
    """
    schema = {f"c{i}": pl.String for i in range(width)}

    def end(q: int) -> int:
        # up to the next record, so a blank last line keeps its newline and is read as the
        # empty row it is
        return int(starts[q]) if q < starts.shape[0] else int(buf.shape[0])

    def parse(p: int, q: int, malformed: list[int]) -> pl.DataFrame:
        ascii_only = high is not None and not high[p:q].any()
        try:
            return pl.read_csv(
                io.BytesIO(buf[int(starts[p]) : end(q)].tobytes()),
                has_header=False,
                separator=delim,
                schema=schema,
                truncate_ragged_lines=True,
                encoding="utf8" if ascii_only else "utf8-lossy",
                raise_if_empty=False,
                missing_columns="insert",
                extra_columns="ignore",  # a ragged first record (flagged by the caller)
            )
        except pl.exceptions.PolarsError:
            if q - p == 1:
                malformed.append(p)
                return pl.DataFrame({c: [None] for c in schema}, schema=schema)
            mid = (p + q) // 2
            return pl.concat([parse(p, mid, malformed), parse(mid, q, malformed)], rechunk=False)

    malformed: list[int] = []
    if views_enabled and high is not None and ends is not None and not high[a:b].any():
        table = _split_clean(buf, starts, ends, a, b, end(b), delim, width)
        if table is not None:
            return table, malformed
    cuts = np.searchsorted(starts[a:b], np.arange(int(starts[a]), end(b), PIECE_BYTES), "right")
    edges = [a + int(c) - 1 for c in cuts[1:]] + [b]
    pieces = [parse(p, q, malformed) for p, q in zip([a, *edges[:-1]], edges, strict=True) if q > p]
    return pl.concat(pieces, rechunk=False), malformed


#: plain ASCII records are split into Arrow views by a numba kernel instead
#: of being parsed by Polars (fininvest.formats.arrowview); off only to compare the two paths
views_enabled = True


def _check_lengths(
    starts: np.ndarray,
    ends: np.ndarray,
    lines: np.ndarray,
    a: int,
    b: int,
    file: str,
    limits: Limits,
) -> None:
    """Refuse the file if one of records ``a..b-1`` is longer than ``max_field_bytes`` (one
    vectorised pass over the record index; a record bounds each of its fields)."""
    long = np.flatnonzero(ends[a:b] - starts[a:b] > limits.max_field_bytes)
    if long.shape[0]:
        r = a + int(long[0])
        raise limits.refuse(
            file,
            "max_field_bytes",
            f"record {r:,} (line {int(lines[r]):,}) is {int(ends[r] - starts[r]):,} bytes long",
        )


def _chunk_size(index: RecordIndex, a: int, full: int = CHUNK_RECORDS) -> int:
    """How many records the chunk from record ``a`` takes: CHUNK_RECORDS, but halving over
    the file's last 1.5 chunks (estimated from the bytes per record so far, down to an eighth
    of a chunk), so that the last chunk is small: nothing else runs while it is validated and
    written, so its size is time that no other work overlaps."""
    if a < 2 or a > index.count:
        return full
    starts = index.arrays()[0]
    at = int(starts[a]) if a < index.count else index.pos
    per_record = (at - int(starts[1])) / (a - 1)
    left = (index.buf.shape[0] - at) / max(per_record, 1.0)
    if left > 1.5 * full:
        return full
    return max(full // 8, int(left) // 2, 1)


def _split_plain(
    index: RecordIndex,
    buf: np.ndarray,
    a: int,
    size: int,
    width: int,
    valid: np.ndarray,
    full: int = CHUNK_RECORDS,
) -> pl.DataFrame | None:
    """The next chunk of records from record ``a`` on, scanned and split into Arrow views in
    one pass (:meth:`RecordIndex.split_plain`), or None if it is not plain (then it is scanned
    and parsed as usual). A clean export is read this way from its first record to its last,
    each byte looked at once."""
    views = take_views(width, full)  # full size: the pool serves every chunk
    n = index.split_plain(a, size, width, views, valid)
    if n == 0:
        for c in range(width):
            give_back(views[c])
        return None
    starts, ends = index.arrays()[:2]
    data = buf[int(starts[a]) : int(ends[a + n - 1])]
    return pl.DataFrame(
        [string_column(f"c{c}", views[c, :n], valid[c, :n], data) for c in range(width)]
    )


def _split_clean(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a: int,
    b: int,
    stop: int,
    delim: str,
    width: int,
) -> pl.DataFrame | None:
    """Records ``a..b-1`` as all-text columns pointing into ``buf`` (no copy), or None when
    one of them is not plain (a doubled or stray quote, a carriage return, another number of
    fields)."""
    lo = int(starts[a])
    if stop - lo > 0x7FFFFFFF:  # a view's offset is 32 bits
        return None
    data = buf[lo:stop]
    views = take_views(width, b - a)
    valid = np.empty((width, b - a), np.bool_)
    if not split_views(data, starts, ends, a, b, lo, width, ord(delim), ord('"'), views, valid):
        for c in range(width):  # nothing was handed to Polars: the array goes back now
            give_back(views[c])
        return None
    return pl.DataFrame([string_column(f"c{c}", views[c], valid[c], data) for c in range(width)])


def _as_text(s: pl.Series) -> pl.Series:
    if isinstance(s.dtype, pl.Datetime):
        if s.dtype.time_zone:
            return s.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f")
    if isinstance(s.dtype, pl.Date):
        return s.dt.strftime("%Y-%m-%d")
    return s.cast(pl.String)


#: Parquet column types read as text (anything else, such as a list or a struct, is refused
#: naming the column: fininvest reads flat records)
FLAT_TYPES = (pl.String, pl.Categorical, pl.Enum, pl.Boolean, pl.Date, pl.Datetime, pl.Time,
              pl.Decimal, pl.Null, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16,
              pl.UInt32, pl.UInt64, pl.Float32, pl.Float64)  # fmt: skip


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file (BadInput if it is not a readable Parquet file)."""
    return list(_parquet_call(path, pl.read_parquet_schema))


def _parquet_call(path: Path, read: Callable[[Path], Any]) -> Any:
    try:
        return read(path)
    except BaseException as exc:  # a corrupt file may even panic inside Polars
        if not isinstance(exc, Exception) and "Panic" not in type(exc).__name__:
            raise
        raise BadInput(
            f"{path.name}: not a readable Parquet file ({str(exc).splitlines()[0][:200]})",
            hint="Export the file again; fininvest reads Parquet files with flat columns.",
        ) from exc


def read_parquet(path: Path, kind: RecordKind, limits: Limits | None = None) -> RawRecords:
    """Read a Parquet file; columns are matched by name exactly as for CSV.

    A file Polars cannot read, a column of nested values (list, struct, …) among the declared
    ones, or a text column that is not valid UTF-8, refuses the file (:class:`BadInput`)."""
    limits = limits or Limits()
    check_columns(parquet_columns(path), path.name, limits)
    table = _parquet_call(path, pl.read_parquet)
    idx, extra = match_header(kind, table.columns, path.name)
    n = table.height
    cols = {
        f.out: (
            _text_column(table.to_series(i), path.name)
            if i is not None
            else pl.Series([None] * n, dtype=pl.String)
        )
        for f, i in zip(kind.fields, idx, strict=True)
    }
    frame = pl.DataFrame(cols, schema={k: pl.String for k in cols}).with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("_record_no"),
        pl.lit(None, pl.Int64).alias("_line"),
        pl.lit(None, pl.String).alias("_problem"),
    )
    notes = ["extra columns ignored: " + ", ".join(extra)] if extra else []
    return RawRecords(frame, None, notes)


def _text_column(s: pl.Series, file: str) -> pl.Series:
    """One Parquet column as text, or BadInput naming it."""
    if s.dtype == pl.Binary:
        try:
            return s.cast(pl.String)
        except pl.exceptions.PolarsError as exc:
            raise BadInput(
                f"{file}: column '{s.name}' holds bytes that are not valid UTF-8 text",
                hint="Write the column as UTF-8 strings.",
            ) from exc
    if not isinstance(s.dtype, FLAT_TYPES):
        raise BadInput(
            f"{file}: column '{s.name}' has type {s.dtype}, not a single value per record",
            hint="Write the column as text or numbers (one value per record); fininvest "
            "reads flat records.",
        )
    return _as_text(s)
