"""The pack's words: one line per record, and the claim of each link.

Written from the structured content only (:func:`refresh_text`), so that they say the same
as the data after a caller changed it (a share that replaces names and identifiers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fininvest.evidence.content import Link, PackContent

CLAIMS = {
    "transported": "{to} ({to_role}) transported the victims whom {frm} ({from_role}) recruited",
    "exploited": "{to} ({to_role}) exploited the victims whom {frm} ({from_role}) transported",
    "controlled_proceeds": "{to} ({to_role}) controlled the proceeds of the exploitation by "
    "{frm} ({from_role})",
}


def text(value: Any) -> str | None:
    """A table value as the pack writes it: ISO 8601 UTC times, ``|``-joined lists.

    >>> text(datetime(2025, 2, 13, 9, 26, 39, tzinfo=UTC)), text(["THB", "ML03"]), text(None)
    ('2025-02-13T09:26:39Z', 'THB|ML03', None)
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


Fields = dict[str, str | None]
Who = Callable[[str | None], str]


def _money(f: Fields, amount: str = "amount", currency: str = "currency") -> str:
    if f.get(amount) is None:
        return ""
    return f"{float(f[amount] or 0):,.2f} {f.get(currency) or ''}".strip()


def _tx_summary(f: Fields, who: Who) -> str:
    payer = (
        who(f.get("from_account") or f.get("payer_account"))
        if f.get("from_account") or f.get("payer_account")
        else "cash"
    )
    payee = who(f.get("to_account")) if f.get("to_account") else f.get("merchant_name") or "cash"
    return f"{f.get('ts')}: {_money(f)} from {payer} to {payee} ({f.get('channel')})"


def _intel_summary(f: Fields, who: Who) -> str:
    subj = who(f.get("subject_id")) if f.get("subject_id") else f.get("subject_name")
    obj = who(f.get("object_id")) if f.get("object_id") else f.get("object_name")
    place = f" in {f['place']}" if f.get("place") else ""
    return (
        f"{subj} {f.get('relation')} {obj} on {f.get('date_from')}{place}; source "
        f"{f.get('source')}, graded {f.get('source_reliability')}{f.get('info_credibility')}, "
        f"handling code {f.get('handling_code') or '-'}"
    )


#: one line per record kind, from the record's fields (``who`` names a party or account)
SUMMARIES: dict[str, Callable[[Fields, Who], str]] = {
    "transaction": _tx_summary,
    "str": lambda f, _who: (
        f"{f.get('report_code')} {f.get('report_id')} submitted "
        f"{f.get('submitted')}: {f.get('reason') or ''}"
    ),
    "intelligence": _intel_summary,
    "kyc": lambda f, who: (
        f"account {f.get('account_id')} of {who(f.get('holder_id'))} opened {f.get('opened')} "
        f"at {f.get('institution')} {f.get('branch') or ''}, opened by "
        f"{who(f.get('opened_by')) if f.get('opened_by') else 'the holder'}"
    ),
    "party": lambda f, _who: (
        f"{f.get('kind')} {f.get('name')}, born {f.get('birthdate') or '?'}, "
        f"nationality {f.get('nationality') or '?'}, "
        f"resident in {f.get('residence_country') or '?'}"
    ),
    "account": lambda f, who: (
        f"account {f.get('account_id')} of {who(f.get('holder_id'))} at "
        f"{f.get('institution')}, {f.get('country')}"
    ),
    "asset": lambda f, who: (
        f"{f.get('kind')} of {who(f.get('owner_id'))}: {f.get('description') or ''}, "
        f"value {_money(f, 'value')}"
    ),
    "asset_event": lambda f, _who: (
        f"{f.get('date')}: {f.get('status')} by {f.get('authority')} "
        f"({f.get('decision_ref') or 'no reference'}) {_money(f)}".strip()
    ),
}


def namer(content: PackContent) -> Who:
    """``Name [id]`` for a party id, ``account (Name [holder])`` for an account id."""
    names = {p.id: p.name for p in content.parties}
    holders = {a.id: a.holder_id for a in content.accounts}

    def who(x: str | None) -> str:
        if not x:
            return "?"
        if x in names:
            return f"{names[x]} [{x}]" if names[x] else x
        holder = holders.get(x)
        return f"{x} ({who(holder)})" if holder in names else x

    return who


def refresh_text(content: PackContent) -> None:
    """Write the records' summaries and the links' claims from the structured content.

    :func:`assemble` calls it; call it again after changing parties, accounts or record
    fields (e.g. replacing identifiers with pseudonyms) so that the text says the same.
    """
    who = namer(content)
    for r in content.records:
        r.summary = SUMMARIES[r.kind](r.fields, who) if r.kind in SUMMARIES else r.id
    for ch in content.chains:
        for link in ch.links:
            link.claim = _claim(link, who)


def _claim(link: Link, who: Who) -> str:
    template = CLAIMS.get(link.act, "{frm} ({from_role}) → {to} ({to_role}): " + link.act)
    claim = template.format(
        frm=who(link.from_id), to=who(link.to_id), from_role=link.from_role, to_role=link.to_role
    )
    return f"{claim}. Where: {link.jurisdiction or 'unknown'}. Basis: {link.basis or 'unknown'}."
