"""Property tests for the normalisers (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pycountry
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.formats.arrowview import view_chunks
from fininvest.iso8601 import _parse_joined, parse_usual
from fininvest.normalise import (
    _iban_number,
    _parse_timestamps_polars,
    clean_country,
    clean_currency,
    clean_email,
    clean_iban,
    clean_phone,
    iban_check_digits,
    iban_lengths,
    parse_amounts,
    parse_timestamps,
)

ALNUM = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@st.composite
def valid_ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(iban_lengths())))
    bban = "".join(
        draw(
            st.lists(
                ALNUM, min_size=iban_lengths()[country] - 4, max_size=iban_lengths()[country] - 4
            )
        )
    )
    return country + iban_check_digits(country, bban) + bban


@given(st.lists(st.sampled_from("abcxyzABCXYZ0123456789"), min_size=1, max_size=40))
def test_iban_number_is_the_letters_as_base_36_digits(chars: list[str]) -> None:
    """Oracle: ISO 13616's letters-to-digits, one character at a time in base 36."""
    text = "".join(chars)
    assert _iban_number(text) == int("".join(str(int(ch, 36)) for ch in text))


@given(valid_ibans(), st.integers(min_value=0, max_value=3))
def test_valid_iban_accepted_in_any_spacing(iban: str, spaces: int) -> None:
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if spaces else iban
    assert clean_iban(spaced.lower() if spaces == 2 else spaced) == iban


@given(valid_ibans(), st.data())
def test_single_character_change_is_detected(iban: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(min_value=4, max_value=len(iban) - 1))
    digit = data.draw(st.sampled_from("0123456789"))
    if iban[pos] == digit or not iban[pos].isdigit():
        return
    assert clean_iban(iban[:pos] + digit + iban[pos + 1 :]) is None  # mod-97 catches it


@given(st.text(max_size=40))
def test_iban_cleaner_never_raises(text: str) -> None:
    out = clean_iban(text)
    assert out is None or clean_iban(out) == out


def test_every_country_code_and_name_normalises() -> None:
    for c in pycountry.countries:
        assert clean_country(c.alpha_2) == c.alpha_2
        assert clean_country(c.alpha_3.lower()) == c.alpha_2
    assert clean_country("Germany") == "DE" and clean_country("Atlantis") is None


@given(st.text(max_size=8))
def test_currency_is_iso_or_none(text: str) -> None:
    out = clean_currency(text)
    assert out is None or (len(out) == 3 and clean_currency(out) == out)


@given(
    st.sampled_from(["DE", "RO", "BG", "NL", "NG", "FR", "AT"]),
    st.integers(min_value=10**7, max_value=10**9),
)
def test_phone_normalisation_is_idempotent(region: str, number: int) -> None:
    out = clean_phone(str(number), region)
    if out is not None:
        assert out.startswith("+") and out[1:].isdigit()
        assert clean_phone(out) == out
        assert clean_phone("00" + out[1:]) == out


@given(st.emails())
def test_email_lowercased_and_idempotent(email: str) -> None:
    out = clean_email("  " + email.upper() + " ")
    if out is not None:
        assert out == out.lower() == clean_email(out)


aware = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.builds(
        lambda m: timezone(timedelta(minutes=m)), st.integers(min_value=-14 * 60, max_value=14 * 60)
    ),
)


