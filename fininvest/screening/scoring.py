"""Scores, classification and the alert list.

Score (documented in docs/screening.md and docs/detection.md, "Roles and scoring")::

    family_score(f) = max weight of f's fired indicators + 0.25 × the other weights in f
    score           = strongest family_score + 1.5 × the other families' scores

Each indicator counts once, in its first family, however many times it fired on the account:
many near-identical hits of one indicator are one finding (one explanation with all their
evidence), so combinations of independent families rank above repeats of one, as the sources
advise (no single indicator proves THB, FinCEN FIN-2020-A008 p.5), and a weak indicator of
another family adds in proportion to its own weight. Equal scores are ordered by the number
of families, then of findings (repeats included), then of evidence items; the account id
only orders what is equal in all of them.

Victim safeguard: an account is a *possible victim* when an indicator whose signal is "victim"
fires (its account was opened by a third party who opened others too; its inflows are swept
to one counterparty; its wages leave as soon as they arrive, unless it pools several payees'
wages) and it shows no suspect indicator of two or more other families. An
account held by a controller of possible victims (``victim_control``,
:mod:`fininvest.screening.roles`) is never a possible victim. Possible victims get their own
list and are never ranked among suspects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np
import polars as pl

from fininvest.indicators.catalogue import Indicator
from fininvest.screening.engine import EVIDENCE_LIMIT, Hit

CONTROLLER = "victim_control"
#: a victim's sign that another indicator on the same account contradicts: wages that leave
#: at once are a worker's taken wage, unless the account receives several payees' wages
CONTRADICTED_BY = {"wage_in_fast_out": {"pooled_wages"}}
SECONDARY_SHARE = 0.25
OTHER_FAMILY_FACTOR = 1.5


def score_hits(hits: list[Hit], catalogue: dict[str, Indicator]) -> tuple[float, list[str]]:
    """Score one account's hits; returns (score, families that fired)."""
    by_family: dict[str, dict[str, float]] = defaultdict(dict)
    for h in hits:
        ind = catalogue[h.indicator]
        if ind.signals != "victim":  # each indicator once, however often it fired
            by_family[ind.families[0]][h.indicator] = ind.weight
    family_scores = []
    for found in by_family.values():
        weights = sorted(found.values(), reverse=True)
        family_scores.append(weights[0] + SECONDARY_SHARE * sum(weights[1:]))
    family_scores.sort(reverse=True)
    score = (
        family_scores[0] + OTHER_FAMILY_FACTOR * sum(family_scores[1:]) if family_scores else 0.0
    )
    return score, sorted(by_family)


def classify(hits: list[Hit], catalogue: dict[str, Indicator]) -> str:
    """``possible_victim`` or ``suspect`` (the victim safeguard, see the module)."""
    if any(h.indicator == CONTROLLER for h in hits):
        return "suspect"  # a controller's own accounts are not its victims
    fired = {h.indicator for h in hits}
    victim = any(
        catalogue[i].signals == "victim" and not fired & CONTRADICTED_BY.get(i, set())
        for i in fired
    )
    suspect_families = {
        catalogue[h.indicator].families[0]
        for h in hits
        if catalogue[h.indicator].signals == "suspect"
    }
    return "possible_victim" if victim and len(suspect_families) < 2 else "suspect"


def possible_victims(
    hits: list[Hit], catalogue: dict[str, Indicator], accounts: list[str]
) -> set[str]:
    """The accounts the victim safeguard classifies possible victim on these hits."""
    per_account: dict[int, list[Hit]] = defaultdict(list)
    for h in hits:
        if h.entity_kind == "account" and h.entity is None:
            per_account[h.account].append(h)
    return {
        accounts[a] for a, hs in per_account.items() if classify(hs, catalogue) == "possible_victim"
    }


@dataclass
class Finding:
    """The hits of one indicator on one entity, as one explanation: the strongest hit's
    sentence, observed value and threshold, every window, every evidence item."""

    hits: list[Hit]

    @cached_property
    def strongest(self) -> Hit:
        """The hit furthest past its threshold (then with the most evidence)."""
        return max(self.hits, key=lambda h: (_past(h), len(h.evidence)))

    def windows(self) -> str:
        return "; ".join(dict.fromkeys(h.window for h in self.hits))

    @cached_property
    def evidence(self) -> tuple[list[str], int]:
        """Every hit's evidence in order, each item once, cut to EVIDENCE_LIMIT; and the
        total: the distinct items held plus those each hit had cut off before."""
        cut_off = sum(max(h.evidence_total - len(h.evidence), 0) for h in self.hits)
        if len(self.hits) == 1 and isinstance(self.hits[0].evidence, list):
            held = self.hits[0].evidence  # one hit: its evidence is already distinct and cut
            return held, len(held) + cut_off
        merged = list(
            dict.fromkeys(e for h in self.hits if isinstance(h.evidence, list) for e in h.evidence)
        )
        return merged[:EVIDENCE_LIMIT], len(merged) + cut_off

    def detail(self) -> str:
        if len(self.hits) == 1:
            return self.hits[0].detail
        return (
            f"{len(self.hits)} findings of this kind (windows: {self.windows()}); "
            f"the strongest: {self.strongest.detail}"
        )


def _past(h: Hit) -> float:
    """How far a hit is past its threshold (observed / threshold)."""
    return h.observed / h.threshold if h.threshold else h.observed


