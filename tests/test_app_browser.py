"""The web app in a real browser: Debian Chromium driven by Playwright (no browser download).

One server and one browser per module, on the sample case (``app_case``). Screenshots of every
page are written to ``$FININVEST_ARTEFACTS/app`` (default: pytest's temporary folder); with
``FININVEST_APP_DOCS=1`` they are also copied to ``docs/app/`` for docs/app.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fininvest.app import AppContext, AppSettings, create_app
from fininvest.app.components import href
from fininvest.app.elements import MORE
from fininvest.app.pages import alerts, explorer, jurisdictions
from fininvest.app.server import background
from fininvest.graph import embedded
from fininvest.graph.store import FalkorStore
from fininvest.workspace import init_workspace

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (make test installs it)"
    ),
]
ROOT = Path(__file__).resolve().parent.parent
CY = "document.getElementById('{0}')._cyreg.cy"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(app_case) -> Iterator[tuple[str, AppContext]]:  # type: ignore[no-untyped-def]
    ws, store = app_case
    app = create_app(ws, store, AppSettings(page_size=12))
    with background(app) as url:
        yield url, app.server.config["FININVEST_CONTEXT"]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("FININVEST_ARTEFACTS")
    out = Path(base) / "app" if base else tmp_path_factory.mktemp("app-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


class Page:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str, ready: str) -> Any:
        self.page.goto(self.url + path, wait_until="domcontentloaded")
        self.page.wait_for_selector(ready, state="attached", timeout=60_000)
        return self.page

    def cy_ids(self, graph: str) -> list[str]:
        return list(self.page.evaluate(CY.format(graph) + ".elements().map(e => e.id())"))

    def wait_cy(self, graph: str, count: int) -> None:
        self.page.wait_for_function(
            f"() => {{ const d = document.getElementById('{graph}');"
            f" return d && d._cyreg && d._cyreg.cy.elements().length === {count}; }}",
            timeout=60_000,
            polling=100,
        )


@pytest.fixture
def tab(browser: Any, served: tuple[str, AppContext]) -> Iterator[Page]:
    t = Page(browser, served[0])
    yield t
    t.page.close()


def _chain(ctx: AppContext) -> dict[str, Any]:
    return ctx.data.chains()[0]


def test_every_page_loads_without_console_errors(
    tab: Page, served: tuple[str, AppContext], shots: Path
) -> None:
    _url, ctx = served
    chain = _chain(ctx)
    top = ctx.data.alerts().sort("rank")["entity_id"][0]
    asset = ctx.data.asset_register()[0]["asset_id"][0]
    pages = [
        ("alerts", href("alert", top), "#alert-why li"),
        ("explorer", href("entity", chain["members"]["controller"]), "#side-title"),
        ("chain", href("chain", chain["id"]), "#chain-links tbody tr"),
        ("flow", f"/flow?chain={chain['id']}", "#flow-sankey .main-svg"),
        ("timeline", f"/timeline?chain={chain['id']}", "#timeline-chart .main-svg"),
        ("jurisdictions", "/jurisdictions", "#jurisdictions-table tbody tr"),
        ("assets", href("asset", asset), "#asset-history tbody tr"),
    ]
    for name, path, ready in pages:
        page = tab.open(path, ready)
        page.wait_for_timeout(500)  # let the last callbacks and chunks settle
        page.screenshot(path=str(shots / f"{name}.png"))
        assert tab.errors == [], f"{path}: {tab.errors}"
    if os.environ.get("FININVEST_APP_DOCS") == "1":
        for f in shots.glob("*.png"):
            shutil.copy(f, ROOT / "docs" / "app" / f.name)


def test_tapping_a_node_adds_exactly_its_new_links(
    tab: Page, served: tuple[str, AppContext]
) -> None:
    _url, ctx = served
    focus = _chain(ctx)["members"]["controller"]
    elements, state = explorer.neighbourhood(ctx, focus)
    tab.open(href("entity", focus), "#side-title")
    tab.wait_cy("explorer-graph", len(elements))
    before = tab.cy_ids("explorer-graph")
    assert sorted(before) == sorted(state["ids"])
    target = next(
        e["data"]["id"]
        for e in elements
        if "source" not in e["data"] and e["data"]["kind"] == "Account"
    )
    new, removed, _after = explorer.expand(ctx, target, state)
    assert new, "the tapped account has links that are not on screen yet"
    tab.page.evaluate(CY.format("explorer-graph") + f".getElementById({target!r}).emit('tap')")
    tab.wait_cy("explorer-graph", len(before) - len(removed) + len(new))
    after = tab.cy_ids("explorer-graph")
    assert set(after) - set(before) == {e["data"]["id"] for e in new}
    assert set(before) - set(after) == set(removed)
    assert tab.errors == []


def test_more_stub_pages_on(tab: Page, served: tuple[str, AppContext]) -> None:
    _url, ctx = served
    tx = ctx.data.table("transactions")
    hub = str(
        tx.group_by("to_account")
        .agg(pl.col("from_account").n_unique().alias("n"))
        .drop_nulls()
        .sort("n", "to_account", descending=[True, False])["to_account"][0]
    )
    elements, state = explorer.neighbourhood(ctx, hub)
    assert MORE + hub in state["ids"]
    tab.open(href("entity", hub), "#side-title")
    tab.wait_cy("explorer-graph", len(elements))
    new, removed, _after = explorer.expand(ctx, MORE + hub, state)
    tab.page.evaluate(CY.format("explorer-graph") + f".getElementById({MORE + hub!r}).emit('tap')")
    tab.wait_cy("explorer-graph", len(elements) - len(removed) + len(new))
    assert set(tab.cy_ids("explorer-graph")) == (set(state["ids"]) - set(removed)) | {
        e["data"]["id"] for e in new
    }


def test_choosing_a_chain_shows_its_links(tab: Page, served: tuple[str, AppContext]) -> None:
    _url, ctx = served
    chain = _chain(ctx)
    page = tab.open("/chains", "#chain-pick")
    page.click("#chain-pick")
    page.get_by_text(chain["id"], exact=False).first.click()
    page.wait_for_selector("#chain-links tbody tr", timeout=60_000)
    rows = page.locator("#chain-links tbody tr")
    assert rows.count() == len(chain["links"])
    assert chain["names"]["recruiter"] in rows.first.inner_text()
    assert tab.errors == []


def test_filtering_alerts(tab: Page, served: tuple[str, AppContext]) -> None:
    _url, ctx = served
    everything = ctx.data.alerts()
    threshold = float(everything.filter(pl.col("classification") == "suspect")["score"].median())
    expect = alerts.filter_alerts(everything, min_score=threshold)
    expect = expect.filter(pl.col("classification") == "suspect").sort("rank")
    page = tab.open("/alerts", "#alerts-suspects td[data-dash-column='account']")
    page.fill("#alerts-min-score", str(threshold))
    page.keyboard.press("Tab")
    shown = min(expect.height, 15)
    cells = "#alerts-suspects td[data-dash-column='account']"
    page.wait_for_function(
        f"document.querySelectorAll({cells!r}).length === {shown}", timeout=60_000, polling=100
    )
    got = [c.inner_text().strip() for c in page.locator(cells).all()]
    assert got == expect["entity_id"].head(shown).to_list()
    assert tab.errors == []


def test_deep_link_opens_the_entity(tab: Page, served: tuple[str, AppContext]) -> None:
    _url, ctx = served
    chain = _chain(ctx)
    pid, name = chain["members"]["exploiter"], chain["names"]["exploiter"]
    page = tab.open(href("entity", pid), "#side-title")
    assert page.inner_text("#side-title") == name
    assert tab.page.evaluate(CY.format("explorer-graph") + ".nodes('.focus').map(n => n.id())") == [
        pid
    ]


# ----- hostile names stay text ----------------------------------------------------------------
@pytest.fixture(scope="module")
def xss_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from fininvest.graph.load import load_graph
    from fininvest.ingest import ingest_files

    ws = init_workspace(tmp_path_factory.mktemp("xss") / "case", name="<script>xss</script>")
    for f in sorted((ROOT / "tests" / "data" / "xss").iterdir()):
        shutil.copy(f, ws.path("raw", f.name))
    ingest_files(ws, sorted(ws.path("raw").iterdir()))
    embedded.start(ws)
    try:
        store = FalkorStore(ws)
        load_graph(ws, store)
        with background(create_app(ws, store)) as url:
            yield url
        store.close()
    finally:
        embedded.stop(ws)


PAYLOADS = (
    "<script>window.__xss=1</script>Ana Script",
    "<img src=x onerror=window.__xss=2>Bob Image",
    "javascript:window.__xss=3",
    "[click me](javascript:window.__xss=4) Dana",
)


def test_hostile_names_stay_inert(browser: Any, xss_url: str, shots: Path) -> None:
    tab = Page(browser, xss_url)
    page = tab.open("/explorer", "#explorer-search")
    page.fill("#explorer-search", "window")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelectorAll('#explorer-results li').length === 4",
        timeout=60_000,
        polling=100,
    )
    text = page.inner_text("#explorer-results")
    for payload in PAYLOADS:
        assert payload in text
    for path in (
        "/entity/P-X1",
        "/entity/P-X2",
        "/entity/XSSB:0001",
        "/timeline?entity=P-X1",
        "/jurisdictions",
        "/alerts",
    ):
        page = tab.open(path, "#page h2")
        page.wait_for_timeout(800)
        if path.startswith("/entity/P-X"):
            assert page.inner_text("#side-title") in PAYLOADS
    page.screenshot(path=str(shots / "xss.png"))
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    hostile = "[...document.scripts].filter(s => s.textContent.includes('__xss')).length"
    assert page.evaluate(hostile) == 0
    assert tab.errors == []
    tab.page.close()


def test_bench_app_measures_render_and_expand(app_case, browser) -> None:  # type: ignore[no-untyped-def]
    from fininvest.bench.app import bench_app

    ws, store = app_case
    res = bench_app(
        ws, store, runs=1, max_elements=300, page_size=20, tap_timeout_ms=5_000, browser=browser
    )
    assert 0 < res["elements"] <= 300
    assert res["first_render"]["min_ms"] > 0 and res["expand"]["min_ms"] > 0
    assert res["expand"]["taps_without_result"] == [] and res["expand"]["elements_added"][0] > 0


def test_cli_serves_and_stops_the_graph_it_started(tmp_path: Path) -> None:
    """`fininvest app` starts the case's graph store, serves, and on Ctrl-C stops both."""
    import signal
    import subprocess
    import sys
    import urllib.request

    from fininvest.graph.load import load_graph
    from fininvest.ingest import ingest_files

    ws = init_workspace(tmp_path / "case", name="cli")
    for f in sorted((ROOT / "tests" / "data" / "xss").iterdir()):
        shutil.copy(f, ws.path("raw", f.name))
    ingest_files(ws, sorted(ws.path("raw").iterdir()))
    embedded.start(ws)
    store = FalkorStore(ws)
    load_graph(ws, store)
    store.close()
    embedded.stop(ws)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fininvest", "app", str(ws.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        url = line.split(" on ")[1].split()[0]
        assert embedded.running(ws) is not None
        with urllib.request.urlopen(url + "/entity/P-X1", timeout=30) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert embedded.running(ws) is None
    assert any(e["command"] == "app" for e in ws.audit_entries())


