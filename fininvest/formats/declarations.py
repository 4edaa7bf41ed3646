"""Every record kind fininvest ingests, declared once.

``docs/formats.md`` is generated from this module (``make docs``); a test fails if they drift.
"""

from __future__ import annotations

import polars as pl

from fininvest.assets.lifecycle import state_names
from fininvest.errors import BadInput
from fininvest.formats.accounts import flag_column
from fininvest.formats.fields import Derived, Field, FinishContext, RecordKind
from fininvest.formats.finishers import (
    finish_fx,
    finish_ibm_accounts,
    finish_ibm_transactions,
    finish_identifiers,
    finish_intel,
    finish_money,
)

CHANNELS = (
    "cash", "atm", "wire", "sepa", "ach", "p2p", "card", "payroll", "cheque", "msb", "crypto",
    "fee", "other",
)  # fmt: skip
PARTY_KINDS = ("person", "company")
ENTITY_KINDS = (
    "person", "company", "account", "phone", "email", "address", "ad", "vehicle", "trip",
    "location", "device", "ip",
)  # fmt: skip
RELATIONS = (
    "recruited", "transported", "exploited", "controlled", "advertised_with", "travelled",
    "employed_by", "director_of", "lives_at", "owns", "uses", "paid", "associated_with",
)  # fmt: skip
ASSET_KINDS = (
    "real_estate", "vehicle", "bank_balance", "crypto", "cash", "business", "jewellery", "other",
)  # fmt: skip
#: the states of the asset lifecycle (indicators/assets/lifecycle.toml, docs/assets-lifecycle.md)
ASSET_STATUSES = state_names()

AMOUNT_BASE = Derived(
    "amount_base",
    pl.Float64(),
    "amount converted to the workspace base currency (FX as of date: the case's fx rates, then "
    "the ECB reference rates; empty when neither has a rate)",
)


def iban_check(column: str) -> Derived:
    """The check flag of an account-id column (:mod:`fininvest.formats.accounts`)."""
    return Derived(
        flag_column(column),
        pl.Boolean(),
        f"`{column}` is IBAN-shaped: true if its length and check digits are right (ISO 13616), "
        "false if not (the record is kept and counted as `iban_invalid`); empty for other ids",
    )


TS_OFFSET = Derived(
    "ts_offset_min",
    pl.Int16(),
    "original UTC offset of the timestamp in minutes (null: none given)",
)

BANK = RecordKind(
    name="bank",
    title="Bank transactions (fininvest canonical layout)",
    table="transactions",
    description=(
        "One row per money movement between two accounts, or between an account and cash. "
        "A cash deposit has only `to_account`; a cash withdrawal only `from_account`. "
        "Direction is given by the two account columns, never by the sign of the amount."
    ),
    fields=(
        Field("txn_id", "id", True, "transaction reference, unique per bank", "TX-000123"),
        Field(
            "timestamp",
            "timestamp",
            True,
            "when the transaction was booked",
            "2025-03-14T21:45:10+01:00",
            column="ts",
        ),  # noqa: E501
        Field(
            "from_account",
            "id",
            False,
            "paying account (IBAN or bank:number); empty for cash-in",
            "DE89370400440532013000",
            account=True,
        ),  # noqa: E501
        Field(
            "to_account",
            "id",
            False,
            "receiving account; empty for cash-out",
            "RO49AAAA1B31007593840000",
            account=True,
        ),  # noqa: E501
        Field("amount", "amount", True, "amount in `currency`, positive", "450.00"),
        Field("currency", "currency", True, "currency of `amount`", "EUR"),
        Field("channel", "enum", True, "how the money moved", "wire", choices=CHANNELS),
        Field("purpose", "text", False, "payment reference / remittance information", "rent March"),
        Field(
            "city", "text", False, "where it happened (branch, ATM) for cash and card", "Hamburg"
        ),
        Field("country", "country", False, "country where it happened", "DE"),
        Field(
            "from_country", "country", False, "country of the paying account's institution", "DE"
        ),  # noqa: E501
        Field(
            "to_country", "country", False, "country of the receiving account's institution", "RO"
        ),  # noqa: E501
        Field(
            "depositor_id",
            "text",
            False,
            "who physically deposited cash, if not the holder",
            "P-0042",
        ),  # noqa: E501
        Field(
            "counterparty_name",
            "text",
            False,
            "name of the other party as written on the statement",
            "Ion Popescu",
        ),  # noqa: E501
        Field(
            "report_id",
            "text",
            False,
            "goAML report the transaction was reported in (empty in bank exports)",
            "",
        ),  # noqa: E501
    ),
    id_field="txn_id",
    one_of=("from_account", "to_account"),
    derived=(TS_OFFSET, AMOUNT_BASE, iban_check("from_account"), iban_check("to_account")),
    finish=finish_money,
)

