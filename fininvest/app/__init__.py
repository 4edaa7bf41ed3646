"""The investigator's web app (``fininvest app``): alerts, graph explorer, chains, money flow,
timeline, jurisdictions and assets of one case, built with Dash and dash-cytoscape.

``create_app(workspace, store, settings)`` builds it; ``fininvest.app.server`` serves it.
"""

from fininvest.app.factory import AppContext, AppSettings, create_app

__all__ = ["AppContext", "AppSettings", "create_app"]
