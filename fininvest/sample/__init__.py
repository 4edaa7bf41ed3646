"""Synthetic THB cases with ground truth, for demos, tests and training.

``generate_case`` writes raw input files (the formats ``fininvest ingest`` reads, not
pre-ingested tables) and, separately, the ground truth that screening never reads.
Deterministic per seed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fininvest.errors import BadInput
from fininvest.sample.background import generate_background
from fininvest.sample.builder import CaseBuilder
from fininvest.sample.livelihood import plant_livelihoods
from fininvest.sample.ring import Ring
from fininvest.sample.scenarios import PLANTERS, SCENARIOS
from fininvest.sample.world import DESTINATIONS, SOURCES
from fininvest.sample.writer import write_case


@dataclass(frozen=True)
class Scale:
    persons: int
    rings_per_scenario: int


#: small ≈ 90k transactions (committed under sample_data/), medium ≈ 1M, large ≈ 10M.
SCALES = {
    "tiny": Scale(400, 1),
    "small": Scale(3_400, 1),
    "medium": Scale(36_000, 4),
    "large": Scale(360_000, 10),
}
TRANSIT = ("HU", "AT", "PL")
RING_CODES = {"sexual_exploitation": "SE", "forced_labour": "FL", "forced_criminality": "FC"}


def generate_case(
    raw_dir: Path,
    truth_dir: Path,
    *,
    scale: str = "small",
    seed: int = 7,
    scenario: str = "all",
    compress: bool = False,
    defects: bool = True,
) -> dict[str, Any]:
    """Generate a synthetic case.

    Parameters
    ----------
    raw_dir : where the raw input files are written.
    truth_dir : where the ground truth is written (roles, suspicious accounts, chains, assets).
    scale : ``tiny``, ``small``, ``medium`` or ``large``.
    seed : the same seed gives the same files.
    scenario : one of ``sexual_exploitation``, ``forced_labour``, ``forced_criminality`` or
        ``all``.
    compress : gzip the large CSV files.
    defects : add a handful of realistic export errors (listed in ``truth/defects.csv``).

    Returns
    -------
    A summary: files with row counts, rings, seconds.

    Notes
    -----
    The background population is vectorised (numpy); planted rings are small loops. Countries
    rotate per ring so that a case spans ≥ 6 jurisdictions.
    """
    if scale not in SCALES:
        raise BadInput(f"unknown scale '{scale}'", hint="Use " + ", ".join(SCALES))
    if scenario != "all" and scenario not in SCENARIOS:
        raise BadInput(
            f"unknown scenario '{scenario}'", hint="Use all or one of " + ", ".join(SCENARIOS)
        )
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    b = CaseBuilder(rng)
    sc = SCALES[scale]
    pop = generate_background(b, sc.persons)
    families = SCENARIOS if scenario == "all" else (scenario,)
    chains = []
    rings: list[Ring] = []
    str_subjects: list[tuple[str, str]] = []
    k = 0
    for family in families:
        for i in range(sc.rings_per_scenario):
            src = SOURCES[(k + seed) % len(SOURCES)]
            dest = DESTINATIONS[(k * 2 + seed) % len(DESTINATIONS)]
            ctrl = DESTINATIONS[(k * 2 + seed + 1) % len(DESTINATIONS)] if k % 2 else dest
            ring = Ring(
                b,
                pop,
                f"{RING_CODES[family]}-{i + 1:02d}",
                family,
                src,
                dest,
                ctrl,
                TRANSIT[k % len(TRANSIT)],
            )
            PLANTERS[family](ring)
            rings.append(ring)
            chains.append(ring.chain())
            ctl_accounts = [
                a
                for a, t in b.truth_accounts.items()
                if t["ring_id"] == ring.ring_id
                and "controller" in t["typologies"]
                or (t["ring_id"] == ring.ring_id and "funnel_account" in t["typologies"])
            ]
            if ctl_accounts and rng.random() < 0.8:
                str_subjects.append(
                    (
                        ctl_accounts[-1],
                        "Cash deposits in several cities "
                        "below the threshold, quickly transferred on",
                    )
                )
            k += 1
    b.rows["truth_chains"] = chains
    # defensive filings on legitimate look-alikes (banks report these too)
    lookalikes = [a for a, t in b.truth_accounts.items() if t["lookalike_group"]]
    for a in rng.choice(lookalikes, size=min(2, len(lookalikes)), replace=False):
        str_subjects.append((str(a), "Unusual cash and card activity (defensive filing)"))
    plant_livelihoods(b, pop, rings, seed)
    counts = write_case(
        b, raw_dir, truth_dir, compress=compress, str_subjects=str_subjects, defects=defects
    )
    summary = {
        "scale": scale,
        "seed": seed,
        "scenario": scenario,
        "files": counts,
        "transactions": counts["bank_transactions.csv"] + counts["card_transactions.csv"],
        "accounts": counts["kyc_accounts.csv"],
        "suspicious_accounts": sum(1 for t in b.truth_accounts.values() if t["ring_id"]),
        "rings": [c["chain_id"] for c in chains],
        "countries": sorted({j for c in chains for j in c["jurisdictions"]}),
    }
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2), "utf-8")
    return summary | {"seconds": round(time.perf_counter() - t0, 2)}


__all__ = ["generate_case", "SCALES", "SCENARIOS"]
