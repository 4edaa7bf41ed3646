"""Shared fixtures.

Fixture strategy: every test gets its own workspace under pytest's tmp_path (isolated per
run); the sample case is generated once per session at the ``tiny`` scale for speed, and the
committed ``sample_data/`` case is ingested once per session for end-to-end checks.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.graph import embedded
from fininvest.graph.store import FalkorStore, GraphStore
from fininvest.sample import generate_case
from fininvest.workspace import Workspace, init_workspace

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
SAMPLE_DATA = ROOT / "sample_data"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "case", name="test case")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def tiny_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    """A tiny generated case: (raw dir, truth dir, summary)."""
    base = tmp_path_factory.mktemp("tiny")
    summary = generate_case(base / "raw", base / "truth", scale="tiny", seed=11)
    return base / "raw", base / "truth", summary


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The committed small sample case, ingested once."""
    from fininvest.ingest import ingest_files

    ws = init_workspace(tmp_path_factory.mktemp("sample") / "case", name="sample")
    for f in sorted((SAMPLE_DATA / "raw").iterdir()):
        shutil.copy(f, ws.path("raw", f.name))
    ingest_files(ws, sorted(ws.path("raw").iterdir()))
    return ws


@pytest.fixture(scope="session")
def medium_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The generator's medium case (seed 7, about 1M transactions), generated and ingested once
    for the detection-quality goals of screening and of chain reconstruction."""
    from fininvest.ingest import ingest_files

    ws = init_workspace(tmp_path_factory.mktemp("medium") / "case", name="medium")
    generate_case(ws.path("raw"), ws.path("truth"), scale="medium", seed=7)
    ingest_files(ws, sorted(p for p in ws.path("raw").iterdir() if p.is_file()))
    return ws


# The graph tests run one body on every backend: the embedded FalkorDB always, and a real
# Neo4j 5 when FININVEST_TEST_NEO4J_URI is set (its database is wiped after each test, so give
# a throw-away one). Otherwise the Neo4j runs are reported as skipped.
NEO4J_URI = os.environ.get("FININVEST_TEST_NEO4J_URI")
BACKENDS = [
    "embedded",
    pytest.param(
        "neo4j",
        marks=pytest.mark.skipif(
            not NEO4J_URI,
            reason="no Neo4j: set FININVEST_TEST_NEO4J_URI (+ _USER, _PASSWORD, _DATABASE) "
            "to run the graph tests on a real Neo4j 5 too",
        ),
    ),
]


def new_store(backend: str, ws: Workspace) -> GraphStore:
    """A fresh, empty graph on the given backend (one graph name per test)."""
    if backend == "neo4j":
        from fininvest.graph.neo4j_store import Neo4jStore

        store: GraphStore = Neo4jStore(
            str(NEO4J_URI),
            os.environ.get("FININVEST_TEST_NEO4J_USER", "neo4j"),
            os.environ.get("FININVEST_TEST_NEO4J_PASSWORD", ""),
            database=os.environ.get("FININVEST_TEST_NEO4J_DATABASE"),
        )
        store.delete()
        return store
    return FalkorStore(ws, graph=f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def sample_server(sample_ws: Workspace) -> Iterator[None]:
    embedded.start(sample_ws)
    yield
    embedded.stop(sample_ws)


@pytest.fixture(params=BACKENDS)
def sample_store(
    request: pytest.FixtureRequest, sample_ws: Workspace, sample_server: None
) -> Iterator[GraphStore]:
    """An empty graph for the sample case, on each backend."""
    store = new_store(request.param, sample_ws)
    yield store
    store.delete()
    store.close()


@pytest.fixture(scope="module")
def traced_graph(
    sample_ws: Workspace, sample_server: None
) -> Iterator[tuple[GraphStore, list[str]]]:
    """The sample case loaded once into the embedded store, with accounts that pay out."""
    import polars as pl

    from fininvest.graph.load import load_graph

    store = new_store("embedded", sample_ws)
    load_graph(sample_ws, store)
    payers = (
        sample_ws.scan("transactions")
        .filter(pl.col("to_account").is_not_null())
        .group_by("from_account")
        .len()
        .drop_nulls()
        .sort("len", "from_account", descending=[True, False])
        .head(400)
        .collect()["from_account"]
        .to_list()
    )
    yield store, payers
    store.delete()
    store.close()


@pytest.fixture(scope="session", autouse=True)
def graph_server_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The registry of running graph servers (``graph status --all``) in a temporary folder,
    not the user's own."""
    old = os.environ.get("FININVEST_STATE_DIR")
    os.environ["FININVEST_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    yield
    if old is None:
        os.environ.pop("FININVEST_STATE_DIR", None)
    else:
        os.environ["FININVEST_STATE_DIR"] = old


@pytest.fixture(scope="session")
def app_case(sample_ws: Workspace, sample_server: None) -> Iterator[tuple[Workspace, GraphStore]]:
    """The sample case as the web app sees it, built once: screened, loaded into its own graph
    (``app``) and its chains written to results/chains.json."""
    import json

    from fininvest.graph.chains import chains_of_trafficking
    from fininvest.graph.load import load_graph
    from fininvest.screening.run import screen

    screen(sample_ws)
    store = FalkorStore(sample_ws, graph="app")
    store.delete()
    load_graph(sample_ws, store)
    chains = chains_of_trafficking(store)
    sample_ws.path("results", "chains.json").write_text(json.dumps(chains, indent=2), "utf-8")
    yield sample_ws, store
    store.delete()
    store.close()


APP_JIT = "JIT-2026-APP-NL-BG"


@pytest.fixture(scope="session")
def app_agreement(app_case: tuple[Workspace, GraphStore]) -> tuple[str, str]:
    """A JIT agreement (NL with partner BG) in the app's case, for the share button: (id,
    partner)."""
    from datetime import date

    from fininvest.jit.agreement import create_agreement, list_agreements

    ws, _store = app_case
    if APP_JIT not in {a.id for a in list_agreements(ws)}:
        create_agreement(
            ws,
            jit_id=APP_JIT,
            partners={"BG": "GDNP Sofia"},
            start=date(2026, 1, 1),
            until=date(2030, 12, 31),
            purpose="the web app's share button",
            home="NL",
        )
    return APP_JIT, "BG"
