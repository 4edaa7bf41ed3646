"""A transfer-only check of the AML typologies, from their public definitions.

An independent, small generator in the IBM AML CSV layout — written from the public
definitions of IBM AMLSim's alert patterns (``paramFiles/README.md`` of github.com/IBM/AMLSim:
``fan_in``, ``fan_out``, ``cycle``, ``scatter_gather``, ``gather_scatter``, ``bipartite``,
``stack``; a number of involved accounts, a look-back period in days, amounts) and of its normal
account models (single, fan-out, fan-in, mutual, forward, periodical) — and not from
fininvest's own case generator (:mod:`fininvest.sample`) nor from its detectors. No code of
AMLSim is used.

Each typology instance is small (4–12 accounts; cycles of 3–8 accounts), spread over 10–30
days, and its members are ordinary accounts that keep their normal activity, among normal
accounts that themselves fan in and out (shops paid by customers, firms paying suppliers,
employers paying wages, landlords). The laundering transactions are written with
``Is Laundering = 1`` and, as IBM's ``*_Patterns.txt`` files do, as ``BEGIN LAUNDERING
ATTEMPT - <TYPE>`` … ``END LAUNDERING ATTEMPT`` blocks.

:func:`main_accounts` reads such a patterns file (ours or IBM's) and names each attempt's main
account; :func:`typology_recall` measures a screening against it: main-account recall@k per
typology, k = 2 × the accounts in any laundering transaction (the SAR accounts).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

#: typologies whose main account is defined (the core five), in report order
CORE = ("FAN-IN", "FAN-OUT", "CYCLE", "SCATTER-GATHER", "GATHER-SCATTER")
#: every typology the generator plants
PLANTED = (*CORE, "BIPARTITE", "STACK")
HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
START = datetime(2022, 9, 1, tzinfo=UTC).timestamp()
DAY = 86_400


@dataclass
class Transfer:
    t: float
    a: int
    b: int
    amount: float
    laundering: bool = False


@dataclass
class Check:
    """A generated check: its transfers and the planted attempts."""

    transfers: list[Transfer] = field(default_factory=list)
    attempts: list[tuple[str, list[Transfer]]] = field(default_factory=list)
    accounts: int = 0


def _acc(i: int) -> tuple[str, str]:
    """(bank, account number) of account ``i``: ten banks, hexadecimal numbers."""
    return f"{i % 10:03d}", f"{0x8000_0000 + i * 7919:X}"


def account_id(i: int) -> str:
    """The workspace id of generated account ``i`` (``<bank>:<account>``, as ingest makes it)."""
    bank, number = _acc(i)
    return f"{bank}:{number}"


def generate(accounts: int = 20000, instances: int = 5, days: int = 180, seed: int = 1) -> Check:
    """Normal activity for ``accounts`` accounts over ``days`` days, with ``instances`` attempts
    of each typology in :data:`PLANTED`.

    Complexity: O(transfers).
    """
    rng = np.random.default_rng(seed)
    out = Check(accounts=accounts)
    tx = out.transfers

    def amount(scale: float = 300.0) -> float:
        return round(float(rng.lognormal(math.log(scale), 0.8)), 2)

    def when(day0: float, span: float) -> float:
        return START + (day0 + float(rng.uniform(0, span))) * DAY

    # the ordinary population: about 1 % employers, 2 % shops and utilities, the rest people
    ids = rng.permutation(accounts)
    n_emp, n_shop = max(2, accounts // 100), max(4, accounts // 50)
    employers, shops, people = ids[:n_emp], ids[n_emp : n_emp + n_shop], ids[n_emp + n_shop :]
    employer_of = rng.choice(employers, people.shape[0])
    for month in range(days // 30):  # wages, monthly
        for p, e in zip(people.tolist(), employer_of.tolist(), strict=True):
            if rng.random() < 0.7:
                tx.append(Transfer(START + (month * 30 + 25) * DAY + 3600 * 9, e, p, amount(2000)))
    models = np.asarray(rng.choice(6, people.shape[0], p=[0.3, 0.15, 0.15, 0.1, 0.1, 0.2]))
    for p, model in zip(people.tolist(), models.tolist(), strict=True):
        if model == 0:  # single: a few one-off payments to anyone
            for _ in range(int(rng.integers(1, 6))):
                tx.append(Transfer(when(0, days), p, int(rng.choice(accounts)), amount()))
        elif model in (1, 2):  # fan-out / fan-in: 4–12 regular counterparties, every month
            partners = rng.choice(people, int(rng.integers(4, 13)), replace=False).tolist()
            for month in range(days // 30):
                for q in partners:
                    if q != p and rng.random() < 0.6:
                        a, b = (p, q) if model == 1 else (q, p)
                        tx.append(Transfer(when(month * 30, 30), a, b, amount(150)))
        elif model == 3:  # mutual: back and forth with one partner
            q = int(rng.choice(people))
            for _ in range(int(rng.integers(2, 8))):
                t = when(0, days - 10)
                x = amount()
                tx.append(Transfer(t, p, q, x))
                tx.append(Transfer(t + float(rng.uniform(1, 10)) * DAY, q, p, round(x * 0.9, 2)))
        elif model == 4:  # forward: receives and passes on within days
            q, r = (int(x) for x in rng.choice(people, 2, replace=False))
            for _ in range(int(rng.integers(2, 6))):
                t = when(0, days - 5)
                x = amount()
                tx.append(Transfer(t, q, p, x))
                tx.append(Transfer(t + float(rng.uniform(0.5, 4)) * DAY, p, r, round(x * 0.95, 2)))
        else:  # periodical: rent and bills to shops/utilities, monthly
            for s in rng.choice(shops, int(rng.integers(1, 4)), replace=False).tolist():
                day = float(rng.integers(1, 28))
                for month in range(days // 30):
                    tx.append(Transfer(START + (month * 30 + day) * DAY, p, s, amount(80)))
    for s in shops.tolist():  # shops and utilities pay their suppliers
        for q in rng.choice(shops, 3).tolist():
            for month in range(days // 30):
                if q != s:
                    tx.append(Transfer(when(month * 30, 30), s, q, amount(3000)))

    pool = people.tolist()
    for kind in PLANTED:
        for _ in range(instances):
            legs = _attempt(kind, rng, pool, days, amount)
            for leg in legs:
                leg.laundering = True
            tx.extend(legs)
            out.attempts.append((kind, sorted(legs, key=lambda x: x.t)))
    tx.sort(key=lambda x: x.t)
    return out


def _attempt(
    kind: str, rng: np.random.Generator, pool: list[int], days: int, amount: Any
) -> list[Transfer]:
    """One laundering attempt of ``kind`` among ordinary accounts of ``pool``."""
    period = float(rng.integers(10, 31))  # 10–30 days
    t0 = START + float(rng.uniform(0, days - period - 1)) * DAY

    def at(frac: float) -> float:
        return t0 + frac * period * DAY

    def members(n: int) -> list[int]:
        return [int(x) for x in rng.choice(pool, n, replace=False)]

    legs: list[Transfer] = []
    if kind in ("FAN-IN", "FAN-OUT"):
        main, *others = members(int(rng.integers(4, 13)))
        for o in others:
            a, b = (o, main) if kind == "FAN-IN" else (main, o)
            legs.append(Transfer(at(float(rng.random())), a, b, amount(900)))
    elif kind == "CYCLE":
        ring = members(int(rng.integers(3, 9)))
        x = amount(5000)
        for i, a in enumerate(ring):
            legs.append(
                Transfer(
                    at((i + float(rng.random()) * 0.8) / len(ring)), a, ring[(i + 1) % len(ring)], x
                )
            )
            x = round(x * float(rng.uniform(0.93, 0.99)), 2)  # a fee kept at each hop
    elif kind == "SCATTER-GATHER":
        src, dst, *mids = members(int(rng.integers(5, 13)))
        for m in mids:
            x = amount(3000)
            t = at(float(rng.uniform(0, 0.5)))
            legs.append(Transfer(t, src, m, x))
            legs.append(
                Transfer(
                    t + float(rng.uniform(0.1, 0.45)) * period * DAY, m, dst, round(x * 0.95, 2)
                )
            )
    elif kind == "GATHER-SCATTER":
        hub, *rest = members(int(rng.integers(5, 13)))
        half = max(2, len(rest) // 2)
        total = 0.0
        for s in rest[:half]:
            x = amount(1500)
            total += x
            legs.append(Transfer(at(float(rng.uniform(0, 0.5))), s, hub, x))
        for d in rest[half:]:
            legs.append(
                Transfer(
                    at(float(rng.uniform(0.55, 1))),
                    hub,
                    d,
                    round(0.95 * total / len(rest[half:]), 2),
                )
            )
    elif kind == "BIPARTITE":
        group = members(int(rng.integers(4, 13)))
        half = len(group) // 2
        for a in group[:half]:
            for b in group[half:]:
                legs.append(Transfer(at(float(rng.random())), a, b, amount(1000)))
    else:  # STACK: three layers, each account of one pays every account of the next
        group = members(int(rng.integers(6, 13)))
        third = len(group) // 3
        layers = [group[:third], group[third : 2 * third], group[2 * third :]]
        for step, (upper, lower) in enumerate(zip(layers, layers[1:], strict=False)):
            for a in upper:
                for b in lower:
                    legs.append(Transfer(at((step + float(rng.random())) / 2), a, b, amount(1000)))
    return legs


def _row(x: Transfer) -> str:
    ts = datetime.fromtimestamp(x.t, UTC).strftime("%Y/%m/%d %H:%M")
    (fb, fa), (tb, ta) = _acc(x.a), _acc(x.b)
    return (
        f"{ts},{fb},{fa},{tb},{ta},{x.amount:.2f},Euro,{x.amount:.2f},Euro,ACH,{int(x.laundering)}"
    )


def write(check: Check, folder: Path) -> tuple[Path, Path]:
    """Write ``Check_Trans.csv`` and ``Check_Patterns.txt`` (IBM AML layout) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    trans, patterns = folder / "Check_Trans.csv", folder / "Check_Patterns.txt"
    trans.write_text("\n".join([HEADER, *map(_row, check.transfers)]) + "\n", "utf-8")
    blocks = []
    for kind, legs in check.attempts:
        blocks.append(f"BEGIN LAUNDERING ATTEMPT - {kind}")
        blocks.extend(_row(x) for x in legs)
        blocks.append(f"END LAUNDERING ATTEMPT - {kind}\n")
    patterns.write_text("\n".join(blocks), "utf-8")
    return trans, patterns


