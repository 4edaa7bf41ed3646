"""What the register computes from its events: totals, the recovery funnel, time in stage,
stuck assets and the yearly statistics of Directive (EU) 2024/1260 art. 28 (Directive
2014/42/EU art. 11 before it). Nothing is tallied by hand; every figure comes from the events.

All values are in the workspace's base currency as exact ``Decimal`` sums of amounts rounded to
the cent (see :mod:`fininvest.assets.money`); an asset's estimated value is the ``value`` of the
``assets`` table at its ``identified_on`` date's rate.

Complexity: O(events) for each function (plus a sort of durations for the medians).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fininvest.assets.history import ZERO, AssetState, amount_base
from fininvest.assets.lifecycle import Lifecycle
from fininvest.assets.register import Asset, Register

#: The columns of the yearly statistics, in the order of a ministry's return.
YEARLY_COLUMNS = (
    "year", "state", "freezing_orders_issued", "freezing_orders_executed",
    "confiscation_orders_issued", "confiscation_orders_executed", "final_confiscations_issued",
    "final_confiscations_executed", "cross_border_orders_issued", "value_frozen",
    "value_confiscated", "value_interim_sales", "value_recovered", "value_to_victims",
    "value_shared",
    "assets_under_management", "value_under_management",
)  # fmt: skip


@dataclass(frozen=True)
class Book:
    """The register's contents as the statistics need them: assets and their replayed states."""

    lifecycle: Lifecycle
    assets: dict[str, Asset]
    states: dict[str, AssetState]
    base_currency: str

    def value(self, asset_id: str) -> Decimal:
        a = self.assets.get(asset_id)
        return a.value_base if a is not None and a.value_base is not None else ZERO

    def jurisdiction(self, asset_id: str) -> str:
        a = self.assets.get(asset_id)
        return a.jurisdiction if a is not None else "??"

    def live(self) -> list[AssetState]:
        """Assets with at least one event, by id."""
        return [st for _, st in sorted(self.states.items()) if st.seq]


def book_of(reg: Register) -> Book:
    """The :class:`Book` of a register (replays its journal once)."""
    return Book(reg.lc, reg.assets, reg.states(), reg.ws.base_currency)


def by_jurisdiction_status(book: Book) -> list[dict[str, Any]]:
    """Number and estimated value of assets per jurisdiction and current status."""
    out: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for st in book.live():
        row = out[book.jurisdiction(st.asset_id), str(st.status)]
        row[0] += 1
        row[1] += book.value(st.asset_id)
    return [
        {"jurisdiction": j, "status": s, "assets": n, "value": v}
        for (j, s), (n, v) in sorted(out.items())
    ]


def _reached(book: Book, st: AssetState, stage: str) -> bool:
    return any(book.lifecycle.states[str(ev["status"])].stage == stage for ev in st.events)


def funnel(book: Book) -> dict[str, Any]:
    """identified → frozen → confiscated (estimated values of the assets that reached each
    stage) → realised (sale proceeds and money confiscated, of assets whose confiscation is
    final: the proceeds of an interlocutory sale followed by a release went back) → paid to
    victims, with the share of realised value that reached victims (compensation; restitution
    in kind is given beside it, as it was never realised)."""
    stages: dict[str, dict[str, Any]] = {
        s: {"stage": s, "assets": 0, "value": ZERO} for s in book.lifecycle.funnel
    }
    for st in book.live():
        reached = {book.lifecycle.states[str(ev["status"])].stage for ev in st.events}
        for s in ("identified", "frozen", "confiscated"):
            if s in reached and s in stages:
                stages[s]["assets"] += 1
                stages[s]["value"] += book.value(st.asset_id)
        if st.realised and "confiscated" in reached and "realised" in stages:
            stages["realised"]["assets"] += 1
            stages["realised"]["value"] += st.realised
        if st.to_victims and "paid_to_victims" in stages:
            stages["paid_to_victims"]["assets"] += 1
            stages["paid_to_victims"]["value"] += st.to_victims
    confiscated = [st for st in book.live() if _reached(book, st, "confiscated")]
    realised = sum((st.realised for st in confiscated), ZERO)
    compensated = sum((st.compensated for st in confiscated), ZERO)
    return {
        "stages": list(stages.values()),
        "realised": realised,
        "compensation_from_realised": compensated,
        "restitution_in_kind": sum((st.in_kind for st in book.live()), ZERO),
        "shared": sum((st.shared for st in book.live()), ZERO),
        "victims_share": None if not realised else round(float(compensated / realised), 4),
    }


def _spans(book: Book, as_of: date) -> list[tuple[str, str, int, bool]]:
    """(asset, status, days in it, still there) for every event; a final state is not timed."""
    out = []
    for st in book.live():
        evs = st.events
        for i, ev in enumerate(evs):
            start = date.fromisoformat(ev["date"])
            if i + 1 < len(evs):
                out.append((st.asset_id, ev["status"], (date.fromisoformat(evs[i + 1]["date"])
                            - start).days, False))  # fmt: skip
            elif not book.lifecycle.states[ev["status"]].final:
                out.append((st.asset_id, ev["status"], (as_of - start).days, True))
    return out


