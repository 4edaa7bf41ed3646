"""Write the synthetic case as raw input files (the formats fininvest ingests) and the truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import polars as pl

from fininvest.sample.builder import START_S, CaseBuilder
from fininvest.sample.world import COUNTRIES, EUR_RATES

TZ = {cc: c.tz for cc, c in COUNTRIES.items()}


def local_iso(df: pl.DataFrame, country_col: str) -> pl.DataFrame:
    """Add ``timestamp``: epoch ``ts`` as local ISO 8601 with the UTC offset of the country."""
    df = df.with_columns(pl.col(country_col).fill_null("DE").alias("_tz"))
    parts = []
    for (cc,), part in df.group_by("_tz"):
        tz = TZ.get(str(cc), "UTC")
        parts.append(
            part.with_columns(
                pl.from_epoch("ts", "s")
                .dt.replace_time_zone("UTC")
                .dt.convert_time_zone(tz)
                .dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
                .alias("timestamp")
            )
        )
    return pl.concat(parts).sort("ts", "txn_id").drop("_tz")


def _write(df: pl.DataFrame, path: Path, compress: bool) -> Path:
    if compress:
        path = path.with_name(path.name + ".gz")
        df.write_csv(path, compression="gzip", compression_level=9)
    else:
        df.write_csv(path)
    return path


BANK_COLS = ["txn_id", "timestamp", "from_account", "to_account", "amount", "currency", "channel",
             "purpose", "city", "country", "from_country", "to_country", "depositor_id",
             "counterparty_name"]  # fmt: skip
CARD_COLS = [
    "txn_id",
    "timestamp",
    "token",
    "payer_account",
    "merchant_id",
    "merchant_name",
    "mcc",
    "merchant_city",
    "merchant_country",
    "amount",
    "currency",
    "channel",
]


def bank_frame(b: CaseBuilder) -> pl.DataFrame:
    df = b.frames_bank()
    for col in ("depositor_id", "to_country", "counterparty_name", "purpose", "city", "country"):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(col))
    df = df.with_columns(
        pl.col("from_account").str.slice(0, 2).alias("from_country"),
        pl.coalesce(pl.col("to_country"), pl.col("to_account").str.slice(0, 2)).alias("to_country"),
        pl.col("purpose").replace("", None),
    )
    where = pl.coalesce("country", "from_country", "to_country")
    df = local_iso(df.with_columns(where.alias("_where")), "_where")
    return df.select(BANK_COLS)


def card_frame(b: CaseBuilder) -> pl.DataFrame:
    return local_iso(b.frames_card(), "merchant_country").select(CARD_COLS)


def fx_frame(rng: np.random.Generator) -> pl.DataFrame:
    days = np.arange(np.datetime64("2025-01-20"), np.datetime64("2025-06-05"))
    rows = []
    for cur, level in EUR_RATES.items():
        if cur == "EUR":
            continue
        walk = level * np.exp(np.cumsum(rng.normal(0, 0.003, len(days))))
        rows += [
            {"date": str(d), "currency": cur, "quote": "EUR", "rate": float(f"{w:.8g}")}
            for d, w in zip(days, walk, strict=True)
            if d.astype(object).weekday() < 5
        ]
    return pl.DataFrame(rows)


def _person_xml(p: dict[str, Any], phones: list[str]) -> str:
    first, _, last = (p.get("name") or "").partition(" ")
    ph = "".join(
        f"<phone><tph_contact_type>M</tph_contact_type><tph_communication_type>M"
        f"</tph_communication_type><tph_number>{escape(x)}</tph_number></phone>"
        for x in phones
    )
    return (
        f"<first_name>{escape(first)}</first_name><last_name>{escape(last)}</last_name>"
        f"<birthdate>{p.get('birthdate') or ''}T00:00:00</birthdate>"
        f"<passport_number>PP{p['party_id'][2:]}</passport_number>"
        f"<nationality1>{p.get('nationality') or ''}</nationality1>"
        f"<residence>{p.get('residence_country') or ''}</residence>"
        + (f"<phones>{ph}</phones>" if ph else "")
    )


def goaml_xml(b: CaseBuilder, bank: pl.DataFrame, subjects: list[tuple[str, str]]) -> str:
    """goAML STRs on the given (account, reason) pairs, each with up to 12 of its transactions."""
    parties = {p["party_id"]: p for p in b.rows["parties"]}
    accounts = {a["account_id"]: a for a in b.rows["accounts"]}
    phones: dict[str, list[str]] = {}
    for i in b.rows["identifiers"]:
        if i["kind"] == "phone":
            phones.setdefault(i["owner_id"], []).append(i["value"])
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<reports>"]
    for n, (acc, reason) in enumerate(subjects, start=1):
        a = accounts[acc]
        holder = parties[a["holder_id"]]
        txs = bank.filter((pl.col("to_account") == acc) | (pl.col("from_account") == acc)).head(12)
        rentity = 1000 + int(a["institution"].rsplit(" ", 1)[-1])
        out.append(
            f"<report><rentity_id>{rentity}</rentity_id><submission_code>E</submission_code>"
            f"<report_code>STR</report_code><entity_reference>STR-2025-{n:04d}</entity_reference>"
            f"<submission_date>2025-05-{10 + n % 18:02d}T10:00:00</submission_date>"
            f"<currency_code_local>EUR</currency_code_local><reason>{escape(reason)}</reason>"
        )
        for t in txs.iter_rows(named=True):
            acc_xml = (
                f"<institution_name>{escape(a['institution'])}</institution_name>"
                f"<swift>BANK{a['country']}XX</swift><account>{acc[-10:]}</account>"
                f"<currency_code>{a['currency']}</currency_code><iban>{acc}</iban>"
                f"<signatory><is_primary>true</is_primary><t_person>"
                f"{_person_xml(holder, phones.get(holder['party_id'], []))}"
                f"</t_person></signatory>"
            )
            if t["to_account"] == acc:
                dep = parties.get(t["depositor_id"] or "")
                frm = (
                    (
                        f"<t_from><from_funds_code>K</from_funds_code><from_person>"
                        f"{_person_xml(dep, []) if dep else '<last_name>unknown</last_name>'}"
                        f"</from_person><from_country>{t['country'] or a['country']}</from_country>"
                        "</t_from>"
                    )
                    if t["from_account"] is None
                    else (
                        f"<t_from><from_funds_code>E</from_funds_code><from_account><account>"
                        f"{t['from_account']}</account><iban>{t['from_account']}</iban>"
                        f"</from_account><from_country>{t['from_country']}</from_country></t_from>"
                    )
                )
                to = (
                    f"<t_to_my_client><to_funds_code>E</to_funds_code><to_account>{acc_xml}"
                    f"</to_account><to_country>{a['country']}</to_country></t_to_my_client>"
                )
            else:
                frm = (
                    f"<t_from_my_client><from_funds_code>E</from_funds_code><from_account>"
                    f"{acc_xml}</from_account><from_country>{a['country']}</from_country>"
                    "</t_from_my_client>"
                )
                to = (
                    (
                        f"<t_to><to_funds_code>K</to_funds_code><to_person>"
                        f"{_person_xml(holder, [])}</to_person><to_country>{t['country'] or ''}"
                        "</to_country></t_to>"
                    )
                    if t["to_account"] is None
                    else (
                        f"<t_to><to_funds_code>E</to_funds_code><to_account><account>"
                        f"{t['to_account']}</account><iban>{t['to_account']}</iban></to_account>"
                        f"<to_country>{t['to_country']}</to_country></t_to>"
                    )
                )
            out.append(
                f"<transaction><transactionnumber>{t['txn_id']}</transactionnumber>"
                f"<transaction_location>{escape(t['city'] or '')}</transaction_location>"
                f"<date_transaction>{t['timestamp'][:19]}</date_transaction>"
                f"<transmode_code>{'K' if t['channel'] == 'cash' else 'E'}</transmode_code>"
                f"<amount_local>{t['amount']}</amount_local>{frm}{to}</transaction>"
            )
        out.append(
            "<report_indicators><indicator>THB</indicator>"
            "<indicator>CASH_STRUCTURING</indicator></report_indicators></report>"
        )
    out.append("</reports>")
    return "\n".join(out)


def write_case(
    b: CaseBuilder,
    raw: Path,
    truth: Path,
    *,
    compress: bool,
    str_subjects: list[tuple[str, str]],
    defects: bool,
) -> dict[str, int]:
    """Write every raw file and the ground truth; returns row counts per file."""
    raw.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    bank = bank_frame(b)
    card = card_frame(b)
    kyc_c = pl.DataFrame(b.rows["parties"], infer_schema_length=None)
    kyc_a = pl.DataFrame(b.rows["accounts"], infer_schema_length=None)
    kyc_i = pl.DataFrame(b.rows["identifiers"], infer_schema_length=None)
    injected: list[dict[str, str]] = []
    if defects:
        bank, card, kyc_a, injected = inject_defects(bank, card, kyc_a)
    files = {
        "bank_transactions.csv": bank,
        "card_transactions.csv": card,
        "kyc_customers.csv": kyc_c,
        "kyc_accounts.csv": kyc_a,
        "kyc_identifiers.csv": kyc_i,
        "intel_links.csv": pl.DataFrame(b.rows["intel"], infer_schema_length=None),
        "assets.csv": pl.DataFrame(b.rows["assets"], infer_schema_length=None),
        "asset_events.csv": pl.DataFrame(b.rows["asset_events"], infer_schema_length=None),
        "fx_rates.csv": fx_frame(b.rng),
    }
    for name, df in files.items():
        big = df.height > 20_000
        _write(df, raw / name, compress and big)
        counts[name] = df.height
    (raw / "str_reports.xml").write_text(goaml_xml(b, bank, str_subjects), "utf-8")
    counts["str_reports.xml"] = len(str_subjects)
    # ----- ground truth (never read by screening)
    roles = {p["party_id"]: "none" for p in b.rows["parties"]}
    roles.update({k: v["role"] for k, v in b.truth_persons.items()})
    persons = pl.DataFrame({"party_id": list(roles), "role": list(roles.values())}).join(
        pl.DataFrame(
            list(b.truth_persons.values()) or None,
            infer_schema_length=None,
            schema={
                "party_id": pl.String,
                "role": pl.String,
                "ring_id": pl.String,
                "scenario": pl.String,
            },
        ).drop("role"),
        on="party_id",
        how="left",
    )
    persons.write_csv(truth / "persons.csv")
    pl.DataFrame(
        [{**v, "typologies": "|".join(v["typologies"])} for v in b.truth_accounts.values()],
        infer_schema_length=None,
    ).write_csv(truth / "accounts.csv")
    pl.DataFrame(b.rows["truth_assets"]).write_csv(truth / "assets.csv")
    pl.DataFrame(
        b.rows["truth_fronts"] or None,
        schema={"ring_id": pl.String, "account_id": pl.String, "merchant_id": pl.String},
    ).write_csv(truth / "front_businesses.csv")
    pl.DataFrame(
        injected or None, schema={"file": pl.String, "record_id": pl.String, "expected": pl.String}
    ).write_csv(truth / "defects.csv")
    (truth / "chains.json").write_text(json.dumps(b.rows["truth_chains"], indent=2), "utf-8")
    return counts


def inject_defects(
    bank: pl.DataFrame, card: pl.DataFrame, kyc_a: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[dict[str, str]]]:
    """A handful of realistic export errors, so the demo shows the quarantine at work."""
    base = bank.row(0, named=True)
    bad = [
        {**base, "txn_id": "TX-DEFECT-1", "amount": None, "_amount": "12,50"},
        {**base, "txn_id": "TX-DEFECT-2", "currency": "EUX"},
        {**base, "txn_id": "TX-DEFECT-3", "timestamp": "31/02/2025 10:00"},
    ]
    bank = bank.with_columns(pl.col("amount").cast(pl.String))
    rows = []
    for r in bad:
        amount = r.pop("_amount", None)
        rows.append({**r, "amount": amount if amount is not None else str(r["amount"])})
    bank = pl.concat([bank, pl.DataFrame(rows, schema=bank.schema)])
    card = pl.concat([card, card.head(1)])
    acc = kyc_a.row(0, named=True)
    kyc_a = pl.concat(
        [
            kyc_a,
            pl.DataFrame(
                [{**acc, "account_id": "XX-DEFECT-ACC", "iban": "DE00123456781234567890"}],
                schema=kyc_a.schema,
            ),
        ]
    )
    injected = [
        {"file": "bank_transactions.csv", "record_id": "TX-DEFECT-1", "expected": "amount"},
        {"file": "bank_transactions.csv", "record_id": "TX-DEFECT-2", "expected": "currency"},
        {"file": "bank_transactions.csv", "record_id": "TX-DEFECT-3", "expected": "timestamp"},
        {
            "file": "card_transactions.csv",
            "record_id": str(card["txn_id"][0]),
            "expected": "duplicate txn_id",
        },
        {"file": "kyc_accounts.csv", "record_id": "XX-DEFECT-ACC", "expected": "iban"},
    ]
    return bank, card, kyc_a, injected


__all__ = ["write_case", "START_S"]
