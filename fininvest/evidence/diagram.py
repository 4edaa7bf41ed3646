"""The chain diagram: members laid out left to right by role, links as labelled arrows.

One layout (:func:`layout`), drawn twice: as inline SVG for ``report.html`` (:func:`to_svg`) and
with ReportLab's graphics for ``report.pdf`` (:mod:`fininvest.evidence.pdf`), so both show the
same picture. Coordinates have their origin at the top left (as SVG).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from fininvest.evidence.content import Chain, PackContent

ROLE_ORDER = ("recruiter", "transporter", "exploiter", "controller")
ROLE_COLOURS = {
    "recruiter": "#dbeafe",
    "transporter": "#dcfce7",
    "exploiter": "#fee2e2",
    "controller": "#fef3c7",
    "victim": "#f3f4f6",
}
BOX_W, BOX_H, GAP, MARGIN = 150.0, 64.0, 90.0, 10.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    role: str
    lines: tuple[str, ...]

    @property
    def colour(self) -> str:
        return ROLE_COLOURS.get(self.role, "#ffffff")


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str  # above the arrow
    below: str = ""  # under it (the jurisdiction)


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def _short(s: str, n: int = 24) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def layout(chain: Chain, content: PackContent) -> Layout:
    """Place the chain's members in columns by role and the victims under the exploiter.

    Complexity: O(members).
    """
    roles = [r for r in ROLE_ORDER if r in chain.members]
    boxes: dict[str, Box] = {}
    for i, role in enumerate(roles):
        pid = chain.members[role]
        p = content.party(pid)
        name = (p.name if p else None) or pid
        boxes[role] = Box(
            x=MARGIN + i * (BOX_W + GAP),
            y=MARGIN,
            w=BOX_W,
            h=BOX_H,
            role=role,
            lines=(
                role.upper(),
                _short(name),
                _short(f"{pid} · {(p.country if p else None) or '?'}"),
            ),
        )
    arrows = [
        Arrow(
            boxes[link.from_role].x + BOX_W,
            MARGIN + BOX_H / 2,
            boxes[link.to_role].x,
            MARGIN + BOX_H / 2,
            link.act.replace("_", " "),
            link.jurisdiction or "?",
        )
        for link in chain.links
        if link.from_role in boxes and link.to_role in boxes
    ]
    height = MARGIN * 2 + BOX_H
    anchor = boxes.get("exploiter") or next(iter(boxes.values()), None)
    if chain.victims and anchor is not None:
        victim = Box(
            x=anchor.x,
            y=MARGIN + BOX_H + GAP,
            w=BOX_W,
            h=BOX_H * 0.75,
            role="victim",
            lines=("VICTIMS", f"{len(chain.victims)} persons", _short(", ".join(chain.victims))),
        )
        boxes["victim"] = victim
        arrows.append(
            Arrow(anchor.x + BOX_W / 2, anchor.y + BOX_H, victim.x + BOX_W / 2, victim.y, "")
        )
        height = victim.y + victim.h + MARGIN
    width = MARGIN * 2 + max(1, len(roles)) * BOX_W + max(0, len(roles) - 1) * GAP
    return Layout(width, height, tuple(boxes.values()), tuple(arrows))


def to_svg(lay: Layout, title: str) -> str:
    """The layout as an inline ``<svg>`` element (every text escaped, no external reference)."""
    out = [
        f'<svg role="img" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'font-family="sans-serif" font-size="10">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#374151"/></marker></defs>',
    ]
    for b in lay.boxes:
        out.append(
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="6" '
            f'fill="{b.colour}" stroke="#374151"/>'
        )
        for i, line in enumerate(b.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(
                f'<text x="{b.x + 8:.1f}" y="{b.y + 16 + i * 15:.1f}"{weight}>{escape(line)}</text>'
            )
    for a in lay.arrows:
        out.append(
            f'<line x1="{a.x1:.1f}" y1="{a.y1:.1f}" x2="{a.x2:.1f}" y2="{a.y2:.1f}" '
            f'stroke="#374151" marker-end="url(#arrow)"/>'
        )
        for text, dy in ((a.label, -6), (a.below, 12)):
            if text:
                out.append(
                    f'<text x="{(a.x1 + a.x2) / 2:.1f}" y="{a.y1 + dy:.1f}" '
                    f'text-anchor="middle" font-size="8">{escape(text)}</text>'
                )
    out.append("</svg>")
    return "\n".join(out)
