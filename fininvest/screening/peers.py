"""Peer groups: an account judged against accounts of the same kind.

A *segment* is what KYC says an account is: held by a person or a company (or unknown to
KYC), and the holder's line of business (``parties.occupation``) when at least
:data:`MIN_PEERS` accounts share it. A structure indicator's threshold for an account is the
point where its segment's values become outliers — a modified z-score (Iglewicz & Hoaglin
1993) of log(1 + value) of 3.5 — but never below the indicator's floor: a business
traveller's hotels, a legal escort's clients or an agency's payments to its housing company
are compared with travellers, escorts and agencies, and a quiet segment's small structure is
found. Each hit keeps how unusual it is for its segment (``Hit.unusual``), which orders
accounts of equal score.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fininvest.screening.engine import DAY, Context, Hit, distinct_count_rule

#: the fewest accounts a segment needs to be a peer group (the same minimum as the
#: ``low_payroll_business`` peer quantile); smaller segments fall back to the holder kind
MIN_PEERS = 5
#: 0.6745 = Φ⁻¹(0.75): makes the MAD of a normal sample estimate its standard deviation
MAD_SCALE = 0.6745
#: when half or more of a segment has one value the MAD is 0; Iglewicz & Hoaglin then scale
#: the mean absolute deviation by 1.253314 (√(π/2))
MEAN_AD_SCALE = 1.253314


def robust_z(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Modified z-scores of ``values`` against ``reference``: 0.6745 (x − median) / MAD, or
    (x − median) / (1.253314 · mean absolute deviation) when the MAD is 0 (Iglewicz & Hoaglin
    1993). A reference with no spread at all gives +inf above its median, 0 at or below.

    >>> robust_z(np.array([1.0, 10.0]), np.array([1.0, 2.0, 3.0, 4.0, 5.0])).round(2).tolist()
    [-1.35, 4.72]
    """
    values = np.asarray(values, np.float64)
    if reference.shape[0] == 0:
        return np.zeros_like(values)
    med = float(np.median(reference))
    dev = np.abs(reference - med)
    mad = float(np.median(dev))
    if mad > 0:
        out: np.ndarray = MAD_SCALE * (values - med) / mad
        return out
    mean_ad = float(dev.mean())
    if mean_ad > 0:
        out = (values - med) / (MEAN_AD_SCALE * mean_ad)
        return out
    return np.where(values > med, np.inf, 0.0)


def fence(reference: np.ndarray, z: float) -> float:
    """The smallest value whose modified z-score of log(1 + value) against ``reference`` is at
    least ``z`` (+inf when the reference has no spread)."""
    logs = np.log1p(reference.astype(np.float64))
    med = float(np.median(logs))
    dev = np.abs(logs - med)
    mad = float(np.median(dev))
    spread = mad / MAD_SCALE if mad > 0 else MEAN_AD_SCALE * float(dev.mean())
    if spread <= 0:
        return float(np.expm1(med))  # everyone alike: anything above them is unusual
    return float(np.expm1(med + z * spread))


def segments(ctx: Context) -> tuple[np.ndarray, list[str]]:
    """Per account code, its segment number, and the segments' names: ``person``,
    ``company``, ``unknown`` (no KYC), or ``<kind>: <line of business>`` when at least
    :data:`MIN_PEERS` accounts of the case share that line of business."""
    ev = ctx.ev
    n = len(ev.accounts)
    names = ["unknown"]
    seg = np.zeros(n, np.int64)
    if "accounts" not in ctx.kyc or "parties" not in ctx.kyc:
        return seg, names
    parties = ctx.kyc["parties"]
    occupation = (
        pl.col("occupation").cast(pl.String).fill_null("").str.to_lowercase().str.strip_chars()
        if "occupation" in parties.columns
        else pl.lit("")
    )
    held = (
        pl.DataFrame({"account_id": ev.accounts}, schema={"account_id": pl.String})
        .with_row_index("a")
        .join(ctx.kyc["accounts"].select("account_id", "holder_id"), on="account_id")
        .join(
            parties.select(
                pl.col("party_id").alias("holder_id"),
                pl.col("kind").cast(pl.String).fill_null("unknown").alias("kind"),
                occupation.alias("line"),
            ),
            on="holder_id",
        )
        .unique("a")
        .with_columns(
            pl.when((pl.col("line") != "") & (pl.len().over("kind", "line") >= MIN_PEERS))
            .then(pl.col("kind") + ": " + pl.col("line"))
            .otherwise(pl.col("kind"))
            .alias("segment")
        )
    )
    names += sorted(set(held["segment"].to_list()) - {"unknown"})
    number = {name: i for i, name in enumerate(names)}
    seg[held["a"].to_numpy()] = held["segment"].replace_strict(number, return_dtype=pl.Int64)
    return seg, names


