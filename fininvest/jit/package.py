"""A share package: an evidence pack (:mod:`fininvest.evidence`) with a scope.

:func:`write_share` assembles the evidence-pack content of the chains in scope, transforms it
for the partner and writes it with the evidence-pack writer (BagIt, report HTML and PDF,
records, FollowTheMoney entities, chart, signature):

1. records the agreement does not let go are dropped — kinds not in the agreement (STRs by
   default), intelligence whose handling code forbids dissemination or whose grading is
   below the threshold — and parties' and accounts' own records outside the scope;
2. every person and account outside the scope (:mod:`fininvest.jit.scope`) becomes its keyed
   pseudonym, in ids, names, links, flows, assets and custody; every other string is cleaned
   of their names, account numbers, IBANs, phones and e-mails;
3. the report says what was withheld and why; counts below ``suppress_below`` read "<5";
   money flows of fewer payments than that are left out;
4. summaries and claims are written again from the changed data
   (:func:`fininvest.evidence.refresh_text`).
"""

from __future__ import annotations

import dataclasses
import getpass
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fininvest.errors import AgreementRefused
from fininvest.evidence import PackContent, Withheld, assemble, refresh_text, write_pack
from fininvest.evidence.signing import PRIVATE_NAME
from fininvest.jit.agreement import Agreement
from fininvest.jit.scope import Redactor
from fininvest.jit.share import REDACTED, ShareContent
from fininvest.workspace import Workspace

#: The workspace table (agreement record kind) of each evidence-pack record kind.
RECORD_TABLES = {
    "transaction": "transactions", "str": "str_reports", "intelligence": "intel_links",
    "kyc": "accounts", "party": "parties", "account": "accounts", "asset": "assets",
    "asset_event": "assets",
}  # fmt: skip


class _Mapper:
    """Replaces out-of-scope ids with pseudonyms and cleans every other string."""

    def __init__(self, share: ShareContent) -> None:
        self.scope = share.scope
        self.ps = share.pseudonyms
        self.redactor = Redactor(share.scope.secret_strings, REDACTED)
        self.inside = share.scope.parties | share.scope.accounts

    def id(self, value: str | None, kind: str = "party") -> str | None:
        if value is None or value in self.inside:
            return value
        if value in self.scope.out_of_scope or value in self.scope.secret_strings:
            return self.ps.pseudonym(self.scope.out_of_scope.get(value, kind), value)
        return str(self.text(value))

    def text(self, value: Any) -> Any:
        if isinstance(value, str):
            if value in self.scope.out_of_scope:
                return self.id(value)
            return self.redactor.clean(value)
        if isinstance(value, list):
            return [self.text(v) for v in value]
        if isinstance(value, dict):
            return {k: self.text(v) for k, v in value.items()}
        return value


def _withhold_reason(agreement: Agreement, mapper: _Mapper, kind: str, r: Any) -> str | None:
    table = RECORD_TABLES.get(kind, kind)
    if table not in agreement.record_kinds:
        return "record kind not in the agreement"
    if kind == "party" and r.id not in mapper.inside:
        return "outside the partner's scope (named by pseudonym)"
    if kind in ("account", "kyc") and r.fields.get("account_id") not in mapper.inside:
        return "outside the partner's scope (named by pseudonym)"
    if kind == "intelligence":
        code = r.fields.get("handling_code")
        if not code:
            return "no handling code recorded"
        if code not in agreement.handling_codes:
            return f"handling code {code} does not allow dissemination"
        if agreement.withholds_grading(
            r.fields.get("source_reliability"), r.fields.get("info_credibility")
        ):
            return "grading below the agreement's threshold"
    return None


