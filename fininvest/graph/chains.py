"""Chains of trafficking: recruiter → transporter → exploiter → controller, from what is there.

A chain is built around the victims it concerns. Each victim is tied to the persons who acted
on them, from intelligence (``RECRUITED``, ``TRANSPORTED``, ``EXPLOITED``, ``CONTROLLED``, one
graded record each) and from the money and KYC records. A role is given by what the act is:

* **controller** — the person who opened the victim's account (KYC ``opened_by``), who is named
  as controlling them, or who receives the victim's earnings (sweeps: at least
  ``SWEEP_SHARE`` of what the victim pays to other people); when intelligence names the
  exploiter but no one controls the victims, the person receiving at least ``SWEEP_SHARE`` of
  what the exploiter pays to other people (the proceeds) closes the chain;
* **recruiter, transporter, exploiter** — named by intelligence; otherwise, from the
  controller's money: the person paying cash into the controller's accounts or paid by the
  controller in the victims' destination (exploiter), the person the controller pays in the
  victims' home country (recruitment fees), the person the controller pays in a third country
  (transport).

A victim — a person acted on in an intelligence record, the holder of an account a third person
opened, or the holder of an account screening classified as a possible victim's — is never put
in a suspect role by the money, and a person intelligence names in one role is never put in
another.

Chains need not be complete: a ring without a transporter, or with intelligence on only some
acts, gives a chain of the roles that are there (at least two), each link joining two
consecutive roles. Victims with the same controller (or, without one, the same exploiter,
transporter or recruiter) form one network; when intelligence names several recruiters feeding
it, each recruiter's victims make one chain and the chains are **linked** (``linked``: the ids
of the others), so that every chain keeps one person per role, as every reader of
``results/chains.json`` expects, and each is one sequence of acts a prosecutor can prove.

A link's ``jurisdiction`` is where the act took place (:mod:`fininvest.graph.places`): the
``place`` of its records, the victims' journey, the country of the accounts or payments; the
countries whose investigations hold its records are kept apart (``held_by``). Every chain
carries its explanation: which records support each link, which roles come from the money
only, where each place came from, and what is missing.

A chain's id is derived from its members, so it is stable from run to run and can be cited by
evidence packs and the app.

Complexity: one indexed query per step over the victims and the persons acting on them, so the
cost grows with the size of the trafficking networks, not with the size of the graph.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fininvest.graph.chain_explain import explain_chain
from fininvest.graph.places import country_of_place
from fininvest.graph.store import GraphStore

SWEEP_SHARE = 0.25
ROLES = ("recruiter", "transporter", "exploiter", "controller")
ACT_OF = {
    "transporter": "transported",
    "exploiter": "exploited",
    "controller": "controlled_proceeds",
}
#: the strength of each kind of evidence naming a role, strongest last
STRENGTH = {"financial": 0, "kyc": 1, "intelligence": 2}
INTEL_ACT = {"RECRUITED": "recruiter", "TRANSPORTED": "transporter", "EXPLOITED": "exploiter",
             "CONTROLLED": "controller"}  # fmt: skip


@dataclass
class Group:
    """The victims of one network and what is known of the persons acting on them."""

    victims: list[str]
    members: dict[str, str] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)  # role -> intelligence | kyc | financial
    how: dict[str, str] = field(default_factory=dict)  # role -> how the person was found
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    acts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    paid_in: dict[str, str] = field(default_factory=dict)  # role -> country of the payment
    swept_to: list[str | None] = field(default_factory=list)  # countries of the sweeps


def _flatten(evidence: Iterable[Any], limit: int = 20) -> list[str]:
    out: list[str] = []
    for e in evidence:
        out.extend(e if isinstance(e, list) else [e])
    return sorted(set(out))[:limit]


def mode(values: Iterable[str | None]) -> str | None:
    """The most frequent non-empty value (ties: the smallest), or ``None``."""
    c = Counter(v for v in values if v)
    return min(c, key=lambda k: (-c[k], k)) if c else None


def _intel_record(row: dict[str, Any]) -> dict[str, Any]:
    rec = {"kind": "intelligence", "id": row["link_id"], "grading": row["grading"]}
    rec["held_by"] = row.get("jurisdiction")
    where = country_of_place(row.get("place"))
    if where:
        rec["place"] = where
    return rec


def _tx_records(ids: list[str], note: str) -> list[dict[str, Any]]:
    return [{"kind": "transaction", "id": i, "note": note} for i in ids]


class ChainBuilder:
    """Reads what it needs from the graph through named queries and assembles the chains."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._profiles: dict[str, dict[str, Any]] = {}
        self._flows: dict[str, list[dict[str, Any]]] = {}
        self._possible_victims: dict[str, bool] = {}
        self.victims: set[str] = set()
        self.intel_roles: dict[str, set[str]] = defaultdict(set)

    # ----- reading ----------------------------------------------------------------------------
    def profiles(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        missing = sorted(set(ids) - set(self._profiles))
        if missing:
            for r in self.store.run("query/persons_profile", {"ids": missing}):
                self._profiles[r["id"]] = r
        return self._profiles

    def profile(self, pid: str) -> dict[str, Any]:
        return self.profiles([pid]).get(pid, {})

    def country(self, pid: str) -> str | None:
        p = self.profile(pid)
        return p.get("residence") or mode(p.get("account_countries") or [])

    def flows_out(self, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """What each of ``ids`` paid to other parties, transfers and cash deposits summed per
        recipient (``dst``, ``dst_kind``, ``dst_country``, ``total``, ``count``,
        ``evidence``)."""
        want = sorted(set(ids) - set(self._flows))
        if want:
            for pid in want:
                self._flows[pid] = []
            merged: dict[tuple[str, str], dict[str, Any]] = {}
            for name in ("query/party_flows_out", "query/deposits_by"):  # transfers and cash
                for r in self.store.run(name, {"ids": want}):
                    r = {**r, "evidence": _flatten(r["evidence"], 50)}
                    m = merged.setdefault((r["src"], r["dst"]), r)
                    if m is not r:
                        if r["total"] > m["total"]:
                            m["dst_country"] = r["dst_country"]
                        m["total"] += r["total"]
                        m["count"] += r["count"]
                        m["evidence"] = sorted({*m["evidence"], *r["evidence"]})
            for (src, _), r in sorted(merged.items()):
                self._flows[src].append(r)
        return {pid: self._flows.get(pid, []) for pid in ids}

    def may_act_as(self, pid: str, role: str) -> bool:
        """Whether the money may put ``pid`` in ``role``: never a victim, never a person
        intelligence names in another role."""
        if pid in self.victims or not (self.intel_roles.get(pid, set()) <= {role}):
            return False
        self.screened([pid])
        return not self._possible_victims[pid] or role in self.intel_roles.get(pid, set())

    def screened(self, ids: Iterable[str]) -> None:
        """Learn, in one query, which of ``ids`` hold an account screening classified as a
        possible victim's."""
        want = sorted(set(ids) - set(self._possible_victims))
        if want:
            hits = {r["person"] for r in self.store.run("query/possible_victims", {"ids": want})}
            self._possible_victims.update({p: p in hits for p in want})

    # ----- assembling -------------------------------------------------------------------------
    def build(self) -> list[dict[str, Any]]:
        acts = self.store.run("query/chain_acts")
        openings = self.store.run("query/third_party_openings")
        by_victim: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in acts:
            by_victim[a["victim"]].append(a)
            self.intel_roles[a["actor"]].add(INTEL_ACT[a["act"]])
        self.victims = (set(by_victim) | {o["holder"] for o in openings}) - set(self.intel_roles)
        victims = set(by_victim) | {o["holder"] for o in openings}
        if not victims:
            return []
        controller = self._controllers(victims, by_victim, openings)
        networks: dict[str, Group] = {}
        for v in sorted(victims):
            c = controller.get(v)
            if c:
                key = f"controller:{c[0]}"
            else:
                key = next(
                    (
                        f"{role}:{actor}"
                        for act, role in (("EXPLOITED", "exploiter"), ("TRANSPORTED",
                                          "transporter"), ("RECRUITED", "recruiter"))
                        if (actor := mode(a["actor"] for a in by_victim[v] if a["act"] == act))
                    ),
                    "",
                )  # fmt: skip
            if not key:
                continue
            g = networks.setdefault(key, Group([]))
            g.victims.append(v)
            if c:
                if STRENGTH[c[1]] > STRENGTH.get(g.basis.get("controller", ""), -1):
                    g.members["controller"], g.basis["controller"], g.how["controller"] = c[:3]
                g.records["controller"].extend(c[3])
                g.swept_to.append(c[4])
        chains = []
        for net in networks.values():
            for g in self._by_recruiter(net, by_victim):
                self._from_intelligence(g, by_victim, net.victims)
                if "controller" not in g.members:
                    self._controller_from_proceeds(g)
                if "controller" in g.members:
                    self._from_money(g, victims)
                chain = self._chain(g)
                if chain is not None:
                    chains.append(chain)
        _link_siblings(chains)
        return sorted(chains, key=lambda c: c["id"])

    def _controllers(
        self,
        victims: set[str],
        by_victim: dict[str, list[dict[str, Any]]],
        openings: list[dict[str, Any]],
    ) -> dict[str, tuple[str, str, str, list[dict[str, Any]], str | None]]:
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        support: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        basis: dict[tuple[str, str], tuple[str, str]] = {}
        swept_to: dict[tuple[str, str], str | None] = {}
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
            basis[o["holder"], o["opener"]] = ("kyc", "opened the victims' accounts (KYC)")
        for v, rows in by_victim.items():
            for a in rows:
                if a["act"] == "CONTROLLED":
                    votes[v][a["actor"]] += 2
                    support[v, a["actor"]].append(_intel_record(a))
                    basis[v, a["actor"]] = ("intelligence", "named by intelligence")
        flows = self.flows_out(victims)
        self.screened(r["dst"] for rows in flows.values() for r in rows)
        for v, rows in flows.items():
            to_people = [r for r in rows if r["dst_kind"] == "Person" and r["dst"] not in victims]
            paid = sum(r["total"] for r in to_people)
            for r in to_people:
                if not paid or r["total"] / paid < SWEEP_SHARE:
                    continue
                if not self.may_act_as(r["dst"], "controller"):
                    continue
                votes[v][r["dst"]] += 1
                swept_to[v, r["dst"]] = r["dst_country"]
                support[v, r["dst"]] += _tx_records(
                    _flatten(r["evidence"], 10), f"victim's earnings swept to {r['dst']}"
                )
                basis.setdefault(
                    (v, r["dst"]), ("financial", "receives the victims' earnings (money only)")
                )
        out = {}
        for v, c in votes.items():
            best = min(c, key=lambda k: (-c[k], k))
            out[v] = (best, *basis[v, best], support[v, best], swept_to.get((v, best)))
        return out

    def _by_recruiter(self, net: Group, by_victim: dict[str, list[dict[str, Any]]]) -> list[Group]:
        """One group per recruiter feeding the network (their own victims; victims without a
        recruitment record go with the recruiter of most victims), or the network itself."""
        recruiter = {
            v: mode(a["actor"] for a in by_victim.get(v, []) if a["act"] == "RECRUITED")
            for v in net.victims
        }
        named = Counter(r for r in recruiter.values() if r)
        if len(named) < 2:
            return [net]
        first = min(named, key=lambda k: (-named[k], k))
        out = []
        for r in sorted(named):
            g = Group([v for v in net.victims if recruiter[v] in (r, None if r == first else r)])
            if "controller" in net.members:
                for part in ("members", "basis", "how"):
                    getattr(g, part)["controller"] = getattr(net, part)["controller"]
                g.records["controller"] = list(net.records["controller"])
                g.swept_to = list(net.swept_to)
            out.append(g)
        return out

    def _from_intelligence(
        self, g: Group, by_victim: dict[str, list[dict[str, Any]]], network: list[str]
    ) -> None:
        """The persons intelligence names for the group's victims (or, for a role none of them
        has a record of, for the whole network's victims)."""
        for role in ("recruiter", "transporter", "exploiter", "controller"):
            if role in g.members:  # the controller: its records are in already, keep its acts
                g.acts[role] += [
                    a
                    for v in g.victims
                    for a in by_victim.get(v, [])
                    if INTEL_ACT[a["act"]] == role and a["actor"] == g.members[role]
                ]
                continue
            for victims in (g.victims, network):
                rows = [a for v in victims for a in by_victim.get(v, [])]
                rows = [a for a in rows if INTEL_ACT[a["act"]] == role]
                actor = mode(a["actor"] for a in rows)
                if actor is not None:
                    break
            if actor is None:
                continue
            g.members[role], g.basis[role] = actor, "intelligence"
            g.how[role] = "named by intelligence"
            mine = [a for a in rows if a["actor"] == actor]
            g.records[role] += [_intel_record(a) for a in mine]
            g.acts[role] += mine

    def _controller_from_proceeds(self, g: Group) -> None:
        """No one controls the victims in the records: the person the exploiter pays at least
        ``SWEEP_SHARE`` of what he pays to people (the proceeds) is the controller."""
        exp = g.members.get("exploiter")
        if exp is None:
            return
        rows = [r for r in self.flows_out([exp])[exp] if r["dst_kind"] == "Person"]
        paid = sum(r["total"] for r in rows)
        fit = [
            r
            for r in rows
            if r["dst"] not in g.members.values()
            and paid
            and r["total"] / paid >= SWEEP_SHARE
            and self.may_act_as(r["dst"], "controller")
        ]
        if not fit:
            return
        best = max(fit, key=lambda r: (r["total"], r["dst"]))
        g.members["controller"], g.basis["controller"] = best["dst"], "financial"
        g.how["controller"] = "receives the exploiter's proceeds (money only)"
        g.records["controller"] += _tx_records(
            _flatten(best["evidence"]), f"exploiter pays the proceeds to {best['dst']}"
        )
        g.paid_in["controller"] = best["dst_country"]

    def _from_money(self, g: Group, victims: set[str]) -> None:
        """Fill the roles intelligence did not name from the controller's money."""
        ctl = g.members["controller"]
        paid = [
            r
            for r in self.flows_out([ctl])[ctl]
            if r["dst_kind"] == "Person" and r["dst"] not in victims
        ]
        self.profiles([*g.victims, *(r["dst"] for r in paid)])
        self.screened(r["dst"] for r in paid)
        source = mode(self._profiles.get(v, {}).get("nationality") for v in g.victims)
        dest = mode(
            c for v in g.victims for c in self._profiles.get(v, {}).get("account_countries") or []
        )
        taken = set(g.members.values())

        def pick(role: str, rows: list[dict[str, Any]], note: str) -> None:
            rows = [r for r in rows if r["dst"] not in taken and self.may_act_as(r["dst"], role)]
            if role in g.members or not rows:
                return
            best = max(rows, key=lambda r: (r["total"], r["dst"]))
            g.members[role], g.basis[role] = best["dst"], "financial"
            g.how[role] = f"{note} (money only)"
            g.records[role] += _tx_records(_flatten(best["evidence"]), note)
            g.paid_in[role] = best["dst_country"]
            taken.add(best["dst"])

        if "exploiter" not in g.members:
            deposits = [
                d
                for d in self.store.run("query/deposits_into", {"ids": [ctl]})
                if d["depositor"] not in taken and self.may_act_as(d["depositor"], "exploiter")
            ]
            if deposits:
                best = max(deposits, key=lambda d: (d["count"], d["depositor"]))
                g.members["exploiter"], g.basis["exploiter"] = best["depositor"], "financial"
                g.how["exploiter"] = "pays cash into the controller's accounts (money only)"
                g.records["exploiter"] += _tx_records(
                    _flatten(best["evidence"]), "cash paid into the controller's accounts"
                )
                taken.add(best["depositor"])
            else:
                pick(
                    "exploiter",
                    [r for r in paid if dest and r["dst_country"] == dest],
                    "paid by the controller in the victims' destination country",
                )
        pick(
            "recruiter",
            [r for r in paid if source and r["dst_country"] == source],
            f"paid by the controller in the victims' home country ({source})",
        )
        pick(
            "transporter",
            [r for r in paid if r["dst_country"] not in {source, dest}],
            "paid by the controller in a transit country",
        )
        for r in paid:  # what the controller pays the others: part of the chain's evidence
            for role in ("recruiter", "transporter", "exploiter"):
                if g.members.get(role) == r["dst"] and g.basis.get(role) == "intelligence":
                    g.paid_in.setdefault(role, r["dst_country"])
                    g.records[role] += _tx_records(
                        _flatten(r["evidence"], 10), f"controller pays the {role}"
                    )
        if "exploiter" in g.members:
            exp = g.members["exploiter"]
            for a in self.store.run("query/associates", {"ids": [ctl]}):
                if a["associate"] == exp:
                    g.records["controller"].append(
                        {"kind": "intelligence", "id": a["link_id"], "grading": a["grading"],
                         "note": "known associates"}
                    )  # fmt: skip

    # ----- places -----------------------------------------------------------------------------
    def place(self, g: Group, role: str) -> tuple[str | None, str]:
        """Where the act of ``role`` took place, and how that was found."""
        pid = g.members[role]
        stated = mode(country_of_place(a.get("place")) for a in g.acts[role])
        if stated:
            return stated, "the place of the act in its records"
        journeys = g.acts["transporter"]
        start = mode(a.get("from_country") for a in journeys)
        victims_accounts = mode(
            c for v in g.victims for c in self.profile(v).get("account_countries") or []
        )
        own = mode(self.profile(pid).get("account_countries") or [])
        options: list[tuple[str | None, str]]
        if role == "recruiter":
            options = [
                (start, "the start of the victims' journey"),
                (g.paid_in.get(role), "the country where the controller paid the recruiter"),
                (mode(self.profile(v).get("nationality") for v in g.victims),
                 "the victims' nationality"),
            ]  # fmt: skip
        elif role == "transporter":
            options = [
                (g.paid_in.get(role), "the country where the transport was paid"),
                (own, "the country of the transporter's accounts"),
                (start, "the start of the victims' journey"),
            ]
        elif role == "exploiter":
            options = [
                (mode(a.get("to_country") for a in journeys), "the end of the victims' journey"),
                (victims_accounts, "the country of the victims' accounts"),
                (g.paid_in.get(role), "the country where the controller paid the exploiter"),
                (own, "the country of the exploiter's accounts"),
            ]
        else:
            # control of the proceeds is exercised where the controller lives; else where
            # the proceeds were paid in (victims' sweeps, the exploiter's payments)
            options = [
                (self.profile(pid).get("residence"), "the controller's residence"),
                (
                    g.paid_in.get(role) or mode(g.swept_to),
                    "the country of the account the proceeds were paid into",
                ),
                (own, "the country of the controller's accounts"),
            ]
        options += [
            (self.country(pid), "the country of the person's residence or accounts"),
            (mode(a.get("jurisdiction") for a in g.acts[role]),
             "the country holding its records (no place of the act is known)"),
        ]  # fmt: skip
        return next(((c, how) for c, how in options if c), (None, "unknown"))

    def _chain(self, g: Group) -> dict[str, Any] | None:
        m = g.members
        roles = [r for r in ROLES if r in m]
        if len(set(m.values())) < 2:
            return None
        if "intelligence" not in g.basis.values() and (
            len(roles) < 3 or g.basis.get("controller") != "kyc"
        ):
            return None
        self.profiles([*m.values(), *g.victims])
        reports: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.store.run("query/strs_of_persons", {"ids": sorted(set(m.values()))}):
            reports[r["person"]].append(
                {
                    "kind": "str",
                    "id": r["report"],
                    "note": f"{r['report_code']} naming account {r['account']} of {r['person']}",
                }  # fmt: skip
            )
        where = {r: self.place(g, r) for r in roles}
        journey = g.acts["transporter"]
        transport = [  # the victims' journey: start, where the transport was paid, end
            mode(x.get("from_country") for x in journey),
            where["transporter"][0] if "transporter" in m else None,
            mode(x.get("to_country") for x in journey),
        ]
        links: list[dict[str, Any]] = []
        for a, b in zip(roles, roles[1:], strict=False):
            if m[a] == m[b]:  # one person in two roles (e.g. the exploiter controls them too)
                continue
            places = transport if b == "transporter" else [where[b][0]]
            links.append(
                {
                    "from": m[a],
                    "from_role": a,
                    "to": m[b],
                    "to_role": b,
                    "act": ACT_OF[b],
                    "jurisdiction": where[b][0],
                    "place_basis": where[b][1],
                    "places": list(dict.fromkeys(p for p in places if p)),
                    "held_by": sorted({r["held_by"] for r in g.records[b] if r.get("held_by")}),
                    "basis": g.basis[b],
                    "records": g.records[b] + reports[m[a]] + reports[m[b]],
                }
            )
        recruited_in = where["recruiter"][0] if "recruiter" in m else None
        route = [p for r in roles for p in (transport if r == "transporter" else [where[r][0]])]
        key = "|".join(m.get(r, "") for r in ROLES)
        chain = {
            "id": "CH-" + hashlib.sha256(key.encode()).hexdigest()[:10].upper(),
            "members": {r: m[r] for r in roles},
            "names": {r: self._profiles.get(m[r], {}).get("name") for r in roles},
            "recruited_in": recruited_in,
            "recruiter_basis": g.basis.get("recruiter"),
            "recruiter_records": g.records["recruiter"],
            "victims": sorted(g.victims),
            "jurisdictions": list(dict.fromkeys(j for j in route if j)),  # order of the journey
            "held_by": sorted(
                {r["held_by"] for role in roles for r in g.records[role] if r.get("held_by")}
            ),
            "links": links,
            "linked": [],
        }
        explain_chain(chain, g.basis, g.how, g.records, where, self._profiles)
        return chain


def _link_siblings(chains: list[dict[str, Any]]) -> None:
    """Chains sharing their controller (several recruiters feeding one controller) name each
    other in ``linked``."""
    by_ctl: dict[str, list[str]] = defaultdict(list)
    for c in chains:
        if "controller" in c["members"]:
            by_ctl[c["members"]["controller"]].append(c["id"])
    for c in chains:
        ctl = c["members"].get("controller")
        c["linked"] = sorted(i for i in by_ctl.get(ctl or "", []) if i != c["id"])
        if c["linked"]:
            c["explanation"].append(
                f"Linked chains with the same controller: {', '.join(c['linked'])} (several "
                "recruiters feeding one controller)."
            )


def chains_of_trafficking(store: GraphStore, min_jurisdictions: int = 2) -> list[dict[str, Any]]:
    """Reconstruct the chains of trafficking in the graph.

    Parameters
    ----------
    store : GraphStore
        A loaded case graph (``fininvest graph load``), embedded or Neo4j.
    min_jurisdictions : int
        Keep chains whose acts took place in at least this many countries (the places of the
        acts, not the countries holding the records).

    Returns
    -------
    list of dict
        Each chain: ``id``, ``members`` (role → person id, the roles that are known),
        ``victims``, ``jurisdictions`` (places of the acts in the order of the journey),
        ``held_by`` (countries holding its records), ``links`` (``from``, ``to``, ``act``,
        ``jurisdiction`` = place of the act, ``place_basis``, ``places``, ``held_by``,
        ``basis``, ``records``, ``explanation``), ``roles`` (per role: person, name, basis,
        ``money_only``, how found), ``missing`` (roles not found), ``linked`` (chains sharing
        the controller) and ``explanation`` (sentences).

    Examples
    --------
    >>> chains = chains_of_trafficking(open_store(ws))  # doctest: +SKIP
    >>> [link["act"] for link in chains[0]["links"]]  # doctest: +SKIP
    ['transported', 'exploited', 'controlled_proceeds']
    """
    return [c for c in ChainBuilder(store).build() if len(c["jurisdictions"]) >= min_jurisdictions]
