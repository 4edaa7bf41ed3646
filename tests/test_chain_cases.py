"""Chains from what is there (issue 32, item 5): one hand-built ring per failure class,
ingested through the normal path and loaded into the graph; one test body on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fininvest.graph import embedded
from fininvest.graph.chains import chains_of_trafficking
from fininvest.graph.load import load_graph
from fininvest.graph.quality import evaluate_chains
from fininvest.graph.store import GraphStore
from fininvest.workspace import Workspace, init_workspace

from .chain_cases import EXPECTED, build_chain_case
from .conftest import BACKENDS, new_store


@pytest.fixture(scope="module")
def chain_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = init_workspace(Path(tmp_path_factory.mktemp("chains")) / "case", name="chains")
    build_chain_case(ws)
    embedded.start(ws)
    yield ws
    embedded.stop(ws)


@pytest.fixture(scope="module")
def found(chain_ws: Workspace) -> Iterator[list[dict[str, Any]]]:
    """The chains of the hand-built case on the embedded store, every country count."""
    store = new_store("embedded", chain_ws)
    load_graph(chain_ws, store)
    yield chains_of_trafficking(store, min_jurisdictions=1)
    store.delete()
    store.close()


def _of(found: list[dict[str, Any]], ring: str) -> list[dict[str, Any]]:
    """The chains found whose members include a member of the expected chains of ``ring``."""
    want = {p for c in EXPECTED[ring] for p in c["members"].values()}
    return [c for c in found if want & set(c["members"].values())]


def _check(found: list[dict[str, Any]], ring: str) -> list[dict[str, Any]]:
    got = _of(found, ring)
    q = evaluate_chains(got, [{"chain_id": str(i), **c} for i, c in enumerate(EXPECTED[ring])])
    assert q["recall"] == 1.0 and q["precision"] == 1.0, (q["per_chain"], got)
    for chain, want in zip(
        sorted(got, key=lambda c: sorted(c["members"].items())),
        sorted(EXPECTED[ring], key=lambda c: sorted(c["members"].items())),
        strict=True,
    ):
        assert chain["members"] == want["members"]
        assert chain["jurisdictions"] == want["jurisdictions"]
        for link in chain["links"]:
            assert link["records"] and link["explanation"], link
    return got


def test_chain_without_a_transporter(found: list[dict[str, Any]]) -> None:
    (chain,) = _check(found, "no_transporter")
    assert [m["role"] for m in chain["missing"]] == ["transporter"]
    assert any("Missing transporter" in s for s in chain["explanation"])


def test_place_of_the_act_not_the_country_holding_the_record(found: list[dict[str, Any]]) -> None:
    """Every record of ring A is held by DE; the recruitment took place in Iasi (RO): the chain
    spans two countries and survives --min-jurisdictions 2, with DE kept as the holder."""
    (chain,) = _of(found, "no_transporter")
    assert chain["recruited_in"] == "RO" and chain["held_by"] == ["DE"]
    assert chain["roles"]["recruiter"]["place_basis"] == "the place of the act in its records"
    assert all(link["held_by"] == ["DE"] for link in chain["links"] if link["basis"] != "kyc")
    recruited = [r for r in chain["recruiter_records"] if r["kind"] == "intelligence"]
    assert recruited and all(r["held_by"] == "DE" and r["place"] == "RO" for r in recruited)


def test_min_jurisdictions_counts_places_of_acts(chain_ws: Workspace) -> None:
    store = new_store("embedded", chain_ws)
    try:
        load_graph(chain_ws, store)
        two = chains_of_trafficking(store, min_jurisdictions=2)
        three = chains_of_trafficking(store, min_jurisdictions=3)
    finally:
        store.delete()
        store.close()
    want2 = sum(len(v) for v in EXPECTED.values())
    assert len(two) == want2  # every expected chain spans at least two places of acts
    assert {c["members"].get("controller") for c in three} == {"P-D-CTL", "P-E-CTL"}


def test_partial_intelligence_recruitment_and_control(found: list[dict[str, Any]]) -> None:
    (chain,) = _check(found, "recruitment_and_control")
    assert {m["role"] for m in chain["missing"]} == {"transporter", "exploiter"}
    assert chain["links"][0]["place_basis"] == "the place of the act in its records"  # Vienna


def test_partial_intelligence_exploitation_and_control(found: list[dict[str, Any]]) -> None:
    (chain,) = _check(found, "exploitation_and_control")
    assert chain["recruited_in"] is None
    assert chain["roles"]["exploiter"]["place"] == "ES"  # Madrid, though no link ends there


def test_controller_only_in_the_money(found: list[dict[str, Any]]) -> None:
    """The victims pay the exploiter, he pays the proceeds to the controller's account in CY:
    that money closes the chain, and the chain says the controller is known from money only."""
    (chain,) = _check(found, "controller_in_the_money")
    ctl = chain["roles"]["controller"]
    assert ctl["money_only"] and ctl["basis"] == "financial"
    last = chain["links"][-1]
    assert last["records"] and {r["kind"] for r in last["records"]} == {"transaction"}
    assert any("From the money only: controller" in s for s in chain["explanation"])


def test_controller_only_in_the_victims_cash(found: list[dict[str, Any]]) -> None:
    """The victims pay their earnings in cash into the controller's account: a sweep too."""
    (chain,) = _check(found, "controller_paid_in_cash")
    assert chain["roles"]["controller"]["money_only"]