def time_in_stage(book: Book, as_of: date) -> list[dict[str, Any]]:
    """Per status: how many stays, the median and the longest stay in days (an asset still
    in a status counts up to ``as_of``), and which asset stayed longest."""
    per: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for aid, status, days, _now in _spans(book, as_of):
        per[status].append((days, aid))
    out = []
    for status in book.lifecycle.names:
        if status in per:
            stays = [d for d, _ in per[status]]
            longest = max(per[status])
            out.append(
                {
                    "status": status,
                    "stays": len(stays),
                    "median_days": float(statistics.median(stays)),
                    "longest_days": longest[0],
                    "longest_asset": longest[1],
                }
            )
    return out


def stuck(book: Book, as_of: date, days: int) -> list[dict[str, Any]]:
    """Assets whose current (not final) status is older than ``days`` on ``as_of``."""
    return [
        {
            "asset_id": aid,
            "status": status,
            "days": d,
            "jurisdiction": book.jurisdiction(aid),
            "value": book.value(aid),
        }
        for aid, status, d, now in sorted(_spans(book, as_of), key=lambda s: -s[2])
        if now and d > days
    ]


def yearly(book: Book, year: int | None = None) -> list[dict[str, Any]]:
    """Yearly statistics per state, from the events (Directive 2024/1260 art. 28 in form).

    Orders are counted for the issuing and the executing state of each event; values for the
    executing state: the estimated value of assets first frozen (or seized) and finally
    confiscated that year, the proceeds of interlocutory sales (held until a final decision),
    the value recovered (sold after confiscation, or money confiscated), paid to victims and
    shared, and the assets under management at the end of the year.
    """
    rows: dict[tuple[int, str], dict[str, Any]] = {}

    def row(y: int, s: str) -> dict[str, Any]:
        if (y, s) not in rows:
            rows[y, s] = {c: 0 for c in YEARLY_COLUMNS[2:9]} | {
                c: ZERO for c in YEARLY_COLUMNS[9:] if c != "assets_under_management"
            }
            rows[y, s].update(year=y, state=s, assets_under_management=0)
        return rows[y, s]

    names = {"freezing": "freezing_orders", "confiscation": "confiscation_orders",
             "confiscation_final": "final_confiscations"}  # fmt: skip
    years: set[int] = set()
    for st in book.live():
        frozen_once = False
        for ev in st.events:
            s = book.lifecycle.states[ev["status"]]
            y = date.fromisoformat(ev["date"]).year
            years.add(y)
            issuing = ev.get("issuing_state") or book.jurisdiction(st.asset_id)
            executing = ev.get("executing_state") or issuing
            if s.order:
                row(y, issuing)[names[s.order] + "_issued"] += 1
                row(y, executing)[names[s.order] + "_executed"] += 1
                if issuing != executing:
                    row(y, issuing)["cross_border_orders_issued"] += 1
            if s.stage == "frozen" and s.order == "freezing" and not frozen_once:
                frozen_once = True
                row(y, executing)["value_frozen"] += book.value(st.asset_id)
            if s.order == "confiscation_final":
                row(y, executing)["value_confiscated"] += book.value(st.asset_id)
            recovered = "value_recovered" if s.stage != "frozen" else "value_interim_sales"
            key = {"realise": recovered, "victims": "value_to_victims",
                   "share": "value_shared"}.get(s.effect or "")  # fmt: skip
            if key:
                row(y, executing)[key] += amount_base(ev)
    for y in years:  # under management at the end of each year
        end = date(y, 12, 31)
        for st in book.live():
            last = [ev for ev in st.events if date.fromisoformat(ev["date"]) <= end]
            if last and last[-1]["status"] == "under_management":
                r = row(y, book.jurisdiction(st.asset_id))
                r["assets_under_management"] += 1
                r["value_under_management"] += book.value(st.asset_id)
    out = [rows[k] for k in sorted(rows)]
    return [{c: r[c] for c in YEARLY_COLUMNS} for r in out if year is None or r["year"] == year]


def report(book: Book, as_of: date, stuck_days: int, year: int | None = None) -> dict[str, Any]:
    """Everything above in one document (what ``fininvest assets report`` prints)."""
    return {
        "base_currency": book.base_currency,
        "as_of": as_of.isoformat(),
        "assets": len(book.live()),
        "by_jurisdiction_status": by_jurisdiction_status(book),
        "funnel": funnel(book),
        "time_in_stage": time_in_stage(book, as_of),
        "stuck_days": stuck_days,
        "stuck": stuck(book, as_of, stuck_days),
        "yearly": yearly(book, year),
    }
