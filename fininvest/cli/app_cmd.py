"""``fininvest app`` (serve the investigator's web app) and ``fininvest app-user add``."""

from __future__ import annotations

import getpass
import signal
from pathlib import Path

import click
from rich.console import Console

from fininvest.cli.graph_options import graph_options
from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.workspace import open_workspace


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@click.command("app")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--page-size",
    default=40,
    show_default=True,
    type=click.IntRange(5, 500),
    help="Links shown per node in the explorer before a '+N more' stub.",
)
@graph_options
def app(
    case_dir: Path,
    host: str,
    port: int,
    page_size: int,
    uri: str | None,
    user: str | None,
    password: str | None,
) -> None:
    """Serve the investigator's web app of a case until Ctrl-C.

    \b
    Pages: Alerts, Graph explorer, Chains, Money flow, Timeline, Jurisdictions, Assets.
    Deep links: /entity/<id>, /chain/<id>, /alert/<id>, /asset/<id>.

    Starts the case's embedded graph store if it is not running (and stops it on exit).
    Serves on 127.0.0.1 unless app users exist (fininvest app-user add CASE_DIR NAME);
    then every page needs a login. Page views and exports go to the audit log.

    \b
    Example:
      fininvest app demo-case            # then open http://127.0.0.1:8050
    """
    from fininvest.app import AppSettings, create_app
    from fininvest.app.auth import check_bind
    from fininvest.app.server import server_for, url_of
    from fininvest.graph import embedded
    from fininvest.graph.store import open_store

    ws = open_workspace(case_dir)
    check_bind(ws, host)
    embedded_graph = not (uri or ws.config.get("graph", {}).get("uri"))
    started = embedded_graph and embedded.running(ws) is None
    if started:
        with stderr.status("starting the embedded graph store"):
            embedded.start(ws)
    try:
        store = open_store(ws, uri=uri, user=user, password=password)
        dash_app = create_app(ws, store, AppSettings(page_size=page_size))
        server = server_for(dash_app, host, port)
        ws.audit("app", {"host": host, "port": server.server_port})
        click.echo(f"fininvest app for '{ws.name}' on {url_of(server)}  (Ctrl-C stops it)")
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop: clean up too
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            store.close()
    finally:
        if started:
            embedded.stop(ws)
            click.echo("stopped the embedded graph store this command started", err=True)


@click.group("app-user")
def app_user() -> None:
    """Users of the web app (needed to serve it beyond this machine)."""


@app_user.command("add")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("name")
@click.option(
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    help="Limit the user to these countries (ISO 3166 alpha-2; repeat the option): every page "
    "then shows only what a JIT share to them would hold, others' ids as withheld-… tokens. "
    "Default: the whole case.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
@FORMAT_OPTION
def app_user_add(
    case_dir: Path, name: str, jurisdictions: tuple[str, ...], password_stdin: bool, fmt: str
) -> None:
    """Add (or replace) a user of the web app.

    The password (12 characters or more) is asked twice, or read from stdin with
    --password-stdin; only its salted scrypt hash is kept, in CASE_DIR/secrets/app-users.json.

    \b
    Example:
      fininvest app-user add demo-case anna
      fininvest app-user add demo-case bg-liaison --jurisdiction BG
    """
    from fininvest.app.auth import add_user

    ws = open_workspace(case_dir)
    if password_stdin:
        import sys

        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != secret:
            raise click.UsageError("the two passwords differ")
    entry = add_user(ws, name, secret, list(jurisdictions))
    ws.audit("app-user add", {"name": name, "jurisdictions": entry["jurisdictions"]})
    emit(fmt, entry, lambda c: _render_user(entry, c))


def _render_user(entry: dict[str, object], c: Console) -> None:
    scope = entry["jurisdictions"] or "all"
    c.print(f"app user {entry['name']} saved (jurisdictions: {scope})", highlight=False)
