"""The linear-time event builders against the generic path they replace, on random input."""

from __future__ import annotations

import weakref
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening import streams
from fininvest.screening.events import order_events
from fininvest.screening.streams import (
    _exact_codes,
    _hash_codes,
    bucket_rows,
    dense_codes,
    room_for,
    take,
)

#: ``_TABLE_BITS`` under test: the one-table numbering and (0) the hash partitions alone
TABLE_SIZES = (streams._TABLE_BITS, 0)


@st.composite
def row_sets(draw: st.DrawFn) -> dict:  # type: ignore[type-arg]
    n_acc = draw(st.integers(min_value=1, max_value=6))
    n = draw(st.integers(min_value=0, max_value=50))
    side = st.lists(st.integers(-1, n_acc - 1), min_size=n, max_size=n)
    span = draw(st.sampled_from([0, 1, 3, 1000]))  # small spans: many equal times
    cities = st.integers(-1, 40) | st.sampled_from([(1 << 15) - 1, 1 << 15, 1 << 20])
    return {
        "n_acc": n_acc,
        "payer": np.array(draw(side), np.int64),
        "payee": np.array(draw(side), np.int64),
        "ts": np.array(draw(st.lists(st.integers(0, span), min_size=n, max_size=n)), np.int64),
        "amount": np.array(draw(st.lists(st.floats(-1e9, 1e9), min_size=n, max_size=n))),
        "mcc": np.array(draw(st.lists(st.integers(-1, 9999), min_size=n, max_size=n)), np.int64),
        # codes past int16 now and then: the event column widens to int32 for them
        "city": np.array(draw(st.lists(cities, min_size=n, max_size=n)), np.int64),
    }


def _row_arrays(r: dict) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    """What :func:`bucket_rows` takes (and empties): a new dict, ``r`` stays whole."""
    return {k: r[k] for k in ("payer", "payee", "ts", "amount", "mcc", "city")}


def _generic(r: dict) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    """The doubled event list (outflows, then inflows) through the packed-key sort."""
    out, inn = r["payer"] >= 0, r["payee"] >= 0
    rows = np.concatenate([np.flatnonzero(out), np.flatnonzero(inn)])
    account = np.concatenate([r["payer"][out], r["payee"][inn]])
    outflow = np.concatenate([np.ones(out.sum(), bool), np.zeros(inn.sum(), bool)])
    cp = np.concatenate([r["payee"][out], r["payer"][inn]])
    order, offsets = order_events(account, r["ts"][rows], outflow, r["n_acc"])
    ev = {"row": rows[order], "outflow": outflow[order], "account": account[order]}
    ev["counterparty"] = cp[order]
    for k in ("ts", "amount", "mcc", "city"):
        ev[k] = r[k][ev["row"]]
    ev["offsets"] = offsets
    return ev


@settings(max_examples=300, deadline=None)
@given(row_sets())
def test_bucket_rows_orders_events_like_the_packed_key_sort(r: dict) -> None:  # type: ignore[type-arg]
    got = bucket_rows(_row_arrays(r), r["n_acc"])
    want = _generic(r)
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)
    # the city column is held through the whole screen: int16 whenever the codes fit
    assert got["city"].dtype == (np.int16 if r["city"].max(initial=-1) < 1 << 15 else np.int32)


def test_bucket_rows_unsorted_and_self_transfer() -> None:
    rows = {"ts": np.array([9, 5, 5]), "amount": np.array([1.0, 2.0, 3.0]),
            "mcc": np.array([-1, 5411, -1]), "city": np.array([-1, 2, -1])}  # fmt: skip
    ev = bucket_rows({"payer": np.array([0, 1, 0]), "payee": np.array([1, -1, 0]), **rows}, 2)
    # account 0: row 2 in then out (self-transfer, same second), then row 0 out at 9
    assert ev["row"].tolist() == [2, 2, 0, 1, 0]
    assert ev["outflow"].tolist() == [False, True, True, True, False]
    assert ev["offsets"].tolist() == [0, 3, 5]
    assert ev["mcc"].tolist() == [-1, -1, -1, 5411, -1]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1025, 3000, 70_000]))
