"""Account ids in one normal form: an IBAN written with spaces or in lower case is one account.

Banks print IBANs in groups of four (``DE89 3704 0044 0532 0130 00``), exports and analysts
write them compact, sometimes in lower case; the same account must be one node of the graph,
one row of every per-account indicator, and join its KYC record. So every account-id column
(payer and payee of transactions, the card's funding account, KYC ``account_id``, an
identifier's or an intelligence record's id when it names an account) gets this step:

* a value that is **IBAN-shaped** — after removing spaces and upper-casing, two letters of a
  country in the SWIFT IBAN registry, two check digits, then 11 to 30 letters or digits — is
  stored in the IBAN's electronic format (no spaces, upper case, ISO 13616-1);
* its **check** is recorded in ``<column>_iban_valid``: true when its length is the one the
  registry sets for its country and its check digits are right (ISO 7064 mod 97-10: the
  number is 1 modulo 97 and the check digits are 02–98), false otherwise — the record is kept
  and counted in the ingest summary (``iban_invalid``), never rejected;
* any other value (``bank:number``, an internal id, a card token) is left exactly as written
  (its flag is null).

The original text of every record stays in ``raw/`` (the byte copy of the file) and is found
from the row's provenance (``source_file``, ``record_no``, ``source_line``).

The registry's lengths come from ``schwifty`` (its copy of the SWIFT IBAN registry, without the
"aspirational" countries that have no IBAN). The check itself runs in a numba kernel over the
column's Arrow views (:func:`iban_status`): 10M rows have 20M account ids, and a Python call
per value (``schwifty.IBAN`` takes about 10 µs) would cost minutes. The kernel is checked
against the scalar :func:`fininvest.normalise.clean_iban` family in ``tests/test_accounts.py``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit

from fininvest.formats.arrowview import view_chunks
from fininvest.normalise import iban_checksum_ok, iban_lengths

#: the rules, as docs/formats.md states them (generated from here)
ACCOUNT_RULES = [
    "Columns marked *(account)* hold account ids. An account id that is IBAN-shaped — once "
    "spaces are removed and letters upper-cased: the two letters of a country in the SWIFT "
    "IBAN registry, two check digits, then 11 to 30 letters or digits — is stored in the "
    "IBAN's electronic format (ISO 13616-1: no spaces, upper case), so "
    "`DE89 3704 0044 0532 0130 00`, `de89370400440532013000` and `DE89370400440532013000` are "
    "one account in the transactions, the KYC tables and the graph.",
    "",
    "- Its check is stored beside it in `<column>_iban_valid`: true when its length is the "
    "registry's for its country and its check digits are right (ISO 7064 mod 97-10: the "
    "number is 1 modulo 97, check digits 02–98); false otherwise. A record with a bad IBAN is "
    "kept, never rejected or corrected, and counted in the ingest summary (`iban_invalid`; "
    "`iban_rewritten` counts the records whose IBAN was written with spaces or in lower case).",
    "- Any other account id (`bank:number`, an internal id) is stored exactly as written; its "
    "flag is empty. Only spaces and case are changed, nothing else (a dash or a dot stays).",
    "- The text as written stays in `raw/`, found from the row's provenance (`source_file`, "
    "`record_no`, `source_line`).",
    "- An identifier's `owner_id` is an account id only where `owner_kind` is `account`.",
    "- The registry's lengths come from the `schwifty` package; the national (BBAN) structure "
    "and checksums are not checked.",
]

#: what :func:`iban_status` says of a value
NOT_IBAN, VALID, INVALID, VALID_REWRITTEN, INVALID_REWRITTEN = 0, 1, 2, 3, 4

#: the flag column beside an account-id column
FLAG_SUFFIX = "_iban_valid"


def flag_column(column: str) -> str:
    """The name of the check flag of an account-id column.

    >>> flag_column("from_account")
    'from_account_iban_valid'
    """
    return column + FLAG_SUFFIX


@functools.cache
def _length_table() -> np.ndarray:
    """Registered IBAN length per country, indexed ``26 × letter1 + letter2`` (0: none)."""
    table = np.zeros(26 * 26, np.int8)
    for country, length in iban_lengths().items():
        table[(ord(country[0]) - 65) * 26 + ord(country[1]) - 65] = length
    return table


def status_of(value: str | None) -> int:
    """The scalar form of :func:`iban_status` (the oracle the kernel is tested against).

    >>> status_of("de89 3704 0044 0532 0130 00"), status_of("DE88370400440532013000")
    (3, 2)
    >>> status_of("10:8000EBD30"), status_of("DE89370400440532013000")
    (0, 1)
    """
    if value is None:
        return NOT_IBAN
    compact = value.replace(" ", "").upper()
    lengths = iban_lengths()
    if not (
        15 <= len(compact) <= 34
        and compact.isascii()
        and compact.isalnum()
        and compact[:2].isalpha()
        and compact[2:4].isdigit()
        and compact[:2] in lengths
    ):
        return NOT_IBAN
    ok = (
        len(compact) == lengths[compact[:2]]
        and 2 <= int(compact[2:4]) <= 98
        and iban_checksum_ok(compact)
    )
    rewritten = compact != value
    return (VALID if ok else INVALID) + 2 * rewritten


def _char_table() -> np.ndarray:
    """What each byte is worth in an IBAN's number: digits 0-9, letters (either case) 10-35
    (+ 64 for a lower-case letter), a space −1, anything else −2."""
    table = np.full(256, -2, np.int64)
    table[48:58] = np.arange(10)
    table[65:91] = np.arange(10, 36)
    table[97:123] = np.arange(10, 36) + 64
    table[32] = -1
    return table


_CHARS = _char_table()


@njit(cache=True, inline="always")
def _one(data, at, size, lengths, chars):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`status_of` of the ``size`` bytes of ``data`` from ``at`` (only reads arrays)."""
    if size < 15 or size > 80:  # an IBAN has 15-34 characters, spaces aside
        return 0
    head = 0  # the first four characters' values, 6 bits each
    p = 0  # characters of the compact form so far
    r = 0  # the number the characters after the first four stand for, modulo 97
    rewritten = False
    for k in range(size):
        v = chars[data[at + k]]
        if v < 0:
            if v == -1:  # a space
                rewritten = True
                continue
            return 0
        if v >= 64:
            v -= 64
            rewritten = True
        if p < 4:
            if (v < 10) == (p < 2):  # two letters, then two digits
                return 0
            head = (head << 6) | v
        elif v < 10:
            r = r * 10 + v
        else:
            r = r * 100 + v
        if r >= 1_000_000_000_000_000:
            r %= 97
        p += 1
    if p < 15 or p > 34:
        return 0
    c0, c1, check = head >> 18, (head >> 12) & 63, ((head >> 6) & 63) * 10 + (head & 63)
    want = lengths[(c0 - 10) * 26 + c1 - 10]
    if want == 0:
        return 0  # not a country of the IBAN registry: not an IBAN
    r = ((((r % 97) * 100 + c0) % 97) * 100 + c1) * 100 + check
    valid = p == want and r % 97 == 1 and 2 <= check <= 98
    return (1 if valid else 2) + (2 if rewritten else 0)


