"""Writing a share package with the evidence-pack writer (fininvest.evidence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fininvest.errors import WorkspaceError
from fininvest.jit.agreement import Agreement
from fininvest.jit.share import ShareContent
from fininvest.workspace import Workspace


def write_share(
    ws: Workspace, agreement: Agreement, content: ShareContent, out: Path
) -> dict[str, Any]:
    """Write the share as an evidence pack (needs the evidence-pack writer)."""
    raise WorkspaceError(
        "writing share packages needs the evidence-pack writer, which this build lacks",
        hint="Use --preview to see what a share would hold.",
    )
