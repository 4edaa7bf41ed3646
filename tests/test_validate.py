"""Validation gives the same answer whichever path normalised a column.

:func:`fininvest.ingest.validate.exact_casts` casts a column straight to its dtype when every
value is already canonical; otherwise the general normalisation runs. These tests run both
paths on the same frames and require identical accepted rows and rejection reasons.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import fininvest.ingest.validate as V
from fininvest.codes import CURRENCIES
from fininvest.formats.declarations import KINDS
from fininvest.normalise import clean_country, clean_currency

BANK = KINDS["bank"]

AMOUNTS = ["12.50", "0", "7", ".5", "5.", "1e3", "+3.25", "-4.00", " 8.10", "9.99 ", "1,5",
           "inf", "nan", "abc", "", "1.5\u00a0", "\t2"]  # fmt: skip
CURRENCY_TEXTS = ["EUR", "USD", "eur", " EUR", "Euro", "US Dollar", "EUROS", "XBT", "", "ZZZ"]
CHANNELS = ["card", "wire", "Card", "WIRE", " cash", "cash ", "bogus", "", "p2p"]
COUNTRIES = ["DE", "RO", "de", "DEU", "Germany", " FR", "XK", "QQ", ""]


def _frame(rows: list[tuple[str | None, ...]]) -> pl.DataFrame:
    n = len(rows)
    cols = ["amount", "currency", "channel", "country"]
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    return pl.DataFrame(
        {
            "txn_id": [f"T{i}" for i in range(n)],
            "ts": ["2025-03-14T21:45:10+01:00"] * n,
            "from_account": ["DE89370400440532013000"] * n,
            **data,
            "_record_no": list(range(1, n + 1)),
            "_line": list(range(2, n + 2)),
            "_problem": [None] * n,
        },
        schema={
            "txn_id": pl.String,
            "ts": pl.String,
            "from_account": pl.String,
            **{c: pl.String for c in cols},
            "_record_no": pl.Int64,
            "_line": pl.Int64,
            "_problem": pl.String,
        },  # fmt: skip
    )


def _both_paths(
    raw: pl.DataFrame,
) -> tuple[tuple[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]:
    fast = V.validate(BANK, raw)
    exact_casts = V.exact_casts
    V.exact_casts = lambda raw, fields: {}
    try:
        general = V.validate(BANK, raw)
    finally:
        V.exact_casts = exact_casts
    return fast, general


def _value(options: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(options), st.text(max_size=4))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_value(AMOUNTS), _value(CURRENCY_TEXTS), _value(CHANNELS), _value(COUNTRIES)),
        min_size=1,
        max_size=12,
    ),
    mode=st.sampled_from(["mixed", "canonical"]),
)
def test_exact_casts_agree_with_the_general_path(
    rows: list[tuple[str | None, ...]], mode: str
) -> None:
    if mode == "canonical":  # every value canonical: the fast path is taken for each column
        rows = [("12.50", "EUR", "card", "DE")] + [
            (a if a in ("0", "7", "12.50") else None, "USD", "wire", None) for a, *_ in rows
        ]
    raw = _frame(rows)
    (acc_f, rej_f), (acc_g, rej_g) = _both_paths(raw)
    assert_frame_equal(acc_f, acc_g)
    assert_frame_equal(rej_f, rej_g)


def test_fast_path_is_taken_only_when_every_value_is_canonical() -> None:
    clean = _frame([("12.50", "EUR", "card", "DE"), (None, "USD", "wire", None)])
    fields = [f for f in BANK.fields if f.out in clean.columns]
    assert set(V.exact_casts(clean, fields)) == {"amount", "currency", "channel", "country"}
    odd = _frame([("12.50", "eur", "Card", "DEU"), ("1,5", "EUR", "card", "DE")])
    assert V.exact_casts(odd, fields) == {}


def test_every_category_is_its_own_normal_form() -> None:
    """What the fast path relies on: a text equal to a category normalises to itself."""
    assert all(clean_currency(c) == c for c in CURRENCIES)
    country = next(f for f in BANK.fields if f.type == "country")
    categories = country.dtype.categories.to_list()  # type: ignore[attr-defined]
    assert all(clean_country(c) == c for c in categories)
    channel = BANK.field("channel")
    canon = {c.lower(): c for c in channel.choices}
    assert len(canon) == len(channel.choices)
    assert all(canon[c.lower()] == c for c in channel.choices)
