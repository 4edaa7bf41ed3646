"""The embedded graph servers of every case on this machine, and their idle stop.

Each server a fininvest command starts is recorded in a registry folder of the user
(``$FININVEST_STATE_DIR``, else ``$XDG_STATE_HOME/fininvest/servers``, else
``~/.local/state/fininvest/servers``) so that ``fininvest graph status --all`` can list them,
and a small watchdog process stops it after ``[graph] idle_stop_minutes`` (fininvest.toml,
default 60; 0: never) without a command.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fininvest.workspace import Workspace

DEFAULT_IDLE_MINUTES = 60.0


def registry() -> Path:
    """The folder holding one small JSON file per running server."""
    base = os.environ.get("FININVEST_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "fininvest"
    )
    return Path(base) / "servers"


def _entry(ws: Workspace) -> Path:
    return registry() / (hashlib.sha1(str(ws.root.resolve()).encode()).hexdigest()[:16] + ".json")


def idle_minutes(ws: Workspace) -> float:
    """``[graph] idle_stop_minutes`` of the case (0: never stop)."""
    return float(ws.config.get("graph", {}).get("idle_stop_minutes", DEFAULT_IDLE_MINUTES))


def started(ws: Workspace, pid: int, socket: str) -> None:
    """Record a server that was just started and start its idle watchdog. A registry that
    cannot be written (a read-only home) only leaves the server out of ``--all``."""
    minutes = idle_minutes(ws)
    entry = {"workspace": str(ws.root.resolve()), "pid": pid, "socket": socket,
             "started": datetime.now(UTC).isoformat(timespec="seconds"),
             "idle_stop_minutes": minutes}  # fmt: skip
    try:
        registry().mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(_entry(ws), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(entry, fh)
    except OSError:
        pass
    if minutes > 0:
        subprocess.Popen(
            [sys.executable, "-m", "fininvest.graph.servers", str(ws.root), str(pid)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


def stopped(ws: Workspace) -> None:
    """Forget a server that was stopped."""
    try:
        _entry(ws).unlink(missing_ok=True)
    except OSError:
        pass


def all_servers() -> list[dict[str, Any]]:
    """Every recorded server that still runs (entries of stopped ones are removed)."""
    from fininvest.graph import embedded
    from fininvest.workspace import open_workspace

    out: list[dict[str, Any]] = []
    if not registry().is_dir():
        return out
    for path in sorted(registry().glob("*.json")):
        try:
            entry = json.loads(path.read_text())
            info = embedded.running(open_workspace(Path(entry["workspace"])))
        except Exception:  # a deleted case, a torn entry: nothing runs there any more
            info = None
        if info is None or info.pid != entry.get("pid"):
            path.unlink(missing_ok=True)
            continue
        out.append(entry)
    return out


def watch(ws: Workspace, pid: int) -> None:
    """Stop the server ``pid`` of ``ws`` once it has served no command for its idle time.

    Polls the server's count of processed commands (``INFO stats``) on one connection; each
    poll adds one command of its own, so a rise of more than one means someone used it.
    """
    from fininvest.graph import embedded

    limit = idle_minutes(ws) * 60
    every = max(0.5, min(60.0, limit / 4))
    info = embedded.running(ws)
    if info is None or info.pid != pid:
        return
    conn = embedded.connect(ws, info).connection
    last_count, last_active = -1, time.monotonic()
    while True:
        time.sleep(every)
        now_info = embedded.running(ws)
        if now_info is None or now_info.pid != pid:
            return  # stopped (or replaced) by someone else
        try:
            count = int(conn.info("stats")["total_commands_processed"])
        except Exception:
            return
        if last_count < 0 or count > last_count + 1:
            last_active = time.monotonic()
        last_count = count
        if time.monotonic() - last_active >= limit:
            embedded.stop(ws)
            return


if __name__ == "__main__":  # the watchdog: python -m fininvest.graph.servers ROOT PID
    from fininvest.workspace import open_workspace

    watch(open_workspace(Path(sys.argv[1])), int(sys.argv[2]))
