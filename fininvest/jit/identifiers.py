"""Identifiers normalised for matching between countries, and match keys for persons' names.

Two countries write the same identifier differently (``de89 3704 …`` / ``DE8937…``,
``0151 2345678`` / ``+491512345678``, ``Anna.K@Example.COM``). Before anything is hashed
each identifier is brought to one normal form, so equal identifiers give equal hashes:

========  =========================================================================
kind      normal form
========  =========================================================================
iban      compact, upper case, ISO 13616 checksum verified
phone     E.164 (``phonenumbers``); national numbers need the record's country
email     stripped, lower case
passport  ``CC|NUMBER``: issuing country + number in upper case, letters and digits only
wallet    ``0x…`` and bech32 (``bc1…``) addresses lower case; base58 kept as written
handle    lower case, without a leading ``@``
========  =========================================================================

Persons without a shared identifier are compared by **match keys** built from their name,
date of birth and nationality (:func:`name_match_keys`). Names are transliterated to Latin
first: Cyrillic with the ICAO Doc 9303 scheme that passports use (``iuliia``), every other
script and what ICAO leaves (Ukrainian і, ї, є) with ``anyascii``; then lower case, letters
only, tokens sorted (so "Ivanov Ivan" and "Ivan Ivanov" agree). A Cyrillic name is also
transliterated with the scheme of Russian passports of 1997–2010 (MVD 782: Yuliya, Nikolay),
and keys are made for both spellings. The keys:

* ``name+dob`` — the transliterated tokens + date of birth: the same person written in two
  alphabets.
* ``phonetic+dob`` — each token's NYSIIS code (``jellyfish``) + date of birth: spelling
  variants (Shevchenko / Ševčenko, Kovalchuk / Koval'chuk) and most vowel typos.
* ``part+initials+dob+nationality`` — one key per token: the token, the initials of the other
  tokens, date of birth and nationality. A one-letter typo changes one token only, so the key
  built on another token still meets (unless the typo is in an initial).

Every key holds the full date of birth: with 10,000 persons per side about 6,000 pairs share
a birthday, and a key without it (e.g. phonetic surname + initial + birth year) meets
strangers. Keys travel only through the blinded protocol (:mod:`fininvest.jit.psi`); no
Bloom filter of a name is ever built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import iuliia
import jellyfish
from anyascii import anyascii

from fininvest.normalise import clean_email, clean_iban, clean_phone

#: Kinds of identifier that take part in deconfliction.
IDENTIFIER_KINDS = ("iban", "phone", "email", "passport", "wallet", "handle")
#: Kinds of name match key (see the module docstring).
NAME_KEY_KINDS = ("name+dob", "phonetic+dob", "part+initials+dob+nationality")

_ALNUM = re.compile(r"[^A-Z0-9]")
_HEX_WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BECH32 = re.compile(r"^(bc|tb|ltc)1[0-9a-zA-Z]{8,87}$")
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{25,50}$")
_HANDLE = re.compile(r"^@?([\w.\-]{2,64})$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NOT_LETTER = re.compile(r"[^a-z ]+")


def normalise_identifier(kind: str, value: str, country: str | None = None) -> str | None:
    """The matching form of one identifier, or ``None`` when it is not a valid one.

    Parameters
    ----------
    kind : one of :data:`IDENTIFIER_KINDS`.
    value : the identifier as recorded.
    country : ISO alpha-2; the region of a national phone number, the issuer of a passport.

    >>> normalise_identifier("iban", "de89 3704 0044 0532 0130 00")
    'DE89370400440532013000'
    >>> normalise_identifier("phone", "0151 2345 678", "DE")
    '+491512345678'
    >>> normalise_identifier("email", " Anna.K@Example.COM ")
    'anna.k@example.com'
    >>> normalise_identifier("passport", "fe 123-456", "ua")
    'UA|FE123456'
    >>> normalise_identifier("wallet", "0xAbCdEf0123456789abcdef0123456789ABCDEF01")
    '0xabcdef0123456789abcdef0123456789abcdef01'
    """
    v = value.strip()
    if not v:
        return None
    if kind == "iban":
        return clean_iban(v)
    if kind == "phone":
        return clean_phone(v, country.upper() if country else None)
    if kind == "email":
        return clean_email(v)
    if kind == "passport":
        number = _ALNUM.sub("", v.upper())
        cc = (country or "").strip().upper()
        return f"{cc}|{number}" if number and re.fullmatch(r"[A-Z]{2}", cc) else None
    if kind == "wallet":
        if _HEX_WALLET.match(v) or _BECH32.match(v):
            return v.lower()
        return v if _BASE58.match(v) else None
    if kind == "handle":
        m = _HANDLE.match(v)
        return m.group(1).lower() if m else None
    raise ValueError(f"unknown identifier kind {kind!r}")


def transliterate(name: str, scheme: iuliia.Schema = iuliia.ICAO_DOC_9303) -> str:
    """Latin, lower case, letters and single spaces only (Cyrillic by ``scheme``).

    >>> transliterate("Юлия Щербакова")
    'iuliia shcherbakova'
    >>> transliterate("Andrій Koval'chuk")
    'andrii kovalchuk'
    >>> transliterate("  Ștefan  MÜLLER-Lüdenscheidt ")
    'stefan mueller luedenscheidt'
    """
    text = name
    if _CYRILLIC.search(text):
        text = scheme.translate(text)
    text = text.replace("-", " ")
    # German umlauts as passports write them (MRZ: Ü -> UE) before anyascii drops the dots
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        text = text.replace(src, dst)
    text = anyascii(text).lower().replace("'", "")
    return " ".join(_NOT_LETTER.sub(" ", text).split())


def transliterations(name: str) -> list[str]:
    """The Latin spellings a name is matched by: one, or two for a Cyrillic name.

    >>> transliterations("Юлия Николаева")
    ['iuliia nikolaeva', 'yuliya nikolayeva']
    """
    spellings = [transliterate(name)]
    if _CYRILLIC.search(name):
        older = transliterate(name, iuliia.MVD_782)
        if older != spellings[0]:
            spellings.append(older)
    return spellings


@dataclass(frozen=True)
class MatchKey:
    """One name match key of one person: which key it is and its value (never sent in clear)."""

    kind: str
    value: str


def name_match_keys(name: str, birthdate: date | None, nationality: str | None) -> list[MatchKey]:
    """The match keys of one person (empty without a date of birth or a name).

    Complexity: O(t²) in the number of name tokens t (t ≤ 4 in practice).

    >>> [k.value for k in name_match_keys("Иван Петров", date(1990, 5, 1), "UA")][:2]
    ['ivan petrov|1990-05-01', 'IVAN PATRAV|1990-05-01']
    """
    if birthdate is None:
        return []
    dob = birthdate.isoformat()
    nat = (nationality or "").upper()
    keys: dict[MatchKey, None] = {}
    for spelling in transliterations(name):
        tokens = sorted(spelling.split())
        if not tokens:
            continue
        keys[MatchKey("name+dob", " ".join(tokens) + "|" + dob)] = None
        phonetic = " ".join(sorted(jellyfish.nysiis(t) for t in tokens))
        keys[MatchKey("phonetic+dob", phonetic + "|" + dob)] = None
        if nat and len(tokens) > 1:
            for i, tok in enumerate(tokens):
                initials = "".join(sorted(t[0] for j, t in enumerate(tokens) if j != i))
                keys[MatchKey("part+initials+dob+nationality", f"{tok}|{initials}|{dob}|{nat}")] = (
                    None
                )
    return list(keys)
