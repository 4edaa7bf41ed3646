"""Answer keys derived from a variant's ground truth, and the debrief of every item.

Each function of :data:`KEYS` takes the :class:`CaseTruth` of one trainee's variant and returns
the expected answer of a question (a list of ids, an ordered list, or a number). Nothing here is
hand-written per trainee: a scenario names a key function, the variant's truth decides the
answer. :data:`SUBJECTS` fill the placeholders of a question's prompt (``{funnel_account}``) and
:data:`OPTIONS` build the option list of a choice question.

The truth read here is what ``fininvest sample`` writes to ``truth/`` (roles of persons, the
typologies of accounts, chains, assets) plus the planted export defects; it never enters a
trainee's workspace.
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fininvest.indicators.catalogue import Indicator, load_catalogue
from fininvest.training.variant import Defect

SUSPECT_ROLES = ("recruiter", "transporter", "exploiter", "controller")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass
class CaseTruth:
    """The ground truth of one variant, with the raw records the debrief cites."""

    persons: dict[str, dict[str, str]]
    accounts: dict[str, dict[str, str]]
    holders: dict[str, str]
    names: dict[str, str]
    chains: list[dict[str, Any]]
    assets: list[dict[str, str]]
    intel: list[dict[str, str]]
    bank: list[dict[str, str]]
    fx: dict[str, list[tuple[str, float]]]
    defects: list[Defect]
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: Path, truth: Path, defects: list[Defect], seed: int) -> CaseTruth:
        fx: dict[str, list[tuple[str, float]]] = {}
        for r in _rows(raw / "fx_rates.csv"):
            if r["quote"] == "EUR":
                fx.setdefault(r["currency"], []).append((r["date"], float(r["rate"])))
        for rates in fx.values():
            rates.sort()
        return cls(
            persons={r["party_id"]: r for r in _rows(truth / "persons.csv")},
            accounts={r["account_id"]: r for r in _rows(truth / "accounts.csv")},
            holders={r["account_id"]: r["holder_id"] for r in _rows(raw / "kyc_accounts.csv")},
            names={r["party_id"]: r["name"] for r in _rows(raw / "kyc_customers.csv")},
            chains=json.loads((truth / "chains.json").read_text("utf-8")),
            assets=_rows(truth / "assets.csv"),
            intel=_rows(raw / "intel_links.csv"),
            bank=_rows(raw / "bank_transactions.csv"),
            fx=fx,
            defects=defects,
            seed=seed,
        )

    # ----- helpers shared by keys and the debrief ------------------------------------------
    def role(self, party: str) -> str:
        return self.persons.get(party, {}).get("role", "none") or "none"

    def with_role(self, *roles: str) -> list[str]:
        return sorted(p for p, r in self.persons.items() if r.get("role") in roles)

    def typologies(self, account: str) -> list[str]:
        raw = self.accounts.get(account, {}).get("typologies", "")
        return [t for t in raw.split("|") if t]

    def accounts_with(self, typology: str) -> list[str]:
        return sorted(a for a in self.accounts if typology in self.typologies(a))

    def accounts_of(self, party: str) -> list[str]:
        return sorted(a for a, h in self.holders.items() if h == party)

    def label(self, party: str) -> str:
        name = self.names.get(party)
        return f"{party} ({name})" if name else party

    def to_eur(self, amount: float, currency: str, day: str) -> float:
        if currency == "EUR":
            return amount
        rates = self.fx.get(currency)
        if not rates:
            return 0.0
        rate = rates[0][1]
        for d, r in rates:
            if d > day:
                break
            rate = r
        return amount * rate


@functools.cache
def _catalogue() -> dict[str, Indicator]:
    return load_catalogue()


def _red_flag_ids() -> set[str]:
    return set(_catalogue())


def _first_chain(t: CaseTruth) -> dict[str, Any]:
    return t.chains[0]


def key_funnel_accounts(t: CaseTruth) -> list[str]:
    return t.accounts_with("funnel_account")


def key_funnel_holders(t: CaseTruth) -> list[str]:
    return sorted({t.holders[a] for a in key_funnel_accounts(t) if a in t.holders})


def key_victims(t: CaseTruth) -> list[str]:
    return t.with_role("victim")


def key_suspects(t: CaseTruth) -> list[str]:
    return t.with_role(*SUSPECT_ROLES)


def key_controllers(t: CaseTruth) -> list[str]:
    return t.with_role("controller")


def key_ring_member_accounts(t: CaseTruth) -> list[str]:
    return sorted(a for a, r in t.accounts.items() if r.get("holder_role") == "member")


def _flags_of(t: CaseTruth, account: str) -> list[str]:
    ids = _red_flag_ids()
    return sorted(x for x in t.typologies(account) if x in ids)


def subject_funnel_account(t: CaseTruth) -> str:
    return key_funnel_accounts(t)[0]


def subject_controller_account(t: CaseTruth) -> str:
    ids = _red_flag_ids()
    flagged = [a for a in t.accounts_with("controller") if set(t.typologies(a)) & ids]
    return (flagged or t.accounts_with("controller"))[0]


def key_red_flags_of_funnel(t: CaseTruth) -> list[str]:
    return _flags_of(t, subject_funnel_account(t))


def key_red_flags_of_controller(t: CaseTruth) -> list[str]:
    return _flags_of(t, subject_controller_account(t))


def key_proceeds_to_controllers(t: CaseTruth) -> float:
    """EUR paid into the controllers' accounts by the victims and the other ring members."""
    controllers = set(key_controllers(t))
    into = {a for a, h in t.holders.items() if h in controllers}
    ring = {a for a, r in t.accounts.items() if r.get("ring_id")}
    total = 0.0
    for r in t.bank:
        if r["to_account"] in into and r["from_account"] in ring - into:
            total += t.to_eur(float(r["amount"]), r["currency"], r["timestamp"][:10])
    return round(total, 2)