def test_bucket_rows_with_many_account_buckets(seed: int, n_acc: int) -> None:
    """More accounts than first-pass buckets: several accounts share a bucket, the last bucket
    is partly empty, and the scratch records are bounded so that the buckets go in groups."""
    rng = np.random.default_rng(seed)
    n = 20_000
    r = {
        "n_acc": n_acc,
        "payer": rng.integers(-1, n_acc, n),
        "payee": rng.integers(-1, n_acc, n),
        "ts": np.sort(rng.integers(-50, 4000, n)),  # times before 1970 too
        "amount": rng.normal(size=n),
        "mcc": rng.integers(-1, 9999, n),
        "city": rng.integers(-1, 300, n),
    }
    got = bucket_rows(_row_arrays(r), n_acc, max_records=7_000)  # in 6 groups
    for k, v in _generic(r).items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=40),
    st.sampled_from(TABLE_SIZES),
)
def test_dense_codes_match_sorted_distinct_values(values: list[str | None], bits: int) -> None:
    s = pl.Series(values, dtype=pl.String)
    with patch.object(streams, "_TABLE_BITS", bits):
        codes, uniques = dense_codes(s)
    want_codes, want_uniques = _exact_codes(s)
    assert uniques == want_uniques
    np.testing.assert_array_equal(codes, want_codes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=40),
    st.lists(st.text(max_size=4), max_size=10),
)
def test_dense_codes_of_categorical_match_the_text(
    values: list[str | None], others: list[str]
) -> None:
    """A Categorical column is coded from its physical codes: the same codes and values as
    the text, whatever else the process's categories already hold (``others`` cast first)."""
    pl.Series(others, dtype=pl.String).cast(pl.Categorical)
    s = pl.Series(values, dtype=pl.String)
    codes, uniques = dense_codes(s.cast(pl.Categorical))
    want_codes, want_uniques = _exact_codes(s)
    assert uniques == want_uniques
    np.testing.assert_array_equal(codes, want_codes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=3), min_size=0, max_size=300, unique=True),
    st.data(),
    st.booleans(),
)
def test_dense_codes_of_an_enum_are_its_sorted_categories(
    categories: list[str], data: st.DataObject, narrow: bool
) -> None:
    """An ``Enum`` column (a declared vocabulary: channel, country) is coded from its physical
    codes over every declared category, present or not, sorted; ``narrow`` gives the same codes
    in the narrowest type (int8 up to 127 categories, int16 past), with no int32 between.
    The column comes in several chunks, with nulls."""
    value = st.none() | (st.sampled_from(categories) if categories else st.none())
    parts = data.draw(st.lists(st.lists(value, max_size=20), min_size=1, max_size=3))
    enum = pl.Enum(categories)
    s = pl.concat([pl.Series(p, dtype=enum) for p in parts], rechunk=False)
    codes, uniques = dense_codes(s, narrow=narrow)
    assert uniques == sorted(categories)
    want = [-1 if v is None else uniques.index(v) for v in s.to_list()]
    assert codes.tolist() == want
    assert codes.dtype == (room_for(len(categories)) if narrow else np.int32)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=40), st.booleans())
def test_narrow_codes_are_the_int32_codes(values: list[str | None], categorical: bool) -> None:
    s = pl.Series(values, dtype=pl.String)
    s = s.cast(pl.Categorical) if categorical else s
    wide, uniques = dense_codes(s)
    narrow, same = dense_codes(s, narrow=True)
    assert same == uniques and narrow.dtype == room_for(len(uniques))
    np.testing.assert_array_equal(narrow, wide)


@pytest.mark.parametrize("bits", TABLE_SIZES)
def test_colliding_first_hashes_are_detected(bits: int) -> None:
    h1 = np.zeros(3, np.uint64)  # every value lands on one first hash…
    h2 = np.array([1, 1, 2], np.uint64)  # …but the third is a different value
    with patch.object(streams, "_TABLE_BITS", bits):
        codes, first, ok = _hash_codes(h1, h2, np.ones(3, np.bool_), 2)
        assert not ok
        codes, first, ok = _hash_codes(h1, np.ones(3, np.uint64), np.ones(3, np.bool_), 2)
    assert ok and codes.tolist() == [0, 0, 0] and first.tolist() == [0]


