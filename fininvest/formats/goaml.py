"""goAML XML reports (UNODC schema 4.x/5.x subset), parsed incrementally and safely.

The file is fed to expat 64 KiB at a time, and the ``report`` elements completed in a piece
are handed on before the next piece is read: the elements in memory are those of a few reports
(a report's elements take about ten times its text). The rows made from the reports are held as
columns and turned into Polars frames every :data:`FLUSH_ROWS` rows, so a 1 GB file becomes
neither 1 GB of elements nor a Python dict per transaction.

The expat parser refuses what ``defusedxml`` refuses with DTDs forbidden, from the same four
handlers and with its exceptions: a document type declaration, entity declarations and
external entity references. Entity-expansion ("billion laughs") and external-entity payloads
are thus refused before any entity is expanded. Elements are built by three small callbacks on
the C parser rather than by the pure-Python ``ElementTree`` layer that ``defusedxml`` wraps:
the parse of 100,000 transactions took 16-20 s instead of 26-28 s on the project's slower VM
(docs/performance.md).

Each report becomes rows in the canonical layouts (``str_reports``, ``bank`` transactions,
``kyc_customers``, ``kyc_accounts``, ``kyc_identifiers``), which then go through exactly the same
validation as CSV input. Channel: goAML ``transmode_code`` values are defined by each FIU, so the
channel is inferred from the parties instead — a side with a person or entity but no account
means cash (deposit or withdrawal) — and the raw code is kept in ``purpose``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import polars as pl
from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from fininvest.errors import BadInput
from fininvest.formats.compressed import GzipStream, open_input
from fininvest.limits import Limits

#: bytes fed to the parser at a time
CHUNK = 1 << 16
#: the most fed at a time inside a long stretch without markup: feeding more as the stretch
#: grows keeps expat's re-reading of an unfinished start tag linear in the tag's length
LONG_CHUNK = 16 << 20
#: rows of one output table held as Python lists before they become a Polars frame
FLUSH_ROWS = 65_536
#: XML read between two progress messages
PROGRESS_BYTES = 32 << 20


#: shared by every element without children, never changed (see :meth:`Node.add`)
_NO_CHILDREN: list[Node] = []
_NO_INDEX: dict[str, Node] = {}


class Node:
    """One XML element: its name (namespace dropped), the line it starts on, its text and its
    child elements (the first child of each name also by name, for :meth:`find`)."""

    __slots__ = ("tag", "line", "parts", "size", "children", "first")

    def __init__(self, tag: str, line: int) -> None:
        self.tag = tag
        self.line = line
        # the text as the pieces expat gave it, joined when read: appending to one string
        # would copy it each time (a 100 MB text node took minutes)
        self.parts: list[str] = []
        self.size = 0
        # most elements hold text only: their child list and index are made with the first
        # child (:meth:`add`), not for every element
        self.children: list[Node] = _NO_CHILDREN
        self.first: dict[str, Node] = _NO_INDEX

    @property
    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    def add_text(self, data: str) -> None:
        """Add a piece of text. Whitespace before any other text is dropped (every reader
        strips it): the indentation between elements, or a flood of it, is never held."""
        if self.parts or not data.isspace():
            self.parts.append(data)
            self.size += len(data)

    def add(self, child: Node) -> None:
        if self.children is _NO_CHILDREN:
            self.children, self.first = [child], {child.tag: child}
        else:
            self.children.append(child)
            self.first.setdefault(child.tag, child)

    def find(self, *path: str) -> Node | None:
        node: Node | None = self
        for name in path:
            if node is None:
                return None
            node = node.first.get(name)
        return node

    def findall(self, name: str) -> list[Node]:
        return [c for c in self.children if c.tag == name]

    def get(self, *path: str) -> str | None:
        n = self.find(*path)
        if n is None:
            return None
        t = n.text.strip()
        return t or None


def _refuse_dtd(parser: Any) -> None:
    """The handlers ``defusedxml.ElementTree.DefusedXMLParser(forbid_dtd=True)`` sets on its
    expat parser, raising the same exceptions."""

    def doctype(name: str, sysid: str | None, pubid: str | None, _internal: bool) -> None:
        raise DTDForbidden(name, sysid, pubid)

    def entity(name: str, _param: bool, value: str | None, base: str | None,
               sysid: str | None, pubid: str | None, notation: str | None) -> None:  # fmt: skip
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def unparsed(name: str, base: str | None, sysid: str | None, pubid: str | None,
                 notation: str | None) -> None:  # fmt: skip
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def external(_context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
        raise ExternalReferenceForbidden(_context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external


def iter_reports(
    fh: IO[bytes] | GzipStream,
    name: str,
    read: Callable[[int], None] | None = None,
    limits: Limits | None = None,
) -> Iterator[Node]:
    """Yield each ``report`` element of a goAML file as soon as it is complete; ``read`` is
    told the bytes read so far after each piece.

    Time and memory are linear in the file's size: an element's text is held as pieces
    (:meth:`Node.add_text`) and refused beyond ``max_field_bytes``, and so is any stretch of
    the file without a ``<`` (a start tag with its attributes, or a text, that long: expat
    2.5 re-reads a start tag from its beginning with every piece fed to it, quadratic in the
    tag's length). A ``<report>`` anywhere but directly under the root ``<reports>`` (say
    inside a ``<reason>``) refuses the file rather than being read as a report of its own."""
    limits = limits or Limits()
    longest = limits.max_field_bytes
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = True
    _refuse_dtd(parser)
    stack: list[Node] = []
    done: list[Node] = []
    seen_root = False

    def start(tag: str, _attrs: list[str]) -> None:
        nonlocal seen_root
        tag = tag.rpartition("}")[2]
        if not seen_root:
            seen_root = True
            if tag not in ("reports", "report"):
                raise BadInput(
                    f"root element <{tag}> is not a goAML <report> or <reports>",
                    hint="Only goAML STR/SAR XML is read as XML.",
                )
        elif tag == "report" and (len(stack) != 1 or stack[0].tag != "reports"):
            where = f"inside <{stack[-1].tag}> (line {stack[-1].line})" if stack else ""
            raise BadInput(
                f"{name}: a <report> {where} at line {parser.CurrentLineNumber}: a report is "
                "read only directly under <reports>",
                hint="A report nested in another element is not goAML; ask the reporting "
                "entity for a valid export.",
            )
        stack.append(Node(tag, parser.CurrentLineNumber))

    def end(_tag: str) -> None:
        node = stack.pop()
        if node.tag == "report":
            done.append(node)  # handed out, not kept under <reports>
        elif stack:
            stack[-1].add(node)

    def text(data: str) -> None:
        if stack:
            node = stack[-1]
            node.add_text(data)
            if node.size > longest:
                raise limits.refuse(
                    name,
                    "max_field_bytes",
                    f"the text of <{node.tag}> (line {node.line}) is longer than "
                    f"{longest:,} characters",
                )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    seen_any = False
    consumed = 0
    since_markup = 0  # bytes since the last '<'
    try:
        while block := fh.read(CHUNK if since_markup < CHUNK else min(since_markup, LONG_CHUNK)):
            seen_any = True
            first = block.find(b"<")
            if first < 0:
                run = since_markup = since_markup + len(block)
            else:
                run = since_markup + first
                since_markup = len(block) - 1 - block.rfind(b"<")
            if max(run, since_markup) > longest:
                raise limits.refuse(
                    name,
                    "max_field_bytes",
                    f"more than {longest:,} bytes without markup by byte "
                    f"{consumed + len(block):,} (one start tag or text that long)",
                )
            parser.Parse(block, False)
            yield from done
            done.clear()
            consumed += len(block)
            if read is not None:
                read(consumed)
        if not seen_any:
            raise BadInput(f"{name}: the file is empty", hint="Export the report again.")
        parser.Parse(b"", True)
        yield from done
    except DefusedXmlException as exc:
        raise BadInput(
            f"{name}: refused: the XML declares a DTD or entities ({exc.__class__.__name__})",
            hint="goAML reports never need a DTD; this is the shape of an entity-expansion or "
            "external-entity attack. Ask the reporting entity for a clean export.",
        ) from exc
    except expat.ExpatError as exc:
        raise BadInput(
            f"{name}: malformed XML: {exc}",
            hint="Validate the file against the goAML schema and export again.",
        ) from exc


def open_xml(path: Path, limits: Limits | None = None) -> IO[bytes] | GzipStream:
    """The file's XML as a stream; a gzip file decompressed as it is read, within ``limits``
    (:mod:`fininvest.formats.compressed`)."""
    return open_input(path, limits or Limits())


def _children(node: Node, name: str) -> list[Node]:
    found = node.find(name)
    return found.children if found is not None else []


def _stable(prefix: str, *parts: str | None) -> str:
    key = "\x1f".join(p or "" for p in parts)
    return f"{prefix}{hashlib.sha1(key.encode()).hexdigest()[:16]}"


class _Table:
    """The rows of one output table as columns of strings (``_record_no`` and ``_line``:
    integers), turned into a Polars frame every :data:`FLUSH_ROWS` rows. With ``key``, a row
    whose key was added before is not added again (the first one stands)."""

    def __init__(self, *columns: str) -> None:
        self.columns = (*columns, "_record_no", "_line")
        self._values: list[list[Any]] = [[] for _ in self.columns]
        self._frames: list[pl.DataFrame] = []
        self._keys: set[Hashable] = set()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return sum(f.height for f in self._frames) + len(self._values[0])

    def add(self, row: dict[str, Any], key: Hashable = None) -> None:
        if key is not None:
            if key in self._keys:
                return
            self._keys.add(key)
        for values, c in zip(self._values, self.columns, strict=True):
            values.append(row.get(c))
        if len(self._values[0]) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        schema = {c: pl.Int64 if c in ("_record_no", "_line") else pl.String for c in self.columns}
        columns = dict(zip(self.columns, self._values, strict=True))
        self._frames.append(pl.DataFrame(columns, schema=schema))
        self._values = [[] for _ in self.columns]

    @classmethod
    def of(cls, frame: pl.DataFrame) -> _Table:
        """A table holding the rows of ``frame`` (as :meth:`frame` gives them)."""
        out = cls(*frame.columns[:-2])
        out._frames = [frame]
        return out

    def merged(self, other: _Table, key: list[str] | None = None) -> _Table:
        """This table's rows, then ``other``'s (with ``key``: only those whose key this table
        does not have), as one parse of both streams one after the other would hold them."""
        both = pl.concat([self.frame(), other.frame()])
        if key is not None:
            both = both.unique(subset=key, keep="first", maintain_order=True)
        return _Table.of(both)

    def frame(self) -> pl.DataFrame:
        """Every row added, in order."""
        if self._values[0] or not self._frames:
            self._flush()
        return pl.concat(self._frames, rechunk=False)


class GoamlRows:
    """Rows in canonical layouts, each with ``_record_no`` and ``_line`` for provenance; a
    party, account or identifier once, as first seen."""

    def __init__(self) -> None:
        self.reports = _Table(
            "report_id", "rentity_id", "submission_code", "report_code", "entity_reference",
            "fiu_ref_number", "submitted", "currency_code_local", "reason", "indicators",
        )  # fmt: skip
        self.transactions = _Table(
            "txn_id", "ts", "from_account", "to_account", "amount", "currency", "channel",
            "purpose", "city", "from_country", "to_country", "depositor_id", "report_id",
            "_problem",
        )  # fmt: skip
        self.parties = _Table(
            "party_id", "kind", "name", "birthdate", "sex", "nationality", "residence_country",
            "id_number", "occupation", "registration_number", "incorporation_country",
        )  # fmt: skip
        self.accounts = _Table(
            "account_id", "holder_id", "holder_name", "institution", "bank_id", "account_number",
            "iban", "currency", "country", "opened", "closed", "branch",
        )  # fmt: skip
        self.identifiers = _Table("owner_id", "owner_kind", "kind", "value", "country")


def _party(rows: GoamlRows, node: Node, kind: str, rec: int) -> str:
    if kind == "person":
        idn = node.get("passport_number") or node.get("id_number") or node.get("ssn")
        name = " ".join(p for p in (node.get("first_name"), node.get("last_name")) if p)
        pid = (
            _stable("goaml:p:", node.get("nationality1"), idn)
            if idn
            else _stable("goaml:p:", name, node.get("birthdate"))
        )
        country = node.get("residence")
    else:
        idn = node.get("incorporation_number")
        name = node.get("name") or node.get("commercial_name") or ""
        country = node.get("incorporation_country_code")
        pid = _stable("goaml:c:", country, idn) if idn else _stable("goaml:c:", name)
    if pid not in rows.parties:  # the row is built once, from the first mention
        row = _person_row(node, idn, name) if kind == "person" else _company_row(node, idn, name)
        rows.parties.add({**row, "party_id": pid, "_record_no": rec, "_line": node.line}, pid)
    # a party seen again may list other phones, addresses or e-mails: each is kept once
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


def _person_row(node: Node, idn: str | None, name: str) -> dict[str, Any]:
    return {
        "kind": "person",
        "name": name or None,
        "birthdate": node.get("birthdate"),
        "sex": {"M": "male", "F": "female"}.get((node.get("gender") or "").upper()),
        "nationality": node.get("nationality1"),
        "residence_country": node.get("residence"),
        "id_number": idn,
        "occupation": node.get("occupation"),
    }


def _company_row(node: Node, registration: str | None, name: str) -> dict[str, Any]:
    return {
        "kind": "company",
        "name": name or None,
        "registration_number": registration,
        "incorporation_country": node.get("incorporation_country_code"),
        "occupation": node.get("business"),
    }


def _ident(
    rows: GoamlRows, owner: str, kind: str, value: str, country: str | None, rec: int, line: int
) -> None:
    rows.identifiers.add(
        {
            "owner_id": owner,
            "owner_kind": "party",
            "kind": kind,
            "value": value,
            "country": country,
            "_record_no": rec,
            "_line": line,
        },
        key=(owner, kind, value),
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
    if acc_id not in rows.accounts:
        rows.accounts.add(
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
            key=acc_id,
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


def parse_goaml(
    path: Path, say: Callable[[str], None] | None = None, limits: Limits | None = None
) -> tuple[GoamlRows, int]:
    """Parse a goAML file into canonical rows; returns the rows and the number of reports.

    A large file is parsed in two halves at once, one in another process
    (:mod:`fininvest.formats.goaml_halves`); the rows are those of one parse of the whole file.
    ``say`` is told how far the parse is every :data:`PROGRESS_BYTES` of XML (a 1 GB file
    takes minutes)."""
    from fininvest.formats.goaml_halves import parse_in_halves

    halves = parse_in_halves(path, say, limits)
    if halves is not None:
        return halves
    with open_xml(path, limits) as fh:
        rows, n_reports, _n_tx = parse_stream(fh, path.name, progress(path, say), limits)
    return rows, n_reports


def progress(
    path: Path, say: Callable[[str], None] | None, scale: int = 1, note: str = ""
) -> Callable[[int, int, int], None]:
    """A ``read(consumed, reports, transactions)`` callback that tells ``say`` how far the parse
    of ``path`` is every :data:`PROGRESS_BYTES` (``scale``: the share of the file this stream
    stands for, inverted)."""
    size = path.stat().st_size
    told = 0

    def read(consumed: int, n_reports: int, n_tx: int) -> None:
        nonlocal told
        if say is not None and consumed - told >= PROGRESS_BYTES:
            told = consumed
            consumed *= scale
            # a gzip file's size is its compressed size: the XML read can pass it
            of = f" of {size / 2**20:,.0f}" if consumed <= size else ""
            say(
                f"{path.name}: {consumed / 2**20:,.0f}{of} MB of XML read{note}, "
                f"{n_reports * scale:,} reports, {n_tx * scale:,} transactions"
            )

    return read


def parse_stream(
    fh: IO[bytes] | GzipStream,
    name: str,
    read: Callable[[int, int, int], None] | None = None,
    limits: Limits | None = None,
) -> tuple[GoamlRows, int, int]:
    """Parse goAML XML from ``fh`` into canonical rows; returns the rows and the numbers of
    reports and transactions. ``read(bytes, reports, transactions)`` is called after each
    piece."""
    rows = GoamlRows()
    n_reports = 0
    n_tx = 0

    def tell(consumed: int) -> None:
        if read is not None:
            read(consumed, n_reports, n_tx)

    for rep in iter_reports(fh, name, tell, limits):
        n_reports += 1
        rentity = rep.get("rentity_id")
        ref = rep.get("entity_reference") or rep.get("fiu_ref_number")
        report_id = f"{rentity}:{ref}" if rentity and ref else None
        # a transaction of a report that is rejected for want of an id is rejected with it
        orphan = (
            None
            if report_id
            else f"its report (line {rep.line}) has no "
            + ("rentity_id" if not rentity else "entity_reference or fiu_ref_number")
            + ", so the report is rejected and its transactions with it"
        )
        currency = rep.get("currency_code_local")
        indicators = [i.text.strip() for i in _children(rep, "report_indicators") if i.text.strip()]
        rows.reports.add(
            {
                "report_id": report_id,
                "rentity_id": rentity,
                "submission_code": rep.get("submission_code"),
                "report_code": rep.get("report_code"),
                "entity_reference": rep.get("entity_reference"),
                "fiu_ref_number": rep.get("fiu_ref_number"),
                "submitted": rep.get("submission_date"),
                "currency_code_local": currency,
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
            description = t.get("transaction_description")
            mode = f"[transmode {t.get('transmode_code')}]"
            rows.transactions.add(
                {
                    "txn_id": f"goaml:{rentity}:{number}" if number and rentity else None,
                    "ts": t.get("date_transaction"),
                    "from_account": f_acc,
                    "to_account": t_acc,
                    "amount": t.get("amount_local"),
                    "currency": currency,
                    "channel": "cash" if cash else "wire",
                    "purpose": f"{description} {mode}" if description else mode,
                    "city": t.get("transaction_location"),
                    "from_country": f_country,
                    "to_country": t_country,
                    "depositor_id": f_party if f_acc is None else None,
                    "report_id": report_id,
                    "_problem": orphan,
                    "_record_no": n_tx,
                    "_line": t.line,
                }
            )
    return rows, n_reports, n_tx
