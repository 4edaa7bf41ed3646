"""What a share to a JIT partner holds, pseudonymises and withholds — and why.

The default scope for partner ``CC`` (:func:`compute_scope`):

* **chains** from ``results/chains.json`` that cross ``CC`` (a link acted in ``CC``, a
  member recruited there, or ``CC`` among the chain's jurisdictions), or the chains named;
* **entities in scope**: persons and companies resident, incorporated or national in ``CC``,
  the members of those chains, the subjects and objects of intelligence held by ``CC``'s
  jurisdiction, and accounts kept in ``CC`` or held by an entity in scope;
* **records**: the parties, accounts and identifiers of the entities in scope, transactions
  touching an account in scope or proving a chain link, intelligence of ``CC``'s
  jurisdiction, about an entity in scope or proving a chain link.

Every other person, account or identifier a shared record mentions is replaced by its keyed
pseudonym (:mod:`fininvest.jit.pseudonyms`), and free text is cleaned of their names and
numbers. Records are **withheld** when their kind is not in the agreement, their handling code
does not allow dissemination, or their grading is below the agreement's threshold; the
reasons are counted. Counts below the agreement's ``suppress_below`` are shown as ``<5``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fininvest.errors import UnknownEntity
from fininvest.jit.agreement import Agreement
from fininvest.jit.identifiers import normalise_identifier
from fininvest.jit.pseudonyms import Pseudonymiser
from fininvest.workspace import Workspace

#: Columns of each table that name a party or an account (replaced when out of scope).
REFERENCE_COLUMNS: dict[str, dict[str, str]] = {
    "parties": {"party_id": "party"},
    "accounts": {"account_id": "account", "iban": "account", "holder_id": "party",
                 "opened_by": "party"},
    "identifiers": {"owner_id": "owner"},
    "transactions": {"from_account": "account", "to_account": "account",
                     "depositor_id": "party"},
    "intel_links": {"subject_id": "any", "object_id": "any"},
}  # fmt: skip
#: Free-text columns cleaned of out-of-scope names and numbers; raw copies are dropped.
TEXT_COLUMNS = ("purpose", "place", "source", "notes", "subject_name", "object_name", "branch")
DROPPED_COLUMNS = ("subject_raw", "object_raw", "raw_value")
#: The table each kind of chain record lives in.
CHAIN_RECORD_TABLES = {"intelligence": "intel_links", "transaction": "transactions"}


@dataclass
class Scope:
    """The content of one share before it is written (see the module docstring)."""

    jit: str
    partner: str
    chains: list[dict[str, Any]]
    parties: set[str]
    accounts: set[str]
    records: dict[str, pl.DataFrame]
    withheld: list[dict[str, str]] = field(default_factory=list)
    out_of_scope: dict[str, str] = field(default_factory=dict)  # id -> kind, referenced
    secret_strings: set[str] = field(default_factory=set)  # names/numbers to keep out


def _table(ws: Workspace, table: str) -> pl.DataFrame:
    return ws.scan(table).collect() if ws.has_table(table) else pl.DataFrame()


def _ids(df: pl.DataFrame, col: str) -> set[str]:
    return set(df[col].drop_nulls().cast(pl.String).to_list()) if col in df.columns else set()


def chain_crosses(chain: dict[str, Any], cc: str) -> bool:
    """True when a chain acted in, recruited in, or spans the jurisdiction ``cc``, or ``cc``
    holds records of it (``held_by``)."""
    return (
        cc in chain.get("jurisdictions", [])
        or cc in chain.get("held_by", [])
        or chain.get("recruited_in") == cc
        or any(link.get("jurisdiction") == cc for link in chain.get("links", []))
    )


def compute_scope(
    ws: Workspace, agreement: Agreement, partner: str, chain_ids: tuple[str, ...] = ()
) -> Scope:
    """Decide what a share to ``partner`` holds (complexity: one pass over each table)."""
    chains = ws.chains(required=False)
    if chain_ids:
        known = {c["id"] for c in chains}
        missing = [c for c in chain_ids if c not in known]
        if missing:
            raise UnknownEntity(
                f"no chain {', '.join(missing)} in results/chains.json",
                hint=f"List the chains with: fininvest chains {ws.root}",
            )
        chains = [c for c in chains if c["id"] in chain_ids]
    else:
        chains = [c for c in chains if chain_crosses(c, partner)]
    chain_members = {m for c in chains for m in c.get("members", {}).values() if m}
    chain_records = {
        (CHAIN_RECORD_TABLES.get(r["kind"], r["kind"]), r["id"])
        for c in chains
        for link in [*c.get("links", []), {"records": c.get("recruiter_records", [])}]
        for r in link.get("records", [])
    }

    parties, accounts = _table(ws, "parties"), _table(ws, "accounts")
    idents, intel = _table(ws, "identifiers"), _table(ws, "intel_links")
    txns = _table(ws, "transactions")

    linked = pl.lit(False)
    for col in ("residence_country", "incorporation_country", "nationality"):
        if col in parties.columns:
            linked = linked | (pl.col(col).cast(pl.String) == partner)
    party_ids = _ids(parties.filter(linked), "party_id") if len(parties) else set()
    party_ids |= chain_members
    if len(intel):
        here = intel.filter(pl.col("jurisdiction").cast(pl.String) == partner)
        party_ids |= _ids(here, "subject_id") | _ids(here, "object_id")
    account_ids = set()
    if len(accounts):
        in_acc = accounts.filter(
            (pl.col("country").cast(pl.String) == partner)
            | pl.col("holder_id").cast(pl.String).is_in(sorted(party_ids))
        )
        account_ids = _ids(in_acc, "account_id")
        party_ids |= _ids(in_acc, "holder_id")
    all_ids = party_ids | account_ids

    def chain_ids_of(table: str) -> list[str]:
        return sorted(i for t, i in chain_records if t == table)

    selected: dict[str, pl.DataFrame] = {}
    if len(parties):
        selected["parties"] = parties.filter(pl.col("party_id").is_in(sorted(party_ids)))
    if len(accounts):
        selected["accounts"] = accounts.filter(pl.col("account_id").is_in(sorted(account_ids)))
    if len(idents):
        selected["identifiers"] = idents.filter(pl.col("owner_id").is_in(sorted(all_ids)))
    if len(txns):
        acc = sorted(account_ids)
        selected["transactions"] = txns.filter(
            pl.col("from_account").is_in(acc)
            | pl.col("to_account").is_in(acc)
            | pl.col("txn_id").is_in(chain_ids_of("transactions"))
        )
    if len(intel):
        ids = sorted(all_ids)
        selected["intel_links"] = intel.filter(
            (pl.col("jurisdiction").cast(pl.String) == partner)
            | pl.col("subject_id").is_in(ids)
            | pl.col("object_id").is_in(ids)
            | pl.col("link_id").is_in(chain_ids_of("intel_links"))
        )

    scope = Scope(agreement.id, partner, chains, party_ids, account_ids, {})
    for table, df in selected.items():
        scope.records[table] = _withhold(scope, agreement, table, df)
    _mark_out_of_scope(scope, parties, accounts, idents)
    return scope


def _withhold(scope: Scope, agreement: Agreement, table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Drop the records the agreement does not let go, noting each with its reason."""
    from fininvest.formats.declarations import TABLE_KEYS

    key = TABLE_KEYS.get(table, df.columns[0])
    if table not in agreement.record_kinds:
        scope.withheld += [
            {"table": table, "id": str(i), "reason": "record kind not in the agreement"}
            for i in df[key].to_list()
        ]
        return df.clear()
    if table != "intel_links":
        return df
    keep = []
    for row in df.iter_rows(named=True):
        code = row.get("handling_code")
        if not code:
            reason = "no handling code recorded"
        elif code not in agreement.handling_codes:
            reason = f"handling code {code} does not allow dissemination"
        elif agreement.withholds_grading(
            row.get("source_reliability"), row.get("info_credibility")
        ):
            reason = (
                f"grading {row.get('source_reliability')}{row.get('info_credibility')} below "
                f"{agreement.min_source_reliability}{agreement.min_info_credibility}"
            )
        else:
            keep.append(True)
            continue
        keep.append(False)
        scope.withheld.append({"table": table, "id": str(row[key]), "reason": reason})
    return df.filter(pl.Series(keep, dtype=pl.Boolean)) if len(df) else df


