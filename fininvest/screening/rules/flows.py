"""Indicators on money flows: cash, pass-through, payroll, remittances, mules."""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.screening.engine import (
    DAY,
    Context,
    EventRefs,
    Hit,
    NotEvaluated,
    _cash_in,
    _edges,
    _Flagged,
    _inflow_refs,
    _pass_through,
    _transfers,
    _window_evidence,
    count_rule,
    distinct_count_rule,
    holder_kinds,
    rule,
)
from fininvest.screening.kernels import outflow_after, window_distinct_max
from fininvest.screening.peers import peer_fan_rule


@rule("third_party_cash_multi_loc")
def third_party_cash_multi_loc(ctx: Context) -> list[Hit]:
    p = ctx.params["third_party_cash_multi_loc"]
    ev = ctx.ev
    flag = ev.has_value("depositor_id", _cash_in(ev))
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
    cash = np.flatnonzero(_cash_in(ev))  # only cash deposits need their country's threshold
    thr = ev.lookup("country", ctx.thresholds, default, at=cash)
    amount = ev.amount[cash]
    flag = np.zeros(len(ev), np.bool_)
    flag[cash] = (amount >= p["band_low"] * thr) & (amount < thr)
    return count_rule(
        ctx,
        "structuring",
        flag,
        p["window_days"],
        p["min_count"],
        f"cash deposits between {p['band_low']:.0%} and 100% of the reporting threshold",
    )


@rule("rapid_pass_through", shares=("pass_through",))
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


@rule("funnel_account", shares=("pass_through",))
def funnel_account(ctx: Context) -> list[Hit]:
    """Cash deposits in several cities and most of it moved on within hours."""
    p = ctx.params["funnel_account"]
    ev = ctx.ev
    cash = _cash_in(ev)
    sub = _Flagged(ev, cash)
    distinct, at = window_distinct_max(
        sub.offsets, sub.ts, sub.flag, sub.take(ev.city), max(len(ev.cities), 1), 30 * DAY
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
            _window_evidence(ev, int(a), sub.event(at[a]), cash, 30 * DAY),
            f"cash deposited in {distinct[a]} cities and {ratio[a]:.0%} moved on within "
            f"{p['within_hours']:g} hours (thresholds {p['min_deposit_cities']:g} cities, "
            f"{p['pass_through']:.0%})",
        )
        for a in fired
    ]


@rule("fan_in", shares=("counterparty_codes", "one_off"))
def fan_in(ctx: Context) -> list[Hit]:
    """Many distinct senders in one window, for the account's peers (:mod:`..peers`)."""
    minimum = ctx.params["fan_in"]["min_senders"]
    return peer_fan_rule(ctx, "fan_in", 0, minimum, "incoming transfers", "senders")


@rule("fan_out", shares=("counterparty_codes", "one_off"))
def fan_out(ctx: Context) -> list[Hit]:
    """Many distinct payees in one window, for the account's peers (:mod:`..peers`)."""
    minimum = ctx.params["fan_out"]["min_payees"]
    return peer_fan_rule(ctx, "fan_out", 1, minimum, "outgoing transfers", "payees")


@rule("pooled_wages")
def pooled_wages(ctx: Context) -> list[Hit]:
    """Payroll credits for several different payees (distinct payment references) in a cycle."""
    p = ctx.params["pooled_wages"]
    ev = ctx.ev
    payroll = (~ev.outflow) & ev.is_in("channel", ["payroll"])
    if not payroll.any():
        return []
    codes, refs = ev.codes("purpose", where=payroll)
    blank = refs.index("") if "" in refs else len(refs)  # no reference: one payee, as ""
    codes = np.where(codes < 0, blank, codes)
    return distinct_count_rule(
        ctx,
        "pooled_wages",
        payroll,
        codes,
        len(refs) + 1,
        p["cycle_days"],
        p["min_payees"],
        p["min_payees"],
        "payroll credits",
        "payees (payment references) in one pay cycle",
    )


