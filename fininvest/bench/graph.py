"""``fininvest bench graph``: graph load throughput and chain / trace latency, embedded store.

Generates a case graph with N aggregated money flows (``PAID``, per account pair and month,
Zipf-skewed payers, up to 50 evidence ids each), one person per account, and planted rings
(recruiter, transporter, exploiter, controller and four victims whose accounts the controller
opened, graded intelligence on every act, the victims' earnings swept to the controller, the
controller paying transporter and recruiter abroad). Then, against a fresh embedded FalkorDB:

* **load** — the real ``graph load`` path for a first load (:class:`fininvest.graph.load.Sender`
  → ``store.write``: Polars-encoded parameters, two batches of 10,000 in flight, indexed
  endpoint lookups, ``load/paid_first`` as chosen by ``money_load_file``);
* **reference** — ``load/paid.cypher`` (indexed MERGE) sent the plain way, through the
  ``falkordb`` client's own parameter encoding, one batch after another, into another empty
  graph;
* **chains** — :func:`fininvest.graph.chains.chains_of_trafficking` (median of 3);
* **trace** — a 6-hop, 30-day trace from 100 random paying accounts (median of 3).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fininvest.bench import peak_rss_mb

MONTH_MS = 30 * 86_400_000
START_MS = 1_735_689_600_000  # 2025-01-01


def make_graph_case(edges: int, seed: int = 5) -> dict[str, pl.DataFrame]:
    """Tables in the shape the load files take."""
    rng = np.random.default_rng(seed)
    n_acc = max(1_000, edges // 8)
    acc_ids = np.array([f"ACC{i:09d}" for i in range(n_acc)])
    countries = np.array(["DE", "NL", "AT", "FR", "PL", "RO", "BG", "HU"])
    acc_country = countries[rng.integers(0, len(countries), n_acc)]
    src = (rng.zipf(1.5, edges * 2) - 1) % n_acc
    dst = rng.integers(0, n_acc, edges * 2)
    month = rng.integers(0, 12, edges * 2)
    paid = (
        pl.DataFrame({"s": src, "d": dst, "m": month})
        .filter(pl.col("s") != pl.col("d"))
        .unique(maintain_order=True)
        .head(edges)
    )
    count = np.minimum(rng.geometric(0.45, paid.height), 400)
    first = (
        START_MS + paid["m"].to_numpy() * MONTH_MS + rng.integers(0, 10 * 86_400_000, paid.height)
    )
    paid = pl.DataFrame(
        {
            "src": acc_ids[paid["s"].to_numpy()],
            "dst": acc_ids[paid["d"].to_numpy()],
            "month": [f"2025-{m + 1:02d}" for m in paid["m"].to_list()],
            "count": count.astype(np.int64),
            "total": np.round(count * rng.lognormal(5, 1, paid.height), 2),
            "first_ms": first,
            "last_ms": first + rng.integers(0, 19 * 86_400_000, paid.height),
        }
    )
    paid = paid.with_columns(
        pl.from_epoch("first_ms", "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias("first_at"),
        pl.int_ranges(0, pl.col("count").clip(1, 50))
        .list.eval(pl.format("TX{}", pl.element()))
        .alias("evidence"),
        pl.lit("0" * 64).alias("source_sha256"),
    )
    persons = pl.DataFrame({"id": [f"P{i:09d}" for i in range(n_acc)]}).with_columns(
        pl.format("Person {}", "id").alias("name"),
        pl.Series("nationality", acc_country),
        pl.Series("residence", acc_country),
        pl.lit("0" * 64).alias("source_sha256"),
        pl.concat_list(pl.format("bench#{}", "id")).alias("record_ids"),
    )
    accounts = pl.DataFrame({"id": acc_ids, "country": acc_country})
    holds = pl.DataFrame({"holder": persons["id"], "account": acc_ids, "opened_by": None},
                         schema_overrides={"opened_by": pl.String})  # fmt: skip
    acts, ring_paid = [], []
    rings = max(3, edges // 50_000)
    people = rng.choice(n_acc, size=rings * 8, replace=False).reshape(rings, 8)
    opened = {}
    for k, (r, t, e, c, *victims) in enumerate(people.tolist()):
        for j, v in enumerate(victims):
            for act, who in (("recruited", r), ("transported", t), ("exploited", e)):
                acts.append({"relation": act, "subject_id": f"P{who:09d}",
                             "object_id": f"P{v:09d}", "link_id": f"INT-{k}-{j}-{act}",
                             "jurisdiction": str(acc_country[who]), "grading": "B2"})  # fmt: skip
            opened[f"P{v:09d}"] = f"P{c:09d}"
            ring_paid.append((v, c, 600.0))
        ring_paid += [(c, t, 1200.0), (c, r, 3600.0)]
    holds = holds.with_columns(pl.col("holder").replace_strict(opened, default=None)
                               .alias("opened_by"))  # fmt: skip
    extra = pl.DataFrame(
        {
            "src": [str(acc_ids[a]) for a, _b, _x in ring_paid],
            "dst": [str(acc_ids[b]) for _a, b, _x in ring_paid],
            "month": "2025-12",
            "count": 4,
            "total": [x for _a, _b, x in ring_paid],
            "first_ms": START_MS + 11 * MONTH_MS,
            "last_ms": START_MS + 11 * MONTH_MS + 86_400_000,
        }
    ).with_columns(
        pl.lit("2025-12-27T00:00:00.000Z").alias("first_at"),
        pl.lit(["TX-RING"]).alias("evidence"),
        pl.lit("0" * 64).alias("source_sha256"),
    )
    paid = pl.concat([paid.head(edges - extra.height), extra], how="vertical_relaxed")
    intel = pl.DataFrame(acts).with_columns(
        pl.lit(None, pl.String).alias(c) for c in ("subject_name", "object_name", "date", "place",
                                                   "from_country", "to_country", "source",
                                                   "handling_code")  # fmt: skip
    ).with_columns(pl.lit(START_MS + 10 * MONTH_MS).alias("date_ms"),
                   pl.lit("0" * 64).alias("source_sha256"),
                   pl.concat_list("link_id").alias("record_ids"))  # fmt: skip
    return {"persons": persons, "accounts": accounts, "holds": holds, "paid": paid,
            "intel": intel}  # fmt: skip


def _median_time(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench_graph(
    edges: int,
    *,
    reference: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from fininvest.graph import embedded
    from fininvest.graph.chains import chains_of_trafficking
    from fininvest.graph.load import Sender, ensure_schema, money_load_file
    from fininvest.graph.store import FalkorStore
    from fininvest.graph.trace import TraceParams, trace_money
    from fininvest.workspace import init_workspace

    say = progress or (lambda _m: None)
    say(f"generating {edges:,} money flows")
    case = make_graph_case(edges)
    with tempfile.TemporaryDirectory(prefix="fininvest-bench-graph-") as tmp:
        ws = init_workspace(Path(tmp) / "case", name="bench")
        info = embedded.start(ws)
        try:
            store = FalkorStore(ws, graph="bench")
            send = Sender(store, lambda _m: None)
            say("loading")
            t0 = time.perf_counter()
            ensure_schema(store)
            send("persons", case["persons"])
            send("accounts", case["accounts"].select("id"))
            send(
                "holds_person",
                case["holds"].with_columns(
                    pl.lit("0" * 64).alias("source_sha256"), pl.lit(["bench"]).alias("record_ids")
                ),
            )
            for rel in ("recruited", "transported", "exploited"):
                send(f"intel_{rel}", case["intel"].filter(pl.col("relation") == rel)
                     .drop("relation"))  # fmt: skip
            marker = ws.path("graph", "load-in-progress-bench")
            paid_file = money_load_file(store, marker)  # an empty graph: the first-load path
            t1 = time.perf_counter()
            send(paid_file, case["paid"], key="src")
            t2 = time.perf_counter()
            paid_s = t2 - t1
            res: dict[str, Any] = {
                "edges": case["paid"].height,
                "nodes_before_paid": case["persons"].height + case["accounts"].height,
                "load_seconds": round(paid_s, 2),
                "rels_per_s": round(case["paid"].height / paid_s),
                "setup_seconds": round(t1 - t0, 2),
            }
            say("chains")
            chains_s, chains = _median_time(lambda: chains_of_trafficking(store))
            res.update(chains_seconds=round(chains_s, 3), chains_found=len(chains),
                       chains_planted=max(3, edges // 50_000))  # fmt: skip
            say("trace")
            rng = np.random.default_rng(9)
            payers = case["paid"]["src"].unique().sort().to_numpy()
            sources = sorted(rng.choice(payers, size=min(100, len(payers)), replace=False).tolist())
            params = TraceParams(max_hops=6)
            trace_s, traced = _median_time(lambda: trace_money(store, sources, params))
            res.update(
                trace_seconds=round(trace_s, 3),
                trace_sources=len(sources),
                trace_edges=len(traced["edges"]),
                trace_truncated=traced["truncated"],
            )
            if reference:
                say("reference load")
                ref = FalkorStore(ws, graph="reference")
                ensure_schema(ref)
                Sender(ref, lambda _m: None)("accounts", case["accounts"].select("id"))
                t = time.perf_counter()
                for start in range(0, case["paid"].height, 10_000):
                    rows = case["paid"].slice(start, 10_000).to_dicts()
                    ref.run("load/paid", {"rows": rows})
                ref_s = time.perf_counter() - t
                res.update(reference_seconds=round(ref_s, 2),
                           reference_rels_per_s=round(case["paid"].height / ref_s),
                           ratio=round(ref_s / paid_s, 2))  # fmt: skip
                same = ref.counts()["relationships"].get("PAID")
                res["agree"] = same == store.counts()["relationships"].get("PAID")
                ref.delete()
            res["server_peak_rss_mb"] = round(peak_rss_mb(info.pid))
            res["client_peak_rss_mb"] = round(peak_rss_mb())
            store.delete()
        finally:
            embedded.stop(ws)
    return res
