"""Kind-specific steps after field validation: FX conversion, id construction, identifier cleaning.

A finisher receives the validated frame and returns the table frame. It may reject records by
filling the columns ``_reject_field`` and ``_reject_reason``; the pipeline quarantines those.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from fininvest.formats.fields import CURRENCY_DTYPE
from fininvest.normalise import clean_email, clean_phone

if TYPE_CHECKING:
    from fininvest.formats.fields import FinishContext

#: A rate older than this is not used to convert an amount.
FX_MAX_AGE_DAYS = 31

REJECT_FIELD = "_reject_field"
REJECT_REASON = "_reject_reason"


def _reject(df: pl.DataFrame, mask: pl.Expr, field: str, reason: pl.Expr | str) -> pl.DataFrame:
    """Mark rows matching ``mask`` as rejected (keeping an earlier rejection if any)."""
    if REJECT_FIELD not in df.columns:
        df = df.with_columns(
            pl.lit(None, pl.String).alias(REJECT_FIELD),
            pl.lit(None, pl.String).alias(REJECT_REASON),
        )
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    fresh = mask & pl.col(REJECT_FIELD).is_null()
    return df.with_columns(
        pl.when(fresh).then(pl.lit(field)).otherwise(pl.col(REJECT_FIELD)).alias(REJECT_FIELD),
        pl.when(fresh).then(reason_expr).otherwise(pl.col(REJECT_REASON)).alias(REJECT_REASON),
    )


def daily_rates(fx: pl.DataFrame, base: str) -> pl.DataFrame:
    """Rates to ``base`` for every calendar day, carried forward at most FX_MAX_AGE_DAYS.

    Direct quotes (``currency → base``) are used as given; inverse quotes (``base → currency``)
    are inverted. Returns columns ``date``, ``currency``, ``rate_to_base``.
    """
    direct = fx.filter(pl.col("quote") == base).select(
        "date", pl.col("currency").cast(CURRENCY_DTYPE), rate_to_base="rate"
    )
    inverse = fx.filter((pl.col("currency") == base) & (pl.col("quote") != base)).select(
        "date", currency=pl.col("quote").cast(CURRENCY_DTYPE), rate_to_base=1.0 / pl.col("rate")
    )
    rates = pl.concat([direct, inverse]).unique(["date", "currency"], keep="first").sort("date")
    if rates.is_empty():
        return rates
    out = []
    for (cur,), grp in rates.group_by("currency"):
        first: date = grp["date"].min()  # type: ignore[assignment]
        last: date = grp["date"].max()  # type: ignore[assignment]
        days = pl.date_range(first, last + timedelta(days=FX_MAX_AGE_DAYS), "1d", eager=True).alias(
            "date"
        )
        filled = (
            pl.DataFrame({"date": days})
            .join(grp.select("date", "rate_to_base", seen="date"), on="date", how="left")
            .with_columns(pl.col("rate_to_base", "seen").forward_fill())
            .filter((pl.col("date") - pl.col("seen")).dt.total_days() <= FX_MAX_AGE_DAYS)
            .select("date", pl.lit(cur).cast(CURRENCY_DTYPE).alias("currency"), "rate_to_base")
        )
        out.append(filled)
    return pl.concat(out)


def _look_up(df: pl.DataFrame, idx: pl.Series, rates: pl.DataFrame) -> pl.Series:
    """``amount × rate`` for the rows ``idx`` on their day (null where ``rates`` has none)."""
    return (
        df.select(
            pl.col("ts").gather(idx).dt.date().alias("_day"),
            pl.col("currency").gather(idx),
            pl.col("amount").gather(idx),
        )
        .join(
            rates.rename({"date": "_day"}),
            on=["_day", "currency"],
            how="left",
            maintain_order="left",
        )  # fmt: skip
        .select(pl.col("amount") * pl.col("rate_to_base"))
        .to_series()
    )


def convert_to_base(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    """Add ``amount_base``: with the case's own FX rates first, then the reference rates
    (:mod:`fininvest.fx`). A record in a currency with no usable rate is kept, with its base
    amount empty (the original amount and currency are always kept); the ingest summary counts
    such records."""
    base = ctx.base_currency
    # the rows in another currency, found on the currency column alone (usually a few per cent)
    idx = df.select((pl.col("currency") != base).arg_true()).to_series()
    if idx.is_empty():
        return df.with_columns(pl.col("amount").alias("amount_base"))
    df = df.with_columns(
        pl.when(pl.col("currency") == base).then(pl.col("amount")).alias("amount_base")
    )
    case_rates = daily_rates(ctx.fx, base) if ctx.fx is not None else None
    for rates in (case_rates, ctx.reference() if ctx.reference is not None else None):
        if rates is None or rates.is_empty():
            continue
        missing = idx.filter(df["amount_base"].gather(idx).is_null())
        if missing.is_empty():
            break
        df = df.with_columns(df["amount_base"].scatter(missing, _look_up(df, missing, rates)))
    return df


def finish_money(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    """Bank and card transactions: convert amounts to the base currency."""
    return convert_to_base(df, ctx)


IBM_CHANNELS = {
    "Cheque": "cheque", "ACH": "ach", "Credit Card": "card", "Wire": "wire", "Cash": "cash",
    "Reinvestment": "other", "Bitcoin": "crypto",
}  # fmt: skip


def _content_ids(df: pl.DataFrame, cols: list[str], prefix: str) -> pl.Series:
    """Stable ids from record content plus the occurrence number among identical records.

    Two identical records in one file stay two records (their occurrence numbers differ), and
    re-reading the same file gives the same ids.
    """
    key = pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in cols], separator="\x1f")
    h = df.select(key.hash(seed=0x5EED).alias("h"))["h"]
    occ = pl.DataFrame({"h": h}).select(pl.col("h").cum_count().over("h"))["h"]
    return (
        pl.DataFrame({"h": h, "o": occ})
        .select(pl.format(prefix + "{}-{}", pl.col("h"), pl.col("o")))
        .to_series()
    )


def finish_ibm_transactions(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    """IBM AML: accounts are ``bank:number``; a content id; channel from Payment Format."""
    cols = ["ts", "from_bank", "from_number", "to_bank", "to_number", "amount", "currency",
            "amount_received", "currency_received", "payment_format"]  # fmt: skip
    df = df.with_columns(
        _content_ids(df, cols, "ibm:").alias("txn_id"),
        pl.concat_str(["from_bank", "from_number"], separator=":").alias("from_account"),
        pl.concat_str(["to_bank", "to_number"], separator=":").alias("to_account"),
        pl.col("payment_format").replace_strict(IBM_CHANNELS, default="other").alias("channel"),
    )
    df = _reject(
        df,
        ~pl.col("payment_format").is_in(list(IBM_CHANNELS)),
        "Payment Format",
        pl.format(
            "unknown payment format '{}'; expected one of " + ", ".join(IBM_CHANNELS),
            pl.col("payment_format"),
        ),
    )
    df = df.drop("from_bank", "from_number", "to_bank", "to_number")
    return convert_to_base(df, ctx)


def finish_ibm_accounts(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    return df.with_columns(
        pl.concat_str(["bank_id", "account_number"], separator=":").alias("account_id")
    )


def _clean_identifier(kind: str, value: str, country: str | None) -> str | None:
    if kind == "phone":
        return clean_phone(value, country)
    if kind == "email":
        return clean_email(value)
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            return None
    if kind == "address":
        cleaned = " ".join(value.replace(",", " , ").split()).replace(" ,", ",").upper()
        return cleaned or None
    cleaned = value.strip()
    return cleaned.lower() if kind == "handle" else (cleaned or None)


def finish_identifiers(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    """Normalise each identifier by its kind (per distinct value) and give it a stable id."""
    triples = df.select("kind", "value", "country").unique()
    mapping = {
        (k, v, c): _clean_identifier(k, v, c) for k, v, c in triples.iter_rows() if v is not None
    }
    lookup = pl.DataFrame(
        {
            "kind": [k for k, _, _ in mapping],
            "value": [v for _, v, _ in mapping],
            "country": [c for _, _, c in mapping],
            "normalised": list(mapping.values()),
        },
        schema={
            "kind": df.schema["kind"],
            "value": pl.String,
            "country": df.schema["country"],
            "normalised": pl.String,
        },
    )
    df = df.join(
        lookup, on=["kind", "value", "country"], how="left", nulls_equal=True, maintain_order="left"
    )
    df = _reject(
        df,
        pl.col("normalised").is_null(),
        "value",
        pl.format("not a valid {} ('{}')", pl.col("kind"), pl.col("value")),
    )
    df = df.rename({"value": "raw_value"}).rename({"normalised": "value"})
    ident = pl.concat_str(["owner_id", "kind", "value"], separator="|").map_elements(
        lambda s: "idf:" + hashlib.sha1(s.encode()).hexdigest()[:16], return_dtype=pl.String
    )
    return df.with_columns(ident.alias("identifier_id"))


def finish_fx(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    df = _reject(df, pl.col("rate") <= 0, "rate", "rate must be positive")
    return df.with_columns(
        pl.concat_str([pl.col("date").cast(pl.String), "currency", "quote"], separator="|").alias(
            "fx_id"
        )
    )


def finish_intel(df: pl.DataFrame, ctx: FinishContext) -> pl.DataFrame:
    """Subjects and objects that are phones or e-mails get the same normal form as KYC
    identifiers (E.164, lower case), so intelligence and bank data meet on them; the value as
    written is kept in ``subject_raw`` / ``object_raw``."""
    out = df
    for side in ("subject", "object"):
        pairs = df.select(f"{side}_kind", f"{side}_id").unique().iter_rows()
        mapping = {}
        for kind, value in pairs:
            if kind in ("phone", "email") and value is not None:
                clean = _clean_identifier(str(kind), value, None)
                if clean is not None:
                    mapping[(kind, value)] = clean
        out = out.with_columns(pl.col(f"{side}_id").alias(f"{side}_raw"))
        if mapping:
            lut = pl.DataFrame(
                {
                    "_k": [k for k, _ in mapping],
                    "_v": [v for _, v in mapping],
                    "_n": list(mapping.values()),
                },
                schema={"_k": pl.String, "_v": pl.String, "_n": pl.String},
            )
            out = (
                out.with_columns(
                    pl.col(f"{side}_kind").cast(pl.String).alias("_k"),
                    pl.col(f"{side}_id").alias("_v"),
                )
                .join(lut, on=["_k", "_v"], how="left", maintain_order="left")
                .with_columns(pl.coalesce("_n", f"{side}_id").alias(f"{side}_id"))
                .drop("_k", "_v", "_n")
            )
    return out
