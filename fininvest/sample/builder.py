"""Accumulates the synthetic case: parties, accounts, identifiers, money, intelligence, truth.

Background activity arrives as numpy column chunks (vectorised); planted cases arrive row by
row (they are small). :meth:`CaseBuilder.frames` turns both into Polars frames.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from fininvest.sample.world import COUNTRIES, MERCHANT_TYPES, make_iban, make_phone

START = datetime(2025, 2, 1, tzinfo=UTC)
DAYS = 120
START_S = int(START.timestamp())
DAY = 86_400


@dataclass
class Merchants:
    """Acquirer merchants per (type, country, city); a few per cell."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mcc: list[int] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    index: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, per_cell: int = 3) -> Merchants:
        m = cls()
        for cc, c in COUNTRIES.items():
            for city in c.cities:
                for mtype, (mcc, label, _mu, _sd) in MERCHANT_TYPES.items():
                    cell = []
                    for k in range(per_cell):
                        cell.append(len(m.ids))
                        m.ids.append(f"M-{cc}{len(m.ids):06d}")
                        m.names.append(f"{label} {city} {k + 1}")
                        m.mcc.append(mcc)
                        m.city.append(city)
                        m.country.append(cc)
                    m.index[(mtype, cc, city)] = cell
        return m

    def pick(self, rng: np.random.Generator, mtype: str, country: str, city: str) -> int:
        cell = self.index.get((mtype, country, city))
        if cell is None:
            cell = self.index[(mtype, country, COUNTRIES[country].cities[0])]
        return int(cell[int(rng.integers(len(cell)))])


