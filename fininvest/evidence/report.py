"""The report of an evidence pack as a list of blocks, written once and rendered twice.

:func:`build_report` turns a :class:`~fininvest.evidence.content.PackContent` into headings,
paragraphs, tables, diagrams and a code block; :mod:`fininvest.evidence.html` renders them as
``report.html`` and :mod:`fininvest.evidence.pdf` as ``report.pdf``, so the two say the same.

Order: the case and its chains; per chain the diagram, the members and, for each link, the
claim followed by the records that support it (each with its provenance); the red flags with
their public sources; a timeline; money between the parties; the jurisdictions and the records
each holds; the members' assets; what was withheld; the source files and the chain of custody;
how to verify the pack.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from fininvest.evidence.content import RECORD_KINDS, PackContent, Record, RecordRef
from fininvest.evidence.diagram import Layout, layout

RECORD_TITLES = {
    "transaction": "transaction",
    "str": "suspicious transaction report",
    "intelligence": "intelligence record",
    "kyc": "KYC record",
    "party": "customer record",
    "account": "account record",
    "asset": "asset record",
    "asset_event": "asset decision",
}


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str
    style: str = "body"  # body | claim | note


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] | None = None  # relative column widths (PDF)


@dataclass(frozen=True)
class Code:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    title: str
    layout: Layout


Block = Heading | Para | Table | Code | Diagram


def provenance_text(r: Record | None) -> str:
    """``file #record, line n · sha256 …`` for a report cell."""
    if r is None or r.provenance is None:
        return "not found in the workspace tables"
    return f"{r.provenance.cite()} · sha256 {r.provenance.source_sha256}"


def _grading(ref: RecordRef, r: Record | None) -> str:
    if r is None or r.kind != "intelligence":
        return ref.grading or ""
    f = r.fields
    grade = ref.grading or f"{f.get('source_reliability')}{f.get('info_credibility')}"
    return f"{grade} / {f.get('handling_code') or '-'}"


def _who(content: PackContent, pid: str | None) -> str:
    if pid is None:
        return ""
    p = content.party(pid)
    return f"{p.name} [{pid}]" if p and p.name else pid


def _money(x: float | None, currency: str | None) -> str:
    return "" if x is None else f"{x:,.2f} {currency or ''}".strip()


def record_rows(content: PackContent, refs: list[RecordRef]) -> tuple[tuple[str, ...], ...]:
    """One row per supporting record: what it is, its grading, where, its provenance."""
    rows = []
    for ref in refs:
        r = content.record(ref.kind, ref.id)
        what = r.summary if r else "(record not in the pack)"
        if ref.note:
            what = f"{what} — {ref.note}"
        rows.append(
            (
                f"{RECORD_TITLES.get(ref.kind, ref.kind)} {ref.id}",
                what,
                _grading(ref, r),
                (r.jurisdiction if r else None) or "",
                provenance_text(r),
            )
        )
    return tuple(rows)


RECORD_HEADER = ("record", "what it says", "grading / handling", "where", "provenance")
RECORD_WIDTHS = (1.3, 3.2, 0.9, 0.6, 2.6)


def build_report(content: PackContent, *, title: str) -> list[Block]:
    """The report's blocks (see the module docstring for their order).

    Parameters
    ----------
    content : PackContent
        What the pack says.
    title : str
        The report's title.

    The report does not name the pack's file: the same content gives the same report
    wherever the pack is written.
    """
    c = content
    cust = c.custody
    out: list[Block] = [
        Heading(title, 1),
        Para(
            f"Case: {c.case_name}. Organisation: {c.source_organization}. Chains: "
            f"{', '.join(ch.id for ch in c.chains)}. Exported {cust.exported_at} by "
            f"{cust.exported_by} with fininvest {cust.fininvest_version} (indicator catalogue "
            f"{cust.catalogue_version[:19]}). Amounts in {c.base_currency} unless stated."
        ),
    ]
    for w in c.withheld:
        out.append(Para(f"Withheld: {w.count} {w.what} — {w.reason}", "note"))
    for n in c.notes:
        out.append(Para(n, "note"))
    for ch in c.chains:
        out += [
            Heading(f"Chain {ch.id}", 2),
            Para(
                f"Route: {' → '.join(ch.jurisdictions)} (recruited in {ch.recruited_in or '?'}). "
                f"{len(ch.victims)} victims: {', '.join(ch.victims)}."
            ),
            Diagram(f"Chain {ch.id}", layout(ch, c)),
            Table(
                ("role", "person", "country", "accounts"),
                tuple(
                    (
                        role,
                        _who(c, pid),
                        (p.country if p else None) or "",
                        ", ".join(p.accounts) if p else "",
                    )
                    for role, pid in ch.members.items()
                    for p in [c.party(pid)]
                ),
                (1, 2, 0.7, 3),
            ),
        ]
        if ch.recruiter_records:
            out += [
                Heading(f"Recruitment by {_who(c, ch.members.get('recruiter'))}", 3),
                Table(RECORD_HEADER, record_rows(c, ch.recruiter_records), RECORD_WIDTHS),
            ]
        for i, link in enumerate(ch.links, start=1):
            out += [
                Heading(f"Link {i}: {link.from_role} → {link.to_role} ({link.act})", 3),
                Para(f"Claim: {link.claim}", "claim"),
                Table(RECORD_HEADER, record_rows(c, link.records), RECORD_WIDTHS),
            ]
    out += _red_flags(c) + _timeline(c) + _flows(c) + _jurisdictions(c) + _assets(c)
    out += _custody(c) + _how_to_verify()
    return out


