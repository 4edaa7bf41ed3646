"""``entities.ftm.json``: the pack as FollowTheMoney entities (JSON lines), for Aleph and FtM tools.

Persons and companies (``Person``, ``Company``), their bank accounts (``BankAccount``, held
through an ``Ownership``), the cited payments between accounts of known holders (``Payment``
with payer and beneficiary accounts), intelligence records between two parties
(``UnknownLink`` with the relation as role), assets (``Asset``, owned through an
``Ownership``) and the case (``CourtCase``). Ids are derived from fininvest's stable ids
(``make_id``), so the same pack gives the same entities; each entity's ``recordId`` or
``description`` cites the record it comes from.

:func:`validate_ftm` checks a file with the ``followthemoney`` model: known schemata and
properties, values valid for their type, required properties present, references resolved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fininvest.evidence.content import PackContent, Record


def _model() -> Any:
    from followthemoney import model

    return model


def _entity(schema: str, *key: str) -> Any:
    proxy = _model().make_entity(schema)
    proxy.make_id("fininvest", *key)
    return proxy


def _cite(r: Record) -> str:
    if r.provenance is None:
        return f"{r.kind} {r.id}"
    return f"{r.kind} {r.id}: {r.provenance.cite()}, sha256 {r.provenance.source_sha256}"


def build_entities(content: PackContent) -> list[dict[str, Any]]:
    """The pack's entities as FtM dicts, sorted by id.

    Complexity: O(parties + accounts + records).
    """
    out: list[Any] = []
    party_ids: dict[str, str] = {}
    for p in content.parties:
        e = _entity("Company" if p.kind == "company" else "Person", "party", p.id)
        e.add("name", p.name or p.id)
        e.add("idNumber" if p.kind != "company" else "registrationNumber", p.id, quiet=True)
        e.add("country", p.country, quiet=True)
        if p.kind != "company":
            e.add("nationality", p.nationality, quiet=True)
            e.add("birthDate", p.birthdate, quiet=True)
        e.add("description", f"{p.role} in the chain" if p.role else None, quiet=True)
        party_ids[p.id] = e.id
        out.append(e)
    account_ids: dict[str, str] = {}
    for a in content.accounts:
        e = _entity("BankAccount", "account", a.id)
        e.add("accountNumber", a.id)
        e.add("iban", a.iban, quiet=True)
        e.add("bankName", a.institution, quiet=True)
        e.add("country", a.country, quiet=True)
        e.add("currency", a.currency, quiet=True)
        account_ids[a.id] = e.id
        out.append(e)
        if a.holder_id in party_ids:
            own = _entity("Ownership", "holds", a.holder_id, a.id)
            own.add("owner", party_ids[a.holder_id])
            own.add("asset", e.id)
            own.add("role", "account holder")
            rec = content.record("account", a.id)
            own.add("recordId", a.id)
            own.add("description", _cite(rec) if rec else None, quiet=True)
            out.append(own)
    holder = {a.id: a.holder_id for a in content.accounts}
    for r in content.records:
        if r.kind == "transaction":
            out += _payment(r, holder, party_ids, account_ids)
        elif r.kind == "intelligence":
            subj, obj = r.fields.get("subject_id"), r.fields.get("object_id")
            if subj in party_ids and obj in party_ids:
                link = _entity("UnknownLink", "intelligence", r.id)
                link.add("subject", party_ids[subj])
                link.add("object", party_ids[obj])
                link.add("role", r.fields.get("relation"))
                link.add("startDate", r.fields.get("date_from"), quiet=True)
                link.add("recordId", r.id)
                link.add("description", _cite(r))
                link.add("summary", r.summary)
                out.append(link)
    for asset in content.assets:
        e = _entity("Asset", "asset", asset.id)
        e.add("name", f"{asset.kind}: {asset.description or asset.id}")
        e.add("amount", None if asset.value is None else repr(asset.value), quiet=True)
        e.add("currency", asset.currency, quiet=True)
        e.add("country", asset.jurisdiction, quiet=True)
        e.add("description", f"status: {asset.status}")
        out.append(e)
        if asset.owner_id in party_ids:
            own = _entity("Ownership", "owns", asset.owner_id, asset.id)
            own.add("owner", party_ids[asset.owner_id])
            own.add("asset", e.id)
            own.add("recordId", asset.id)
            rec = content.record("asset", asset.id)
            own.add("description", _cite(rec) if rec else None, quiet=True)
            out.append(own)
    case = _entity("CourtCase", "case", content.case_name)
    case.add("name", content.case_name)
    for ch in content.chains:
        case.add("caseNumber", ch.id)
    case.add("description", f"chains of trafficking: {', '.join(ch.id for ch in content.chains)}")
    out.append(case)
    return sorted((e.to_dict() for e in out), key=lambda d: d["id"])


def _payment(
    r: Record, holder: dict[str, str | None], parties: dict[str, str], accounts: dict[str, str]
) -> list[Any]:
    src, dst = r.fields.get("from_account"), r.fields.get("to_account")
    payer, payee = holder.get(src or ""), holder.get(dst or "")
    if payer not in parties or payee not in parties:
        return []  # cash or an account outside the chain: the record stays in records/
    pay = _entity("Payment", "transaction", r.id)
    pay.add("payer", parties[payer])
    pay.add("beneficiary", parties[payee])
    pay.add("payerAccount", accounts.get(src or ""), quiet=True)
    pay.add("beneficiaryAccount", accounts.get(dst or ""), quiet=True)
    pay.add("amount", r.fields.get("amount"), quiet=True)
    pay.add("currency", r.fields.get("currency"), quiet=True)
    pay.add("date", (r.fields.get("ts") or "")[:10] or None, quiet=True)
    pay.add("purpose", r.fields.get("purpose"), quiet=True)
    pay.add("transactionNumber", r.id)
    pay.add("recordId", r.id)
    pay.add("description", _cite(r))
    return [pay]


def entities_text(content: PackContent) -> str:
    """The entities as JSON lines (one entity per line, keys sorted)."""
    return "".join(
        json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in build_entities(content)
    )


def validate_ftm(path: Path) -> list[str]:
    """Problems with an FtM JSON-lines file (empty when it is valid).

    Each line must be an entity of a known, non-abstract schema whose properties exist, whose
    values are valid for their type, whose required properties are set, and whose references
    point to entities of the file.
    """
    from followthemoney.exc import InvalidData
    from followthemoney.types import registry

    model = _model()
    problems: list[str] = []
    ids: set[str] = set()
    refs: list[tuple[int, str, str]] = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read: {exc}"]
    for n, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
            schema = model.get(data.get("schema")) if isinstance(data, dict) else None
            if schema is None or schema.abstract:
                problems.append(f"line {n}: unknown or abstract schema {data.get('schema')!r}")
                continue
            unknown = sorted(set(data.get("properties") or {}) - set(schema.properties))
            if unknown:
                problems.append(f"line {n}: {schema.name} has no property {', '.join(unknown)}")
            proxy = model.get_proxy(data, cleaned=False)
            if not proxy.id:
                problems.append(f"line {n}: entity without id")
            for prop, value in proxy.itervalues():
                if prop.type.clean(value, proxy=proxy) is None:
                    problems.append(f"line {n}: {prop.name}: invalid {prop.type.name} {value!r}")
                if prop.type == registry.entity:
                    refs.append((n, prop.name, value))
            schema.validate(data)
            ids.add(str(proxy.id))
        except InvalidData as exc:
            problems.append(f"line {n}: {exc}")
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(f"line {n}: not an FtM entity ({exc})")
    problems += [
        f"line {n}: {prop} refers to missing entity {ref}"
        for n, prop, ref in refs
        if ref not in ids
    ]
    return problems
