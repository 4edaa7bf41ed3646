"""Normalisers for the values investigators exchange: times, money, countries, phones, IBANs.

Every normaliser exists in two forms that share one definition of "valid":

* a scalar cleaner (``clean_*``) returning the normalised value or ``None`` for a value that
  cannot be normalised (never raising on bad data, as in followthemoney's types), and
* where volume matters, a vectorised Polars form used by the ingest pipeline.

Countries, phones, e-mails and IBANs are normalised per *distinct* value with the scalar
cleaner and mapped back, which is exact and fast because real files repeat them heavily.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
import polars as pl
import pycountry

from fininvest.codes import COUNTRIES, CURRENCIES
from fininvest.iso8601 import NO_OFFSET, OTHER, PARSED, parse_usual

# ----------------------------------------------------------------------------- currencies
#: Currency names used instead of codes by some exports (e.g. the IBM AML data sets).
CURRENCY_NAMES = {
    "US DOLLAR": "USD", "EURO": "EUR", "YUAN": "CNY", "YEN": "JPY", "UK POUND": "GBP",
    "SWISS FRANC": "CHF", "AUSTRALIAN DOLLAR": "AUD", "CANADIAN DOLLAR": "CAD",
    "MEXICAN PESO": "MXN", "RUBLE": "RUB", "RUPEE": "INR", "SHEKEL": "ILS", "BRAZIL REAL": "BRL",
    "SAUDI RIYAL": "SAR", "BITCOIN": "XBT",
}  # fmt: skip


def clean_currency(value: str | None) -> str | None:
    """ISO 4217 alpha-3 code, upper-cased, or ``None`` if unknown.

    >>> clean_currency(" eur ")
    'EUR'
    >>> clean_currency("EUROS") is None
    True
    >>> clean_currency("US Dollar")
    'USD'
    """
    if value is None:
        return None
    code = value.strip().upper()
    code = CURRENCY_NAMES.get(code, code)
    return code if code in CURRENCIES else None


# ----------------------------------------------------------------------------- countries
# goAML and some banks use these for Kosovo and unknown origins; Kosovo is not in ISO 3166
# but is a user-assigned code in wide use (EU, SWIFT).
_EXTRA_COUNTRIES = {"XK": "XK"}


@lru_cache(maxsize=4096)
def clean_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code from an alpha-2, alpha-3 or English name; ``None`` if unknown.

    >>> clean_country("deu"), clean_country("Germany"), clean_country("de")
    ('DE', 'DE', 'DE')
    """
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    up = v.upper()
    if up in _EXTRA_COUNTRIES:
        return _EXTRA_COUNTRIES[up]
    if len(up) == 2:
        return up if up in COUNTRIES else None
    if len(up) == 3 and up.isalpha():
        c = pycountry.countries.get(alpha_3=up)
        return c.alpha_2 if c else None
    try:
        return str(pycountry.countries.lookup(v).alpha_2)
    except LookupError:
        return None


# ----------------------------------------------------------------------------- phones
@lru_cache(maxsize=65536)
def clean_phone(value: str | None, default_region: str | None = None) -> str | None:
    """E.164 phone number (``+4915123456789``) or ``None`` if it is not a possible number.

    ``default_region`` (ISO alpha-2) is used for numbers written without a ``+`` prefix.

    >>> clean_phone("0151 2345 678", "DE")
    '+491512345678'
    >>> clean_phone("+40 721 234 567")
    '+40721234567'
    """
    if value is None:
        return None
    raw = value.strip()
    if not raw:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        num = phonenumbers.parse(raw, None if raw.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return str(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))


# ----------------------------------------------------------------------------- e-mail
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(value: str | None) -> str | None:
    """Lower-cased, stripped e-mail address, or ``None`` if it is not shaped like one.

    >>> clean_email(" Anna.K@Example.COM ")
    'anna.k@example.com'
    """
    if value is None:
        return None
    v = value.strip().lower()
    return v if _EMAIL.match(v) else None


# ----------------------------------------------------------------------------- IBAN
@lru_cache(maxsize=1)
def iban_lengths() -> dict[str, int]:
    """Registered IBAN length of every country in the SWIFT IBAN registry, from
    ``schwifty``'s copy of it (its "aspirational" entries, countries that do not use IBANs,
    left out). Read once, when first needed (``schwifty`` takes 0.2-0.3 s to import).

    >>> iban_lengths()["DE"], "NG" in iban_lengths()
    (22, False)
    """
    from schwifty import exceptions, registry

    lengths = {}
    for country in sorted({c.alpha_2 for c in pycountry.countries} | {"XK"}):
        try:
            spec = registry.get_iban_spec(country)
        except exceptions.InvalidCountryCode:
            continue
        if not spec.aspirational:
            lengths[country] = spec.iban_length
    return lengths


