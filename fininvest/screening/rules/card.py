"""Indicators on card and payment-processor records (merchant categories, cities)."""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.screening.engine import (
    DAY,
    LODGING,
    TICKETS,
    Context,
    EventRefs,
    Hit,
    NotEvaluated,
    _accounts_of_parties,
    _cash_in,
    _mcc_flag,
    _window_evidence,
    count_rule,
    distinct_count_rule,
    holder_kinds,
    rule,
)
from fininvest.screening.kernels import window_count_max, window_distinct_max, window_sum_max

RIDE_SHARE = {4121}
#: what one payer may cover for others on a journey, in the order of the explanation
TRAVEL_KINDS = ("lodging", "tickets", "ride-share", "subsistence")


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
        _mcc_flag(ctx.ev, RIDE_SHARE),
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


SUBSISTENCE = {5814, 5812, 5912, 5977, 5631, 5621, 5411}
GIFT_CARD_SELLERS = {5411, 5499, 5311, 6540}
LUXURY = {5511, 5944, 7995}


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
    ach = ev.is_in("channel", ["ach", "sepa"])
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


@rule("third_party_travel_payment", needs=("accounts", "parties"))
def third_party_travel_payment(ctx: Context) -> list[Hit]:
    """One payer covering travel and lodging for other people (FinCEN FIN-2020-A008 p.7,
    FIN-2014-A008; FINTRAC 2016): lodging in several cities and travel of several kinds
    (lodging, tickets, ride-share, subsistence), each within a window, spent beyond what fits
    the payer's work.

    "Fits the payer's work": companies (an employer's reimbursements, clients) paid the
    account at least ``covered_share`` of its travel spend over the case period, as they do
    for business travellers. The lodging condition runs first (lodging payments are few),
    the others only on the accounts that met it.
    """
    p = ctx.params["third_party_travel_payment"]
    ev = ctx.ev
    ind = "third_party_travel_payment"
    lodging = _mcc_flag(ev, LODGING)
    cities = {
        h.account: h
        for h in distinct_count_rule(
            ctx,
            ind,
            lodging,
            ev.city,
            len(ev.cities),
            p["window_days"],
            p["min_lodging_cities"],
            p["min_lodging_cities"],
            "lodging payments",
            "cities",
        )  # fmt: skip
    }
    if not cities:
        return []
    payer = np.zeros(len(ev.accounts), np.bool_)
    payer[list(cities)] = True
    kinds = [lodging, _mcc_flag(ev, TICKETS), _mcc_flag(ev, RIDE_SHARE), _mcc_flag(ev, SUBSISTENCE)]
    travel = np.logical_or.reduce(kinds) & payer[ev.account]
    _person, company = holder_kinds(ctx)
    paid_in = ~ev.outflow & (ev.counterparty >= 0) & company[np.maximum(ev.counterparty, 0)]
    n = len(ev.accounts)
    spent = np.bincount(ev.account[travel], weights=ev.amount[travel], minlength=n)
    covered = np.bincount(ev.account[paid_in], weights=ev.amount[paid_in], minlength=n)
    travel &= (covered < p["covered_share"] * spent)[ev.account]
    kind = np.select(kinds, list(range(len(kinds))), default=0)
    hits = distinct_count_rule(
        ctx, ind, travel, kind, len(kinds), p["window_days"], p["min_categories"],
        p["min_categories"], "payments for " + ", ".join(TRAVEL_KINDS), "kinds",
    )  # fmt: skip
    for h in hits:
        c = cities[h.account]
        assert isinstance(h.evidence, EventRefs) and isinstance(c.evidence, EventRefs)
        h.evidence = EventRefs(np.union1d(h.evidence.idx, c.evidence.idx))
        h.detail += (
            f"; {c.detail}; companies paid in {covered[h.account]:,.2f} against "
            f"{spent[h.account]:,.2f} of travel (fits the payer's work from "
            f"{p['covered_share']:.0%})"
        )
    return hits


# ----------------------------------------------------------------------------- transfer structures