@rule("begging_cash_aggregation")
def begging_cash_aggregation(ctx: Context) -> list[Hit]:
    p = ctx.params["begging_cash_aggregation"]
    ev = ctx.ev
    small_cash = _cash_in(ev) & (ev.amount <= p["max_amount"])
    depositor, depositors = ev.codes("depositor_id", where=small_cash)
    n = len(depositors)
    flag = depositor >= 0
    return distinct_count_rule(
        ctx,
        "begging_cash_aggregation",
        flag,
        depositor,
        n,
        p["window_days"],
        p["min_deposits"],
        p["min_depositors"],
        f"cash deposits of at most {p['max_amount']:g}",
        "depositors",
    )


@rule("remittance_to_source")
def remittance_to_source(ctx: Context) -> list[Hit]:
    """Regular outbound transfers to the source or conduit countries configured for the case."""
    p = ctx.params["remittance_to_source"]
    if not p["countries"]:
        raise NotEvaluated(
            "no source-country list configured "
            "([indicators.remittance_to_source] countries in fininvest.toml)"
        )
    ev = ctx.ev
    flag = ev.outflow & ev.is_in("to_country", p["countries"])
    return count_rule(
        ctx,
        "remittance_to_source",
        flag,
        p["window_days"],
        p["min_transfers"],
        "transfers to " + ", ".join(p["countries"]),
    )


@rule("forced_criminality_mule", needs=("accounts",), shares=("counterparty_codes", "pass_through"))
def forced_criminality_mule(ctx: Context) -> list[Hit]:
    """A new account with many unrelated senders whose money is sent on within a day."""
    p = ctx.params["forced_criminality_mule"]
    ev = ctx.ev
    opened = dict(ctx.kyc["accounts"].select("account_id", "opened").drop_nulls().iter_rows())
    inflow = (~ev.outflow) & (ev.counterparty >= 0)
    best, ends = ev.partners(30 * DAY)  # shared with fan-in and fan-out
    senders, at = best[:, 0], ends[:, 0]
    ratio, _ = _pass_through(ev, p["within_hours"])
    hits = []
    for a in np.flatnonzero(
        (senders >= p["min_senders"]) & (np.nan_to_num(ratio) >= p["share_on"])
    ):
        acc = ev.accounts[a]
        if acc not in opened:
            continue
        first = int(ev.ts[ev.offsets[a]])
        age = (first - int(np.datetime64(opened[acc], "s").astype(np.int64))) / DAY
        if age > p["max_account_age_days"]:
            continue
        hits.append(
            Hit(
                int(a),
                "forced_criminality_mule",
                float(senders[a]),
                p["min_senders"],
                "30 days",
                _window_evidence(ev, int(a), int(at[a]), inflow, 30 * DAY),
                f"account {age:.0f} days old at its first transaction; {senders[a]} "
                f"senders within 30 days; {ratio[a]:.0%} sent on within "
                f"{p['within_hours']:g} hours",
            )
        )
    return hits


@rule("male_p2p_fan_in", needs=("accounts",), shares=("counterparty_codes",))
def male_p2p_fan_in(ctx: Context) -> list[Hit]:
    """Many P2P payments in the usual band from different, mostly male senders. The senders'
    sex is risk context only: the rule first needs many distinct senders."""
    p = ctx.params["male_p2p_fan_in"]
    ev = ctx.ev
    flag = (
        (~ev.outflow)
        & (ev.counterparty >= 0)
        & ev.is_in("channel", ["p2p"])
        & (ev.amount >= p["amount_low"])
        & (ev.amount <= p["amount_high"])
    )
    found = distinct_count_rule(
        ctx,
        "male_p2p_fan_in",
        flag,
        *ev.local_counterparty(),
        p["window_days"],
        p["min_senders"],
        p["min_senders"],
        "P2P payments in the usual band",
        "senders",
    )
    if "parties" not in ctx.kyc:
        return found
    holder = dict(ctx.kyc["accounts"].select("account_id", "holder_id").iter_rows())
    sex = dict(ctx.kyc["parties"].select("party_id", "sex").drop_nulls().iter_rows())
    kept = []
    for h in found:
        lo, hi = ev.offsets[h.account], ev.offsets[h.account + 1]
        senders = {ev.accounts[ev.counterparty[i]] for i in range(lo, hi) if flag[i]}
        known = [sex[holder[s]] for s in senders if holder.get(s) in sex]
        males = sum(k == "male" for k in known)
        if known and males / len(known) >= 0.7:
            h.detail += f"; {males} of {len(known)} senders of known sex are male"
            kept.append(h)
    return kept


