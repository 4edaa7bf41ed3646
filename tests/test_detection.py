"""Infrastructure is not a suspect; peer groups and the account's own history; the
transfer-only typology check (issue 32, items 1 and 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fininvest.ingest import ingest_files
from fininvest.screening.kernels import one_off_events
from fininvest.screening.peers import fence, robust_z
from fininvest.screening.run import screen, summary
from fininvest.screening.segments import infrastructure_segments
from fininvest.typology_check import (
    CORE,
    PLANTED,
    account_id,
    generate,
    main_accounts,
    read_patterns,
    run_check,
    write,
)
from fininvest.workspace import Workspace

from .conftest import invoke

HEAD = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format\n"
)


def _row(month: int, day: int, hour: int, a: str, b: str, amount: float) -> str:
    money = f"{amount:.2f},Euro,{amount:.2f},Euro"
    return f"2022/{month:02d}/{day:02d} {hour:02d}:00,1,{a},1,{b},{money},Wire\n"


def test_robust_z_and_fence_against_a_plain_oracle() -> None:
    rng = np.random.default_rng(3)
    ref = rng.integers(0, 30, 200).astype(float)
    med = np.median(ref)
    mad = np.median(np.abs(ref - med))
    x = np.array([0.0, 5.0, 100.0])
    assert np.allclose(robust_z(x, ref), 0.6745 * (x - med) / mad)
    at = fence(ref, 3.5)  # the value whose log(1 + value) has modified z 3.5
    assert robust_z(np.array([np.log1p(at)]), np.log1p(ref))[0] == pytest.approx(3.5)
    flat = np.ones(10)  # no spread: anything above is an outlier
    assert robust_z(np.array([1.0, 2.0]), flat).tolist() == [0.0, np.inf]


def test_one_off_events_against_a_plain_oracle() -> None:
    rng = np.random.default_rng(5)
    n_acc = 30
    sizes = rng.integers(0, 40, n_acc)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    ts = np.concatenate([np.sort(rng.integers(0, 100 * 86_400, s)) for s in sizes]).astype(np.int64)
    raw = rng.integers(-1, 6, ts.shape[0])
    local = np.full(ts.shape[0], -1, np.int32)
    for a in range(n_acc):  # renumbered in order of first appearance, as local_codes does
        seen: dict[int, int] = {}
        for i in range(offsets[a], offsets[a + 1]):
            if raw[i] >= 0:
                local[i] = seen.setdefault(int(raw[i]), len(seen))
    window = 20 * 86_400
    got = one_off_events(offsets, ts, local, window)
    for a in range(n_acc):
        span: dict[int, list[int]] = {}
        for i in range(offsets[a], offsets[a + 1]):
            if local[i] >= 0:
                span.setdefault(int(local[i]), []).append(int(ts[i]))
        for i in range(offsets[a], offsets[a + 1]):
            c = int(local[i])
            want = c >= 0 and max(span[c]) - min(span[c]) <= window
            assert got[i] == want


def test_infrastructure_segments_are_declared_with_sources() -> None:
    data = infrastructure_segments()
    assert set(data["structure_indicators"]) == {
        "fan_in",
        "fan_out",
        "scatter_gather",
        "gather_scatter",
    }
    for seg in data["segments"]:
        assert seg["words"] or seg["mcc"], seg["id"]
        assert seg["source"] and seg["why"], seg["id"]
    for key in ("min_peer_z", "min_recurring_share", "period_days"):
        assert data["shape"][f"{key}_basis"] in ("source", "proposed")
        assert data["shape"][f"{key}_source"]


@pytest.fixture(scope="module")
def hub_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, object]:
    """Transfers only: a tax-office-like hub paid every month by the same 200 accounts, 60
    quiet accounts paying one regular partner, 20 of whose partners get one payment from a
    newcomer, and one small fan-in burst (4 new senders in a week) into a quiet account."""
    from fininvest.workspace import init_workspace

    ws = init_workspace(tmp_path_factory.mktemp("hub") / "case")
    rows = []
    for month in (1, 2, 3, 4):
        for i in range(200):
            rows.append(_row(month, 1 + i % 27, 9, f"P{i:03d}", "TAXHUB", 100 + i))
        for i in range(60):
            rows.append(_row(month, 5, 10, f"Q{i:03d}", f"R{i:03d}", 50 + i))
    for i in range(20):  # the quiet accounts' peers: one one-off payment each
        rows.append(_row(2, 1 + i, 12, f"ONCE{i:02d}", f"R{i + 20:03d}", 70 + i))
    for k in range(4):
        rows.append(_row(3, 10 + k, 11, f"NEW{k}", "R007", 900 + k))
    path = ws.root / "HI-Hub_Trans.csv"
    path.write_text(HEAD + "".join(rows))
    [s] = ingest_files(ws, [path])
    assert s.rejected == 0
    return ws, screen(ws)


def test_a_hub_is_infrastructure_by_its_shape_and_says_why(hub_case) -> None:  # type: ignore[no-untyped-def]
    ws, res = hub_case
    infra = pl.read_parquet(ws.path("results", "infrastructure.parquet"))
    row = infra.filter(pl.col("entity_id") == "1:TAXHUB").to_dicts()
    assert row and row[0]["segment"] == "hub" and "fan_in" in row[0]["indicators_set_aside"]
    assert "counterparties" in row[0]["reason"] and "periods" in row[0]["reason"]
    alert = res.alerts.filter(pl.col("entity_id") == "1:TAXHUB").to_dicts()
    assert alert and alert[0]["classification"] == "infrastructure"
    assert alert[0]["infrastructure"] == row[0]["reason"]
    suspects = res.alerts.filter(pl.col("classification") == "suspect")["entity_id"].to_list()
    assert "1:TAXHUB" not in suspects
    said = res.explanations.filter(
        (pl.col("entity_id") == "1:TAXHUB") & (pl.col("indicator") == "fan_in")
    )["detail"].to_list()
    assert said and "treated as infrastructure" in said[0]
    listed = summary(res, 5)["infrastructure_accounts"]  # screen --format json
    assert [a["entity_id"] for a in listed] == ["1:TAXHUB"]


def test_a_small_burst_of_new_senders_is_found(hub_case) -> None:  # type: ignore[no-untyped-def]
    """4 senders, below the catalogue's 10, but new to a quiet account: found, and ranked."""
    _, res = hub_case
    fired = res.explanations.filter(
        (pl.col("entity_id") == "1:R007") & (pl.col("indicator") == "fan_in")
    ).to_dicts()
    assert fired and fired[0]["observed"] == 4 and "new senders" in fired[0]["detail"]
    assert "1:R007" in res.alerts.filter(pl.col("classification") == "suspect")["entity_id"]