def test_dense_codes_of_a_repeating_column() -> None:
    """20,000 rows over 5,000 values (the table sized from the rows, past its smallest)."""
    s = pl.Series([f"A{i % 5000}" for i in range(20_000)])
    codes, uniques = dense_codes(s)
    assert len(uniques) == 5000
    assert [uniques[c] for c in codes[:7]] == s.head(7).to_list()


@pytest.mark.parametrize("bits", [*TABLE_SIZES, 12])
def test_dense_codes_of_many_values(bits: int) -> None:
    """200,000 values, 90,000 distinct: in one table (``_TABLE_BITS`` 21), in 1,024 hash
    partitions (0: no table), and in a table that fills up part of the way through (12: 2,048
    distinct at most), whose codes are then made again in the partitions."""
    rng = np.random.default_rng(7)
    values = [None if r < 50 else f"ACC{r}" for r in rng.integers(0, 90_000, 200_000)]
    s = pl.Series(values, dtype=pl.String)
    with patch.object(streams, "_TABLE_BITS", bits):
        codes, uniques = dense_codes(s)
        want_codes, want_uniques = _exact_codes(s)
        assert uniques == want_uniques
        np.testing.assert_array_equal(codes, want_codes)
        h1 = s.hash().to_numpy().copy()
        h1[7] = h1[8]  # two different values now share a first hash
        _codes, _first, ok = _hash_codes(
            h1, s.hash(seed=3).to_numpy(), s.is_not_null().to_numpy(), 2
        )
    assert not ok or values[7] == values[8] or values[7] is None or values[8] is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=30),
    st.data(),
    st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint32]),
)
def test_take_is_numpy_indexing(values: list[int], data: st.DataObject, index_type: type) -> None:
    """The parallel gather against ``values[index]``: any index type the callers use, −1
    (a null code) reading the last entry, repeats, and no index at all."""
    v = np.array(values, np.int64)
    low = 0 if index_type is np.uint32 else -1
    high = min(len(values) - 1, int(np.iinfo(index_type).max))
    index = np.array(data.draw(st.lists(st.integers(low, high), max_size=60)), index_type)
    for typed in (v, v.astype(np.float64), v > 0):
        got = take(typed, index)
        assert got.dtype == typed.dtype
        np.testing.assert_array_equal(got, typed[index])


def test_bucket_rows_lets_the_rows_go_before_the_last_part() -> None:
    """The row arrays are the build's peak beside the event columns: once read for the last
    time (the last group's first pass) nothing in the build holds them any more."""
    rng = np.random.default_rng(5)
    n, n_acc = 5_000, 3_000
    rows = {
        "payer": rng.integers(-1, n_acc, n),
        "payee": rng.integers(-1, n_acc, n),
        "ts": rng.integers(0, 10_000, n),  # out of time order: the build sorts them too
        "amount": rng.normal(size=n),
        "mcc": rng.integers(-1, 9999, n),
        "city": rng.integers(-1, 300, n),
    }
    want = _generic({"n_acc": n_acc, **rows})
    alive = [weakref.ref(a) for a in rows.values()]
    seen: list[int] = []
    distribute = streams._distribute

    def counting(*args: object) -> None:
        seen.append(sum(r() is not None for r in alive))
        distribute(*args)

    with patch.object(streams, "_distribute", counting):
        got = bucket_rows(rows, n_acc, max_records=2_000)  # in several groups
    assert rows == {}
    assert len(seen) > 1 and seen[0] == len(alive) and seen[-1] == 0
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("mcc", 0xFFFF, "merchant category codes"),
        ("mcc", -2, "merchant category codes"),
        ("city", 1 << 31, "too many rows, accounts or cities"),
        ("ts", 1 << 39, "17,000 years"),
    ],
)
def test_bucket_rows_refuses_what_the_records_cannot_hold(
    column: str, value: int, message: str
) -> None:
    rows = {"payer": np.array([0, 1]), "payee": np.array([1, -1]), "ts": np.array([0, 5]),
            "amount": np.array([9.0, 4.0]), "mcc": np.array([-1, 5411]),
            "city": np.array([-1, 0])}  # fmt: skip
    rows[column] = rows[column].copy()
    rows[column][1] = value
    with pytest.raises(ValueError, match=message):
        bucket_rows(rows, 2)
