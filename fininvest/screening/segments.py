"""Infrastructure is not a suspect: accounts recognised as payment or public infrastructure.

Acquirers, payment service providers, payroll bureaus, tax offices and other public bodies,
utilities and large employers receive from or pay very many unrelated accounts by their
nature. They are recognised

* from KYC: the holder's line of business (``parties.occupation``) or business MCC matches a
  segment of ``indicators/segments/infrastructure.toml`` (each segment with its source); or
* from the transfer graph's shape, for accounts not held by a person (companies, accounts KYC
  does not know): their distinct counterparties are far beyond their peers' (a modified
  z-score, Iglewicz & Hoaglin 1993, of log(1 + counterparties) above 3.5 within the holder
  kind) and most of their counterparties deal with them period after period (regular,
  periodic flows, not a one-off structure).

The structure indicators (``structure_indicators`` in the TOML: fan-in, fan-out,
scatter-gather, gather-scatter) still run on them; their hits on an infrastructure account are
*set aside*: not scored, kept as explanations that say why, and the account is listed with
classification ``infrastructure`` when nothing else fired on it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import polars as pl

from fininvest.indicators.catalogue import Indicator
from fininvest.resources import resource_dir
from fininvest.screening.engine import DAY, Context, Hit, holder_kinds
from fininvest.screening.kernels import counterparty_periods
from fininvest.screening.peers import robust_z

#: accounts drawn to estimate a holder kind's median and MAD of counterparties
PEER_SAMPLE = 20_000


@cache
def infrastructure_segments() -> dict[str, Any]:
    """The declared infrastructure segments and shape rule (``infrastructure.toml``)."""
    path = resource_dir("indicators") / "segments" / "infrastructure.toml"
    data: dict[str, Any] = tomllib.loads(path.read_text("utf-8"))
    return data


@dataclass
class Infrastructure:
    """Accounts treated as infrastructure: account code → (segment id, reason in words)."""

    accounts: dict[int, tuple[str, str]]

    def reason(self, a: int) -> str:
        return self.accounts[a][1]


def _kyc_segments(ctx: Context) -> dict[int, tuple[str, str]]:
    """Accounts whose holder's line of business or MCC is an infrastructure segment."""
    if "accounts" not in ctx.kyc or "parties" not in ctx.kyc:
        return {}
    code = {a: i for i, a in enumerate(ctx.ev.accounts)}
    parties = ctx.kyc["parties"]
    cols = [pl.col("party_id").alias("holder_id")]
    cols.append(
        pl.col("occupation").cast(pl.String).fill_null("").str.to_lowercase()
        if "occupation" in parties.columns
        else pl.lit("").alias("occupation")
    )
    cols.append(
        pl.col("business_mcc").cast(pl.Int64, strict=False)
        if "business_mcc" in parties.columns
        else pl.lit(None, pl.Int64).alias("business_mcc")
    )
    held = (
        ctx.kyc["accounts"]
        .select("account_id", "holder_id")
        .join(parties.select(cols), on="holder_id")
        .filter(pl.col("account_id").is_in(list(code)))
    )
    found: dict[int, tuple[str, str]] = {}
    for seg in infrastructure_segments()["segments"]:
        words = pl.any_horizontal(
            [pl.col("occupation").str.contains(w, literal=True) for w in seg["words"]]
        )
        match = words | pl.col("business_mcc").is_in(seg["mcc"]).fill_null(False)
        for account, occupation, mcc in (
            held.filter(match).select("account_id", "occupation", "business_mcc").iter_rows()
        ):
            a = code[account]
            if a in found:
                continue
            said = f"line of business '{occupation}'" if occupation else f"MCC {mcc}"
            found[a] = (
                seg["id"],
                f"KYC: {said} is {seg['title'].lower()} — it {seg['why']} ({seg['source']})",
            )
    return found


def counterparty_profile(ctx: Context, accounts: np.ndarray, period: int) -> pl.DataFrame:
    """Per account of ``accounts``: ``a``, distinct counterparties ``partners`` and the share
    of them it deals with in two or more periods of ``period`` seconds (``recurring``).

    Complexity: O(events of those accounts), one parallel pass
    (:func:`~fininvest.screening.kernels.counterparty_periods`)."""
    ev = ctx.ev
    accounts = accounts.astype(np.int64)
    local, _ = ev.local_counterparty()
    partners, recurring = counterparty_periods(ev.offsets, local, ev.ts, accounts, period)
    has = partners > 0
    return pl.DataFrame(
        {
            "a": accounts[has],
            "partners": partners[has],
            "recurring": recurring[has] / partners[has],
        },
        schema={"a": pl.Int64, "partners": pl.UInt32, "recurring": pl.Float64},
    )


