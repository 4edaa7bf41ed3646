"""``report.html``: the report's blocks as one self-contained HTML page.

No script, no stylesheet, image or font from elsewhere, no link: the page opens offline and
shows the same thing on every machine. Every text from the data is escaped.
"""

from __future__ import annotations

from html import escape

from fininvest.evidence.diagram import to_svg
from fininvest.evidence.report import Block, Code, Diagram, Heading, Para, Table

STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 2em; color: #111827; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 1.6em; border-bottom: 1px solid #9ca3af; }
h3 { font-size: 14px; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; }
th, td { border: 1px solid #d1d5db; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #f3f4f6; } td { word-break: break-word; }
p.claim { font-weight: bold; } p.note { background: #fef3c7; padding: 4px; }
pre { background: #f3f4f6; padding: 8px; white-space: pre-wrap; }
.diagram { overflow-x: auto; }
"""


def _block(b: Block) -> str:
    if isinstance(b, Heading):
        return f"<h{b.level}>{escape(b.text)}</h{b.level}>"
    if isinstance(b, Para):
        return f'<p class="{b.style}">{escape(b.text)}</p>'
    if isinstance(b, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
        if not b.rows:
            return f'<table><tr>{head}</tr><tr><td colspan="{len(b.header)}">none</td></tr></table>'
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in b.rows
        )
        return f"<table>\n<tr>{head}</tr>\n{rows}\n</table>"
    if isinstance(b, Code):
        return "<pre>" + "\n".join(escape(line) for line in b.lines) + "</pre>"
    if isinstance(b, Diagram):
        return f'<div class="diagram">{to_svg(b.layout, b.title)}</div>'
    raise TypeError(f"unknown report block {b!r}")


def render_html(blocks: list[Block], title: str) -> str:
    """The whole page (UTF-8 text, LF line ends)."""
    body = "\n".join(_block(b) for b in blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