def read_patterns(path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """The attempts of an IBM-layout patterns file: (typology, [(payer, payee) …] in file
    order), accounts as ``<bank>:<account>``. The typology is the word after the dash
    (``FAN-IN``, ``CYCLE`` …), without IBM's detail after a colon."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] | None = None
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("BEGIN LAUNDERING ATTEMPT"):
            kind = line.split("-", 1)[1].split(":", 1)[0].strip().upper()
            current = []
            out.append((kind, current))
        elif line.startswith("END LAUNDERING ATTEMPT"):
            current = None
        elif current is not None and line.strip():
            f = line.split(",")
            current.append((f"{f[1].strip()}:{f[2].strip()}", f"{f[3].strip()}:{f[4].strip()}"))
    return out


def main_accounts(kind: str, legs: list[tuple[str, str]]) -> set[str]:
    """The main account(s) of one attempt, from its transfers alone, as AMLSim names them:
    the receiver of a fan-in, the sender of a fan-out, the originator of a cycle (the payer of
    its first transfer), the source and destination of a scatter-gather, the hub of a
    gather-scatter. Other typologies have none (empty set).

    >>> legs = [("s", "m1"), ("s", "m2"), ("m1", "d"), ("m2", "d")]
    >>> sorted(main_accounts("SCATTER-GATHER", legs))
    ['d', 's']
    """
    payers = Counter(a for a, _ in legs)
    payees = Counter(b for _, b in legs)
    if kind == "FAN-IN":
        return {payees.most_common(1)[0][0]}
    if kind == "FAN-OUT":
        return {payers.most_common(1)[0][0]}
    if kind == "CYCLE":
        return {legs[0][0]}
    if kind == "SCATTER-GATHER":
        return {a for a in payers if a not in payees} | {b for b in payees if b not in payers}
    if kind == "GATHER-SCATTER":
        both = [a for a in payers if a in payees]
        return {max(both, key=lambda a: payers[a] + payees[a])} if both else set()
    return set()


def typology_recall(alerts: pl.DataFrame, patterns: Path) -> dict[str, Any]:
    """Main-account recall@k per typology of a screening's alerts against a patterns file;
    k = 2 × the accounts in any laundering transaction. Also the rank of every main account
    (None when not ranked as a suspect)."""
    attempts = read_patterns(patterns)
    sar = {acc for _, legs in attempts for leg in legs for acc in leg}
    k = 2 * len(sar)
    ranked = (
        alerts.filter(pl.col("classification") == "suspect").sort("rank")["entity_id"].to_list()
    )
    rank = {a: i for i, a in enumerate(ranked, start=1)}
    top = set(ranked[:k])
    per: dict[str, dict[str, Any]] = {}
    for kind, legs in attempts:
        mains = main_accounts(kind, legs)
        if not mains:
            continue
        row = per.setdefault(kind, {"attempts": 0, "main_accounts": 0, "in_top_k": 0, "ranks": []})
        row["attempts"] += 1
        row["main_accounts"] += len(mains)
        row["in_top_k"] += len(mains & top)
        row["ranks"].extend(rank.get(m) for m in sorted(mains))
    for row in per.values():
        row["recall_at_k"] = row["in_top_k"] / row["main_accounts"]
    core = [per[c]["recall_at_k"] for c in CORE if c in per]
    return {
        "k": k,
        "sar_accounts": len(sar),
        "ranked_suspects": len(ranked),
        "recall_at_k": dict(sorted((c, v["recall_at_k"]) for c, v in per.items())),
        "core_mean_recall_at_k": sum(core) / len(core) if core else None,
        "typologies": per,
    }


def run_check(
    folder: Path,
    accounts: int = 20000,
    instances: int = 5,
    days: int = 180,
    seed: int = 1,
    transactions: Path | None = None,
    patterns: Path | None = None,
) -> dict[str, Any]:
    """Generate a check (or take an IBM ``transactions`` file and its ``patterns``), ingest it
    into a default workspace in ``folder/case``, screen it and measure main-account recall@k
    per typology. The result is also written to ``folder/case/results/typology_check.json``."""
    import json

    from fininvest.ingest import ingest_files
    from fininvest.screening.run import screen
    from fininvest.workspace import init_workspace

    if transactions is None or patterns is None:
        transactions, patterns = write(generate(accounts, instances, days, seed), folder)
    ws = init_workspace(folder / "case")
    [summary] = ingest_files(ws, [transactions])
    res = screen(ws)
    out = {
        "transactions_file": str(transactions),
        "patterns_file": str(patterns),
        "generated": {"accounts": accounts, "instances": instances, "days": days, "seed": seed},
        "records_read": summary.read,
        "records_accepted": summary.accepted,
        **typology_recall(res.alerts, patterns),
    }
    ws.path("results", "typology_check.json").write_text(json.dumps(out, indent=2), "utf-8")
    ws.audit("typology-check", {"patterns": str(patterns)}, counts={"k": out["k"]})
    return out
