"""The web app's callbacks and data as plain functions (no browser), on the sample case.

The browser suite (tests/test_app_browser.py) drives the same app in Chromium.
"""

from __future__ import annotations

import json
import re
import time

import polars as pl
import pytest

from fininvest.app import AppContext, AppSettings, auth, create_app
from fininvest.app.data import fold
from fininvest.app.elements import MORE, emitted_classes, links
from fininvest.app.factory import page_for, route
from fininvest.app.pages import alerts, chains, explorer, flow, jurisdictions, timeline
from fininvest.app.styles import VIEWS, selector_classes, stylesheet
from fininvest.errors import AccessRefused, BadInput
from fininvest.resources import resource_dir


@pytest.fixture(scope="module")
def ctx(app_case) -> AppContext:  # type: ignore[no-untyped-def]
    ws, store = app_case
    app = create_app(ws, store, AppSettings(page_size=8, max_elements=400))
    return app.server.config["FININVEST_CONTEXT"]  # type: ignore[no-any-return]


# ----- declared styles -----------------------------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_stylesheets_are_valid_and_use_only_emitted_classes(view: str) -> None:
    raw = json.loads((resource_dir("dashboards") / "styles" / f"{view}.json").read_text())
    assert raw and all(set(r) == {"selector", "style"} and r["style"] for r in raw)
    rules = stylesheet(view)
    unknown = selector_classes(rules) - emitted_classes()
    assert not unknown, f"{view}.json styles classes the app never emits: {unknown}"
    for r in rules:
        assert re.fullmatch(r"(node|edge|:selected)[\w.:\-]*", r["selector"]), r["selector"]
        for value in r["style"].values():
            if isinstance(value, str) and value.startswith("mapData"):
                assert re.fullmatch(
                    r"mapData\((total|entities), [\d.]+, [\d.]+, [\d.]+, [\d.]+\)", value
                ), value


def test_selector_classes_reads_every_class() -> None:
    assert selector_classes([{"selector": "node.person.role-victim", "style": {}}]) == {
        "person",
        "role-victim",
    }


# ----- money aggregated per pair -------------------------------------------------------------
def _paid(other: str, outgoing: bool, month: str, count: int, total: float, first: int, last: int):  # type: ignore[no-untyped-def]
    return {
        "rel": "PAID",
        "outgoing": outgoing,
        "kind": "Account",
        "other": other,
        "name": None,
        "role": None,
        "country": "NL",
        "props": {
            "month": month,
            "count": count,
            "total": total,
            "first_ms": first,
            "last_ms": last,
        },
    }


def test_links_aggregate_money_per_pair_and_direction() -> None:
    rows = [
        _paid("B", True, "2025-01", 2, 100.0, 10, 20),
        _paid("B", True, "2025-02", 3, 50.5, 30, 40),
        _paid("B", False, "2025-01", 1, 7.0, 15, 15),
        _paid("C", True, "2025-03", 1, 999.0, 50, 50),
        {
            "rel": "RECRUITED",
            "outgoing": False,
            "kind": "Person",
            "other": "P",
            "name": "X",
            "role": "recruiter",
            "country": "RO",
            "props": {
                "link_id": "I-1",
                "grading": "B2",
                "handling_code": "C",
                "date_ms": 5,
                "from_country": "RO",
                "to_country": "NL",
            },
        },
    ]
    found = links("A", rows)
    assert [x.other for x in found] == ["P", "C", "B"]  # intelligence first, then by amount
    b = {e["data"]["id"]: e["data"] for e in found[2].edges}
    assert b["PAID|A|B"]["count"] == 5 and b["PAID|A|B"]["total"] == 150.5
    assert (b["PAID|A|B"]["first_ms"], b["PAID|A|B"]["last_ms"]) == (10, 40)
    assert b["PAID|B|A"]["total"] == 7.0 and b["PAID|B|A"]["source"] == "B"
    classes = {e["data"]["id"]: e["classes"] for x in found for e in x.edges}
    assert classes["PAID|A|B"] == classes["PAID|B|A"] == "money two-way"  # curved, apart
    assert classes["PAID|A|C"] == "money"  # one way: a straight arrow
    intel = found[0].edges[0]
    assert intel["data"]["badge"] == "B2 C" and intel["data"]["source"] == "P"
    assert set(intel["classes"].split()) == {
        "intel",
        "reliability-B",
        "handling-restricted",
        "cross-border",
    }
    # the date range keeps what overlaps it
    ranged = links("A", rows, since=25, until=45)
    assert [x.other for x in ranged] == ["B"]
    assert [e["data"]["total"] for e in ranged[0].edges] == [50.5]


