"""Validate and normalise an all-text frame against a declared record kind.

Every check is derived from the field declarations in :mod:`fininvest.formats.declarations`.
Checks are vectorised (boolean masks over columns); reason strings are only built for the
records that are actually rejected, so clean files pay nothing for error reporting.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fininvest.formats.fields import Field, RecordKind
from fininvest.normalise import (
    clean_country,
    clean_currency,
    clean_email,
    clean_iban,
    clean_phone,
    map_distinct,
    parse_amounts,
    parse_dates,
    parse_timestamps,
)

_HOW = {
    "timestamp": "not a timestamp; expected ISO 8601 such as 2025-03-14T21:45:10+01:00",
    "date": "not a date; expected YYYY-MM-DD",
    "amount": "not an amount; expected a decimal number with a dot, such as 1234.50",
    "number": "not a number; expected a decimal number with a dot",
    "currency": "unknown currency; expected an ISO 4217 code such as EUR",
    "country": "unknown country; expected ISO 3166 alpha-2 (DE), alpha-3 (DEU) or an English name",
    "phone": "not a possible phone number",
    "email": "not an e-mail address",
    "iban": "invalid IBAN (format, length for its country, or mod-97 checksum)",
    "mcc": "not a merchant category code; expected 4 digits",
    "int": "not a whole number",
}


@dataclass
class Checked:
    """Result of checking one field: the normalised column and the rows it rejects."""

    value: pl.Series
    bad: pl.Series  # bool: present but invalid, or required and missing
    negative: pl.Series | None = None  # amounts below zero (own reason)
    extra: tuple[pl.Series, ...] = ()  # derived columns (the UTC offset of a timestamp)


def _blank_to_null(s: pl.Series) -> pl.Series:
    s = s.str.strip_chars()
    return s.set(s == "", None) if s.len() else s


def check_field(f: Field, raw: pl.Series) -> Checked:
    """Parse and normalise one column according to its declaration."""
    text = _blank_to_null(raw)
    present = text.is_not_null()
    negative = None
    extra: tuple[pl.Series, ...] = ()
    value: pl.Series
    if f.type in ("id", "text"):
        value = text
    elif f.type == "timestamp":
        value, offset = parse_timestamps(text.str.replace_all("/", "-", literal=True))
        extra = (offset,)
    elif f.type == "date":
        value = parse_dates(text)
    elif f.type in ("amount", "number"):
        value = parse_amounts(text)
        if f.type == "amount":
            negative = value < 0
    elif f.type == "currency":
        value = map_distinct(text, clean_currency)
    elif f.type == "country":
        value = map_distinct(text, clean_country)
    elif f.type == "phone":
        value = map_distinct(text, clean_phone)
    elif f.type == "email":
        value = map_distinct(text, clean_email)
    elif f.type == "iban":
        value = map_distinct(text, clean_iban)
    elif f.type == "enum":
        canon = {c.lower(): c for c in f.choices}
        value = text.str.to_lowercase().replace_strict(canon, default=None, return_dtype=pl.String)
    elif f.type == "mcc":
        ok = text.str.contains(r"^\d{4}$")
        value = (
            text.set(~ok.fill_null(False), None).cast(pl.Int16)
            if text.len()
            else text.cast(pl.Int16)
        )
    elif f.type == "int":
        value = text.cast(pl.Int64, strict=False)
    else:  # pragma: no cover - declarations are checked by the tests
        raise ValueError(f"unknown field type {f.type}")
    bad = present & value.is_null()
    if negative is not None:
        negative = negative.fill_null(False)
        bad = bad | negative
    if f.required:
        bad = bad | ~present
    return Checked(value.alias(f.out), bad.fill_null(True).alias(f.out), negative, extra)


def reason_for(f: Field, raw: str | None, negative: bool) -> str:
    """The user-facing reason one value of ``f`` was rejected."""
    if raw is None or not raw.strip():
        return "required value is missing"
    if negative:
        return (
            f"negative amount {raw.strip()}; amounts are positive and the direction "
            "comes from the account columns"
        )
    if f.type == "enum":
        return f"'{raw}' is not one of: " + ", ".join(f.choices)
    return f"'{raw}' is {_HOW.get(f.type, 'invalid')}"


def validate(kind: RecordKind, raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split records into accepted (normalised) and rejected (with field and reason).

    Returns
    -------
    accepted : the normalised columns plus ``_record_no`` and ``_line``.
    rejected : ``_record_no``, ``_line``, ``field``, ``reason`` (one row per rejected record,
        every problem of that record listed).
    """
    checks = {f.out: check_field(f, raw[f.out]) for f in kind.fields}
    struct_bad = raw["_problem"].is_not_null()
    any_bad = struct_bad
    for c in checks.values():
        any_bad = any_bad | c.bad
    if kind.one_of:
        none_of = pl.all_horizontal(checks[kind.field(n).out].value.is_null() for n in kind.one_of)
        none_mask = pl.select(none_of).to_series()
        any_bad = any_bad | none_mask
    else:
        none_mask = None
    columns = [c.value for c in checks.values()] + [e for c in checks.values() for e in c.extra]
    accepted = pl.DataFrame(columns).with_columns(raw["_record_no"], raw["_line"])
    bad_idx = any_bad.arg_true()
    rejected_rows = []
    if len(bad_idx):
        sub_raw = raw[bad_idx]
        masks = {k: c.bad.gather(bad_idx).to_list() for k, c in checks.items()}
        negs = {
            k: (c.negative.gather(bad_idx).to_list() if c.negative is not None else None)
            for k, c in checks.items()
        }
        none_list = none_mask.gather(bad_idx).to_list() if none_mask is not None else None
        by_out = {f.out: f for f in kind.fields}
        for j, row in enumerate(sub_raw.iter_rows(named=True)):
            fields, reasons = [], []
            if row["_problem"] is not None:
                fields.append("(record)")
                reasons.append(row["_problem"])
            else:
                for out, m in masks.items():
                    if m[j]:
                        neg = negs[out]
                        f = by_out[out]
                        fields.append(f.name)
                        reasons.append(
                            f"{f.name}: " + reason_for(f, row[out], bool(neg and neg[j]))
                        )
                if none_list is not None and none_list[j]:
                    fields.append("/".join(kind.one_of))
                    reasons.append("at least one of " + ", ".join(kind.one_of) + " is required")
            rejected_rows.append(
                (row["_record_no"], row["_line"], ",".join(fields), "; ".join(reasons))
            )
    accepted = accepted.filter(~any_bad)
    rejected = pl.DataFrame(
        rejected_rows,
        schema={"_record_no": pl.Int64, "_line": pl.Int64, "field": pl.String, "reason": pl.String},
        orient="row",
    )
    return accepted, rejected
