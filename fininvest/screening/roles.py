"""Roles from the victims outward: who controls the possible victims.

The victim safeguard (:func:`fininvest.screening.scoring.classify`) finds the accounts that look
run by someone else. This stage looks from each of them outward, at what the sources call
control (FinCEN FIN-2020-A008 p.4, p.6; AUSTRAC 2022; FinCEN FIN-2014-A008): who opened their
accounts, who receives their money, who shares their phones, e-mails and addresses, who pays
their wages that then go back to the payer's side, and who intelligence names as controlling,
recruiting, transporting, exploiting or paying them. A party linked so to ``min_victims`` or
more possible victims, one of them at least by a one-way link (sharing identifiers is
symmetric: the victims share them among themselves too), is a *controller*; the
``victim_control`` indicator fires on every account it holds. The links of the companies a
person owns or directs and of the people who own or direct a company (one hop of ``owns`` /
``director_of`` intelligence) count as its own: the subcontractor, the housing company and
the people behind them are ranked as one finding.

An account held by a controller is never a possible victim (its own funnel looks swept to its
owner, but the owner is no third party).

Complexity: linear in the events of the possible victims and of the accounts they pay,
plus the identifiers and intelligence records that touch them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from fininvest.indicators.catalogue import Indicator
from fininvest.screening.engine import Hit
from fininvest.screening.events import Events
from fininvest.screening.scoring import possible_victims

INDICATOR = "victim_control"
DAY = 86_400
#: how each kind of link reads in a sentence, in the order sentences list them; all but
#: "wages" are control (paying someone's wages alone is employment, not control)
KINDS = {
    "opened": "opened {n} of their accounts",
    "receives": "receives most of the money of {n}",
    "regular": "is paid by {n} of them month after month",
    "wages_returned": "pays the wages of {n} of them, which go back to its side",
    "identifiers": "shares phones, e-mails or addresses with {n}",
    "intelligence": "is named in intelligence as controlling, recruiting, transporting, "
    "exploiting or paying {n}",
    "wages": "pays the wages of {n}",
}
CONTROL = set(KINDS) - {"wages"}
#: the links that point one way, from a controller to a victim
ONE_WAY = CONTROL - {"identifiers"}
#: intelligence relations that are control of a person (subject over object)
CONTROL_RELATIONS = ("controlled", "exploited", "recruited", "transported", "paid")
#: intelligence relations that tie a person to a company it stands behind
OWNERSHIP_RELATIONS = ("owns", "director_of")
#: the money rows this stage reads: transfers between two accounts
MONEY_COLUMNS = {"ref": pl.String, "ts": pl.Int64, "payer": pl.String, "payee": pl.String,
                 "amount": pl.Float64, "channel": pl.String}  # fmt: skip
#: evidence items kept per link (the explanation lists every victim; the transfers are
#: examples, ``evidence_total`` counts them all)
EVIDENCE_PER_LINK = 20

MoneyOf = Callable[[list[str]], pl.DataFrame]
#: per asked account, how many distinct other accounts paid it
PayersOf = Callable[[list[str]], dict[str, int]]


@dataclass
class Links:
    """What one party (or account without a known holder) is linked to: victim → kinds and
    the evidence of each link."""

    kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    evidence: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    via: set[str] = field(default_factory=set)

    def add(self, victim: str, kind: str, evidence: Iterable[str]) -> None:
        self.kinds[victim].add(kind)
        self.evidence[victim].extend(evidence)

    def merge(self, other: Links, via: str) -> None:
        for victim, kinds in other.kinds.items():
            self.kinds[victim] |= kinds
            self.evidence[victim].extend(other.evidence[victim])
        self.via.add(via)

    def controlled(self) -> list[str]:
        """The victims linked by control. Sharing identifiers is symmetric (the victims
        share them among themselves too): it counts only beside a one-way link."""
        if not any(kinds & ONE_WAY for kinds in self.kinds.values()):
            return []
        return sorted(v for v, kinds in self.kinds.items() if kinds & CONTROL)


def money_from_events(ev: Events) -> MoneyOf:
    """``money_of`` for :func:`control_hits` from a screen's event streams: each asked
    account's events with a known counterparty (its stretch of the streams, so a busy account
    costs its own events only), one row per transfer."""
    names: list[pl.Series] = []  # the account ids as one Series, made when first asked

    def money_of(accounts: list[str]) -> pl.DataFrame:
        code = ev.account_index()
        codes = sorted({code[a] for a in accounts if a in code})
        if not codes:
            return pl.DataFrame(schema=MONEY_COLUMNS)
        idx = np.concatenate([np.arange(ev.offsets[c], ev.offsets[c + 1]) for c in codes])
        idx = idx[ev.counterparty[idx] >= 0]
        out = ev.outflow[idx]
        own, other = ev.account[idx], ev.counterparty[idx]
        if not names:
            names.append(pl.Series(ev.accounts, dtype=pl.String))
        name = names[0]
        return (
            pl.DataFrame(
                {
                    "ref": ev.text_at("ref", idx).cast(pl.String),
                    "ts": ev.ts[idx].astype(np.int64),
                    "payer": name.gather(np.where(out, own, other)),
                    "payee": name.gather(np.where(out, other, own)),
                    "amount": ev.amount[idx].astype(np.float64),
                    "channel": ev.text_at("channel", idx).cast(pl.String),
                }
            )
            .unique(["ref", "payer", "payee"], maintain_order=True)  # both sides asked
            .select([pl.col(c).cast(t) for c, t in MONEY_COLUMNS.items()])
        )

    return money_of


def payers_from_events(ev: Events) -> PayersOf:
    """``payers_of`` for :func:`control_hits` from a screen's event streams: the distinct
    accounts that paid each asked account, counted on its own inflows (no rows are built, so
    a hub asked costs one pass over its events)."""

    def payers_of(accounts: list[str]) -> dict[str, int]:
        code = ev.account_index()
        out: dict[str, int] = {}
        for a in accounts:
            c = code.get(a)
            if c is None:
                continue
            lo, hi = ev.offsets[c], ev.offsets[c + 1]
            cp = ev.counterparty[lo:hi]
            paid_in = ~ev.outflow[lo:hi] & (cp >= 0) & (cp != c)
            out[a] = int(np.unique(cp[paid_in]).shape[0])
        return out

    return payers_of


def control_hits(
    possible_victims: set[str],
    accounts: list[str],
    kyc: dict[str, pl.DataFrame],
    money_of: MoneyOf,
    params: dict[str, Any],
    payers_of: PayersOf | None = None,
) -> list[Hit]:
    """The ``victim_control`` hits: the accounts of each party linked to at least
    ``params["min_victims"]`` of ``possible_victims`` by a control link (see :data:`KINDS`).

    Parameters
    ----------
    possible_victims : account ids the victim safeguard classified possible victim.
    accounts : the screened account ids (a hit's ``account`` is an index into it).
    kyc : the workspace's ``accounts``, ``identifiers``, ``intel_links`` tables (any missing
        table gives no links of its kind).
    money_of : transfers between two accounts touching the given accounts
        (:data:`MONEY_COLUMNS`).
    params : ``min_victims``, ``min_share``, ``min_months``, ``min_payer_share``.
    payers_of : distinct payers of the given accounts, when the caller can count them without
        building their rows (default: counted on ``money_of``'s rows).

    Returns
    -------
    One hit per account of every controller, its evidence the victims' accounts
    (``account:…``) and the records of every link.

    Examples
    --------
    >>> acc = pl.DataFrame({"account_id": ["V1", "V2", "C"], "holder_id": ["p1", "p2", "boss"],
    ...                     "opened_by": ["boss", "boss", None]})
    >>> none = lambda ids: pl.DataFrame(schema=MONEY_COLUMNS)
    >>> hits = control_hits({"V1", "V2"}, ["V1", "V2", "C"], {"accounts": acc}, none,
    ...                     {"min_victims": 2, "min_share": 0.5, "min_months": 3,
    ...                      "min_payer_share": 0.5})
    >>> [(h.account, h.observed, h.detail) for h in hits]
    [(2, 2.0, 'controls 2 possible victims (V1, V2): opened 2 of their accounts')]
    """
    if not possible_victims:
        return []
    acc = kyc.get("accounts")
    holder: dict[str, str] = (
        dict(acc.select("account_id", "holder_id").iter_rows()) if acc is not None else {}
    )
    held: dict[str, list[str]] = defaultdict(list)
    for a, h in holder.items():
        held[h].append(a)

    def party(account: str) -> str:
        return holder.get(account, account)

    victims = sorted(possible_victims)
    victim_parties = {party(v) for v in victims}
    links: dict[str, Links] = defaultdict(Links)
    if acc is not None and "opened_by" in acc.columns:
        _opened(acc, possible_victims, links)
    if "identifiers" in kyc:
        _identifiers(kyc["identifiers"], victims, party, victim_parties, links)
    _money(victims, party, money_of, params, links, payers_of)
    intel = kyc.get("intel_links")
    if intel is not None:
        _intelligence(intel, victims, party, links)
    behind = _ownership(intel) if intel is not None else {}
    code: dict[str, int] = {}  # account id → its index in ``accounts``, made when needed
    hits = []
    for key in sorted(set(links) | {n for k in links for n in behind.get(k, ())}):
        mine = Links()
        if key in links:
            mine.merge(links[key], key)
        for other in sorted(behind.get(key, ())):
            if other in links:
                mine.merge(links[other], other)
        own = set(held.get(key, [])) | {key}
        for v in own:  # a party is not its own victim
            mine.kinds.pop(v, None)
        controlled = mine.controlled()
        if len(controlled) < params["min_victims"]:
            continue
        if not code:
            code.update((a, i) for i, a in enumerate(accounts))
        for a in sorted(held.get(key) or ([key] if key in code else [])):
            hit = _hit(code.get(a, -1), key, mine, controlled, params)
            if a not in code:  # an account of the controller that moved no money
                hit.entity = a
            hits.append(hit)
    return hits


def _hit(a: int, key: str, mine: Links, controlled: list[str], params: dict[str, Any]) -> Hit:
    counts = {kind: sum(kind in mine.kinds[v] for v in controlled) for kind in KINDS}
    said = "; ".join(KINDS[k].format(n=n) for k, n in counts.items() if n)
    through = sorted(mine.via - {key})
    via = f"; through {', '.join(through)} (owns or directs, or is owned or directed by)"
    evidence = [f"account:{v}" for v in controlled]
    evidence += [e for v in controlled for e in mine.evidence[v]]
    return Hit(
        a,
        INDICATOR,
        float(len(controlled)),
        float(params["min_victims"]),
        "possible victims' accounts",
        list(dict.fromkeys(evidence)),
        f"controls {len(controlled)} possible victims ({', '.join(controlled)}): {said}"
        + (via if through else ""),
    )


def _opened(acc: pl.DataFrame, victims: set[str], links: dict[str, Links]) -> None:
    """Who opened each victim's account (a third party, not its holder)."""
    opened = acc.filter(
        pl.col("account_id").is_in(list(victims))
        & pl.col("opened_by").is_not_null()
        & (pl.col("opened_by") != pl.col("holder_id"))
    )
    for v, opener in opened.select("account_id", "opened_by").iter_rows():
        links[opener].add(v, "opened", [f"account:{v}"])


def _identifiers(
    ident: pl.DataFrame,
    victims: list[str],
    party: Callable[[str], str],
    victim_parties: set[str],
    links: dict[str, Links],
) -> None:
    """Who shares an identifier with a victim's holder (or account); other victims, who share
    them among themselves, are not their controllers."""
    rows = ident.select(pl.col("kind").cast(pl.String), "value", "owner_id")
    owners_of = rows.group_by("kind", "value").agg(pl.col("owner_id").unique())
    by_owner: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for kind, value, owner in rows.iter_rows():
        by_owner[owner].append((kind, value))
    shared = {(k, v): o for k, v, o in owners_of.iter_rows() if len(o) > 1}
    for v in victims:
        for kind, value in by_owner.get(party(v), []) + by_owner.get(v, []):
            for other in shared.get((kind, value), []):
                p = party(other)
                if p not in victim_parties:
                    links[p].add(v, "identifiers", [f"{kind}:{value}"])


def _money(
    victims: list[str],
    party: Callable[[str], str],
    money_of: MoneyOf,
    params: dict[str, Any],
    links: dict[str, Links],
    payers_of: PayersOf | None = None,
) -> None:
    """Who receives most of each victim's transfers or is paid by it month after month, who
    pays its wages, and whether those wages go back to the payer's side: to the payer itself
    or to an account the payer pays or is paid by (the housing company, the owner)."""
    rows = money_of(victims)
    if rows.is_empty():
        return
    wanted = set(victims)
    out = rows.filter(pl.col("payer").is_in(list(wanted)) & (pl.col("payer") != pl.col("payee")))
    out = out.with_columns((pl.col("ts") // (30 * DAY)).alias("month"))
    totals = out.group_by("payer").agg(pl.col("amount").sum().alias("total"))
    per_pair = (
        out.group_by("payer", "payee")
        .agg(
            pl.col("amount").sum().alias("sum"),
            pl.col("month").n_unique().alias("months"),
            pl.col("ref").sort_by("ts"),
        )
        .join(totals, on="payer")
        .filter(
            (pl.col("sum") >= params["min_share"] * pl.col("total"))
            | (pl.col("months") >= params["min_months"])
        )
        .sort("payer", "payee")
    )
    # a recipient whose payers are mostly others (a landlord, a utility, an employer's
    # bureau) is the victims' supplier, not their controller: the share of its distinct
    # payers that are victims (the victims paying it are in ``out`` already)
    candidates = sorted(set(per_pair["payee"]))
    from_victims = dict(
        out.filter(pl.col("payee").is_in(candidates))
        .group_by("payee")
        .agg(pl.col("payer").n_unique())
        .iter_rows()
    )
    if payers_of is None:
        payers_of = partial(_payers_in_rows, money_of)
    n_payers = payers_of(candidates)
    share = {r: from_victims.get(r, 0) / n for r, n in n_payers.items() if n}
    recipients: dict[str, set[str]] = defaultdict(set)
    for v, r, amount, months, refs, total in per_pair.iter_rows():
        if party(r) == party(v) or share.get(r, 0.0) < params["min_payer_share"]:
            continue
        kinds = []
        if total > 0 and amount >= params["min_share"] * total:
            kinds.append("receives")
        if months >= params["min_months"]:
            kinds.append("regular")
        for kind in kinds:
            links[party(r)].add(v, kind, refs[:EVIDENCE_PER_LINK])
        if kinds:
            recipients[v].add(r)
    wages = (
        rows.filter(
            pl.col("payee").is_in(list(wanted))
            & (pl.col("channel") == "payroll")
            & (pl.col("payer") != pl.col("payee"))
        )
        .group_by("payee", "payer")
        .agg(pl.col("ref").sort_by("ts"))
        .sort("payee", "payer")
    )
    if wages.is_empty():
        return
    employers = sorted(set(wages["payer"]))
    kept = sorted({r for rs in recipients.values() for r in rs})
    side = _dealings(money_of(kept) if kept else rows.clear(), employers, set(kept))
    for v, employer, refs in wages.iter_rows():
        p = party(employer)
        links[p].add(v, "wages", refs[:EVIDENCE_PER_LINK])
        back = sorted(r for r in recipients.get(v, ()) if party(r) == p or (employer, r) in side)
        for r in back:
            links[p].add(v, "wages_returned", side.get((employer, r), [])[:EVIDENCE_PER_LINK])


def _payers_in_rows(money_of: MoneyOf, accounts: list[str]) -> dict[str, int]:
    """Distinct other accounts that paid each of ``accounts``, from ``money_of``'s rows."""
    rows = money_of(accounts)
    paid = rows.filter(pl.col("payee").is_in(accounts) & (pl.col("payer") != pl.col("payee")))
    return dict(paid.group_by("payee").agg(pl.col("payer").n_unique()).iter_rows())


def _dealings(
    rows: pl.DataFrame, employers: list[str], recipients: set[str]
) -> dict[tuple[str, str], list[str]]:
    """(employer, recipient) → the transfers between them, either way, from ``rows`` (the
    transfers touching the recipients)."""
    if not employers or not recipients:
        return {}
    e = set(employers)
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ref, payer, payee in rows.sort("ts").select("ref", "payer", "payee").iter_rows():
        if payer in e and payee in recipients:
            out[(payer, payee)].append(ref)
        elif payee in e and payer in recipients:
            out[(payee, payer)].append(ref)
    return out


def _intelligence(
    intel: pl.DataFrame, victims: list[str], party: Callable[[str], str], links: dict[str, Links]
) -> None:
    """Intelligence that names someone as controlling, recruiting, transporting, exploiting or
    paying a victim (its holder or its account)."""
    by_object: dict[str, list[str]] = defaultdict(list)
    for v in victims:
        by_object[party(v)].append(v)
        by_object[v].append(v)
    rows = intel.filter(
        pl.col("relation").cast(pl.String).is_in(list(CONTROL_RELATIONS))
        & pl.col("object_id").is_in(list(by_object))
    )
    for link, subject, obj in rows.select("link_id", "subject_id", "object_id").iter_rows():
        for v in by_object[obj]:
            if party(subject) != party(v):
                links[party(subject)].add(v, "intelligence", [f"intel:{link}"])


def _ownership(intel: pl.DataFrame) -> dict[str, set[str]]:
    """Who stands behind whom, one hop either way: a person and the companies it owns or
    directs (intelligence ``owns`` / ``director_of``)."""
    rows = intel.filter(pl.col("relation").cast(pl.String).is_in(list(OWNERSHIP_RELATIONS)))
    behind: dict[str, set[str]] = defaultdict(set)
    for subject, obj in rows.select("subject_id", "object_id").iter_rows():
        if subject != obj:
            behind[subject].add(obj)
            behind[obj].add(subject)
    return behind


def money_from_engine(touching: Callable[[list[str]], Any]) -> MoneyOf:
    """``money_of`` for :func:`control_hits` from a distributed engine's money rows
    (``touching(accounts)``: an Arrow table of
    :data:`~fininvest.screening.engines.plan.MONEY_SCHEMA` rows)."""

    def money_of(accounts: list[str]) -> pl.DataFrame:
        if not accounts:
            return pl.DataFrame(schema=MONEY_COLUMNS)
        rows = pl.from_arrow(touching(accounts))
        assert isinstance(rows, pl.DataFrame)
        return rows.filter(pl.col("payer").is_not_null() & pl.col("payee").is_not_null()).select(
            [pl.col(c).cast(t) for c, t in MONEY_COLUMNS.items()]
        )

    return money_of


def add_control(
    hits: list[Hit],
    catalogue: dict[str, Indicator],
    accounts: list[str],
    kyc: dict[str, pl.DataFrame],
    money_of: MoneyOf,
    params: dict[str, dict[str, Any]],
    status: dict[str, str],
    seconds: dict[str, float] | None = None,
    payers_of: PayersOf | None = None,
) -> None:
    """Run this stage after the rules: add the ``victim_control`` hits to ``hits``, its
    status to ``status`` (the rules' engine reports it "not implemented yet", as it runs
    after them) and its wall seconds to ``seconds``."""
    if INDICATOR not in catalogue:
        return
    start = time.perf_counter()
    found = control_hits(
        possible_victims(hits, catalogue, accounts),
        accounts,
        kyc,
        money_of,
        params[INDICATOR],
        payers_of,
    )
    hits.extend(found)
    status[INDICATOR] = f"evaluated: fired on {len(found)} account(s)"
    if seconds is not None:
        seconds[INDICATOR] = time.perf_counter() - start