class CaseBuilder:
    """Everything the generator writes, plus the ground truth."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.merchants = Merchants.build()
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.bank_chunks: list[dict[str, np.ndarray]] = []
        self.card_chunks: list[dict[str, np.ndarray]] = []
        self.serial = 0
        self.tx_serial = 0
        self.account_of: dict[str, str] = {}  # party -> main account
        self.country_of: dict[str, str] = {}  # party -> residence
        self.city_of: dict[str, str] = {}
        self.sex_of: dict[str, str] = {}
        self.phone_of: dict[str, str] = {}
        self.currency_of_account: dict[str, str] = {}
        self.truth_accounts: dict[str, dict[str, Any]] = {}
        self.truth_persons: dict[str, dict[str, Any]] = {}

    # ----- ids -------------------------------------------------------------------------------
    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def txn_ids(self, n: int, prefix: str = "TX") -> np.ndarray:
        start = self.tx_serial
        self.tx_serial += n
        return np.char.add(prefix + "-", np.char.zfill(np.arange(start, start + n).astype(str), 9))

    # ----- parties and accounts ------------------------------------------------------------
    def party(
        self,
        kind: str,
        name: str,
        country: str,
        *,
        sex: str | None = None,
        nationality: str | None = None,
        city: str | None = None,
        **extra: Any,
    ) -> str:
        s = self.next_serial()
        pid = f"{'P' if kind == 'person' else 'C'}-{s:07d}"
        born = None
        if kind == "person":
            age = int(self.rng.integers(19, 64))
            born = f"{2025 - age}-{int(self.rng.integers(1, 13)):02d}-{int(self.rng.integers(1, 29)):02d}"  # noqa: E501
        self.rows["parties"].append(
            {
                "party_id": pid,
                "kind": kind,
                "name": name,
                "birthdate": born,
                "sex": sex,
                "nationality": nationality or (country if kind == "person" else None),
                "residence_country": country if kind == "person" else None,
                "registration_number": f"REG{s:08d}" if kind == "company" else None,
                "incorporation_country": country if kind == "company" else None,
                **extra,
            }
        )
        self.country_of[pid] = country
        self.city_of[pid] = city or COUNTRIES[country].cities[0]
        if sex:
            self.sex_of[pid] = sex
        return pid

    def account(
        self,
        holder: str,
        country: str | None = None,
        *,
        opened: str = "2023-05-01",
        opened_by: str | None = None,
        branch: str | None = None,
        account_type: str = "personal",
        name: str | None = None,
    ) -> str:
        country = country or self.country_of[holder]
        s = self.next_serial()
        acc = make_iban(country, s)
        cur = COUNTRIES[country].currency
        self.rows["accounts"].append(
            {
                "account_id": acc,
                "holder_id": holder,
                "holder_name": name,
                "institution": f"{country} Bank {s % 7 + 1}",
                "iban": acc,
                "currency": cur,
                "country": country,
                "account_type": account_type,
                "opened": opened,
                "branch": branch
                or f"{self.city_of.get(holder, COUNTRIES[country].cities[0])} branch",
                "opened_by": opened_by,
            }
        )
        self.account_of.setdefault(holder, acc)
        self.currency_of_account[acc] = cur
        return acc

    def identifier(
        self,
        owner: str,
        kind: str,
        value: str,
        country: str | None = None,
        owner_kind: str = "party",
        valid_from: str | None = None,
    ) -> None:
        self.rows["identifiers"].append(
            {
                "owner_id": owner,
                "owner_kind": owner_kind,
                "kind": kind,
                "value": value,
                "country": country,
                "valid_from": valid_from,
                "valid_to": None,
            }
        )

    def phone(self, owner: str, country: str) -> str:
        number = make_phone(country, self.next_serial())
        self.phone_of[owner] = number
        self.identifier(owner, "phone", number, country)
        return number

    # ----- money -------------------------------------------------------------------------------
    def bank(
        self,
        ts: float,
        frm: str | None,
        to: str | None,
        amount: float,
        channel: str,
        purpose: str = "",
        city: str | None = None,
        country: str | None = None,
        depositor: str | None = None,
        currency: str | None = None,
        to_country: str | None = None,
    ) -> str:
        """One planted bank transaction (amount in the paying account's currency)."""
        acc = frm or to
        assert acc is not None
        cur = currency or self.currency_of_account.get(acc, "EUR")
        tid = str(self.txn_ids(1, "TP")[0])
        self.rows["bank"].append(
            {
                "txn_id": tid,
                "ts": int(ts),
                "from_account": frm,
                "to_account": to,
                "amount": round(float(amount), 2),
                "currency": cur,
                "channel": channel,
                "purpose": purpose or None,
                "city": city,
                "country": country,
                "depositor_id": depositor,
                "to_country": to_country,
            }
        )
        return tid

    def card(
        self,
        ts: float,
        account: str,
        mtype: str,
        country: str,
        city: str,
        amount: float | None = None,
        channel: str = "card_present",
        merchant: int | None = None,
    ) -> str:
        m = self.merchants.pick(self.rng, mtype, country, city) if merchant is None else merchant
        mu, sd = MERCHANT_TYPES[mtype][2:]
        amt = amount if amount is not None else max(1.0, float(self.rng.normal(mu, sd)))
        tid = str(self.txn_ids(1, "CP")[0])
        self.rows["card"].append(
            {
                "txn_id": tid,
                "ts": int(ts),
                "payer_account": account,
                "merchant": m,
                "amount": round(amt, 2),
                "currency": COUNTRIES[country].currency if country in COUNTRIES else "EUR",
                "channel": channel,
            }
        )
        return tid

    def day_ts(self, day: float, hour: float | None = None) -> float:
        h = hour if hour is not None else float(self.rng.uniform(8, 20))
        return START_S + int(day) * DAY + h * 3600 + float(self.rng.uniform(0, 3599))

    # ----- truth -------------------------------------------------------------------------------
    def tag_person(self, pid: str, role: str, ring: str | None, scenario: str | None) -> None:
        self.truth_persons[pid] = {
            "party_id": pid,
            "role": role,
            "ring_id": ring,
            "scenario": scenario,
        }

    def tag_account(
        self,
        acc: str,
        ring: str | None,
        scenario: str | None,
        role: str,
        typologies: list[str],
        lookalike: str | None = None,
    ) -> None:
        cur = self.truth_accounts.setdefault(
            acc,
            {
                "account_id": acc,
                "ring_id": ring,
                "scenario": scenario,
                "holder_role": role,
                "typologies": [],
                "lookalike_group": lookalike,
            },
        )
        cur["typologies"] = sorted(set(cur["typologies"]) | set(typologies))

    def frames_card(self) -> pl.DataFrame:
        m = self.merchants
        planted = self.rows["card"]
        cols: dict[str, list[Any]] = {
            k: []
            for k in ("txn_id", "ts", "payer_account", "merchant", "amount", "currency", "channel")
        }
        for r in planted:
            for k in cols:
                cols[k].append(r[k])
        chunks = [pl.DataFrame(c) for c in self.card_chunks] if self.card_chunks else []
        if planted:
            chunks.append(
                pl.DataFrame(cols, schema_overrides={"ts": pl.Int64, "merchant": pl.Int64})
            )
        df = pl.concat(
            [
                c.with_columns(
                    pl.col("ts").cast(pl.Int64),
                    pl.col("merchant").cast(pl.Int64),
                    pl.col("amount").cast(pl.Float64),
                )
                for c in chunks
            ],
            how="diagonal",
        )
        lut = pl.DataFrame(
            {
                "merchant": np.arange(len(m.ids)),
                "merchant_id": m.ids,
                "merchant_name": m.names,
                "mcc": m.mcc,
                "merchant_city": m.city,
                "merchant_country": m.country,
            }
        )
        return (
            df.join(lut, on="merchant", how="left")
            .drop("merchant")
            .with_columns(
                pl.concat_str(pl.lit("tok_"), pl.col("payer_account").str.slice(-10)).alias("token")
            )
        )

    def frames_bank(self) -> pl.DataFrame:
        chunks = [pl.DataFrame(c) for c in self.bank_chunks]
        if self.rows["bank"]:
            chunks.append(pl.DataFrame(self.rows["bank"], infer_schema_length=None))
        return pl.concat(
            [
                c.with_columns(pl.col("ts").cast(pl.Int64), pl.col("amount").cast(pl.Float64))
                for c in chunks
            ],
            how="diagonal_relaxed",
        )