# ----- exports and shares ---------------------------------------------------------------------
def test_png_and_svg_of_the_explorer_and_the_chain_download_and_are_audited(
    tab: Page, served: tuple[str, AppContext]
) -> None:
    _url, ctx = served
    chain = _chain(ctx)
    before = len(ctx.ws.audit_entries())
    views = [
        (href("entity", chain["members"]["controller"]), "#side-title", "explorer"),
        (href("chain", chain["id"]), "#chain-links tbody tr", "chain"),
    ]
    for path, ready, view in views:
        page = tab.open(path, ready)
        page.wait_for_timeout(300)
        for kind in ("png", "svg"):
            with page.expect_download(timeout=60_000) as got:
                page.click(f"#{view}-{kind}")
            download = got.value
            assert download.suggested_filename.endswith(f".{kind}")
            head = Path(download.path()).read_bytes()[:200]
            assert head.startswith(b"\x89PNG") if kind == "png" else b"<svg" in head
    exports = [e["params"] for e in ctx.ws.audit_entries()[before:] if e["command"] == "app export"]
    assert sorted((e["page"], e["format"]) for e in exports) == [
        ("chain", "png"),
        ("chain", "svg"),
        ("explorer", "png"),
        ("explorer", "svg"),
    ]
    assert tab.errors == []


def test_a_share_preview_lists_what_is_pseudonymised(
    tab: Page, served: tuple[str, AppContext], app_agreement: tuple[str, str], shots: Path
) -> None:
    from fininvest.jit.agreement import load_agreement
    from fininvest.jit.share import share_content

    _url, ctx = served
    jit, partner = app_agreement
    expect = share_content(ctx.ws, load_agreement(ctx.ws, jit), partner).summary
    page = tab.open("/jurisdictions", "#share-jit")
    page.click("#share-partner")
    page.get_by_text(f"{partner} (", exact=False).first.click()
    page.click("#share-preview-button")
    items = "#share-pseudonymised li"
    page.wait_for_selector(items, timeout=60_000)
    got = [li.inner_text() for li in page.locator(items).all()]
    listed = expect["pseudonymised"][: jurisdictions.LISTED]
    assert got == [f"{p['id']} ({p['kind']}) → {p['pseudonym']}" for p in listed]
    assert page.locator("#share-path").count() == 0  # nothing written before confirmation
    page.screenshot(path=str(shots / "share-preview.png"))
    page.click("#share-write")
    page.wait_for_selector("#share-path", timeout=120_000)
    assert Path(page.inner_text("#share-path")).is_file()
    assert tab.errors == []
