"""The explanation every chain of trafficking carries: what supports each link, which roles
come from the money only, where each place came from and what is missing.

Added to a chain (a dict of ``results/chains.json``) by :func:`explain_chain`:

* ``roles`` — per role found: ``person``, ``name``, ``basis`` (``intelligence``, ``kyc``,
  ``financial``), ``money_only`` (true when nothing but transactions names the person in that
  role), ``how`` (in words) and the number of supporting records by kind;
* ``missing`` — the roles not found, each with why;
* ``explanation`` — sentences, names beside ids, one per role and link and one per gap;
* on each link, ``explanation``: the act, its place and how the place was found, the records
  supporting it and the countries holding them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

ROLE_ORDER = ("recruiter", "transporter", "exploiter", "controller")

MISSING_WHY = {
    "recruiter": "no recruitment record, and no other person the controller pays is in the "
    "victims' home country",
    "transporter": "no transport record, and no other person the controller pays is in a "
    "transit country (a ring may move its victims without a transporter)",
    "exploiter": "no exploitation record, no one but victims pays cash into the controller's "
    "accounts, and no other person the controller pays is in the victims' destination",
    "controller": "no account opened for the victims by a third person, no control record, and "
    "no one receives a quarter or more of the victims' or the exploiter's payments to people",
}


def _who(pid: str, names: dict[str, dict[str, Any]]) -> str:
    name = names.get(pid, {}).get("name")
    return f"{name} ({pid})" if name else pid


def _support(records: list[dict[str, Any]]) -> str:
    kinds = Counter(r["kind"] for r in records)
    parts = []
    for kind, label in (
        ("intelligence", "intelligence record"),
        ("kyc", "KYC record"),
        ("transaction", "transaction"),
        ("str", "suspicious transaction report"),
    ):
        n = kinds.get(kind, 0)
        if n:
            parts.append(f"{n} {label}{'s' if n != 1 else ''}")
    if not parts:
        return "no record"
    intel = [r for r in records if r["kind"] == "intelligence"]
    gradings = sorted({r["grading"] for r in intel if r.get("grading")})
    held = sorted({r["held_by"] for r in intel if r.get("held_by")})
    tail = ""
    if gradings:
        tail += f"; graded {', '.join(gradings)}"
    if held:
        tail += f"; held by {', '.join(held)}"
    ids = ", ".join(r["id"] for r in records[:3]) + (", …" if len(records) > 3 else "")
    return f"{', '.join(parts)} ({ids}){tail}"


def explain_chain(
    chain: dict[str, Any],
    basis: dict[str, str],
    how: dict[str, str],
    records: dict[str, list[dict[str, Any]]],
    where: dict[str, tuple[str | None, str]],
    names: dict[str, dict[str, Any]],
) -> None:
    """Add ``roles``, ``missing``, ``explanation`` to ``chain`` and ``explanation`` to its links.

    Parameters
    ----------
    chain : dict
        A chain as :func:`fininvest.graph.chains.chains_of_trafficking` builds it.
    basis, how, records : dict
        Per role: the kind of evidence, how the person was found, the supporting records.
    where : dict
        Per role: (country of the act, how the country was found).
    names : dict
        Person id → profile with ``name``.
    """
    members: dict[str, str] = chain["members"]
    roles = {}
    sentences = []
    for role in ROLE_ORDER:
        if role not in members:
            continue
        pid = members[role]
        kinds = Counter(r["kind"] for r in records.get(role, []))
        roles[role] = {
            "person": pid,
            "name": names.get(pid, {}).get("name"),
            "basis": basis.get(role),
            "money_only": basis.get(role) == "financial",
            "how": how.get(role, ""),
            "records": dict(sorted(kinds.items())),
            "place": where[role][0],
            "place_basis": where[role][1],
        }
        sentences.append(
            f"{role.capitalize()} {_who(pid, names)}: {how.get(role, '')}; acted in "
            f"{where[role][0] or 'an unknown country'} ({where[role][1]})."
        )
    missing = [{"role": r, "why": MISSING_WHY[r]} for r in ROLE_ORDER if r not in members]
    for link in chain["links"]:
        link["explanation"] = (
            f"{_who(link['from'], names)} ({link['from_role']}) → {_who(link['to'], names)} "
            f"({link['to_role']}): {link['act'].replace('_', ' ')} in "
            f"{link['jurisdiction'] or 'an unknown country'} ({link['place_basis']}); "
            f"supported by {_support(link['records'])}."
        )
        sentences.append(link["explanation"])
    money_only = [r for r, x in roles.items() if x["money_only"]]
    if money_only:
        sentences.append(
            f"From the money only: {', '.join(money_only)} — no intelligence or KYC record "
            "names them in that role."
        )
    for gap in missing:
        sentences.append(f"Missing {gap['role']}: {gap['why']}.")
    if chain.get("held_by"):
        sentences.append(
            f"Records held by {', '.join(chain['held_by'])}; acts took place in "
            f"{', '.join(chain['jurisdictions']) or 'unknown countries'}."
        )
    chain["roles"] = roles
    chain["missing"] = missing
    chain["explanation"] = sentences
