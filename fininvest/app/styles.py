"""The declared look of the app: stylesheets and colours from ``dashboards/``.

Each graph view has a cytoscape.js stylesheet in ``dashboards/styles/<view>.json`` (rules per
class, ``mapData`` for amounts, never a style per element). The colours of THB roles, node kinds
and jurisdictions are declared once in ``dashboards/colours.json`` and turned into class rules
here, so that a colour changes in one place.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from fininvest.resources import resource_dir

VIEWS = ("explorer", "chain", "jurisdictions")
_CLASS = re.compile(r"\.([A-Za-z][\w-]*)")


@cache
def colours() -> dict[str, dict[str, str]]:
    """``dashboards/colours.json`` without its comment: roles, kinds, statuses, jurisdictions."""
    data = json.loads((resource_dir("dashboards") / "colours.json").read_text("utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def jurisdiction_class(code: str | None) -> str:
    """The class of a country's colour: ``jur-NL``, or ``jur-other`` for an undeclared one."""
    return f"jur-{code}" if code and code in colours()["jurisdictions"] else "jur-other"


def colour_rules(view: str) -> list[dict[str, Any]]:
    """Class rules derived from ``colours.json``: kinds and roles colour the node; in the
    jurisdictions view the country colours it."""
    c = colours()
    if view == "jurisdictions":
        return [
            {"selector": f"node.jur-{code}", "style": {"background-color": colour}}
            for code, colour in c["jurisdictions"].items()
        ]
    rules = [
        {"selector": f"node.{kind}", "style": {"background-color": colour}}
        for kind, colour in c["kinds"].items()
    ]
    rules += [
        {"selector": f"node.role-{role}", "style": {"background-color": colour}}
        for role, colour in c["roles"].items()
    ]
    return rules


@cache
def _declared(view: str) -> tuple[dict[str, Any], ...]:
    rules = json.loads((resource_dir("dashboards") / "styles" / f"{view}.json").read_text("utf-8"))
    return tuple(rules)


def stylesheet(view: str) -> list[dict[str, Any]]:
    """The full stylesheet of a view: colour rules first, then the view's declared rules (which
    win where they overlap, e.g. the size of a focused node).

    Examples
    --------
    >>> any(r["selector"] == "edge.intel" for r in stylesheet("explorer"))
    True
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; expected one of {VIEWS}")
    declared = [dict(r) for r in _declared(view)]
    return declared[:1] + colour_rules(view) + declared[1:]


def selector_classes(rules: list[dict[str, Any]]) -> set[str]:
    """Every class named in the selectors of ``rules``."""
    return {m for r in rules for m in _CLASS.findall(r["selector"])}
