"""The pages of the app, one module each: ``layout(ctx, item, query)`` and
``register(app, ctx)``. ``PAGES`` maps the first part of a path to its module."""

from __future__ import annotations

from types import ModuleType

from fininvest.app.pages import alerts, assets, chains, explorer, flow, jurisdictions, timeline

PAGES: dict[str, ModuleType] = {
    "alerts": alerts,
    "explorer": explorer,
    "chains": chains,
    "flow": flow,
    "timeline": timeline,
    "jurisdictions": jurisdictions,
    "assets": assets,
}
#: deep links: /alert/<id>, /entity/<id>, /chain/<id>, /asset/<id>
ALIASES = {"alert": "alerts", "entity": "explorer", "chain": "chains", "asset": "assets"}
