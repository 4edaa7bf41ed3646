"""Exporting a workspace's chains as one pack, recorded in the case's audit log: what
``fininvest evidence export`` and ``fininvest demo`` both do."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from fininvest.evidence.collect import assemble
from fininvest.evidence.pack import PackResult, write_pack
from fininvest.workspace import Workspace, current_user


def export_pack(
    ws: Workspace,
    chains: list[str],
    out: Path,
    *,
    at: datetime,
    sign_key: Path | None,
    title: str | None = None,
) -> tuple[PackResult, int]:
    """Assemble ``chains`` of ``ws``, write them to ``out`` (signed with ``sign_key`` if given)
    and append an ``evidence export`` entry (what ``evidence list`` shows) to the audit log.

    Returns
    -------
    The pack's result (its ``seconds`` include the collection) and the number of records.
    """
    start = time.perf_counter()
    content = assemble(ws, chains, exported_at=at, exported_by=current_user())
    collected = time.perf_counter() - start
    res = write_pack(content, out, at=at, sign_key=sign_key, title=title)
    res.seconds = {"collect": collected, **res.seconds}
    ws.audit(
        "evidence export",
        {"chains": chains, "out": str(out.resolve()), "at": at.isoformat(),
         "signed": res.signed_by is not None},
        counts={"files": len(res.files), "records": len(content.records),
                "tagmanifest_sha256": res.tagmanifest_sha256, "payload_oxum": res.payload_oxum,
                "signed_by": res.signed_by},
    )  # fmt: skip
    return res, len(content.records)
