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
from fininvest.screening.graph_kernels import build_csr, short_cycles
from fininvest.screening.kernels import (
    fifo_pass_through,
    window_count_max,
    window_distinct_max,
    window_sum_max,
)

DAY = 86_400
#: work bound per start node of the cycle search (hubs); a cut search finds nothing rather
#: than something wrong
MAX_CYCLE_STEPS = 200_000
#: an account whose in-degree × out-degree exceeds this is a hub, not a split intermediary
MAX_INTERMEDIARY_PAIRS = 10_000
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


class NotEvaluated(Exception):
    """Raised by a rule that cannot run on this case (with the reason, shown to the user)."""


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
    ts = ev.ts[lo:hi]
    idx = np.flatnonzero(flag[lo:hi] & (ts > t - window) & (ts <= t)) + lo
    return ev.refs(idx)


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
    """Many tickets in the window, or several tickets bought within one day (for others)."""
    p = ctx.params["travel_multi_ticket"]
    flag = _mcc_flag(ctx.ev, TICKETS)
    same_day = count_rule(
        ctx,
        "travel_multi_ticket",
        flag,
        1,
        p["same_day_tickets"],
        "travel tickets bought within one day",
    )
    seen = {h.account for h in same_day}
    many = count_rule(
        ctx, "travel_multi_ticket", flag, p["window_days"], p["min_tickets"], "travel tickets"
    )
    return same_day + [h for h in many if h.account not in seen]


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
    return ev.refs((np.flatnonzero(~ev.outflow[lo:hi]) + lo)[:limit])


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


# ----------------------------------------------------------------------------- more cash and flows
def _codes(s: pl.Series) -> tuple[np.ndarray, int]:
    """Dense integer codes of a text column (nulls → -1) and how many codes there are."""
    uniq = s.drop_nulls().unique().sort()
    lut = {v: i for i, v in enumerate(uniq.to_list())}
    codes = s.replace_strict(lut, default=-1, return_dtype=pl.Int64).to_numpy()
    return codes, len(lut)


@rule("begging_cash_aggregation")
def begging_cash_aggregation(ctx: Context) -> list[Hit]:
    p = ctx.params["begging_cash_aggregation"]
    ev = ctx.ev
    depositor, n = _codes(ev.col("depositor_id"))
    flag = _cash_in(ev) & (ev.amount <= p["max_amount"]) & (depositor >= 0)
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
    flag = ev.outflow & ev.col("to_country").is_in(p["countries"]).fill_null(False).to_numpy()
    return count_rule(
        ctx,
        "remittance_to_source",
        flag,
        p["window_days"],
        p["min_transfers"],
        "transfers to " + ", ".join(p["countries"]),
    )


@rule("forced_criminality_mule", needs=("accounts",))
def forced_criminality_mule(ctx: Context) -> list[Hit]:
    """A new account with many unrelated senders whose money is sent on within a day."""
    p = ctx.params["forced_criminality_mule"]
    ev = ctx.ev
    opened = dict(ctx.kyc["accounts"].select("account_id", "opened").drop_nulls().iter_rows())
    inflow = (~ev.outflow) & (ev.counterparty >= 0)
    senders, at = window_distinct_max(
        ev.offsets, ev.ts, inflow, ev.counterparty, max(len(ev.accounts), 1), 30 * DAY
    )
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