@rule("wage_in_fast_out")
def wage_in_fast_out(ctx: Context) -> list[Hit]:
    """Wages that leave as soon as they arrive, cycle after cycle (F20 p.4)."""
    p = ctx.params["wage_in_fast_out"]
    ev = ctx.ev
    payroll = (~ev.outflow) & ev.is_in("channel", ["payroll"])
    credits = np.flatnonzero(payroll)  # account by account, in time order
    after = outflow_after(
        ev.offsets, ev.account, ev.ts, ev.amount, ev.outflow, credits,
        int(p["within_hours"] * 3600),
    )  # fmt: skip
    left = dict(zip(credits.tolist(), after.tolist(), strict=True))
    hits = []
    accounts = ev.account[credits]
    # each account's credits: from its first to the next account's first
    bounds = np.r_[np.flatnonzero(np.diff(accounts, prepend=-1)), credits.size]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        a = accounts[lo]
        wages = credits[lo:hi].tolist()
        run, best, best_run = 0, 0, []
        current: list[int] = []
        for i in wages:
            if ev.amount[i] > 0 and left[i] >= p["share_out"] * ev.amount[i]:
                run += 1
                current.append(i)
                if run > best:
                    best, best_run = run, list(current)
            else:
                run, current = 0, []
        if best >= p["min_cycles"]:
            hits.append(
                Hit(
                    int(a),
                    "wage_in_fast_out",
                    float(best),
                    p["min_cycles"],
                    f"{p['within_hours']:g} hours",
                    EventRefs(np.array(best_run)),
                    f"{best} consecutive wage credits of which at least "
                    f"{p['share_out']:.0%} left within {p['within_hours']:g} hours",
                )
            )
    return hits


