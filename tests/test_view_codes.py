"""Coding a low-cardinality text column from its Arrow views, against the exact coding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

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
