"""Account ids: an IBAN in any spacing or case is one account; a bad IBAN is kept and flagged;
other ids are left as written; `search` still finds an IBAN however it is typed."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from fininvest.casefile.lookup import search
from fininvest.formats.accounts import (
    INVALID,
    NOT_IBAN,
    VALID,
    VALID_REWRITTEN,
    iban_status,
    iban_status_joined,
    status_of,
)
from fininvest.ingest import ingest_files
from fininvest.normalise import iban_check_digits, iban_lengths
from fininvest.workspace import Workspace

IBAN = "DE89370400440532013000"
SPELLINGS = ("DE89 3704 0044 0532 0130 00", "de89370400440532013000", "De89 37040044 0532013000")
BAD = "DE88370400440532013000"  # check digits off by one
NOT_IBANS = ("10:8000EBD30", "ACC-0001", "nl acc 12", "NG12000000000000000001", "tok_7f3a")


def _ibans(rng: random.Random, n: int) -> list[str | None]:
    """Valid IBANs of every registry country, their spaced and lower-case forms, broken ones
    (check digits, length, a letter where a digit belongs) and ids that are no IBAN."""
    out: list[str | None] = [None, "", "DE", "DE00", *NOT_IBANS]
    lengths = iban_lengths()
    countries = sorted(lengths)
    for _ in range(n):
        cc = rng.choice(countries)
        bban = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                       for _ in range(lengths[cc] - 4))  # fmt: skip
        iban = cc + iban_check_digits(cc, bban) + bban
        spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        out += [iban, spaced, iban.lower(), iban[:-1], iban + "7", iban[:2] + "X" + iban[3:]]
        out.append(iban[:2] + f"{(int(iban[2:4]) + 1) % 100:02d}" + iban[4:])
    return out


def test_kernel_agrees_with_the_scalar_check() -> None:
    values = _ibans(random.Random(13), 400)
    expected = [status_of(v) for v in values]
    assert iban_status(pl.Series(values)).tolist() == expected
    # a column Polars keeps in several buffers is read from one copy of its text: the same
    pieces = pl.concat([pl.Series(values[:700]), pl.Series(values[700:])], rechunk=False)
    assert iban_status(pieces).tolist() == expected
    assert iban_status_joined(pieces).tolist() == expected
    assert iban_status(pl.Series(values).slice(3)).tolist() == expected[3:]
    assert {VALID, INVALID, VALID_REWRITTEN, NOT_IBAN} <= set(expected)


def test_scalar_check_examples() -> None:
    assert [status_of(v) for v in SPELLINGS] == [VALID_REWRITTEN] * 3
    assert status_of(IBAN) == VALID and status_of(BAD) == INVALID
    assert status_of("GB82WEST12345698765432") == VALID  # letters in the BBAN
    assert status_of("DE8937040044053201300") == INVALID  # one digit short of DE's 22
    assert [status_of(v) for v in NOT_IBANS] == [NOT_IBAN] * len(NOT_IBANS)


def _ingest(ws: Workspace, tmp_path: Path, bank: str, kyc: str = "") -> dict[str, object]:
    files = [tmp_path / "bank.csv"]
    files[0].write_text("txn_id,timestamp,from_account,to_account,amount,currency,channel\n" + bank)
    if kyc:
        files.append(tmp_path / "kyc_accounts.csv")
        files[1].write_text("account_id,holder_id,iban\n" + kyc)
    return {s.kind: s for s in ingest_files(ws, files)}


def test_one_account_in_any_spelling_and_the_kyc_join(ws: Workspace, tmp_path: Path) -> None:
    bank = "".join(
        f'T{i},2025-01-02T10:00:00Z,"{s}",10:8000EBD30,10.00,EUR,wire\n'
        for i, s in enumerate((IBAN, *SPELLINGS))
    )
    out = _ingest(ws, tmp_path, bank, kyc=f'"{SPELLINGS[0]}",P-1,{IBAN}\n')
    s = out["bank"]
    assert (s.read, s.accepted, s.rejected) == (4, 4, 0)  # type: ignore[attr-defined]
    assert (s.iban_rewritten, s.iban_invalid) == (3, 0)  # type: ignore[attr-defined]
    tx = ws.scan("transactions").collect()
    assert tx["from_account"].unique().to_list() == [IBAN]
    assert tx["from_account_iban_valid"].to_list() == [True] * 4
    assert tx["to_account"].unique().to_list() == ["10:8000EBD30"]  # not an IBAN: as written
    assert tx["to_account_iban_valid"].null_count() == 4
    acc = ws.scan("accounts").collect()
    assert acc["account_id"].to_list() == [IBAN] and acc["account_id_iban_valid"].to_list() == [
        True
    ]
    joined = tx.join(acc, left_on="from_account", right_on="account_id", how="inner")
    assert joined.height == 4  # every spelling meets its KYC record


def test_bad_checksum_is_kept_and_flagged(ws: Workspace, tmp_path: Path) -> None:
    bank = (
        f"T1,2025-01-02T10:00:00Z,{BAD},{IBAN},10.00,EUR,wire\n"
        f"T2,2025-01-02T10:00:00Z,ACC-0001,nl acc 12,10.00,EUR,wire\n"
    )
    s = _ingest(ws, tmp_path, bank)["bank"]
    assert (s.accepted, s.rejected, s.iban_invalid) == (2, 0, 1)  # type: ignore[attr-defined]
    assert any("wrong length or check digits" in n for n in s.notes)  # type: ignore[attr-defined]
    tx = ws.scan("transactions").sort("txn_id").collect()
    assert tx.select("from_account", "from_account_iban_valid", "to_account_iban_valid").rows() == [
        (BAD, False, True),
        ("ACC-0001", None, None),
    ]
    assert tx["to_account"][1] == "nl acc 12"  # other ids are never rewritten
    # the record as written stays in raw/, found from its provenance
    line = tx["source_line"][0]
    raw = (ws.path("raw") / "bank.csv").read_text().splitlines()[line - 1]
    assert BAD in raw


def test_identifier_owner_accounts_normalised(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "kyc_identifiers.csv"
    f.write_text(
        "owner_id,owner_kind,kind,value\n"
        f'"{SPELLINGS[0]}",account,phone,+4915123456789\n'
        f"{SPELLINGS[1]},party,phone,+4915123456780\n"
    )
    [s] = ingest_files(ws, [f])
    assert s.accepted == 2
    ids = ws.scan("identifiers").sort("value").collect()
    assert ids["owner_id"].to_list() == [SPELLINGS[1], IBAN]  # a party id: as written


@pytest.mark.parametrize("query", [*SPELLINGS, IBAN, "0532 0130 00"])
def test_search_finds_an_iban_in_any_spelling(ws: Workspace, tmp_path: Path, query: str) -> None:
    bank = f'T1,2025-01-02T10:00:00Z,"{SPELLINGS[0]}",10:8000EBD30,10.00,EUR,wire\n'
    _ingest(ws, tmp_path, bank)
    hits = search(ws, query)
    assert [h["id"] for h in hits if h["kind"] == "account"] == [IBAN]