def key_chain_links(t: CaseTruth) -> list[str]:
    return [f"{lk['from']}>{lk['to']}" for lk in _first_chain(t)["links"]]


def key_chain_link_jurisdictions(t: CaseTruth) -> list[str]:
    return [lk["jurisdiction"] for lk in _first_chain(t)["links"]]


def key_chain_jurisdictions(t: CaseTruth) -> list[str]:
    return sorted(_first_chain(t)["jurisdictions"])


def subject_lookalike_candidates(t: CaseTruth) -> list[str]:
    """Eight accounts to judge: look-alikes of different groups and ring accounts, shuffled."""
    rng = np.random.default_rng(t.seed)
    groups: dict[str, list[str]] = {}
    for a, r in sorted(t.accounts.items()):
        if r.get("lookalike_group"):
            groups.setdefault(r["lookalike_group"], []).append(a)
    looks = [str(rng.choice(v)) for _, v in sorted(groups.items())][:4]
    ids = _red_flag_ids()
    ring = [a for a in key_ring_member_accounts(t) if set(t.typologies(a)) & ids]
    picked = looks + [str(a) for a in rng.choice(ring, size=min(4, len(ring)), replace=False)]
    return sorted(picked)


def key_flagged_lookalike_accounts(t: CaseTruth) -> list[str]:
    return sorted(a for a in subject_lookalike_candidates(t) if t.accounts[a]["lookalike_group"])


def key_assets_to_freeze(t: CaseTruth) -> list[str]:
    suspects = set(key_suspects(t))
    members = {a for a, r in t.accounts.items() if r.get("holder_role") == "member"}
    owners = suspects | {t.holders[a] for a in members if a in t.holders}
    return sorted(a["asset_id"] for a in t.assets if a["owner_id"] in owners)


def key_defective_records(t: CaseTruth) -> list[str]:
    return sorted({f"{d.file}:{d.record_id}" for d in t.defects})


def key_defect_fields(t: CaseTruth) -> list[str]:
    return sorted({f"{d.file}:{d.record_id}:{d.field}" for d in t.defects})


KEYS: dict[str, Callable[[CaseTruth], list[str] | float]] = {
    "funnel_accounts": key_funnel_accounts,
    "funnel_holders": key_funnel_holders,
    "victims": key_victims,
    "suspects": key_suspects,
    "controllers": key_controllers,
    "ring_member_accounts": key_ring_member_accounts,
    "red_flags_of_funnel": key_red_flags_of_funnel,
    "red_flags_of_controller": key_red_flags_of_controller,
    "proceeds_to_controllers": key_proceeds_to_controllers,
    "chain_links": key_chain_links,
    "chain_link_jurisdictions": key_chain_link_jurisdictions,
    "chain_jurisdictions": key_chain_jurisdictions,
    "flagged_lookalike_accounts": key_flagged_lookalike_accounts,
    "assets_to_freeze": key_assets_to_freeze,
    "defective_records": key_defective_records,
    "defect_fields": key_defect_fields,
}

