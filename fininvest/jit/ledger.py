"""The hash-chained log of deconfliction exchanges: ``CASE_DIR/jit/exchanges.jsonl``.

Each line records one step (offer sent, answer sent, result computed, result received): the
JIT, the partner, the exchange id, the SHA-256 of the message file, the set sizes and the
number of hits. Each entry carries the hash of the previous one and its own hash over its
canonical JSON, so removing, reordering or editing an entry breaks the chain from there on
(:func:`verify_ledger`). The log holds no identifier, only counts and message digests.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any

from fininvest.jit.agreement import JIT_DIR
from fininvest.workspace import Workspace

LEDGER_NAME = "exchanges.jsonl"
GENESIS = "0" * 64


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_ledger(ws: Workspace) -> list[dict[str, Any]]:
    path = ws.path(JIT_DIR, LEDGER_NAME)
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def append_ledger(ws: Workspace, **fields: Any) -> dict[str, Any]:
    """Append one chained entry and return it."""
    entries = read_ledger(ws)
    entry: dict[str, Any] = {
        "seq": len(entries) + 1,
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        **fields,
        "prev": entries[-1]["hash"] if entries else GENESIS,
    }
    entry["hash"] = _entry_hash(entry)
    path = ws.path(JIT_DIR, LEDGER_NAME)
    path.parent.mkdir(exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def verify_ledger(ws: Workspace) -> list[str]:
    """Problems found in the chain (empty when it verifies).

    Complexity: O(n) in the number of entries.
    """
    problems = []
    prev = GENESIS
    for i, entry in enumerate(read_ledger(ws), start=1):
        if entry.get("seq") != i:
            problems.append(f"entry {i}: sequence number {entry.get('seq')} (expected {i})")
        if entry.get("prev") != prev:
            problems.append(f"entry {i}: does not follow the entry before it")
        if entry.get("hash") != _entry_hash(entry):
            problems.append(f"entry {i}: its content does not match its hash (edited)")
        prev = str(entry.get("hash"))
    return problems