IBM_AML = RecordKind(
    name="ibm_aml",
    title="IBM AML transactions (public synthetic AML data sets)",
    table="transactions",
    description=(
        "The layout of IBM's public synthetic anti-money-laundering transaction files. "
        "Columns are matched by position because the file has two columns named `Account`. "
        "An account is identified by bank id and account number together (`<bank>:<account>`). "
        "`Is Laundering`, when present, is stored in the separate `labels` table, which "
        "screening never reads. Transactions get a stable id from their content."
    ),
    fields=(
        Field(
            "Timestamp",
            "timestamp",
            True,
            "`YYYY/MM/DD HH:MM`, taken as UTC",
            "2022/09/01 00:20",
            column="ts",
        ),  # noqa: E501
        Field("From Bank", "text", True, "paying bank id", "10", column="from_bank"),
        Field(
            "Account",
            "text",
            True,
            "paying account number at that bank",
            "8000EBD30",
            column="from_number",
        ),  # noqa: E501
        Field("To Bank", "text", True, "receiving bank id", "10", column="to_bank"),
        Field(
            "Account",
            "text",
            True,
            "receiving account number at that bank",
            "8000EBD30",
            column="to_number",
        ),  # noqa: E501
        Field(
            "Amount Received",
            "amount",
            True,
            "amount credited",
            "3697.34",
            column="amount_received",
        ),  # noqa: E501
        Field(
            "Receiving Currency",
            "currency",
            True,
            "currency credited (name or ISO code)",
            "US Dollar",
            column="currency_received",
        ),  # noqa: E501
        Field(
            "Amount Paid",
            "amount",
            True,
            "amount debited; becomes `amount`",
            "3697.34",
            column="amount",
        ),  # noqa: E501
        Field(
            "Payment Currency",
            "currency",
            True,
            "currency debited; becomes `currency`",
            "US Dollar",
            column="currency",
        ),  # noqa: E501
        Field(
            "Payment Format",
            "text",
            True,
            "Cheque, ACH, Credit Card, Wire, Cash, Reinvestment or Bitcoin",
            "Reinvestment",
            column="payment_format",
        ),  # noqa: E501
        Field(
            "Is Laundering",
            "int",
            False,
            "0/1 label of the synthetic data; stored apart, never screened",
            "0",
            column="is_laundering",
        ),  # noqa: E501
    ),
    positional=True,
    id_field="txn_id",
    derived=(
        Derived("txn_id", pl.String(), "content hash of the row plus its occurrence number"),
        Derived("from_account", pl.String(), "`<From Bank>:<Account>`"),
        Derived("to_account", pl.String(), "`<To Bank>:<Account>`"),
        Derived(
            "channel",
            pl.String(),
            "from Payment Format (Credit Card → card, Bitcoin → crypto, Reinvestment → other)",
        ),  # noqa: E501
        TS_OFFSET,
        AMOUNT_BASE,
    ),
    drop=("from_bank", "from_number", "to_bank", "to_number"),
    labels=("is_laundering",),
    finish=finish_ibm_transactions,
)

IBM_ACCOUNTS = RecordKind(
    name="ibm_accounts",
    title="IBM AML accounts file",
    table="accounts",
    description="The accounts file that comes with the IBM AML transactions.",
    fields=(
        Field("Bank Name", "text", True, "bank name", "US Bank #10", column="institution"),
        Field(
            "Bank ID", "text", True, "bank id as used in the transactions", "10", column="bank_id"
        ),  # noqa: E501
        Field(
            "Account Number",
            "text",
            True,
            "account number at that bank",
            "8000EBD30",
            column="account_number",
        ),  # noqa: E501
        Field("Entity ID", "text", True, "holder id", "800062D30", column="holder_id"),
        Field(
            "Entity Name",
            "text",
            False,
            "holder name",
            "Sole Proprietorship #50438",
            column="holder_name",
        ),  # noqa: E501
    ),
    finish=finish_ibm_accounts,
    derived=(Derived("account_id", pl.String(), "`<Bank ID>:<Account Number>`"),),
    id_field="account_id",
)