SUBJECTS: dict[str, Callable[[CaseTruth], str | list[str]]] = {
    "funnel_account": subject_funnel_account,
    "controller_account": subject_controller_account,
    "lookalike_candidates": subject_lookalike_candidates,
}


def red_flag_options(t: CaseTruth, key: list[str]) -> list[str]:
    """The key's red flags plus distractors from the catalogue, eight or more in all."""
    rng = np.random.default_rng(t.seed + 1)
    others = sorted(_red_flag_ids() - set(key))
    extra = rng.choice(others, size=max(0, 8 - len(key)), replace=False)
    return sorted(set(key) | {str(x) for x in extra})


OPTIONS: dict[str, Callable[[CaseTruth, list[str]], list[str]]] = {"red_flags": red_flag_options}


# ----- the debrief: why an item is (or is not) part of the answer ------------------------------
def explain_item(t: CaseTruth, item: str) -> str:
    """One sentence of debrief for an id, link, red flag or defect, from the truth and the
    records that show it (indicator explanations with their public source, intelligence records,
    the planted defect)."""
    catalogue = _catalogue()
    if item in catalogue:
        ind = catalogue[item]
        cite = ind.citations[0].short() if ind.citations else ""
        return f"{item} — {ind.title}: {ind.description} ({cite})"
    if ">" in item:
        a, b = item.split(">", 1)
        recs = [
            f"{r['link_id']} ({r['relation']}, graded "
            f"{r['source_reliability']}{r['info_credibility']})"
            for r in t.intel
            if {r["subject_id"], r["object_id"]} & {a, b} and r["relation"] != "director_of"
        ][:3]
        shown = "; records: " + ", ".join(recs) if recs else ""
        return f"{t.label(a)} ({t.role(a)}) → {t.label(b)} ({t.role(b)}){shown}"
    for d in t.defects:
        if item.startswith(f"{d.file}:{d.record_id}"):
            return f"{d.file} record {d.record_id}: field '{d.field}' is wrong ({d.what})"
    if item in t.accounts or item in t.holders:
        holder = t.holders.get(item, "")
        flags = _flags_of(t, item)
        truth = t.accounts.get(item, {})
        if truth.get("lookalike_group"):
            return (f"{item} of {t.label(holder)}: a legitimate {truth['lookalike_group']} "
                    "whose pattern looks like a red flag")  # fmt: skip
        why = (
            "; red flags: " + ", ".join(f"{f} ({catalogue[f].title})" for f in flags)
            if flags
            else ""
        )
        return f"{item} of {t.label(holder)} ({t.role(holder)}){why}"
    if item in t.persons or item in t.names:
        role = t.role(item)
        accounts = t.accounts_of(item)
        flags = sorted({f for a in accounts for f in _flags_of(t, a)})
        why = "; red flags on their accounts: " + ", ".join(flags) if flags else ""
        return f"{t.label(item)} is a {role}" + why
    if len(item) == 2 and item.isalpha():
        return f"{item}: a jurisdiction of the chain"
    for asset in t.assets:
        if asset["asset_id"] == item:
            owner = asset["owner_id"]
            return f"asset {item} held by {t.label(owner)} ({t.role(owner)})"
    return f"{item}: not part of this case's answer"


def ring_structure(t: CaseTruth) -> dict[str, Any]:
    """What every variant of a scenario shares: the suspects' roles, the chains' shape, the THB
    families and the kinds of planted defect (the number of victims varies between variants)."""
    roles: dict[str, int] = {}
    for r in t.persons.values():
        if r.get("role") in SUSPECT_ROLES:
            roles[r["role"]] = roles.get(r["role"], 0) + 1
    return {
        "roles": dict(sorted(roles.items())),
        "chains": [[lk["from_role"] + ">" + lk["to_role"] for lk in c["links"]] for c in t.chains],
        "scenarios": sorted({c["scenario"] for c in t.chains}),
        "defects": sorted(d.field for d in t.defects),
    }
