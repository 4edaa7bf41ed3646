"""The screening engine: catalogue indicators evaluated on event streams, with evidence.

Each implemented indicator is a small function registered under its catalogue id. It reads its
parameters (catalogue defaults, workspace overrides), runs the kernels, and returns one
:class:`Hit` per account where it fires: the observed value, the threshold, the window and the
transaction ids that prove it. Indicators whose data is missing are reported as *not
evaluated*; catalogue indicators without an implementation yet are reported as such — never
silently as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fininvest.indicators.catalogue import Indicator
from fininvest.screening.events import Events
from fininvest.screening.kernels import fifo_pass_through, window_count_max, window_distinct_max

DAY = 86_400
LODGING = {7011, *range(3501, 4000)}
TICKETS = {*range(3000, 3351), 4511, 4112, 4131, 4722}


@dataclass
class Hit:
    """One indicator firing on one account, with what proves it."""

    account: int
    indicator: str
    observed: float
    threshold: float
    window: str
    evidence: list[str]
    detail: str


@dataclass
class Context:
    """What indicators may read besides the events."""

    ev: Events
    params: dict[str, Any]
    kyc: dict[str, pl.DataFrame] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)


Rule = Callable[[Context], list[Hit]]
RULES: dict[str, Rule] = {}
#: tables each implemented rule needs beyond the events (for "not evaluated")
NEEDS: dict[str, tuple[str, ...]] = {}


def rule(ind_id: str, needs: tuple[str, ...] = ()) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[ind_id] = fn
        NEEDS[ind_id] = needs
        return fn

    return register


def _window_evidence(ev: Events, a: int, anchor: int, flag: np.ndarray, window: int) -> list[str]:
    lo, hi = ev.offsets[a], ev.offsets[a + 1]
    t = ev.ts[anchor]
    idx = [i for i in range(lo, hi) if flag[i] and t - window < ev.ts[i] <= t]
    return [ev.ref[i] for i in idx]


def count_rule(
    ctx: Context, ind: str, flag: np.ndarray, window_days: float, minimum: float, what: str
) -> list[Hit]:
    """Fire where at least ``minimum`` flagged events fall in one window."""
    ev = ctx.ev
    w = int(window_days * DAY)
    best, at = window_count_max(ev.offsets, ev.ts, flag, w)
    hits = []
    for a in np.flatnonzero(best >= minimum):
        hits.append(
            Hit(
                int(a),
                ind,
                float(best[a]),
                float(minimum),
                f"{window_days:g} days",
                _window_evidence(ev, int(a), int(at[a]), flag, w),
                f"{best[a]} {what} within {window_days:g} days (threshold {minimum:g})",
            )
        )
    return hits


def distinct_count_rule(
    ctx: Context,
    ind: str,
    flag: np.ndarray,
    category: np.ndarray,
    n_cat: int,
    window_days: float,
    min_count: float,
    min_distinct: float,
    what: str,
    of_what: str,
) -> list[Hit]:
    """Fire where one window holds ``min_count`` flagged events over ``min_distinct`` categories."""
    ev = ctx.ev
    w = int(window_days * DAY)
    count, _ = window_count_max(ev.offsets, ev.ts, flag, w)
    distinct, at = window_distinct_max(ev.offsets, ev.ts, flag, category, max(n_cat, 1), w)
    hits = []
    for a in np.flatnonzero((count >= min_count) & (distinct >= min_distinct)):
        hits.append(
            Hit(
                int(a),
                ind,
                float(distinct[a]),
                float(min_distinct),
                f"{window_days:g} days",
                _window_evidence(ev, int(a), int(at[a]), flag, w),
                f"{count[a]} {what} in {distinct[a]} different {of_what} within "
                f"{window_days:g} days (thresholds {min_count:g} and {min_distinct:g})",
            )
        )
    return hits


def _mcc_flag(ev: Events, codes: set[int] | list[int]) -> np.ndarray:
    flag: np.ndarray = np.isin(ev.mcc, np.fromiter(codes, np.int64)) & ev.outflow
    return flag


# ----------------------------------------------------------------------------- card indicators
@rule("ad_micropayments")
def ad_micropayments(ctx: Context) -> list[Hit]:
    p = ctx.params["ad_micropayments"]
    return count_rule(
        ctx,
        "ad_micropayments",
        _mcc_flag(ctx.ev, p["mccs"]),
        p["window_days"],
        p["min_payments"],
        "payments to ad, escort or dating platforms",
    )


@rule("short_stay_lodging")
def short_stay_lodging(ctx: Context) -> list[Hit]:
    p = ctx.params["short_stay_lodging"]
    ev = ctx.ev
    return distinct_count_rule(
        ctx,
        "short_stay_lodging",
        _mcc_flag(ev, LODGING),
        ev.city,
        len(ev.cities),
        p["window_days"],
        p["min_stays"],
        p["min_cities"],
        "lodging payments",
        "cities",
    )


@rule("travel_multi_ticket")
def travel_multi_ticket(ctx: Context) -> list[Hit]:
    p = ctx.params["travel_multi_ticket"]
    return count_rule(
        ctx,
        "travel_multi_ticket",
        _mcc_flag(ctx.ev, TICKETS),
        p["window_days"],
        p["min_tickets"],
        "travel tickets",
    )


@rule("local_transport_burst")
def local_transport_burst(ctx: Context) -> list[Hit]:
    p = ctx.params["local_transport_burst"]
    return count_rule(
        ctx,
        "local_transport_burst",
        _mcc_flag(ctx.ev, {4121}),
        p["window_days"],
        p["min_rides"],
        "taxi or ride-share payments",
    )


@rule("prepaid_phone_topups")
def prepaid_phone_topups(ctx: Context) -> list[Hit]:
    p = ctx.params["prepaid_phone_topups"]
    return count_rule(
        ctx,
        "prepaid_phone_topups",
        _mcc_flag(ctx.ev, {4814}),
        p["window_days"],
        p["min_topups"],
        "prepaid phone top-ups",
    )


# ----------------------------------------------------------------------------- cash and flows
def _cash_in(ev: Events) -> np.ndarray:
    flag: np.ndarray = (~ev.outflow) & (ev.col("channel") == "cash").fill_null(False).to_numpy()
    return flag


@rule("third_party_cash_multi_loc")
def third_party_cash_multi_loc(ctx: Context) -> list[Hit]:
    p = ctx.params["third_party_cash_multi_loc"]
    ev = ctx.ev
    flag = _cash_in(ev) & ev.col("depositor_id").is_not_null().to_numpy()
    return distinct_count_rule(
        ctx,
        "third_party_cash_multi_loc",
        flag,
        ev.city,
        len(ev.cities),
        p["window_days"],
        p["min_deposits"],
        p["min_locations"],
        "cash deposits by third parties",
        "cities",
    )


@rule("structuring")
def structuring(ctx: Context) -> list[Hit]:
    """Cash deposits in the band below the reporting threshold of the deposit's country."""
    p = ctx.params["structuring"]
    ev = ctx.ev
    default = ctx.thresholds.get("DEFAULT", p["threshold"])
    thr = (
        ev.col("country")
        .replace_strict(ctx.thresholds, default=default, return_dtype=pl.Float64)
        .to_numpy()
    )
    flag = _cash_in(ev) & (ev.amount >= p["band_low"] * thr) & (ev.amount < thr)
    return count_rule(
        ctx,
        "structuring",
        flag,
        p["window_days"],
        p["min_count"],
        f"cash deposits between {p['band_low']:.0%} and 100% of the reporting threshold",
    )


