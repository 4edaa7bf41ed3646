"""Indicators on business accounts: front businesses and businesses that keep their workers.

Both compare a company's account with what its line of business (KYC ``occupation`` and
``business_mcc``) explains. Pair- and peer-level computations in Polars over the event arrays.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.screening.engine import LODGING, Context, EventRefs, Hit, _cash_in, count_rule, rule

# What keeping people costs: lodging and long-term rentals, vehicle rental, groceries
# (Visa MDSM titles, research/indicators.md §2)
SUSTENANCE_MCC = {*LODGING, 6513, *range(3351, 3442), 7512, 5411}
SUSTENANCE_WORDS = (
    "accommodation",
    "lodging",
    "hotel",
    "hostel",
    "housing",
    "real estate",
    "rental",
    "landlord",
    "grocery",
    "supermarket",
    "car rental",
)


def _companies(ctx: Context) -> pl.DataFrame:
    """Account code, holder, occupation and business MCC of every company-held account."""
    code = {a: i for i, a in enumerate(ctx.ev.accounts)}
    parties = ctx.kyc["parties"].filter(pl.col("kind").cast(pl.String) == "company")
    return (
        ctx.kyc["accounts"]
        .select("account_id", "holder_id")
        .join(
            parties.select(
                pl.col("party_id").alias("holder_id"),
                pl.col("occupation").fill_null("").str.to_lowercase(),
                pl.col("business_mcc").cast(pl.Int64),
            ),
            on="holder_id",
        )
        .filter(pl.col("account_id").is_in(list(code)))
        .with_columns(pl.col("account_id").replace_strict(code, return_dtype=pl.Int64).alias("a"))
    )


def _firm_peers(ctx: Context) -> pl.DataFrame:
    """:func:`_companies` with ``peer``: the line of business peers are compared within
    (business MCC, else occupation); companies with neither are left out."""
    return (
        _companies(ctx)
        .with_columns(
            pl.coalesce(pl.col("business_mcc").cast(pl.String), pl.col("occupation")).alias("peer")
        )
        .filter(pl.col("peer") != "")
    )


def _sustenance_business(occupation: pl.Expr, mcc: pl.Expr) -> pl.Expr:
    words = pl.any_horizontal([occupation.str.contains(w, literal=True) for w in SUSTENANCE_WORDS])
    return words | mcc.is_in(list(SUSTENANCE_MCC)).fill_null(False)


@rule("business_sustenance", needs=("accounts", "parties"))
def business_sustenance(ctx: Context) -> list[Hit]:
    """A company whose debits go, in a notable share, to lodging, housing, vehicle rental or
    groceries — card payments in those categories, or transfers to businesses whose line of
    business is one of them — when that is not its own line of business. Judged over
    consecutive periods of ``window_days`` from the first event."""
    p = ctx.params["business_sustenance"]
    ev = ctx.ev
    firms = _companies(ctx)
    own = firms.filter(~_sustenance_business(pl.col("occupation"), pl.col("business_mcc")))
    keepers = firms.filter(_sustenance_business(pl.col("occupation"), pl.col("business_mcc")))
    out_idx = np.flatnonzero(ev.outflow & np.isin(ev.account, own["a"].to_numpy()))
    if len(out_idx) == 0:
        return []
    to_keeper = np.isin(ev.counterparty[out_idx], keepers["a"].to_numpy())
    by_mcc = np.isin(ev.mcc[out_idx], np.fromiter(SUSTENANCE_MCC, np.int64))
    period = int(p["window_days"] * 86_400)
    t0 = ev.case_start()
    debits = pl.DataFrame(
        {
            "a": ev.account[out_idx],
            "x": ev.amount[out_idx],
            "e": out_idx,
            "keep": to_keeper | by_mcc,
            "period": (ev.ts[out_idx] - t0) // period,
        }
    )
    per = (
        debits.group_by("a", "period")
        .agg(
            pl.col("x").sum().alias("all"),
            pl.col("x").filter(pl.col("keep")).sum().alias("kept"),
            pl.col("e").filter(pl.col("keep")).alias("ev"),
        )
        .filter((pl.col("kept") > 0) & (pl.col("kept") >= p["min_share"] * pl.col("all")))
        .sort("a", "kept", descending=[False, True])
        .unique("a", keep="first")
        .sort("a")
    )
    return [
        Hit(
            int(a),
            "business_sustenance",
            round(kept / total, 4),
            float(p["min_share"]),
            f"{p['window_days']:g} days",
            EventRefs(np.array(evs[:50])),
            f"{kept / total:.0%} of the company's debits ({kept:,.2f}) went to lodging, housing, "
            "vehicle rental or groceries, outside its own line of business",
        )
        for a, _period, total, kept, evs in per.iter_rows()
    ]


@rule("front_business", needs=("accounts", "parties"))
def front_business(ctx: Context) -> list[Hit]:
    """A massage, nail, hair, escort or hospitality business whose share of cash among its
    credits is above the ``peer_quantile`` of businesses of the same kind (same business MCC,
    else same occupation), or which shares its owner or address with ``min_shared`` other such
    businesses."""
    p = ctx.params["front_business"]
    ev = ctx.ev
    firms = _companies(ctx).with_columns(
        pl.coalesce(pl.col("business_mcc").cast(pl.String), pl.col("occupation")).alias("peer")
    )
    venues = firms.filter(
        pl.col("business_mcc").is_in([7297, 7298, 7230, 7273, 5813, 5812, 7011]).fill_null(False)
        | pl.col("occupation").str.contains("massage|nail|hair|beauty|escort|bar|restaurant")
    )
    credit = ~ev.outflow
    cash = _cash_in(ev)
    frame = pl.DataFrame({"a": ev.account[credit], "x": ev.amount[credit], "cash": cash[credit]})
    shares = (
        frame.group_by("a")
        .agg(pl.col("x").filter(pl.col("cash")).sum().alias("cash"), pl.col("x").sum().alias("all"))
        .with_columns((pl.col("cash") / pl.col("all")).alias("share"))
        .join(venues.select("a", "peer", "holder_id"), on="a")
        .with_columns(
            pl.col("share").quantile(p["peer_quantile"], "linear").over("peer").alias("q"),
            pl.len().over("peer").alias("peers"),
        )
    )
    hits = []
    for a, cash_sum, total, share, peer, _h, q, peers in (
        shares.filter(
            (pl.col("peers") >= 5) & (pl.col("share") > pl.col("q")) & (pl.col("cash") > 0)
        )
        .sort("a")
        .iter_rows()
    ):
        lo, hi = ev.offsets[a], ev.offsets[a + 1]
        idx = np.flatnonzero(cash[lo:hi]) + lo
        hits.append(
            Hit(
                int(a),
                "front_business",
                round(share, 4),
                round(q, 4),
                f"case period, {peers} peers ({peer})",
                EventRefs(idx[:50]),
                f"{share:.0%} of credits in cash ({cash_sum:,.2f} of {total:,.2f}), above the "
                f"p{p['peer_quantile'] * 100:g} of {peers} businesses of the same kind ({q:.0%})",
            )
        )
    if "identifiers" in ctx.kyc:  # owners or addresses shared by several such businesses
        ident = ctx.kyc["identifiers"].filter(pl.col("kind").cast(pl.String) == "address")
        shared = (
            ident.join(venues.select(pl.col("holder_id").alias("owner_id"), "a"), on="owner_id")
            .group_by("value")
            .agg(pl.col("a").unique())
            .filter(pl.col("a").list.len() > p["min_shared"])
        )
        for value, accs in shared.iter_rows():
            for a in accs:
                hits.append(
                    Hit(
                        int(a),
                        "front_business",
                        float(len(accs) - 1),
                        float(p["min_shared"]),
                        "KYC addresses",
                        [f"address:{value}"],
                        f"address shared with {len(accs) - 1} other businesses of this kind",
                    )
                )
    return hits


PROCESSOR_WORDS = (
    "payment processor",
    "payment service",
    "payment institution",
    "money transfer",
    "money remitter",
    "psp",
)


@rule("tppp_opacity", needs=("accounts", "parties"))
def tppp_opacity(ctx: Context) -> list[Hit]:
    """Frequent payments sent through third-party payment processors (counterparties whose KYC
    line of business is a payment processor, payment institution or money transfer service),
    which hide the real beneficiary. Settlements *from* processors (a merchant's card takings)
    do not count."""
    p = ctx.params["tppp_opacity"]
    ev = ctx.ev
    firms = _companies(ctx)
    words = "|".join(PROCESSOR_WORDS)
    processors = firms.filter(pl.col("occupation").str.contains(words))["a"].to_numpy()
    flag = ev.outflow & (ev.counterparty >= 0) & np.isin(ev.counterparty, processors)
    return count_rule(
        ctx,
        "tppp_opacity",
        flag,
        p["window_days"],
        p["min_wires"],
        "payments through third-party payment processors",
    )


@rule("low_payroll_business", needs=("accounts", "parties"))
def low_payroll_business(ctx: Context) -> list[Hit]:
    """A company whose payroll is small for its revenue compared with companies in the same
    line of business: payroll / revenue below the ``peer_quantile`` of its peers (at least five
    companies with revenue), in its busiest period of ``window_days``."""
    p = ctx.params["low_payroll_business"]
    ev = ctx.ev
    firms = _firm_peers(ctx)
    mine = np.isin(ev.account, firms["a"].to_numpy())
    payroll = ev.is_in("channel", ["payroll"])
    revenue = mine & ~ev.outflow
    paid = mine & ev.outflow & payroll
    period = int(p["window_days"] * 86_400)
    t0 = ev.case_start()
    idx = np.flatnonzero(revenue | paid)
    frame = pl.DataFrame(
        {
            "a": ev.account[idx],
            "x": ev.amount[idx],
            "e": idx,
            "pay": paid[idx],
            "period": (ev.ts[idx] - t0) // period,
        }
    )
    per = (
        frame.group_by("a", "period")
        .agg(
            pl.col("x").filter(~pl.col("pay")).sum().alias("revenue"),
            pl.col("x").filter(pl.col("pay")).sum().alias("payroll"),
            pl.col("e").filter(~pl.col("pay")).alias("ev"),
        )
        .filter(pl.col("revenue") > 0)
        .sort("a", "revenue", descending=[False, True])
        .unique("a", keep="first")
        .with_columns((pl.col("payroll") / pl.col("revenue")).alias("ratio"))
        .join(firms.select("a", "peer"), on="a")
        .with_columns(
            pl.col("ratio").quantile(p["peer_quantile"], "linear").over("peer").alias("q"),
            pl.len().over("peer").alias("peers"),
        )
        .filter((pl.col("peers") >= 5) & (pl.col("ratio") < pl.col("q")))
        .sort("a")
    )
    return [
        Hit(
            int(a),
            "low_payroll_business",
            round(ratio, 4),
            round(q, 4),
            f"{p['window_days']:g} days, {peers} peers ({peer})",
            EventRefs(np.array(evs[:50])),
            f"payroll {payroll:,.2f} on revenue {revenue:,.2f} ({ratio:.1%}), below the "
            f"p{p['peer_quantile'] * 100:g} of {peers} companies of the same kind ({q:.1%})",
        )
        for a, _period, revenue, payroll, evs, ratio, peer, q, peers in per.iter_rows()
    ]


@rule("offhours_cash_business", needs=("accounts", "parties"))
def offhours_cash_business(ctx: Context) -> list[Hit]:
    """A company whose money comes in mostly outside business hours (local time), almost all in
    cash, and more of it than the median of companies in the same line of business (at least
    five with inflows): ``peer_multiple`` × their median. The KYC records carry no declared
    opening hours, so ``open_hour``–``close_hour`` stands in for them."""
    p = ctx.params["offhours_cash_business"]
    ev = ctx.ev
    firms = _firm_peers(ctx)
    idx = np.flatnonzero(np.isin(ev.account, firms["a"].to_numpy()) & ~ev.outflow)
    if len(idx) == 0:
        return []
    local = ev.ts[idx] + 60 * ev.numbers("offset_min", 0)[idx]
    hour = (local // 3600) % 24
    off = (hour < p["open_hour"]) | (hour >= p["close_hour"])
    cash = _cash_in(ev)[idx]
    per = (
        pl.DataFrame(
            {"a": ev.account[idx], "x": ev.amount[idx], "off": off, "cash": cash, "e": idx}
        )
        .group_by("a")
        .agg(
            pl.col("off").mean().alias("off_share"),
            pl.col("cash").mean().alias("cash_share"),
            pl.col("x").sum().alias("total"),
            pl.col("e").filter(pl.col("off") & pl.col("cash")).head(50).alias("ev"),
        )
        .join(firms.select("a", "peer"), on="a")
        .with_columns(
            pl.col("total").median().over("peer").alias("median"),
            pl.len().over("peer").alias("peers"),
        )
        .filter(
            (pl.col("peers") >= 5)
            & (pl.col("off_share") >= p["min_offhours_share"])
            & (pl.col("cash_share") >= p["min_cash_share"])
            & (pl.col("total") >= p["peer_multiple"] * pl.col("median"))
        )
        .sort("a")
    )
    return [
        Hit(
            int(a),
            "offhours_cash_business",
            round(off_share, 4),
            p["min_offhours_share"],
            f"case period, {p['close_hour']:g}:00–{p['open_hour']:g}:00 local time",
            EventRefs(np.array(evs)),
            f"{off_share:.0%} of inflows outside {p['open_hour']:g}:00–{p['close_hour']:g}:00, "
            f"{cash_share:.0%} in cash; inflows {total:,.2f} = {total / median:.1f} × the median "
            f"of {peers} companies of the same kind ({peer})",
        )
        for a, off_share, cash_share, total, evs, peer, median, peers in per.iter_rows()
    ]
