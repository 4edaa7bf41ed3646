"""The event streams' text-column helpers against the plain numpy and Polars answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.events import unique_inverse

from .rule_cases import events


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 40), max_size=60)  # dense: the bitmap path
    | st.lists(st.integers(0, 10_000_000), max_size=20)  # sparse: np.unique itself
)
def test_unique_inverse_is_numpy_unique(values: list[int]) -> None:
    a = np.array(values, np.int64)
    got_u, got_inv = unique_inverse(a)
    want_u, want_inv = np.unique(a, return_inverse=True)
    np.testing.assert_array_equal(got_u, want_u)
    np.testing.assert_array_equal(got_inv, want_inv.ravel())
    np.testing.assert_array_equal(got_u[got_inv], a)  # the inverse rebuilds the input


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(0, 50),
            st.booleans(),
            st.one_of(st.none(), st.sampled_from(["", "P1", "P2", "P10"])),
        ),
        max_size=30,
    ),
    st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_has_value_and_narrow_codes_agree_with_the_text(
    rows: list[tuple[int, int, bool, str | None]], ask: list[bool]
) -> None:
    """``has_value`` says where the column holds a value, as the codes do; the codes asked at
    some events only are the text's sorted positions there and −1 elsewhere."""
    ev = events(
        [(a, t, o, 5.0, d) for a, t, o, d in rows],
        ["account", "ts", "outflow", "amount", "depositor_id"],
        ["A", "B", "C"],
    )
    where = np.array(ask[: len(ev)], np.bool_)
    text = ev.text_at("depositor_id", np.arange(len(ev))).to_list()
    present = ev.has_value("depositor_id", where)
    codes, values = ev.codes("depositor_id", where=where)
    assert present.tolist() == [bool(w) and v is not None for w, v in zip(where, text, strict=True)]
    np.testing.assert_array_equal(present, codes >= 0)
    assert values == sorted({v for w, v in zip(where, text, strict=True) if w and v is not None})
    assert [values[c] if c >= 0 else None for c in codes] == [
        v if w else None for w, v in zip(where, text, strict=True)
    ]
    assert codes.dtype.itemsize <= 2  # a few values: int16 codes, not int32
