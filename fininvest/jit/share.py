"""The content of a share to a JIT partner, transformed: out-of-scope references replaced by
keyed pseudonyms, free text cleaned, withheld records left out, counts suppressed.

:func:`share_content` returns plain rows per table and chain summaries; the package itself
is written by the evidence-pack writer (:mod:`fininvest.evidence`), so a share has the same
structure as a prosecutor's pack (a pack with a scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from fininvest.jit.agreement import Agreement
from fininvest.jit.pseudonyms import Pseudonymiser
from fininvest.jit.scope import (
    DROPPED_COLUMNS,
    REFERENCE_COLUMNS,
    Redactor,
    Scope,
    compute_scope,
    preview,
    suppress,
)
from fininvest.workspace import Workspace

REDACTED = "[redacted]"


@dataclass
class ShareContent:
    """Everything a share package will hold, already transformed."""

    scope: Scope
    tables: dict[str, list[dict[str, Any]]]
    chains: list[dict[str, Any]]
    summary: dict[str, Any]
    pseudonyms: Pseudonymiser


def _clean(value: Any, redactor: Redactor) -> Any:
    return redactor.clean(value) if isinstance(value, str) else value


def _transform_table(
    table: str, df: pl.DataFrame, scope: Scope, ps: Pseudonymiser, redactor: Redactor
) -> list[dict[str, Any]]:
    refs = REFERENCE_COLUMNS.get(table, {})
    rows = []
    for row in df.drop([c for c in DROPPED_COLUMNS if c in df.columns]).iter_rows(named=True):
        out: dict[str, Any] = {}
        for col, value in row.items():
            if col in refs and value is not None and str(value) in scope.out_of_scope:
                out[col] = ps.pseudonym(scope.out_of_scope[str(value)], str(value))
            else:
                out[col] = _clean(value, redactor)
        for side in ("subject", "object"):  # a pseudonymised subject loses its name too
            if str(row.get(f"{side}_id")) in scope.out_of_scope and f"{side}_name" in out:
                out[f"{side}_name"] = out[f"{side}_id"]
        rows.append(out)
    return rows


def _transform_chain(chain: dict[str, Any], scope: Scope, ps: Pseudonymiser) -> dict[str, Any]:
    def ref(v: str) -> str:
        return ps.pseudonym("party", v) if v in scope.out_of_scope else v

    members = {r: ref(m) for r, m in chain.get("members", {}).items() if m}
    return {
        "id": chain["id"],
        "jurisdictions": chain.get("jurisdictions", []),
        "held_by": chain.get("held_by", []),
        "recruited_in": chain.get("recruited_in"),
        "members": members,
        "names": {
            r: (n if members.get(r) == chain["members"].get(r) else members.get(r))
            for r, n in chain.get("names", {}).items()
        },
        "victims": suppress(len(chain.get("victims", [])), 5),
        "links": [
            {
                "from": ref(link["from"]), "from_role": link.get("from_role"),
                "to": ref(link["to"]), "to_role": link.get("to_role"),
                "act": link.get("act"), "jurisdiction": link.get("jurisdiction"),
                "held_by": link.get("held_by", []),
                "basis": link.get("basis"),
                "records": [{"kind": r["kind"], "id": r["id"], "grading": r.get("grading")}
                            for r in link.get("records", [])],
            }
            for link in chain.get("links", [])
        ],
    }  # fmt: skip


def share_content(
    ws: Workspace, agreement: Agreement, partner: str, chain_ids: tuple[str, ...] = ()
) -> ShareContent:
    """Compute the scope and transform every record and chain for the partner."""
    scope = compute_scope(ws, agreement, partner, chain_ids)
    ps = Pseudonymiser(ws, agreement.id, partner)
    redactor = Redactor(scope.secret_strings, REDACTED)
    tables = {t: _transform_table(t, df, scope, ps, redactor) for t, df in scope.records.items()}
    chains = [_transform_chain(c, scope, ps) for c in scope.chains]
    summary = preview(scope, agreement, ps)
    return ShareContent(scope, tables, chains, summary, ps)