def _pass_through(ev: Events, hours: float) -> tuple[np.ndarray, np.ndarray]:
    return fifo_pass_through(ev.offsets, ev.ts, ev.amount, ev.outflow, int(hours * 3600))


def _inflow_refs(ev: Events, a: int, limit: int = 20) -> list[str]:
    lo, hi = ev.offsets[a], ev.offsets[a + 1]
    return [ev.ref[i] for i in range(lo, hi) if not ev.outflow[i]][:limit]


@rule("rapid_pass_through")
def rapid_pass_through(ctx: Context) -> list[Hit]:
    p = ctx.params["rapid_pass_through"]
    ev = ctx.ev
    ratio, matched = _pass_through(ev, p["within_hours"])
    fired = np.flatnonzero(np.nan_to_num(ratio) >= p["min_share"])
    return [
        Hit(
            int(a),
            "rapid_pass_through",
            float(ratio[a]),
            p["min_share"],
            f"{p['within_hours']:g} hours",
            _inflow_refs(ev, int(a)),
            f"{ratio[a]:.0%} of inflows ({matched[a]:,.2f}) passed on within "
            f"{p['within_hours']:g} hours (threshold {p['min_share']:.0%})",
        )
        for a in fired
    ]


@rule("funnel_account")
def funnel_account(ctx: Context) -> list[Hit]:
    """Cash deposits in several cities and most of it moved on within hours."""
    p = ctx.params["funnel_account"]
    ev = ctx.ev
    cash = _cash_in(ev)
    distinct, at = window_distinct_max(
        ev.offsets, ev.ts, cash, ev.city, max(len(ev.cities), 1), 30 * DAY
    )
    ratio, _ = _pass_through(ev, p["within_hours"])
    fired = np.flatnonzero(
        (distinct >= p["min_deposit_cities"]) & (np.nan_to_num(ratio) >= p["pass_through"])
    )
    return [
        Hit(
            int(a),
            "funnel_account",
            float(ratio[a]),
            p["pass_through"],
            f"30 days / {p['within_hours']:g} hours",
            _window_evidence(ev, int(a), int(at[a]), cash, 30 * DAY),
            f"cash deposited in {distinct[a]} cities and {ratio[a]:.0%} moved on within "
            f"{p['within_hours']:g} hours (thresholds {p['min_deposit_cities']:g} cities, "
            f"{p['pass_through']:.0%})",
        )
        for a in fired
    ]


