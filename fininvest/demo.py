"""The later steps of ``fininvest demo``: what the prosecutor and the asset officer get from
the case the earlier steps built (the chains must be in ``results/chains.json``).

* :func:`evidence_step` — a signed evidence pack of the first chain, written to
  ``evidence/`` and verified with nothing but the pack and the public key;
* :func:`asset_step` — the asset register brought up to date and its report.

Each step records itself in the audit log as the matching command does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fininvest.workspace import Workspace


def evidence_step(ws: Workspace, chain_id: str) -> dict[str, Any]:
    """Export and verify the evidence pack of ``chain_id``; create the case's signing key the
    first time. Returns the pack's path, tag-manifest digest, signer and the verification."""
    from fininvest.evidence import keygen, verify_pack
    from fininvest.evidence.export import export_pack
    from fininvest.evidence.signing import PRIVATE_NAME, PUBLIC_NAME

    secrets = ws.path("secrets")
    if not (secrets / PRIVATE_NAME).is_file():
        keygen(secrets)
        ws.audit("evidence keygen", {"source": "demo"})
    at = datetime.now(UTC).replace(microsecond=0)
    # packs are never overwritten: one per run, named by the export time
    out = ws.path("evidence", f"{chain_id}-{at:%Y%m%dT%H%M%SZ}.zip")
    res, records = export_pack(ws, [chain_id], out, at=at, sign_key=secrets / PRIVATE_NAME)
    report = verify_pack(out, secrets / PUBLIC_NAME)
    return {
        "chain": chain_id,
        "path": str(out),
        "records": records,
        "files": len(res.files),
        "tagmanifest_sha256": res.tagmanifest_sha256,
        "signed_by": res.signed_by,
        "verified": report.ok,
        "problems": [c.problem for c in report.problems],
        "public_key": str(secrets / PUBLIC_NAME),
    }


def asset_step(ws: Workspace) -> dict[str, Any]:
    """Bring the asset register up to date with the ingested asset events and report it."""
    from fininvest.assets.register import Register
    from fininvest.assets.statistics import book_of, report

    reg = Register(ws)
    synced = reg.sync()
    doc = report(book_of(reg), datetime.now(UTC).date(), 365)
    ws.audit(
        "assets report",
        {"source": "demo"},
        counts={"assets": doc["assets"], "appended": synced.appended,
                "refused": len(synced.refused)},
    )  # fmt: skip
    plain: dict[str, Any] = json.loads(json.dumps(doc, default=str))  # Decimals as text
    return plain
