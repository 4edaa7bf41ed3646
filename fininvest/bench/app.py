"""``fininvest bench app``: the graph explorer timed in headless Chromium.

The app of a loaded case is served in a background thread; Playwright drives Debian's
``chromium`` (no browser download). Two figures, each over repeated runs:

* **first render** — from the start of navigation to ``/entity/<id>?hops=2`` until the
  cytoscape graph holds every element of the two-hop neighbourhood (up to ``max_elements``),
  measured in the page with ``performance.now()``;
* **expand** — on ``/entity/<id>`` (the entity and one page of its neighbours), from a tap on
  the neighbour that adds the most elements (``emit('tap')``) until the new elements are on
  screen (the round trip: callback, ``Patch``, cytoscape), also measured in the page.
"""

from __future__ import annotations

import json
import shutil
import statistics
from contextlib import ExitStack
from typing import Any

import polars as pl

from fininvest.errors import FininvestError
from fininvest.graph.store import GraphStore
from fininvest.workspace import Workspace

WAIT = """([graph, n]) => new Promise(resolve => {
  const poll = () => {
    const d = document.getElementById(graph);
    if (d && d._cyreg && d._cyreg.cy.elements().length >= n) { resolve(performance.now()); }
    else { setTimeout(poll, 5); }
  };
  poll();
})"""


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "min_ms": round(min(values), 1),
        "median_ms": round(statistics.median(values), 1),
        "max_ms": round(max(values), 1),
    }


def busiest_account(ws: Workspace) -> str:
    """The account with the most distinct counterparties (a hub: the largest neighbourhood)."""
    tx = ws.scan("transactions")
    pairs = pl.concat(
        [
            tx.select(pl.col("from_account").alias("a"), pl.col("to_account").alias("b")),
            tx.select(pl.col("to_account").alias("a"), pl.col("from_account").alias("b")),
        ]
    )
    top = (
        pairs.drop_nulls()
        .group_by("a")
        .agg(pl.col("b").n_unique().alias("n"))
        .sort("n", "a", descending=[True, False])
        .head(1)
        .collect()
    )
    return str(top["a"][0])


def bench_app(
    ws: Workspace,
    store: GraphStore,
    *,
    focus: str | None = None,
    runs: int = 5,
    max_elements: int = 2_000,
    page_size: int = 100,
    tap_timeout_ms: int = 60_000,
    browser: Any = None,
) -> dict[str, Any]:
    """Time the first render of a two-hop neighbourhood and of an expand in Chromium.

    ``browser``: a Playwright Chromium browser to use (default: one launched here).

    Returns
    -------
    dict
        ``focus``, ``elements`` on screen, ``first_render`` and ``expand`` (min/median/max ms
        over ``runs``), and the browser's version.
    """
    from playwright.sync_api import sync_playwright

    from fininvest.app import AppSettings, create_app
    from fininvest.app.components import href
    from fininvest.app.pages.explorer import expand, neighbourhood
    from fininvest.app.server import background

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise FininvestError(
            "bench app needs Debian's chromium", hint="apt-get install -y chromium"
        )
    focus = focus or busiest_account(ws)
    app = create_app(ws, store, AppSettings(page_size=page_size, max_elements=max_elements))
    ctx = app.server.config["FININVEST_CONTEXT"]
    elements, _state = neighbourhood(ctx, focus, hops=2)
    one_hop, state = neighbourhood(ctx, focus, hops=1)
    targets = [
        e["data"]["id"]
        for e in one_hop
        if "source" not in e["data"] and e["data"]["id"] != focus and e["data"]["kind"] != "more"
    ]
    # the expand timed: of the first 30 neighbours, the one that adds the most elements
    target = max(targets[:30], key=lambda t: (len(expand(ctx, t, state)[0]), t))
    new, removed, _after = expand(ctx, target, state)
    after_tap = len(one_hop) - len(removed) + len(new)
    failed: list[str] = []  # taps whose elements did not arrive within 60 s
    renders: list[float] = []
    expands: list[float] = []
    added: list[int] = []
    with ExitStack() as stack:
        url = stack.enter_context(background(app))
        if browser is None:
            p = stack.enter_context(sync_playwright())
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            stack.callback(browser.close)
        version = browser.version
        for i in range(runs + 1):  # the first run warms caches and is not counted
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + href("entity", focus) + "?hops=2", wait_until="commit")
            # performance.now() counts from the start of the navigation
            first = page.evaluate(WAIT, ["explorer-graph", len(elements)])
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + href("entity", focus))
            page.evaluate(WAIT, ["explorer-graph", len(one_hop)])
            page.wait_for_load_state("networkidle")  # the app's callbacks are wired up
            cy = "document.getElementById('explorer-graph')._cyreg.cy"
            page.evaluate(
                f"() => {{ window.__tap0 = performance.now(); {cy}"
                f".getElementById({json.dumps(target)}).emit('tap'); }}"
            )
            try:
                page.wait_for_function(
                    f"() => {cy}.elements().length >= {after_tap}",
                    timeout=tap_timeout_ms,
                    polling=10,
                )
                tap_ms = page.evaluate("() => performance.now() - window.__tap0")
            except Exception:  # the elements did not arrive
                tap_ms = -1.0
            if tap_ms < 0:
                failed.append(target)
            if i:
                renders.append(first)
                if tap_ms >= 0:
                    expands.append(tap_ms)
                    added.append(len(new))
            page.close()
    return {
        "focus": focus,
        "elements": len(elements),
        "runs": runs,
        "first_render": _stats(renders),
        "expand": {
            **(_stats(expands) if expands else {}),
            "on_screen": len(one_hop),
            "elements_added": added,
            "taps_without_result": failed,
        },
        "browser": f"chromium {version}",
    }