def test_payroll_bureaus_of_the_sample_are_infrastructure_by_kyc(sample_ws: Workspace) -> None:
    res = screen(sample_ws)
    infra = pl.read_parquet(sample_ws.path("results", "infrastructure.parquet"))
    bureaus = infra.filter(pl.col("segment") == "payroll_bureau")
    assert bureaus.height > 0
    assert all("payroll" in r for r in bureaus["reason"])
    structure = set(infrastructure_segments()["structure_indicators"])
    scored = res.alerts.filter(pl.col("classification") == "suspect")
    for row in scored.filter(pl.col("entity_id").is_in(bureaus["entity_id"].implode())).to_dicts():
        assert not structure & set(row["indicators"]), row


def test_generated_check_round_trips_its_main_accounts(tmp_path: Path) -> None:
    check = generate(accounts=400, instances=2, days=90, seed=4)
    _, patterns = write(check, tmp_path)
    attempts = read_patterns(patterns)
    assert [k for k, _ in attempts] == [k for k, _ in check.attempts]
    assert {k for k, _ in attempts} == set(PLANTED)
    for (kind, legs), (_, planted) in zip(attempts, check.attempts, strict=True):
        n = len({x.a for x in planted} | {x.b for x in planted})
        assert 3 <= n <= 12 if kind == "CYCLE" else 4 <= n <= 12
        days = (planted[-1].t - planted[0].t) / 86_400
        assert days <= 30
        mains = main_accounts(kind, legs)
        if kind == "FAN-IN":
            assert mains == {account_id(planted[0].b)}
        elif kind == "FAN-OUT":
            assert mains == {account_id(planted[0].a)}
        elif kind == "CYCLE":
            assert mains == {account_id(planted[0].a)}
        elif kind in CORE:
            assert mains


def test_typology_check_reports_recall_per_typology(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    res = invoke(
        runner,
        *[
            "typology-check",
            str(tmp_path / "check"),
            "--accounts",
            "600",
            "--instances",
            "2",
            "--days",
            "90",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["records_accepted"] == out["records_read"] > 0
    assert out["k"] == 2 * out["sar_accounts"]
    assert set(out["recall_at_k"]) == set(CORE)
    for row in out["typologies"].values():
        assert row["in_top_k"] <= row["main_accounts"] and len(row["ranks"]) == row["main_accounts"]
    saved = tmp_path / "check" / "case" / "results" / "typology_check.json"
    assert json.loads(saved.read_text())["recall_at_k"] == out["recall_at_k"]


def test_run_check_on_an_ibm_file_and_its_patterns(tmp_path: Path) -> None:
    trans, patterns = write(generate(accounts=300, instances=1, days=60, seed=2), tmp_path / "in")
    out = run_check(tmp_path / "out", transactions=trans, patterns=patterns)
    assert out["transactions_file"] == str(trans) and out["sar_accounts"] > 0
