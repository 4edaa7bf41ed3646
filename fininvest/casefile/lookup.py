"""Look a person, account or identifier up in a case: ``search`` finds ids from what an
analyst has (a name in any accents and case, an account number in any spacing, a phone in any
format); ``card`` gathers everything the case holds on one id. Both read the workspace tables
and results only (no graph needed).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import polars as pl

from fininvest.casefile.explain import read_results
from fininvest.casefile.names import Names, load_names
from fininvest.errors import UnknownEntity, WorkspaceError
from fininvest.workspace import Workspace

#: provenance columns every table row carries
PROVENANCE = ("source_kind", "source_file", "source_sha256", "record_no", "source_line")
#: digits a phone query needs before it is matched on its national number
MIN_PHONE_DIGITS = 6


def fold(text: str) -> str:
    """A name for comparison: accents removed, case folded, spaces collapsed.

    >>> fold("  Şerban  IONESCU-Pătraşcu ")
    'serban ionescu-patrascu'
    """
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def compact(text: str) -> str:
    """An account number or IBAN without spaces, dots or dashes, upper case.

    >>> compact("de89 3704.0044-0532 0130 00")
    'DE89370400440532013000'
    """
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def phone_digits(text: str) -> str:
    """A phone's digits without the international or trunk prefix zeros, matched as the end of
    the stored E.164 number.

    >>> phone_digits("0151 234-5678"), phone_digits("+49 (151) 2345678"), phone_digits("0049151")
    ('1512345678', '491512345678', '49151')
    """
    return re.sub(r"\D", "", text).lstrip("0")


def search(ws: Workspace, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Ids whose name, account number/IBAN or identifier matches ``text``.

    Returns
    -------
    list of dict
        ``{"id", "kind", "name", "matched": what matched, "value": the stored value}``, at most
        ``limit``, persons and companies first.

    Complexity: one scan of the id and name columns of parties, accounts, identifiers and
    intelligence links.
    """
    names = load_names(ws)
    want_name, want_number, want_phone = fold(text), compact(text), phone_digits(text)
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def hit(eid: str, kind: str, matched: str, value: str) -> None:
        found.setdefault((eid, matched), {"id": eid, "kind": kind, "name": names.name(eid),
                                          "matched": matched, "value": value})  # fmt: skip

    words = want_name.split()
    if words:  # every word of the query in the name, in any order
        for pid, name in names.party.items():
            folded = fold(name)
            if all(w in folded for w in words):
                hit(pid, "party", "name", name)
    if ws.has_table("parties"):
        cols = ["party_id", "id_number", "registration_number"]
        for pid, *numbers in ws.scan("parties").select(cols).collect().iter_rows():
            for n in numbers:
                if n and want_number and want_number == compact(n):
                    hit(pid, "party", "document number", n)
    if ws.has_table("accounts") and len(want_number) >= 4:
        cols = ["account_id", "iban", "account_number"]
        for row in ws.scan("accounts").select(cols).collect().iter_rows():
            for n in row:
                if n and want_number in compact(n):
                    hit(row[0], "account", "account number", n)
                    break
    if len(want_number) >= 4:  # accounts only seen in transactions (no KYC)
        for acc in _transaction_accounts(ws, want_number):
            if (acc, "account number") not in found:
                hit(acc, "account", "account number", acc)
    if ws.has_table("identifiers"):
        ids = ws.scan("identifiers").select("owner_id", "owner_kind", "kind", "value").collect()
        for owner, owner_kind, kind, value in ids.iter_rows():
            if value is None:
                continue
            if kind == "phone":
                ok = len(want_phone) >= MIN_PHONE_DIGITS and re.sub(r"\D", "", value).endswith(
                    want_phone
                )
            else:
                ok = bool(want_name) and want_name in fold(value)
            if ok:
                hit(owner, owner_kind, kind, value)
    rows = sorted(found.values(), key=lambda r: (r["kind"] != "party", r["id"], r["matched"]))
    return rows[:limit]


def _transaction_accounts(ws: Workspace, number: str) -> list[str]:
    if not ws.has_table("transactions"):
        return []
    accounts = pl.concat(
        [
            ws.scan("transactions").select(pl.col(c).alias("a"))
            for c in ("from_account", "to_account")
        ]
    ).unique()
    squeezed = pl.col("a").str.replace_all(r"[^0-9A-Za-z]", "").str.to_uppercase()
    hits = accounts.filter(squeezed.str.contains(number, literal=True)).collect()
    return sorted(hits.get_column("a").drop_nulls().to_list())[:50]


