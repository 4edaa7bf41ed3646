"""The embedded FalkorDB store, for real: lifecycle, isolation, and parameters that cannot
alter a query. One graph name per test run; the server is stopped at the end."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.graph import embedded
from fininvest.graph.store import GraphStore
from fininvest.workspace import Workspace, init_workspace

from .conftest import BACKENDS, invoke, new_store


@pytest.fixture(scope="module")
def gws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = init_workspace(tmp_path_factory.mktemp("g") / "case")
    embedded.start(ws)
    yield ws
    embedded.stop(ws)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, gws: Workspace) -> Iterator[GraphStore]:
    s = new_store(request.param, gws)
    yield s
    s.delete()
    s.close()


def test_server_is_private(gws: Workspace) -> None:
    info = embedded.running(gws)
    assert info is not None
    assert oct(os.stat(info.socket).st_mode)[-3:] == "700"
    assert oct(gws.path("secrets", "graph.password").stat().st_mode)[-3:] == "600"
    db = embedded.connect(gws, info)
    assert db.connection.config_get("port")["port"] == "0"  # no TCP listener at all
    import redis

    anonymous = redis.Redis(unix_socket_path=info.socket)
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.ping()
    assert "password" not in " ".join(open(f"/proc/{info.pid}/cmdline").read().split("\0"))


def test_start_is_idempotent_and_stale_pid_files_are_cleared(gws: Workspace) -> None:
    first = embedded.running(gws)
    assert first is not None and embedded.start(gws).pid == first.pid
    other = init_workspace(gws.root.parent / "other")
    pid_file = other.path("graph", embedded.PID_NAME)
    pid_file.write_text(json.dumps({"pid": 2**22 - 3, "socket": "/nowhere"}))
    assert embedded.running(other) is None and not pid_file.exists()


def test_strings_round_trip_and_cannot_alter_the_query(store: GraphStore) -> None:
    names = [
        "O'Brien",
        'say "hi"',
        "back\\slash",
        "x' MATCH (v) DETACH DELETE v //",
        "}) DETACH DELETE p //",
        "Ünïcødé – ✓",
        "a" * 5000,
    ]
    rows = [{"id": f"P{i}", "name": n} for i, n in enumerate(names)]
    assert store.run("upsert_persons", {"rows": rows})[0]["n"] == len(names)
    for i, n in enumerate(names):
        assert store.run("person_by_id", {"id": f"P{i}"}) == [{"id": f"P{i}", "name": n}]
    assert store.run("counts_by_label") == [{"label": "Person", "n": len(names)}]
    # an id that looks like Cypher is just an id that matches nothing
    assert store.run("person_by_id", {"id": "P0'}) RETURN 1 //"}) == []
    assert store.run("upsert_persons", {"rows": rows})[0]["n"] == len(names)  # MERGE: no dupes
    assert store.run("counts_by_label") == [{"label": "Person", "n": len(names)}]


def test_cli_status_and_stop(tmp_path, runner: CliRunner) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "c"
    invoke(runner, "init", case)
    assert json.loads(invoke(runner, "graph", "status", case, "--format", "json").stdout) == {
        "running": False
    }
    started = json.loads(invoke(runner, "graph", "start", case, "--format", "json").stdout)
    try:
        status = json.loads(invoke(runner, "graph", "status", case, "--format", "json").stdout)
        assert status["running"] and status["pid"] == started["pid"]
        assert status["uri"].startswith("unix://") and status["nodes"] == {}
    finally:
        stopped = json.loads(invoke(runner, "graph", "stop", case, "--format", "json").stdout)
    assert stopped == {"stopped": True}
    assert not embedded._alive(started["pid"])


@settings(max_examples=30, deadline=None)
@given(
    names=st.lists(
        st.text(
            st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40
        ),
        min_size=1,
        max_size=20,
    ),
    numbers=st.lists(st.integers(-(2**53), 2**53), min_size=20, max_size=20),
)
def test_bulk_parameters_round_trip(gws: Workspace, names: list[str], numbers: list[int]) -> None:
    """Batched writes encode parameters with Polars: every string comes back unchanged."""
    import polars as pl

    store = new_store("embedded", gws)
    try:
        df = pl.DataFrame(
            {"id": [f"P{i}" for i in range(len(names))], "name": names},
            schema={"id": pl.String, "name": pl.String},
        )
        assert store.write("upsert_persons", df, batch=7) == len(names)
        for i, n in enumerate(names):
            assert store.run("person_by_id", {"id": f"P{i}"}) == [{"id": f"P{i}", "name": n}]
        assert store.counts()["nodes"] == {"Person": len(names)}
    finally:
        store.delete()


def test_a_nul_character_is_refused_with_its_row(gws: Workspace) -> None:
    import polars as pl

    from fininvest.graph.store import BatchFailed

    store = new_store("embedded", gws)
    try:
        df = pl.DataFrame({"id": ["P1", "P2"], "name": ["fine", "bad\x00name"]})
        with pytest.raises(BatchFailed, match="NUL character"):
            store.write("upsert_persons", df)
    finally:
        store.delete()