def _shape_infrastructure(ctx: Context, candidates: np.ndarray) -> dict[int, tuple[str, str]]:
    """Candidates not held by a person whose counterparties are far beyond their holder
    kind's and mostly recurring (see the module docstring)."""
    shape = infrastructure_segments()["shape"]
    ev = ctx.ev
    n = len(ev.accounts)
    if "accounts" in ctx.kyc and "parties" in ctx.kyc:
        person, company = holder_kinds(ctx)
    else:
        person, company = np.zeros(n, np.bool_), np.zeros(n, np.bool_)
    kind = np.where(company, 1, np.where(person, 0, 2))
    candidates = candidates[~person[candidates]]
    if not candidates.shape[0]:
        return {}
    period = int(shape["period_days"] * DAY)
    has_events = np.flatnonzero(np.diff(ev.offsets) > 0)
    rng = np.random.default_rng(0)  # a fixed sample: the same case gives the same peers
    found: dict[int, tuple[str, str]] = {}
    mine = counterparty_profile(ctx, candidates, period)
    names = {1: "companies", 2: "accounts KYC does not know"}
    for k in (1, 2):
        group = has_events[kind[has_events] == k]
        if group.shape[0] < 5:
            continue
        sample = (
            rng.choice(group, PEER_SAMPLE, replace=False) if group.shape[0] > PEER_SAMPLE else group
        )
        peers = counterparty_profile(ctx, sample, period)["partners"].to_numpy()
        rows = mine.filter(pl.col("a").is_in(candidates[kind[candidates] == k]))
        z = robust_z(np.log1p(rows["partners"].to_numpy()), np.log1p(peers))
        median = float(np.median(peers))
        for (a, partners, recurring), zi in zip(
            rows.select("a", "partners", "recurring").iter_rows(), z.tolist(), strict=True
        ):
            if zi >= shape["min_peer_z"] and recurring >= shape["min_recurring_share"]:
                found[int(a)] = (
                    "hub",
                    f"transfer graph: {partners} counterparties against a median of "
                    f"{median:g} among {names[k]} (modified z {zi:.1f} ≥ "
                    f"{shape['min_peer_z']:g}), {recurring:.0%} of them dealt with in two "
                    f"or more {shape['period_days']}-day periods (≥ "
                    f"{shape['min_recurring_share']:.0%}): regular flows of a hub",
                )
    return found


def recognise(ctx: Context, hits: list[Hit]) -> Infrastructure:
    """The accounts among those hit by a structure indicator that are infrastructure."""
    structure = set(infrastructure_segments()["structure_indicators"])
    hit = np.unique([h.account for h in hits if h.indicator in structure and h.account >= 0])
    kyc = _kyc_segments(ctx)
    found = {a: kyc[a] for a in hit.tolist() if a in kyc}
    rest = np.array([a for a in hit.tolist() if a not in found], np.int64)
    if rest.shape[0]:
        found.update(_shape_infrastructure(ctx, rest))
    return Infrastructure(found)


def set_aside(ctx: Context, hits: list[Hit]) -> tuple[list[Hit], list[Hit], Infrastructure]:
    """Split the hits into those scored and those set aside (structure indicators on
    infrastructure accounts); the set-aside hits' detail says why."""
    infra = recognise(ctx, hits)
    structure = set(infrastructure_segments()["structure_indicators"])
    kept, aside = [], []
    for h in hits:
        if h.indicator in structure and h.account in infra.accounts:
            h.detail = (
                f"{h.detail} — set aside, treated as infrastructure: {infra.reason(h.account)}"
            )
            aside.append(h)
        else:
            kept.append(h)
    return kept, aside, infra


def infrastructure_table(
    infra: Infrastructure, accounts: list[str], aside: list[Hit]
) -> pl.DataFrame:
    """``results/infrastructure.parquet``: account, segment, reason, the indicators set aside
    and how many of their hits."""
    count: dict[int, int] = {}
    which: dict[int, set[str]] = {}
    for h in aside:
        count[h.account] = count.get(h.account, 0) + 1
        which.setdefault(h.account, set()).add(h.indicator)
    rows = sorted(infra.accounts.items(), key=lambda kv: accounts[kv[0]])
    return pl.DataFrame(
        {
            "entity_id": [accounts[a] for a, _ in rows],
            "segment": [s for _, (s, _) in rows],
            "reason": [r for _, (_, r) in rows],
            "indicators_set_aside": [sorted(which.get(a, ())) for a, _ in rows],
            "hits_set_aside": [count.get(a, 0) for a, _ in rows],
        },
        schema={
            "entity_id": pl.String,
            "segment": pl.String,
            "reason": pl.String,
            "indicators_set_aside": pl.List(pl.String),
            "hits_set_aside": pl.Int64,
        },
    )


def explain_set_aside(
    alerts: pl.DataFrame,
    explanations: pl.DataFrame,
    aside: list[Hit],
    infra: Infrastructure,
    catalogue: dict[str, Indicator],
    accounts: list[str],
    holders: dict[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The alert list with column ``infrastructure`` (why an account was treated as such, or
    null) and a row, classification ``infrastructure``, for each infrastructure account
    nothing else fired on; the explanations with the set-aside hits (their detail says why)."""
    from fininvest.screening.scoring import build_alerts

    reason = pl.DataFrame(
        {
            "entity_id": [accounts[a] for a in infra.accounts],
            "infrastructure": [r for _, r in infra.accounts.values()],
        },
        schema={"entity_id": pl.String, "infrastructure": pl.String},
    )
    alerts = alerts.join(reason, on="entity_id", how="left")
    if not aside:
        return alerts, explanations
    side_alerts, side_expl = build_alerts(aside, catalogue, accounts, holders)
    only = (
        side_alerts.filter(~pl.col("entity_id").is_in(alerts["entity_id"].implode()))
        .join(reason, on="entity_id", how="left")
        .with_columns(pl.lit(0.0).alias("score"), pl.lit("infrastructure").alias("classification"))
        .sort("entity_id")
        .with_columns(pl.int_range(1, pl.len() + 1).cast(alerts["rank"].dtype).alias("rank"))
        .select(alerts.columns)
    )
    explanations = pl.concat([explanations, side_expl]).sort(["entity_id", "indicator", "detail"])
    return pl.concat([alerts, only]), explanations
