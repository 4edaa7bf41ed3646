"""One asset's history: replaying events into a state, and the hash chain that seals them.

An event is a plain ``dict`` (as stored, one JSON line in the register's journal). Replaying an
asset's events in order through :func:`apply_event` gives its state; every event must be
allowed by the lifecycle, dated no earlier than the previous one, and pay out no more than the
asset's realised value less what was already paid out. Each event holds the SHA-256 of the
previous event of the same asset (``prev_hash``) and its own (``hash``), over its canonical
JSON: changing or removing an event breaks the chain at that point.

Examples
--------
>>> from fininvest.assets.lifecycle import load_lifecycle
>>> lc = load_lifecycle()
>>> st = AssetState("AS-1")
>>> ev = {"status": "identified", "date": "2025-01-02", "authority": "police"}
>>> apply_event(lc, st, ev) is None, st.status
(True, 'identified')
>>> problem_of(lc, st, {"status": "frozen", "date": "2025-01-01", "decision_ref": "F1",
...     "authority": "court", "issuing_state": "DE", "executing_state": "DE"})
"date 2025-01-01 is before the previous event's date 2025-01-02"
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fininvest.assets.lifecycle import Lifecycle

GENESIS = "0" * 64
ZERO = Decimal("0.00")

#: Fields of a stored event, in the order they are shown.
EVENT_KEYS = (
    "asset_id", "seq", "event_id", "status", "date", "decision_ref", "authority",
    "issuing_state", "executing_state", "amount", "currency", "amount_base", "fx_rate", "note",
    "source", "source_file", "source_sha256", "record_no", "source_line", "recorded_at",
    "recorded_by", "prev_hash", "hash",
)  # fmt: skip


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys, no spaces), without ``hash``."""
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(event: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    """``event`` with ``prev_hash`` and its own ``hash`` set."""
    out = {**event, "prev_hash": prev_hash}
    out["hash"] = event_hash(out)
    return out


def amount_base(event: dict[str, Any]) -> Decimal:
    """The event's amount in base currency (zero when it has none)."""
    v = event.get("amount_base")
    return Decimal(v) if v not in (None, "") else ZERO


@dataclass
class AssetState:
    """Where an asset stands after its events: status, since when, and its money (base
    currency): ``realised`` value, paid to victims from it (``compensated``), restored
    ``in_kind`` to victims, and ``shared`` with other states."""

    asset_id: str
    status: str | None = None
    since: date | None = None
    realised: Decimal = ZERO
    compensated: Decimal = ZERO
    in_kind: Decimal = ZERO
    shared: Decimal = ZERO
    head: str = GENESIS
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def to_victims(self) -> Decimal:
        return self.compensated + self.in_kind

    @property
    def remaining(self) -> Decimal:
        """Realised value not yet paid to victims or shared."""
        return self.realised - self.compensated - self.shared


def problem_of(lc: Lifecycle, st: AssetState, event: dict[str, Any]) -> str | None:
    """Why ``event`` may not follow ``st`` (lifecycle, date, money), or ``None``."""
    status = str(event.get("status"))
    p = lc.problem(st.status, status, event)
    if p:
        return p
    when = date.fromisoformat(str(event["date"]))
    if st.since is not None and when < st.since:
        return f"date {when} is before the previous event's date {st.since}"
    s = lc.states[status]
    if s.effect in ("victims", "share") and not s.in_kind:
        amt = amount_base(event)
        if amt > st.remaining:
            return (
                f"'{status}' pays out {amt} but only {st.remaining} of the realised value "
                f"({st.realised}) remains after {st.compensated} to victims and {st.shared} "
                "shared"
            )
    return None


def apply_event(lc: Lifecycle, st: AssetState, event: dict[str, Any]) -> str | None:
    """Apply ``event`` to ``st`` if it is allowed; return the problem otherwise (``st``
    unchanged). Complexity: O(number of states)."""
    p = problem_of(lc, st, event)
    if p:
        return p
    s = lc.states[str(event["status"])]
    amt = amount_base(event)
    if s.effect == "realise":
        st.realised += amt
    elif s.effect == "victims":
        if s.in_kind:
            st.in_kind += amt
        else:
            st.compensated += amt
    elif s.effect == "share":
        st.shared += amt
    st.status = s.name
    st.since = date.fromisoformat(str(event["date"]))
    st.seq += 1
    st.head = str(event.get("hash") or st.head)
    st.events.append(event)
    return None


def replay(lc: Lifecycle, asset_id: str, events: list[dict[str, Any]]) -> AssetState:
    """The state after ``events`` (each must be allowed; a refused one raises ``ValueError``)."""
    st = AssetState(asset_id)
    for ev in events:
        p = apply_event(lc, st, ev)
        if p:
            raise ValueError(f"{asset_id} event {ev.get('event_id')}: {p}")
    return st