@rule("lodging_deposit_colocation", needs=("card_transactions",))
def lodging_deposit_colocation(ctx: Context) -> list[Hit]:
    """Cash paid in (by the holder, into any account) in the cities where the holder books
    lodging, within a few days of the stay, across several cities in 30 days.

    Who paid the cash in: the named depositor's accounts (KYC holdings) when the deposit names
    one, else the receiving account itself. A pair-level join (stays × deposits on account and
    city), then the windowed distinct-count kernel over the matches.
    """
    p = ctx.params["lodging_deposit_colocation"]
    ev = ctx.ev
    tol = int(p["tolerance_days"] * DAY)
    stay_idx = np.flatnonzero(_mcc_flag(ev, LODGING) & (ev.city >= 0))
    cash_idx = np.flatnonzero(_cash_in(ev) & (ev.city >= 0))
    if len(stay_idx) == 0 or len(cash_idx) == 0:
        return []
    deposits = pl.DataFrame(
        {
            "dest": ev.account[cash_idx],
            "city": ev.city[cash_idx],
            "t_dep": ev.ts[cash_idx],
            "e_dep": cash_idx,
            "depositor": ev.text_at("depositor_id", cash_idx),
        }
    )
    code = {a: i for i, a in enumerate(ev.accounts)}
    if "accounts" in ctx.kyc:
        held = pl.DataFrame(
            [
                (h, code[a])
                for h, accs in _accounts_of_parties(ctx).items()
                for a in accs
                if a in code
            ],
            schema={"depositor": pl.String, "by": pl.Int64},
            orient="row",
        )
        deposits = deposits.join(held, on="depositor", how="left")
    else:
        deposits = deposits.with_columns(pl.lit(None, pl.Int64).alias("by"))
    deposits = deposits.with_columns(pl.col("by").fill_null(pl.col("dest")))
    stays = pl.DataFrame(
        {
            "by": ev.account[stay_idx],
            "city": ev.city[stay_idx],
            "t": ev.ts[stay_idx],
            "e_stay": stay_idx,
        }
    )
    matches = (
        stays.join(deposits, on=["by", "city"])
        .filter((pl.col("t_dep") - pl.col("t")).abs() <= tol)
        .sort("by", "t_dep")
    )
    if matches.height == 0:
        return []
    acc = matches["by"].to_numpy()
    offsets = np.searchsorted(acc, np.arange(len(ev.accounts) + 1)).astype(np.int64)
    ts = matches["t_dep"].to_numpy()
    best, at = window_distinct_max(
        offsets,
        ts,
        np.ones(len(ts), np.bool_),
        matches["city"].to_numpy(),
        len(ev.cities),
        30 * DAY,
    )
    hits = []
    for a in np.flatnonzero(best >= p["min_cities"]):
        rows = matches.slice(int(offsets[a]), int(offsets[a + 1] - offsets[a])).filter(
            (pl.col("t_dep") <= ts[at[a]]) & (pl.col("t_dep") > ts[at[a]] - 30 * DAY)
        )
        refs = EventRefs(
            np.unique(np.concatenate([rows["e_stay"].to_numpy(), rows["e_dep"].to_numpy()]))
        )
        cities = sorted({ev.cities[c] for c in rows["city"].to_list()})
        hits.append(
            Hit(
                int(a),
                "lodging_deposit_colocation",
                float(best[a]),
                float(p["min_cities"]),
                f"30 days / ±{p['tolerance_days']:g} days",
                refs,
                f"cash paid in within {p['tolerance_days']:g} days of lodging booked in the same "
                f"city, in {best[a]} cities ({', '.join(cities)})",
            )
        )
    return hits


