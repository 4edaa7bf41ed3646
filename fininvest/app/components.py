"""Small building blocks shared by the pages. Every text from the data goes into components as
a plain string child (rendered by React as text, never parsed as HTML); links are built from
ids only, quoted, under the app's own paths."""

from __future__ import annotations

import html as html_text
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import quote

from dash import dcc, html
from dash.dash_table.DataTable import DataTable

PAGES = (
    ("/alerts", "Alerts"),
    ("/explorer", "Graph explorer"),
    ("/chains", "Chains"),
    ("/flow", "Money flow"),
    ("/timeline", "Timeline"),
    ("/jurisdictions", "Jurisdictions"),
    ("/assets", "Assets"),
)


def href(kind: str, item_id: str) -> str:
    """The deep link of an item: ``/entity/<id>``, ``/chain/<id>``, ``/alert/<id>``,
    ``/asset/<id>`` (the id percent-encoded, so it can never leave the app's paths).

    Examples
    --------
    >>> href("entity", "14 MAIN ST, THE HAGUE")
    '/entity/14%20MAIN%20ST%2C%20THE%20HAGUE'
    """
    return f"/{kind}/{quote(item_id, safe='')}"


def link(kind: str, item_id: str, text: str | None = None) -> dcc.Link:
    return dcc.Link(text or item_id, href=href(kind, item_id))


def text(value: Any) -> str:
    """A value as display text (None → empty)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


def plot_text(value: Any) -> str:
    """Text for plotly labels, which understand a few HTML tags: escaped, so that a name such
    as ``<b>`` or ``<a href=…>`` is shown as typed."""
    return html_text.escape(text(value))


def table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, table_id: str | None = None
) -> html.Table:
    """A plain table; cells may be strings (shown as text) or components (links, buttons)."""
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(c if not isinstance(c, str | int | float | None) else text(c))
                    for c in row
                ]
            )
            for row in rows
        ]
    )
    if table_id:
        return html.Table([head, body], className="fi-table", id=table_id)
    return html.Table([head, body], className="fi-table")


MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-.!|~"


def md_text(value: Any) -> str:
    r"""A text escaped for the markdown of a grid cell (shown as typed, never as markup).

    Examples
    --------
    >>> md_text("[x](javascript:alert(1))")
    '\\[x\\]\\(javascript:alert\\(1\\)\\)'
    """
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text(value))


def md_link(kind: str, item_id: str, label: Any = None) -> str:
    """A markdown link to a deep link of the app (the URL built from the id, quoted)."""
    return f"[{md_text(label if label is not None else item_id)}]({href(kind, item_id)})"


def grid(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    grid_id: str,
    links: Sequence[str] = (),
    page_size: int = 25,
) -> DataTable:
    """A large table as one component (fast to render): paged, sortable, filterable in the
    browser. Columns named in ``links`` hold :func:`md_link` markdown (raw HTML is off);
    every other cell is plain text."""
    spec: list[Any] = [
        {"name": c, "id": c, "presentation": "markdown"} if c in links else {"name": c, "id": c}
        for c in columns
    ]
    return DataTable(
        id=grid_id,
        columns=spec,
        data=[
            {c: (v if c in links else text(v)) for c, v in zip(columns, row, strict=True)}
            for row in rows
        ],
        markdown_options={"html": False, "link_target": "_self"},
        page_size=page_size,
        sort_action="native",
        filter_action="native",
        style_cell={
            "textAlign": "left",
            "whiteSpace": "normal",
            "height": "auto",
            "fontSize": "0.85rem",
            "fontFamily": "inherit",
            "maxWidth": "420px",
        },
        style_header={"fontWeight": "600", "backgroundColor": "#e9ecef"},
    )


def note(message: str) -> html.P:
    return html.P(message, className="fi-note")


def shell(case_name: str) -> html.Div:
    """The frame of every page: navigation, the URL and the page container."""
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.Nav(
                [dcc.Link(title, href=path) for path, title in PAGES]
                + [html.Span(case_name, className="fi-case")],
                className="fi-nav",
            ),
            html.Div(id="page", className="fi-page"),
        ]
    )


class Auditor(Protocol):
    def audit(self, what: str, params: dict[str, Any]) -> None: ...


def image_export(ctx: Auditor, view: str, svg: bool, item: str | None) -> dict[str, str]:
    """The ``generateImage`` request of a graph view's PNG/SVG button (what is on screen, as a
    download named ``fininvest-<view>-<item>``), audited as an export."""
    kind = "svg" if svg else "png"
    ctx.audit("export", {"page": view, "format": kind, "item": item})
    name = "-".join(x for x in ("fininvest", view, item) if x)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return {"type": kind, "action": "download", "filename": safe}
