"""Graph servers: every running one listed by ``graph status --all``; an idle one stops by
itself after ``[graph] idle_stop_minutes``."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from fininvest.graph import embedded
from fininvest.workspace import Workspace, init_workspace, open_workspace

from .conftest import invoke


def _case(root: Path, idle_minutes: float) -> Workspace:
    ws = init_workspace(root)
    toml = ws.path("fininvest.toml")
    toml.write_text(
        toml.read_text().replace("idle_stop_minutes = 60", f"idle_stop_minutes = {idle_minutes}")
    )
    return open_workspace(root)


def test_status_all_lists_running_servers_and_an_idle_one_stops(
    tmp_path: Path, runner: CliRunner
) -> None:
    busy = _case(tmp_path / "busy", 0)  # never stops by itself
    idle = _case(tmp_path / "idle", 0.05)  # 3 s
    try:
        embedded.start(busy)
        info = embedded.start(idle)
        doc = json.loads(invoke(runner, "graph", "status", "--all", "--format", "json").stdout)
        listed = {s["workspace"]: s for s in doc["servers"]}
        assert str(busy.root.resolve()) in listed and str(idle.root.resolve()) in listed
        assert listed[str(idle.root.resolve())]["pid"] == info.pid
        table = invoke(runner, "graph", "status", "--all").stdout
        assert "never" in table and "after 0.05 min idle" in table
        deadline = time.monotonic() + 30
        while embedded.running(idle) is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert embedded.running(idle) is None  # stopped by its watchdog
        assert embedded.running(busy) is not None
        doc = json.loads(invoke(runner, "graph", "status", "--all", "--format", "json").stdout)
        now = {s["workspace"] for s in doc["servers"]}  # other tests' servers may run too
        assert str(busy.root.resolve()) in now and str(idle.root.resolve()) not in now
    finally:
        embedded.stop(busy)
        embedded.stop(idle)