# ----- explorer ------------------------------------------------------------------------------
def _hub(ctx: AppContext) -> str:
    """An account with more links than a page (the busiest payer of the case)."""
    tx = ctx.data.table("transactions")
    return str(
        tx.group_by("to_account")
        .agg(pl.col("from_account").n_unique().alias("n"))
        .drop_nulls()
        .sort("n", "to_account", descending=[True, False])["to_account"][0]
    )


def test_expand_pages_through_a_hub_without_repeats(ctx: AppContext) -> None:
    hub = _hub(ctx)
    elements, state = explorer.neighbourhood(ctx, hub)
    every = {x.other for x in links(hub, ctx.data.neighbours(hub))}
    assert len(every) > ctx.settings.page_size
    nodes = [e for e in elements if "source" not in e["data"] and e["data"]["id"] != hub]
    assert len([n for n in nodes if not n["data"]["id"].startswith(MORE)]) == 8
    assert MORE + hub in state["ids"]
    seen = {n["data"]["id"] for n in nodes} - {MORE + hub}
    pages = 0
    while MORE + hub in state["ids"] and pages < 100:
        before = list(state["ids"])
        new, removed, state = explorer.expand(ctx, MORE + hub, state)
        assert set(removed) <= {MORE + hub, MORE + "edge|" + hub}
        assert state["ids"] == [i for i in before if i not in removed] + [
            e["data"]["id"] for e in new
        ]
        new_nodes = {e["data"]["id"] for e in new if "source" not in e["data"]} - {MORE + hub}
        assert not new_nodes & seen
        seen |= new_nodes
        pages += 1
        if len(state["ids"]) >= ctx.settings.max_elements - 20:
            break
    if MORE + hub not in state["ids"]:
        assert seen == every
    assert len(state["ids"]) == len(set(state["ids"])) <= ctx.settings.max_elements


def test_patch_deletes_by_position_then_appends(ctx: AppContext) -> None:
    p = explorer.patch([{"data": {"id": "n"}}], ["b"], ["a", "b", "c"])
    ops = p.to_plotly_json()["operations"]
    assert [o["operation"] for o in ops] == ["Delete", "Extend"]
    assert ops[0]["location"] == [1]


def test_two_hop_neighbourhood_stays_under_the_limit(ctx: AppContext) -> None:
    elements, state = explorer.neighbourhood(ctx, _hub(ctx), hops=2)
    ids = [e["data"]["id"] for e in elements]
    assert ids == state["ids"] and len(ids) == len(set(ids)) <= ctx.settings.max_elements
    for e in elements:
        if "source" in e["data"]:
            assert {e["data"]["source"], e["data"]["target"]} <= set(ids)
        else:
            assert "position" in e


def test_side_panel_shows_provenance_and_alerts(ctx: AppContext) -> None:
    top = ctx.data.alerts().sort("rank").row(0, named=True)
    text = str(explorer.side_panel(ctx, top["entity_id"]))
    assert "kyc_accounts.csv" in text and f"/alert/{top['entity_id']}" in text


