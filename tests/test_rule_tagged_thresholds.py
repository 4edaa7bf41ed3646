"""``crypto_illicit_services`` (hops to tagged services, against networkx) and
``id_threshold_avoidance`` (against a plain count); both are "not evaluated" unconfigured."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.screening.engine import DAY, Context, NotEvaluated
from fininvest.screening.events import Events
from fininvest.screening.rules.flows import id_threshold_avoidance
from fininvest.screening.rules.transfers import crypto_illicit_services

from .rule_cases import events, params

N = 8
ACCOUNTS = [f"A{i}" for i in range(N)]
COUNTRIES = ["DE", "FR", "IT"]


def _events(tx: list[tuple[int, int, float, int]]) -> Events:
    recs = []
    for i, (a, b, x, c) in enumerate(tx):
        if a == b:
            continue
        for acc, cp, out in ((a, b, True), (b, a, False)):
            recs.append((acc, i * DAY, out, x, cp, COUNTRIES[c], f"T{i}"))
    columns = ["account", "ts", "outflow", "amount", "counterparty", "country", "ref"]
    return events(recs, columns, ACCOUNTS)


transfer = st.tuples(
    st.integers(0, N - 1),
    st.integers(0, N - 1),
    st.sampled_from([100.0, 850.0, 950.0, 999.0, 1000.0]),
    st.integers(0, 2),
)


@settings(max_examples=150, deadline=None)
@given(
    tx=st.lists(transfer, max_size=25),
    tagged=st.sets(st.integers(0, N - 1), min_size=1, max_size=2),
    hops=st.integers(1, 3),
)
def test_crypto_illicit_services_matches_networkx(
    tx: list[tuple[int, int, float, int]], tagged: set[int], hops: int
) -> None:
    ev = _events(tx)
    tags = [f"A{t}" for t in tagged]
    hits = crypto_illicit_services(
        Context(ev, params("crypto_illicit_services", tagged_accounts=tags, max_hops=hops))
    )
    g = nx.Graph()
    g.add_nodes_from(range(N))
    g.add_edges_from((a, b) for a, b, _x, _c in tx if a != b)
    dist = nx.multi_source_dijkstra_path_length(g, set(tagged), cutoff=hops)
    want = {v: d for v, d in dist.items() if d > 0}
    assert {h.account: int(h.observed) for h in hits} == want


@settings(max_examples=150, deadline=None)
@given(tx=st.lists(transfer, max_size=30), min_count=st.integers(2, 3))
def test_id_threshold_avoidance_matches_count(
    tx: list[tuple[int, int, float, int]], min_count: int
) -> None:
    limits = {"DE": 1000.0, "FR": 1000.0}  # IT: none configured
    ctx = Context(_events(tx), params("id_threshold_avoidance", min_count=min_count))
    ctx.id_thresholds = limits
    hits = id_threshold_avoidance(ctx)
    counts: dict[int, int] = {}
    for a, b, x, c in tx:
        if a == b or COUNTRIES[c] not in limits or not 900.0 <= x < 1000.0:
            continue
        for acc in (a, b):  # the payer's and the payee's event are both near the threshold
            counts[acc] = counts.get(acc, 0) + 1
    assert {h.account: int(h.observed) for h in hits} == {
        a: n for a, n in counts.items() if n >= min_count
    }


def test_unconfigured_means_not_evaluated() -> None:
    ev = _events([(0, 1, 950.0, 0)])
    with pytest.raises(NotEvaluated, match="tagged_accounts"):
        crypto_illicit_services(Context(ev, params("crypto_illicit_services")))
    with pytest.raises(NotEvaluated, match="id = <amount>"):
        id_threshold_avoidance(Context(ev, params("id_threshold_avoidance")))