@rule("male_p2p_fan_in", needs=("accounts",))
def male_p2p_fan_in(ctx: Context) -> list[Hit]:
    """Many P2P payments in the usual band from different, mostly male senders. The senders'
    sex is risk context only: the rule first needs many distinct senders."""
    p = ctx.params["male_p2p_fan_in"]
    ev = ctx.ev
    flag = (
        (~ev.outflow)
        & (ev.counterparty >= 0)
        & (ev.col("channel") == "p2p").fill_null(False).to_numpy()
        & (ev.amount >= p["amount_low"])
        & (ev.amount <= p["amount_high"])
    )
    found = distinct_count_rule(
        ctx,
        "male_p2p_fan_in",
        flag,
        ev.counterparty,
        len(ev.accounts),
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


# ----------------------------------------------------------------------------- identifiers
def _accounts_of_parties(ctx: Context) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for account, holder in ctx.kyc["accounts"].select("account_id", "holder_id").iter_rows():
        out.setdefault(holder, []).append(account)
    return out


@rule("shared_identifier_cluster", needs=("accounts", "identifiers"))
def shared_identifier_cluster(ctx: Context) -> list[Hit]:
    """Phones, e-mails, addresses, devices or IPs used by several apparently unrelated parties."""
    p = ctx.params["shared_identifier_cluster"]
    shared = (
        ctx.kyc["identifiers"]
        .group_by("kind", "value")
        .agg(pl.col("owner_id").unique())
        .filter(pl.col("owner_id").list.len() >= p["min_accounts"])
    )
    by_party = _accounts_of_parties(ctx)
    code = {a: i for i, a in enumerate(ctx.ev.accounts)}
    hits = []
    for kind, value, owners in shared.iter_rows():
        for a in (a for o in owners for a in by_party.get(o, [o]) if a in code):
            hits.append(
                Hit(
                    code[a],
                    "shared_identifier_cluster",
                    float(len(owners)),
                    float(p["min_accounts"]),
                    "KYC identifiers",
                    [f"{kind}:{value}"] + [f"party:{o}" for o in owners],
                    f"{kind} {value} is used by {len(owners)} parties",
                )
            )
    return hits


@rule("ad_identifier_match", needs=("identifiers", "intel_links"))
def ad_identifier_match(ctx: Context) -> list[Hit]:
    """A holder's phone or e-mail appears in sex advertisements (intelligence 'advertised_with')."""
    ads = ctx.kyc["intel_links"].filter(pl.col("relation") == "advertised_with")
    in_ads: dict[str, list[str]] = {}
    for obj, link in ads.select("object_id", "link_id").iter_rows():
        in_ads.setdefault(obj, []).append(link)
    ident = ctx.kyc["identifiers"].filter(pl.col("value").is_in(list(in_ads)))
    by_party = _accounts_of_parties(ctx)
    code = {a: i for i, a in enumerate(ctx.ev.accounts)}
    hits = []
    for owner, value in ident.select("owner_id", "value").unique().iter_rows():
        for a in by_party.get(owner, [owner]):
            if a in code:
                hits.append(
                    Hit(
                        code[a],
                        "ad_identifier_match",
                        float(len(in_ads[value])),
                        1.0,
                        "intelligence",
                        [f"intel:{x}" for x in in_ads[value]],
                        f"{value} of the holder appears in {len(in_ads[value])} ad(s)",
                    )
                )
    return hits


# ----------------------------------------------------------------------------- more card patterns
SUBSISTENCE = {5814, 5812, 5912, 5977, 5631, 5621, 5411}
GIFT_CARD_SELLERS = {5411, 5499, 5311, 6540}
LUXURY = {5511, 5944, 7995}
TRAVEL_CATEGORIES = (LODGING, TICKETS, {4121}, SUBSISTENCE)


@rule("prepaid_access_use")
def prepaid_access_use(ctx: Context) -> list[Hit]:
    p = ctx.params["prepaid_access_use"]
    return count_rule(
        ctx,
        "prepaid_access_use",
        _mcc_flag(ctx.ev, {6540}),
        p["window_days"],
        p["min_loads"],
        "prepaid card purchases or loads",
    )


@rule("giftcard_round_sums")
def giftcard_round_sums(ctx: Context) -> list[Hit]:
    p = ctx.params["giftcard_round_sums"]
    ev = ctx.ev
    cents = np.round(ev.amount * 100).astype(np.int64)
    flag = (
        _mcc_flag(ev, GIFT_CARD_SELLERS)
        & (ev.amount >= p["min_amount"])
        & (cents % int(round(p["divisor"] * 100)) == 0)
    )
    return count_rule(
        ctx,
        "giftcard_round_sums",
        flag,
        p["window_days"],
        p["min_purchases"],
        f"round-sum purchases (multiples of {p['divisor']:g}) where gift and "
        "prepaid cards are sold",
    )


def third_party_travel_payment(ctx: Context) -> list[Hit]:
    """One payer covering several kinds of travel cost: lodging, tickets, rides, subsistence.

    Not registered: the source's red flag is paying these *for other people*; several kinds of
    cost alone is what every business traveller does. It needs the same-night-rooms /
    same-day-tickets evidence before it can be switched on.
    """
    p = ctx.params["third_party_travel_payment"]
    ev = ctx.ev
    category = np.full(len(ev), -1, np.int64)
    for code, mccs in enumerate(TRAVEL_CATEGORIES):
        category[_mcc_flag(ev, mccs)] = code
    return distinct_count_rule(
        ctx,
        "third_party_travel_payment",
        category >= 0,
        category,
        len(TRAVEL_CATEGORIES),
        p["window_days"],
        p["min_categories"],
        p["min_categories"],
        "travel and subsistence payments",
        "kinds of cost (lodging, tickets, rides, subsistence)",
    )


@rule("luxury_integration", needs=("accounts", "parties"))
def luxury_integration(ctx: Context) -> list[Hit]:
    """Cars, jewellery and gambling out of proportion to the holder's declared income."""
    p = ctx.params["luxury_integration"]
    ev = ctx.ev
    income = dict(
        ctx.kyc["parties"].select("party_id", "declared_monthly_income").drop_nulls().iter_rows()
    )
    if not income:
        raise NotEvaluated("no declared incomes in the KYC customers")
    holder = dict(ctx.kyc["accounts"].select("account_id", "holder_id").iter_rows())
    flag = _mcc_flag(ev, LUXURY)
    w = int(p["window_days"] * DAY)
    total, at = window_sum_max(ev.offsets, ev.ts, ev.amount, flag, w)
    hits = []
    for a in np.flatnonzero(total > 0):
        inc = income.get(holder.get(ev.accounts[a], ""))
        if inc and total[a] > p["income_multiple"] * inc:
            hits.append(
                Hit(
                    int(a),
                    "luxury_integration",
                    float(total[a]),
                    p["income_multiple"] * inc,
                    f"{p['window_days']:g} days",
                    _window_evidence(ev, int(a), int(at[a]), flag, w),
                    f"{total[a]:,.2f} on cars, jewellery or gambling within "
                    f"{p['window_days']:g} days against a declared monthly income of "
                    f"{inc:,.2f}",
                )
            )
    return hits


@rule("cash_no_ach")
def cash_no_ach(ctx: Context) -> list[Hit]:
    """Frequent cash deposits and not one automated (ACH/SEPA) payment in the window."""
    p = ctx.params["cash_no_ach"]
    ev = ctx.ev
    found = count_rule(
        ctx, "cash_no_ach", _cash_in(ev), p["window_days"], p["min_deposits"], "cash deposits"
    )
    ach = ev.col("channel").is_in(["ach", "sepa"]).fill_null(False).to_numpy()
    kept = []
    for h in found:
        lo, hi = ev.offsets[h.account], ev.offsets[h.account + 1]
        if not ach[lo:hi].any():
            h.detail += "; no ACH/SEPA payment in the account's whole history"
            kept.append(h)
    return kept


@rule("subsistence_spend")
def subsistence_spend(ctx: Context) -> list[Hit]:
    """Subsistence purchases above the peer quantile (peers: accounts with such purchases)."""
    p = ctx.params["subsistence_spend"]
    ev = ctx.ev
    flag = _mcc_flag(ev, SUBSISTENCE)
    w = int(p["window_days"] * DAY)
    best, at = window_count_max(ev.offsets, ev.ts, flag, w)
    peers = best[best > 0]
    if len(peers) < 20:
        raise NotEvaluated("fewer than 20 accounts with subsistence purchases to compare with")
    thr = float(np.quantile(peers, p["peer_quantile"]))
    return [
        Hit(
            int(a),
            "subsistence_spend",
            float(best[a]),
            thr,
            f"{p['window_days']:g} days",
            _window_evidence(ev, int(a), int(at[a]), flag, w),
            f"{best[a]} fast-food, pharmacy, clothing or cosmetics purchases within "
            f"{p['window_days']:g} days; peers' {p['peer_quantile']:.0%} quantile is {thr:g}",
        )
        for a in np.flatnonzero(best > thr)
    ]


# ----------------------------------------------------------------------------- transfer structures
def _transfers(ev: Events) -> np.ndarray:
    """Event indices of transfers out of an account to a known account (the transfer graph)."""
    idx: np.ndarray = np.flatnonzero(ev.outflow & (ev.counterparty >= 0))
    return idx


@rule("short_cycle")
def short_cycle(ctx: Context) -> list[Hit]:
    """Money that leaves an account and comes back through others within the window."""
    p = ctx.params["short_cycle"]
    ev = ctx.ev
    idx = _transfers(ev)
    indptr, targets, times, order = build_csr(
        ev.account[idx], ev.counterparty[idx], ev.ts[idx], len(ev.accounts)
    )
    found, path = short_cycles(
        indptr,
        targets,
        times,
        ev.amount[idx][order],
        int(p["max_length"]),
        int(p["window_days"] * DAY),
        float(p["min_return_share"]),
        MAX_CYCLE_STEPS,
    )
    hits = []
    for s in np.flatnonzero(found):
        edges = path[s][path[s] >= 0]
        route = [ev.accounts[s]] + [ev.accounts[t] for t in targets[edges]]
        hits.append(
            Hit(
                int(s),
                "short_cycle",
                float(len(edges)),
                float(p["max_length"]),
                f"{p['window_days']:g} days",
                ev.refs(idx[order[edges]]),
                f"money went round {' → '.join(route)} in {len(edges)} transfers "
                f"within {p['window_days']:g} days",
            )
        )
    return hits


@rule("scatter_gather")
def scatter_gather(ctx: Context) -> list[Hit]:
    """One source pays several intermediaries, which each pay one destination soon after."""
    p = ctx.params["scatter_gather"]
    ev = ctx.ev
    idx = _transfers(ev)
    edges = pl.DataFrame(
        {
            "a": ev.account[idx],
            "b": ev.counterparty[idx],
            "t": ev.ts[idx],
            "x": ev.amount[idx],
            "e": idx,
        }
    )
    deg = (
        edges.group_by("b")
        .len()
        .rename({"b": "i", "len": "indeg"})
        .join(edges.group_by("a").len().rename({"a": "i", "len": "outdeg"}), on="i")
    )
    # hubs (employers, payroll bureaus) are not intermediaries of a split; bounds the join
    mids = deg.filter(pl.col("indeg") * pl.col("outdeg") <= MAX_INTERMEDIARY_PAIRS)["i"]
    w = int(p["window_days"] * DAY)
    legs = (
        edges.filter(pl.col("b").is_in(mids.implode()))
        .rename({"a": "s", "b": "i", "t": "t1", "x": "x1", "e": "e1"})
        .join(edges.rename({"a": "i", "b": "d", "t": "t2", "x": "x2", "e": "e2"}), on="i")
        .filter(
            (pl.col("t2") > pl.col("t1"))
            & (pl.col("t2") - pl.col("t1") <= w)
            & (pl.col("s") != pl.col("d"))
            & (pl.col("s") != pl.col("i"))
            & (pl.col("i") != pl.col("d"))
            # money passing through: the intermediary pays on most of what it received
            & (pl.col("x2") >= p["min_pass_share"] * pl.col("x1"))
        )
    )
    pairs = (
        legs.group_by("s", "d")
        .agg(pl.col("i").n_unique().alias("n"), pl.col("e1"), pl.col("e2"))
        .filter(pl.col("n") >= p["min_intermediaries"])
    )
    hits = []
    for s, d, n, e1, e2 in pairs.iter_rows():
        refs = ev.refs(np.unique(np.array(e1 + e2)))
        detail = (
            f"{ev.accounts[s]} paid {n} intermediaries who paid {ev.accounts[d]} within "
            f"{p['window_days']:g} days"
        )
        for acc in (s, d):
            hits.append(
                Hit(
                    int(acc),
                    "scatter_gather",
                    float(n),
                    p["min_intermediaries"],
                    f"{p['window_days']:g} days",
                    refs,
                    detail,
                )
            )
    return hits


@rule("gather_scatter")
def gather_scatter(ctx: Context) -> list[Hit]:
    """Many senders into one account, which then pays many payees within the window."""
    p = ctx.params["gather_scatter"]
    ev = ctx.ev
    w = int(p["window_days"] * DAY)
    n_acc = max(len(ev.accounts), 1)
    inflow = (~ev.outflow) & (ev.counterparty >= 0)
    outflow = ev.outflow & (ev.counterparty >= 0)
    senders, at_in = window_distinct_max(ev.offsets, ev.ts, inflow, ev.counterparty, n_acc, w)
    payees, at_out = window_distinct_max(ev.offsets, ev.ts, outflow, ev.counterparty, n_acc, w)
    hits = []
    for a in np.flatnonzero((senders >= p["min_in"]) & (payees >= p["min_out"])):
        gap = ev.ts[at_out[a]] - ev.ts[at_in[a]]
        if not 0 <= gap <= w:  # the paying out must follow the gathering
            continue
        refs = _window_evidence(ev, int(a), int(at_in[a]), inflow, w) + _window_evidence(
            ev, int(a), int(at_out[a]), outflow, w
        )
        hits.append(
            Hit(
                int(a),
                "gather_scatter",
                float(min(senders[a], payees[a])),
                float(min(p["min_in"], p["min_out"])),
                f"{p['window_days']:g} days",
                refs,
                f"{senders[a]} senders gathered, then {payees[a]} payees paid, "
                f"within {p['window_days']:g} days",
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
            and t
            in (
                "transactions",
                "card_transactions",
                "accounts",
                "identifiers",
                "parties",
                "intel_links",
            )
        ]
        if missing:
            status[ind_id] = f"not evaluated: no {', '.join(missing)} in this case"
            continue
        try:
            found = RULES[ind_id](ctx)
        except NotEvaluated as why:
            status[ind_id] = f"not evaluated: {why}"
            continue
        status[ind_id] = f"evaluated: fired on {len(found)} account(s)"
        hits.extend(found)
    return hits, status