CARD = RecordKind(
    name="card",
    title="Payment-processor records (card acquirer / PSP)",
    table="card_transactions",
    description=(
        "One row per card or wallet payment as seen by an acquirer or payment service "
        "provider. This is where hotels, ride-share, escort/dating and ad-platform payments show."
    ),
    fields=(
        Field("txn_id", "id", True, "processor transaction id", "PSP-88812"),
        Field(
            "timestamp",
            "timestamp",
            True,
            "authorisation time with the merchant's UTC offset",
            "2025-03-14T23:10:00+01:00",
            column="ts",
        ),  # noqa: E501
        Field("token", "text", True, "card or wallet token (never a full card number)", "tok_7f3a"),  # noqa: E501
        Field(
            "payer_account",
            "id",
            False,
            "account the card or wallet is funded from",
            "DE89370400440532013000",
            account=True,
        ),  # noqa: E501
        Field("merchant_id", "id", True, "acquirer's merchant id", "M-20931"),
        Field("merchant_name", "text", False, "merchant name as on the statement", "Hotel Alster"),  # noqa: E501
        Field("mcc", "mcc", True, "merchant category code (ISO 18245)", "7011"),
        Field("merchant_city", "text", False, "merchant city", "Hamburg"),
        Field("merchant_country", "country", False, "merchant country", "DE"),
        Field("amount", "amount", True, "amount in `currency`", "89.00"),
        Field("currency", "currency", True, "transaction currency", "EUR"),
        Field(
            "channel",
            "enum",
            True,
            "how the card was used",
            "card_present",
            choices=("card_present", "ecommerce", "p2p"),
        ),  # noqa: E501
    ),
    id_field="txn_id",
    derived=(TS_OFFSET, AMOUNT_BASE, iban_check("payer_account")),
    finish=finish_money,
)

KYC_CUSTOMERS = RecordKind(
    name="kyc_customers",
    title="KYC customers (persons and companies)",
    table="parties",
    description=(
        "Customers as known to an institution. `sex` and `nationality` are sensitive: "
        "indicators may use them only as risk context, never as a trigger on their own."
    ),
    fields=(
        Field("party_id", "id", True, "customer id", "P-0042"),
        Field("kind", "enum", True, "person or company", "person", choices=PARTY_KINDS),
        Field("name", "text", True, "full name or registered name", "Maria Ionescu"),
        Field("birthdate", "date", False, "date of birth (persons)", "1999-02-11"),
        Field(
            "sex",
            "enum",
            False,
            "sex as recorded (risk context only)",
            "female",
            choices=("female", "male", "other", "unknown"),
        ),  # noqa: E501
        Field("nationality", "country", False, "nationality", "RO"),
        Field("residence_country", "country", False, "country of residence", "DE"),
        Field("id_number", "text", False, "passport or national id number", "RO1234567"),
        Field("registration_number", "text", False, "company registration number", "HRB 12345"),
        Field("incorporation_country", "country", False, "country of incorporation", "DE"),
        Field("occupation", "text", False, "occupation or line of business", "nail salon"),
        Field("business_mcc", "mcc", False, "MCC of the business, if a merchant", "7230"),
        Field(
            "declared_monthly_income",
            "amount",
            False,
            "declared income per month, base currency",
            "1800",
        ),  # noqa: E501
    ),
    id_field="party_id",
)

