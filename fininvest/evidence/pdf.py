"""``report.pdf``: the report's blocks typeset with ReportLab, byte-identical across runs.

ReportLab's invariant mode fixes the document id and ``SOURCE_DATE_EPOCH`` (set from the
export time, ``--at``) the creation and modification dates, so the same content at the same
time gives the same bytes. ReportLab reads no file and no URL beyond its own font: nothing
from the network can enter the PDF.

The font is DejaVu Sans where the system has it (Latin, Greek, Cyrillic: names from many
jurisdictions), otherwise Bitstream Vera, shipped with ReportLab.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fininvest.evidence.diagram import Layout
from fininvest.evidence.report import Block, Code, Diagram, Heading, Para, Table

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONT, FONT_BOLD, FONT_MONO = "EvidenceSans", "EvidenceSans-Bold", "EvidenceMono"


def _register_fonts() -> None:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    if (DEJAVU / "DejaVuSans.ttf").exists() and (DEJAVU / "DejaVuSansMono.ttf").exists():
        files = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")
        paths = [DEJAVU / f if (DEJAVU / f).exists() else DEJAVU / files[0] for f in files]
    else:
        fonts = Path(rl_config.__file__).parent / "fonts"
        paths = [fonts / "Vera.ttf", fonts / "VeraBd.ttf", fonts / "Vera.ttf"]
    for name, path in zip((FONT, FONT_BOLD, FONT_MONO), paths, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))


@contextmanager
def _source_date(at: datetime) -> Iterator[None]:
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(at.timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _drawing(lay: Layout, width: float) -> Any:
    from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, Rect, String
    from reportlab.lib import colors

    scale = min(1.0, width / lay.width)
    g = Group()
    h = lay.height

    def y(v: float) -> float:  # SVG's top-left origin → ReportLab's bottom-left
        return h - v

    dark = colors.HexColor("#374151")
    for b in lay.boxes:
        g.add(
            Rect(
                b.x,
                y(b.y + b.h),
                b.w,
                b.h,
                rx=6,
                ry=6,
                fillColor=colors.HexColor(b.colour),
                strokeColor=dark,
            )
        )
        for i, line in enumerate(b.lines):
            g.add(
                String(
                    b.x + 8,
                    y(b.y + 16 + i * 15),
                    line,
                    fontName=FONT_BOLD if i == 0 else FONT,
                    fontSize=10,
                )
            )
    for a in lay.arrows:
        g.add(Line(a.x1, y(a.y1), a.x2, y(a.y2), strokeColor=dark))
        dx, dy = a.x2 - a.x1, y(a.y2) - y(a.y1)
        norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        ux, uy = dx / norm, dy / norm
        tip = (a.x2, y(a.y2))
        g.add(
            Polygon(
                [
                    tip[0],
                    tip[1],
                    tip[0] - 8 * ux + 4 * uy,
                    tip[1] - 8 * uy - 4 * ux,
                    tip[0] - 8 * ux - 4 * uy,
                    tip[1] - 8 * uy + 4 * ux,
                ],
                fillColor=dark,
                strokeColor=dark,
            )
        )
        for text, dy in ((a.label, 6), (a.below, -12)):
            if text:
                g.add(
                    String(
                        (a.x1 + a.x2) / 2,
                        y(a.y1) + dy,
                        text,
                        fontName=FONT,
                        fontSize=8,
                        textAnchor="middle",
                    )
                )
    g.scale(scale, scale)
    d = Drawing(lay.width * scale, lay.height * scale)
    d.add(g)
    return d


def render_pdf(blocks: list[Block], out: Path, *, title: str, author: str, at: datetime) -> None:
    """Typeset ``blocks`` into ``out`` (A4 landscape), dated ``at``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    _register_fonts()
    styles = {
        1: ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=6),
        2: ParagraphStyle(
            "h2", fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4
        ),
        3: ParagraphStyle(
            "h3", fontName=FONT_BOLD, fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3
        ),
    }
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, spaceAfter=4)
    claim = ParagraphStyle("claim", parent=body, fontName=FONT_BOLD)
    note = ParagraphStyle("note", parent=body, backColor=colors.HexColor("#fef3c7"))
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7, leading=8.5, splitLongWords=1)
    head = ParagraphStyle("head", parent=cell, fontName=FONT_BOLD)
    mono = ParagraphStyle("mono", fontName=FONT_MONO, fontSize=8, leading=10)
    page_w, page_h = landscape(A4)
    margin = 14 * mm
    avail = page_w - 2 * margin

    flow: list[Any] = []
    for b in blocks:
        if isinstance(b, Heading):
            flow.append(Paragraph(escape(b.text), styles.get(b.level, styles[3])))
        elif isinstance(b, Para):
            style = {"claim": claim, "note": note}.get(b.style, body)
            flow.append(Paragraph(escape(b.text), style))
        elif isinstance(b, Table):
            rel = b.widths or tuple(1.0 for _ in b.header)
            widths = [avail * w / sum(rel) for w in rel]
            data = [[Paragraph(escape(h), head) for h in b.header]]
            data += [[Paragraph(escape(v), cell) for v in row] for row in b.rows] or [
                [Paragraph("none", cell)] + [Paragraph("", cell) for _ in b.header[1:]]
            ]
            t = RLTable(data, colWidths=widths, repeatRows=1)
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#9ca3af")),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f4f6")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            flow += [t, Spacer(1, 6)]
        elif isinstance(b, Code):
            flow.extend(Paragraph(escape(line), mono) for line in b.lines)
        elif isinstance(b, Diagram):
            flow += [_drawing(b.layout, avail), Spacer(1, 6)]

    with _source_date(at):
        doc = SimpleDocTemplate(
            str(out),
            pagesize=(page_w, page_h),
            leftMargin=margin,
            rightMargin=margin,
            topMargin=margin,
            bottomMargin=margin,
            title=title,
            author=author,
            creator="fininvest",
            producer="fininvest (ReportLab)",
            subject="evidence pack report",
            invariant=1,
        )
        doc.build(flow)
