"""Verifying the register's journal: the per-asset hash chains, the lifecycle, and the heads
the audit log recorded at each append.

Examples
--------
>>> verify_journal(case / "register" / "asset_events.jsonl", load_lifecycle(),
...                ws.audit_entries())  # doctest: +SKIP
[{'asset_id': 'A1', 'event_id': 'E04', 'seq': 4, 'line': 4,
  'problem': 'altered (hash does not match)'}]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fininvest.assets.history import GENESIS, AssetState, apply_event, event_hash
from fininvest.assets.lifecycle import Lifecycle


def verify_journal(
    path: Path, lc: Lifecycle, audit_entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Recompute every asset's hash chain in the journal at ``path``; one problem per event
    that was altered, removed, cannot be read, or (in a chain intact so far) is not allowed by
    the lifecycle ``lc``; and every head recorded in ``audit_entries`` that the journal no
    longer holds. Empty list: intact. Complexity: O(events + audit entries)."""
    problems: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    hashes: dict[tuple[str, int], str] = {}
    replayed: dict[str, AssetState] = {}
    broken: set[str] = set()
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                try:
                    ev = json.loads(line)
                    aid, seq = str(ev["asset_id"]), int(ev["seq"])
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    problems.append({"line": n, "problem": "not a readable event record"})
                    continue
                prev = last.get(aid)
                where = {"asset_id": aid, "event_id": ev.get("event_id"), "seq": seq, "line": n}
                want = prev["seq"] + 1 if prev else 1
                if seq != want:
                    problems.append(
                        {**where, "problem": f"event(s) {want}–{seq - 1} of {aid} removed"}
                        if seq > want
                        else {**where, "problem": f"sequence {seq} repeated or out of order"}
                    )
                elif ev.get("prev_hash") != (prev["hash"] if prev else GENESIS):
                    problems.append(
                        {**where, "problem": "does not follow the previous event (prev_hash)"}
                    )
                if event_hash(ev) != ev.get("hash"):
                    problems.append({**where, "problem": "altered (hash does not match)"})
                if problems and problems[-1].get("asset_id") == aid:
                    broken.add(aid)  # replay only intact chains (no cascade of problems)
                if aid not in broken:
                    refused = apply_event(lc, replayed.setdefault(aid, AssetState(aid)), ev)
                    if refused:
                        broken.add(aid)
                        problems.append({**where, "problem": f"not allowed: {refused}"})
                last[aid] = {"seq": seq, "hash": ev.get("hash")}
                hashes[aid, seq] = str(ev.get("hash"))
    recorded: dict[tuple[str, int], str] = {}
    for entry in audit_entries:
        if entry.get("command") == "assets append":
            for aid, head in entry.get("counts", {}).get("heads", {}).items():
                recorded[aid, int(head["seq"])] = str(head["hash"])
    for (aid, seq), h in sorted(recorded.items()):
        have = last.get(aid, {"seq": 0})["seq"]
        where = {"asset_id": aid, "seq": seq}
        if have < seq:
            if (aid, seq + 1) not in recorded:  # name each removed tail once
                problems.append(
                    {
                        **where,
                        "problem": f"event(s) {have + 1}–{seq} of {aid} removed "
                        "(the audit log recorded them)",
                    }  # fmt: skip
                )
        elif hashes.get((aid, seq)) != h:
            problems.append(
                {
                    **where,
                    "problem": f"event {seq} of {aid} is not the one the audit log "
                    "recorded (the chain was rewritten)",
                }  # fmt: skip
            )
    return problems
