"""What an evidence pack says, as plain data: the result of :func:`fininvest.evidence.assemble`.

A :class:`PackContent` holds everything the pack's files are written from — the chains and
their links, the persons and accounts, every cited record with its provenance, the red-flag
explanations, the money flows between members, the members' assets and the chain of custody.
Nothing in it refers back to the workspace, so a caller may transform it before
:func:`fininvest.evidence.write_pack` writes it (a partner share replaces identifiers with
pseudonyms, drops records and adds :class:`Withheld` notes that the report shows).

All values are strings, numbers or ``None`` (times as ISO 8601 UTC strings), so the content
serialises to JSON as it is (:meth:`PackContent.to_dict`) and two assemblies of the same
workspace give equal content.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: record kinds, in the order the report and ``records/`` present them
RECORD_KINDS = (
    "transaction",
    "str",
    "intelligence",
    "kyc",
    "party",
    "account",
    "asset",
    "asset_event",
)


@dataclass(frozen=True)
class Provenance:
    """Where a record was read: the file as received, its SHA-256, the record and line."""

    source_file: str
    source_sha256: str
    record_no: int | None = None
    source_line: int | None = None

    def cite(self) -> str:
        """``file #record, line n`` — how the report cites the record.

        >>> Provenance("bank_transactions.csv.gz", "0a5b…", 6025, 6026).cite()
        'bank_transactions.csv.gz #6025, line 6026'
        """
        where = f"#{self.record_no}" if self.record_no is not None else ""
        line = f", line {self.source_line}" if self.source_line is not None else ""
        return f"{self.source_file} {where}{line}".strip()


@dataclass
class Record:
    """One cited record of the workspace (a transaction, an STR, an intelligence record …).

    ``fields`` holds the record's columns as strings (in the table's order), ``summary`` one
    line that the report prints, ``time`` when it happened (for the timeline) and
    ``jurisdiction`` the country whose authority holds it.
    """

    kind: str
    id: str
    summary: str
    fields: dict[str, str | None]
    provenance: Provenance | None = None
    time: str | None = None
    jurisdiction: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class RecordRef:
    """A link's pointer to one record that supports it, with why it does."""

    kind: str
    id: str
    note: str | None = None
    grading: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class Party:
    """A person or company in the chain (a member or a victim)."""

    id: str
    kind: str  # person | company
    name: str | None
    role: str | None  # recruiter | transporter | exploiter | controller | victim
    country: str | None = None
    nationality: str | None = None
    birthdate: str | None = None
    accounts: list[str] = field(default_factory=list)


@dataclass
class Account:
    """A bank or payment account held by a party of the chain."""

    id: str
    holder_id: str | None
    institution: str | None = None
    country: str | None = None
    iban: str | None = None
    currency: str | None = None


@dataclass
class Link:
    """One link of a chain: ``from_id`` (in ``from_role``) → ``to_id``, the act and its claim."""

    id: str
    chain_id: str
    from_id: str
    from_role: str
    to_id: str
    to_role: str
    act: str
    jurisdiction: str | None
    basis: str
    claim: str
    records: list[RecordRef] = field(default_factory=list)


@dataclass
class Chain:
    """A chain of trafficking as ``fininvest chains`` reconstructed it."""

    id: str
    members: dict[str, str]  # role -> party id
    victims: list[str]
    jurisdictions: list[str]
    recruited_in: str | None
    links: list[Link]
    recruiter_records: list[RecordRef] = field(default_factory=list)


@dataclass
class Explanation:
    """A red flag raised by screening on a member's account, with its public source."""

    entity_id: str
    holder_id: str | None
    indicator: str
    title: str
    detail: str
    observed: float | None
    threshold: float | None
    citation: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Flow:
    """Money paid between two parties of the chain (all their transactions, base currency)."""

    from_id: str
    to_id: str
    count: int
    total: float
    currency: str
    first: str | None
    last: str | None


@dataclass
class Asset:
    """An asset of a member, its latest status and the decisions on it."""

    id: str
    kind: str
    owner_id: str
    description: str | None
    value: float | None
    currency: str | None
    jurisdiction: str | None
    status: str
    events: list[str] = field(default_factory=list)  # asset_event record ids, by date


@dataclass
class SourceFile:
    """An input file the cited records come from."""

    name: str
    sha256: str
    raw_copy: str  # "matches" | "differs" | "absent": the byte copy in raw/ against the hash


@dataclass
class Custody:
    """The chain of custody: what produced the results, from what, by which version."""

    steps: list[dict[str, Any]]  # audit-log entries: time, command, params, inputs, counts, user
    sources: list[SourceFile]
    fininvest_version: str
    catalogue_version: str
    exported_by: str
    exported_at: str


@dataclass
class Withheld:
    """Something left out of the pack on purpose, said in the report (e.g. by a share)."""

    what: str
    count: int
    reason: str


@dataclass
class PackContent:
    """Everything an evidence pack is written from (see the module docstring)."""

    case_name: str
    source_organization: str
    base_currency: str
    chains: list[Chain]
    parties: list[Party]
    accounts: list[Account]
    records: list[Record]
    explanations: list[Explanation]
    flows: list[Flow]
    assets: list[Asset]
    custody: Custody
    withheld: list[Withheld] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, kind: str, id: str) -> Record | None:
        """The record of that kind and id, if the pack holds it."""
        return self._index().get(f"{kind}:{id}")

    def party(self, id: str) -> Party | None:
        return next((p for p in self.parties if p.id == id), None)

    def _index(self) -> dict[str, Record]:
        return {r.key: r for r in self.records}

    def to_dict(self) -> dict[str, Any]:
        """The content as plain JSON-ready data (``evidence.json`` is written from it)."""
        return asdict(self)
