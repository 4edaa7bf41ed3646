"""``fininvest graph start|stop|status``: the embedded graph store of a workspace."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from fininvest.cli.graph_notice import ServerNotice
from fininvest.cli.graph_options import graph_options
from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.cli.tables import counts_text
from fininvest.graph import embedded
from fininvest.graph.store import open_store
from fininvest.workspace import open_workspace

CASE_DIR = click.argument("case_dir", type=click.Path(path_type=Path))


@click.group()
def graph() -> None:
    """The embedded graph store (FalkorDB on a password-protected unix socket in the case)."""


@graph.command()
@CASE_DIR
@FORMAT_OPTION
def start(case_dir: Path, fmt: str) -> None:
    """Start the case's graph server (no TCP port; owner-only socket; append-only file)."""
    ws = open_workspace(case_dir)
    was = embedded.running(ws)
    info = embedded.start(ws)
    ws.audit("graph start", {}, counts={"pid": info.pid})
    emit(
        fmt,
        {
            "running": True,
            "pid": info.pid,
            "socket": info.socket,
            "already_running": was is not None,
        },
        lambda c: c.print(
            f"graph server {'already ' if was else ''}running, pid {info.pid}, socket "
            f"{info.socket}; it keeps running until: fininvest graph stop {case_dir}",
            markup=False,
        ),
    )


@graph.command()
@CASE_DIR
@FORMAT_OPTION
def stop(case_dir: Path, fmt: str) -> None:
    """Stop the case's graph server (it writes a final snapshot first)."""
    ws = open_workspace(case_dir)
    stopped = embedded.stop(ws)
    ws.audit("graph stop", {}, counts={"stopped": stopped})
    emit(
        fmt,
        {"stopped": stopped},
        lambda c: c.print("graph server stopped" if stopped else "graph server was not running"),
    )


@graph.command()
@click.argument("case_dir", type=click.Path(path_type=Path), required=False)
@click.option("--all", "every", is_flag=True, help="Every case's running graph server.")
@graph_options
@FORMAT_OPTION
def status(
    case_dir: Path | None,
    every: bool,
    uri: str | None,
    user: str | None,
    password: str | None,
    fmt: str,
) -> None:
    """Whether the server runs, where, and node and relationship counts.

    With --all: every embedded graph server fininvest started on this machine that still
    runs, with its case, pid, start time and idle stop ([graph] idle_stop_minutes).

    \b
    Example:
      fininvest graph status CASE_DIR
      fininvest graph status --all
    """
    if every:
        from fininvest.graph.servers import all_servers

        servers = all_servers()
        emit(fmt, {"servers": servers}, lambda c: render_servers(servers, c))
        return
    if case_dir is None:
        raise click.UsageError("give CASE_DIR, or --all for every case")
    ws = open_workspace(case_dir)
    if uri:
        data: dict[str, object] = {"running": True, "uri": uri}
        data.update(open_store(ws, uri=uri, user=user, password=password).counts())
        emit(
            fmt,
            data,
            lambda c: c.print(
                f"{uri}: nodes {counts_text(data['nodes'])}; relationships "  # type: ignore[arg-type]
                f"{counts_text(data['relationships'])}",  # type: ignore[arg-type]
                markup=False,
            ),
        )
        return
    info = embedded.running(ws)
    data = {"running": info is not None}
    if info is not None:
        store = open_store(ws)
        data.update(pid=info.pid, uri=f"unix://{info.socket}", **store.counts())

    def render(c: Console) -> None:
        if info is None:
            c.print(f"graph server not running (start it: fininvest graph start {case_dir})")
            return
        c.print(f"running, pid {info.pid}, {data['uri']}")
        c.print(f"nodes: {counts_text(data['nodes'])}", markup=False)  # type: ignore[arg-type]
        c.print(f"relationships: {counts_text(data['relationships'])}", markup=False)  # type: ignore[arg-type]
        c.print(f"It keeps running until: fininvest graph stop {case_dir}", markup=False)

    emit(fmt, data, render)


@graph.command()
@CASE_DIR
@graph_options
@FORMAT_OPTION
def load(case_dir: Path, uri: str | None, user: str | None, password: str | None, fmt: str) -> None:
    """Load the case into the graph: parties, accounts, holdings, identifiers, intelligence
    (graded), assets with their status, STRs, screening alerts, cash deposits and monthly
    money flows.

    Idempotent (every write is a MERGE) and resumable: run it again after an interruption
    (of the loader or of the database) and it finishes with the counts of an uninterrupted load.
    """
    from fininvest.cli.output import stages
    from fininvest.graph.load import load_graph

    ws = open_workspace(case_dir)
    notice = ServerNotice(ws, uri)
    store = open_store(ws, uri=uri, user=user, password=password)
    before = store.counts()
    with ws.audit_run("graph load", {}), stages(40) as say:
        sent = load_graph(ws, store, say)
    after = store.counts()
    data = {
        "rows_sent": sent,
        "nodes": after["nodes"],
        "relationships": after["relationships"],
        "nodes_added": sum(after["nodes"].values()) - sum(before["nodes"].values()),
        "relationships_added": sum(after["relationships"].values())
        - sum(before["relationships"].values()),
    }
    ws.audit(
        "graph load",
        {},
        counts={
            "nodes_added": data["nodes_added"],
            "relationships_added": data["relationships_added"],
        },
    )
    notice.say()
    emit(
        fmt,
        data,
        lambda c: c.print(
            f"graph loaded: {data['nodes_added']:,} nodes and {data['relationships_added']:,} "
            f"relationships added.\nNodes now: {counts_text(after['nodes'])}\n"
            f"Relationships now: {counts_text(after['relationships'])}",
            markup=False,
        ),
    )


def render_servers(servers: list[dict[str, object]], c: Console) -> None:
    """The running servers as a table (--all)."""
    if not servers:
        c.print("No fininvest graph server is running.")
        return
    from rich.table import Table

    t = Table("case", "pid", "started", "idle stop", title="running graph servers")
    for s in servers:
        idle = float(s["idle_stop_minutes"])  # type: ignore[arg-type]
        t.add_row(str(s["workspace"]), str(s["pid"]), str(s["started"]),
                  f"after {idle:g} min idle" if idle else "never")  # fmt: skip
    c.print(t)
    c.print("Stop one with: fininvest graph stop CASE_DIR", markup=False)