KYC_ACCOUNTS = RecordKind(
    name="kyc_accounts",
    title="KYC accounts",
    table="accounts",
    description="Accounts with their holder and onboarding details.",
    fields=(
        Field(
            "account_id",
            "id",
            True,
            "account id as used in transactions",
            "DE89370400440532013000",
            account=True,
        ),
        Field("holder_id", "id", True, "party_id of the holder", "P-0042"),
        Field("holder_name", "text", False, "holder name", "Maria Ionescu"),
        Field("institution", "text", False, "bank or PSP name", "Alsterbank"),
        Field("bank_id", "text", False, "BIC or bank code", "ALSTDEHH"),
        Field("account_number", "text", False, "account number (if not an IBAN)", "0532013000"),
        Field("iban", "iban", False, "IBAN", "DE89370400440532013000"),
        Field("currency", "currency", False, "account currency", "EUR"),
        Field("country", "country", False, "country of the institution", "DE"),
        Field(
            "account_type",
            "enum",
            False,
            "kind of account",
            "personal",
            choices=("personal", "business", "savings", "prepaid", "crypto", "payment"),
        ),  # noqa: E501
        Field("opened", "date", False, "opening date", "2024-11-02"),
        Field("closed", "date", False, "closing date", ""),
        Field("branch", "text", False, "branch where it was opened", "Hamburg-Mitte"),
        Field(
            "opened_by", "text", False, "party_id of a third person present at opening", "P-0007"
        ),  # noqa: E501
    ),
    id_field="account_id",
    derived=(iban_check("account_id"),),
)

KYC_IDENTIFIERS = RecordKind(
    name="kyc_identifiers",
    title="KYC identifiers (phones, e-mails, addresses, devices, IPs)",
    table="identifiers",
    description=(
        "Identifiers used by a customer or an account, with the period they were used. "
        "Phones become E.164 (`country` is the region for numbers without `+`), e-mails "
        "lower case, addresses whitespace-collapsed upper case, IPs canonical."
    ),
    fields=(
        Field(
            "owner_id",
            "id",
            True,
            "party_id or account_id",
            "P-0042",
            account=True,
            account_kind="owner_kind",
        ),
        Field(
            "owner_kind", "enum", True, "what owner_id is", "party", choices=("party", "account")
        ),  # noqa: E501
        Field(
            "kind",
            "enum",
            True,
            "kind of identifier",
            "phone",
            choices=("phone", "email", "address", "device", "ip", "handle"),
        ),  # noqa: E501
        Field("value", "text", True, "the identifier as recorded", "0151 2345678"),
        Field("country", "country", False, "region for phones without a + prefix", "DE"),
        Field("valid_from", "date", False, "first day in use", "2024-11-02"),
        Field("valid_to", "date", False, "last day in use", ""),
    ),
    finish=finish_identifiers,
    derived=(
        Derived(
            "raw_value",
            pl.String(),
            "the identifier as recorded; `value` holds the normalised form",
        ),  # noqa: E501
        Derived("identifier_id", pl.String(), "stable id from owner, kind and normalised value"),
        iban_check("owner_id"),
    ),
    id_field="identifier_id",
)

INTEL = RecordKind(
    name="intel",
    title="Intelligence links from investigations",
    table="intel_links",
    description=(
        "Subject – relation – object records from investigations, each graded with the "
        "i2 / 5x5x5 scheme: source reliability A (always reliable) to E (untested), information "
        "credibility 1 (confirmed) to 5 (cannot be judged), and a handling code."
    ),
    fields=(
        Field("link_id", "id", True, "record id", "INT-0007"),
        Field("subject_id", "id", True, "who or what acts", "P-0007"),
        Field("subject_kind", "enum", True, "kind of subject", "person", choices=ENTITY_KINDS),
        Field("subject_name", "text", False, "name of the subject", "Vasile D."),
        Field("relation", "enum", True, "the act or tie", "recruited", choices=RELATIONS),
        Field("object_id", "id", True, "who or what is acted on", "P-0042"),
        Field("object_kind", "enum", True, "kind of object", "person", choices=ENTITY_KINDS),
        Field("object_name", "text", False, "name of the object", "Maria Ionescu"),
        Field("date_from", "date", False, "start (or date) of the act", "2024-10-20"),
        Field("date_to", "date", False, "end of the act", ""),
        Field("place", "text", False, "where (city)", "Constanta"),
        Field("from_country", "country", False, "travel origin", "RO"),
        Field("to_country", "country", False, "travel destination", "DE"),
        Field(
            "jurisdiction", "country", True, "country whose investigation holds the record", "RO"
        ),  # noqa: E501
        Field(
            "source",
            "text",
            True,
            "source reference (report, interview, wiretap, OSINT)",
            "DIICOT interview 2025/114",
        ),  # noqa: E501
        Field("source_reliability", "enum", True, "A–E", "B", choices=("A", "B", "C", "D", "E")),
        Field("info_credibility", "enum", True, "1–5", "2", choices=("1", "2", "3", "4", "5")),
        Field("handling_code", "text", False, "dissemination restriction", "P"),
        Field("notes", "text", False, "free text", ""),
    ),
    id_field="link_id",
    derived=(
        Derived(
            "subject_raw",
            pl.String(),
            "subject_id as written (phones and e-mails are "
            "normalised in subject_id like KYC identifiers)",
        ),
        Derived("object_raw", pl.String(), "object_id as written"),
    ),
    finish=finish_intel,
)