def card(ws: Workspace, entity_id: str) -> dict[str, Any]:
    """Everything the case holds on one party or account.

    Returns
    -------
    dict
        ``id``, ``kind`` (party/account), ``name``, ``properties`` (field → value) with
        ``provenance`` (file, line, SHA-256 per source row), ``accounts`` (held or opened by the
        party; for an account its holder), ``identifiers``, ``alerts``, ``chains`` (with the
        role), ``assets``, ``intelligence`` (relation, other side, place, date, grading).
    """
    names = load_names(ws)
    party_rows = _rows(ws, "parties", pl.col("party_id") == entity_id)
    account_rows = _rows(ws, "accounts", pl.col("account_id") == entity_id)
    intel = _rows(
        ws, "intel_links", (pl.col("subject_id") == entity_id) | (pl.col("object_id") == entity_id)
    )
    in_txns = not party_rows and not account_rows and _transaction_accounts(ws, compact(entity_id))
    if account_rows or (in_txns and entity_id in in_txns):
        kind = "account"
    elif party_rows or intel or entity_id in names.party:
        kind = "party"
    else:
        raise UnknownEntity(
            f"{entity_id} is not a person, company or account of this case",
            hint=f"Find the id with: fininvest search {ws.root} TEXT",
        )
    rows = party_rows or account_rows
    properties: dict[str, Any] = {}
    for r in rows:  # later sources fill what earlier ones left empty
        for k, v in r.items():
            if k not in PROVENANCE and v is not None and k not in properties:
                properties[k] = v
    held: list[dict[str, Any]] = []
    if kind == "party" and ws.has_table("accounts"):
        acc = (
            ws.scan("accounts")
            .filter((pl.col("holder_id") == entity_id) | (pl.col("opened_by") == entity_id))
            .select("account_id", "holder_id", "institution", "country", "opened", "opened_by")
        )
        for a in acc.collect().unique("account_id", maintain_order=True).iter_rows(named=True):
            a["relation"] = "holds" if a["holder_id"] == entity_id else "opened for another"
            a["holder_name"] = names.name(a["holder_id"])
            held.append(a)
    own = [entity_id, *(a["account_id"] for a in held if a["relation"] == "holds")]
    return {
        "id": entity_id,
        "kind": kind,
        "name": names.name(entity_id),
        "holder_id": names.holder_of(entity_id),
        "properties": properties,
        "provenance": [{k: r.get(k) for k in PROVENANCE} for r in rows],
        "accounts": held,
        "identifiers": [
            {
                k: r[k]
                for k in (
                    "owner_id",
                    "kind",
                    "value",
                    "valid_from",
                    "valid_to",
                    "source_file",
                    "source_line",
                )
            }  # fmt: skip
            for r in _rows(ws, "identifiers", pl.col("owner_id").is_in(own))
        ],
        "alerts": _alerts(ws, own),
        "chains": _chains(ws, entity_id),
        "assets": [
            {
                k: r[k]
                for k in (
                    "asset_id",
                    "kind",
                    "description",
                    "value",
                    "currency",
                    "jurisdiction",
                    "source_file",
                    "source_line",
                )
            }  # fmt: skip
            for r in _rows(ws, "assets", pl.col("owner_id").is_in(own))
        ],
        "intelligence": [_intel(r, entity_id, names) for r in intel],
    }


def _rows(ws: Workspace, table: str, where: pl.Expr) -> list[dict[str, Any]]:
    if not ws.has_table(table):
        return []
    return ws.scan(table).filter(where).collect().to_dicts()


def _alerts(ws: Workspace, ids: list[str]) -> list[dict[str, Any]]:
    try:
        alerts, _ = read_results(ws)
    except WorkspaceError:  # not screened yet: no alerts to show
        return []
    cols = ("rank", "entity_id", "score", "classification", "indicators")
    return alerts.filter(pl.col("entity_id").is_in(ids)).select(cols).to_dicts()


def _chains(ws: Workspace, entity_id: str) -> list[dict[str, Any]]:
    out = []
    for ch in ws.chains(required=False):
        roles = [role for role, who in ch.get("members", {}).items() if who == entity_id]
        if entity_id in ch.get("victims", []):
            roles.append("victim")
        if roles:
            out.append({"id": ch["id"], "roles": roles,
                        "jurisdictions": ch.get("jurisdictions", [])})  # fmt: skip
    return out


def _intel(r: dict[str, Any], entity_id: str, names: Names) -> dict[str, Any]:
    subject = r["subject_id"] == entity_id
    grading = f"{r.get('source_reliability') or '?'}{r.get('info_credibility') or '?'}"
    return {
        "link_id": r["link_id"],
        "relation": r["relation"] if subject else f"{r['relation']} (by)",
        "other_id": r["object_id"] if subject else r["subject_id"],
        "other_name": (r["object_name"] if subject else r["subject_name"])
        or names.name(r["object_id"] if subject else r["subject_id"]),
        "place": r.get("place"),
        "date_from": r.get("date_from"),
        "grading": grading,
        "handling_code": r.get("handling_code"),
        "source": r.get("source"),
    }