def transform(content: PackContent, share: ShareContent, agreement: Agreement) -> PackContent:
    """The pack content as the partner may see it (see the module docstring)."""
    m = _Mapper(share)
    k = agreement.suppress_below
    withheld: Counter[tuple[str, str]] = Counter()
    kept = []
    for r in content.records:
        reason = _withhold_reason(agreement, m, r.kind, r)
        if reason:
            withheld[(f"{r.kind} records", reason)] += 1
            continue
        r.id = m.text(r.id)
        r.fields = {key: (m.id(v) if isinstance(v, str) else v) for key, v in r.fields.items()}
        kept.append(r)
    content.records = kept
    keys = {r.key for r in kept}
    for p in content.parties:
        if p.id not in m.inside:
            p.name = m.id(p.id)
            p.birthdate = None
        p.id = str(m.id(p.id))
        p.accounts = [str(m.id(a, "account")) for a in p.accounts]
    for a in content.accounts:
        if a.id not in m.inside:
            a.iban = None
        a.id = str(m.id(a.id, "account"))
        a.holder_id = m.id(a.holder_id)
    for ch in content.chains:
        ch.members = {role: str(m.id(pid)) for role, pid in ch.members.items()}
        ch.victims = [str(m.id(v)) for v in ch.victims]
        ch.recruiter_records = [_ref(x, m) for x in ch.recruiter_records if x.key in keys]
        for link in ch.links:
            link.from_id, link.to_id = str(m.id(link.from_id)), str(m.id(link.to_id))
            link.records = [_ref(x, m) for x in link.records if x.key in keys]
    for e in content.explanations:
        e.entity_id = str(m.id(e.entity_id, "account"))
        e.holder_id = m.id(e.holder_id)
        e.detail, e.evidence = m.text(e.detail), m.text(e.evidence)
    small = [f for f in content.flows if f.count < k]
    content.flows = [f for f in content.flows if f.count >= k]
    for f in content.flows:
        f.from_id, f.to_id = str(m.id(f.from_id)), str(m.id(f.to_id))
    if small:
        withheld[("money flows between two parties", f"fewer than {k} payments each")] += len(small)
    for asset in content.assets:
        asset.owner_id = str(m.id(asset.owner_id))
        asset.description = m.text(asset.description)
    content.custody.steps = [m.text(step) for step in content.custody.steps]
    content.custody.exported_by = str(m.text(content.custody.exported_by))
    for (what, reason), n in sorted(withheld.items()):
        if n >= k:
            content.withheld.append(Withheld(what, n, reason))
        else:
            content.notes.append(f"Withheld: fewer than {k} {what} — {reason}.")
    content.notes.append(
        f"Share under {agreement.id} for {share.scope.partner}: persons and accounts outside "
        f"the partner's scope appear by pseudonym (PSN-…), keyed for this JIT and partner; "
        f"counts below {k} are not given."
    )
    refresh_text(content)
    content.notes = [str(m.text(n)) for n in content.notes]
    return content


def _ref(ref: Any, m: _Mapper) -> Any:
    return dataclasses.replace(ref, id=m.text(ref.id), note=m.text(ref.note))


def write_share(
    ws: Workspace, agreement: Agreement, share: ShareContent, out: Path
) -> dict[str, Any]:
    """Assemble, transform and write the share; returns what the pack writer reports."""
    chain_ids = [c["id"] for c in share.scope.chains]
    if not chain_ids:
        raise AgreementRefused(
            f"no chain in results/chains.json crosses {share.scope.partner}",
            hint="A share is a pack of chains: name them with --chain CH-…, or run fininvest "
            "chains first. --preview shows the records in scope.",
        )
    at = datetime.now(UTC).replace(microsecond=0)
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    content = assemble(ws, chain_ids, exported_at=at, exported_by=user)
    content = transform(content, share, agreement)
    key = ws.path("secrets", PRIVATE_NAME)
    result = write_pack(
        content,
        out,
        at=at,
        sign_key=key if key.exists() else None,
        title=f"Share {agreement.id} for {share.scope.partner} — {', '.join(chain_ids)}",
    )
    return result.to_dict()