ASSETS = RecordKind(
    name="assets",
    title="Assets",
    table="assets",
    description="Assets identified in the case; their legal status over time is in `asset_events`.",  # noqa: E501
    fields=(
        Field("asset_id", "id", True, "asset id", "AS-003"),
        Field("kind", "enum", True, "kind of asset", "vehicle", choices=ASSET_KINDS),
        Field("owner_id", "id", True, "party_id of the (beneficial) owner", "P-0007"),
        Field("description", "text", False, "what it is", "BMW X5, plate B-XY 123"),
        Field("value", "amount", False, "estimated value", "42000"),
        Field("currency", "currency", False, "currency of `value`", "EUR"),
        Field("jurisdiction", "country", True, "where the asset is", "DE"),
        Field("identified_on", "date", False, "date identified", "2025-04-01"),
    ),
    id_field="asset_id",
)

ASSET_EVENTS = RecordKind(
    name="asset_events",
    title="Asset status history",
    table="asset_events",
    description="Decisions on assets, from identification to confiscation and final use.",
    fields=(
        Field("event_id", "id", True, "event id", "AE-0010"),
        Field("asset_id", "id", True, "asset id", "AS-003"),
        Field(
            "status",
            "enum",
            True,
            "new status (see docs/assets-lifecycle.md)",
            "frozen",
            choices=ASSET_STATUSES,
        ),
        Field("date", "date", True, "date of the decision", "2025-05-12"),
        Field(
            "decision_ref",
            "text",
            False,
            "court or authority decision reference",
            "LG Hamburg 6 KLs 12/25",
        ),  # noqa: E501
        Field("authority", "text", False, "deciding authority", "Landgericht Hamburg"),
        Field("amount", "amount", False, "amount concerned (e.g. paid to victims)", "15000"),
        Field("currency", "currency", False, "currency of `amount`", "EUR"),
        Field("jurisdiction", "country", False, "country of the decision (issuing state)", "DE"),
        Field(
            "executing_state",
            "country",
            False,
            "country executing the decision, when another (cross-border order)",
            "NL",
        ),
        Field("note", "text", False, "free remark (e.g. buyer, valuation basis)", ""),
    ),
    id_field="event_id",
)

FX = RecordKind(
    name="fx",
    title="FX rates",
    table="fx_rates",
    description=(
        "Daily rates: one unit of `currency` is worth `rate` units of `quote`. Amounts are "
        "converted with the latest rate on or before their date (at most 31 days old). Ingest "
        "rates before money. Where a case's rates do not cover a day or currency, the ECB's euro "
        "reference rates (shipped, 1999 onwards; `fininvest fx status`) are used; a record with "
        "no rate at all is accepted with an empty `amount_base` and counted in the ingest "
        "summary (`no_base_amount`)."
    ),
    fields=(
        Field("date", "date", True, "day of the rate", "2025-03-14"),
        Field("currency", "currency", True, "currency converted from", "RON"),
        Field("quote", "currency", True, "currency converted to", "EUR"),
        Field("rate", "number", True, "units of `quote` per unit of `currency`", "0.2011"),
    ),
    finish=finish_fx,
    derived=(Derived("fx_id", pl.String(), "`date|currency|quote`"),),
    id_field="fx_id",
)

