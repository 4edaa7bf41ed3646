"""Deconfliction between two JIT partners: offer → answer → result, as JSON message files.

Side A (``offer``) hashes and blinds its identifiers and match keys; side B (``answer``)
blinds A's points again and sends its own blinded points; side A (``result``) blinds B's
points again, learns which of its own items are held by both, and writes a closing message;
side B (``result`` on that message) learns the same hits for its own items. Messages carry
only curve points, counts and ids — never an identifier, in clear or hashed without a key.

Local state between the steps (the secret scalar, the order of one's own items) lives in
``CASE_DIR/secrets/jit/<exchange>.json`` (owner-only) and is deleted when the exchange ends.
Every step is checked against the agreement, capped in size, appended to the hash-chained
exchange log (:mod:`fininvest.jit.ledger`) and to the workspace audit log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fininvest.errors import AgreementRefused, BadInput, WorkspaceError
from fininvest.jit import psi
from fininvest.jit.agreement import Agreement
from fininvest.jit.ledger import append_ledger
from fininvest.workspace import Workspace


@dataclass
class Item:
    """One element of a side's set: a normalised identifier or name key and where it is held."""

    kind: str
    value: str
    refs: list[str] = field(default_factory=list)


def dedupe(items: list[Item]) -> list[Item]:
    """One item per (kind, value), the record references merged."""
    merged: dict[tuple[str, str], Item] = {}
    for it in items:
        m = merged.setdefault((it.kind, it.value), Item(it.kind, it.value, []))
        m.refs.extend(r for r in it.refs if r not in m.refs)
    return list(merged.values())


# ----- message files -------------------------------------------------------------------------
def write_message(path: Path, message: dict[str, Any]) -> str:
    """Write a message as JSON; returns the SHA-256 of the bytes written."""
    data = (json.dumps(message, indent=1, sort_keys=True) + "\n").encode()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_message(path: Path, *expected_types: str) -> tuple[dict[str, Any], str]:
    """Read a message file of one of ``expected_types``; returns it and its bytes' SHA-256."""
    try:
        data = path.read_bytes()
        msg = json.loads(data)
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a readable deconfliction message ({exc})") from exc
    if not isinstance(msg, dict) or msg.get("protocol") != psi.PROTOCOL:
        raise BadInput(f"{path}: not a {psi.PROTOCOL} message")
    if msg.get("type") not in expected_types:
        raise BadInput(
            f"{path}: is a '{msg.get('type')}' message, this step needs "
            + " or ".join(f"'{t}'" for t in expected_types),
            hint="offer → answer (by the partner) → result (by the offerer) → result (by the"
            " partner, on the offerer's closing message).",
        )
    return msg, hashlib.sha256(data).hexdigest()


# ----- local state ---------------------------------------------------------------------------
def _state_path(ws: Workspace, exchange: str) -> Path:
    d = ws.path("secrets", "jit")
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    return d / f"{exchange}.json"


def _save_state(ws: Workspace, exchange: str, state: dict[str, Any]) -> None:
    path = _state_path(ws, exchange)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh)


def _load_state(ws: Workspace, exchange: str, role: str) -> dict[str, Any]:
    path = _state_path(ws, str(uuid.UUID(exchange)))
    if not path.exists():
        raise WorkspaceError(
            f"exchange {exchange} is not open in {ws.root} (no local state)",
            hint="Run result in the workspace that sent the offer (or the answer); a finished "
            "exchange cannot be completed twice.",
        )
    state: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if state["role"] != role:
        raise BadInput(f"exchange {exchange}: this workspace was the {state['role']}, not {role}")
    return state


def _digests(agreement: Agreement, items: list[Item]) -> list[bytes]:
    return [psi.element_digest(agreement.id, it.kind, it.value) for it in items]


def _require_home(agreement: Agreement) -> str:
    if not agreement.home:
        raise WorkspaceError(
            f"{agreement.id} names no home country",
            hint="Deconfliction needs to know who this side is: recreate the agreement with"
            " --home CC.",
        )
    return agreement.home


def _common(msg: dict[str, Any], agreement: Agreement, what: str) -> None:
    if msg.get("jit") != agreement.id:
        raise AgreementRefused(f"{what} belongs to {msg.get('jit')}, not to {agreement.id}")


