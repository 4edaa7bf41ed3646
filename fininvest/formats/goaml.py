"""goAML XML reports (UNODC schema 4.x/5.x subset), parsed incrementally and safely.

The file is fed to an expat parser in 1 MiB chunks and only one ``report`` element is held in
memory at a time, so a 1 GB file does not become 1 GB of Python objects. Parsing goes through
``defusedxml`` with DTDs forbidden: entity-expansion ("billion laughs") and external-entity
payloads are refused before any entity is expanded.

Each report becomes rows in the canonical layouts (``str_reports``, ``bank`` transactions,
``kyc_customers``, ``kyc_accounts``, ``kyc_identifiers``), which then go through exactly the same
validation as CSV input. Channel: goAML ``transmode_code`` values are defined by each FIU, so the
channel is inferred from the parties instead — a side with a person or entity but no account
means cash (deposit or withdrawal) — and the raw code is kept in ``purpose``.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from fininvest.errors import BadInput

CHUNK = 1 << 20


@dataclass
class Node:
    tag: str
    line: int
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, *path: str) -> Node | None:
        node: Node | None = self
        for name in path:
            if node is None:
                return None
            node = next((c for c in node.children if c.tag == name), None)
        return node

    def findall(self, name: str) -> list[Node]:
        return [c for c in self.children if c.tag == name]

    def get(self, *path: str) -> str | None:
        n = self.find(*path)
        if n is None:
            return None
        t = n.text.strip()
        return t or None


class _Target:
    """Builds one ``report`` subtree at a time with the line where each element starts."""

    def __init__(self) -> None:
        self.stack: list[Node] = []
        self.done: list[Node] = []
        self.parser: DefusedXMLParser | None = None
        self.root_tag: str | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rsplit("}", 1)[-1]
        line = self.parser.parser.CurrentLineNumber if self.parser is not None else 0
        if self.root_tag is None:
            self.root_tag = name
            if name not in ("reports", "report"):
                raise BadInput(
                    f"root element <{name}> is not a goAML <report> or <reports>",
                    hint="Only goAML STR/SAR XML is read as XML.",
                )
        self.stack.append(Node(name, line))

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text

    def end(self, tag: str) -> None:
        node = self.stack.pop()
        if node.tag == "report":
            self.done.append(node)
        elif self.stack:
            self.stack[-1].children.append(node)

    def close(self) -> None:
        return None


def iter_reports(fh: IO[bytes], name: str) -> Iterator[Node]:
    """Yield each ``report`` element of a goAML file as soon as it is complete."""
    target = _Target()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.parser = parser
    seen_any = False
    try:
        while block := fh.read(CHUNK):
            seen_any = True
            parser.feed(block)
            yield from target.done
            target.done.clear()
        if not seen_any:
            raise BadInput(f"{name}: the file is empty", hint="Export the report again.")
        parser.close()
        yield from target.done
    except DefusedXmlException as exc:
        raise BadInput(
            f"{name}: refused: the XML declares a DTD or entities ({exc.__class__.__name__})",
            hint="goAML reports never need a DTD; this is the shape of an entity-expansion or "
            "external-entity attack. Ask the reporting entity for a clean export.",
        ) from exc
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        raise BadInput(
            f"{name}: malformed XML: {exc}",
            hint="Validate the file against the goAML schema and export again.",
        ) from exc


def open_xml(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _children(node: Node, name: str) -> list[Node]:
    found = node.find(name)
    return found.children if found is not None else []


def _stable(prefix: str, *parts: str | None) -> str:
    key = "\x1f".join(p or "" for p in parts)
    return f"{prefix}{hashlib.sha1(key.encode()).hexdigest()[:16]}"


@dataclass
class GoamlRows:
    """Rows in canonical layouts, each with (record_no, line, where) for provenance."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    identifiers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)


def _party(rows: GoamlRows, node: Node, kind: str, rec: int) -> str:
    if kind == "person":
        idn = node.get("passport_number") or node.get("id_number") or node.get("ssn")
        name = " ".join(p for p in (node.get("first_name"), node.get("last_name")) if p)
        pid = (
            _stable("goaml:p:", node.get("nationality1"), idn)
            if idn
            else _stable("goaml:p:", name, node.get("birthdate"))
        )
        gender = (node.get("gender") or "").upper()
        row = {
            "party_id": pid,
            "kind": "person",
            "name": name or None,
            "birthdate": node.get("birthdate"),
            "sex": {"M": "male", "F": "female"}.get(gender),
            "nationality": node.get("nationality1"),
            "residence_country": node.get("residence"),
            "id_number": idn,
            "occupation": node.get("occupation"),
        }
    else:
        reg = node.get("incorporation_number")
        name = node.get("name") or node.get("commercial_name") or ""
        pid = (
            _stable("goaml:c:", node.get("incorporation_country_code"), reg)
            if reg
            else _stable("goaml:c:", name)
        )
        row = {
            "party_id": pid,
            "kind": "company",
            "name": name or None,
            "registration_number": reg,
            "incorporation_country": node.get("incorporation_country_code"),
            "occupation": node.get("business"),
        }
    row["_record_no"], row["_line"] = rec, node.line  # type: ignore[assignment]
    rows.parties.setdefault(pid, row)
    country = row.get("residence_country") or row.get("incorporation_country")
    for ph in _children(node, "phones"):
        number = "".join(p for p in (ph.get("tph_country_prefix"), ph.get("tph_number")) if p)
        if number:
            if ph.get("tph_country_prefix") and not number.startswith(("+", "00")):
                number = "+" + number
            _ident(rows, pid, "phone", number, country, rec, ph.line)
    for ad in _children(node, "addresses"):
        text = ", ".join(
            p
            for p in (
                ad.get("address"),
                ad.get("zip"),
                ad.get("city") or ad.get("town"),
                ad.get("country_code"),
            )
            if p
        )
        if text:
            _ident(rows, pid, "address", text, ad.get("country_code"), rec, ad.line)
    for em in node.findall("email"):
        if em.text.strip():
            _ident(rows, pid, "email", em.text.strip(), None, rec, em.line)
    return pid