def peer_thresholds(
    seg: np.ndarray, names: list[str], values: np.ndarray, floor: float, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per account, the threshold its segment's peers set on ``values`` (the accounts with a
    value above 0 are the peers): ``max(floor, fence(segment, z))``, or +inf in a segment of
    fewer than :data:`MIN_PEERS` peers; and each account's modified z-score of
    log(1 + value) against its segment.

    Complexity: O(n log n) over the accounts (one median per segment)."""
    thr = np.full(values.shape[0], np.inf)
    zs = np.zeros(values.shape[0])
    logs = np.log1p(values.astype(np.float64))
    for s in range(len(names)):
        members = np.flatnonzero(seg == s)
        active = members[values[members] > 0]
        if active.shape[0] < MIN_PEERS:
            continue
        thr[members] = max(float(floor), fence(values[active], z))
        zs[members] = robust_z(logs[members], logs[active])
    return thr, zs


def peer_fan_rule(
    ctx: Context, ind: str, side: int, minimum: float, what: str, of_what: str
) -> list[Hit]:
    """Fan-in (``side`` 0: distinct senders) or fan-out (1: distinct payees) in one window.

    Fires where the most distinct counterparties in one ``window_days`` window reach
    ``minimum`` (the catalogue's count; in a KYC line of business with enough peers, at least
    the point where that line's accounts become outliers), or where the most distinct
    *one-off* counterparties (:func:`one_off_events`: dealt with only within that window)
    reach the point where the account's segment becomes outliers (``peer_z``, never below
    ``min_floor``): a small burst of new counterparties, against the account's own history
    and its peers. ``Hit.unusual`` is that burst's modified z-score against the segment."""
    p = ctx.params[ind]
    ev = ctx.ev
    w = int(p["window_days"] * DAY)
    flag = (ev.outflow if side else ~ev.outflow) & (ev.counterparty >= 0)
    local, n_local = ev.local_counterparty()
    best, at = ev.partners(w)
    seg, names = segments(ctx)
    z, floor = float(p["peer_z"]), float(p["min_floor"])
    # the catalogue's count, raised to a line of business's own outlier point
    totals = best[:, side]
    thr = np.full(totals.shape[0], float(minimum))
    for s in range(len(names)):
        if ": " in names[s]:
            members = np.flatnonzero(seg == s)
            active = members[totals[members] > 0]
            if active.shape[0] >= MIN_PEERS:
                thr[members] = max(float(minimum), fence(totals[active], z))
    masked = np.where(totals >= thr, totals, 0)
    hits = distinct_count_rule(
        ctx, ind, flag, local, n_local, p["window_days"], floor, floor,
        what, of_what, known=(masked, at[:, side]),
    )  # fmt: skip
    kept = [h for h in hits if h.observed >= thr[h.account]]
    for h in kept:
        h.threshold = float(thr[h.account])
        h.detail = h.detail.split(" (thresholds")[0] + (
            f" (threshold {h.threshold:g}: where {names[seg[h.account]]} accounts become outliers)"
            if h.threshold != minimum
            else f" (threshold {h.threshold:g})"
        )
    # bursts of one-off counterparties, judged against the segment
    burst = flag & ev.one_off(w)
    new, new_at = ev.new_partners(w)
    novel, novel_at = new[:, side], new_at[:, side]
    nthr, zs = peer_thresholds(seg, names, novel, floor, z)
    for h in kept:
        h.unusual = float(zs[h.account])
    fired = {h.account for h in kept}
    novel_masked = np.where(novel >= nthr, novel, 0)
    novel_masked[list(fired)] = 0
    extra = distinct_count_rule(
        ctx, ind, burst, local, n_local, p["window_days"], floor, floor,
        what, of_what, known=(novel_masked, novel_at),
    )  # fmt: skip
    for h in extra:
        if h.observed < nthr[h.account]:
            continue
        h.threshold, h.unusual = float(nthr[h.account]), float(zs[h.account])
        h.detail = h.detail.split(" (thresholds")[0].replace(" different ", " new ", 1) + (
            f", counterparties it deals with only within that window (threshold "
            f"{h.threshold:g}: where {names[seg[h.account]]} accounts become outliers; "
            f"modified z {h.unusual:.1f})"
        )
        kept.append(h)
    return kept


def rank_by_unusualness(alerts: pl.DataFrame, unusual: dict[str, float]) -> pl.DataFrame:
    """Re-number each classification's ranks so that, among accounts of equal score and
    number of families, the one whose strongest finding is more unusual for its segment
    ranks higher (then more findings, more evidence, and the id)."""
    if alerts.is_empty():
        return alerts.with_columns(pl.lit(None, pl.Float64).alias("unusual"))
    u = pl.DataFrame(
        {"entity_id": list(unusual), "unusual": list(unusual.values())},
        schema={"entity_id": pl.String, "unusual": pl.Float64},
    )
    out = alerts.join(u, on="entity_id", how="left").with_columns(
        pl.col("families").list.len().alias("_families")
    )
    # equal scores: more families first (docs/detection.md, "One finding, one explanation"),
    # then the more unusual finding, then more findings and more evidence; the id last
    order = ["score", "_families", "unusual", "findings", "evidence_items", "entity_id"]
    order = [c for c in order if c in out.columns]
    parts = []
    for cls in out["classification"].unique(maintain_order=True).to_list():
        part = out.filter(pl.col("classification") == cls).sort(
            order, descending=[c != "entity_id" for c in order], nulls_last=True
        )
        parts.append(part.with_columns(pl.int_range(1, pl.len() + 1).alias("rank")))
    return pl.concat(parts).select(alerts.columns)


def unusualness(hits: list[Hit], accounts: list[str]) -> dict[str, float]:
    """Per account, the largest ``Hit.unusual`` of its hits (accounts only)."""
    out: dict[str, float] = {}
    for h in hits:
        if h.account >= 0 and h.entity is None:
            a = accounts[h.account]
            out[a] = max(out.get(a, 0.0), h.unusual)
    return out