@rule("recruitment_fee_payments", needs=("accounts", "parties"))
def recruitment_fee_payments(ctx: Context) -> list[Hit]:
    """Recurring payments to an employment or recruitment agency (recruitment "debts").

    Uses the recurrence clause of the red flag; the licence-registry clause needs a registry
    of licensed agencies, which no case holds yet.
    """
    p = ctx.params["recruitment_fee_payments"]
    ev = ctx.ev
    parties = ctx.kyc["parties"].filter(
        pl.col("occupation").str.to_lowercase().str.contains("agency|recruit").fill_null(False)
    )
    agency_accounts = set(
        ctx.kyc["accounts"].filter(pl.col("holder_id").is_in(parties["party_id"].implode()))[
            "account_id"
        ]
    )
    code = {acc: i for i, acc in enumerate(ev.accounts)}
    agencies = np.array(sorted(code[a] for a in agency_accounts if a in code), np.int64)
    if not len(agencies):
        return []
    pay = ev.outflow & np.isin(ev.counterparty, agencies)
    idx = np.flatnonzero(pay)
    rows = pl.DataFrame(
        {
            "a": ev.account[idx],
            "cp": ev.counterparty[idx],
            "e": idx,
            "month": (ev.ts[idx] // (30 * DAY)).astype(np.int64),
        }
    )
    recurring = (
        rows.group_by("a", "cp")
        .agg(pl.col("month").n_unique().alias("months"), pl.col("e"))
        .filter(pl.col("months") >= p["min_months"])
    )
    hits = []
    for a, cp, months, e in recurring.iter_rows():
        refs = EventRefs(np.array(e))
        hits.append(
            Hit(
                int(a),
                "recruitment_fee_payments",
                float(months),
                p["min_months"],
                "months",
                refs,
                f"paid the employment agency {ev.accounts[cp]} in {months} different months",
            )
        )
    for cp, payers in recurring.group_by("cp").agg(pl.col("a")).sort("cp").iter_rows():
        hits.append(
            Hit(
                int(cp),
                "recruitment_fee_payments",
                float(len(payers)),
                p["min_months"],
                "months",
                sorted(f"account:{ev.accounts[x]}" for x in payers),
                f"employment agency paid month after month by {len(payers)} account(s)",
            )
        )
    return hits


@rule("wage_kickback_cycle", shares=("transfer_graph",))
def wage_kickback_cycle(ctx: Context) -> list[Hit]:
    """Wages that go back, within days, to the employer or to an account the employer deals
    with (pays or is paid by: its housing provider, its owner), cycle after cycle.

    Pair-level joins in Polars: payroll credits (worker ← employer) × the worker's transfers out
    in ``within_days`` × the employer's counterparties. A pay cycle counts when at least
    ``share_back`` of the wage went to them; each recipient of such money in at least
    ``min_cycles`` cycles is flagged. The workers themselves are not (they fit victims).
    """
    p = ctx.params["wage_kickback_cycle"]
    ev = ctx.ev
    transfers = _transfers(ev)
    if len(transfers) == 0:
        return []
    payroll = ev.is_in("channel", ["payroll"])
    wage_idx = np.flatnonzero((~ev.outflow) & (ev.counterparty >= 0) & payroll)
    if len(wage_idx) == 0:
        return []
    wages = _edges(ev, wage_idx).rename({"a": "w", "b": "emp", "t": "tw", "x": "wage", "e": "ew"})
    # only the workers' transfers out and the employers' transfers matter to the joins below
    worker = np.zeros(len(ev.accounts), np.bool_)
    worker[ev.account[wage_idx]] = True
    employer = np.zeros(len(ev.accounts), np.bool_)
    employer[ev.counterparty[wage_idx]] = True
    payer, payee = ev.account[transfers], ev.counterparty[transfers]
    by_workers = _edges(ev, transfers[worker[payer]])
    of_employers = _edges(ev, transfers[employer[payer] | employer[payee]])
    deals = pl.concat(  # the employer itself and every account it pays or is paid by
        [
            of_employers.select(pl.col("a").alias("emp"), pl.col("b").alias("r")),
            of_employers.select(pl.col("b").alias("emp"), pl.col("a").alias("r")),
            wages.select("emp", pl.col("emp").alias("r")),
        ]
    ).unique()
    w = int(p["within_days"] * DAY)
    legs = (
        wages.join(by_workers.rename({"a": "w", "b": "r", "t": "to", "x": "y", "e": "eo"}), on="w")
        .filter((pl.col("to") > pl.col("tw")) & (pl.col("to") <= pl.col("tw") + w))
        .filter(pl.col("r") != pl.col("w"))
        .join(deals, on=["emp", "r"], how="semi")
    )
    cycles = (
        legs.group_by("ew")
        .agg(pl.col("y").sum().alias("back"), pl.col("wage").first(), pl.col("r"), pl.col("eo"))
        .filter(pl.col("back") >= p["share_back"] * pl.col("wage"))
        .explode("r", "eo")
    )
    per_recipient = (
        cycles.group_by("r")
        .agg(pl.col("ew").n_unique().alias("n"), pl.col("ew").unique(), pl.col("eo").unique())
        .filter(pl.col("n") >= p["min_cycles"])
        .sort("r")
    )
    hits = []
    for r, n, ew, eo in per_recipient.iter_rows():
        hits.append(
            Hit(
                int(r),
                "wage_kickback_cycle",
                float(n),
                float(p["min_cycles"]),
                f"{p['within_days']:g} days after each wage",
                EventRefs(np.unique(np.array(ew + eo))),
                f"received at least {p['share_back']:.0%} of workers' wages (together with the "
                f"employer's other counterparties) within {p['within_days']:g} days, in {n} "
                "pay cycles",
            )
        )
    return hits


@rule("payouts_to_workers", needs=("accounts", "parties"), shares=("transfer_graph",))
def payouts_to_workers(ctx: Context) -> list[Hit]:
    """A personal account that pays the same several people month after month and shows no
    normal expenses of a business (no card payments, no payments to companies): a coordinator
    paying workers. Companies paying staff are payroll, the normal case, and are left out."""
    p = ctx.params["payouts_to_workers"]
    ev = ctx.ev
    person, company = holder_kinds(ctx)
    idx = _transfers(ev)
    to_person = idx[person[ev.account[idx]] & person[ev.counterparty[idx]]]
    business = (ev.outflow & (ev.mcc >= 0)) | (
        ev.outflow & (ev.counterparty >= 0) & company[np.maximum(ev.counterparty, 0)]
    )
    has_business = np.zeros(len(ev.accounts), np.bool_)
    has_business[ev.account[business]] = True
    pays = pl.DataFrame(
        {
            "a": ev.account[to_person],
            "b": ev.counterparty[to_person],
            "e": to_person,
            "month": ev.ts[to_person] // (30 * DAY),
        }
    ).filter(~pl.Series(has_business[ev.account[to_person]]))
    recurring = (
        pays.group_by("a", "b")
        .agg(pl.col("month").n_unique().alias("months"), pl.col("e"))
        .filter(pl.col("months") >= p["min_months"])
        .group_by("a")
        .agg(
            pl.len().alias("payees"),
            pl.col("e").list.explode(keep_nulls=False, empty_as_null=False),
        )
        .filter(pl.col("payees") >= p["min_payees"])
        .sort("a")
    )
    return [
        Hit(
            int(a),
            "payouts_to_workers",
            float(n),
            float(p["min_payees"]),
            f"{p['min_months']:g} months of 30 days",
            EventRefs(np.sort(np.array(e))[:50]),
            f"paid {n} people in at least {p['min_months']:g} different months, with no card "
            "payments and no payments to companies",
        )
        for a, n, e in recurring.iter_rows()
    ]


@rule("id_threshold_avoidance")
def id_threshold_avoidance(ctx: Context) -> list[Hit]:
    """Repeated transactions just below the identification or record-keeping threshold of the
    jurisdiction where they happen (``id`` under ``[thresholds.XX]`` in the workspace)."""
    if not ctx.id_thresholds:
        raise NotEvaluated(
            "no identification thresholds configured (add id = <amount> under [thresholds.XX] "
            "in fininvest.toml)"
        )
    p = ctx.params["id_threshold_avoidance"]
    ev = ctx.ev
    limit = ev.lookup("country", ctx.id_thresholds, float("inf"))
    near = (ev.mcc < 0) & (ev.amount >= p["band_low"] * limit) & (ev.amount < limit)
    counts = np.bincount(ev.account[near], minlength=len(ev.accounts))
    hits = []
    for a in np.flatnonzero(counts >= p["min_count"]):
        lo, hi = ev.offsets[a], ev.offsets[a + 1]
        idx = np.flatnonzero(near[lo:hi]) + lo
        hits.append(
            Hit(
                int(a),
                "id_threshold_avoidance",
                float(counts[a]),
                float(p["min_count"]),
                "case period",
                EventRefs(idx[:50]),
                f"{counts[a]} transactions between {p['band_low']:.0%} of the identification "
                "threshold and the threshold",
            )
        )
    return hits