def _ident(
    rows: GoamlRows, owner: str, kind: str, value: str, country: str | None, rec: int, line: int
) -> None:
    rows.identifiers.setdefault(
        (owner, kind, value),
        {
            "owner_id": owner,
            "owner_kind": "party",
            "kind": kind,
            "value": value,
            "country": country,
            "_record_no": rec,
            "_line": line,
        },
    )


def _account(rows: GoamlRows, node: Node, rec: int, country: str | None) -> str | None:
    iban = node.get("iban")
    bank = node.get("swift") or node.get("institution_code")
    number = node.get("account")
    acc_id = iban.replace(" ", "").upper() if iban else (f"{bank}:{number}" if number else None)
    if acc_id is None:
        return None
    holder = None
    ent = node.find("t_entity")
    if ent is not None:
        holder = _party(rows, ent, "company", rec)
    for sig in node.findall("signatory"):
        person = sig.find("t_person")
        if person is not None:
            pid = _party(rows, person, "person", rec)
            if holder is None or (sig.get("is_primary") or "").lower() in ("true", "1"):
                holder = holder or pid
    if holder is None:
        # a counterparty account the reporter knows only by number: referenced by the
        # transaction, but no KYC record can be made for it
        return acc_id
    rows.accounts.setdefault(
        acc_id,
        {
            "account_id": acc_id,
            "holder_id": holder,
            "holder_name": node.get("account_name"),
            "institution": node.get("institution_name"),
            "bank_id": bank,
            "account_number": number,
            "iban": iban,
            "currency": node.get("currency_code"),
            "country": (iban[:2] if iban else country),
            "opened": node.get("opened"),
            "closed": node.get("closed"),
            "branch": node.get("branch"),
            "_record_no": rec,
            "_line": node.line,
        },
    )
    return acc_id


def _side(
    rows: GoamlRows, t: Node, side: str, rec: int
) -> tuple[str | None, str | None, str | None]:
    """(account id, party id, country) of the from- or to-side of a transaction."""
    node = t.find(f"t_{side}_my_client") or t.find(f"t_{side}")
    if node is None:
        return None, None, None
    country = node.get(f"{side}_country")
    acc_node = node.find(f"{side}_account")
    account = _account(rows, acc_node, rec, country) if acc_node is not None else None
    party = None
    person = node.find(f"{side}_person")
    entity = node.find(f"{side}_entity")
    if person is not None:
        party = _party(rows, person, "person", rec)
    elif entity is not None:
        party = _party(rows, entity, "company", rec)
    conductor = node.find("t_conductor")
    if party is None and conductor is not None:
        party = _party(rows, conductor, "person", rec)
    return account, party, country


def parse_goaml(path: Path) -> tuple[GoamlRows, int]:
    """Parse a goAML file into canonical rows; returns the rows and the number of reports."""
    rows = GoamlRows()
    n_reports = 0
    n_tx = 0
    with open_xml(path) as fh:
        for rep in iter_reports(fh, path.name):
            n_reports += 1
            rentity = rep.get("rentity_id")
            ref = rep.get("entity_reference") or rep.get("fiu_ref_number")
            report_id = f"{rentity}:{ref}" if rentity and ref else None
            indicators = [
                i.text.strip() for i in _children(rep, "report_indicators") if i.text.strip()
            ]
            rows.reports.append(
                {
                    "report_id": report_id,
                    "rentity_id": rentity,
                    "submission_code": rep.get("submission_code"),
                    "report_code": rep.get("report_code"),
                    "entity_reference": rep.get("entity_reference"),
                    "fiu_ref_number": rep.get("fiu_ref_number"),
                    "submitted": rep.get("submission_date"),
                    "currency_code_local": rep.get("currency_code_local"),
                    "reason": rep.get("reason"),
                    "indicators": "|".join(indicators) or None,
                    "_record_no": n_reports,
                    "_line": rep.line,
                }
            )
            for t in rep.findall("transaction"):
                n_tx += 1
                f_acc, f_party, f_country = _side(rows, t, "from", n_tx)
                t_acc, t_party, t_country = _side(rows, t, "to", n_tx)
                cash = (f_acc is None) != (t_acc is None)
                number = t.get("transactionnumber")
                rows.transactions.append(
                    {
                        "txn_id": f"goaml:{rentity}:{number}" if number else None,
                        "ts": t.get("date_transaction"),
                        "from_account": f_acc,
                        "to_account": t_acc,
                        "amount": t.get("amount_local"),
                        "currency": rep.get("currency_code_local"),
                        "channel": "cash" if cash else "wire",
                        "purpose": " ".join(
                            p
                            for p in (
                                t.get("transaction_description"),
                                f"[transmode {t.get('transmode_code')}]",
                            )
                            if p
                        ),
                        "city": t.get("transaction_location"),
                        "country": None,
                        "from_country": f_country,
                        "to_country": t_country,
                        "depositor_id": f_party if f_acc is None else None,
                        "counterparty_name": None,
                        "report_id": report_id,
                        "_record_no": n_tx,
                        "_line": t.line,
                    }
                )
    return rows, n_reports
