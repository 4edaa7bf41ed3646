"""Shared machinery of a planted trafficking ring: members, victims, intelligence, assets, truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fininvest.sample.background import Population
from fininvest.sample.builder import DAY, START_S, CaseBuilder
from fininvest.sample.world import COUNTRIES, person_name

GRADES = (("B", "2"), ("C", "3"), ("B", "3"), ("A", "2"), ("C", "2"))


@dataclass
class Ring:
    b: CaseBuilder
    pop: Population
    ring_id: str
    scenario: str
    source: str
    destination: str
    control: str
    transit: str
    members: dict[str, str] = field(default_factory=dict)  # role -> party id
    accounts: dict[str, str] = field(default_factory=dict)  # role -> that party's main account
    victims: list[str] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    intel_keep: float = 0.7

    @property
    def rng(self) -> np.random.Generator:
        return self.b.rng

    def member(
        self,
        role: str,
        country: str,
        sex: str = "male",
        *,
        nationality: str | None = None,
        city: str | None = None,
    ) -> tuple[str, str]:
        nat = nationality or country
        pid = self.b.party(
            "person",
            person_name(self.rng, nat, sex),
            country,
            sex=sex,
            nationality=nat,
            city=city or COUNTRIES[country].cities[1],
        )
        acc = self.b.account(pid, country, opened="2022-03-15")
        self.b.phone(pid, country)
        self.members[role] = pid
        self.accounts[role] = acc
        self.b.tag_person(pid, role, self.ring_id, self.scenario)
        return pid, acc

    def company(
        self,
        role: str,
        label: str,
        country: str,
        director: str,
        occupation: str,
        mcc: int | None = None,
    ) -> tuple[str, str]:
        cid = self.b.party(
            "company",
            f"{label} {self.ring_id}",
            country,
            occupation=occupation,
            business_mcc=mcc,
            city=COUNTRIES[country].cities[1],
        )
        acc = self.b.account(cid, country, account_type="business", opened="2023-09-01")
        self.intel(director, "person", "director_of", cid, "company", country, day=-200, keep=1.0)
        self.members[role] = cid
        self.accounts[role] = acc
        return cid, acc

    def victim_accounts(self, n: int, sex: str, opened_day: int) -> list[str]:
        """Victims whose accounts a controller opened: same day, branch, phone and address."""
        ctrl = self.members["controller"]
        ctrl_phone = self.b.phone_of[ctrl]
        address = f"{int(self.rng.integers(2, 180))} Industriestrasse, {COUNTRIES[self.destination].cities[2 % len(COUNTRIES[self.destination].cities)]}"  # noqa: E501
        branch = f"{COUNTRIES[self.destination].cities[0]} Central branch"
        opened = np.datetime_as_string(np.datetime64("2025-02-01") + opened_day, unit="D")
        accounts = []
        for _ in range(n):
            pid = self.b.party(
                "person",
                person_name(self.rng, self.source, sex),
                self.destination,
                sex=sex,
                nationality=self.source,
                city=COUNTRIES[self.destination].cities[0],
            )
            acc = self.b.account(
                pid, self.destination, opened=str(opened), opened_by=ctrl, branch=branch
            )
            self.b.identifier(pid, "phone", ctrl_phone, self.destination)
            self.b.identifier(pid, "address", address, self.destination)
            self.victims.append(pid)
            self.b.tag_person(pid, "victim", self.ring_id, self.scenario)
            self.b.tag_account(acc, self.ring_id, self.scenario, "victim", ["victim_account"])
            accounts.append(acc)
        self.b.identifier(ctrl, "address", address, self.destination)
        return accounts

    def journey(
        self,
        transporter_acc: str,
        controller_acc: str,
        arrive: int,
        *,
        fare: float,
        purpose: str,
        ticket_day: int,
        ticket_hour: float,
        pay_day: int,
        recruited: int,
        exploited: int,
    ) -> None:
        """Recruitment, transport and the start of exploitation, shared by every scenario.

        The transporter buys one coach ticket per victim on one day in the source country, the
        controller pays him per head across the border, and the investigation records (some of)
        the recruiting, transporting and exploiting of each victim.
        """
        b = self.b
        src_city = COUNTRIES[self.source].cities[0]
        for k in range(len(self.victims)):
            b.card(
                self.ts(ticket_day, ticket_hour + k * 0.05),
                transporter_acc,
                "bus",
                self.source,
                src_city,
            )
        b.bank(
            self.ts(pay_day, 11),
            controller_acc,
            transporter_acc,
            fare * len(self.victims),
            "wire",
            purpose,
            to_country=self.transit,
        )
        rec, tra, exp = (self.members[r] for r in ("recruiter", "transporter", "exploiter"))
        for v in self.victims:
            self.intel(
                rec, "person", "recruited", v, "person", self.source, day=recruited, place=src_city
            )
            self.intel(
                tra,
                "person",
                "transported",
                v,
                "person",
                self.transit,
                day=arrive,
                from_country=self.source,
                to_country=self.destination,
            )
            self.intel(exp, "person", "exploited", v, "person", self.destination, day=exploited)

    def ts(self, day: float, hour: float) -> float:
        return START_S + day * DAY + hour * 3600 + float(self.rng.uniform(0, 3000))

    def intel(
        self,
        subject: str,
        subject_kind: str,
        relation: str,
        obj: str,
        object_kind: str,
        jurisdiction: str,
        *,
        day: int,
        place: str | None = None,
        from_country: str | None = None,
        to_country: str | None = None,
        source: str | None = None,
        keep: float | None = None,
    ) -> None:
        """An intelligence record — kept with probability ``intel_keep`` (investigations are
        partial: some links are only visible in the money)."""
        if self.rng.random() > (self.intel_keep if keep is None else keep):
            return
        rel, cred = GRADES[int(self.rng.integers(len(GRADES)))]
        date = np.datetime_as_string(np.datetime64("2025-02-01") + day, unit="D")
        self.b.rows["intel"].append(
            {
                "link_id": f"INT-{self.ring_id}-{len(self.b.rows['intel']):05d}",
                "subject_id": subject,
                "subject_kind": subject_kind,
                "relation": relation,
                "object_id": obj,
                "object_kind": object_kind,
                "date_from": str(date),
                "place": place,
                "from_country": from_country,
                "to_country": to_country,
                "jurisdiction": jurisdiction,
                "source": source or f"{jurisdiction} police report {self.ring_id}",
                "source_reliability": rel,
                "info_credibility": cred,
                "handling_code": "P",
            }
        )

    def chain(self) -> dict[str, Any]:
        order = ["recruiter", "transporter", "exploiter", "controller"]
        acts = {
            "recruiter": "recruited",
            "transporter": "transported",
            "exploiter": "exploited",
            "controller": "controlled_proceeds",
        }
        where = {
            "recruiter": self.source,
            "transporter": self.transit,
            "exploiter": self.destination,
            "controller": self.control,
        }
        links = []
        for a, c in zip(order, order[1:], strict=False):
            links.append(
                {
                    "from": self.members[a],
                    "from_role": a,
                    "to": self.members[c],
                    "to_role": c,
                    "act": acts[c],
                    "jurisdiction": where[c],
                }
            )
        return {
            "chain_id": self.ring_id,
            "scenario": self.scenario,
            "members": {r: self.members[r] for r in order},
            "jurisdictions": sorted({where[r] for r in order}),
            "victims": list(self.victims),
            "links": links,
        }

    def asset(
        self,
        owner: str,
        kind: str,
        description: str,
        value: float,
        jurisdiction: str,
        history: list[AssetStep],
    ) -> None:
        """An asset and its history: (status, day after 2025-02-01, amount or None, issuing
        state or None = the asset's country) per event; the executing state is the asset's."""
        aid = f"AS-{self.ring_id}-{len(self.b.rows['assets']):03d}"
        self.b.rows["assets"].append(
            {
                "asset_id": aid,
                "kind": kind,
                "owner_id": owner,
                "description": description,
                "value": round(value, 2),
                "currency": "EUR",
                "jurisdiction": jurisdiction,
                "identified_on": str(np.datetime64("2025-02-01") + history[0][1]),
            }
        )
        for status, day, amount, issuing in history:
            by = issuing or jurisdiction
            self.b.rows["asset_events"].append(
                {
                    "event_id": f"AE-{aid[3:]}-{status}",
                    "asset_id": aid,
                    "status": status,
                    "date": str(np.datetime64("2025-02-01") + day),
                    "decision_ref": f"{by}-{status[:3].upper()}-{day:03d}/{self.ring_id}",
                    "authority": f"{by} {ASSET_AUTHORITY.get(status, 'court')}",
                    "amount": amount,
                    "currency": "EUR" if amount is not None else None,
                    "jurisdiction": by,
                    "executing_state": jurisdiction if by != jurisdiction else None,
                }
            )
        self.b.rows["truth_assets"].append(
            {"asset_id": aid, "ring_id": self.ring_id, "owner_id": owner}
        )

    def standard_assets(self, controller: str) -> None:
        """The controller's car in the destination country and flat in the source country.

        The car's history differs by scenario, so that the case shows a cross-border freeze
        (issued by the source country, executed where the car is), a confiscation, a sale,
        victim compensation and sharing with the issuing state (sexual exploitation), an
        interlocutory sale and a release (forced labour), and a sale paid wholly to victims
        (forced criminality); the flat is frozen or only identified.
        """
        d = int(self.rng.integers(60, 90))
        value = 38_000 + 1000 * float(self.rng.integers(0, 20))
        self.asset(
            controller,
            "vehicle",
            "SUV, registered to controller",
            value,
            self.destination,
            car_history(self.scenario, d, value, self.source),
        )
        self.asset(
            controller,
            "real_estate",
            "flat in home town",
            65_000.0,
            self.source,
            flat_history(d, frozen=self.rng.random() < 0.5),
        )


#: (status, day after 2025-02-01, amount in EUR or None, issuing state or None)
AssetStep = tuple[str, int, float | None, str | None]

ASSET_AUTHORITY = {
    "identified": "asset recovery office",
    "under_management": "asset management office",
    "interlocutory_sale": "asset management office",
    "sold": "asset management office",
    "returned": "asset management office",
}


def flat_history(d: int, *, frozen: bool) -> list[AssetStep]:
    """The controller's flat: identified, and frozen in half of the rings."""
    steps: list[AssetStep] = [("identified", d + 10, None, None)]
    return steps + ([("frozen", d + 25, None, None)] if frozen else [])


def car_history(scenario: str, d: int, value: float, source: str) -> list[AssetStep]:
    """The controller's car's history for a scenario (see ``Ring.standard_assets``)."""
    base: list[AssetStep] = [("identified", d, None, None)]
    if scenario == "sexual_exploitation":
        sold = float(int(value * 0.78))
        to_victims = 20_000.0
        return base + [
            ("frozen", d + 5, None, source),  # cross-border: issued by the source country
            ("seized", d + 12, None, None),
            ("confiscation_ordered", d + 210, None, source),
            ("confiscated", d + 430, None, source),
            ("sold", d + 480, sold, None),
            ("victim_compensation", d + 520, to_victims, None),
            ("shared", d + 560, round((sold - to_victims) / 2, 2), source),  # to the issuing state
        ]
    if scenario == "forced_labour":
        return base + [
            ("frozen", d + 5, None, None),
            ("seized", d + 12, None, None),
            ("under_management", d + 30, None, None),
            ("interlocutory_sale", d + 95, float(int(value * 0.85)), None),
            ("released", d + 330, None, None),
            ("returned", d + 345, None, None),
        ]
    return base + [
        ("frozen", d + 5, None, None),
        ("seized", d + 12, None, None),
        ("confiscated", d + 400, None, None),
        ("sold", d + 455, float(int(value * 0.7)), None),
        ("victim_compensation", d + 490, float(int(value * 0.7)), None),
    ]
