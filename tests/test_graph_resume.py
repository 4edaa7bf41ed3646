"""A load cut off by kill -9 (of the loader, or of the database) finishes on a rerun with
exactly the counts of an uninterrupted load. Real processes, real signals, real FalkorDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from fininvest.graph import embedded
from fininvest.graph.load import load_graph
from fininvest.graph.store import FalkorStore
from fininvest.workspace import Workspace


def _uninterrupted(ws: Workspace) -> dict[str, dict[str, int]]:
    ref = FalkorStore(ws, graph="test_resume_reference")
    try:
        load_graph(ws, ref)
        return ref.counts()
    finally:
        ref.delete()


def _load_and_kill(ws: Workspace, kill: Callable[[subprocess.Popen[str]], None]) -> int:
    """Start `fininvest graph load`, wait until it is writing money flows, then kill."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fininvest", "graph", "load", str(ws.root)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        # small batches make the money-flow step last seconds, so the kill lands inside it
        env={**os.environ, "FININVEST_GRAPH_BATCH": "300"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "· paid" in line:  # paid_first (a new graph) or paid
            time.sleep(0.5)
            kill(proc)
            break
    return proc.wait(timeout=120)


def _rerun(ws: Workspace) -> dict[str, dict[str, int]]:
    done = subprocess.run(
        [sys.executable, "-m", "fininvest", "graph", "load", str(ws.root)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    store = FalkorStore(ws, graph="case")
    try:
        return store.counts()
    finally:
        store.delete()


def test_loader_killed_mid_load_then_rerun(sample_ws: Workspace, sample_server: None) -> None:
    want = _uninterrupted(sample_ws)
    code = _load_and_kill(sample_ws, lambda p: p.send_signal(signal.SIGKILL))
    assert code == -signal.SIGKILL
    partial = FalkorStore(sample_ws, graph="case").counts()
    assert 0 < partial["relationships"].get("PAID", 0) < want["relationships"]["PAID"]
    assert _rerun(sample_ws) == want


def test_database_killed_mid_load_then_rerun(sample_ws: Workspace, sample_server: None) -> None:
    want = _uninterrupted(sample_ws)
    server = embedded.running(sample_ws)
    assert server is not None
    code = _load_and_kill(sample_ws, lambda _p: os.kill(server.pid, signal.SIGKILL))
    assert code == 5  # the documented exit status for an unreachable graph store
    embedded._reap(server.pid)
    assert embedded.running(sample_ws) is None  # the stale pid file is detected
    embedded.start(sample_ws)
    assert _rerun(sample_ws) == want