@rule("fan_in")
def fan_in(ctx: Context) -> list[Hit]:
    p = ctx.params["fan_in"]
    ev = ctx.ev
    flag = (~ev.outflow) & (ev.counterparty >= 0)
    return distinct_count_rule(
        ctx,
        "fan_in",
        flag,
        ev.counterparty,
        len(ev.accounts),
        p["window_days"],
        p["min_senders"],
        p["min_senders"],
        "incoming transfers",
        "senders",
    )


@rule("fan_out")
def fan_out(ctx: Context) -> list[Hit]:
    p = ctx.params["fan_out"]
    ev = ctx.ev
    flag = ev.outflow & (ev.counterparty >= 0)
    return distinct_count_rule(
        ctx,
        "fan_out",
        flag,
        ev.counterparty,
        len(ev.accounts),
        p["window_days"],
        p["min_payees"],
        p["min_payees"],
        "outgoing transfers",
        "payees",
    )


@rule("pooled_wages")
def pooled_wages(ctx: Context) -> list[Hit]:
    """Payroll credits for several different payees (distinct payment references) in a cycle."""
    p = ctx.params["pooled_wages"]
    ev = ctx.ev
    payroll = (~ev.outflow) & (ev.col("channel") == "payroll").fill_null(False).to_numpy()
    refs = ev.col("purpose").fill_null("")
    codes = refs.cast(pl.Categorical).to_physical().cast(pl.Int64).to_numpy()
    return distinct_count_rule(
        ctx,
        "pooled_wages",
        payroll,
        codes,
        int(codes.max()) + 1 if len(codes) else 1,
        p["cycle_days"],
        p["min_payees"],
        p["min_payees"],
        "payroll credits",
        "payees (payment references) in one pay cycle",
    )


