"""Chain reconstruction on the generator's medium case meets the graph issue's quality goal:
recall ≥ 0.9 of planted chains with every link correct (measured: 12 of 12)."""

from __future__ import annotations

import json

from fininvest.graph import embedded
from fininvest.graph.chains import chains_of_trafficking
from fininvest.graph.load import load_graph
from fininvest.graph.quality import evaluate_chains
from fininvest.graph.store import FalkorStore
from fininvest.workspace import Workspace


def test_medium_case_chains_recovered_with_every_link(medium_ws: Workspace) -> None:
    ws = medium_ws
    embedded.start(ws)
    try:
        store = FalkorStore(ws, graph="case")
        load_graph(ws, store)
        found = chains_of_trafficking(store)
    finally:
        embedded.stop(ws)
    truth = json.loads(ws.path("truth", "chains.json").read_text())
    q = evaluate_chains(found, truth)
    assert q["planted"] >= 10
    assert q["recall"] >= 0.9, q["per_chain"]
    assert q["precision"] >= 0.9
