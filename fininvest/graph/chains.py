"""Chains of trafficking: recruiter → transporter → exploiter (→ controller), across borders.

A chain is built around the victims it concerns. Each victim is tied to the persons who acted
on them, from intelligence (``RECRUITED``, ``TRANSPORTED``, ``EXPLOITED``, ``CONTROLLED``, one
graded record each) and from the money and KYC records:

* **controller** — the person who opened the victim's account (KYC ``opened_by``), who is named
  as controlling them, or who receives the victim's earnings (sweeps: at least
  ``SWEEP_SHARE`` of what the victim pays to other people);
* **recruiter** — named by intelligence; otherwise the person in the victims' home country
  whom the controller pays (recruitment fees and remittances to the recruiter's country);
* **transporter** — named by intelligence; otherwise the person in a third country whom the
  controller pays (transport paid for by the controller);
* **exploiter** — named by intelligence; otherwise the person who pays cash into the
  controller's accounts, a known associate, or the person the controller pays in the
  destination country.

Suspicious transaction reports that name an account of either person of a link are listed
among the link's records too.

Victims with the same controller (or, without one, the same exploiter) form one chain. Every
link lists the records that support it — intelligence records with their grading, transaction
ids, KYC records — and the jurisdiction where the act took place. A chain's id is derived from
its members, so it is stable from run to run and can be cited by evidence packs and the app.

Complexity: one indexed query per step over the victims and their controllers, so the cost
grows with the size of the trafficking networks, not with the size of the graph.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fininvest.graph.store import GraphStore

SWEEP_SHARE = 0.25
ROLES = ("recruiter", "transporter", "exploiter", "controller")
ACT_OF = {
    "transporter": "transported",
    "exploiter": "exploited",
    "controller": "controlled_proceeds",
}
INTEL_ACT = {"RECRUITED": "recruiter", "TRANSPORTED": "transporter", "EXPLOITED": "exploiter",
             "CONTROLLED": "controller"}  # fmt: skip


@dataclass
class _Group:
    """The victims of one network and what is known of the persons acting on them."""

    victims: list[str]
    members: dict[str, str] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)  # role -> intelligence | financial | kyc
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    places: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _flatten(evidence: Iterable[Any], limit: int = 20) -> list[str]:
    out: list[str] = []
    for e in evidence:
        out.extend(e if isinstance(e, list) else [e])
    return sorted(set(out))[:limit]


def _mode(values: list[str | None] | list[str]) -> str | None:
    vals = [v for v in values if v]
    return Counter(vals).most_common(1)[0][0] if vals else None


def _intel_record(row: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "intelligence", "id": row["link_id"], "grading": row["grading"]}


def _tx_records(ids: list[str], note: str) -> list[dict[str, Any]]:
    return [{"kind": "transaction", "id": i, "note": note} for i in ids]


class ChainBuilder:
    """Reads what it needs from the graph through named queries and assembles the chains."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._profiles: dict[str, dict[str, Any]] = {}

    def profiles(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        missing = sorted(set(ids) - set(self._profiles))
        if missing:
            for r in self.store.run("query/persons_profile", {"ids": missing}):
                self._profiles[r["id"]] = r
        return self._profiles

    def country(self, pid: str) -> str | None:
        p = self.profiles([pid]).get(pid, {})
        return p.get("residence") or _mode(p.get("account_countries") or [])

    def flows_out(self, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.store.run("query/party_flows_out", {"ids": sorted(set(ids))}):
            out[r["src"]].append(r)
        return out

    def build(self) -> list[dict[str, Any]]:
        acts = self.store.run("query/chain_acts")
        openings = self.store.run("query/third_party_openings")
        by_victim: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in acts:
            by_victim[a["victim"]].append(a)
        victims = set(by_victim) | {o["holder"] for o in openings}
        if not victims:
            return []
        controller = self._controllers(victims, by_victim, openings)
        groups: dict[str, _Group] = {}
        for v in sorted(victims):
            c = controller.get(v)
            exploiters = [a["actor"] for a in by_victim[v] if a["act"] == "EXPLOITED"]
            key = f"C:{c[0]}" if c else (f"E:{_mode(exploiters)}" if exploiters else None)
            if key is None:
                continue
            g = groups.setdefault(key, _Group([]))
            g.victims.append(v)
            if c:
                g.members["controller"], g.basis["controller"] = c[0], c[1]
                g.records["controller"].extend(c[2])
        chains = []
        for g in groups.values():
            self._from_intelligence(g, by_victim)
            if "controller" in g.members:
                self._from_money(g, victims)
            chain = self._chain(g)
            if chain is not None:
                chains.append(chain)
        return sorted(chains, key=lambda c: c["id"])

    def _controllers(
        self,
        victims: set[str],
        by_victim: dict[str, list[dict[str, Any]]],
        openings: list[dict[str, Any]],
    ) -> dict[str, tuple[str, str, list[dict[str, Any]]]]:
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        support: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        basis: dict[tuple[str, str], str] = {}
        for o in openings:
            votes[o["holder"]][o["opener"]] += 2
            support[o["holder"], o["opener"]] += [
                {
                    "kind": "kyc",
                    "id": rid,
                    "note": f"account {o['account']} opened by {o['opener']}",
                }
                for rid in o["record_ids"] or []
            ]
            basis[o["holder"], o["opener"]] = "kyc"
        for v, rows in by_victim.items():
            for a in rows:
                if a["act"] == "CONTROLLED":
                    votes[v][a["actor"]] += 2
                    support[v, a["actor"]].append(_intel_record(a))
                    basis[v, a["actor"]] = "intelligence"
        for v, rows in self.flows_out(victims).items():
            to_people = [r for r in rows if r["dst_kind"] == "Person" and r["dst"] not in victims]
            paid = sum(r["total"] for r in to_people)
            for r in to_people:
                if paid and r["total"] / paid >= SWEEP_SHARE:
                    votes[v][r["dst"]] += 1
                    support[v, r["dst"]] += _tx_records(
                        _flatten(r["evidence"], 10), f"victim's earnings swept to {r['dst']}"
                    )
                    basis.setdefault((v, r["dst"]), "financial")
        out = {}
        for v, c in votes.items():
            best = min(c, key=lambda k: (-c[k], k))
            out[v] = (best, basis[v, best], support[v, best])
        return out

    def _from_intelligence(self, g: _Group, by_victim: dict[str, list[dict[str, Any]]]) -> None:
        for role in ("recruiter", "transporter", "exploiter"):
            rows = [
                a for v in g.victims for a in by_victim.get(v, []) if INTEL_ACT[a["act"]] == role
            ]
            actor = _mode([a["actor"] for a in rows])
            if actor is None:
                continue
            g.members[role], g.basis[role] = actor, "intelligence"
            mine = [a for a in rows if a["actor"] == actor]
            g.records[role] += [_intel_record(a) for a in mine]
            g.places[role] += [a["jurisdiction"] for a in mine]

    def _from_money(self, g: _Group, victims: set[str]) -> None:
        """Fill the roles intelligence did not name from the controller's money."""
        ctl = g.members["controller"]
        paid = [
            r
            for r in self.flows_out([ctl])[ctl]
            if r["dst_kind"] == "Person" and r["dst"] not in victims
        ]
        self.profiles([*g.victims, *(r["dst"] for r in paid)])
        source = _mode([self._profiles.get(v, {}).get("nationality") for v in g.victims])
        dest = _mode(
            [c for v in g.victims for c in self._profiles.get(v, {}).get("account_countries") or []]
        )
        taken = set(g.members.values())

        def pick(role: str, rows: list[dict[str, Any]], note: str) -> None:
            rows = [r for r in rows if r["dst"] not in taken]
            if role in g.members or not rows:
                return
            best = max(rows, key=lambda r: (r["total"], r["dst"]))
            g.members[role], g.basis[role] = best["dst"], "financial"
            g.records[role] += _tx_records(_flatten(best["evidence"]), note)
            g.places[role].append(best["dst_country"])
            taken.add(best["dst"])

        pick(
            "recruiter",
            [r for r in paid if source and r["dst_country"] == source],
            f"paid by the controller into the victims' home country ({source})",
        )
        pick(
            "transporter",
            [r for r in paid if r["dst_country"] not in {source, dest}],
            "paid by the controller in a transit country",
        )
        if "exploiter" not in g.members:
            deposits = [
                d
                for d in self.store.run("query/deposits_into", {"ids": [ctl]})
                if d["depositor"] not in victims and d["depositor"] not in taken
            ]
            if deposits:
                best = max(deposits, key=lambda d: (d["count"], d["depositor"]))
                g.members["exploiter"], g.basis["exploiter"] = best["depositor"], "financial"
                g.records["exploiter"] += _tx_records(
                    _flatten(best["evidence"]), "cash paid into the controller's accounts"
                )
                taken.add(best["depositor"])
            else:
                pick(
                    "exploiter",
                    [r for r in paid if r["dst_country"] == dest],
                    "paid by the controller in the destination country",
                )
        if "exploiter" in g.members:
            # ties between exploiter and controller: associates, deposits, payments
            exp = g.members["exploiter"]
            for a in self.store.run("query/associates", {"ids": [ctl]}):
                if a["associate"] == exp:
                    g.records["controller"].append(
                        {
                            "kind": "intelligence",
                            "id": a["link_id"],
                            "grading": a["grading"],
                            "note": "known associates",
                        }  # fmt: skip
                    )
            for r in paid:
                if r["dst"] == exp:
                    g.records["controller"] += _tx_records(
                        _flatten(r["evidence"], 10), "controller pays the exploiter"
                    )

    def _chain(self, g: _Group) -> dict[str, Any] | None:
        m = g.members
        if not all(r in m for r in ("recruiter", "transporter", "exploiter")):
            return None
        if not any(b == "intelligence" for b in g.basis.values()) and len(m) < 4:
            return None
        roles = [r for r in ROLES if r in m]
        self.profiles(m.values())
        reports: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.store.run("query/strs_of_persons", {"ids": sorted(set(m.values()))}):
            reports[r["person"]].append(
                {
                    "kind": "str",
                    "id": r["report"],
                    "note": f"{r['report_code']} naming account {r['account']} of {r['person']}",
                }  # fmt: skip
            )
        links = []
        for a, b in zip(roles, roles[1:], strict=False):
            where = _mode(g.places[b]) if b != "controller" else None
            links.append(
                {
                    "from": m[a],
                    "from_role": a,
                    "to": m[b],
                    "to_role": b,
                    "act": ACT_OF[b],
                    "jurisdiction": where or self.country(m[b]),
                    "basis": g.basis[b],
                    "records": g.records[b] + reports[m[a]] + reports[m[b]],
                }
            )
        recruited_in = _mode(g.places["recruiter"]) or self.country(m["recruiter"])
        route = [recruited_in, *(x["jurisdiction"] for x in links)]
        jurisdictions = list(dict.fromkeys(j for j in route if j))  # in the order of the journey
        key = "|".join(m.get(r, "") for r in ROLES)
        return {
            "id": "CH-" + hashlib.sha256(key.encode()).hexdigest()[:10].upper(),
            "members": {r: m[r] for r in roles},
            "names": {r: self._profiles.get(m[r], {}).get("name") for r in roles},
            "recruited_in": recruited_in,
            "recruiter_records": g.records["recruiter"],
            "victims": sorted(g.victims),
            "jurisdictions": jurisdictions,
            "links": links,
        }


def chains_of_trafficking(store: GraphStore, min_jurisdictions: int = 2) -> list[dict[str, Any]]:
    """Reconstruct the chains of trafficking in the graph.

    Parameters
    ----------
    store : GraphStore
        A loaded case graph (``fininvest graph load``), embedded or Neo4j.
    min_jurisdictions : int
        Keep chains whose recruitment place and links span at least this many countries.

    Returns
    -------
    list of dict
        Each chain: ``id``, ``members`` (role → person id), ``victims``, ``jurisdictions`` (in
        the order of the journey: recruitment, transit, exploitation, control) and
        ``links`` (``from``, ``to``, ``act``, ``jurisdiction``, ``basis``, ``records``).

    Examples
    --------
    >>> chains = chains_of_trafficking(open_store(ws))  # doctest: +SKIP
    >>> [link["act"] for link in chains[0]["links"]]  # doctest: +SKIP
    ['transported', 'exploited', 'controlled_proceeds']
    """
    return [c for c in ChainBuilder(store).build() if len(c["jurisdictions"]) >= min_jurisdictions]