#: 10**k modulo 97: the weight of a digit k places from the end of a number, modulo 97
_POW10 = np.array([pow(10, k, 97) for k in range(80)], np.int64)


@njit(cache=True, inline="always")
def _usual(data, at, size, lengths, chars, pow10):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`_one` for the usual IBAN as exports write it (compact, upper case, digits after
    the country), without a chain of dependent multiplications: each digit times its weight
    modulo 97 (:data:`_POW10`), summed; every other value goes to :func:`_one`."""
    if size < 15 or size > 34:
        return _one(data, at, size, lengths, chars)
    c0, c1 = chars[data[at]], chars[data[at + 1]]
    d0, d1 = np.int64(data[at + 2]) - 48, np.int64(data[at + 3]) - 48
    if not (10 <= c0 < 36 and 10 <= c1 < 36 and 0 <= d0 < 10 and 0 <= d1 < 10):
        return _one(data, at, size, lengths, chars)
    want = lengths[(c0 - 10) * 26 + c1 - 10]
    if want == 0:
        return 0  # not a country of the IBAN registry: not an IBAN
    m = size - 4
    acc = 0
    bad = False
    for j in range(m):
        d = int(data[at + 4 + j]) - 48
        bad |= (d < 0) | (d > 9)
        acc += d * pow10[m - 1 - j]
    if bad:
        return _one(data, at, size, lengths, chars)  # a letter, a space, lower case
    check = d0 * 10 + d1
    r = ((acc % 97) * pow10[6] + c0 * pow10[4] + c1 * 100 + check) % 97
    return 1 if (size == want and r == 1 and 2 <= check <= 98) else 2


@njit(cache=True, nogil=True)
def _status_views(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    views, data, validity, validity_offset, lengths, chars, pow10, out
):
    """Each value's status from its Arrow view (values over 12 bytes point into ``data``)."""
    for i in range(views.shape[0]):
        b = validity_offset + i
        if validity.shape[0] and not (validity[b >> 3] >> (b & 7)) & 1:
            out[i] = 0  # null
        elif views[i, 0] <= 12:
            out[i] = 0  # too short for an IBAN, even without spaces
        else:
            out[i] = _usual(data, views[i, 3], views[i, 0], lengths, chars, pow10)