_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


#: ISO 13616: each letter stands for two digits, A = 10 … Z = 35
_IBAN_LETTERS = str.maketrans({chr(ord("A") + k): str(10 + k) for k in range(26)})


def _iban_number(text: str) -> int:
    return int(text.upper().translate(_IBAN_LETTERS))


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check on a compact, upper-case IBAN."""
    return _iban_number(iban[4:] + iban[:4]) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country + digits + bban`` a valid IBAN."""
    return f"{98 - _iban_number(bban + country + '00') % 97:02d}"


def clean_iban(value: str | None) -> str | None:
    """Compact upper-case IBAN if its format, registered length and checksum are valid.

    >>> clean_iban("de89 3704 0044 0532 0130 00")
    'DE89370400440532013000'
    >>> clean_iban("DE88370400440532013000") is None
    True
    """
    if value is None:
        return None
    v = re.sub(r"[\s-]", "", value).upper()
    if not _IBAN_SHAPE.match(v):
        return None
    expected = iban_lengths().get(v[:2])  # another country: format and checksum only
    if expected is not None and len(v) != expected:
        return None
    return v if iban_checksum_ok(v) else None


# ----------------------------------------------------------------------------- vectorised forms
def amount_expr(text: pl.Expr) -> pl.Expr:
    """Decimal written with a dot (``1234.56``) → Float64; null where not a finite number."""
    return finite(text.str.strip_chars().cast(pl.Float64, strict=False))


def finite(num: pl.Expr) -> pl.Expr:
    """A parsed amount, null where it is not a finite number (``inf``, ``nan``)."""
    return pl.when(num.is_finite()).then(num)


