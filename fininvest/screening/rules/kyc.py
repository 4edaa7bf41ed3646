"""Indicators on KYC and intelligence: third-party control, shared identifiers, ads."""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.screening.engine import (
    Context,
    Hit,
    _accounts_of_parties,
    _inflow_refs,
    _pass_through,
    rule,
)
from fininvest.screening.graph_kernels import connected_components
from fininvest.screening.kernels import top_counterparty


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


@rule("swept_to_third_party", shares=("pass_through",))
def swept_to_third_party(ctx: Context) -> list[Hit]:
    """Most inflows passed on to one counterparty soon after (an account run by someone else).
    A counterparty held by the account's own holder (KYC) is no third party: a controller's
    funnel swept to its owner's account is not a victim's account."""
    p = ctx.params["swept_to_third_party"]
    ev = ctx.ev
    ratio, _ = _pass_through(ev, p["within_hours"])
    swept = np.nan_to_num(ratio) >= p["min_share"]
    # only the accounts that pass most inflows on can fire: their outflows by counterparty
    top, top_amt, all_amt = top_counterparty(
        ev.offsets, ev.outflow & swept[ev.account], ev.counterparty, ev.amount,
        max(len(ev.accounts), 1),
    )  # fmt: skip
    fired = np.flatnonzero(
        swept & (top >= 0) & (all_amt > 0) & (top_amt >= p["min_share"] * all_amt)
    )
    if "accounts" in ctx.kyc:  # swept to an account of its own holder: no third party
        name = ev.accounts
        wanted = {name[a] for a in fired.tolist()} | {name[top[a]] for a in fired.tolist()}
        holder = dict(
            ctx.kyc["accounts"]
            .filter(pl.col("account_id").is_in(sorted(wanted)))
            .select("account_id", "holder_id")
            .iter_rows()
        )
        fired = np.array(
            [
                a
                for a in fired.tolist()
                if holder.get(name[a]) is None or holder.get(name[a]) != holder.get(name[top[a]])
            ],
            np.int64,
        )
    return [
        Hit(
            int(a),
            "swept_to_third_party",
            float(ratio[a]),
            p["min_share"],
            f"{p['within_hours']:g} hours",
            _inflow_refs(ev, int(a)),
            f"{ratio[a]:.0%} of inflows passed on within {p['within_hours']:g} "
            f"hours, {top_amt[a] / all_amt[a]:.0%} of outflows to {ev.accounts[top[a]]}",
        )
        for a in fired
    ]


@rule("shared_identifier_cluster", needs=("accounts", "identifiers"))
def shared_identifier_cluster(ctx: Context) -> list[Hit]:
    """Phones, e-mails, addresses, devices or IPs used by several apparently unrelated parties.

    Fires on the accounts of the parties of an identifier shared by ``min_accounts`` or more;
    the explanation names the whole cluster those parties belong to: the connected component
    of the party–identifier graph (union-find kernel, checked against networkx), which links
    parties through chains of shared identifiers.
    """
    p = ctx.params["shared_identifier_cluster"]
    ident = ctx.kyc["identifiers"].select(pl.col("kind").cast(pl.String), "value", "owner_id")
    by_identifier = ident.group_by("kind", "value").agg(pl.col("owner_id").unique().sort())
    owners = sorted(ident["owner_id"].unique().to_list())
    node = {o: i for i, o in enumerate(owners)}
    a, b = [], []
    for _k, _v, members in by_identifier.filter(pl.col("owner_id").list.len() > 1).iter_rows():
        first = node[members[0]]
        for m in members[1:]:
            a.append(first)
            b.append(node[m])
    label = connected_components(len(owners), np.array(a, np.int64), np.array(b, np.int64))
    size = np.bincount(label, minlength=len(owners)) if len(owners) else np.zeros(0, np.int64)
    links: dict[int, list[str]] = {}
    for kind, value, members in by_identifier.iter_rows():
        if len(members) > 1:
            links.setdefault(int(label[node[members[0]]]), []).append(f"{kind}:{value}")
    shared = by_identifier.filter(pl.col("owner_id").list.len() >= p["min_accounts"])
    by_party = _accounts_of_parties(ctx)
    code = {acc: i for i, acc in enumerate(ctx.ev.accounts)}
    hits = []
    for kind, value, members in shared.iter_rows():
        comp = int(label[node[members[0]]])
        others = [x for x in links[comp] if x != f"{kind}:{value}"][:20]
        for acc in (x for o in members for x in by_party.get(o, [o]) if x in code):
            hits.append(
                Hit(
                    code[acc],
                    "shared_identifier_cluster",
                    float(len(members)),
                    float(p["min_accounts"]),
                    "KYC identifiers",
                    [f"{kind}:{value}"] + [f"party:{o}" for o in members] + others,
                    f"{kind} {value} is used by {len(members)} parties, part of a cluster of "
                    f"{size[comp]} parties linked by {len(links[comp])} shared identifiers",
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