def build_alerts(
    hits: list[Hit], catalogue: dict[str, Indicator], accounts: list[str], holders: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ranked alert list and one explanation row per indicator that fired on an entity
    (its repeats merged: ``findings`` counts them, ``details`` has each one's sentence)."""

    def entity(h: Hit) -> tuple[str, str]:
        return (h.entity_kind, h.entity if h.entity is not None else accounts[h.account])

    per_entity: dict[tuple[str, str], list[Hit]] = defaultdict(list)
    for h in hits:
        per_entity[entity(h)].append(h)
    columns: dict[str, list[Any]] = defaultdict(list)
    found: list[tuple[str, str, Finding]] = []
    for (kind, eid), hs in per_entity.items():
        score, families = score_hits(hs, catalogue)
        by_indicator: dict[str, list[Hit]] = defaultdict(list)
        for h in hs:
            by_indicator[h.indicator].append(h)
        findings = {  # in one order whatever order the rules ran in
            i: Finding(sorted(x, key=lambda h: (h.detail, h.window, h.observed)))
            for i, x in by_indicator.items()
        }
        found.extend((eid, i, f) for i, f in findings.items())
        columns["entity_id"].append(eid)
        columns["entity_kind"].append(kind)
        columns["holder_id"].append(holders.get(eid) if kind == "account" else None)
        columns["score"].append(round(score, 4))
        columns["classification"].append(classify(hs, catalogue))
        columns["indicators"].append(sorted(by_indicator))
        columns["families"].append(
            families or sorted({catalogue[h.indicator].families[0] for h in hs})
        )
        columns["findings"].append(len(hs))
        columns["evidence_items"].append(sum(f.evidence[1] for f in findings.values()))
    schema: dict[str, Any] = {
        "entity_id": pl.String,
        "entity_kind": pl.String,
        "holder_id": pl.String,
        "score": pl.Float64,
        "classification": pl.String,
        "indicators": pl.List(pl.String),
        "families": pl.List(pl.String),
        "findings": pl.Int64,
        "evidence_items": pl.Int64,
    }
    alerts = _frame(columns, schema)
    # equal scores: more families, then more findings, then more evidence rank higher; the
    # id only orders what is equal in all of these
    order = ["score", "_families", "findings", "evidence_items", "entity_id"]
    alerts = pl.concat(
        [
            alerts.filter(pl.col("classification") == c)
            .with_columns(pl.col("families").list.len().alias("_families"))
            .sort(order, descending=[True, True, True, True, False])
            .with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
            for c in ("suspect", "possible_victim")
        ]
    ).select("rank", *schema)
    ind = {i: catalogue[i] for i in {h.indicator for h in hits}}
    cite = {i: "; ".join(c.short() for c in x.citations) for i, x in ind.items()}
    evidence = [f.evidence for _, _, f in found]
    explanations = _frame(
        {
            "entity_id": [eid for eid, _, _ in found],
            "indicator": [i for _, i, _ in found],
            "family": [ind[i].families[0] for _, i, _ in found],
            "weight": [ind[i].weight for _, i, _ in found],
            "observed": [f.strongest.observed for _, _, f in found],
            "threshold": [f.strongest.threshold for _, _, f in found],
            "window": [f.windows() for _, _, f in found],
            "detail": [f.detail() for _, _, f in found],
            "evidence": [e for e, _ in evidence],
            "evidence_total": [n for _, n in evidence],
            "citation": [cite[i] for _, i, _ in found],
            "findings": [len(f.hits) for _, _, f in found],
            "details": [
                [h.detail for h in sorted(f.hits, key=lambda h: h.detail)] for _, _, f in found
            ],
        },
        schema={
            "entity_id": pl.String,
            "indicator": pl.String,
            "family": pl.String,
            "weight": pl.Float64,
            "observed": pl.Float64,
            "threshold": pl.Float64,
            "window": pl.String,
            "detail": pl.String,
            "evidence": pl.List(pl.String),
            "evidence_total": pl.Int64,
            "citation": pl.String,
            "findings": pl.Int64,
            "details": pl.List(pl.String),
        },
    ).sort(["entity_id", "indicator"])  # deterministic whatever order rules ran in
    return alerts, explanations


def _frame(columns: dict[str, list[Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """A frame from Python columns; list-of-string columns go through :func:`_string_lists`."""
    return pl.DataFrame(
        [
            _string_lists(columns.get(name, []), name)
            if dtype == pl.List(pl.String)
            else pl.Series(name, columns.get(name, []), dtype)
            for name, dtype in schema.items()
        ]
    )


def _string_lists(lists: list[list[str]], name: str) -> pl.Series:
    """A ``List(String)`` column from Python lists of strings: the flat values grouped back
    by their list's number. Polars otherwise builds a Series per list, which at 10M rows (8k
    explanations, 440k evidence ids) took 0.6 s, more than several indicators; an Arrow list
    array is as fast but loading pyarrow adds 70 MB to the screen's peak memory.

    >>> _string_lists([["a", "b"], [], ["c"]], "x").to_list()
    [['a', 'b'], [], ['c']]
    """
    lengths = np.fromiter((len(v) for v in lists), np.int64, len(lists))
    # an empty list stands as one null, so that every list has a group; nulls are then dropped
    flat = pl.Series(name, list(chain.from_iterable(v or (None,) for v in lists)), pl.String)
    number = pl.Series("_list", np.repeat(np.arange(len(lists)), np.maximum(lengths, 1)))
    grouped = pl.DataFrame([number, flat]).group_by("_list", maintain_order=True)
    return grouped.agg(pl.col(name).drop_nulls()).get_column(name)