def _mark_out_of_scope(
    scope: Scope, parties: pl.DataFrame, accounts: pl.DataFrame, idents: pl.DataFrame
) -> None:
    """Collect the out-of-scope ids the shared records mention, and every name and number of
    out-of-scope entities that must not appear anywhere in the package."""
    inside = scope.parties | scope.accounts
    for table, df in scope.records.items():
        for col, kind in REFERENCE_COLUMNS.get(table, {}).items():
            for v in _ids(df, col) - inside:
                scope.out_of_scope.setdefault(v, kind)
    for c in scope.chains:
        for m in c.get("members", {}).values():
            if m and m not in inside:
                scope.out_of_scope.setdefault(m, "party")
        for v in c.get("victims", []):
            if v not in inside:
                scope.out_of_scope.setdefault(v, "party")
    secret: set[str] = set()
    if len(parties):
        out = parties.filter(~pl.col("party_id").is_in(sorted(scope.parties)))
        secret |= _ids(out, "name") | _ids(out, "party_id") | _ids(out, "id_number")
    if len(accounts):
        out = accounts.filter(~pl.col("account_id").is_in(sorted(scope.accounts)))
        secret |= _ids(out, "account_id") | _ids(out, "iban")
    if len(idents):
        out = idents.filter(~pl.col("owner_id").is_in(sorted(inside)))
        secret |= _ids(out, "value") | _ids(out, "raw_value")
    for c in scope.chains:
        secret |= {
            n for role, n in c.get("names", {}).items() if c["members"].get(role) not in inside
        }
    visible: set[str] = set()
    for df in scope.records.values():
        for col in df.columns:
            if df[col].dtype == pl.String:
                visible |= _ids(df, col)
    # a value an in-scope record holds itself (a shared name, an in-scope number) stays
    scope.secret_strings = {s for s in secret if len(s) >= 3} - (
        visible - scope.out_of_scope.keys()
    )


