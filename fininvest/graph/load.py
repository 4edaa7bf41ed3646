"""``graph load``: the workspace tables into the graph, in batches, idempotently.

Every write is an ``UNWIND $rows … MERGE`` from ``cypher/load/``, so loading twice adds nothing,
and a load cut off half-way finishes when it is run again. Money flows are aggregated per
account pair and calendar month (count, total in the base currency, first and last time, up to
50 evidence transaction ids) before they reach the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import polars as pl

from fininvest.graph.store import FalkorStore
from fininvest.resources import resource_dir
from fininvest.workspace import Workspace

BATCH = 10_000
EVIDENCE = 50


def ensure_schema(store: FalkorStore) -> None:
    """Indexes on every merge key (FalkorDB variants; an existing index is skipped)."""
    for path in sorted((resource_dir("cypher") / "schema" / "falkordb").glob("*.cypher")):
        try:
            store.run(f"schema/falkordb/{path.stem}")
        except Exception as exc:  # FalkorDB: "Attribute 'id' is already indexed"
            if "already indexed" not in str(exc):
                raise


def _batches(df: pl.DataFrame) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, df.height, BATCH):
        yield df.slice(start, BATCH).to_dicts()


def _provenance() -> list[pl.Expr]:
    return [
        pl.col("source_sha256").cast(pl.String),
        pl.concat_list(
            pl.format("{}#{}", pl.col("source_file").cast(pl.String), pl.col("record_no"))
        ).alias("record_ids"),
    ]


def paid_rows(ws: Workspace) -> pl.DataFrame:
    """Transfers between two accounts, aggregated per pair and month."""
    tx = ws.scan("transactions").filter(
        pl.col("from_account").is_not_null() & pl.col("to_account").is_not_null()
    )
    return (
        tx.group_by(
            pl.col("from_account").alias("src"),
            pl.col("to_account").alias("dst"),
            pl.col("ts").dt.strftime("%Y-%m").alias("month"),
        )
        .agg(
            pl.len().cast(pl.Int64).alias("count"),
            pl.col("amount_base").sum().alias("total"),
            pl.col("ts").min().dt.epoch("ms").alias("first_ms"),
            pl.col("ts").max().dt.epoch("ms").alias("last_ms"),
            pl.col("ts").min().dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias("first_at"),
            pl.col("txn_id").sort_by("ts").head(EVIDENCE).alias("evidence"),
            pl.col("source_sha256").cast(pl.String).first(),
        )
        .sort("src", "dst", "month")
        .collect()
    )


def load_graph(
    ws: Workspace, store: FalkorStore, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Load parties, accounts, holdings, identifiers and money flows; returns rows sent per file."""
    say = progress or (lambda _m: None)
    ensure_schema(store)
    sent: dict[str, int] = {}

    def send(name: str, df: pl.DataFrame) -> None:
        say(f"{name}: {df.height:,} rows")
        for rows in _batches(df):
            store.run(f"load/{name}", {"rows": rows})
        sent[name] = sent.get(name, 0) + df.height

    if ws.has_table("parties"):
        parties = ws.scan("parties").collect()
        send(
            "persons",
            parties.filter(pl.col("kind") == "person").select(
                pl.col("party_id").alias("id"),
                "name",
                pl.col("nationality").cast(pl.String),
                pl.col("residence_country").cast(pl.String).alias("residence"),
                *_provenance(),
            ),
        )
        send(
            "companies",
            parties.filter(pl.col("kind") == "company").select(
                pl.col("party_id").alias("id"),
                "name",
                pl.col("incorporation_country").cast(pl.String).alias("country"),
                "occupation",
                *_provenance(),
            ),
        )
    ends: list[pl.DataFrame] = []
    if ws.has_table("transactions"):
        tx = ws.scan("transactions").select("from_account", "to_account").collect()
        ends = [tx.select(pl.col(c).alias("id")).drop_nulls() for c in tx.columns]
    if ws.has_table("accounts"):
        acc = ws.scan("accounts").collect()
        kyc = acc.select(
            pl.col("account_id").alias("id"),
            "institution",
            pl.col("country").cast(pl.String),
            pl.col("opened").cast(pl.String),
            *_provenance(),
        )
    else:
        acc, kyc = None, pl.DataFrame(schema={"id": pl.String})
    others = pl.concat(ends).unique() if ends else pl.DataFrame(schema={"id": pl.String})
    others = others.join(kyc.select("id"), on="id", how="anti")
    send("accounts", pl.concat([kyc, others], how="diagonal_relaxed").sort("id"))
    if acc is not None:
        send(
            "account_jurisdiction",
            kyc.filter(pl.col("country").is_not_null()).select("id", "country"),
        )
        if ws.has_table("parties"):
            kinds = parties.select(pl.col("party_id").alias("holder"), "kind")
            holds = acc.select(
                pl.col("holder_id").alias("holder"),
                pl.col("account_id").alias("account"),
                "opened_by",
                *_provenance(),
            ).join(kinds, on="holder")
            for kind in ("person", "company"):
                send(f"holds_{kind}", holds.filter(pl.col("kind") == kind).drop("kind"))
    if ws.has_table("identifiers") and ws.has_table("parties"):
        ident = (
            ws.scan("identifiers")
            .filter(pl.col("owner_kind") == "party")
            .collect()
            .join(
                parties.select(
                    pl.col("party_id").alias("owner_id"), pl.col("kind").alias("party_kind")
                ),
                on="owner_id",
            )
        )
        for party_kind in ("person", "company"):
            for ident_kind in ("phone", "email", "address"):
                send(
                    f"uses_{party_kind}_{ident_kind}",
                    ident.filter(
                        (pl.col("party_kind") == party_kind) & (pl.col("kind") == ident_kind)
                    ).select(pl.col("owner_id").alias("owner"), "value", *_provenance()),
                )
    if ws.has_table("transactions"):
        send("paid", paid_rows(ws))
    store.compact()
    return sent
