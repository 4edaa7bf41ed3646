"""The code lists values are checked against: ISO 4217 currencies and ISO 3166 countries.

A module of its own, importing nothing but ``pycountry``, so that checking a configuration
file does not load the normalisers (and numba behind them).
"""

from __future__ import annotations

import pycountry

#: Codes withdrawn from ISO 4217 that still occur in case data (Bulgaria joined the euro on
#: 2026-01-01, Croatia on 2023-01-01), plus XBT, the common non-ISO code for bitcoin.
HISTORIC_CURRENCIES = frozenset({"BGN", "HRK", "LTL", "LVL", "EEK", "SKK", "XBT"})
CURRENCIES: frozenset[str] = (
    frozenset(c.alpha_3 for c in pycountry.currencies) | HISTORIC_CURRENCIES
)
#: ISO 3166-1 alpha-2 country codes.
COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)

__all__ = ["COUNTRIES", "CURRENCIES", "HISTORIC_CURRENCIES"]