def test_two_recruiters_feeding_one_controller(found: list[dict[str, Any]]) -> None:
    """One chain per recruiter, each with his own victims, linked to the other."""
    a, b = _check(found, "two_recruiters")
    assert a["linked"] == [b["id"]] and b["linked"] == [a["id"]]
    assert set(a["victims"]).isdisjoint(b["victims"])
    assert sorted(a["victims"] + b["victims"]) == ["P-E-V1", "P-E-V2", "P-E-V3"]


def test_roles_from_what_the_act_is(found: list[dict[str, Any]]) -> None:
    """The controller pays the exploiter in a third country (AT) and a possible victim pays
    cash into the controller's account: the exploiter is not made the transporter, the victim
    is not made the exploiter."""
    (chain,) = _check(found, "roles_from_the_act")
    assert "transporter" not in chain["members"]
    victims = {p for c in found for p in c["victims"]} | {"P-F-V3"}
    assert not victims & {p for c in found for p in c["members"].values()}


def test_no_chain_for_a_parent_who_opened_a_childs_account(found: list[dict[str, Any]]) -> None:
    assert not [c for c in found if "P-G-PAR" in c["members"].values()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_failure_class_on_every_backend(chain_ws: Workspace, backend: str) -> None:
    store: GraphStore = new_store(backend, chain_ws)
    try:
        load_graph(chain_ws, store)
        got = chains_of_trafficking(store)
    finally:
        store.delete()
        store.close()
    truth = [
        {"chain_id": f"{ring}-{i}", **c}
        for ring, chains in EXPECTED.items()
        for i, c in enumerate(chains)
    ]
    q = evaluate_chains(got, truth)
    assert q["recall"] == 1.0 and q["precision"] == 1.0, q["per_chain"]


def test_a_partner_holding_records_of_a_chain_is_in_its_jit_scope(
    found: list[dict[str, Any]],
) -> None:
    """Ring A acted in RO and DE, its records are held by DE only; a chain acted in MD and AT
    whose records AT holds: the holder is in scope, a country neither acting nor holding is not."""
    from fininvest.jit.scope import chain_crosses

    (a,) = _of(found, "no_transporter")
    assert chain_crosses(a, "RO") and chain_crosses(a, "DE") and not chain_crosses(a, "AT")
    held_only = {**a, "jurisdictions": ["RO"], "recruited_in": "RO", "links": []}
    assert chain_crosses(held_only, "DE")  # DE holds its records, though no act took place there