@rule("after_hours_venue_card", needs=("card_transactions",))
def after_hours_venue_card(ctx: Context) -> list[Hit]:
    """Venues (massage parlours, nail salons, bars) taking a large share of their card payments
    at night, local time (UTC time plus the record's own offset). Merchant level: the alert is
    on the merchant id, and its evidence is the night payments."""
    p = ctx.params["after_hours_venue_card"]
    card = ctx.kyc["card_transactions"].filter(pl.col("mcc").is_in(list(p["mccs"])))
    start, end = int(p["night_start_hour"]), int(p["night_end_hour"])
    local_hour = (
        pl.col("ts") + pl.duration(minutes=pl.col("ts_offset_min").fill_null(0))
    ).dt.hour()
    night = (
        (local_hour >= start) | (local_hour < end)
        if start > end
        else (local_hour >= start) & (local_hour < end)
    )
    per_merchant = (
        card.with_columns(night.alias("night"))
        .group_by("merchant_id")
        .agg(
            pl.len().alias("n"),
            pl.col("night").sum().alias("at_night"),
            pl.col("merchant_name").first(),
            pl.col("txn_id").filter(pl.col("night")).sort().alias("evidence"),
        )
        .filter(
            (pl.col("n") >= p["min_payments"])
            & (pl.col("at_night") >= p["min_night_share"] * pl.col("n"))
        )
        .sort("merchant_id")
    )
    return [
        Hit(
            -1,
            "after_hours_venue_card",
            round(at_night / n, 4),
            float(p["min_night_share"]),
            f"{start:02d}:00–{end:02d}:00 local",
            evidence,
            f"{name or merchant}: {at_night} of {n} card payments between {start:02d}:00 and "
            f"{end:02d}:00 local time",
            entity=merchant,
            entity_kind="merchant",
        )
        for merchant, n, at_night, name, evidence in per_merchant.iter_rows()
    ]


FOOD = {5812, 5814}  # restaurants (incl. food delivery), fast food — Visa MDSM titles


@rule("provisioning_food", needs=("card_transactions",))
def provisioning_food(ctx: Context) -> list[Hit]:
    """Days with at least two restaurant or fast-food orders, many times in the window.

    Each day that has a second food order contributes one flagged event (that second order),
    so the windowed count kernel counts qualifying days.
    """
    p = ctx.params["provisioning_food"]
    ev = ctx.ev
    food = np.flatnonzero(_mcc_flag(ev, FOOD))
    second = np.zeros(len(ev), np.bool_)
    if len(food):
        rank = (
            pl.DataFrame({"a": ev.account[food], "day": ev.ts[food] // DAY})
            .select(pl.int_range(pl.len()).over("a", "day").alias("k"))["k"]
            .to_numpy()
        )
        second[food[rank == 1]] = True
    return count_rule(
        ctx,
        "provisioning_food",
        second,
        p["window_days"],
        p["min_days"],
        "days with two or more food orders",
    )


@rule("geo_mobility", needs=("card_transactions", "accounts", "parties"))
def geo_mobility(ctx: Context) -> list[Hit]:
    """Card payments in many different cities outside the holder's country of residence."""
    p = ctx.params["geo_mobility"]
    ev = ctx.ev
    code = {a: i for i, a in enumerate(ev.accounts)}
    country, countries = ev.codes("country")
    country_code = {c: i for i, c in enumerate(countries)}
    residence = np.full(len(ev.accounts), -3, np.int64)  # −3: unknown home
    homes = ctx.kyc["accounts"].join(
        ctx.kyc["parties"].select(pl.col("party_id").alias("holder_id"), "residence_country"),
        on="holder_id",
    )
    for account, home in homes.select("account_id", "residence_country").iter_rows():
        if account in code and home is not None:  # −2: a country no payment was made in
            residence[code[account]] = country_code.get(str(home), -2)
    home = residence[ev.account]
    abroad = (ev.mcc >= 0) & ev.outflow & (ev.city >= 0) & (home != -3) & (country != home)
    return distinct_count_rule(
        ctx,
        "geo_mobility",
        abroad.astype(np.bool_),
        ev.city,
        len(ev.cities),
        p["window_days"],
        p["min_cities"],
        p["min_cities"],
        "card payments outside the country of residence",
        "cities",
    )
