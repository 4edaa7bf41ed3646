"""Two graph loads at once (the red-team trial duplicated PAID and HOLDS permanently), the
graph server dying after the last write, and a stale pid file naming another process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from fininvest.errors import GraphStopped, WorkspaceBusy
from fininvest.graph import embedded
from fininvest.graph.load import (
    Sender,
    ensure_schema,
    load_graph,
    load_parties_and_accounts,
    paid_rows,
)
from fininvest.graph.store import FalkorStore
from fininvest.lock import workspace_lock
from fininvest.resources import resource_dir
from fininvest.workspace import Workspace, init_workspace
from tests.conftest import invoke, new_store


def twice_at_once(ws: Workspace, graph: str, work: Callable[[FalkorStore], object]) -> None:
    """Run ``work`` in two threads, each with its own connection to ``graph``, released at
    the same moment; the first error of either is raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        store = FalkorStore(ws, graph=graph)
        start.wait()
        try:
            work(store)
        except BaseException as exc:  # raised below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_two_loads_at_once_never_duplicate_relationships(
    sample_ws: Workspace, sample_server: None
) -> None:
    ref = new_store("embedded", sample_ws)
    try:
        load_graph(sample_ws, ref)
        want = ref.counts()
    finally:
        ref.delete()
    graph = "test_concurrent_loads"
    try:
        twice_at_once(sample_ws, graph, lambda store: load_graph(sample_ws, store, lock=False))
        got = FalkorStore(sample_ws, graph=graph).counts()
        assert got == want  # PAID, HOLDS, USES, … exactly once each
    finally:
        FalkorStore(sample_ws, graph=graph).delete()


def test_concurrent_merges_of_the_same_flows_keep_one_relationship(
    sample_ws: Workspace, sample_server: None
) -> None:
    """FalkorDB runs the match part of two MERGEs at once, so two writers of the same money
    flows created each PAID twice (measured here without the unique keys: 2x). With the
    unique ``key`` of every relationship type, each flow is there once."""
    store = new_store("embedded", sample_ws)
    try:
        ensure_schema(store)
        send = Sender(store, lambda _m: None)
        load_parties_and_accounts(sample_ws, send)
        flows = paid_rows(sample_ws)

        def write_flows(other: FalkorStore) -> None:
            for _ in range(2):  # the whole table in one batch: the two queries overlap
                other.write("load/paid", flows, batch=flows.height)

        twice_at_once(sample_ws, store.name, write_flows)
        assert store.counts()["relationships"]["PAID"] == flows.height
    finally:
        store.delete()


def test_a_later_load_repairs_a_graph_duplicated_before_the_keys(
    sample_ws: Workspace, sample_server: None
) -> None:
    """The red-team's damaged graph: PAID and HOLDS written twice by two loads at once (here:
    twice in a row, before any key existed). The next load leaves one of each."""
    ref = new_store("embedded", sample_ws)
    try:
        load_graph(sample_ws, ref)
        want = ref.counts()
    finally:
        ref.delete()
    store = new_store("embedded", sample_ws)
    try:
        for index in sorted((resource_dir("cypher") / "schema" / "falkordb").glob("*.cypher")):
            if not index.stem.endswith("_key"):  # the node indexes only: the graph before keys
                store.run(f"schema/falkordb/{index.stem}")
        send = Sender(store, lambda _m: None)
        load_parties_and_accounts(sample_ws, send)
        flows = paid_rows(sample_ws)
        for _ in range(2):
            store.write("load/paid_first", flows)
        damaged = store.counts()["relationships"]
        assert damaged["PAID"] == 2 * want["relationships"]["PAID"]
        sent = load_graph(sample_ws, store)
        assert store.counts() == want
        assert sent["duplicates_removed"] >= want["relationships"]["PAID"]
    finally:
        store.delete()


def test_graph_load_refused_while_another_holds_the_lock(
    sample_ws: Workspace, sample_server: None, runner
) -> None:  # type: ignore[no-untyped-def]
    with workspace_lock(sample_ws, "graph load"):
        with pytest.raises(WorkspaceBusy, match=f"pid {os.getpid()}"):
            load_graph(sample_ws, new_store("embedded", sample_ws))
        res = invoke(runner, "graph", "load", sample_ws.root)
    assert res.exit_code == 4
    assert "another fininvest process is loading this case" in res.output


def test_server_gone_after_the_last_write_is_exit_5(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """redis-py's ConnectionError (not a subclass of the built-in one) → GraphStopped."""
    ws = init_workspace(tmp_path / "case")
    store = FalkorStore(ws, graph="test_stopped")
    info = embedded.running(ws)
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    embedded._reap(info.pid)
    with pytest.raises(GraphStopped, match="the graph store stopped") as err:
        store.counts()
    assert err.value.exit_code == 5


def test_graph_stop_never_signals_a_stranger(tmp_path, runner) -> None:  # type: ignore[no-untyped-def]
    invoke(runner, "init", tmp_path / "case")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid_file = tmp_path / "case" / "graph" / embedded.PID_NAME
        sock = tmp_path / "case" / "graph" / embedded.SOCKET_NAME
        pid_file.write_text(f'{{"pid": {stranger.pid}, "socket": "{sock}"}}')
        res = invoke(runner, "graph", "stop", tmp_path / "case")
        time.sleep(0.2)
        assert stranger.poll() is None, "graph stop signalled an unrelated process"
        assert res.exit_code == 0
        assert not pid_file.exists()  # the stale pid file is removed
        res = invoke(runner, "graph", "status", tmp_path / "case", "--format", "json")
        assert '"running": false' in res.output
    finally:
        stranger.kill()
        stranger.wait()