STR_REPORTS = RecordKind(
    name="str_reports",
    title="STR/SAR report headers (from goAML XML)",
    table="str_reports",
    description=(
        "One row per goAML `report`. Its transactions go to `transactions` (with `report_id`), "
        "its persons and entities to `parties`, accounts to `accounts`, phones, e-mails and "
        "addresses to `identifiers`. Not a CSV layout: produced by the goAML reader."
    ),
    fields=(
        Field(
            "report_id",
            "id",
            True,
            "rentity_id:entity_reference (or fiu_ref_number)",
            "1234:STR-2025-77",
        ),  # noqa: E501
        Field("rentity_id", "text", True, "reporting entity id", "1234"),
        Field("submission_code", "text", False, "E (electronic) or M (manual)", "E"),
        Field("report_code", "text", True, "STR, SAR, CTR, …", "STR"),
        Field("entity_reference", "text", False, "reporter's reference", "STR-2025-77"),
        Field("fiu_ref_number", "text", False, "FIU reference", ""),
        Field(
            "submission_date",
            "timestamp",
            False,
            "when submitted",
            "2025-04-02T10:00:00",
            column="submitted",
        ),  # noqa: E501
        Field("currency_code_local", "currency", False, "local currency", "EUR"),
        Field("reason", "text", False, "grounds for suspicion", "Cash deposits in several cities"),
        Field("indicators", "text", False, "report_indicators, `|`-separated", "THB01|ML03"),
    ),
    id_field="report_id",
    formats=("xml",),
)

KINDS: dict[str, RecordKind] = {
    k.name: k
    for k in (
        BANK, IBM_AML, IBM_ACCOUNTS, CARD, KYC_CUSTOMERS, KYC_ACCOUNTS, KYC_IDENTIFIERS, INTEL,
        ASSETS, ASSET_EVENTS, FX, STR_REPORTS,
    )
}  # fmt: skip

#: The goAML XML kind is a container of several kinds; listed for --kind and docs.
GOAML = "goaml"
ALL_KIND_NAMES = (*KINDS, GOAML)

#: Key columns of each workspace table (used to deduplicate across files).
TABLE_KEYS: dict[str, str] = {
    "transactions": "txn_id",
    "card_transactions": "txn_id",
    "parties": "party_id",
    "accounts": "account_id",
    "identifiers": "identifier_id",
    "intel_links": "link_id",
    "assets": "asset_id",
    "asset_events": "event_id",
    "fx_rates": "fx_id",
    "str_reports": "report_id",
    "labels": "txn_id",
}

#: Ingest order inside one command: rates first, then who is who, then money.
KIND_ORDER = ("fx", "kyc_customers", "kyc_accounts", "ibm_accounts", "kyc_identifiers",
              "intel", "assets", "asset_events", "goaml", "bank", "ibm_aml", "card")  # fmt: skip


def kind_by_name(name: str) -> RecordKind:
    """Look up a declared kind, with an error that lists the kinds that exist."""
    try:
        return KINDS[name]
    except KeyError:
        raise BadInput(
            f"unknown record kind '{name}'",
            hint="Known kinds: " + ", ".join(ALL_KIND_NAMES),
        ) from None


SOURCE_KIND_DTYPE = pl.Enum(list(KINDS))
# constant within a part file: categorical, so they cost next to nothing to store
PROVENANCE: tuple[Derived, ...] = (
    Derived("source_kind", SOURCE_KIND_DTYPE, "record kind the row was read as"),
    Derived("source_file", pl.Categorical(), "name of the source file"),
    Derived("source_sha256", pl.Categorical(), "SHA-256 of the source file's bytes"),
    Derived("record_no", pl.Int64(), "1-based record number in the source file"),
    Derived("source_line", pl.Int64(), "line of the record in a text file (null for Parquet)"),
)


def table_schema(table: str) -> dict[str, pl.DataType]:
    """Columns and dtypes of a workspace table: the union of every kind that feeds it."""
    cols: dict[str, pl.DataType] = {}
    for kind in KINDS.values():
        if kind.table != table:
            continue
        for f in kind.fields:
            if f.out not in kind.drop and f.out not in kind.labels:
                cols.setdefault(f.out, f.dtype)
        for d in kind.derived:
            cols.setdefault(d.name, d.dtype)
    if table == "labels":
        cols = {"txn_id": pl.String(), "label": pl.String(), "value": pl.Int64()}
    for d in PROVENANCE:
        cols.setdefault(d.name, d.dtype)
    return cols


TABLES: tuple[str, ...] = (*dict.fromkeys(k.table for k in KINDS.values()), "labels")

__all__ = ["KINDS", "TABLE_KEYS", "KIND_ORDER", "GOAML", "FinishContext", "kind_by_name"]
