"""Validate and normalise an all-text frame against a declared record kind.

Every check is derived from the field declarations in :mod:`fininvest.formats.declarations`.
Checks are vectorised (boolean masks over columns); reason strings are only built for the
records that are actually rejected, so clean files pay nothing for error reporting.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from fininvest.formats.fields import Field, RecordKind
from fininvest.formats.readers import SUSPECT
from fininvest.formats.viewcodes import enum_from_views
from fininvest.normalise import (
    amount_expr,
    clean_country,
    clean_currency,
    clean_email,
    clean_iban,
    clean_phone,
    date_expr,
    finite,
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


MAPPED = {
    "currency": clean_currency, "country": clean_country, "phone": clean_phone,
    "email": clean_email, "iban": clean_iban,
}  # fmt: skip


#: An id may hold no control character (Unicode category Cc: NUL, tab, …) and no format
#: character (Cf: zero-width space and joiners, bidirectional controls such as U+202E, soft
#: hyphen, byte-order mark): ids that differ only by them look alike but are different
#: accounts or people. Such a record is rejected, naming the character.
INVISIBLE_IN_ID = r"[\p{Cc}\p{Cf}]"


def _needing_strip(raw: pl.DataFrame, cols: list[str]) -> list[str]:
    """The columns where some value has surrounding whitespace (any Unicode white space, such
    as a no-break space) or is empty.

    CSV readers already give null for empty fields, so most columns need no strip at all; the
    check is one parallel pass, cheaper than stripping every column. Whatever else is in the
    chunk, a value with white space at an edge is stripped: one normal form per value.
    """
    if not cols:
        return []

    def edge(c: str) -> pl.Expr:
        s = pl.col(c).str
        return (
            (
                s.starts_with(" ")
                | s.ends_with(" ")
                | s.starts_with("\t")
                | s.ends_with("\t")
                | (s.len_bytes() == 0)
                | s.contains(r"^\s|\s$")
            )
            .any()
            .alias(c)
        )

    flags = raw.select(edge(c) for c in cols).row(0)
    return [c for c, flag in zip(cols, flags, strict=True) if flag]


def _text(col: str) -> pl.Expr:
    """Stripped text; empty becomes null."""
    t = pl.col(col).str.strip_chars()
    return pl.when(t.str.len_bytes() == 0).then(None).otherwise(t)


#: Field types whose normalised value, for a text that is already in canonical form, is that
#: text cast to the field's dtype (a number, or a category of its ``Enum``).
EXACT_CAST_TYPES = ("amount", "number", "currency", "country", "enum")


def exact_casts(raw: pl.DataFrame, fields: list[Field]) -> dict[str, pl.Series]:
    """The columns whose every value is already canonical, cast straight to their dtype.

    A clean export writes ``1234.50``, ``EUR``, ``card``: for such a column one cast gives what
    the general normalisation (strip, case-fold, a mapping built per distinct value) would, at a
    fraction of the cost. The cast is used only when it leaves no value unmatched (its nulls
    are the text's nulls); otherwise the column takes the general path whole, so results never
    depend on which path ran (``tests/test_validate.py`` checks both paths agree).

    Returns ``{column: cast values}``; amounts are Float64 as cast (the finiteness check is
    still applied by :func:`value_expr`).
    """
    quick = [f for f in fields if f.type in EXACT_CAST_TYPES]
    if not quick or raw.height == 0:
        return {}
    out: dict[str, pl.Series] = {}
    for f in quick:  # vocabularies first from the views: no string hashed per row
        if isinstance(f.dtype, pl.Enum):
            coded = enum_from_views(raw[f.out], f.dtype)
            if coded is not None:
                out[f.out] = coded
    quick = [f for f in quick if f.out not in out]
    if not quick:
        return out

    def target(f: Field) -> pl.DataType:
        return pl.Float64() if f.type in ("amount", "number") else f.dtype

    cast = raw.select(pl.col(f.out).cast(target(f), strict=False) for f in quick)
    text_nulls = raw.select(pl.col(f.out).null_count() for f in quick).row(0)
    out.update(
        (f.out, cast[f.out])
        for f, nulls in zip(quick, text_nulls, strict=True)
        if cast[f.out].null_count() == nulls
    )
    return out


def value_expr(f: Field, raw: pl.DataFrame, suspect: bool = True) -> pl.Expr:
    """The normalised value of one declared field, from its already stripped text column.

    Fields whose normalisation needs Python (countries, phones, IBANs, …) are cleaned once per
    distinct value here, and the result is applied as a vectorised mapping. A column that
    :func:`exact_casts` could cast whole is read from ``__cast_<out>`` instead.

    With ``suspect`` (some value may hold a byte other than printable ASCII), an id holding an
    invisible character (:data:`INVISIBLE_IN_ID`) and any other value holding a NUL character
    are null, so rejected as invalid (:func:`reason_for` names the character).
    """
    text = pl.col(f.out)
    if f"__cast_{f.out}" in raw.columns:
        cast = pl.col(f"__cast_{f.out}")
        value = finite(cast) if f.type in ("amount", "number") else cast
        return value.cast(f.dtype).alias(f.out)
    if f.type in ("id", "text"):
        value = text
    elif f.type == "timestamp":
        value = pl.col(f"__ts_{f.out}")
    elif f.type == "date":
        value = date_expr(text)
    elif f.type in ("amount", "number"):
        value = amount_expr(text)
    elif f.type in MAPPED:
        cleaner = MAPPED[f.type]
        uniq = raw.select(text.unique()).to_series().drop_nulls().to_list()
        mapping = {v: cleaner(v) for v in uniq}  # type: ignore[operator]
        value = text.replace_strict(mapping, default=None, return_dtype=pl.String)
    elif f.type == "enum":
        canon = {c.lower(): c for c in f.choices}
        value = text.str.to_lowercase().replace_strict(canon, default=None, return_dtype=pl.String)
    elif f.type == "mcc":
        value = pl.when(text.str.contains(r"^\d{4}$")).then(text.cast(pl.Int16, strict=False))
    elif f.type == "int":
        value = text.cast(pl.Int64, strict=False)
    else:  # pragma: no cover - declarations are checked by the tests
        raise ValueError(f"unknown field type {f.type}")
    if suspect:  # a NUL anywhere, an invisible character in an id: not a valid value
        bad_char = text.str.contains(INVISIBLE_IN_ID if f.type == "id" else r"\x00")
        value = pl.when(bad_char).then(None).otherwise(value)
    return value.cast(f.dtype).alias(f.out)


def bad_expr(f: Field, present_in_file: bool) -> tuple[pl.Expr, pl.Expr | None]:
    """(rejected?, negative?) for one field, from its presence flag ``__p_<out>`` and value."""
    if not present_in_file:
        return pl.lit(f.required), None
    present = pl.col(f"__p_{f.out}")
    bad = present & pl.col(f.out).is_null()
    negative = (pl.col(f.out) < 0).fill_null(False) if f.type == "amount" else None
    if negative is not None:
        bad = bad | negative
    if f.required:
        bad = bad | ~present
    return bad, negative


def reason_for(f: Field, raw: str | None, negative: bool) -> str:
    """The user-facing reason one value of ``f`` was rejected."""
    if raw is None or not raw.strip():
        return "required value is missing"
    odd = "\x00" if "\x00" in raw else None
    if odd is None and f.type == "id":
        odd = next((c for c in raw if unicodedata.category(c) in ("Cc", "Cf")), None)
    if odd is not None:
        what = unicodedata.name(odd, "a control character")
        return (
            f"holds the invisible character U+{ord(odd):04X} ({what}) at character "
            f"{raw.index(odd) + 1}; "
            + (
                "no later stage can store a NUL, remove it at the source"
                if odd == "\x00"
                else "an id must be visible text, or look-alike ids would be different records"
            )
        )
    if negative:
        return (
            f"negative amount {raw.strip()}; amounts are positive and the direction "
            "comes from the account columns"
        )
    if f.type == "enum":
        return f"'{raw}' is not one of: " + ", ".join(f.choices)
    return f"'{raw}' is {_HOW.get(f.type, 'invalid')}"


#: Columns of the rejected-records frame returned by :func:`validate`.
REJECTED_SCHEMA = {"_record_no": pl.Int64, "_line": pl.Int64, "record_id": pl.String,
                   "field": pl.String, "reason": pl.String}  # fmt: skip


def validate(
    kind: RecordKind, raw: pl.DataFrame, strip_candidates: set[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split records into accepted (normalised) and rejected (with field and reason).

    Returns
    -------
    accepted : the normalised columns plus ``_record_no`` and ``_line``.
    rejected : ``_record_no``, ``_line``, ``record_id`` (the id as written, if the kind has
        one), ``field``, ``reason`` (one row per rejected record, every problem listed).

    ``strip_candidates``, if given, are the only columns where a value may have whitespace at
    an edge or be empty (the CSV record scan knows this); the others are not checked.

    Notes
    -----
    One Polars ``select`` evaluates every field's value and rejection mask in parallel;
    timestamps are parsed first (see :func:`fininvest.normalise.parse_timestamps`).
    """
    in_file = [f for f in kind.fields if f.out in raw.columns]
    # every type: a blank value ("" or " ", as QUOTE_ALL exports write) is no value
    strip = _needing_strip(
        raw,
        [f.out for f in in_file if strip_candidates is None or f.out in strip_candidates],
    )
    suspect = SUSPECT not in raw.columns or bool(raw[SUSPECT].any())
    raw = raw.with_columns(_text(c).alias(c) for c in strip)
    pre = []
    for f in in_file:
        if f.type == "timestamp":
            ts, offset = parse_timestamps(raw[f.out])
            pre += [ts.alias(f"__ts_{f.out}"), offset.alias("ts_offset_min")]
    pre += [v.alias(f"__cast_{c}") for c, v in exact_casts(raw, in_file).items()]
    if pre:
        raw = raw.with_columns(pre)
    values = [
        value_expr(f, raw, suspect) if f in in_file else pl.lit(None, f.dtype).alias(f.out)
        for f in kind.fields
    ]
    # a one-byte presence flag per field instead of a second copy of its text
    texts = [pl.col(f.out).is_not_null().alias(f"__p_{f.out}") for f in in_file]
    extra = [pl.col("ts_offset_min")] if "ts_offset_min" in raw.columns else []
    step = raw.lazy().select(*values, *texts, *extra, "_record_no", "_line", "_problem")
    checks: list[pl.Expr] = []
    for f in kind.fields:
        b, n = bad_expr(f, f in in_file)
        checks.append(b.alias(f"__bad_{f.out}"))
        if n is not None:
            checks.append(n.alias(f"__neg_{f.out}"))
    if kind.one_of:
        checks.append(
            pl.all_horizontal(
                ~pl.col(f"__p_{kind.field(n).out}") if kind.field(n) in in_file else pl.lit(True)
                for n in kind.one_of
            ).alias("__none_of")
        )
    names = [c.meta.output_name() for c in checks]
    any_bad = pl.any_horizontal(pl.col("_problem").is_not_null(), *names)
    checked = step.with_columns(checks).with_columns(any_bad.alias("__any_bad"))
    keep = [f.out for f in kind.fields] + ["ts_offset_min"] * bool(extra) + ["_record_no", "_line"]
    # one plan, two outputs: the shared part is computed once (common sub-plan elimination)
    materialised = checked.collect()
    if not materialised["__any_bad"].any():
        return materialised.select(keep), pl.DataFrame(schema=REJECTED_SCHEMA)
    checked = materialised.lazy()
    bad_rows, accepted = pl.collect_all(
        [
            checked.filter(pl.col("__any_bad")).select("_record_no", "_line", "_problem", *names),
            checked.filter(~pl.col("__any_bad")).select(keep),
        ]
    )
    id_out = kind.id_field if kind.id_field in raw.columns else None
    record_id = pl.col(id_out) if id_out else pl.lit(None, pl.String)
    # a structural problem (wrong number of fields, bad UTF-8, …) is the whole reason: those
    # records are rejected in one vectorised step, so a file of millions of broken lines costs
    # no Python object per line
    structural = (
        raw.filter(pl.col("_problem").is_not_null())
        .select(
            "_record_no",
            "_line",
            record_id.cast(pl.String).alias("record_id"),
            pl.lit("(record)").alias("field"),
            pl.col("_problem").alias("reason"),
        )
        .cast(REJECTED_SCHEMA)  # type: ignore[arg-type]
    )
    bad_rows = bad_rows.filter(pl.col("_problem").is_null())
    rejected_rows = []
    if bad_rows.height:
        raw_bad = raw.join(bad_rows.select("_record_no"), on="_record_no", how="semi")
        raw_by_no = {r["_record_no"]: r for r in raw_bad.iter_rows(named=True)}
        for row in bad_rows.iter_rows(named=True):
            src = raw_by_no[row["_record_no"]]
            fields, reasons = [], []
            for f in kind.fields:
                if row.get(f"__bad_{f.out}"):
                    fields.append(f.name)
                    reasons.append(
                        f"{f.name}: "
                        + reason_for(f, src.get(f.out), bool(row.get(f"__neg_{f.out}")))
                    )
            if row.get("__none_of"):
                fields.append("/".join(kind.one_of))
                reasons.append("at least one of " + ", ".join(kind.one_of) + " is required")
            rejected_rows.append(
                (
                    row["_record_no"],
                    row["_line"],
                    src.get(id_out) if id_out else None,
                    ",".join(fields),
                    "; ".join(reasons),
                )
            )
    rejected = pl.concat(
        [structural, pl.DataFrame(rejected_rows, schema=REJECTED_SCHEMA, orient="row")]
    ).sort("_record_no")
    return accepted, rejected
