"""Case records into the graph: intelligence links (graded), assets, STRs, alerts, the case.

Intelligence becomes one relationship per record (``RECRUITED``, ``TRANSPORTED``, …, keyed by
the record id) carrying its date, place, jurisdiction, source and grading (source reliability +
information credibility, e.g. ``B2``); the load files are generated from ``cypher/model.toml``.
Roles named by intelligence are set on the persons with ``role_source = 'intelligence'`` so that
inferred roles never overwrite them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from fininvest.assets.graph_rows import register_rows
from fininvest.graph.model import IDENTIFIER_LABELS, PARTY_LABELS, intel_relations, load_model
from fininvest.workspace import Workspace, file_sha256

if TYPE_CHECKING:
    from fininvest.graph.load import Sender

#: intelligence subject/object kinds → node labels
KIND_LABELS = {**PARTY_LABELS, **IDENTIFIER_LABELS, "ad": "Ad"}


def provenance() -> list[pl.Expr]:
    """``source_sha256`` and ``record_ids`` (``file#record``) of a workspace row."""
    return [
        pl.col("source_sha256").cast(pl.String),
        pl.concat_list(
            pl.format("{}#{}", pl.col("source_file").cast(pl.String), pl.col("record_no"))
        ).alias("record_ids"),
    ]


def intel_rows(ws: Workspace) -> dict[str, pl.DataFrame]:
    """Intelligence records per relation the model declares; the rest under ``""``."""
    intel = ws.scan("intel_links").collect()
    model = load_model()
    out: dict[str, pl.DataFrame] = {}
    used: list[str] = []
    for relation, (_rtype, spec) in intel_relations(model).items():
        (a,), (b,) = spec["from"], spec["to"]
        sk = [k for k, v in KIND_LABELS.items() if v == a]
        ok = [k for k, v in KIND_LABELS.items() if v == b]
        rows = intel.filter(
            (pl.col("relation").cast(pl.String) == relation)
            & pl.col("subject_kind").cast(pl.String).is_in(sk)
            & pl.col("object_kind").cast(pl.String).is_in(ok)
        )
        used += rows["link_id"].to_list()
        out[relation] = rows.select(
            "subject_id",
            "subject_name",
            "object_id",
            "object_name",
            "link_id",
            pl.col("date_from").cast(pl.String).alias("date"),
            pl.col("date_from").cast(pl.Datetime("ms")).dt.epoch("ms").alias("date_ms"),
            "place",
            pl.col("from_country").cast(pl.String),
            pl.col("to_country").cast(pl.String),
            pl.col("jurisdiction").cast(pl.String),
            "source",
            pl.concat_str(
                pl.col("source_reliability").cast(pl.String),
                pl.col("info_credibility").cast(pl.String),
            ).alias("grading"),
            "handling_code",
            *provenance(),
        ).sort("link_id")
    out[""] = intel.filter(~pl.col("link_id").is_in(pl.Series(used, dtype=pl.String).implode()))
    return out


def asset_rows(ws: Workspace) -> pl.DataFrame:
    """Assets with their latest status and full status history."""
    assets = ws.scan("assets").collect()
    if ws.has_table("asset_events"):
        ev = (
            ws.scan("asset_events")
            .collect()
            .sort("asset_id", "date", "event_id")
            .group_by("asset_id", maintain_order=True)
            .agg(
                pl.col("status").cast(pl.String).last().alias("status"),
                pl.col("date").cast(pl.String).last().alias("status_date"),
                pl.format(
                    "{} {} {}",
                    pl.col("date").cast(pl.String),
                    pl.col("status").cast(pl.String),
                    pl.col("decision_ref").fill_null(""),
                ).alias("history"),
            )
        )
        assets = assets.join(ev, on="asset_id", how="left")
    else:
        assets = assets.with_columns(
            pl.lit("identified").alias("status"),
            pl.col("identified_on").cast(pl.String).alias("status_date"),
            pl.lit([], pl.List(pl.String)).alias("history"),
        )
    return assets.select(
        pl.col("asset_id").alias("id"),
        pl.col("owner_id").alias("owner"),
        pl.col("kind").cast(pl.String),
        "description",
        "value",
        pl.col("currency").cast(pl.String),
        pl.col("jurisdiction").cast(pl.String),
        pl.col("status").fill_null("identified"),
        pl.col("status_date").fill_null(pl.col("identified_on").cast(pl.String)),
        pl.col("history").fill_null([]),
        *provenance(),
    ).sort("id")


def load_case_records(ws: Workspace, send: Sender) -> None:
    """The case node, intelligence, assets, STRs with their accounts, and screening alerts."""
    case = ws.name
    config = ws.path("fininvest.toml")
    send(
        "case",
        pl.DataFrame(
            {
                "id": [case],
                "base_currency": [ws.base_currency],
                "source_sha256": [file_sha256(config)],
                "record_ids": [[config.name]],
            }
        ),
    )
    if ws.has_table("intel_links"):
        for relation, rows in intel_rows(ws).items():
            if not relation:
                if rows.height:
                    send.say(f"intel: {rows.height} records with a relation the graph model does "
                             "not declare stay in the workspace only")  # fmt: skip
                    send.sent["intel_not_in_model"] = rows.height
                continue
            send(f"intel_{relation}", rows, key="link_id")
            if relation == "transported":  # the victim's journey, where the countries are known
                send(
                    "trips",
                    rows.filter(
                        pl.col("from_country").is_not_null() | pl.col("to_country").is_not_null()
                    ).select(
                        pl.format("TRIP-{}", "link_id").alias("id"),
                        pl.col("object_id").alias("person"),
                        "from_country",
                        "to_country",
                        "date",
                        "source_sha256",
                        "record_ids",
                    ),
                    key="id",
                )
    if ws.has_table("assets"):
        assets = asset_rows(ws)
        if ws.has_table("parties"):
            kinds = ws.scan("parties").select(pl.col("party_id").alias("owner"), "kind").collect()
            assets = assets.join(kinds, on="owner", how="left")
            for kind in PARTY_LABELS:
                send(
                    f"assets_{kind}", assets.filter(pl.col("kind_right") == kind).drop("kind_right")
                )
        send("asset_register", register_rows(ws))
    if ws.has_table("str_reports"):
        strs = ws.scan("str_reports").collect()
        send(
            "strs",
            strs.select(
                pl.col("report_id").alias("id"),
                pl.lit(case).alias("case"),
                "rentity_id",
                pl.col("report_code").cast(pl.String),
                pl.col("submitted").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("submission_date"),
                "reason",
                pl.col("indicators").str.split("|").fill_null([]),
                *provenance(),
            ),
        )
        if ws.has_table("transactions"):
            tx = ws.scan("transactions").filter(pl.col("report_id").is_not_null())
            sides = [
                tx.select(
                    pl.col(c).alias("account"),
                    pl.col("report_id").alias("report"),
                    "txn_id",
                    "source_sha256",
                )  # fmt: skip
                for c in ("from_account", "to_account")
            ]
            reported = (
                pl.concat(sides)
                .drop_nulls("account")
                .group_by("account", "report")
                .agg(
                    pl.col("txn_id").n_unique().cast(pl.Int64).alias("count"),
                    pl.col("source_sha256").cast(pl.String).first(),
                    pl.col("txn_id").unique().sort().head(50).alias("record_ids"),
                )
                .sort("account", "report")
                .collect()
            )
            send("reported_in", reported, key="account")
    alerts_file = ws.path("results", "alerts.parquet")
    if alerts_file.exists():
        alerts = pl.read_parquet(alerts_file).filter(pl.col("entity_kind") == "account")
        sha = file_sha256(alerts_file)
        rows = alerts.select(
            pl.format("alert:{}", "entity_id").alias("id"),
            pl.col("entity_id").alias("account"),
            pl.lit(case).alias("case"),
            "rank",
            "score",
            "classification",
            "indicators",
            "families",
            pl.lit(sha).alias("source_sha256"),
            pl.concat_list(pl.format("results/alerts.parquet#{}", "entity_id")).alias("record_ids"),
        )
        send("alerts", rows)
        send.store.run("load/alerts_clear", {"ids": rows["id"].to_list()})
