"""Every parameter the catalogue shows users is read by the screening code (a parameter that
nothing reads would tell an analyst a lever exists that does nothing)."""

from __future__ import annotations

from pathlib import Path

import fininvest.screening.rules  # noqa: F401  (registers the rules)
from fininvest.indicators.catalogue import load_catalogue
from fininvest.screening.engine import RULES

SCREENING = Path(__file__).resolve().parent.parent / "fininvest" / "screening"


def test_every_parameter_of_an_implemented_indicator_is_read() -> None:
    source = "\n".join(p.read_text() for p in SCREENING.rglob("*.py"))
    unread = [
        f"{ind.id}.{name}"
        for ind in load_catalogue().values()
        if ind.id in RULES
        for name in ind.parameters
        if f'"{name}"' not in source and f"'{name}'" not in source
    ]
    assert unread == []


def test_a_bank_and_kyc_case_evaluates_what_reads_only_those_tables() -> None:
    """``third_party_control`` reads who opened each account, ``remittance_to_source`` the
    transfers and its configured countries: neither waits for identifiers or card data."""
    import polars as pl

    from fininvest.screening.engine import DAY, Context, evaluate

    from .rule_cases import events, params

    ev = events(
        [(0, d * DAY, True, 300.0, "sepa", "RO", f"T{d}") for d in range(6)],
        ["account", "ts", "outflow", "amount", "channel", "to_country", "ref"],
        ["A0", "A1", "A2"],
    )
    kyc = {
        "accounts": pl.DataFrame(
            {
                "account_id": ["A0", "A1", "A2"],
                "holder_id": ["P0", "P1", "P2"],
                "opened_by": [None, "P9", "P9"],
            }
        )
    }
    catalogue = {i: c for i, c in load_catalogue().items()
                 if i in ("third_party_control", "remittance_to_source")}  # fmt: skip
    p = {**params("third_party_control"), **params("remittance_to_source", countries=["RO"])}
    hits, status = evaluate(Context(ev, p, kyc), catalogue, {"transactions", "accounts"})
    assert status == {
        "remittance_to_source": "evaluated: fired on 1 account(s)",
        "third_party_control": "evaluated: fired on 2 account(s)",
    }
    assert {h.indicator for h in hits} == set(catalogue)
