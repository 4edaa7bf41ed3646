"""Loading the committed sample case into the real embedded graph: complete and idempotent."""

from __future__ import annotations

import polars as pl
import pytest

from fininvest.graph import embedded
from fininvest.graph.load import load_graph, paid_rows
from fininvest.graph.model import load_model
from fininvest.graph.store import FalkorStore, GraphStore
from fininvest.workspace import Workspace


@pytest.fixture
def store(sample_store: GraphStore) -> GraphStore:
    return sample_store


def _counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    c = store.counts()
    return c["nodes"], c["relationships"]


def test_load_is_complete_and_idempotent(sample_ws: Workspace, store: GraphStore) -> None:
    load_graph(sample_ws, store)
    nodes, rels = _counts(store)
    accounts = sample_ws.scan("accounts").select(pl.len()).collect().item()
    assert nodes["Account"] >= accounts and rels["HOLDS"] <= accounts
    assert rels["PAID"] == paid_rows(sample_ws).height
    model = load_model()
    assert set(nodes) <= set(model.nodes) and set(rels) <= set(model.relationships)
    load_graph(sample_ws, store)  # a second load adds nothing
    assert _counts(store) == (nodes, rels)


def test_restart_keeps_the_graph(sample_ws: Workspace, store: GraphStore) -> None:
    load_graph(sample_ws, store)
    before = _counts(store)
    if store.dialect != "falkordb":
        pytest.skip("restarting is the embedded store's business")
    embedded.stop(sample_ws)
    embedded.start(sample_ws)
    again = FalkorStore(sample_ws, graph=store.name)
    assert _counts(again) == before


def test_paid_carries_evidence_and_provenance(sample_ws: Workspace, store: GraphStore) -> None:
    load_graph(sample_ws, store)
    row = paid_rows(sample_ws).sort("count", descending=True).row(0, named=True)
    tx = (
        sample_ws.scan("transactions")
        .filter(
            (pl.col("from_account") == row["src"])
            & (pl.col("to_account") == row["dst"])
            & (pl.col("ts").dt.strftime("%Y-%m") == row["month"])
        )
        .collect()
    )
    assert row["count"] == tx.height and abs(row["total"] - tx["amount_base"].sum()) < 1e-6
    assert set(row["evidence"]) <= set(tx["txn_id"]) and row["source_sha256"]
    flow = {"from": row["src"], "to": row["dst"], "month": row["month"]}
    [stored] = store.run("query/paid_evidence", {"flows": [flow]})
    assert stored["evidence"] == row["evidence"]  # what the graph holds is the evidence


def test_case_records_carry_grading_status_and_provenance(
    sample_ws: Workspace, store: GraphStore
) -> None:
    load_graph(sample_ws, store)
    acts = store.run("query/chain_acts")
    intel = sample_ws.scan("intel_links").collect()
    assert {a["link_id"] for a in acts} == set(
        intel.filter(
            pl.col("relation")
            .cast(pl.String)
            .is_in(["recruited", "transported", "exploited", "controlled"])
        )["link_id"]  # fmt: skip
    )
    graded = {r["link_id"]: r for r in intel.iter_rows(named=True)}
    for a in acts:
        src = graded[a["link_id"]]
        assert a["grading"] == f"{src['source_reliability']}{src['info_credibility']}"
        assert a["jurisdiction"] == src["jurisdiction"]
    nodes, rels = _counts(store)
    assert nodes["Asset"] == sample_ws.scan("assets").select(pl.len()).collect().item()
    assert nodes["STR"] == sample_ws.scan("str_reports").select(pl.len()).collect().item()
    assert nodes["Case"] == 1 and rels["OWNS"] == nodes["Asset"]


def test_every_node_and_relationship_has_provenance(
    sample_ws: Workspace, store: GraphStore
) -> None:
    load_graph(sample_ws, store)
    assert store.run("query/missing_provenance") == []


def test_a_refused_batch_names_the_load_the_batch_and_its_records(
    sample_ws: Workspace, store: GraphStore
) -> None:
    from fininvest.errors import GraphWriteFailed
    from fininvest.graph.load import Sender

    rows = pl.DataFrame(
        {"id": ["P-OK-1", "P-BAD-2"], "name": ["fine", "nul\x00inside"], "nationality": None,
         "residence": None, "source_sha256": "0" * 64, "record_ids": [["a#1"], ["a#2"]]},
        schema_overrides={"nationality": pl.String, "residence": pl.String},
    )  # fmt: skip
    with pytest.raises(GraphWriteFailed) as err:
        Sender(store, lambda _m: None)("persons", rows)
    assert "persons: batch 1" in str(err.value) and "P-OK-1 … P-BAD-2" in str(err.value)