#: what a date field accepts: ``YYYY-MM-DD``, or an ISO timestamp of the shapes
#: :func:`parse_timestamps` reads (cut to its date); anything after it (``2025-01-019``,
#: ``2025-03-14 approx``) makes the value invalid, never silently dropped
_DATE_SHAPE = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def date_expr(text: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` (a full ISO timestamp is cut to its date) → Date; null where invalid,
    including the year 0000 (ISO 8601 years here are 0001-9999).

    Examples
    --------
    >>> s = pl.Series(["2025-01-19", "2025-01-019", "2025-03-14 approx", "0000-01-01"])
    >>> pl.select(date_expr(pl.lit(s))).to_series().to_list()
    [datetime.date(2025, 1, 19), None, None, None]
    """
    t = text.str.strip_chars()
    ok = t.str.contains(_DATE_SHAPE) & ~t.str.starts_with("0000")
    return pl.when(ok).then(t.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))


def parse_amounts(s: pl.Series) -> pl.Series:
    """Series form of :func:`amount_expr`."""
    return pl.DataFrame({"v": s}).select(amount_expr(pl.col("v"))).to_series()


_TS_SUFFIX = r"(Z|z|[+-]\d{2}:?\d{2})$"


def parse_timestamps(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Parse ISO 8601 timestamps to UTC, keeping the original UTC offset.

    Accepts ``YYYY-MM-DD[T ]HH:MM[:SS[.fff]]`` (also with ``/`` between date parts) optionally
    followed by ``Z`` or ``±HH[:]MM``.
    A timestamp without an offset is taken as UTC and its offset is returned as null, so the
    record still says that no offset was given.

    Returns
    -------
    (ts, offset_minutes) : a ``Datetime("ms", "UTC")`` Series (null where unparseable) and an
    ``Int16`` Series of the original offset in minutes.

    Notes
    -----
    O(n). The usual export shape (``2025-03-14T21:45:10+01:00``, ``…Z`` or no offset) is read
    straight from the string bytes by :func:`fininvest.iso8601.parse_usual` (about 5× faster
    than the Polars parse below); every other value goes through Polars: the first 19
    characters with a fixed format and the offset from fixed positions, then, for what is left,
    the general path (regex, one or two passes).
    """
    ms, off, status = parse_usual(s)
    rest = pl.Series(status == OTHER)
    ts = pl.Series("ts", ms).cast(pl.Datetime("ms", "UTC"))
    offset = pl.Series("ts_offset_min", off)
    ts = ts.set(pl.Series(status != PARSED), None) if ts.len() else ts
    offset = offset.set(pl.Series(off == NO_OFFSET), None) if offset.len() else offset
    return _rest_by(_parse_timestamps_polars, s, rest, ts, offset)


TimestampParser = Callable[[pl.Series], tuple[pl.Series, pl.Series]]


def _rest_by(
    parser: TimestampParser, s: pl.Series, rest: pl.Series, ts: pl.Series, offset: pl.Series
) -> tuple[pl.Series, pl.Series]:
    """``ts`` and ``offset`` with the values where ``rest`` holds parsed by ``parser``."""
    if not rest.any():
        return ts, offset
    idx = rest.arg_true()
    slow_ts, slow_off = parser(s.gather(idx))
    return ts.scatter(idx, slow_ts), offset.scatter(idx, slow_off)


#: the shapes :func:`parse_timestamps` accepts; chrono alone would also take one-digit years,
#: months and days (``0-01-1T00:00:00`` as the year 0)
_TS_SHAPE = r"^\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?" + _TS_SUFFIX.replace(
    ")$", ")?$"
)


def _parse_timestamps_polars(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """:func:`parse_timestamps` in Polars alone (the values the byte parser leaves)."""
    s = s.str.strip_chars()
    # the year 0000 and a leap second (…:60, which chrono rolls into the next minute) are
    # refused: stored, they would be another instant than the one written
    shaped = s.str.contains(_TS_SHAPE) & ~s.str.starts_with("0000") & (s.str.slice(16, 3) != ":60")
    s = pl.select(pl.when(shaped).then(s)).to_series()
    parts = pl.DataFrame({"s": s}).select(
        pl.col("s").str.slice(19).alias("tail"),
        pl.col("s")
        .str.slice(0, 19)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="ms", cache=False)
        .cast(pl.Int64)
        .alias("naive_ms"),
        pl.col("s").is_not_null().alias("given"),
    )
    tail = pl.col("tail")
    colon_form = (tail.str.len_bytes() == 6) & (tail.str.slice(3, 1) == ":")
    sign = pl.when(tail.str.slice(0, 1) == "-").then(-1).when(tail.str.slice(0, 1) == "+").then(1)
    minutes = sign * (
        tail.str.slice(1, 2).cast(pl.Int32, strict=False) * 60
        + tail.str.slice(4, 2).cast(pl.Int32, strict=False)
    )
    offset = (
        pl.when(tail.str.len_bytes() == 0)
        .then(None)
        .when((tail == "Z") | (tail == "z"))
        .then(0)
        .when(colon_form)
        .then(minutes)
    )
    ok = pl.col("naive_ms").is_not_null() & (
        (tail.str.len_bytes() == 0)
        | (tail == "Z")
        | (tail == "z")
        | (colon_form & (minutes.abs() <= 18 * 60)).fill_null(False)
    )
    fast = parts.select(
        (pl.col("naive_ms") - offset.cast(pl.Int64).fill_null(0) * 60_000)
        .cast(pl.Datetime("ms", "UTC"))
        .alias("ts"),
        offset.cast(pl.Int16).alias("ts_offset_min"),
        (~ok & pl.col("given")).alias("rest"),
    )
    return _rest_by(_parse_timestamps_general, s, fast["rest"], fast["ts"], fast["ts_offset_min"])


def _parse_timestamps_general(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    suffix = s.str.extract(_TS_SUFFIX, 1)
    base = (
        s.str.replace(_TS_SUFFIX, "")
        .str.replace(" ", "T", literal=True, n=1)
        .str.replace_all("/", "-", literal=True)
    )  # 2022/09/01 00:20 (IBM AML exports)
    naive = base.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="ms")
    if naive.null_count() > s.null_count():
        short = base.str.to_datetime("%Y-%m-%dT%H:%M", strict=False, time_unit="ms")
        naive = naive.fill_null(short)
    digits = suffix.str.replace_all(r"[^0-9]", "")
    offset = (
        pl.select(
            pl.when(suffix.str.to_uppercase() == "Z")
            .then(0)
            .otherwise(
                pl.when(suffix.str.starts_with("-")).then(-1).otherwise(1)
                * (
                    digits.str.slice(0, 2).cast(pl.Int32, strict=False) * 60
                    + digits.str.slice(2, 2).cast(pl.Int32, strict=False)
                )
            )
        )
        .to_series()
        .cast(pl.Int16)
    )
    # out-of-range offsets (over 18 hours) are not real offsets
    offset = offset.set(offset.abs() > 18 * 60, None) if offset.len() else offset
    bad_offset = suffix.is_not_null() & offset.is_null()
    ts = (naive.cast(pl.Int64) - offset.cast(pl.Int64).fill_null(0) * 60_000).cast(
        pl.Datetime("ms", "UTC")
    )
    ts = ts.set(bad_offset, None) if ts.len() else ts
    return ts, offset
