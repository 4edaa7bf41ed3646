"""Preparing a share for a JIT partner, checked and audited: what ``fininvest share`` and the
web app's Jurisdictions page both do.

:func:`prepare_share` checks the agreement (partner and period), computes the share's content
(:func:`fininvest.jit.share.share_content`) and either records a preview or writes the package
(:func:`fininvest.jit.package.write_share`) and saves the pseudonym table; each step leaves an
audit entry (``share preview`` or ``share``; refusals too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fininvest.jit.agreement import load_agreement, refusals_audited
from fininvest.workspace import Workspace


def prepare_share(
    ws: Workspace,
    jit_id: str,
    partner: str,
    chain_ids: tuple[str, ...] = (),
    out: Path | None = None,
    *,
    via: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Preview (``out`` None) or write (to ``out``) the share of ``ws`` for ``partner``.

    Parameters
    ----------
    ws : the case.
    jit_id : the JIT agreement (``CASE_DIR/jit/<id>.toml``).
    partner : the receiving country (ISO alpha-2).
    chain_ids : the chains to share (default: every chain crossing the partner).
    out : where to write the package; None for a preview that writes nothing.
    via : more audit parameters (e.g. the app user).

    Returns
    -------
    dict
        The preview (:func:`fininvest.jit.scope.preview`: shared counts, ``pseudonymised``,
        ``withheld``), plus ``package`` (what the pack writer reports) when written.

    Raises
    ------
    AgreementRefused
        The partner is not in the agreement, the day is outside its period, or no chain
        crosses the partner (when writing).

    Examples
    --------
    >>> prepare_share(ws, "JIT-2026-RO-DE", "DE")["pseudonymised"][:1]  # doctest: +SKIP
    """
    from fininvest.jit.share import share_content

    agreement = load_agreement(ws, jit_id)
    partner = partner.upper()
    preview = out is None
    extra = via or {}
    with refusals_audited(
        ws, "share", {"jit": jit_id, "partner": partner, "preview": preview, **extra}
    ):
        agreement.check(partner, action="share")
    content = share_content(ws, agreement, partner, chain_ids)
    summary = content.summary
    params = {"jit": jit_id, "partner": partner, "chains": summary["chains"], "preview": preview}
    params.update(extra)
    counts = {"shared": summary["shared"], "pseudonymised": len(summary["pseudonymised"]),
              "withheld": len(summary["withheld"])}  # fmt: skip
    if out is None:
        ws.audit("share preview", params, counts=counts)
        return summary
    from fininvest.jit.package import write_share

    with refusals_audited(ws, "share", params):
        written = write_share(ws, agreement, content, out)
    content.pseudonyms.save_table()
    ws.audit("share", {**params, "out": str(out)}, counts=counts)
    return {**summary, "package": written}
