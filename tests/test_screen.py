"""Screening end to end: explained alerts, victim safeguard, not-evaluated reporting, scoring."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.indicators.catalogue import load_catalogue
from fininvest.ingest import ingest_files
from fininvest.screening.engine import (
    EVIDENCE_LIMIT,
    RULES,
    EventRefs,
    Hit,
    _inflow_refs,
    resolve_evidence,
)
from fininvest.screening.run import PHASES, screen
from fininvest.screening.scoring import _string_lists, score_hits
from fininvest.screening.view_codes import dense_codes_from_views
from fininvest.workspace import Workspace

from .conftest import SAMPLE_DATA, invoke


def test_sample_alerts_are_explained_with_real_evidence(sample_ws: Workspace) -> None:
    res = screen(sample_ws)
    assert res.alerts.height > 0
    ids = set(sample_ws.scan("transactions").select("txn_id").collect()["txn_id"]) | set(
        sample_ws.scan("card_transactions").select("txn_id").collect()["txn_id"]
    )
    refs = {
        "account": set(sample_ws.scan("accounts").collect()["account_id"]),
        "party": set(sample_ws.scan("parties").collect()["party_id"]),
        "intel": set(sample_ws.scan("intel_links").collect()["link_id"]),
    }
    ident = sample_ws.scan("identifiers").collect()
    for kind in ident["kind"].unique():
        refs[str(kind)] = set(ident.filter(pl.col("kind") == kind)["value"])
    for row in res.explanations.iter_rows(named=True):
        assert row["citation"] and row["detail"]
        assert row["evidence"], row
        assert len(row["evidence"]) == min(row["evidence_total"], EVIDENCE_LIMIT)
        for e in row["evidence"]:  # a transaction id, or a typed reference to a real record
            kind, _, value = e.partition(":")
            assert e in ids or value in refs.get(kind, set()), (row["indicator"], e)
    assert set(res.explanations["entity_id"]) == set(res.alerts["entity_id"])
    assert (sample_ws.path("results", "alerts.parquet")).exists()


def test_victims_are_never_ranked_as_suspects(sample_ws: Workspace) -> None:
    res = screen(sample_ws)
    truth = pl.read_csv(SAMPLE_DATA / "truth" / "accounts.csv")
    victims = set(truth.filter(pl.col("holder_role") == "victim")["account_id"])
    suspects = set(res.alerts.filter(pl.col("classification") == "suspect")["entity_id"])
    assert victims and not victims & suspects


def test_missing_data_is_not_evaluated_not_zero(ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "bank.csv"
    csv.write_text(
        "txn_id,timestamp,from_account,to_account,amount,currency,channel\n"
        + "".join(f"T{i},2025-03-01T10:{i:02d}:00Z,A{i},B,100.00,EUR,p2p\n" for i in range(12))
    )
    ingest_files(ws, [csv])
    res = screen(ws)
    assert res.status["ad_micropayments"] == "not evaluated: no card_transactions in this case"
    # it reads who opened each account, nothing else (tests/test_indicator_declarations.py)
    assert res.status["third_party_control"] == "not evaluated: no accounts in this case"
    assert res.status["fan_in"].startswith("evaluated")
    assert res.alerts.filter(pl.col("indicators").list.contains("fan_in"))[
        "entity_id"
    ].to_list() == ["B"]


def test_combinations_of_families_outrank_many_hits_of_one() -> None:
    cat = load_catalogue()
    one_family = [
        Hit(0, i, 1, 1, "", [], "")
        for i in ("short_stay_lodging", "travel_multi_ticket", "local_transport_burst")
    ]
    two_families = [Hit(0, i, 1, 1, "", [], "") for i in ("structuring", "ad_micropayments")]
    assert score_hits(two_families, cat)[0] > score_hits(one_family, cat)[0]


def test_cli_formats(sample_ws: Workspace, runner: CliRunner) -> None:
    doc = json.loads(
        invoke(runner, "screen", sample_ws.root, "--top", "5", "--format", "json").stdout
    )
    assert len(doc["alerts"]) <= 5
    first = doc["alerts"][0]
    assert {
        "rank",
        "entity_id",
        "entity_kind",
        "score",
        "classification",
        "indicators",
        "families",
        "explanations",
    } <= set(first)
    assert first["explanations"][0]["evidence"]
    # where the time went: every phase, and every indicator that ran (none that did not)
    assert list(doc["seconds"]) == list(PHASES)
    assert all(t >= 0 for t in doc["seconds"].values())
    ran = {i for i, why in doc["indicator_status"].items() if why.startswith("evaluated")}
    # the rules, and the controllers of possible victims found after them
    assert ran <= set(doc["indicator_seconds"]) <= set(RULES) | {"victim_control"}
    times = list(doc["indicator_seconds"].values())
    assert times == sorted(times, reverse=True)  # slowest first
    table = invoke(runner, "screen", sample_ws.root, "--top", "5").stdout
    assert "Screened in" in table and "slowest indicators:" in table
    # kernels compiled, not loaded: none when this process has already run them
    assert doc["kernels_compiled"] >= 0
    assert screen(sample_ws).compiled == 0
    csv = invoke(runner, "screen", sample_ws.root, "--format", "csv").stdout
    table = pl.read_csv(io.StringIO(csv))
    assert {
        "rank",
        "entity_id",
        "entity_kind",
        "score",
        "classification",
        "indicators",
        "families",
    } <= set(table.columns)


def test_compiled_kernels_counts_cache_misses() -> None:
    """What the first screen after installing reports it compiled: the kernels' cache misses
    (white-box: one miss added to a real kernel's counter)."""
    from fininvest.screening import kernels
    from fininvest.screening.run import compiled_kernels

    before = compiled_kernels()
    misses = kernels.window_count_max._cache_misses
    misses["probe"] += 1
    try:
        assert compiled_kernels() == before + 1
    finally:
        del misses["probe"]


def test_average_precision_oracle() -> None:
    from fininvest.screening.evaluate import average_precision

    assert average_precision(["a", "x", "b"], {"a", "b"}) == (1 / 1 + 2 / 3) / 2
    assert average_precision(["x"], {"a"}) == 0.0
    assert average_precision(["a"], set()) != average_precision(["a"], set())  # NaN


def test_evaluate_reports_quality(sample_ws: Workspace, runner: CliRunner) -> None:
    screen(sample_ws)
    truth = sample_ws.path("truth")
    truth.mkdir(exist_ok=True)
    for f in (SAMPLE_DATA / "truth").iterdir():
        (truth / f.name).write_bytes(f.read_bytes())
    doc = json.loads(invoke(runner, "evaluate", sample_ws.root, "--format", "json").stdout)
    assert doc["k"] == 2 * doc["true_suspect_accounts"] > 0
    assert doc["victims_ranked_as_suspects"] == 0
    assert set(doc["recall_at_k_by_scenario"]) == {
        "sexual_exploitation",
        "forced_labour",
        "forced_criminality",
    }
    assert "business_traveller" in doc["lookalike_groups"]
    assert 0 <= doc["average_precision"] <= 1
    assert (sample_ws.path("results", "evaluation.json")).exists()
    # the ceiling: key accounts that appear in no money table, counted here row by row
    used: set[str] = set()
    for table, cols in (
        ("transactions", ("from_account", "to_account")),
        ("card_transactions", ("payer_account",)),
    ):
        for row in sample_ws.scan(table).select(cols).collect().iter_rows():
            used.update(v for v in row if v is not None)
    truth_accounts = pl.read_csv(truth / "accounts.csv", infer_schema_length=None)
    persons = pl.read_csv(truth / "persons.csv", infer_schema_length=None)
    role = dict(persons.select("party_id", "role").iter_rows())
    holder = dict(
        sample_ws.scan("accounts").select("account_id", "holder_id").collect().iter_rows()
    )
    key = {
        acc
        for acc, held_as, typologies in truth_accounts.select(
            "account_id", "holder_role", "typologies"
        ).iter_rows()
        if held_as == "member"
        and (
            role.get(holder.get(acc)) in ("controller", "exploiter")
            or "funnel_account" in (typologies or "")
        )
    }
    assert key and doc["key_accounts_without_money"] == sorted(key - used)
    ceiling = doc["recall_ceiling_controller_exploiter_funnel"]
    assert ceiling == 1 - len(key - used) / len(key)
    assert doc["recall_at_k_controller_exploiter_funnel"] <= ceiling


def test_structures_found_from_transfers_alone(ws: Workspace, tmp_path: Path) -> None:
    """IBM AML-format data (transfers only): fan-in, fan-out, a cycle, scatter-gather and
    gather-scatter are found from the transfer graph alone."""
    head = (
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format\n"
    )
    rows = []

    def tx(day: int, hour: int, a: str, b: str, amount: float) -> None:
        rows.append(
            f"2022/09/{day:02d} {hour:02d}:00,1,{a},1,{b},{amount:.2f},Euro,"
            f"{amount:.2f},Euro,Wire\n"
        )

    for i in range(12):
        tx(1 + i % 8, 9, f"SEND{i:02d}", "FANIN", 200 + i)  # fan-in
        tx(1 + i % 8, 10, "FANOUT", f"PAYEE{i:02d}", 150 + i)  # fan-out
    tx(3, 9, "CYA", "CYB", 5000)  # cycle A → B → C → A
    tx(4, 9, "CYB", "CYC", 4900)
    tx(5, 9, "CYC", "CYA", 4800)
    for k in range(3):  # scatter-gather S → I → D
        tx(6, 9, "SCAT", f"MID{k}", 3000)
        tx(7, 9 + k, f"MID{k}", "GATH", 2900)
    for k in range(3):  # gather-scatter X → G → Y
        tx(10, 9, f"X{k}", "HUB", 1000)
        tx(11, 9 + k, "HUB", f"Y{k}", 950)
    path = tmp_path / "HI-Small_Trans.csv"
    path.write_text(head + "".join(rows))
    [s] = ingest_files(ws, [path])
    assert s.kind == "ibm_aml" and s.rejected == 0
    res = screen(ws)
    fired = {(e, i) for e, i in res.explanations.select("entity_id", "indicator").iter_rows()}
    for account, indicator in (
        ("1:FANIN", "fan_in"),
        ("1:FANOUT", "fan_out"),
        ("1:CYA", "short_cycle"),
        ("1:SCAT", "scatter_gather"),
        ("1:GATH", "scatter_gather"),
        ("1:HUB", "gather_scatter"),
    ):
        assert (account, indicator) in fired, (account, indicator)
    assert res.status["ad_micropayments"].startswith("not evaluated")


def test_rules_declare_the_shared_computations_they_read(
    sample_ws: Workspace,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """The engine frees each shared computation after the last rule that declares it; a rule
    reading one it did not declare would silently compute it again (or keep it alive). Every
    read during a screen of the sample case is checked against the declarations, and the
    screen's results must not change when the computations are freed early."""
    import fininvest.screening.engine as engine
    from fininvest.screening.events import Events

    with monkeypatch.context() as keep_all:  # the reference: nothing freed early
        keep_all.setattr(Events, "release", lambda self, *shared: None)
        screen(sample_ws)
    before = pl.read_parquet(sample_ws.path("results", "explanations.parquet"))

    import threading

    running = threading.local()  # rules run two at a time: the rule of each thread
    reads: set[tuple[str, str]] = set()
    for method, share in (
        ("transfer_graph", "transfer_graph"),
        ("local_counterparty", "counterparty_codes"),
        ("partners", "counterparty_codes"),
        ("passed_on", "pass_through"),
    ):
        original = getattr(Events, method)

        def spy(self, *a, _orig=original, _share=share):  # type: ignore[no-untyped-def]
            if getattr(running, "rule", None):
                reads.add((running.rule, _share))
            return _orig(self, *a)

        monkeypatch.setattr(Events, method, spy)
    for ind_id, fn in list(engine.RULES.items()):

        def wrapped(ctx, _fn=fn, _id=ind_id):  # type: ignore[no-untyped-def]
            running.rule = _id
            try:
                return _fn(ctx)
            finally:
                running.rule = None

        monkeypatch.setitem(engine.RULES, ind_id, wrapped)
    screen(sample_ws)
    assert reads, "the sample case exercises the shared computations"
    undeclared = {(r, s) for r, s in reads if s not in engine.SHARES[r]}
    assert not undeclared
    after = pl.read_parquet(sample_ws.path("results", "explanations.parquet"))
    assert before.equals(after)


def test_text_at_reads_only_the_wanted_rows_and_keeps_their_order(sample_ws: Workspace) -> None:
    """``Events.text_at`` streams the column and keeps the wanted source rows; its answer for
    unsorted, repeated event indices equals a gather from the whole column (both money tables:
    bank and card events). ``has_value`` agrees with the text."""
    import numpy as np

    from fininvest.screening.events import load_events

    ev = load_events(sample_ws)
    assert ev is not None
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(ev), 5000)  # unsorted, with repeats
    idx[:3] = [len(ev) - 1, 0, len(ev) - 1]
    for name in ("ref", "depositor_id"):
        whole = ev._text(name, None)
        got = ev.text_at(name, idx)
        assert got.to_list() == whole.gather(pl.Series(ev._row[idx])).to_list()
    assert ev.text_at("ref", np.zeros(0, np.int64)).len() == 0
    # has_value reads flags, not text: it must say what the text says, at the asked events
    where = rng.random(len(ev)) < 0.5
    text = ev.text_at("depositor_id", np.arange(len(ev)))
    assert text.null_count() and text.drop_nulls().len()  # both kinds occur in the sample
    want = where & text.is_not_null().to_numpy()
    assert (ev.has_value("depositor_id", where) == want).all()


def test_city_codes_from_views_and_from_hashes_agree(
    sample_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample case's cities (bank and card tables, many row groups) coded from the Parquet
    dictionaries' views give the events the hash fallback gives them, and the views do serve
    (the fallback is not what ran)."""
    from fininvest.screening import events

    served = []

    def counted(values: pl.Series) -> tuple[np.ndarray, list[str]] | None:
        got = dense_codes_from_views(values)
        served.append(got is not None)
        return got

    monkeypatch.setattr(events, "dense_codes_from_views", counted)
    by_views = events.load_events(sample_ws)
    monkeypatch.setattr(events, "dense_codes_from_views", lambda values: None)
    by_hashes = events.load_events(sample_ws)
    assert served == [True] and by_views is not None and by_hashes is not None
    assert by_views.cities == by_hashes.cities and len(by_views.cities) > 10
    np.testing.assert_array_equal(by_views.city, by_hashes.city)


def test_evidence_is_cut_to_its_first_items_and_counted(sample_ws: Workspace) -> None:
    """An explanation keeps the first EVIDENCE_LIMIT transaction ids of its evidence, in the
    order the indicator listed them, and says how many there were."""
    from fininvest.screening.events import load_events

    ev = load_events(sample_ws)
    assert ev is not None
    many = np.arange(EVIDENCE_LIMIT + 7)
    hits = [
        Hit(0, "fan_out", 12.0, 10.0, "30 days", EventRefs(many), "many"),
        Hit(0, "fan_in", 11.0, 10.0, "30 days", EventRefs(many[:3]), "few"),
        Hit(0, "structuring", 3.0, 2.0, "7 days", [f"T{i}" for i in range(EVIDENCE_LIMIT + 1)], ""),
    ]
    resolve_evidence(ev, hits)
    assert [h.evidence_total for h in hits] == [EVIDENCE_LIMIT + 7, 3, EVIDENCE_LIMIT + 1]
    assert hits[0].evidence == ev.refs(many[:EVIDENCE_LIMIT])
    assert hits[1].evidence == ev.refs(many[:3])
    assert hits[2].evidence == [f"T{i}" for i in range(EVIDENCE_LIMIT)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.booleans(), max_size=300), min_size=1, max_size=4),
    st.integers(1, 30),
)
def test_inflow_evidence_is_the_first_inflows_of_the_account(
    accounts: list[list[bool]], limit: int
) -> None:
    """``_inflow_refs`` looks in a growing stretch of the account's events: it must give what
    all of them give, the first ``limit`` inflows (outflow False) of that account only."""
    outflow = np.array([x for acc in accounts for x in acc], np.bool_)
    offsets = np.cumsum([0, *map(len, accounts)])
    ev = SimpleNamespace(offsets=offsets, outflow=outflow)
    for a, acc in enumerate(accounts):
        want = [int(offsets[a]) + i for i, out in enumerate(acc) if not out][:limit]
        assert _inflow_refs(ev, a, limit).idx.tolist() == want  # type: ignore[arg-type]


def test_is_in_flags_the_events_whose_text_is_one_of_the_values(sample_ws: Workspace) -> None:
    from fininvest.screening.events import load_events

    ev = load_events(sample_ws)
    assert ev is not None
    every = np.arange(len(ev))
    for name, values in (("channel", {"cash", "atm"}), ("channel", set()), ("to_country", {"RO"})):
        text = ev.text_at(name, every)
        expected = text.cast(pl.String).is_in(sorted(values)).fill_null(False).to_numpy()
        assert (ev.is_in(name, values) == expected).all(), (name, values)
        assert expected.any() or not values


def test_rules_on_two_threads_give_the_sequential_results(
    sample_ws: Workspace,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """Rules run two at a time (``RULE_THREADS``); the alerts and every explanation, in
    order, are those of one rule after the other."""
    import fininvest.screening.engine as engine

    assert engine.RULE_THREADS == 2
    screen(sample_ws)
    both = [pl.read_parquet(sample_ws.path("results", f"{n}.parquet")) for n in RESULTS]
    monkeypatch.setattr(engine, "RULE_THREADS", 1)
    screen(sample_ws)
    one = [pl.read_parquet(sample_ws.path("results", f"{n}.parquet")) for n in RESULTS]
    assert all(a.equals(b) for a, b in zip(both, one, strict=True))


RESULTS = ("alerts", "explanations")


def test_gate_runs_rules_together_and_an_alone_rule_by_itself() -> None:
    """Two ordinary rules do run at the same time (each waits at a barrier for the other,
    which only passes if both are inside); a rule marked alone never overlaps another."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from fininvest.screening.engine import _Gate

    gate = _Gate()
    inside: set[str] = set()
    seen: list[set[str]] = []  # who was inside, each time one came in
    entered: list[str] = []
    lock = threading.Lock()
    meet = threading.Barrier(2, timeout=10)

    def task(name: str, alone: bool, together: bool) -> None:
        with gate.entered(alone=alone):
            with lock:
                inside.add(name)
                seen.append(set(inside))
                entered.append(name)
            if together:
                meet.wait()  # raises BrokenBarrierError if the other never comes in
            time.sleep(0.005)  # inside a while: a gate letting others in would show it
            with lock:
                inside.discard(name)

    jobs = [("a", False, True), ("b", False, True), ("big", True, False), ("c", False, False)]
    jobs += [(f"x{i}", i % 3 == 0, False) for i in range(30)]
    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(task, *job) for job in jobs]:
            f.result()
    alone = {name for name, is_alone, _ in jobs if is_alone}
    assert not [s for s in seen if len(s) > 1 and s & alone]
    assert max(len(s) for s in seen) == 2
    # a rule waiting to run alone is not passed over by those after it (two workers: it
    # comes in at most a place or two after its turn)
    assert all(
        entered.index(name) <= k + 2 for k, (name, is_alone, _) in enumerate(jobs) if is_alone
    )


def test_shared_computations_are_made_once_when_asked_together(
    sample_ws: Workspace,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """Rules on two threads asking for the same shared computation at once: it is computed
    once and both get the same object."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import fininvest.screening.events as events

    ev = events.load_events(sample_ws)
    assert ev is not None
    calls = 0
    original = events.transfer_csr

    def slow_csr(*a):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        time.sleep(0.2)  # long enough for the other threads to ask meanwhile
        return original(*a)

    monkeypatch.setattr(events, "transfer_csr", slow_csr)
    start = threading.Barrier(4)

    def ask() -> object:
        start.wait()
        return ev.transfer_graph()

    with ThreadPoolExecutor(4) as pool:
        got = [f.result() for f in [pool.submit(ask) for _ in range(4)]]
    assert calls == 1 and all(g is got[0] for g in got)
    ev.release("transfer_graph")
    assert ev.transfer_graph() is not got[0] and calls == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=6), max_size=5), max_size=8))
def test_string_list_column_keeps_every_list_and_its_order(lists: list[list[str]]) -> None:
    """The explanations' evidence and the alerts' indicator lists are built from offsets:
    empty lists, empty strings and non-ASCII text come back as they went in."""
    col = _string_lists(lists, "evidence")
    assert col.dtype == pl.List(pl.String)
    assert col.to_list() == lists
