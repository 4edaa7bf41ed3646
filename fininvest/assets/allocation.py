"""Sharing between states after victims: Regulation (EU) 2018/1805 art. 30(7).

Money obtained from executing another state's confiscation order, other than what goes to
victims, is shared unless the states agree otherwise: up to EUR 10 000 stays with the executing
state; of a larger amount, 50 % goes to the issuing state. The register enforces the order
(victims first, never more than realised; see :mod:`fininvest.assets.history`); this module
computes what the rule would give, beside what was shared, for assets confiscated on a
cross-border order. It only applies when the workspace's base currency is EUR.

Examples
--------
>>> art30_due(Decimal("21340.00"))
Decimal('10670.00')
>>> art30_due(Decimal("9000.00"))
Decimal('0.00')
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fininvest.assets.history import ZERO, AssetState
from fininvest.assets.lifecycle import Lifecycle
from fininvest.assets.money import cents

THRESHOLD_EUR = Decimal("10000")


def art30_due(after_victims: Decimal) -> Decimal:
    """What the issuing state receives of ``after_victims`` (EUR) under art. 30(7)."""
    return ZERO if after_victims <= THRESHOLD_EUR else cents(after_victims / 2)


def art30_split(lc: Lifecycle, st: AssetState, base_currency: str) -> dict[str, Any] | None:
    """For an asset finally confiscated on a cross-border order (issuing ≠ executing state)
    with realised value: the amount after victims, the issuing state's share under
    art. 30(7), what was shared, and the difference; ``None`` otherwise."""
    if base_currency != "EUR" or not st.realised:
        return None
    final = [
        ev
        for ev in st.events
        if lc.states[ev["status"]].order == "confiscation_final"
        and ev.get("issuing_state") != ev.get("executing_state")
    ]
    if not final:
        return None
    after = st.realised - st.compensated
    due = art30_due(after)
    return {
        "issuing_state": final[-1]["issuing_state"],
        "executing_state": final[-1]["executing_state"],
        "after_victims": after,
        "due_to_issuing_state": due,
        "shared": st.shared,
        "outstanding": due - st.shared,
    }