def test_search_is_accent_and_case_insensitive(ctx: AppContext) -> None:
    assert fold("Ștefan ÉLISE Müller") == "stefan elise muller"
    parties = ctx.data.table("parties").drop_nulls("name")
    name, pid = parties.row(0)[parties.columns.index("name")], parties["party_id"][0]
    assert pid in {h["id"] for h in ctx.data.search(name.upper(), limit=200)}
    acc = ctx.data.table("accounts").drop_nulls("iban").row(0, named=True)
    spaced = " ".join(acc["iban"][i : i + 4] for i in range(0, len(acc["iban"]), 4)).lower()
    assert ctx.data.search(spaced)[0]["id"] == acc["account_id"]
    phone = ctx.data.table("identifiers").filter(pl.col("kind") == "phone")["value"][0]
    assert ctx.data.search(phone[:3] + " " + phone[3:])[0]["id"] == phone


# ----- alerts --------------------------------------------------------------------------------
def test_alert_filters_and_victims_apart(ctx: AppContext) -> None:
    all_alerts = ctx.data.alerts()
    family = all_alerts["families"].explode().drop_nulls().mode().sort()[0]
    got = alerts.filter_alerts(all_alerts, families=[family], min_score=1.0)
    assert got.height and all(family in f for f in got["families"]) and got["score"].min() >= 1
    suspects, victims = alerts.filtered_tables(ctx, [family], None, None, None)
    ids = lambda t: {r["account"].split("](")[0].strip("[") for r in t.children[0].data}  # noqa: E731
    assert ids(suspects).isdisjoint(ids(victims))
    expect = alerts.filter_alerts(all_alerts, families=[family])
    for table, cls in ((suspects, "suspect"), (victims, "possible_victim")):
        n = expect.filter(pl.col("classification") == cls).height
        assert len(table.children[0].data) == min(n, alerts.MAX_ROWS)


def test_alert_detail_in_words_with_evidence(ctx: AppContext) -> None:
    top = ctx.data.alerts().sort("rank").row(0, named=True)
    expl = ctx.data.explanations(top["entity_id"])
    lines = alerts.explanation_lines(expl)
    assert len(lines) == len(expl) and all(
        "observed" in line and "Source:" in line for line in lines
    )
    evidence = sorted({e for r in expl for e in r["evidence"]})
    txs = ctx.data.transactions(evidence)
    known = set(ctx.data.table("transactions")["txn_id"]) | set(
        ctx.data.table("card_transactions")["txn_id"]
    )
    assert txs and {t["txn_id"] for t in txs} == set(evidence) & known
    assert all(t["source_file"] and t["record_no"] for t in txs)


# ----- chains, flow, timeline, jurisdictions, assets -----------------------------------------
def test_chain_view_left_to_right_with_every_link(ctx: AppContext) -> None:
    chain = ctx.data.chains()[0]
    els = chains.chain_elements(ctx, chain)
    x = {e["data"]["id"]: e["position"]["x"] for e in els if "position" in e}
    order = [chain["members"][r] for r in chains.STAGES[:-1] if r in chain["members"]]
    assert [x[m] for m in order] == sorted(x[m] for m in order)
    assert len(chains.link_rows(ctx, chain)) == len(chain["links"])
    assert "cross-border" in " ".join(e.get("classes", "") for e in els)


def test_money_flow_has_a_cash_sink_when_cash_left(ctx: AppContext) -> None:
    chain = ctx.data.chains()[0]
    frame = flow.flows(ctx, chain)
    place = flow.groups(ctx, chain)
    tx = ctx.data.table("transactions")
    cash = tx.filter(pl.col("from_account").is_in(list(place)) & pl.col("to_account").is_null())
    if cash.height:
        sink = frame.filter(pl.col("dst") == flow.CASH)
        assert sink["total"].sum() == pytest.approx(cash["amount_base"].sum())
    assert frame.height and (frame["src"] != frame["dst"]).all()