@njit(cache=True, nogil=True)
def _status_joined(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data, sizes, lengths, chars, pow10, out
):
    """Each value's status from the values written one after another (``sizes`` bytes)."""
    at = 0
    for i in range(sizes.shape[0]):
        out[i] = _usual(data, at, sizes[i], lengths, chars, pow10)
        at += sizes[i]


def iban_status(values: pl.Series) -> np.ndarray:
    """Per value: :data:`NOT_IBAN`, :data:`VALID`, :data:`INVALID`, or one of the last two
    for a value that must be rewritten (spaces, lower case): :data:`VALID_REWRITTEN`,
    :data:`INVALID_REWRITTEN`.

    Parameters
    ----------
    values : a String Series.

    Returns
    -------
    An int8 array, one per value.

    Notes
    -----
    O(total bytes), no Python object per value: a numba kernel reads each value's bytes through
    its Arrow view, in place. A column Polars keeps in several data buffers (built by an
    expression, read from Parquet) is first written out as one text (``str.join``: one copy of
    its bytes) and read from there.

    Examples
    --------
    >>> iban_status(pl.Series(["GB82 WEST 1234 5698 7654 32", None, "M-20931"])).tolist()
    [3, 0, 0]
    """
    out = np.zeros(len(values), np.int8)
    if values.dtype != pl.String or not len(values):
        return out
    lengths = _length_table()
    with view_chunks(values) as chunks:
        if chunks is not None:
            start = 0
            for c in chunks:
                end = start + c.views.shape[0]
                part = out[start:end]
                _status_views(
                    c.views, c.data, c.validity, c.validity_offset, lengths, _CHARS, _POW10, part
                )
                start = end
            return out
    return iban_status_joined(values)


def iban_status_joined(values: pl.Series) -> np.ndarray:
    """:func:`iban_status` from the values written out one after another (``str.join``): for a
    column Polars keeps in several data buffers. One copy of the column's bytes."""
    out = np.zeros(len(values), np.int8)
    filled = values.fill_null("")
    sizes = filled.str.len_bytes().to_numpy()
    joined = filled.str.join("")
    with view_chunks(joined) as one:
        if one is None or int(sizes.sum()) <= 12:  # nothing long enough to be an IBAN
            return out
        _status_joined(one[0].data, sizes, _length_table(), _CHARS, _POW10, out)
    return out


@dataclass
class AccountCounts:
    """What :func:`normalise_accounts` did to one frame, for the ingest summary."""

    #: records with an IBAN rewritten to its electronic format (spaces, case)
    rewritten: int = 0
    #: records with an IBAN-shaped account id whose length or check digits are wrong
    invalid: int = 0


def normalise_accounts(
    df: pl.DataFrame, columns: list[tuple[str, str | None]]
) -> tuple[pl.DataFrame, AccountCounts]:
    """IBAN-shaped values of the account-id ``columns`` in electronic format, each column's
    check in ``<column>_iban_valid``.

    Parameters
    ----------
    df : a validated frame.
    columns : ``(column, kind_column)`` pairs; with a ``kind_column``, only the rows where it
        says ``account`` are account ids (an identifier's owner, an intelligence subject).

    Returns
    -------
    The frame with the columns rewritten and the flags added, and the counts.

    Complexity: O(rows × characters), see :func:`iban_status`.

    Examples
    --------
    >>> df = pl.DataFrame({"to_account": ["de89 3704 0044 0532 0130 00", "10:8000EBD30"]})
    >>> out, n = normalise_accounts(df, [("to_account", None)])
    >>> out.rows(), (n.rewritten, n.invalid)
    ([('DE89370400440532013000', True), ('10:8000EBD30', None)], (1, 0))
    """
    any_rewritten = np.zeros(df.height, np.bool_)
    any_invalid = np.zeros(df.height, np.bool_)
    flags = []
    for column, kind_column in columns:
        if column not in df.columns:
            continue
        status = iban_status(df[column])
        if kind_column is not None and kind_column in df.columns:
            is_account = (df[kind_column].cast(pl.String) == "account").fill_null(False)
            status[~is_account.to_numpy()] = NOT_IBAN
        rewrite = status >= VALID_REWRITTEN
        invalid = (status == INVALID) | (status == INVALID_REWRITTEN)
        any_rewritten |= rewrite
        any_invalid |= invalid
        if rewrite.any():
            idx = pl.Series(np.flatnonzero(rewrite))
            fixed = df[column].gather(idx).str.replace_all(" ", "", literal=True).str.to_uppercase()
            df = df.with_columns(df[column].scatter(idx, fixed))
        code = pl.Series(status)
        flags.append(
            pl.select(pl.when(code != NOT_IBAN).then((code % 2) == 1))
            .to_series()
            .alias(flag_column(column))
        )
    counts = AccountCounts(int(any_rewritten.sum()), int(any_invalid.sum()))
    return (df.with_columns(flags) if flags else df), counts
