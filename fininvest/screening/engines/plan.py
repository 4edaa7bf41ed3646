"""What every engine runs: the money rows, edge doubling, time buckets of busy accounts and the
screen of one partition, as functions from Arrow tables to Arrow tables.

A distributed engine (:mod:`~fininvest.screening.engines.spark`,
:mod:`~fininvest.screening.engines.dask`) only moves these tables: it reads the rows, calls
:func:`double_edges` on each batch, shuffles the result by its ``group`` column and calls
:func:`screen_partition` once per partition. Inside, the rows become an
:class:`~fininvest.screening.events.Events` and the very rules and numba kernels of the local
screen run on it.

Which rules run where (:data:`PER_ACCOUNT`, :data:`WINDOWED`, :data:`WHOLE_CASE`):

* per-account rules read one account's own events (and the KYC of it and its
  counterparties): they run on the partitions, each account whole in one partition;
* of those, the windowed rules (:data:`WINDOWED`: "at least k flagged events, or this much
  money, in one window") whose window is at most a month (:func:`bucketed_rules`) also run
  on time buckets of a busy account that overlap by the longest such window: the best
  window lies whole in one bucket, so the best over the buckets (the earliest on a tie, as
  the kernel picks) is the account's best;
* rules over the whole case (:data:`WHOLE_CASE`: cycles, scatter-gather, kick-backs through
  employers, peer quantiles, shared identifiers, KYC-only rules) run once, in the driver, on
  the transactions around the accounts the first stage flagged (or on all: ``scope="all"``);
  so do the other per-account rules for the busy accounts, on their whole history.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from fininvest.screening.engine import DAY, Context, Hit, evaluate
from fininvest.screening.events import MONEY_TABLES, Events
from fininvest.screening.streams import dense_codes

#: the money rows: one row per transaction or card payment, as every engine reads them
MONEY_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),  # the row's place in the case (ties in time keep this order)
        ("ref", pa.string()),  # transaction id: the evidence
        ("ts", pa.int64()),  # seconds since the epoch, UTC
        ("payer", pa.string()),
        ("payee", pa.string()),
        ("amount", pa.float64()),  # base currency
        ("city", pa.string()),
        ("mcc", pa.int16()),
        ("channel", pa.string()),
        ("purpose", pa.string()),
        ("depositor_id", pa.string()),
        ("country", pa.string()),
        ("to_country", pa.string()),
        ("offset_min", pa.int32()),
    ]
)
#: the columns after :func:`double_edges`: one row per event, with the partition it goes to
EVENT_SCHEMA = pa.schema(
    [
        ("part", pa.int32()),  # the partition it goes to (:class:`Layout`)
        ("owner", pa.string()),
        ("bucket", pa.int32()),  # −1: the account whole
        ("outflow", pa.bool_()),
        ("counterparty", pa.string()),
        *[f for f in MONEY_SCHEMA if f.name not in ("payer", "payee")],
    ]
)
#: one row per hit of a partition, or (``entity_kind`` "status") a rule's status there
HIT_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("entity_kind", pa.string()),
        ("indicator", pa.string()),
        ("observed", pa.float64()),
        ("threshold", pa.float64()),
        ("window", pa.string()),
        ("detail", pa.string()),
        ("evidence", pa.list_(pa.string())),
        ("evidence_total", pa.int64()),
        ("bucket", pa.int32()),
    ]
)

#: rules whose whole input is one account's own events (and KYC): run on the partitions
PER_ACCOUNT = (
    "ad_micropayments", "begging_cash_aggregation", "business_sustenance", "cash_no_ach",
    "forced_criminality_mule", "funnel_account",
    "geo_mobility", "giftcard_round_sums", "id_threshold_avoidance", "local_transport_burst",
    "luxury_integration", "male_p2p_fan_in", "payouts_to_workers", "pooled_wages",
    "prepaid_access_use", "prepaid_phone_topups", "provisioning_food", "rapid_pass_through",
    "remittance_to_source", "short_stay_lodging", "structuring", "swept_to_third_party",
    "third_party_cash_multi_loc", "third_party_travel_payment", "tppp_opacity",
    "travel_multi_ticket", "wage_in_fast_out",
)  # fmt: skip
#: per-account rules that find the best window of ``window_days``: exact on time buckets
WINDOWED = (
    "ad_micropayments", "giftcard_round_sums", "local_transport_burst", "luxury_integration",
    "prepaid_access_use", "prepaid_phone_topups", "remittance_to_source", "structuring",
    "tppp_opacity",
)  # fmt: skip
#: rules over the whole case: the driver runs them after the partitions
WHOLE_CASE = (
    # fan-in, fan-out and gather-scatter compare an account with its segment's peers
    # (fininvest.screening.peers): statistics over the whole case, not one partition
    "fan_in", "fan_out", "gather_scatter",
    "ad_identifier_match", "after_hours_venue_card", "crypto_illicit_services",
    "front_business", "lodging_deposit_colocation", "low_payroll_business",
    "offhours_cash_business", "recruitment_fee_payments", "scatter_gather",
    "shared_identifier_cluster", "short_cycle", "subsistence_spend", "third_party_control",
    "wage_kickback_cycle",
)  # fmt: skip
#: the KYC tables the partitions read (the per-account rules' needs)
PARTITION_KYC = ("accounts", "parties")


@dataclass
class Plan:
    """Everything a partition needs, shipped to the workers with the function.

    ``busy``: per busy account, (first time, bucket length in seconds); ``window``: the
    overlap of the buckets (the longest window of :func:`bucketed_rules`)."""

    params: dict[str, Any]
    kyc: dict[str, pl.DataFrame]
    tables: set[str]
    thresholds: dict[str, float]
    id_thresholds: dict[str, float]
    start: int
    window: int = 0
    busy: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Layout:
    """Which partition each event goes to: an ordinary account's to partition
    ``hash(account) % ordinary``; bucket ``b`` of busy account ``a`` to ``buckets[a][b]``
    (partitions ``ordinary`` and up, packed by their events, so that no partition holds an
    ordinary share plus buckets, nor more buckets than fit: see :func:`layout`)."""

    ordinary: int = 1
    buckets: dict[str, list[int]] = field(default_factory=dict)

    @property
    def partitions(self) -> int:
        return max([self.ordinary - 1, *(p for b in self.buckets.values() for p in b)]) + 1


def bucket_events(n: int, first: int, last: int, length: int, window: int) -> list[int]:
    """Estimated events of each time bucket of a busy account of ``n`` events from ``first``
    to ``last`` (events spread evenly in time): its own span and the window before it.

    >>> bucket_events(1_000, 0, 99, 50, 50)  # the last 50 s again in a third bucket
    [500, 1000, 500]
    """
    span = last - first + 1
    count = (last - first + window) // length + 1
    out = []
    for b in range(count):
        lo, hi = max(first, first + b * length - window), min(last + 1, first + (b + 1) * length)
        out.append(max(0, math.ceil(n * (hi - lo) / span)))
    return out


def layout(buckets: dict[str, list[int]], events: int, partitions: int) -> Layout:
    """Partitions for the events: the busy accounts' buckets (their estimated events) packed
    first-fit, the largest first, into partitions of about ``events / partitions`` events
    (no fewer than the largest bucket), the ordinary accounts hashed into the rest. With
    one partition, everything goes to it.

    >>> layout({"A": [900, 900, 500], "B": [300]}, 5_000, 5)
    Layout(ordinary=2, buckets={'A': [2, 3, 4], 'B': [4]})
    """
    if partitions == 1 or not buckets:
        return Layout(partitions, {a: [0] * len(b) for a, b in buckets.items()})
    size = max(-(-events // partitions), *(n for b in buckets.values() for n in b))
    loads: list[int] = []
    where: dict[tuple[str, int], int] = {}
    for n, a, b in sorted(((n, a, b) for a, bs in buckets.items() for b, n in enumerate(bs)),
                          key=lambda x: (-x[0], x[1], x[2])):  # fmt: skip
        fit = next((i for i, load in enumerate(loads) if load + n <= size), None)
        if fit is None:
            loads.append(0)
            fit = len(loads) - 1
        loads[fit] += n
        where[a, b] = fit
    ordinary = max(1, partitions - len(loads))
    return Layout(ordinary, {a: [ordinary + where[a, b] for b in range(len(bs))]
                             for a, bs in buckets.items()})  # fmt: skip


#: the longest window (seconds) of a rule run on time buckets: a bucket holds up to two such
#: windows of a busy account's events; a rule with a longer window (``luxury_integration``,
#: 90 days) runs for the busy accounts in the driver, on their whole history
MAX_BUCKET_WINDOW = 31 * DAY


def bucketed_rules(params: dict[str, Any]) -> tuple[str, ...]:
    """The windowed rules run on time buckets: those whose window (with the case's
    parameters) is at most :data:`MAX_BUCKET_WINDOW`.

    >>> from fininvest.indicators.catalogue import effective_parameters, load_catalogue
    >>> "luxury_integration" in bucketed_rules(effective_parameters(load_catalogue(), {}))
    False
    """
    return tuple(i for i in WINDOWED if params[i]["window_days"] * DAY <= MAX_BUCKET_WINDOW)


def longest_window(params: dict[str, Any]) -> int:
    """The longest window of the rules run on buckets, in seconds: how much buckets overlap."""
    return max((int(math.ceil(params[i]["window_days"] * DAY)) for i in bucketed_rules(params)),
               default=0)  # fmt: skip


def bucket_length(first: int, last: int, events: int, max_events: int, window: int) -> int:
    """Bucket length (seconds) for a busy account: its time span cut into about
    ``events / max_events`` buckets, none shorter than the window.

    >>> bucket_length(0, 999, 5_000, 1_000, 10)
    200
    >>> bucket_length(0, 999, 5_000, 1_000, 400)
    400
    """
    k = max(1, math.ceil(events / max_events))
    return max(window, math.ceil((last - first + 1) / k), 1)


# ----------------------------------------------------------------------------- before the shuffle
def money_rows(table: pa.Table, kind: str) -> pa.Table:
    """Rows of a ``transactions`` or ``card_transactions`` table (with an int64 ``_row``: the
    row's place in the case) as money rows (:data:`MONEY_SCHEMA`), read through the mapping
    the local screen uses (:data:`~fininvest.screening.events.MONEY_TABLES`). Columns the
    table lacks (a part leaves out its all-null columns) read as nulls."""
    from fininvest.formats.declarations import table_schema

    keep, exprs = MONEY_TABLES[kind]
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    declared = table_schema(kind)
    df = df.with_columns(
        pl.lit(None, declared[c]).alias(c) for c in declared if c not in df.columns
    )
    if df.schema["ts"] == pl.String:
        df = df.with_columns(pl.col("ts").str.to_datetime(time_zone="UTC"))
    if keep is not None:
        df = df.filter(keep)
    out = df.with_columns(v.alias(k) for k, v in exprs.items()).select(
        pl.col("_row").alias("row"),
        *(pl.col(k).cast(pl.String) if k in TEXT else pl.col(k) for k in exprs),
    )
    return out.to_arrow().select(MONEY_SCHEMA.names).cast(MONEY_SCHEMA)


def row_key(table_no: int, file_no: pl.Expr, row_no: pl.Expr) -> pl.Expr:
    """A row's place in the case: table, part file, row within it. The local screen's
    order: ``transactions`` before ``card_transactions``, parts in name order."""
    return pl.lit(table_no << 60, pl.Int64) + file_no.cast(pl.Int64) * 2**36 + row_no


def source_columns(kind: str) -> list[str]:
    """The columns of a ``transactions`` or ``card_transactions`` table that
    :func:`money_rows` reads.

    >>> source_columns("card_transactions")[:3]
    ['payer_account', 'ts', 'amount_base']
    """
    keep, exprs = MONEY_TABLES[kind]
    names = [n for e in (keep, *exprs.values()) if e is not None for n in e.meta.root_names()]
    return list(dict.fromkeys(names))


TEXT = ("payer", "payee", "city", "channel", "purpose", "depositor_id", "country",
        "to_country", "ref")  # fmt: skip


def double_edges(
    table: pa.Table,
    busy: dict[str, tuple[int, int]],
    window: int,
    parts: Layout | None = None,
) -> pa.Table:
    """Each money row once for its payer (an outflow) and once for its payee (an inflow),
    with the partition (``part``, by ``parts``: all in partition 0 when None) of the account
    it belongs to.

    A busy account's events go to time buckets instead (``busy``: its first time and bucket
    length): bucket ``b`` holds the events of ``[first + b·L, first + (b+1)·L)`` and, before
    them, those of the ``window`` seconds before.
    """
    parts = parts or Layout()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    rest = [c for c in df.columns if c not in ("payer", "payee")]
    sides = pl.concat(
        [
            df.filter(pl.col("payer").is_not_null()).select(
                pl.col("payer").alias("owner"),
                pl.lit(True).alias("outflow"),
                pl.col("payee").alias("counterparty"),
                *rest,
            ),
            df.filter(pl.col("payee").is_not_null()).select(
                pl.col("payee").alias("owner"),
                pl.lit(False).alias("outflow"),
                pl.col("payer").alias("counterparty"),
                *rest,
            ),
        ]
    )
    whole = sides.with_columns(pl.lit(-1, pl.Int32).alias("bucket"))
    if busy:
        plan = pl.DataFrame(
            {
                "owner": list(busy),
                "_first": [f for f, _ in busy.values()],
                "_len": [n for _, n in busy.values()],
            },
            schema={"owner": pl.String, "_first": pl.Int64, "_len": pl.Int64},
        )
        hot = sides.join(plan, on="owner", how="inner")
        whole = whole.join(plan.select("owner"), on="owner", how="anti")
        own = ((pl.col("ts") - pl.col("_first")) // pl.col("_len")).cast(pl.Int32)
        ahead = ((pl.col("ts") - pl.col("_first") + window) // pl.col("_len")).cast(pl.Int32)
        # an event is in its own bucket and, when it falls in the last `window` seconds of
        # it, in the next one too (buckets are no shorter than the window)
        buckets = hot.with_columns(own.alias("bucket"), ahead.alias("_next"))
        whole = pl.concat(
            [
                whole,
                buckets.drop("_first", "_len", "_next"),
                buckets.filter(pl.col("_next") > pl.col("bucket"))
                .with_columns(pl.col("_next").alias("bucket"))
                .drop("_first", "_len", "_next"),
            ]
        )
    part = (pl.col("owner").hash() % parts.ordinary).cast(pl.Int32)
    if parts.buckets:
        where = pl.DataFrame(
            [(a, b, p) for a, ps in parts.buckets.items() for b, p in enumerate(ps)],
            schema={"owner": pl.String, "bucket": pl.Int32, "_part": pl.Int32},
            orient="row",
        )
        whole = whole.join(where, on=["owner", "bucket"], how="left")
        part = pl.coalesce("_part", part)
    out = whole.with_columns(part.alias("part")).select(EVENT_SCHEMA.names)
    return out.to_arrow().cast(EVENT_SCHEMA)


# ----------------------------------------------------------------------------- one partition
def events_of(df: pl.DataFrame, start: int | None = None, extra: list[str] | None = None) -> Events:
    """The :class:`Events` of event rows (the :data:`EVENT_SCHEMA` columns), in the order the
    local screen has them: by account, time, inflow first, then the case's row order.
    ``extra``: accounts to know besides those of the rows (with no events here)."""
    df = df.sort("row")
    both = pl.concat(
        [df["owner"], df["counterparty"], pl.Series("owner", extra or [], pl.String)],
        rechunk=False,
    )
    codes, accounts = dense_codes(both)
    n = df.height
    city, cities = dense_codes(df["city"])
    frame = pl.DataFrame(
        {
            "account": codes[:n],
            "counterparty": codes[n : 2 * n],
            "city_code": city.astype(np.int16) if len(cities) < 1 << 15 else city,
        }
    ).with_columns(
        df["ts"],
        df["outflow"],
        df["amount"],
        df["mcc"].cast(pl.Int16),
        *(df[c] for c in ("channel", "purpose", "depositor_id", "country", "to_country", "ref")),
        df["offset_min"],
    )
    ev = Events(frame, accounts, cities)
    ev.start = start
    return ev


def run_rules(
    ev: Events, plan: Plan, rules: tuple[str, ...], catalogue: dict[str, Any]
) -> tuple[list[Hit], dict[str, str]]:
    """The named rules of the local engine on ``ev`` (hits with transaction ids)."""
    ctx = Context(ev, plan.params, plan.kyc, plan.thresholds, plan.id_thresholds)
    return evaluate(ctx, {i: catalogue[i] for i in rules if i in catalogue}, plan.tables)


def hit_rows(hits: list[Hit], accounts: list[str], bucket: int) -> dict[str, list[Any]]:
    """Hits as columns of :data:`HIT_SCHEMA`."""
    cols: dict[str, list[Any]] = {f.name: [] for f in HIT_SCHEMA}
    for h in hits:
        cols["entity_id"].append(h.entity if h.entity is not None else accounts[h.account])
        cols["entity_kind"].append(h.entity_kind)
        cols["indicator"].append(h.indicator)
        cols["observed"].append(h.observed)
        cols["threshold"].append(h.threshold)
        cols["window"].append(h.window)
        cols["detail"].append(h.detail)
        cols["evidence"].append(list(h.evidence))  # type: ignore[arg-type]
        cols["evidence_total"].append(h.evidence_total)
        cols["bucket"].append(bucket)
    return cols


def status_rows(status: dict[str, str]) -> dict[str, list[Any]]:
    """A rule's status in a partition as a row of :data:`HIT_SCHEMA` (kind "status")."""
    cols: dict[str, list[Any]] = {f.name: [None] * len(status) for f in HIT_SCHEMA}
    cols["entity_kind"] = ["status"] * len(status)
    cols["indicator"] = list(status)
    cols["detail"] = list(status.values())
    return cols