def _red_flags(c: PackContent) -> list[Block]:
    if not c.explanations:
        return [Heading("Red flags", 2), Para("No screening alert on the parties' accounts.")]
    rows = tuple(
        (f"{e.entity_id} ({_who(c, e.holder_id)})", e.title, e.detail, e.citation)
        for e in c.explanations
    )
    return [
        Heading("Red flags", 2),
        Para(
            "Indicators raised by screening on the accounts of the chain's parties, with the "
            "public sources that describe them."
        ),
        Table(("account", "indicator", "what was observed", "public sources"), rows, (2, 2, 3, 2)),
    ]


def _timeline(c: PackContent) -> list[Block]:
    timed = sorted((r for r in c.records if r.time), key=lambda r: (r.time or "", r.kind, r.id))
    rows = tuple((r.time or "", RECORD_TITLES.get(r.kind, r.kind), r.id, r.summary) for r in timed)
    return [
        Heading("Timeline", 2),
        Table(("when (UTC)", "kind", "record", "what"), rows, (1.3, 1.2, 1.3, 4.5)),
    ]


def _flows(c: PackContent) -> list[Block]:
    rows = tuple(
        (
            _who(c, f.from_id),
            _who(c, f.to_id),
            str(f.count),
            _money(f.total, f.currency),
            f.first or "",
            f.last or "",
        )
        for f in c.flows
    )
    return [
        Heading("Money between the parties", 2),
        Para(
            "Every transaction between accounts of the chain's members and victims, summed "
            "per payer and payee in the base currency."
        ),
        Table(
            ("from", "to", "payments", "total", "first", "last"), rows, (2, 2, 0.8, 1.2, 1.5, 1.5)
        ),
    ]


def _jurisdictions(c: PackContent) -> list[Block]:
    where: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in c.records:
        where[r.jurisdiction or "unknown"][r.kind].append(r.id)
    rows = []
    for country in sorted(where):
        kinds = where[country]
        held = "; ".join(
            f"{len(kinds[k])} {RECORD_TITLES[k]}: {', '.join(sorted(kinds[k]))}"
            for k in RECORD_KINDS
            if k in kinds
        )
        rows.append((country, held))
    acts = tuple(
        (link.jurisdiction or "?", f"{ch.id} link {i}: {link.act}")
        for ch in c.chains
        for i, link in enumerate(ch.links, start=1)
    )
    return [
        Heading("Jurisdictions", 2),
        Table(("country", "act of the chain"), acts, (1, 6)),
        Para("Which records sit where (the country whose authority or institution holds them):"),
        Table(("country", "records"), tuple(rows), (1, 6)),
    ]


def _assets(c: PackContent) -> list[Block]:
    if not c.assets:
        return [Heading("Assets", 2), Para("No asset of the members is recorded.")]
    rows = []
    for a in c.assets:
        history = "; ".join(
            r.summary for e in a.events for r in [c.record("asset_event", e)] if r is not None
        )
        rows.append(
            (
                a.id,
                _who(c, a.owner_id),
                f"{a.kind}: {a.description or ''}",
                _money(a.value, a.currency),
                a.jurisdiction or "",
                a.status,
                history,
            )
        )
    return [
        Heading("Assets", 2),
        Table(
            ("asset", "owner", "what", "value", "where", "status", "decisions"),
            tuple(rows),
            (1, 1.5, 2, 1, 0.6, 1, 3),
        ),
    ]


def _custody(c: PackContent) -> list[Block]:
    cust = c.custody
    sources = tuple((s.name, s.sha256, s.raw_copy) for s in cust.sources)
    steps = tuple(
        (
            str(e.get("time", "")),
            str(e.get("command", "")),
            str(e.get("user", "")),
            json.dumps(e.get("params", {}), sort_keys=True, ensure_ascii=False),
            ", ".join(
                f"{i.get('file')} ({str(i.get('sha256', ''))[:12]}…)"
                for i in e.get("inputs", [])
                if isinstance(i, dict)
            ),
        )
        for e in cust.steps
    )
    return [
        Heading("Source files", 2),
        Para(
            "Every file a cited record was read from, with the SHA-256 of its bytes as received "
            "and whether the workspace's byte copy (raw/) still matches it."
        ),
        Table(("file", "SHA-256", "raw copy"), sources, (2, 4.5, 1)),
        Heading("Chain of custody", 2),
        Para(
            f"Commands that produced the results, from the workspace's audit log; fininvest "
            f"{cust.fininvest_version}, indicator catalogue {cust.catalogue_version}."
        ),
        Table(
            ("time (UTC)", "command", "user", "parameters", "inputs"), steps, (1.4, 1, 0.6, 2, 3)
        ),
    ]


def _how_to_verify() -> list[Block]:
    return [
        Heading("How to verify this pack", 2),
        Para(
            "Three commands, each on its own, where PACK is the pack's folder (unzipped): the "
            "BagIt validator checks every file against the manifests; sha256sum does the same "
            "with no Python; fininvest also checks the signature against the signer's public "
            "key (obtained from the signer, not from the pack) and the FollowTheMoney entities."
        ),
        Code(
            (
                "python -m bagit --validate PACK",
                "cd PACK && sha256sum -c manifest-sha256.txt tagmanifest-sha256.txt",
                "fininvest evidence verify PACK --key signing-key.pub",
            )
        ),
    ]