# ----------------------------------------------------------------------------- KYC indicators
@rule("third_party_control", needs=("accounts",))
def third_party_control(ctx: Context) -> list[Hit]:
    """Accounts opened by someone other than the holder, together with other accounts that the
    same person opened (F20 p.4, p.6: victims escorted to open accounts)."""
    p = ctx.params["third_party_control"]
    acc = ctx.kyc["accounts"]
    opened = acc.filter(
        pl.col("opened_by").is_not_null() & (pl.col("opened_by") != pl.col("holder_id"))
    )
    group = opened.group_by("opened_by").agg(pl.col("account_id"), pl.len().alias("n"))
    code = {a: i for i, a in enumerate(ctx.ev.accounts)}
    hits = []
    for opener, accounts, n in group.iter_rows():
        if n < p["same_day_accounts"]:
            continue
        for a in accounts:
            if a in code:
                hits.append(
                    Hit(
                        code[a],
                        "third_party_control",
                        float(n),
                        float(p["same_day_accounts"]),
                        "account opening",
                        [f"account:{x}" for x in accounts],
                        f"opened by {opener}, who also opened {n - 1} other account(s)",
                    )
                )
    return hits


@rule("swept_to_third_party")
def swept_to_third_party(ctx: Context) -> list[Hit]:
    """Most inflows passed on to one counterparty soon after (an account run by someone else)."""
    p = ctx.params["swept_to_third_party"]
    ev = ctx.ev
    ratio, _ = _pass_through(ev, p["within_hours"])
    out = pl.DataFrame(
        {"a": ev.account, "cp": ev.counterparty, "amt": ev.amount, "out": ev.outflow}
    ).filter(pl.col("out") & (pl.col("cp") >= 0))
    top = (
        out.group_by("a", "cp")
        .agg(pl.col("amt").sum())
        .sort("amt", descending=True)
        .group_by("a", maintain_order=True)
        .agg(pl.col("cp").first(), pl.col("amt").first().alias("top"))
        .join(out.group_by("a").agg(pl.col("amt").sum().alias("all")), on="a")
    )
    hits = []
    for a, cp, top_amt, all_amt in top.iter_rows():
        share = top_amt / all_amt if all_amt else 0.0
        if np.nan_to_num(ratio[a]) >= p["min_share"] and share >= p["min_share"]:
            hits.append(
                Hit(
                    int(a),
                    "swept_to_third_party",
                    float(ratio[a]),
                    p["min_share"],
                    f"{p['within_hours']:g} hours",
                    _inflow_refs(ev, int(a)),
                    f"{ratio[a]:.0%} of inflows passed on within {p['within_hours']:g} "
                    f"hours, {share:.0%} of outflows to {ev.accounts[cp]}",
                )
            )
    return hits


def evaluate(
    ctx: Context, catalogue: dict[str, Indicator], tables: set[str]
) -> tuple[list[Hit], dict[str, str]]:
    """Run every implemented indicator whose data is present.

    Returns the hits and, for every catalogue indicator that did not run, why:
    ``"not evaluated: no <table> in this case"`` or ``"not implemented yet"``.
    """
    hits: list[Hit] = []
    status: dict[str, str] = {}
    for ind_id, ind in catalogue.items():
        if ind_id not in RULES:
            status[ind_id] = "not implemented yet"
            continue
        missing = [
            t
            for t in dict.fromkeys((*ind.tables, *NEEDS[ind_id]))
            if t not in tables
            and t in ("transactions", "card_transactions", "accounts", "identifiers")
        ]
        if missing:
            status[ind_id] = f"not evaluated: no {', '.join(missing)} in this case"
            continue
        found = RULES[ind_id](ctx)
        status[ind_id] = f"evaluated: fired on {len(found)} account(s)"
        hits.extend(found)
    return hits, status