def screen_partition(table: pa.Table, plan: Plan) -> pa.Table:
    """Screen one partition of event rows: the per-account rules on the accounts it holds
    whole, the windowed rules on each bucket of a busy account. Returns hit and status rows
    (:data:`HIT_SCHEMA`)."""
    from fininvest.indicators.catalogue import load_catalogue

    catalogue = load_catalogue()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    parts: list[dict[str, list[Any]]] = []
    n_whole = int((df["bucket"] < 0).sum())
    # no copy of the rows when the partition holds only whole accounts, or only buckets
    whole = df if n_whole == df.height else df.filter(pl.col("bucket") < 0)
    if n_whole:
        ev = events_of(whole, plan.start)
        hits, status = run_rules(ev, plan, PER_ACCOUNT, catalogue)
        parts += [hit_rows(hits, ev.accounts, -1), status_rows(status)]
        del ev, whole
    buckets = df if n_whole == 0 else df.filter(pl.col("bucket") >= 0)
    numbers = buckets["bucket"].unique()
    groups = [(numbers[0], buckets)] if len(numbers) == 1 else buckets.group_by("bucket")
    for bucket, rows in groups:
        if isinstance(bucket, tuple):
            (bucket,) = bucket
        ev = events_of(rows, plan.start)
        hits, status = run_rules(ev, plan, bucketed_rules(plan.params), catalogue)
        parts += [hit_rows(hits, ev.accounts, int(str(bucket))), status_rows(status)]
    return pa.Table.from_pylist(
        [dict(zip(p, row, strict=True)) for p in parts for row in zip(*p.values(), strict=True)],
        schema=HIT_SCHEMA,
    )


PartitionFn = Callable[[pa.Table], pa.Table]