def test_timeline_in_time_order(ctx: AppContext) -> None:
    chain = ctx.data.chains()[0]
    items = timeline.events(ctx, timeline.subjects(ctx, chain["id"], None))
    kinds = {e["kind"] for e in items}
    assert {"transaction", "intelligence"} <= kinds
    whens = [timeline._when(e["when"]) for e in items]
    assert whens == sorted(whens)


def test_jurisdictions_count_what_each_country_holds(ctx: AppContext) -> None:
    per = jurisdictions.summary(ctx)
    parties = ctx.data.table("parties")
    nl = per.filter(pl.col("country") == "NL").row(0, named=True)
    assert nl["entities"] == parties.filter(pl.col("residence_country") == "NL").height
    money = jurisdictions.cross_border(ctx)
    assert (money["src"] != money["dst"]).all()


def test_asset_register_latest_status(ctx: AppContext) -> None:
    assets, events = ctx.data.asset_register()
    for a in assets.iter_rows(named=True):
        mine = events.filter(pl.col("asset_id") == a["asset_id"]).sort("date")
        if mine.height:
            assert a["status"] == mine["status"][-1]


# ----- routing, audit, every page renders ----------------------------------------------------
def test_routes_and_page_views_are_audited(ctx: AppContext) -> None:
    assert route("/") == ("alerts", None)
    assert route("/entity/a%2Fb") == ("entity", "a/b")
    before = len(ctx.ws.audit_entries())
    chain = ctx.data.chains()[0]["id"]
    for path in (
        "/alerts",
        "/explorer",
        f"/chain/{chain}",
        "/flow",
        "/timeline",
        "/jurisdictions",
        "/assets",
        "/nowhere",
    ):
        assert page_for(ctx, path) is not None
    views = [e for e in ctx.ws.audit_entries()[before:] if e["command"] == "app view"]
    assert {"alerts", "chains", "flow"} <= {v["params"]["page"] for v in views}
    assert any(v["params"].get("item") == chain for v in views)


# ----- access --------------------------------------------------------------------------------
def test_users_hashes_and_binding(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessRefused):
        auth.check_bind(ws, "0.0.0.0")
    auth.check_bind(ws, "127.0.0.1")
    with pytest.raises(BadInput):
        auth.add_user(ws, "anna", "short")
    auth.add_user(ws, "anna", "correct horse battery", ["nl"])
    stored = json.loads(ws.path("secrets", "app-users.json").read_text())
    assert "correct horse" not in json.dumps(stored) and stored["anna"]["jurisdictions"] == ["NL"]
    assert ws.path("secrets", "app-users.json").stat().st_mode & 0o777 == 0o600
    assert auth.verify(ws, "anna", "correct horse battery")
    assert not auth.verify(ws, "anna", "correct horse batterx")
    assert not auth.verify(ws, "bob", "correct horse battery")
    auth.check_bind(ws, "0.0.0.0")
    assert auth.session_valid({"user": "anna", "expires": time.time() + 60})
    assert not auth.session_valid({"user": "anna", "expires": time.time() - 1})


def test_login_is_required_once_users_exist(app_case, ws) -> None:  # type: ignore[no-untyped-def]
    _ws, store = app_case
    auth.add_user(ws, "anna", "correct horse battery")
    client = create_app(ws, store, AppSettings(session_minutes=1)).server.test_client()
    assert client.get("/alerts").status_code == 302
    assert client.post("/_dash-update-component", json={}).status_code == 401
    bad = client.post("/login", data={"user": "anna", "password": "wrong password!"})
    assert b"Wrong user or password" in bad.data
    ok = client.post("/login", data={"user": "anna", "password": "correct horse battery"})
    assert ok.status_code == 302
    assert client.get("/alerts").status_code == 200
    with client.session_transaction() as s:
        s["expires"] = time.time() - 1
    assert client.get("/alerts").status_code == 302
    assert [e["status"] for e in ws.audit_entries() if e["command"] == "app login"] == [
        "refused",
        "ok",
    ]