@settings(deadline=None)  # the first call compiles the byte parser
@given(st.lists(aware, min_size=0, max_size=30), st.sampled_from(["T", " "]), st.booleans())
def test_timestamps_to_utc_keep_offset(values: list[datetime], sep: str, colon: bool) -> None:
    texts = []
    for v in values:
        v = v.replace(microsecond=v.microsecond // 1000 * 1000)
        off = v.utcoffset()
        assert off is not None
        minutes = int(off.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        hh, mm = divmod(abs(minutes), 60)
        texts.append(
            v.strftime(f"%Y-%m-%d{sep}%H:%M:%S.%f")[:-3]
            + f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"
        )
    ts, offset = parse_timestamps(pl.Series(texts, dtype=pl.String))
    for v, t, o in zip(values, ts.to_list(), offset.to_list(), strict=True):
        v = v.replace(microsecond=v.microsecond // 1000 * 1000)
        assert t == v.astimezone(UTC)
        assert o == int(v.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]


def test_timestamp_edge_cases() -> None:
    ts, off = parse_timestamps(
        pl.Series(
            [
                "2025-01-01T10:00:00Z",
                "2025-01-01 10:00",
                "2025-01-01T10:00:00",
                "2025-02-30T10:00:00Z",
                "2025-01-01T10:00:00+25:00",
                None,
                "",
                "0-01-1T00:00:00",  # chrono alone reads the year 0
                "2025-1-01T10:00:00",
            ]
        )
    )
    assert ts.to_list()[:3] == [datetime(2025, 1, 1, 10, tzinfo=UTC)] * 3
    assert off.to_list()[:3] == [0, None, None]
    assert ts.to_list()[3:] == [None] * 6


@given(
    st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False), max_size=30
    )
)
def test_amounts_parse_exactly_to_the_nearest_double(values: list) -> None:  # type: ignore[type-arg]
    parsed = parse_amounts(pl.Series([str(v) for v in values], dtype=pl.String)).to_list()
    assert parsed == [float(v) for v in values]


def test_amount_rejects() -> None:
    assert parse_amounts(pl.Series(["1,5", "abc", "nan", "inf", ""])).to_list() == [None] * 5


@st.composite
def near_iso(draw: st.DrawFn) -> str | None:
    """Text shaped like the usual export timestamp, every part sometimes out of range or
    replaced by something else: what the byte parser must either parse exactly as Polars does
    or leave to it."""
    if draw(st.integers(0, 20)) == 0:
        return None

    def part(lo: int, hi: int, width: int) -> str:  # mostly a number, at times out of range
        if draw(st.integers(0, 9)) == 0:
            return draw(st.text("0123456789a ", max_size=width + 1))
        return f"{draw(st.integers(lo, hi)):0{width}d}"

    date = f"{part(1, 2400, 4)}-{part(0, 13, 2)}-{part(1, 32, 2)}"
    time = f"{part(0, 24, 2)}:{part(0, 61, 2)}:{part(0, 61, 2)}"
    sep = draw(st.sampled_from(["T", "T", "T", " ", "t"]))
    if draw(st.booleans()):
        tail = draw(st.sampled_from(["", "Z", "z", "+00:00", "-18:00", "+18:01", ".123Z", "+0100"]))
    else:
        tail = draw(st.sampled_from("+-*")) + part(0, 20, 2) + ":" + part(0, 99, 2)
    pad = draw(st.sampled_from(["", " ", "\t", "\u00a0"]))
    return pad + date + sep + time + tail + pad


@settings(max_examples=400, deadline=None)
@given(st.lists(near_iso(), max_size=40))
def test_byte_parser_agrees_with_polars(texts: list[str | None]) -> None:
    s = pl.Series(texts, dtype=pl.String)
    ts, off = parse_timestamps(s)
    want_ts, want_off = _parse_timestamps_polars(s)
    assert ts.dtype == want_ts.dtype
    assert ts.cast(pl.Int64).to_list() == want_ts.cast(pl.Int64).to_list()
    assert off.to_list() == want_off.to_list()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(near_iso(), st.text(max_size=12)), max_size=30),
    st.integers(0, 5),
    st.integers(1, 4),
)
def test_views_parser_agrees_with_joined_bytes(
    texts: list[str | None], cut: int, pieces: int
) -> None:
    """parse_usual reads each value where Polars keeps it (Arrow views, no copy); the oracle
    reads the same values joined back to back. Sliced Series (a view offset and a validity
    offset), Series in several chunks, and columns whose strings lie in several buffers (which
    take the joined path) must all agree."""
    s = pl.Series(texts, dtype=pl.String)
    step = max(1, len(texts) // pieces)
    layouts = {
        "whole": s,
        "sliced": s.slice(min(cut, len(texts))),
        "chunks": pl.concat(
            [s.slice(i, step) for i in range(0, max(len(texts), 1), step)], rechunk=False
        ),  # fmt: skip
        "buffers": pl.concat([s, s.str.to_uppercase()], rechunk=True),
    }
    with view_chunks(s) as chunks:
        assert chunks is not None  # the view path is what is tested
    for name, series in layouts.items():
        got = parse_usual(series)
        want = _parse_joined(series)
        for g, w in zip(got, want, strict=True):
            assert g.tolist() == w.tolist(), name
