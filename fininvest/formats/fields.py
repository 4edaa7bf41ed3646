"""Field declarations: the one place a record layout is described.

Validation, Polars dtypes of the ingested tables and the column tables in
``docs/formats.md`` are all derived from these declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from fininvest.codes import COUNTRIES, CURRENCIES

FieldType = Literal[
    "id", "text", "timestamp", "date", "amount", "currency", "country", "phone", "email",
    "iban", "enum", "mcc", "int", "number",
]  # fmt: skip

#: Polars dtype of the normalised column for each field type.
DTYPES: dict[str, pl.DataType] = {
    "id": pl.String(),
    "text": pl.String(),
    "timestamp": pl.Datetime("ms", "UTC"),
    "date": pl.Date(),
    "amount": pl.Float64(),
    "number": pl.Float64(),
    "currency": pl.String(),
    "country": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "iban": pl.String(),
    "enum": pl.String(),
    "mcc": pl.Int16(),
    "int": pl.Int64(),
}

CURRENCY_DTYPE = pl.Enum(sorted(CURRENCIES))
COUNTRY_DTYPE = pl.Enum(sorted(COUNTRIES | {"XK"}))

#: How each field type is written in an input file (for the docs).
TYPE_DOCS: dict[str, str] = {
    "id": "non-empty text, unique within the kind",
    "text": "free text",
    "timestamp": (
        "ISO 8601 `YYYY-MM-DDTHH:MM[:SS[.fff]]` (4-digit year, 2-digit fields; a space for `T`"
        " and `/` in the date also read) with `Z` or `±HH[:]MM`; no offset = UTC"
    ),
    "date": "ISO 8601 date `YYYY-MM-DD`",
    "amount": "decimal with a dot, ≥ 0 (`1234.50`)",
    "number": "decimal with a dot",
    "currency": "ISO 4217 code (`EUR`)",
    "country": "ISO 3166 alpha-2, alpha-3 or English name (stored as alpha-2)",
    "phone": "phone number; stored as E.164 (`+4915123456789`)",
    "email": "e-mail address; stored lower-cased",
    "iban": "IBAN, spaces allowed; checksum verified; stored compact",
    "enum": "one of the listed values (case-insensitive)",
    "mcc": "ISO 18245 merchant category code, 4 digits",
    "int": "whole number",
}


@dataclass(frozen=True)
class Field:
    """One column of a record layout.

    Attributes
    ----------
    name : column name in the input file (and, unless ``column`` says otherwise, in the table).
    type : the field type, which decides parsing and normalisation.
    required : a record without a value here is rejected.
    description : what the field means, in the field's words (goes into the docs).
    example : an example value (goes into the docs and into the generated examples).
    choices : allowed values for ``enum`` fields.
    aliases : other header names accepted for this column (compared case- and space-insensitively).
    column : name of the normalised column in the workspace table, if different.
    account : an account id: an IBAN-shaped value is stored in electronic format (no spaces,
        upper case) and checked, its check in ``<column>_iban_valid``
        (:mod:`fininvest.formats.accounts`).
    account_kind : with ``account``, the column that must say ``account`` for the value to be
        an account id (an identifier's owner).
    """

    name: str
    type: FieldType
    required: bool = False
    description: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    column: str | None = None
    account: bool = False
    account_kind: str | None = None

    @property
    def out(self) -> str:
        return self.column or self.name

    @property
    def dtype(self) -> pl.DataType:
        """Polars dtype of the normalised column; closed vocabularies become ``Enum``s, which
        are smaller in memory, faster to write, and give kernels integer codes for free."""
        if self.type == "enum":
            return pl.Enum(self.choices)
        if self.type == "currency":
            return CURRENCY_DTYPE
        if self.type == "country":
            return COUNTRY_DTYPE
        return DTYPES[self.type]


@dataclass(frozen=True)
class Derived:
    """A column added to the table by normalisation (documented, not read from the file)."""

    name: str
    dtype: pl.DataType
    description: str


Finisher = Callable[[pl.DataFrame, "FinishContext"], pl.DataFrame]


@dataclass
class FinishContext:
    """What a kind's finishing step may use: base currency, FX rates, the source file, and the
    reference rates (daily rates to the base, for what the case's own rates do not cover)."""

    base_currency: str
    fx: pl.DataFrame | None
    source_name: str
    reference: Callable[[], pl.DataFrame] | None = None


@dataclass(frozen=True)
class RecordKind:
    """A declared input layout and the workspace table it feeds."""

    name: str
    title: str
    table: str
    description: str
    fields: tuple[Field, ...]
    id_field: str | None = None
    #: column names that must appear in exactly this order (IBM files repeat "Account")
    positional: bool = False
    derived: tuple[Derived, ...] = ()
    #: kind-specific mapping after validation (e.g. building account ids from bank + number)
    finish: Finisher | None = None
    #: at least one of these must be present in every record
    one_of: tuple[str, ...] = ()
    #: validated columns the finisher consumes and that do not reach the table
    drop: tuple[str, ...] = ()
    #: ground-truth label columns, stored in the separate ``labels`` table
    labels: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("csv", "parquet")
    notes: tuple[str, ...] = field(default_factory=tuple)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)
