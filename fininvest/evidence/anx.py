"""``chart.anx``: the chains as an i2 Analyst's Notebook chart (ANX exchange XML).

Every party is an entity (icon by type: person, company, victim) placed in a column by role,
every link of a chain an i2 link from the earlier to the later member with its act, date
(the earliest supporting record), the jurisdiction and the 5x5x5 grading of its best
intelligence record (source reliability A–E, information credibility 1–5, handling code), as
the chart-level grade collections i2 reads. Written with ElementTree, so every name from the
data is escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fininvest.evidence.content import Link, PackContent
from fininvest.evidence.diagram import ROLE_ORDER

RELIABILITY = ("A", "B", "C", "D", "E")
CREDIBILITY = ("1", "2", "3", "4", "5")
ICONS = {"person": "Person", "company": "Organisation", "victim": "Person (Female)"}


def _best_grading(link: Link, content: PackContent) -> tuple[str, str, str] | None:
    grades = []
    for ref in link.records:
        r = content.record(ref.kind, ref.id)
        if ref.kind == "intelligence" and r is not None:
            f = r.fields
            grades.append(
                (
                    f.get("source_reliability") or "E",
                    f.get("info_credibility") or "5",
                    f.get("handling_code") or "",
                )
            )
    return min(grades) if grades else None


def _first_time(link: Link, content: PackContent) -> str | None:
    times = [
        r.time
        for ref in link.records
        for r in [content.record(ref.kind, ref.id)]
        if r is not None and r.time
    ]
    return min(times) if times else None


def _datetime(iso: str) -> str:
    return (iso if "T" in iso else f"{iso}T00:00:00").rstrip("Z")


def _link(item: ET.Element, end1: str, end2: str) -> None:
    """An i2 link (directed arrow) from entity ``end1`` to ``end2`` inside a chart item."""
    lk = ET.SubElement(item, "Link", {"End1Id": end1, "End2Id": end2})
    style = {"Type": "Link", "ArrowStyle": "ArrowOnHead", "MlStyle": "MultiplicityMultiple"}
    ET.SubElement(lk, "LinkStyle", {**style, "Strength": "1"})


def build_anx(content: PackContent) -> str:
    """The chart as ANX XML text (UTF-8, with declaration).

    Complexity: O(parties + links · records per link).
    """
    handling = sorted(
        {r.fields.get("handling_code") or "" for r in content.records if r.kind == "intelligence"}
        - {""}
    )
    chart = ET.Element("Chart", {"IdReferenceLinking": "false", "Rigorous": "true"})
    for tag, values in (
        ("GradeOne", RELIABILITY),
        ("GradeTwo", CREDIBILITY),
        ("GradeThree", tuple(handling)),
    ):
        coll = ET.SubElement(ET.SubElement(chart, tag), "StringCollection")
        for v in values:
            ET.SubElement(coll, "String").text = v
    ET.SubElement(
        ET.SubElement(chart, "LinkTypeCollection"), "LinkType", {"Name": "Link", "Colour": "0"}
    )
    types = ET.SubElement(chart, "EntityTypeCollection")
    for name in sorted(set(ICONS.values())):
        ET.SubElement(types, "EntityType", {"Name": name, "IconFile": name})
    items = ET.SubElement(chart, "ChartItemCollection")
    column = {role: i for i, role in enumerate((*ROLE_ORDER, "victim"))}
    rows: dict[int, int] = {}
    for p in content.parties:
        col = column.get(p.role or "", len(column))
        row = rows.get(col, 0)
        rows[col] = row + 1
        icon = ICONS["victim"] if p.role == "victim" else ICONS.get(p.kind, "Person")
        item = ET.SubElement(
            items,
            "ChartItem",
            {
                "Label": p.name or p.id,
                "Description": f"{p.role or 'party'} · {p.id} · {p.country or '?'}",
                "DateSet": "false",
                "XPosition": str(100 + 250 * col),
            },
        )
        ent = ET.SubElement(
            ET.SubElement(item, "End", {"Y": str(100 + 120 * row)}),
            "Entity",
            {"EntityId": p.id, "Identity": p.id, "LabelIsIdentity": "false"},
        )
        ET.SubElement(ET.SubElement(ent, "Icon"), "IconStyle", {"Type": icon})
    for ch in content.chains:
        for i, link in enumerate(ch.links, start=1):
            attrs = {
                "Label": link.act.replace("_", " "),
                "Description": f"{ch.id} link {i} in {link.jurisdiction or '?'}: {link.claim}",
                "DateSet": "false",
                "SourceReference": f"{ch.id}/{i}",
                "SourceType": link.basis,
            }
            when = _first_time(link, content)
            if when:
                attrs.update({"DateSet": "true", "DateTime": _datetime(when)})
            grade = _best_grading(link, content)
            if grade:
                attrs["GradeOneIndex"] = str(RELIABILITY.index(grade[0]))
                attrs["GradeTwoIndex"] = str(CREDIBILITY.index(grade[1]))
                if grade[2]:
                    attrs["GradeThreeIndex"] = str(handling.index(grade[2]))
            _link(ET.SubElement(items, "ChartItem", attrs), link.from_id, link.to_id)
        exploiter = ch.members.get("exploiter")
        for v in ch.victims if exploiter else []:
            item = ET.SubElement(
                items,
                "ChartItem",
                {
                    "Label": "exploited",
                    "Description": f"{ch.id}: victim of the chain",
                    "DateSet": "false",
                },
            )
            _link(item, str(exploiter), v)
    ET.indent(chart)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(chart, "unicode") + "\n"