def _store_items(items: list[Item]) -> list[list[Any]]:
    return [[it.kind, it.value, it.refs] for it in items]


def _load_items(rows: list[list[Any]]) -> list[Item]:
    return [Item(str(k), str(v), list(r)) for k, v, r in rows]


# ----- the three steps -----------------------------------------------------------------------
def make_offer(
    ws: Workspace,
    agreement: Agreement,
    partner: str,
    items: list[Item],
    *,
    count_only: bool = False,
    today: date | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Side A: blind its own items; returns the offer message (and keeps the state)."""
    home = _require_home(agreement)
    agreement.check(partner, today, action="exchange")
    items = dedupe(items)
    agreement.check_set_size(len(items))
    secrets.SystemRandom().shuffle(items)
    scalar = psi.new_scalar()
    exchange = str(uuid.uuid4())
    points = psi.hash_and_blind(scalar, _digests(agreement, items), workers)
    _save_state(
        ws,
        exchange,
        {"role": "offerer", "jit": agreement.id, "partner": partner, "scalar": scalar.hex(),
         "count_only": count_only, "items": _store_items(items)},
    )  # fmt: skip
    return {
        "protocol": psi.PROTOCOL, "type": "offer", "exchange": exchange, "jit": agreement.id,
        "from": home, "to": partner, "count_only": count_only, "n": len(points),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "points": psi.encode_points(points),
    }  # fmt: skip


def make_answer(
    ws: Workspace,
    agreement: Agreement,
    offer: dict[str, Any],
    offer_sha256: str,
    items: list[Item],
    *,
    count_only: bool = False,
    today: date | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Side B: blind A's points again and its own items once; returns the answer message."""
    home = _require_home(agreement)
    _common(offer, agreement, "the offer")
    partner = str(offer.get("from"))
    if offer.get("to") != home:
        raise AgreementRefused(f"the offer is addressed to {offer.get('to')}, this side is {home}")
    agreement.check(partner, today, action="exchange")
    received = offer.get("points", [])
    agreement.check_set_size(len(received))
    their = psi.decode_points(received, "the offer")
    items = dedupe(items)
    agreement.check_set_size(len(items))
    secrets.SystemRandom().shuffle(items)
    count_only = count_only or bool(offer.get("count_only"))
    scalar = psi.new_scalar()
    double = psi.blind(scalar, their, workers)
    mine = psi.hash_and_blind(scalar, _digests(agreement, items), workers)
    exchange = str(uuid.UUID(str(offer.get("exchange"))))
    _save_state(
        ws,
        exchange,
        {"role": "answerer", "jit": agreement.id, "partner": partner, "count_only": count_only,
         "offer_sha256": offer_sha256, "items": _store_items(items),
         "theirs_double": psi.encode_points(double)},
    )  # fmt: skip
    if count_only:
        secrets.SystemRandom().shuffle(double)  # positions would say which of A's items hit
    return {
        "protocol": psi.PROTOCOL, "type": "answer", "exchange": exchange, "jit": agreement.id,
        "from": home, "to": partner, "count_only": count_only, "offer_sha256": offer_sha256,
        "n": len(mine), "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "double": psi.encode_points(double), "points": psi.encode_points(mine),
    }  # fmt: skip


def compute_result(
    ws: Workspace,
    agreement: Agreement,
    answer: dict[str, Any],
    answer_sha256: str,
    *,
    today: date | None = None,
    workers: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Side A: the hits on its own items, and the closing message that tells B its hits."""
    exchange, state, items, double = _open_step(ws, agreement, answer, "offerer", today)
    partner = state["partner"]
    received = answer.get("points", [])
    agreement.check_set_size(len(received))
    theirs = psi.decode_points(received, "the answer")
    count_only = bool(answer.get("count_only")) or bool(state["count_only"])
    scalar = bytes.fromhex(state["scalar"])
    theirs_double = psi.blind(scalar, theirs, workers)
    theirs_set = set(theirs_double)
    hits, hit_items = _match(items, double, theirs_set, count_only)
    if count_only:
        secrets.SystemRandom().shuffle(theirs_double)
    closing = {
        "protocol": psi.PROTOCOL, "type": "result", "exchange": exchange, "jit": agreement.id,
        "from": agreement.home, "to": partner, "count_only": count_only,
        "answer_sha256": answer_sha256, "hits": hits,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "double": psi.encode_points(theirs_double),
    }  # fmt: skip
    report = _report(exchange, agreement, partner, "offerer", count_only, hits, hit_items)
    report.update(sent=len(items), received=len(theirs))
    _state_path(ws, exchange).unlink()  # the scalar is not kept once the exchange is done
    return report, closing


def receive_result(
    ws: Workspace,
    agreement: Agreement,
    closing: dict[str, Any],
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """Side B: its own hits from A's closing message (compared with the count A reports)."""
    exchange, state, items, mine_double = _open_step(ws, agreement, closing, "answerer", today)
    partner = state["partner"]
    theirs_set = set(base64.b64decode(p) for p in state["theirs_double"])
    count_only = bool(state["count_only"]) or bool(closing.get("count_only"))
    hits, hit_items = _match(items, mine_double, theirs_set, count_only)
    report = _report(exchange, agreement, partner, "answerer", count_only, hits, hit_items)
    report.update(
        sent=len(items),
        received=len(state["theirs_double"]),
        partner_hits=closing.get("hits"),
        agree=closing.get("hits") == hits,
    )
    _state_path(ws, exchange).unlink()
    return report


def _open_step(
    ws: Workspace, agreement: Agreement, msg: dict[str, Any], role: str, today: date | None
) -> tuple[str, dict[str, Any], list[Item], list[bytes]]:
    """Check a returned message against the open exchange: (exchange, state, items, points)."""
    what = f"the {msg.get('type')}"
    _common(msg, agreement, what)
    exchange = str(msg.get("exchange"))
    state = _load_state(ws, exchange, role)
    partner = state["partner"]
    if msg.get("from") != partner:
        raise AgreementRefused(f"{what} comes from {msg.get('from')}, not {partner}")
    agreement.check(partner, today, action="exchange")
    items = _load_items(state["items"])
    double = psi.decode_points(msg.get("double", []), what)
    if len(double) != len(items):
        raise BadInput(f"{what} returns {len(double):,} points for {len(items):,} sent")
    return exchange, state, items, double


def _match(
    items: list[Item], double: list[bytes], theirs: set[bytes], count_only: bool
) -> tuple[int, list[Item]]:
    """How many of one's own items are held by both, and which (none named if count-only)."""
    if count_only:
        return sum(1 for p in double if p in theirs), []
    hit_items = [it for it, p in zip(items, double, strict=True) if p in theirs]
    return len(hit_items), hit_items


def _report(
    exchange: str,
    agreement: Agreement,
    partner: str,
    role: str,
    count_only: bool,
    hits: int,
    hit_items: list[Item],
) -> dict[str, Any]:
    """What this side learnt, mapped back to its own records (nothing of the partner's)."""
    from fininvest.jit.identifiers import NAME_KEY_KINDS

    persons: dict[str, list[str]] = {}
    for it in hit_items:
        if it.kind in NAME_KEY_KINDS:
            for ref in it.refs:
                keys = persons.setdefault(ref, [])
                if it.kind not in keys:
                    keys.append(it.kind)
    return {
        "exchange": exchange,
        "jit": agreement.id,
        "partner": partner,
        "role": role,
        "count_only": count_only,
        "hits": hits,
        "by_kind": dict(Counter(it.kind for it in hit_items)),
        "identifiers": [
            {"kind": it.kind, "value": it.value, "records": it.refs}
            for it in hit_items
            if it.kind not in NAME_KEY_KINDS
        ],
        "persons": [{"record": ref, "keys": keys} for ref, keys in sorted(persons.items())],
    }


def log_step(ws: Workspace, step: str, message: dict[str, Any], sha256: str, **counts: Any) -> None:
    """One entry in the exchange log and one in the audit log."""
    fields = {
        "step": step,
        "exchange": message.get("exchange"),
        "jit": message.get("jit"),
        "partner": message.get("to") if step in ("offer", "answer") else message.get("from"),
        "message_sha256": sha256,
        **counts,
    }
    append_ledger(ws, **fields)
    ws.audit(f"deconflict {step}", fields, counts=counts)
