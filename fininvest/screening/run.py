"""``screen``: from the workspace tables to ranked, explained alerts in ``results/``."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fininvest.errors import WorkspaceError
from fininvest.indicators.catalogue import effective_parameters, load_catalogue
from fininvest.screening.engine import Context, evaluate
from fininvest.screening.events import load_events
from fininvest.screening.peers import rank_by_unusualness, unusualness
from fininvest.screening.roles import add_control, money_from_events, payers_from_events
from fininvest.screening.scoring import build_alerts
from fininvest.screening.segments import explain_set_aside, infrastructure_table, set_aside
from fininvest.workspace import Workspace

#: the phases of a screen, in order, as :attr:`ScreenResult.seconds` names them
PHASES = ("events", "tables", "indicators", "alerts", "write")


@dataclass
class ScreenResult:
    alerts: pl.DataFrame
    explanations: pl.DataFrame
    status: dict[str, str]
    events: int
    #: wall seconds per phase (:data:`PHASES`): the event streams built from the money
    #: tables, the KYC and card tables read, the indicators run (their evidence resolved to
    #: transaction ids included), alerts scored and explained, results written
    seconds: dict[str, float] = field(default_factory=dict)
    #: wall seconds of each indicator that ran (two run at a time: these overlap)
    indicator_seconds: dict[str, float] = field(default_factory=dict)
    #: numba kernels compiled during this screen, not loaded from the cache (the first screen
    #: after installing compiles them all; its time includes that)
    compiled: int = 0
    #: how a distributed screen ran (:mod:`fininvest.screening.engines`): engine,
    #: partitions, busy accounts split into buckets, the driver stage's scope; empty locally
    engine: dict[str, Any] = field(default_factory=dict)


def cash_thresholds(ws: Workspace) -> dict[str, float]:
    """Per-jurisdiction cash reporting thresholds usable in the base currency.

    A threshold stated in another currency is left out (the indicator then uses DEFAULT) until
    FX-aware thresholds are needed.
    """
    return _thresholds(ws, "cash")


def _thresholds(ws: Workspace, kind: str) -> dict[str, float]:
    return config_thresholds(ws.config, kind)


def config_thresholds(config: dict[str, Any], kind: str) -> dict[str, float]:
    """Per-jurisdiction thresholds of ``kind`` ("cash", "id") in a workspace configuration
    (``fininvest.toml`` as a dict) usable in its base currency."""
    base = config.get("case", {}).get("base_currency")
    out = {}
    for country, rule in config.get("thresholds", {}).items():
        if kind in rule and rule.get("currency", base) == base:
            out[country] = float(rule[kind])
    return out


@contextmanager
def _timed(seconds: dict[str, float], phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[phase] = time.perf_counter() - start


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration: a screen creates hundreds of
    thousands of long-lived objects (account names, evidence lists), and every full collection
    walked them all again (about 3% of a 10M-row screen). Reference counting still frees
    everything else at once; the collector runs again afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def screen(ws: Workspace, progress: Callable[[str], None] | None = None) -> ScreenResult:
    """Evaluate the catalogue on the workspace and write ``results/alerts.parquet`` and
    ``results/explanations.parquet``; ``progress`` is told each phase as it starts."""
    before = compiled_kernels()
    with _collector_paused():
        res = _screen(ws, progress or (lambda _phase: None))
    res.compiled = compiled_kernels() - before
    return res


def compiled_kernels() -> int:
    """How many numba kernels of fininvest's loaded modules this process compiled rather than
    loaded from the cache (signatures that missed the cache)."""
    from numba.core.dispatcher import Dispatcher

    kernels = {  # a kernel imported by other modules is counted once
        id(value): value
        for name, module in list(sys.modules.items())
        if name.startswith("fininvest.") and module is not None
        for value in list(vars(module).values())
        if isinstance(value, Dispatcher)
    }
    return sum(sum(k.stats.cache_misses.values()) for k in kernels.values())


def _screen(ws: Workspace, say: Callable[[str], None]) -> ScreenResult:
    catalogue = load_catalogue()
    params = effective_parameters(catalogue, ws.config.get("indicators", {}))
    seconds: dict[str, float] = {}
    say("events: the money tables as event streams per account")
    with _timed(seconds, "events"):
        ev = load_events(ws)
    if ev is None:
        raise WorkspaceError(
            f"{ws.root} has no transactions to screen",
            hint=f"Ingest bank, card or goAML files first: fininvest ingest {ws.root} FILES...",
        )
    tables = {t for t in ws.tables() if ws.has_table(t)}
    say("tables: KYC, identifiers, intelligence and card records")
    with _timed(seconds, "tables"):
        kyc: dict[str, pl.DataFrame] = {
            t: ws.scan(t).collect()
            for t in ("accounts", "identifiers", "parties", "intel_links")
            if t in tables
        }
        if "card_transactions" in tables:  # merchant-level indicators read the card records
            kyc["card_transactions"] = (
                ws.scan("card_transactions")
                .select("txn_id", "merchant_id", "merchant_name", "mcc", "ts", "ts_offset_min")
                .collect()
            )
    ctx = Context(ev, params, kyc, cash_thresholds(ws), _thresholds(ws, "id"))
    say(f"indicators: {len(catalogue)} in the catalogue, two at a time")
    with _timed(seconds, "indicators"):
        hits, status = evaluate(ctx, catalogue, tables)
        # infrastructure (acquirers, tax offices, payroll bureaus, hubs) is not a suspect of
        # fan-in, fan-out, scatter-gather or gather-scatter: those hits are set aside
        hits, aside, infra = set_aside(ctx, hits)
    holders: dict[str, str] = (
        dict(kyc["accounts"].select("account_id", "holder_id").iter_rows())
        if "accounts" in kyc
        else {}
    )
    say("alerts: controllers of possible victims, scores, classification and explanations")
    with _timed(seconds, "alerts"):  # the roles stage reads the victims' events
        add_control(
            hits,
            catalogue,
            ev.accounts,
            kyc,
            money_from_events(ev),
            params,
            status,
            ctx.seconds,
            payers_from_events(ev),
        )
    roles_seconds = seconds["alerts"]
    # the hits now hold transaction ids, not event indices: the event arrays (0.57 GB at 10M
    # rows) go before the alerts are built, which only need the account names
    accounts, n_events, by_indicator = ev.accounts, len(ev), ctx.seconds
    del ctx, ev
    with _timed(seconds, "alerts"):
        alerts, explanations = build_alerts(hits, catalogue, accounts, holders)
        alerts, explanations = explain_set_aside(
            alerts, explanations, aside, infra, catalogue, accounts, holders
        )
        alerts = rank_by_unusualness(alerts, unusualness(hits, accounts))
    seconds["alerts"] += roles_seconds
    say("write: results/alerts.parquet and explanations.parquet")
    with _timed(seconds, "write"):
        write_results(ws, alerts, explanations)
        infrastructure_table(infra, accounts, aside).write_parquet(
            ws.path("results", "infrastructure.parquet")
        )
    return ScreenResult(alerts, explanations, status, n_events, seconds, by_indicator)


def write_results(ws: Workspace, alerts: pl.DataFrame, explanations: pl.DataFrame) -> None:
    """Write ``results/alerts.parquet`` and ``results/explanations.parquet`` (each replaced
    whole, never left half-written)."""
    out = ws.path("results")
    for name, df in (("alerts", alerts), ("explanations", explanations)):
        tmp = out / f"{name}.partial"
        df.write_parquet(tmp)
        os.replace(tmp, out / f"{name}.parquet")


def summary(res: ScreenResult, top: int) -> dict[str, Any]:
    """The JSON document of ``fininvest screen --format json``."""
    expl = res.explanations
    alerts = []
    for row in res.alerts.head(top).iter_rows(named=True):
        e = expl.filter(pl.col("entity_id") == row["entity_id"])
        alerts.append({**row, "explanations": e.drop("entity_id").to_dicts()})
    victims = res.alerts.filter(pl.col("classification") == "possible_victim")
    return {
        "events": res.events,
        "suspects": int((res.alerts["classification"] == "suspect").sum()),
        "possible_victims": victims.height,
        "alerts": [a for a in alerts if a["classification"] == "suspect"],
        "possible_victim_accounts": victims.select(
            "rank", "entity_id", "holder_id", "indicators"
        ).to_dicts(),
        # accounts treated as infrastructure whose only findings were set aside
        # (docs/detection.md); their reasons are also in results/infrastructure.parquet
        "infrastructure_accounts": res.alerts.filter(pl.col("classification") == "infrastructure")
        .select(
            "entity_id",
            "holder_id",
            *(["infrastructure"] if "infrastructure" in res.alerts.columns else []),
        )
        .to_dicts(),
        "indicator_status": res.status,
        "seconds": {phase: round(t, 3) for phase, t in res.seconds.items()},
        "kernels_compiled": res.compiled,
        "indicator_seconds": {
            i: round(t, 3)
            for i, t in sorted(res.indicator_seconds.items(), key=lambda it: (-it[1], it[0]))
        },
        **({"engine": res.engine} if res.engine else {}),
    }
