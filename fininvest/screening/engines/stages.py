"""The two stages of a distributed screen, on any :class:`~fininvest.screening.engines.Engine`.

1. **Partitions.** Money rows are doubled into events (:func:`.plan.double_edges`; busy
   accounts into overlapping time buckets), shuffled by account and screened partition by
   partition with the per-account rules (:func:`.plan.screen_partition`). Bucket hits are
   merged: the best window over the buckets, the earliest on a tie.
2. **Driver.** The rules over the whole case (:data:`.plan.WHOLE_CASE`) run once on the
   transactions around the accounts stage 1 flagged (``scope="flagged"``: those accounts,
   the busy ones, the company accounts the peer rules compare, tagged services, then
   ``hops`` transfers out from them) or on every transaction (``scope="all"``: exactly the
   local screen's input, in the driver's memory). The busy accounts' per-account rules
   that do not run on buckets (:func:`.plan.bucketed_rules`) run here too, on their whole
   history. Each such rule's status says on what it ran.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import polars as pl

from fininvest.errors import WorkspaceError
from fininvest.indicators.catalogue import effective_parameters, load_catalogue
from fininvest.screening.engine import Context, Hit
from fininvest.screening.engines import Engine
from fininvest.screening.engines.plan import (
    EVENT_SCHEMA,
    PARTITION_KYC,
    PER_ACCOUNT,
    WHOLE_CASE,
    Plan,
    bucket_events,
    bucket_length,
    bucketed_rules,
    double_edges,
    events_of,
    layout,
    longest_window,
    run_rules,
    screen_partition,
)
from fininvest.screening.peers import rank_by_unusualness, unusualness
from fininvest.screening.roles import add_control, money_from_engine
from fininvest.screening.run import ScreenResult, config_thresholds, write_results
from fininvest.screening.scoring import build_alerts
from fininvest.screening.segments import Infrastructure, explain_set_aside, set_aside
from fininvest.workspace import Workspace

#: events above which an account is split into time buckets (its windowed rules); its
#: other per-account rules run in the driver on its whole history
MAX_GROUP_EVENTS = 200_000
#: events per partition when the number of partitions is not given (about 0.7 GB of a
#: worker's memory while the rules run on it: docs/scale-out.md)
EVENTS_PER_PARTITION = 1_000_000
#: the fewest partitions when their number is not given
MIN_PARTITIONS = 8
SCOPES = ("flagged", "all")


def screen_workspace(
    ws: Workspace, engine: Engine, *, write: bool = True, **options: Any
) -> ScreenResult:
    """Screen a workspace's money tables on ``engine``; write ``results/`` as the local
    screen does (unless ``write`` is False). ``options``: see :func:`screen_money`."""
    tables = {t for t in ws.tables() if ws.has_table(t)}
    if not tables & {"transactions", "card_transactions"}:
        raise WorkspaceError(
            f"{ws.root} has no transactions to screen",
            hint=f"Ingest bank, card or goAML files first: fininvest ingest {ws.root} FILES...",
        )
    kyc: dict[str, pl.DataFrame] = {
        t: ws.scan(t).collect()
        for t in ("accounts", "identifiers", "parties", "intel_links")
        if t in tables
    }
    if "card_transactions" in tables:  # the merchant-level rule reads the card records
        kyc["card_transactions"] = (
            ws.scan("card_transactions")
            .select("txn_id", "merchant_id", "merchant_name", "mcc", "ts", "ts_offset_min")
            .collect()
        )
    res = screen_money(
        engine.read_workspace(ws), engine, kyc=kyc, config=ws.config, tables=tables, **options
    )
    if write:
        start = time.perf_counter()
        write_results(ws, res.alerts, res.explanations)
        res.seconds["write"] = time.perf_counter() - start
    return res


def screen_frame(frame: Any, engine: Engine, **options: Any) -> ScreenResult:
    """Screen an engine frame of the ``transactions`` layout (see
    :func:`fininvest.screening.engines.screen_transactions`)."""
    kyc = options.pop("kyc", None) or {}
    tables = {"transactions", *kyc}
    return screen_money(engine.from_transactions(frame), engine, kyc=kyc, tables=tables, **options)


def screen_money(
    money: Any,
    engine: Engine,
    *,
    kyc: dict[str, pl.DataFrame],
    tables: set[str],
    config: dict[str, Any] | None = None,
    partitions: int | None = None,
    max_group_events: int = MAX_GROUP_EVENTS,
    scope: str = "flagged",
    hops: int = 2,
) -> ScreenResult:
    """Screen money rows (an engine frame) in the two stages of this module.

    Parameters
    ----------
    partitions : partitions of the shuffle by account; None: :func:`auto_partitions`.
    max_group_events : accounts with more events are split into time buckets.
    scope : "flagged" (stage 2 on the subgraph around stage 1's accounts) or "all".
    hops : how many transfers out from the flagged accounts the subgraph reaches.

    Returns
    -------
    A :class:`~fininvest.screening.run.ScreenResult` whose ``status`` tells, for the rules
    over the whole case, on what they ran; ``seconds`` has ``partitions`` and ``driver``;
    ``engine`` how it ran (busy accounts split into buckets, how many accounts the driver
    stage read).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: one of {', '.join(SCOPES)}")
    if (partitions is not None and partitions < 1) or max_group_events < 1:
        raise ValueError("partitions and max_group_events must be at least 1")
    config = config or {}
    catalogue = load_catalogue()
    params = effective_parameters(catalogue, config.get("indicators", {}))
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    window = longest_window(params)
    plain = engine.map_batches(money, partial(double_edges, busy={}, window=0), EVENT_SCHEMA)
    n_events, n_accounts, first, heavy = engine.account_counts(plain, max_group_events + 1)
    partitions = partitions or auto_partitions(n_events)
    busy = {
        str(r["owner"]): (
            int(r["first"]),
            bucket_length(int(r["first"]), int(r["last"]), int(r["n"]), max_group_events, window),
        )
        for r in heavy.to_pylist()
    }
    plan = Plan(
        params,
        {t: kyc[t] for t in PARTITION_KYC if t in kyc},
        tables,
        config_thresholds(config, "cash"),
        config_thresholds(config, "id"),
        first,
        window,
        busy,
    )
    parts = layout(
        {
            str(r["owner"]): bucket_events(
                int(r["n"]), int(r["first"]), int(r["last"]), busy[str(r["owner"])][1], window
            )
            for r in heavy.to_pylist()
        },
        n_events,
        partitions,
    )
    partitions = parts.partitions
    events = engine.map_batches(
        money, partial(double_edges, busy=busy, window=window, parts=parts), EVENT_SCHEMA
    )
    found = pl.from_arrow(
        engine.screen_partitions(events, partial(screen_partition, plan=plan), partitions)
    )
    assert isinstance(found, pl.DataFrame)
    seconds["partitions"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    status_rows = found.filter(pl.col("entity_kind") == "status")
    rows = merge_buckets(found.filter(pl.col("entity_kind") != "status"))
    driver_hits, driver_status, subgraph, aside, reasons = _driver_stage(
        engine, money, plain, rows, plan, kyc, catalogue, scope, hops, n_accounts
    )
    hits = _hits(rows) + driver_hits
    status = _status(catalogue, status_rows, driver_status, hits + aside)
    names = sorted({h.entity for h in hits + aside if h.entity is not None})
    code = {n: i for i, n in enumerate(names)}
    for h in hits + aside:
        if h.entity_kind == "account":
            h.account, h.entity = code[str(h.entity)], None
    holders: dict[str, str] = (
        dict(kyc["accounts"].select("account_id", "holder_id").iter_rows())
        if "accounts" in kyc
        else {}
    )
    touching = partial(engine.touching, money)  # the controllers of possible victims
    add_control(hits, catalogue, names, kyc, money_from_engine(touching), params, status)
    alerts, explanations = build_alerts(hits, catalogue, names, holders)
    infra = Infrastructure({code[n]: r for n, r in reasons.items() if n in code})
    alerts, explanations = explain_set_aside(
        alerts, explanations, aside, infra, catalogue, names, holders
    )
    alerts = rank_by_unusualness(alerts, unusualness(hits, names))
    seconds["driver"] = time.perf_counter() - t1
    info = {
        "engine": engine.name,
        "partitions": partitions,
        "busy_accounts": len(busy),
        "busy_partitions": partitions - parts.ordinary if busy else 0,
        "max_group_events": max_group_events,
        "scope": scope,
        "driver_accounts": subgraph,
    }
    return ScreenResult(alerts, explanations, status, n_events, seconds, engine=info)


def auto_partitions(events: int) -> int:
    """Partitions of the shuffle when none is given: one per :data:`EVENTS_PER_PARTITION`
    events, at least :data:`MIN_PARTITIONS`.

    >>> auto_partitions(2_000_000), auto_partitions(24_207_557)
    (8, 25)
    """
    return max(MIN_PARTITIONS, -(-events // EVENTS_PER_PARTITION))


def merge_buckets(rows: pl.DataFrame) -> pl.DataFrame:
    """One hit per account and windowed rule from its buckets' hits: the largest observed
    value (the best window), the earliest bucket on a tie (the kernels keep the first best
    window). Hits of whole accounts pass unchanged.

    >>> rows = pl.DataFrame({"entity_id": ["a", "a", "b"], "indicator": ["s", "s", "s"],
    ...                      "observed": [3.0, 3.0, 1.0], "bucket": [2, 1, -1]})
    >>> merge_buckets(rows).sort("entity_id")["bucket"].to_list()
    [1, -1]
    """
    whole = rows.filter(pl.col("bucket") < 0)
    best = (
        rows.filter(pl.col("bucket") >= 0)
        .sort(
            ["entity_id", "indicator", "observed", "bucket"], descending=[False, False, True, False]
        )
        .unique(["entity_id", "indicator"], keep="first", maintain_order=True)
    )
    return pl.concat([whole, best])


def _hits(rows: pl.DataFrame) -> list[Hit]:
    """Hit rows back as :class:`Hit` (the entity named; :func:`screen_money` codes it)."""
    return [
        Hit(-1, r["indicator"], r["observed"], r["threshold"], r["window"], r["evidence"],
            r["detail"], entity=r["entity_id"], entity_kind=r["entity_kind"],
            evidence_total=r["evidence_total"])
        for r in rows.iter_rows(named=True)
    ]  # fmt: skip


def _driver_stage(
    engine: Engine,
    money: Any,
    plain: Any,
    rows: pl.DataFrame,
    plan: Plan,
    kyc: dict[str, pl.DataFrame],
    catalogue: dict[str, Any],
    scope: str,
    hops: int,
    n_accounts: int,
) -> tuple[list[Hit], dict[str, str], int | None, list[Hit], dict[str, tuple[str, str]]]:
    """Stage 2: the rules over the whole case, and the busy accounts' other per-account
    rules, in the driver; then the structure hits on infrastructure set aside (returned
    apart, with each such account's segment and reason)."""
    flagged = set(rows.filter(pl.col("entity_kind") == "account")["entity_id"].to_list())
    extra: list[str] = []
    note = ""
    if scope == "all":
        accounts = None
    else:
        others = set(plan.params["crypto_illicit_services"]["tagged_accounts"])
        if "accounts" in kyc and "parties" in kyc:  # the peers of the business rules
            companies = kyc["parties"].filter(pl.col("kind").cast(pl.String) == "company")
            held = pl.col("holder_id").is_in(companies["party_id"].implode())
            others |= set(kyc["accounts"].filter(held)["account_id"].drop_nulls())
        # every account in reach has events: those of the flagged and busy accounts, their
        # counterparties', and these (when they have any)
        reach = flagged | set(plan.busy) | set(engine.present(plain, sorted(others)))
        frontier = sorted(reach)
        for _ in range(hops):
            if not frontier:
                break
            frontier = sorted(set(engine.counterparties(plain, frontier)) - reach)
            reach.update(frontier)
        # the subgraph is every account: read them all (one scan, not a join against a list)
        accounts = None if len(reach) >= n_accounts else sorted(reach)
        if "accounts" in kyc and accounts is not None:  # the KYC rules name any such account
            extra = engine.present(plain, kyc["accounts"]["account_id"].drop_nulls().to_list())
        note = (
            f" (on the subgraph: {len(reach):,} accounts within {hops} transfers of the "
            f"{len(flagged):,} accounts the per-account rules flagged, the busy and the "
            "company accounts)"
        )
    money_rows = engine.touching(money, accounts)
    events = pl.from_arrow(double_edges(money_rows, {}, 0))
    assert isinstance(events, pl.DataFrame)
    ev = events_of(events, plan.start, extra)
    whole_plan = Plan(
        plan.params, kyc, plan.tables, plan.thresholds, plan.id_thresholds, plan.start
    )
    bucketed = bucketed_rules(plan.params)
    busy_rules = tuple(i for i in PER_ACCOUNT if i not in bucketed) if plan.busy else ()
    hits, status = run_rules(ev, whole_plan, WHOLE_CASE + busy_rules, catalogue)
    code_busy = {i for i, a in enumerate(ev.accounts) if a in plan.busy}
    kept = [
        h
        for h in hits
        if h.indicator in WHOLE_CASE or (h.entity is None and h.account in code_busy)
    ]
    # infrastructure is set aside as the local screen does (fininvest.screening.segments)
    kept, aside, infra = set_aside(Context(ev, plan.params, kyc), kept)
    reasons = {ev.accounts[a]: r for a, r in infra.accounts.items()}
    for h in kept + aside:
        if h.entity is None:
            h.entity = ev.accounts[h.account]
    status = {
        i: (s + note if i in WHOLE_CASE and s.startswith("evaluated") else s)
        for i, s in status.items()
    }
    return kept, status, n_accounts if accounts is None else len(accounts), aside, reasons


def _status(
    catalogue: dict[str, Any],
    partition_status: pl.DataFrame,
    driver_status: dict[str, str],
    hits: list[Hit],
) -> dict[str, str]:
    """Every catalogue indicator's status, as the local screen words it: the driver's for
    the rules over the whole case, the partitions' (the same in each) for the others; the
    counts from the merged hits."""
    fired: dict[str, int] = {}
    for h in hits:
        fired[h.indicator] = fired.get(h.indicator, 0) + 1
    seen: dict[str, str] = {}
    for ind, text in partition_status.select("indicator", "detail").iter_rows():
        if not text.startswith("evaluated") or ind not in seen:
            seen[ind] = text
    out = {}
    for ind in catalogue:
        text = driver_status.get(ind) if ind in WHOLE_CASE else seen.get(ind)
        text = text or driver_status.get(ind) or "not implemented yet"
        if text.startswith("evaluated: fired on"):
            rest = text.split(" account(s)", 1)[1] if " account(s)" in text else ""
            text = f"evaluated: fired on {fired.get(ind, 0)} account(s){rest}"
        out[ind] = text
    return out


def results_digest(frame: pl.DataFrame) -> str:
    """SHA-256 of a results table (alerts or explanations) as a set of rows: lists joined,
    rows sorted, written as CSV. Two screens agree when their digests do.

    >>> a = pl.DataFrame({"entity_id": ["b", "a"], "evidence": [["t2"], ["t1", "t3"]]})
    >>> results_digest(a) == results_digest(a.reverse())
    True
    """
    import hashlib

    flat = frame.with_columns(
        pl.col(c).list.join("\x1f") for c, t in frame.schema.items() if t == pl.List(pl.String)
    )
    return hashlib.sha256(flat.sort(flat.columns).write_csv().encode()).hexdigest()
