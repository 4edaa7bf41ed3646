"""Coding a low-cardinality text column from its Arrow views, against the exact coding, and
casting a vocabulary to its ``Enum`` from them, against Polars' cast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from fininvest.formats.viewcodes import enum_from_views
from fininvest.screening.streams import _exact_codes
from fininvest.screening.view_codes import dense_codes_from_views

#: short values (inline in the view), long ones (in a data buffer), non-ASCII, the empty text
VOCABULARY = ["", "Wien", "Graz", "Zürich", "Frankfurt am Main", "Saint-Denis-de-la-Réunion"]


@st.composite
def text_columns(draw: st.DrawFn) -> pl.Series:
    """A String Series in 1–4 chunks, sometimes sliced (a chunk that starts at an offset)."""
    value = st.one_of(st.none(), st.sampled_from(VOCABULARY), st.text(max_size=14))
    chunks = draw(st.lists(st.lists(value, max_size=30), min_size=1, max_size=4))
    s = pl.concat([pl.Series(c, dtype=pl.String) for c in chunks], rechunk=False)
    cut = draw(st.integers(0, max(0, len(s) - 1)))
    return s.slice(cut) if draw(st.booleans()) else s


@settings(max_examples=300, deadline=None)
@given(text_columns(), st.sampled_from([1, 2, 5, 4096]))
def test_view_codes_are_the_exact_codes(s: pl.Series, max_distinct: int) -> None:
    """Whenever the views are few enough to be numbered, the codes and values are exactly
    the sorted-distinct coding; with room for every value the column is always numbered."""
    got = dense_codes_from_views(s, max_distinct)
    want_codes, want_uniques = _exact_codes(s)
    if got is None:
        assert max_distinct < 4096  # only a chunk with more distinct views than allowed
        return
    codes, uniques = got
    assert uniques == want_uniques
    assert codes.dtype == np.int32
    np.testing.assert_array_equal(codes, want_codes)


def test_too_many_distinct_views_is_left_to_the_hashes() -> None:
    assert dense_codes_from_views(pl.Series([f"v{i}" for i in range(10)]), 9) is None
    assert dense_codes_from_views(pl.Series([f"v{i}" for i in range(10)]), 10) is not None
    assert dense_codes_from_views(pl.Series([1, 2, 3])) is None  # not text


def test_a_dictionary_encoded_parquet_column_with_many_row_groups(tmp_path: Path) -> None:
    """As screening reads the city: every row group has its own dictionary, so one value has
    a different view in each; the codes still come out one per value."""
    rng = np.random.default_rng(3)
    cities = np.array([*VOCABULARY, None], dtype=object)
    df = pl.DataFrame({"city": cities[rng.integers(0, len(cities), 50_000)].tolist()})
    df.write_parquet(tmp_path / "t.parquet", row_group_size=4_000, compression="lz4")
    s = pl.read_parquet(tmp_path / "t.parquet")["city"]
    got = dense_codes_from_views(s, max_distinct=16)
    assert got is not None
    want_codes, want_uniques = _exact_codes(s)
    assert got[1] == want_uniques
    np.testing.assert_array_equal(got[0], want_codes)


#: an ingest vocabulary (channel) with a category past the 12 bytes a view holds inline
CHANNELS = ["cash", "card", "wire", "p2p", "payroll", "", "Ünïcode", "standing order (monthly)"]


@st.composite
def enum_cases(draw: st.DrawFn) -> tuple[pl.Series, pl.Enum]:
    """A String column in 1–4 chunks, sometimes sliced, of an ``Enum``'s categories, with
    nulls and, sometimes, values that are not categories (other case, spaces, other text);
    the ``Enum`` is the channels or 300 generated categories (UInt16 codes)."""
    if draw(st.booleans()):
        categories = CHANNELS
    else:
        categories = [f"c{i}" for i in range(300)]
    other = st.sampled_from(["CASH", " card", "wire ", "x"]) | st.text(max_size=14)
    value = st.none() | st.sampled_from(categories)
    if draw(st.booleans()):
        value = value | other
    chunks = draw(st.lists(st.lists(value, max_size=30), min_size=1, max_size=4))
    s = pl.concat([pl.Series("v", c, dtype=pl.String) for c in chunks], rechunk=False)
    cut = draw(st.integers(0, max(0, len(s) - 1)))
    return (s.slice(cut) if draw(st.booleans()) else s), pl.Enum(categories)


@settings(max_examples=300, deadline=None)
@given(enum_cases())
def test_enum_from_views_is_polars_cast(case: tuple[pl.Series, pl.Enum]) -> None:
    """Whenever every value is a category the views give Polars' cast exactly (values,
    nulls, name, dtype); when one is not, None (the caller's cast decides)."""
    s, dtype = case
    got = enum_from_views(s, dtype)
    want = s.cast(dtype, strict=False)
    every_value_a_category = want.null_count() == s.null_count()
    if got is None:
        # only a value outside the categories, or a long category (a view per row) that
        # made a chunk hold more distinct views than there are categories
        long_values = s.drop_nulls().str.len_bytes().max() or 0
        assert not every_value_a_category or long_values > 12
        return
    assert every_value_a_category
    assert_series_equal(got, want)


def test_enum_from_views_of_an_export_column() -> None:
    """A 200,000-row column as a clean export gives it (Polars' CSV reader, several chunks)."""
    rng = np.random.default_rng(5)
    text = "\n".join(["currency", *rng.choice(["EUR", "RON", "USD", ""], 200_000).tolist()])
    s = pl.read_csv(text.encode(), infer_schema=False)["currency"]
    dtype = pl.Enum(["EUR", "GBP", "RON", "USD"])
    got = enum_from_views(s, dtype)
    assert got is not None and got.null_count() == s.null_count() > 0
    assert_series_equal(got, s.cast(dtype))
    assert enum_from_views(s.cast(pl.Categorical), dtype) is None  # not views
