"""Exact money for the asset register: ``Decimal`` amounts in cents and FX to the base currency.

Amounts are kept in their original currency and converted to the workspace's base currency at
the latest rate on or before the event's date, from the workspace ``fx_rates`` table (direct
quotes ``currency → base``, or inverse ones ``base → currency``, inverted exactly). Every
converted amount is rounded once, to the cent (half to even); sums of such amounts are exact.

Examples
--------
>>> fx = FxRates("EUR", {"RON": [(date(2025, 1, 1), Decimal("0.2011"))]})
>>> fx.to_base(Decimal("1000"), "RON", date(2025, 3, 1))
(Decimal('201.10'), Decimal('0.2011'))
>>> cents(Decimal("0.125"))
Decimal('0.12')
"""

from __future__ import annotations

import bisect
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from fininvest.errors import BadInput

CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    """``x`` rounded to the cent, half to even."""
    return x.quantize(CENT, rounding=ROUND_HALF_EVEN)


def parse_amount(text: object) -> Decimal:
    """A non-negative decimal amount from text, an int or a float (via its shortest repr).

    Raises :class:`BadInput` for anything else, naming the value.
    """
    try:
        value = Decimal(repr(text) if isinstance(text, float) else str(text))
    except InvalidOperation:
        raise BadInput(f"'{text}' is not an amount (write e.g. 15000 or 1234.50)") from None
    if not value.is_finite() or value < 0:
        raise BadInput(f"'{text}' is not an amount ≥ 0")
    return cents(value)


class FxRates:
    """Daily rates to one base currency; ``rates[currency]`` sorted by date.

    Complexity: O(log n) per conversion (binary search on the dates of one currency).
    """

    def __init__(self, base: str, rates: dict[str, list[tuple[date, Decimal]]]) -> None:
        self.base = base
        self.rates = {c: sorted(r) for c, r in rates.items()}
        self._dates = {c: [d for d, _ in r] for c, r in self.rates.items()}

    @classmethod
    def from_rows(cls, base: str, rows: list[dict[str, object]]) -> FxRates:
        """From ``fx_rates`` rows (``date``, ``currency``, ``quote``, ``rate``)."""
        out: dict[str, list[tuple[date, Decimal]]] = {}
        for r in rows:
            cur, quote, d = str(r["currency"]), str(r["quote"]), r["date"]
            rate = Decimal(repr(r["rate"]) if isinstance(r["rate"], float) else str(r["rate"]))
            if not isinstance(d, date) or rate <= 0:
                continue
            if quote == base and cur != base:
                out.setdefault(cur, []).append((d, rate))
            elif cur == base and quote != base:
                out.setdefault(quote, []).append((d, Decimal(1) / rate))
        return cls(base, out)

    def rate(self, currency: str, on: date) -> Decimal:
        """Units of base per unit of ``currency``, latest on or before ``on``."""
        if currency == self.base:
            return Decimal(1)
        dates = self._dates.get(currency, [])
        i = bisect.bisect_right(dates, on)
        if i == 0:
            raise BadInput(
                f"no {currency}→{self.base} rate on or before {on}",
                hint="Ingest FX rates covering the date (kind fx, see docs/formats.md).",
            )
        return self.rates[currency][i - 1][1]

    def to_base(self, amount: Decimal, currency: str, on: date) -> tuple[Decimal, Decimal]:
        """(amount in base currency rounded to the cent, the rate used)."""
        r = self.rate(currency, on)
        return cents(amount * r), r
