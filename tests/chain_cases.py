"""Small hand-built rings, one per failure class of chain reconstruction (issue 32, item 5).

Written as the raw files a user brings (KYC customers and accounts, bank transactions,
intelligence links) and ingested through the normal path. Each ring is what published case
descriptions show — not what fininvest's generator plants: intelligence records held by one
country about acts in others, rings without a transporter, intelligence on only some acts, a
controller seen only in the money, two recruiters feeding one controller, and a ring where the
money alone would put the exploiter and a victim in the wrong roles.

``EXPECTED`` holds each ring's chains as the recipient of a prosecutor's pack would draw them:
members by role, and the links (from, to, act, place of the act).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import polars as pl

from fininvest.graph.chains import SWEEP_SHARE
from fininvest.indicators.catalogue import load_catalogue
from fininvest.ingest import ingest_files
from fininvest.screening.run import write_results
from fininvest.workspace import Workspace

CUSTOMERS = ("party_id", "kind", "name", "birthdate", "sex", "nationality", "residence_country")
ACCOUNTS = ("account_id", "holder_id", "institution", "currency", "country", "account_type",
            "opened", "opened_by")  # fmt: skip
BANK = ("txn_id", "timestamp", "from_account", "to_account", "amount", "currency", "channel",
        "purpose", "city", "country", "from_country", "to_country", "depositor_id")  # fmt: skip
INTEL = ("link_id", "subject_id", "subject_kind", "relation", "object_id", "object_kind",
         "date_from", "place", "from_country", "to_country", "jurisdiction", "source",
         "source_reliability", "info_credibility", "handling_code")  # fmt: skip

# person id -> (name, nationality, residence, account country, account opened by)
PERSONS: dict[str, tuple[str, str, str, str, str]] = {
    # A: no transporter; every record held by DE, acts in RO and DE
    "P-A-REC": ("Radu Albu", "RO", "RO", "RO", ""),
    "P-A-EXP": ("Erik Adler", "DE", "DE", "DE", ""),
    "P-A-CTL": ("Carl Amsel", "DE", "DE", "DE", ""),
    "P-A-V1": ("Ana Vasile", "RO", "DE", "DE", "P-A-CTL"),
    "P-A-V2": ("Ioana Vlad", "RO", "DE", "DE", "P-A-CTL"),
    # B: intelligence on recruitment and control only
    "P-B-REC": ("Ion Bostan", "MD", "MD", "MD", ""),
    "P-B-CTL": ("Karl Brunner", "AT", "AT", "AT", ""),
    "P-B-V1": ("Olga Botnaru", "MD", "AT", "AT", ""),
    "P-B-V2": ("Elena Bivol", "MD", "AT", "AT", ""),
    # C: intelligence on exploitation and control only; proceeds paid into NG
    "P-C-EXP": ("Pedro Castro", "ES", "ES", "ES", ""),
    "P-C-CTL": ("Chidi Okafor", "NG", "NG", "NG", ""),
    "P-C-V1": ("Blessing Eze", "NG", "ES", "ES", ""),
    "P-C-V2": ("Joy Obi", "NG", "ES", "ES", ""),
    # D: the controller only in the money (the exploiter pays him the proceeds)
    "P-D-REC": ("Georgi Dimov", "BG", "BG", "BG", ""),
    "P-D-EXP": ("Dirk de Vries", "NL", "NL", "NL", ""),
    "P-D-CTL": ("Andreas Demetriou", "CY", "CY", "CY", ""),
    "P-D-LDL": ("Henk Jansen", "NL", "NL", "NL", ""),
    "P-D-V1": ("Maria Dimitrova", "BG", "NL", "NL", ""),
    "P-D-V2": ("Petya Draganova", "BG", "NL", "NL", ""),
    # E: two recruiters feeding one controller
    "P-E-REC1": ("Mihai Enescu", "RO", "RO", "RO", ""),
    "P-E-REC2": ("Vasile Esanu", "MD", "MD", "MD", ""),
    "P-E-TRA": ("Laszlo Erdos", "HU", "HU", "HU", ""),
    "P-E-EXP": ("Enzo Esposito", "IT", "IT", "IT", ""),
    "P-E-CTL": ("Franco Ercole", "IT", "IT", "IT", ""),
    "P-E-V1": ("Adina Enache", "RO", "IT", "IT", "P-E-CTL"),
    "P-E-V2": ("Roxana Ene", "RO", "IT", "IT", "P-E-CTL"),
    "P-E-V3": ("Natalia Ermurachi", "MD", "IT", "IT", "P-E-CTL"),
    # F: the money alone would make the exploiter a transporter and a victim the exploiter
    "P-F-REC": ("Dan Florea", "RO", "RO", "RO", ""),
    "P-F-CTL": ("Frank Fischer", "DE", "DE", "DE", ""),
    "P-F-XPL": ("Franz Fuchs", "AT", "AT", "AT", ""),
    "P-F-V1": ("Elena Furtuna", "RO", "DE", "DE", "P-F-CTL"),
    "P-F-V2": ("Dana Filip", "RO", "DE", "DE", "P-F-CTL"),
    "P-F-V3": ("Alina Frunza", "RO", "DE", "DE", ""),
    # H: the controller only in the money: the victims pay their earnings in cash into his account
    "P-H-REC": ("Sorin Hagi", "RO", "RO", "RO", ""),
    "P-H-EXP": ("Hugo Henry", "FR", "FR", "FR", ""),
    "P-H-CTL": ("Henri Hamel", "FR", "FR", "FR", ""),
    "P-H-V1": ("Irina Haiduc", "RO", "FR", "FR", ""),
    "P-H-V2": ("Ramona Hodos", "RO", "FR", "FR", ""),
    # G: a look-alike — a parent opened a child's account; no chain
    "P-G-PAR": ("Maria Gruber", "AT", "AT", "AT", ""),
    "P-G-KID": ("Lena Gruber", "AT", "AT", "AT", "P-G-PAR"),
}

# (subject, relation, object, place, from_country, to_country, held by)
ACTS: list[tuple[str, str, str, str, str, str, str]] = [
    ("P-A-REC", "recruited", "P-A-V1", "Iasi", "", "", "DE"),
    ("P-A-REC", "recruited", "P-A-V2", "Iasi", "", "", "DE"),
    ("P-A-EXP", "exploited", "P-A-V1", "Hamburg", "", "", "DE"),
    ("P-A-EXP", "exploited", "P-A-V2", "Hamburg", "", "", "DE"),
    ("P-B-REC", "recruited", "P-B-V1", "Chisinau", "", "", "AT"),
    ("P-B-REC", "recruited", "P-B-V2", "Chisinau", "", "", "AT"),
    ("P-B-CTL", "controlled", "P-B-V1", "Vienna", "", "", "AT"),
    ("P-B-CTL", "controlled", "P-B-V2", "Vienna", "", "", "AT"),
    ("P-C-EXP", "exploited", "P-C-V1", "Madrid", "", "", "ES"),
    ("P-C-EXP", "exploited", "P-C-V2", "Madrid", "", "", "ES"),
    ("P-C-CTL", "controlled", "P-C-V1", "", "", "", "ES"),
    ("P-C-CTL", "controlled", "P-C-V2", "", "", "", "ES"),
    ("P-D-REC", "recruited", "P-D-V1", "Plovdiv", "", "", "NL"),
    ("P-D-REC", "recruited", "P-D-V2", "Plovdiv", "", "", "NL"),
    ("P-D-EXP", "exploited", "P-D-V1", "Amsterdam", "", "", "NL"),
    ("P-D-EXP", "exploited", "P-D-V2", "Amsterdam", "", "", "NL"),
    ("P-E-REC1", "recruited", "P-E-V1", "Cluj-Napoca", "", "", "IT"),
    ("P-E-REC1", "recruited", "P-E-V2", "Cluj-Napoca", "", "", "IT"),
    ("P-E-REC2", "recruited", "P-E-V3", "Balti", "", "", "IT"),
    ("P-E-TRA", "transported", "P-E-V1", "", "RO", "IT", "IT"),
    ("P-E-TRA", "transported", "P-E-V2", "", "RO", "IT", "IT"),
    ("P-E-TRA", "transported", "P-E-V3", "", "MD", "IT", "IT"),
    ("P-E-EXP", "exploited", "P-E-V1", "Milan", "", "", "IT"),
    ("P-E-EXP", "exploited", "P-E-V3", "Milan", "", "", "IT"),
    ("P-H-REC", "recruited", "P-H-V1", "Timisoara", "", "", "FR"),
    ("P-H-REC", "recruited", "P-H-V2", "Timisoara", "", "", "FR"),
    ("P-H-EXP", "exploited", "P-H-V1", "Lyon", "", "", "FR"),
    ("P-H-EXP", "exploited", "P-H-V2", "Lyon", "", "", "FR"),
    ("P-F-REC", "recruited", "P-F-V1", "Brasov", "", "", "DE"),
    ("P-F-REC", "recruited", "P-F-V2", "Brasov", "", "", "DE"),
]

# (from person, to person, amount, count, channel) — accounts are "ACC-" + person id
MONEY: list[tuple[str, str, float, int, str]] = [
    ("P-A-V1", "P-A-CTL", 900.0, 4, "wire"),  # earnings swept to the controller
    ("P-A-V2", "P-A-CTL", 850.0, 4, "wire"),
    ("P-A-EXP", "P-A-CTL", 2000.0, 3, "cash"),  # cash paid in by the exploiter
    ("P-C-V1", "P-C-CTL", 700.0, 3, "wire"),
    ("P-C-V2", "P-C-CTL", 650.0, 3, "wire"),
    ("P-D-V1", "P-D-EXP", 800.0, 4, "wire"),  # victims pay the exploiter ...
    ("P-D-V2", "P-D-EXP", 750.0, 4, "wire"),
    ("P-D-EXP", "P-D-CTL", 3000.0, 3, "wire"),  # ... who pays the proceeds to the controller
    ("P-D-EXP", "P-D-LDL", 400.0, 1, "wire"),  # and some rent
    ("P-H-V1", "P-H-CTL", 500.0, 4, "cash"),  # earnings paid in cash into his account
    ("P-H-V2", "P-H-CTL", 450.0, 4, "cash"),
    ("P-E-CTL", "P-E-TRA", 450.0, 2, "wire"),  # transport paid by the controller
    ("P-E-V1", "P-E-CTL", 600.0, 3, "wire"),
    ("P-F-CTL", "P-F-REC", 500.0, 1, "wire"),  # recruitment fee
    ("P-F-CTL", "P-F-XPL", 1200.0, 3, "wire"),  # the exploiter's share, paid into AT
    ("P-F-XPL", "P-F-CTL", 1500.0, 2, "cash"),  # the exploiter pays cash in
    ("P-F-V3", "P-F-CTL", 300.0, 6, "cash"),  # a victim pays her earnings in cash
]

#: screening classified this victim's account as a possible victim's (the safeguard)
POSSIBLE_VICTIMS = ("P-F-V3",)


ACT = {"transporter": "transported", "exploiter": "exploited",
       "controller": "controlled_proceeds"}  # fmt: skip


def _expect(members: dict[str, str], places: list[str], jurisdictions: list[str]) -> dict[str, Any]:
    """A chain: its members by role, a link between consecutive roles placed at ``places``."""
    roles = list(members)
    links = [
        {"from": members[a], "from_role": a, "to": members[b], "to_role": b, "act": ACT[b],
         "jurisdiction": where}
        for (a, b), where in zip(zip(roles, roles[1:], strict=False), places, strict=True)
    ]  # fmt: skip
    return {"members": members, "links": links, "jurisdictions": jurisdictions}


#: the chains each ring should give: members and links (place of each act)
EXPECTED: dict[str, list[dict[str, Any]]] = {
    "no_transporter": [
        _expect({"recruiter": "P-A-REC", "exploiter": "P-A-EXP", "controller": "P-A-CTL"},
                ["DE", "DE"], ["RO", "DE"]),
    ],
    "recruitment_and_control": [
        _expect({"recruiter": "P-B-REC", "controller": "P-B-CTL"}, ["AT"], ["MD", "AT"]),
    ],
    "exploitation_and_control": [
        _expect({"exploiter": "P-C-EXP", "controller": "P-C-CTL"}, ["NG"], ["ES", "NG"]),
    ],
    "controller_in_the_money": [
        _expect({"recruiter": "P-D-REC", "exploiter": "P-D-EXP", "controller": "P-D-CTL"},
                ["NL", "CY"], ["BG", "NL", "CY"]),
    ],
    "controller_paid_in_cash": [
        _expect({"recruiter": "P-H-REC", "exploiter": "P-H-EXP", "controller": "P-H-CTL"},
                ["FR", "FR"], ["RO", "FR"]),
    ],
    "two_recruiters": [
        _expect({"recruiter": rec, "transporter": "P-E-TRA", "exploiter": "P-E-EXP",
                 "controller": "P-E-CTL"}, ["HU", "IT", "IT"], [home, "HU", "IT"])
        for rec, home in (("P-E-REC1", "RO"), ("P-E-REC2", "MD"))
    ],
    "roles_from_the_act": [
        _expect({"recruiter": "P-F-REC", "exploiter": "P-F-XPL", "controller": "P-F-CTL"},
                ["DE", "DE"], ["RO", "DE"]),
    ],
}  # fmt: skip


def _write(path: Path, header: tuple[str, ...], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)
    return path


def build_chain_case(ws: Workspace) -> None:
    """Write the rings' raw files into ``ws/raw``, ingest them, and record the screening
    classification of ``POSSIBLE_VICTIMS`` as ``results/alerts.parquet`` (as ``fininvest
    screen`` writes it), so that ``graph load`` puts it on their accounts."""
    raw = ws.path("raw")
    customers, accounts = [], []
    for pid, (name, nat, res, acc_cc, opener) in PERSONS.items():
        customers.append({"party_id": pid, "kind": "person", "name": name,
                          "birthdate": "1990-01-01", "sex": "", "nationality": nat,
                          "residence_country": res})  # fmt: skip
        accounts.append({"account_id": f"ACC-{pid}", "holder_id": pid,
                         "institution": f"{acc_cc} Bank", "currency": "EUR", "country": acc_cc,
                         "account_type": "personal", "opened": "2024-11-04",
                         "opened_by": opener})  # fmt: skip
    bank = []
    for i, (src, dst, amount, count, channel) in enumerate(MONEY):
        for k in range(count):
            cash = channel == "cash"
            bank.append({
                "txn_id": f"TX-C-{i:02d}-{k:02d}",
                "timestamp": f"2025-03-{k + 3:02d}T1{k % 10}:15:00+00:00",
                "from_account": "" if cash else f"ACC-{src}",
                "to_account": f"ACC-{dst}", "amount": f"{amount:.2f}", "currency": "EUR",
                "channel": channel, "purpose": "", "city": "",
                "country": PERSONS[dst][3] if cash else "",
                "from_country": "" if cash else PERSONS[src][3], "to_country": PERSONS[dst][3],
                "depositor_id": src if cash else "",
            })  # fmt: skip
    intel = [
        {"link_id": f"INT-C-{i:03d}", "subject_id": s, "subject_kind": "person",
         "relation": rel, "object_id": o, "object_kind": "person", "date_from": "2025-02-01",
         "place": place, "from_country": fc, "to_country": tc, "jurisdiction": held,
         "source": f"{held} police report", "source_reliability": "B", "info_credibility": "2",
         "handling_code": "P"}
        for i, (s, rel, o, place, fc, tc, held) in enumerate(ACTS)
    ]  # fmt: skip
    files = [
        _write(raw / "kyc_customers.csv", CUSTOMERS, customers),
        _write(raw / "kyc_accounts.csv", ACCOUNTS, accounts),
        _write(raw / "bank_transactions.csv", BANK, bank),
        _write(raw / "intel_links.csv", INTEL, intel),
    ]
    ingest_files(ws, files)
    # what `fininvest screen` writes for an account whose earnings are swept to a third person
    ind = load_catalogue()["swept_to_third_party"]
    n = len(POSSIBLE_VICTIMS)
    alerts = pl.DataFrame(
        {
            "rank": list(range(1, n + 1)),
            "entity_id": [f"ACC-{p}" for p in POSSIBLE_VICTIMS],
            "entity_kind": ["account"] * n,
            "holder_id": list(POSSIBLE_VICTIMS),
            "score": [ind.weight] * n,
            "classification": ["possible_victim"] * n,
            "indicators": [[ind.id]] * n,
            "families": [[ind.families[0]]] * n,
        }
    )
    explanations = pl.DataFrame(
        {
            "entity_id": [f"ACC-{p}" for p in POSSIBLE_VICTIMS],
            "indicator": [ind.id] * n,
            "family": [ind.families[0]] * n,
            "weight": [ind.weight] * n,
            "observed": [1.0] * n,
            "threshold": [SWEEP_SHARE] * n,
            "window": ["30d"] * n,
            "detail": ["earnings paid in cash into a third person's account"] * n,
            "evidence": [
                [
                    f"TX-C-{i:02d}-{k:02d}"
                    for i, m in enumerate(MONEY)
                    if m[0] == p
                    for k in range(m[3])
                ]
                for p in POSSIBLE_VICTIMS
            ],  # fmt: skip
            "evidence_total": [sum(m[3] for m in MONEY if m[0] == p) for p in POSSIBLE_VICTIMS],
            "citation": [""] * n,
        }
    )
    write_results(ws, alerts, explanations)
