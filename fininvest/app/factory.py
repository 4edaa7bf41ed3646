"""``create_app(workspace, store, settings)``: the Dash app of a case, shared by the CLI, the
tests and the benchmark.

Routing is one callback from the URL to a page module; each page module has ``layout(...)``
(the page for a path) and ``register(app, ctx)`` (its callbacks, thin wrappers over plain
functions the tests call directly). Every page view is written to the audit log with the user,
the page and the item shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from threading import Lock
from typing import Any
from urllib.parse import parse_qs, unquote

import flask
from dash import Dash, Input, Output, html

from fininvest.app import auth
from fininvest.app.components import note, shell
from fininvest.app.data import CaseData
from fininvest.graph.store import GraphStore
from fininvest.resources import resource_dir
from fininvest.workspace import Workspace

SCOPE_LOCK = Lock()


@dataclass(frozen=True)
class AppSettings:
    """How the app behaves.

    Parameters
    ----------
    page_size : neighbours shown per node before a "+N more" stub.
    max_elements : elements on screen at most in the explorer (the rest is paged).
    session_minutes : lifetime of a login.
    login : require a login (default: when the workspace has app users).
    """

    page_size: int = 40
    max_elements: int = 2_000
    session_minutes: int = 480
    login: bool | None = None


@dataclass
class AppContext:
    """What the callbacks of every page share.

    ``data`` is the case as the current user may see it: the whole case, or, for a user limited
    to jurisdictions (``limit``, or the signed-in user's), the case cut to that scope
    (:class:`fininvest.app.scope.ScopedCaseData`, built once per set of jurisdictions).
    """

    case: CaseData
    settings: AppSettings
    limit: frozenset[str] | None = None
    scoped: dict[frozenset[str], CaseData] = field(default_factory=dict)

    @property
    def ws(self) -> Workspace:
        return self.case.ws

    def jurisdictions(self) -> frozenset[str]:
        """The jurisdictions the current user is limited to (empty: the whole case)."""
        if self.limit is not None:
            return self.limit
        if flask.has_request_context():
            return frozenset(flask.session.get("jurisdictions") or ())
        return frozenset()

    @property
    def data(self) -> CaseData:
        jur = self.jurisdictions()
        if not jur:
            return self.case
        with SCOPE_LOCK:
            if jur not in self.scoped:
                from fininvest.app.scope import ScopedCaseData

                self.scoped[jur] = ScopedCaseData(self.case, jur)
            return self.scoped[jur]

    def limited_to(self, jurisdictions: list[str]) -> AppContext:
        """The same app as seen by a user limited to ``jurisdictions`` (tests, the CLI)."""
        return replace(self, limit=frozenset(j.upper() for j in jurisdictions))

    def user(self) -> str | None:
        """The signed-in app user (None without login)."""
        return flask.session.get("user") if flask.has_request_context() else None

    def audit(self, what: str, params: dict[str, Any]) -> None:
        """One audit entry for a page view or an export, with the app user if logged in."""
        user = self.user()
        jur = self.jurisdictions()
        scope = {"jurisdictions": sorted(jur)} if jur else {}
        self.ws.audit(f"app {what}", {**params, "app_user": user, **scope})


def route(pathname: str | None) -> tuple[str, str | None]:
    """``/entity/P-1`` → ``("entity", "P-1")``; ``/`` → ``("alerts", None)``.

    Examples
    --------
    >>> route("/chain/CH-1A")
    ('chain', 'CH-1A')
    >>> route("/entity/14%20MAIN%20ST")
    ('entity', '14 MAIN ST')
    """
    parts = [p for p in (pathname or "/").split("/") if p]
    if not parts:
        return "alerts", None
    return parts[0], unquote("/".join(parts[1:])) if len(parts) > 1 else None


def create_app(
    workspace: Workspace, store: GraphStore, settings: AppSettings | None = None
) -> Dash:
    """The app of one case.

    Parameters
    ----------
    workspace : the case.
    store : its graph store (loaded by ``fininvest graph load``).
    settings : paging, limits, login; defaults as in :class:`AppSettings`.

    Returns
    -------
    dash.Dash
        Serve it with :func:`fininvest.app.server.serve` (or ``app.run``).
    """
    import dash_cytoscape as cyto

    from fininvest.app.pages import PAGES

    # the extra bundle of dash-cytoscape carries cytoscape-svg (the SVG export of the graph
    # views) and the dagre/klay layouts
    cyto.load_extra_layouts()
    settings = settings or AppSettings()
    ctx = AppContext(CaseData(workspace, store), settings)
    app = Dash(
        __name__,
        assets_folder=str(resource_dir("dashboards") / "assets"),
        suppress_callback_exceptions=True,
        title=f"fininvest — {workspace.name}",
        update_title="",
    )
    app.layout = shell(workspace.name)
    _install_login(app, ctx)

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def render(pathname: str | None, search: str | None) -> Any:
        return page_for(ctx, pathname, search)

    for module in set(PAGES.values()):
        module.register(app, ctx)
    app.server.config["FININVEST_CONTEXT"] = ctx
    return app


def page_for(ctx: AppContext, pathname: str | None, search: str | None = None) -> Any:
    """The page for a URL (and one audit entry saying what was shown)."""
    from fininvest.app.pages import ALIASES, PAGES

    name, item = route(pathname)
    name = ALIASES.get(name, name)
    module = PAGES.get(name)
    if module is None:
        return html.Div([html.H2("Not found"), note(f"No page at {pathname}.")])
    query = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    ctx.audit("view", {"page": name, "item": item})
    return module.layout(ctx, item, query)


LOGIN_FORM = """<!doctype html><html><head><title>fininvest — sign in</title>
<link rel="stylesheet" href="/assets/app.css"></head><body><form class="fi-login" method="post"
action="/login"><h2>fininvest</h2><p>{message}</p><label>User <input name="user"
autocomplete="username"></label><br><label>Password <input name="password" type="password"
autocomplete="current-password"></label><br><button type="submit">Sign in</button></form>
</body></html>"""
OPEN_PATHS = ("/login", "/assets/")


def _install_login(app: Dash, ctx: AppContext) -> None:
    """Sessions signed with the workspace key; a login page when users exist."""
    server = app.server
    server.secret_key = auth.session_key(ctx.ws)
    server.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=ctx.settings.session_minutes)
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Strict"

    def required() -> bool:
        return ctx.settings.login if ctx.settings.login is not None else bool(auth.users(ctx.ws))

    @server.before_request  # type: ignore[untyped-decorator]
    def gate() -> Any:
        if not required() or flask.request.path.startswith(OPEN_PATHS):
            return None
        if auth.session_valid(dict(flask.session)):
            return None
        flask.session.clear()
        if flask.request.method == "GET" and not flask.request.path.startswith("/_dash"):
            return flask.redirect("/login")
        return flask.Response("login required", status=401)

    @server.route("/login", methods=["GET", "POST"])  # type: ignore[untyped-decorator]
    def login() -> Any:
        message = "Sign in to see the case."
        if flask.request.method == "POST":
            user = flask.request.form.get("user", "")
            if auth.verify(ctx.ws, user, flask.request.form.get("password", "")):
                flask.session.clear()
                flask.session.permanent = True
                flask.session["user"] = user
                limit = auth.users(ctx.ws).get(user, {}).get("jurisdictions") or []
                flask.session["jurisdictions"] = list(limit)
                flask.session["expires"] = time.time() + 60 * ctx.settings.session_minutes
                ctx.ws.audit("app login", {"app_user": user})
                return flask.redirect("/")
            ctx.ws.audit("app login", {"app_user": user}, status="refused")
            message = "Wrong user or password."
        return flask.Response(LOGIN_FORM.format(message=message), mimetype="text/html")

    @server.route("/logout")  # type: ignore[untyped-decorator]
    def logout() -> Any:
        flask.session.clear()
        return flask.redirect("/login")
