"""The numba record scanner agrees with its plain-Python oracle on random and edge-case input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.formats.csvscan import scan_records, scan_records_reference

PIECES = st.sampled_from(
    [b"a", b"1", b",", b";", b'"', b"\n", b"\r\n", b"\r", b" ", b"\xc3\xa9", b"\xff", b'""', b"x,y"]
)


def _compare(data: bytes, delim: str) -> None:
    s, e, f, ln, h, _q = scan_records(np.frombuffer(data, np.uint8), delim)
    got = list(zip(s.tolist(), e.tolist(), f.tolist(), ln.tolist(), h.tolist(), strict=True))
    assert got == scan_records_reference(data, delim)


@settings(max_examples=300, deadline=None)  # the first call may compile the kernel
@given(st.lists(PIECES, max_size=60).map(b"".join), st.sampled_from([",", ";"]))
def test_kernel_matches_oracle(data: bytes, delim: str) -> None:
    _compare(data, delim)


def test_edge_cases() -> None:
    for data in (
        b"",
        b"\n",
        b"\n\n",
        b"a",
        b"a,b",
        b"a,b\n",
        b'"a\nb",c\nd',
        b'"unterminated\n',
        b"a\r\n\r\nb\r\n",
        b"\xff\xfe",
    ):
        _compare(data, ",")


def test_room_for_records_grows_when_the_estimate_falls_short() -> None:
    """The record arrays are sized from the first lines; a file of long lines and then many
    blank ones needs them grown (the scan stops at a record boundary and scans again)."""
    from fininvest.formats.csvscan import RecordIndex

    data = b"a" * 300 + b",b\n" + b"\n" * 700 + b"c,d"
    idx = RecordIndex(np.frombuffer(data, np.uint8))
    room = idx._cols[0].shape[0]
    idx.WINDOW = 97
    assert idx.ensure(10**9) == 702 > room
    got = list(zip(*(a.tolist() for a in idx.arrays()), strict=True))
    assert got == scan_records_reference(data, ",")
    _compare(data, ",")


def test_quoted_newline_is_one_record() -> None:
    s, e, f, ln, h, q = scan_records(np.frombuffer(b'h1,h2\n"x\ny",2\nz,3\n', np.uint8))
    assert f.tolist() == [2, 2, 2] and ln.tolist() == [1, 2, 4] and not q


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=80).map(b"".join), st.integers(min_value=1, max_value=9))
def test_incremental_index_matches_one_scan(data: bytes, window: int) -> None:
    from fininvest.formats.csvscan import RecordIndex

    buf = np.frombuffer(data, np.uint8)
    idx = RecordIndex(buf)
    idx.WINDOW = window  # tiny windows: records straddle every boundary
    idx.ensure(10**9)
    s, e, f, ln, h = idx.arrays()
    got = list(zip(s.tolist(), e.tolist(), f.tolist(), ln.tolist(), h.tolist(), strict=True))
    assert got == scan_records_reference(data, ",")
    assert idx.done


ROW_PIECES = st.sampled_from(
    [
        b"T1",
        b"2025-01-01T00:00:00Z",
        b"",
        b"9.5",
        b'"a,b"',
        b'"x\ny"',
        b'"q""q"',
        b'"m" ',
        b"\xc3\xa9",
        b"\xff",  # not UTF-8: read lossily, then rejected
    ]
)
ROWS = st.lists(
    st.one_of(
        st.lists(ROW_PIECES, min_size=8, max_size=8).map(b",".join),  # a full record
        st.lists(ROW_PIECES, min_size=1, max_size=10).map(b",".join),  # ragged
        st.just(b""),  # a blank line
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(ROWS, st.sampled_from([b"\n", b"\r\n"]), st.booleans(), st.integers(1, 40))
def test_reading_in_pieces_changes_nothing(
    rows: list[bytes], eol: bytes, final_eol: bool, piece: int
) -> None:
    """The CSV reader hands Polars the bytes in pieces of PIECE_BYTES; tiny pieces (every record
    boundary a cut, blank lines and quoted newlines included) give the same frames as one.
    Pieces of plain ASCII are parsed as strict UTF-8, the others lossily: with tiny pieces both
    kinds meet in one file, and must give what one lossy read of the whole file gives."""
    import tempfile
    from pathlib import Path

    import polars as pl
    from polars.testing import assert_frame_equal

    from fininvest.formats import readers
    from fininvest.formats.declarations import KINDS

    header = b"txn_id,timestamp,from_account,to_account,amount,currency,channel,city"
    data = eol.join([header, *rows]) + (eol if final_eol else b"")

    def frames(piece_bytes: int) -> pl.DataFrame:
        old = readers.PIECE_BYTES
        readers.PIECE_BYTES = piece_bytes
        try:
            with tempfile.TemporaryDirectory() as d:
                path = Path(d) / "bank.csv"
                path.write_bytes(data)
                raw = readers.read_csv(path, KINDS["bank"])
                return pl.concat(list(raw.chunks()))
        finally:
            readers.PIECE_BYTES = old

    assert_frame_equal(frames(piece), frames(1 << 30))


EDGY = st.sampled_from(
    [b"x", b"", b" x", b"x ", b"\tx", b"x\t", b'" x"', b'"x "', b'""', b'" "', b' "x"', b'"x" ',
     b'"a""b"', b"x y", b"\xc2\xa0x", b'"x\ny "']
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(EDGY, min_size=1, max_size=5).map(b",".join), max_size=12),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_scan_knows_every_column_that_needs_stripping(rows: list[bytes], eol: bytes) -> None:
    """The columns the record scan rules out never hold a value with whitespace at an edge or
    an empty string, by the Polars check the validator otherwise runs on every column."""
    import tempfile
    from pathlib import Path

    import polars as pl

    from fininvest.formats import readers
    from fininvest.formats.declarations import KINDS
    from fininvest.ingest.validate import _needing_strip

    kind = KINDS["bank"]
    data = eol.join([b"txn_id,timestamp,amount,currency,channel", *rows]) + eol
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bank.csv"
        path.write_bytes(data)
        raw = readers.read_csv(path, kind)
        frame = pl.concat(list(raw.chunks()))
        candidates = raw.strip_candidates()
    if candidates is None:  # header only: no chunk to validate
        assert frame.height == 0
        return
    text_cols = [c for c in frame.columns if not c.startswith("_")]
    assert set(_needing_strip(frame, text_cols)) <= candidates


CELLS = st.sampled_from(
    [b"", b"T1", b"2025-01-01T00:00:00Z", b"DE89370400440532013000", b" x ", b"abcdefghijkl",
     b"abcdefghijklm", b"9.5", b'"q"', b'""', b'"a,b"', b'"two\nlines"', b'"x""y"', b' "x"',
     b'"DE89370400440532013000"', b'"x" ', b'x"y', b'"a\rb"', b"a\rb", b"\xc3\xa9", b";"]
)  # fmt: skip


CLEAN_CELLS = st.sampled_from(
    [b"", b"T1", b"DE89370400440532013000", b" x ", b"abcdefghijkl", b"abcdefghijklm", b'"q"',
     b'""', b'"a,b"', b'"two\nlines"', b'"DE89370400440532013000"',
     b"abcd", b"abcdefgh", b'"abcdefghi"']  # around the view's word edges: 4, 8, 9 bytes
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.integers(1, 5).flatmap(  # every record as wide as the first
            lambda w: st.lists(
                st.lists(CELLS, min_size=w, max_size=w).map(b",".join), min_size=1, max_size=30
            )
        ),
        st.lists(st.lists(CELLS, min_size=1, max_size=5).map(b",".join), min_size=1, max_size=30),
    ),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
)
def test_views_give_what_the_csv_parser_gives(rows: list[bytes], eol: bytes, final: bool) -> None:
    """Records of plain ASCII are split into Arrow views by a numba kernel instead of being
    parsed by Polars: same frame, values and nulls (short values inline, long ones pointing
    into the file bytes, quoted fields by their content); a doubled or stray quote, a carriage
    return, another number of fields or a non-ASCII byte sends the chunk to the parser."""
    from polars.testing import assert_frame_equal

    from fininvest.formats import readers
    from fininvest.formats.csvscan import RecordIndex

    data = eol.join(rows) + (eol if final else b"")
    buf = np.frombuffer(data, np.uint8)
    index = RecordIndex(buf)
    n = index.ensure(10**9)
    starts, ends, _nf, _lines, high = index.arrays()
    width = max(r.count(b",") + 1 for r in rows)
    if n == 0:  # an empty file never reaches the parser
        return

    def parse(views: bool) -> object:
        readers.views_enabled = views
        try:
            return readers._parse_records(buf, starts, 0, n, ",", width, high, ends)[0]
        finally:
            readers.views_enabled = True

    assert_frame_equal(parse(True), parse(False))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda w: st.lists(
            st.lists(CLEAN_CELLS, min_size=w, max_size=w).map(b",".join), min_size=1, max_size=30
        )
    ),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_views_are_taken_for_clean_records(rows: list[bytes], eol: bytes) -> None:
    """Fields the views can stand for (quoted ones included) never fall back to the parser,
    and give its frame."""
    from polars.testing import assert_frame_equal

    from fininvest.formats import readers
    from fininvest.formats.csvscan import RecordIndex

    data = eol.join(rows) + eol
    buf = np.frombuffer(data, np.uint8)
    index = RecordIndex(buf)
    n = index.ensure(10**9)
    starts, ends, _nf, _lines, high = index.arrays()
    width = rows[0].count(b",") + 1 - rows[0].count(b'"a,b"')
    views = readers._split_clean(buf, starts, ends, 0, n, len(data), ",", width)
    assert views is not None
    readers.views_enabled = False
    try:
        parsed = readers._parse_records(buf, starts, 0, n, ",", width, high, ends)[0]
    finally:
        readers.views_enabled = True
    assert_frame_equal(views, parsed)


def test_views_are_used_for_plain_records_and_released() -> None:
    from fininvest.formats import arrowview, readers
    from fininvest.formats.csvscan import RecordIndex

    data = b"T1,2025-01-01T00:00:00Z,DE89370400440532013000,,9.5\nT2,x,,DE8937040044053201300,1\n"
    buf = np.frombuffer(data, np.uint8)
    index = RecordIndex(buf)
    n = index.ensure(10**9)
    starts, ends, _nf, _lines, _high = index.arrays()
    frame = readers._split_clean(buf, starts, ends, 0, n, len(data), ",", 5)
    assert frame is not None
    assert frame.row(1) == ("T2", "x", None, "DE8937040044053201300", "1")
    assert arrowview._KEPT  # the columns point into buffers kept for Polars
    del frame
    assert not arrowview._KEPT  # released when the frame is gone
    for text, row in ((b'T1,"x, y",""\n', ("T1", "x, y", "")), (b'T1,"x""y",z\n', None)):
        quoted = np.frombuffer(text, np.uint8)
        index = RecordIndex(quoted)
        n = index.ensure(10**9)
        starts, ends, _nf, _lines, _high = index.arrays()
        got = readers._split_clean(quoted, starts, ends, 0, n, len(quoted), ",", 3)
        assert (got.row(0) if got is not None else None) == row  # a doubled quote: the parser


PLAIN_CELLS = st.sampled_from(
    [b"", b"T1", b"2025-01-01T00:00:00Z", b"DE89370400440532013000", b" x", b"x\t", b"9.5",
     b"abcdefghijkl", b"abcdefghijklm", b"abcd", b"abcdefgh", b"abcdefghi"]
)  # fmt: skip
SPOILERS = st.sampled_from([b'"q"', b"a\rb", b"\xc3\xa9", b"\xff", b"", b"x,y", b'"a\nb"'])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.lists(PLAIN_CELLS, min_size=8, max_size=8).map(b",".join),
            SPOILERS,  # a record that is not plain: quoted, CR, non-ASCII, blank, ragged
        ),
        max_size=25,
    ),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
    st.integers(1, 6),
)
def test_one_pass_split_gives_what_scan_and_parse_give(
    rows: list[bytes], eol: bytes, final: bool, chunk: int
) -> None:
    """Plain chunks are scanned and split into views in one pass (RecordIndex.split_plain);
    whatever the mix of plain and other records, the chunk size and the file's end, the reader
    gives the same frames, record index, counts and strip candidates as with the views off
    (every record scanned, then parsed by Polars)."""
    import tempfile
    from pathlib import Path

    import polars as pl
    from polars.testing import assert_frame_equal

    from fininvest.formats import readers
    from fininvest.formats.declarations import KINDS

    header = b"txn_id,timestamp,from_account,to_account,amount,currency,channel,city"
    data = eol.join([header, *rows]) + (eol if final else b"")
    kind = KINDS["bank"]

    def read(views: bool) -> tuple[pl.DataFrame, int, list[list[int]], set[str] | None, int]:
        old = readers.CHUNK_RECORDS, readers.views_enabled, readers.HEADER_WINDOW
        readers.CHUNK_RECORDS, readers.views_enabled = chunk, views
        readers.HEADER_WINDOW = 1  # the chunks, not the header's scan, find the records
        split = readers._split_plain
        taken = [0]

        def counted(*args: object) -> pl.DataFrame | None:
            got = split(*args)  # type: ignore[arg-type]
            taken[0] += got is not None
            return got

        readers._split_plain = counted  # type: ignore[assignment]
        try:
            with tempfile.TemporaryDirectory() as d:
                path = Path(d) / "bank.csv"
                path.write_bytes(data)
                raw = readers.read_csv(path, kind)
                frame = pl.concat(list(raw.chunks()), how="vertical")
                index = (
                    [a.tolist() for a in (raw._starts, raw._ends)]
                    if raw._starts is not None
                    else []
                )
                return frame, raw.records, index, raw.strip_candidates(), taken[0]
        finally:
            readers.CHUNK_RECORDS, readers.views_enabled, readers.HEADER_WINDOW = old
            readers._split_plain = split  # type: ignore[assignment]

    got, want = read(True), read(False)
    assert_frame_equal(got[0], want[0])
    assert got[1:4] == want[1:4]
    assert want[4] == 0
    plain = all(
        r.count(b",") == 7 and not any(s in r for s in (b'"', b"\r", b"\xc3", b"\xff"))
        for r in rows
    )
    if rows and plain and eol == b"\n":
        assert got[4] > 0  # a clean file takes the one-pass split


def test_one_pass_split_refuses_views_without_room() -> None:
    """The kernel writes the views unchecked, so too small arrays are refused before it runs."""
    import pytest

    from fininvest.formats.csvscan import RecordIndex

    index = RecordIndex(np.frombuffer(b"a,b\n1,2\n3,4\n", np.uint8))
    index.ensure(1)
    views, valid = np.empty((2, 2, 4), np.int32), np.empty((2, 2), np.bool_)
    with pytest.raises(ValueError, match="room"):
        index.split_plain(1, 2, 3, views, valid)  # three columns
    with pytest.raises(ValueError, match="room"):
        index.split_plain(1, 3, 2, views, valid)  # three records
    assert index.split_plain(1, 2, 2, views, valid) == 2
