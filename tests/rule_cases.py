"""Shared building blocks of the indicator tests: catalogue parameters and event streams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from fininvest.indicators.catalogue import load_catalogue
from fininvest.screening.events import Events

#: the numeric event columns the kernels read; text columns (channel, country, …) are strings
NUMERIC = {"account": pl.Int64, "ts": pl.Int64, "outflow": pl.Boolean, "amount": pl.Float64,
           "counterparty": pl.Int64, "mcc": pl.Int64, "city_code": pl.Int64,
           "offset_min": pl.Int64}  # fmt: skip


def params(ind: str, **over: Any) -> dict[str, dict[str, Any]]:
    """The catalogue defaults of ``ind`` with ``over`` applied, as ``Context.params``."""
    p = {x.name: x.default for x in load_catalogue()[ind].parameters.values()}
    return {ind: {**p, **over}}


def events(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    accounts: list[str],
    cities: list[str] | None = None,
) -> Events:
    """Events from row tuples with the given column names; numeric columns not given are null
    (no counterparty, not a card payment, no city), every other column is text."""
    schema = {c: NUMERIC.get(c, pl.String) for c in columns}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    missing = [pl.lit(None, t).alias(c) for c, t in NUMERIC.items() if c not in schema]
    return Events(frame.with_columns(missing), accounts, cities or [])