def test_cli_refuses_a_public_address_without_users(runner, ws) -> None:  # type: ignore[no-untyped-def]
    from fininvest.cli import cli

    res = runner.invoke(cli, ["app", str(ws.root), "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "refusing to serve" in res.output
    from fininvest.cli import cli

    res = runner.invoke(
        cli,
        ["app-user", "add", str(ws.root), "anna", "--password-stdin", "--format", "json"],
        input="correct horse battery\n",
    )
    assert res.exit_code == 0 and json.loads(res.output)["name"] == "anna"
    assert auth.verify(ws, "anna", "correct horse battery")
    res = runner.invoke(
        cli, ["app-user", "add", str(ws.root), "bob", "--password-stdin"], input="short\n"
    )
    assert res.exit_code == 3 and "12 characters" in res.output


# ----- a user limited to jurisdictions -------------------------------------------------------
def _json(obj: object) -> str:
    import plotly.utils

    return json.dumps(obj, cls=plotly.utils.PlotlyJSONEncoder)


def _everything_shown(c: AppContext) -> str:
    """The output of every page and callback a user can reach, as one JSON text."""
    from fininvest.app.pages import assets

    out: list[object] = []
    data = c.data
    for name in ("alerts", "explorer", "chains", "flow", "timeline", "jurisdictions", "assets"):
        out.append(page_for(c, f"/{name}"))
    top = data.alerts()
    for entity in top["entity_id"].head(3).to_list() if top.height else []:
        out += [alerts.detail(c, entity), page_for(c, f"/alert/{entity}")]
    out.append(alerts.filtered_tables(c, None, None, None, None))
    for ch in data.chains():
        out += [chains.chain_view(c, ch["id"]), flow.flow_view(c, ch["id"])]
        out.append(page_for(c, "/timeline", f"?chain={ch['id']}"))
        for member in list(ch["members"].values())[:3]:
            if data.node(member) is None:
                continue
            elements, state = explorer.neighbourhood(c, member, hops=2)
            out += [elements, explorer.side_panel(c, member)]
            out.append(explorer.regroup(c, state, True)[0])
            for e in elements[:6]:
                if "source" not in e["data"]:
                    out.append(explorer.expand(c, e["data"]["id"], state)[0])
                    out.append(explorer.side_panel(c, e["data"]["id"]))
    register, _events = data.asset_register()
    for asset in register["asset_id"].head(3).to_list() if register.height else []:
        out.append(assets.history(c, asset))
    for q in ("a", "an", "ion", "NL", "BG", "+3", "@"):
        out.append(explorer.search_results(c, q))
    return _json(out)


WORD = re.compile(r"[\w\-+@.:]+")


def test_limited_user_never_receives_an_out_of_scope_id(ctx: AppContext) -> None:
    limited = ctx.limited_to(["BG"])
    cut = limited.data.cut  # type: ignore[attr-defined]
    hidden = sorted(i for i, t in cut.tokens.items() if t.startswith("withheld-"))
    assert hidden and cut.allowed, "the sample case has entities on both sides of the limit"

    def leaks(text: str) -> set[str]:
        """The hidden ids in a text: as whole words, or (ids with spaces) as substrings."""
        words = set(WORD.findall(text))
        words |= {w.rstrip(".:") for w in words}
        return {i for i in hidden if i in words or (not WORD.fullmatch(i) and i in text)}

    # an out-of-scope id asked for directly is not there
    for i in hidden[:5]:
        assert limited.data.node(i) is None and limited.data.neighbours(i) == []
        assert "not in the graph" in _json(page_for(limited, f"/entity/{i}"))
    shown = _everything_shown(limited)
    assert sorted(leaks(shown)) == []
    assert "withheld-" in shown  # what was cut is marked, not silently gone
    assert any(i in shown for i in sorted(cut.allowed)[:200])
    # the same pages for the whole case do show those ids: the check above can fail
    assert leaks(_json(page_for(ctx, "/alerts")))


def test_limited_users_get_their_scope_from_the_login(app_case) -> None:  # type: ignore[no-untyped-def]
    ws, store = app_case
    auth.add_user(ws, "bg-officer", "a long enough password", ["bg"])
    try:
        app = create_app(ws, store, AppSettings(login=True))
        client = app.server.test_client()
        r = client.post("/login", data={"user": "bg-officer", "password": "a long enough password"})
        assert r.status_code == 302
        c: AppContext = app.server.config["FININVEST_CONTEXT"]
        with app.server.test_request_context("/"):
            import flask

            flask.session.update(user="bg-officer", jurisdictions=["BG"])
            assert c.jurisdictions() == frozenset({"BG"})
            assert c.data is not c.case and c.data.cut.jurisdictions == {"BG"}  # type: ignore[attr-defined]
        with client.session_transaction() as s:
            assert s["jurisdictions"] == ["BG"]
    finally:
        users = auth.users(ws)
        users.pop("bg-officer", None)
        path = ws.path("secrets", auth.USERS_NAME)
        if users:
            path.write_text(json.dumps(users), "utf-8")
        else:
            path.unlink()


# ----- chain view: evidence pack, images -------------------------------------------------------
def test_chain_pack_button_writes_a_verified_pack_and_says_where(ctx: AppContext) -> None:
    from pathlib import Path

    from fininvest.evidence.verify import verify_pack

    chain = ctx.data.chains()[0]["id"]
    before = len(ctx.ws.audit_entries())
    shown = _json(chains.build_pack(ctx, chain))
    where = re.search(r'"id": "chain-pack-path"', shown)
    assert where is not None
    path = Path(re.findall(r'"children": "([^"]+\.zip)"', shown)[0])
    assert path.parent == ctx.ws.path("evidence") and path.is_file()
    assert verify_pack(path).ok
    entries = ctx.ws.audit_entries()[before:]
    assert [e for e in entries if e["command"] == "evidence export"][0]["params"]["chains"] == [
        chain
    ]
    assert any(e["command"] == "app export" and e["params"]["item"] == chain for e in entries)
    refused = _json(chains.build_pack(ctx.limited_to(["BG"]), chain))
    assert "chain-pack-refused" in refused


def test_concurrent_exports_neither_corrupt_each_other_nor_move_the_cwd(
    ctx: AppContext, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import os
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from fininvest.evidence.export import export_pack
    from fininvest.evidence.verify import verify_pack

    ids = [c["id"] for c in ctx.data.chains()][:2] * 2
    cwd = os.getcwd()
    at = datetime(2026, 12, 1, tzinfo=UTC)
    outs = [tmp_path / f"{i}-{n}" for n, i in enumerate(ids)]
    with ThreadPoolExecutor(len(outs)) as pool:
        results = list(
            pool.map(lambda a: export_pack(ctx.ws, [a[0]], a[1], at=at, sign_key=None)[0],
                     zip(ids, outs, strict=True))
        )  # fmt: skip
    assert os.getcwd() == cwd
    for res, out, chain in zip(results, outs, ids, strict=True):
        report = verify_pack(out)
        assert report.ok, report.problems
        assert chain in (out / "bag-info.txt").read_text()
        assert res.files == sorted(
            p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
        )
    # the same chain at the same time gives the same bag: nothing of another leaked in
    assert results[0].tagmanifest_sha256 == results[2].tagmanifest_sha256


def test_image_exports_are_audited(ctx: AppContext) -> None:
    from fininvest.app.components import image_export

    before = len(ctx.ws.audit_entries())
    req = image_export(ctx, "chain", True, "CH-1/x")
    assert req == {"type": "svg", "action": "download", "filename": "fininvest-chain-CH-1_x"}
    entry = ctx.ws.audit_entries()[before:][-1]
    assert entry["command"] == "app export" and entry["params"]["format"] == "svg"


# ----- jurisdictions: a partner share, previewed first ---------------------------------------
def test_share_preview_first_then_written_on_confirmation(
    ctx: AppContext, app_agreement: tuple[str, str]
) -> None:
    from pathlib import Path

    from fininvest.evidence.verify import verify_pack
    from fininvest.jit.agreement import load_agreement
    from fininvest.jit.share import share_content

    jit, partner = app_agreement
    before = len(ctx.ws.audit_entries())
    shares = set(ctx.ws.path("evidence").glob("share-*"))
    shown = _json(jurisdictions.share_preview(ctx, jit, partner))
    expect = share_content(ctx.ws, load_agreement(ctx.ws, jit), partner).summary["pseudonymised"]
    assert expect, "the sample chains mention people outside BG"
    for p in expect[:50]:
        assert f"{p['id']} ({p['kind']}) \\u2192 {p['pseudonym']}" in shown
    assert "share-write" in shown
    assert set(ctx.ws.path("evidence").glob("share-*")) == shares  # a preview writes nothing
    entries = ctx.ws.audit_entries()[before:]
    assert [e["command"] for e in entries] == ["share preview"]
    written = _json(jurisdictions.share_write(ctx, jit, partner))
    path = Path(re.findall(r'"children": "([^"]+\.zip)"', written)[0])
    assert path.is_file() and verify_pack(path).ok
    assert ctx.ws.audit_entries()[-1]["command"] == "share"
    assert "share-refused" in _json(jurisdictions.share_preview(ctx, jit, "XX"))
    assert "share-refused" in _json(jurisdictions.share_preview(ctx.limited_to(["BG"]), jit, "BG"))


# ----- explorer: grouping by jurisdiction ----------------------------------------------------
def test_grouping_puts_every_node_in_its_jurisdiction(ctx: AppContext) -> None:
    from fininvest.app.elements import GROUP

    focus = ctx.data.chains()[0]["members"]["controller"]
    plain, state = explorer.neighbourhood(ctx, focus)
    target = next(i for i in state["ids"][1:] if not i.startswith(MORE) and "|" not in i)
    _new, _removed, state = explorer.expand(ctx, target, state)
    elements, after = explorer.regroup(ctx, state, True)
    nodes = [e for e in elements if "source" not in e["data"]]
    groups = [n for n in nodes if n["data"]["id"].startswith(GROUP)]
    members = [n for n in nodes if not n["data"]["id"].startswith(GROUP)]
    assert groups and all("group" in g["classes"].split() for g in groups)
    ids = [e["data"]["id"] for e in elements]
    for n in members:
        parent = n["data"]["parent"]
        assert parent == GROUP + (n["data"]["country"] or "?")
        assert ids.index(parent) < ids.index(n["data"]["id"])  # a parent comes first
    # the same view, grouped: the same nodes and edges, each country's side by side
    assert set(ids) - {g["data"]["id"] for g in groups} == set(state["ids"])
    assert set(after["ids"]) == set(ids)
    back, _ = explorer.regroup(ctx, after, False)
    assert sorted(e["data"]["id"] for e in back) == sorted(state["ids"])
    assert "group" in selector_classes(stylesheet("explorer"))


# ----- money flow: traced paths over time, cash as its own sink ------------------------------
def test_traced_paths_over_time_with_cash_as_its_own_sink(ctx: AppContext) -> None:
    chain = ctx.data.chains()[0]
    res = flow.traced(ctx, chain)
    assert res["paths"], "the controller's money goes somewhere"
    fig = flow.trace_figure(ctx, res)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert len(lines) == len([p for p in res["paths"] if p["hops"]])
    first = res["paths"][0]
    assert list(lines[0].y) == [round(h["amount"], 2) for h in first["hops"]]
    cash = flow.cash_out(ctx, res)
    sinks = [t for t in fig.data if t.name == flow.CASH]
    assert (len(sinks) == 1) == (cash.height > 0)
    if cash.height:
        assert sum(sinks[0].y) == pytest.approx(cash["total"].sum())