def suppress(n: int, below: int) -> int | str:
    """A count as shown in a share: exact from ``below`` up, else ``"<below"``."""
    return n if n >= below or n == 0 else f"<{below}"


def preview(scope: Scope, agreement: Agreement, pseudonyms: Pseudonymiser) -> dict[str, Any]:
    """What a share would hold, pseudonymise and withhold, and why (nothing is written)."""
    k = agreement.suppress_below
    reasons = Counter(w["reason"] for w in scope.withheld)
    return {
        "jit": scope.jit,
        "partner": scope.partner,
        "chains": [c["id"] for c in scope.chains],
        "shared": {t: len(df) for t, df in scope.records.items()},
        "entities_in_scope": {"parties": len(scope.parties), "accounts": len(scope.accounts)},
        "pseudonymised": [
            {"id": i, "kind": kind, "pseudonym": pseudonyms.pseudonym(kind, i)}
            for i, kind in sorted(scope.out_of_scope.items())
        ],
        "withheld": scope.withheld,
        "withheld_by_reason": dict(reasons),
        "package_counts": {
            "shared": {t: suppress(len(df), k) for t, df in scope.records.items()},
            "pseudonymised": suppress(len(scope.out_of_scope), k),
            "withheld_by_reason": {r: suppress(n, k) for r, n in reasons.items()},
        },
    }


def secret_forms(value: str) -> set[str]:
    """The written forms of one name or number that a share must not contain.

    >>> sorted(secret_forms("DE89370400440532013000"))[:2]
    ['DE89 3704 0044 0532 0130 00', 'DE89370400440532013000']
    """
    forms = {value, value.lower(), value.upper()}
    iban = normalise_identifier("iban", value)
    if iban:
        spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        forms |= {iban, spaced, spaced.lower()}
    if value.startswith("+"):
        import phonenumbers

        try:
            num = phonenumbers.parse(value, None)
            forms.add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL))
            forms.add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
            forms.add(str(num.national_number))
            forms.add("0" + str(num.national_number))  # with the trunk prefix most use
        except phonenumbers.NumberParseException:
            pass
    return {f for f in forms if len(f) >= 3}


_TOKEN = re.compile(r"[^\s,;:/=()\[\]\"'<>|]+")


class Redactor:
    """Replaces every written form of the out-of-scope names and numbers in a text.

    Texts are cut into tokens (at spaces and punctuation other than ``. @ + - _``) and every
    run of up to ``n`` tokens, lower-cased and joined by one space or by nothing (numbers
    written in groups), is looked up among the forms: linear in the text's length, whatever
    the number of forms.

    >>> r = Redactor({"Maria Ionescu", "+491512345678"})
    >>> r.clean("paid by MARIA  IONESCU, tel. 0151 2345678")
    'paid by [redacted], tel. [redacted]'
    """

    def __init__(self, secrets: set[str], replacement: str = "[redacted]") -> None:
        self.forms = {
            " ".join(f.lower().split()) for s in secrets for f in secret_forms(s) if f.strip()
        }
        self.longest = max((f.count(" ") + 1 for f in self.forms), default=1)
        self.replacement = replacement
        self._seen: dict[str, str] = {}

    def clean(self, text: str) -> str:
        if text in self._seen:
            return self._seen[text]
        tokens = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(text)]
        spans = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                run = [t for _, _, t in tokens[i : i + n]]
                if " ".join(run) in self.forms or "".join(run) in self.forms:
                    spans.append((tokens[i][0], tokens[i + n - 1][1]))
                    i += n
                    break
            else:
                i += 1
        out = text
        for start, end in reversed(spans):
            out = out[:start] + self.replacement + out[end:]
        self._seen[text] = out
        return out
