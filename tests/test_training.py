"""Training: every scenario's key scores 100%, empty answers 0, partial answers partial credit
with the matching feedback; variants differ per trainee with the same structure; nothing of the
truth reaches a trainee; the ingest exercise's key is what ingest itself finds."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fininvest.training import build_exercise, hand_out, load_scenarios, score
from fininvest.training.keys import ring_structure
from fininvest.training.scoring import canonical
from tests.conftest import invoke

SECRET = b"a trainer secret for the tests, 32+"
SCENARIOS = load_scenarios()


@pytest.mark.parametrize("sid", sorted(SCENARIOS))
def test_key_scores_100_and_empty_scores_0_for_two_trainees(sid: str) -> None:
    structures = []
    seeds = []
    for trainee in ("Ana Silva", "Ben Okafor"):
        with build_exercise(SCENARIOS[sid], trainee, SECRET) as ex:
            assert score(ex, ex.key()).percent == 100.0
            assert score(ex, {"answers": {}}).percent == 0.0
            for p in ex.questions:  # every question has a non-empty answer
                assert p.expected not in ([], 0.0), (sid, p.question.id)
                assert "{" not in p.prompt, p.prompt
            structures.append(ring_structure(ex.truth))
            seeds.append((ex.seed, sorted(ex.truth.with_role("victim"))))
    assert structures[0] == structures[1], "variants must share the structure"
    assert seeds[0] != seeds[1], "two trainees must get different variants"


def test_partial_answer_gets_partial_credit_with_feedback() -> None:
    with build_exercise(SCENARIOS["sexual-exploitation"], "Ana Silva", SECRET) as ex:
        key = ex.key()["answers"]
        victims = key["victims"]
        half = victims[: len(victims) // 2]
        card = score(ex, {"answers": {"victims": half}})
        q = next(q for q in card.questions if q.id == "victims")
        assert 0 < q.earned < q.points
        assert sorted(q.missed) == sorted(set(victims) - set(half))
        assert any(line.startswith("missed: ") and "is a victim" in line for line in q.feedback)


def test_naming_a_victim_costs_more_than_missing_a_suspect() -> None:
    with build_exercise(SCENARIOS["sexual-exploitation"], "Ana Silva", SECRET) as ex:
        suspects = ex.key()["answers"]["suspects"]
        victim = ex.truth.with_role("victim")[0]
        missing_one = score(ex, {"answers": {"suspects": suspects[1:]}})
        naming_victim = score(ex, {"answers": {"suspects": [*suspects, victim]}})
    miss = next(q.earned for q in missing_one.questions if q.id == "suspects")
    named = next(q for q in naming_victim.questions if q.id == "suspects")
    assert named.earned < miss
    assert any("victim named as a suspect" in line for line in named.feedback)


def test_chain_scored_link_by_link_and_numbers_with_tolerance() -> None:
    with build_exercise(SCENARIOS["cross-border-chain"], "Ana Silva", SECRET) as ex:
        links = ex.key()["answers"]["chain"]
        swapped = [links[0], links[2], links[1]]
        q = next(q for q in score(ex, {"answers": {"chain": swapped}}).questions)
        assert q.earned == pytest.approx(q.points / 3, abs=0.01)
    with build_exercise(SCENARIOS["sexual-exploitation"], "Ana Silva", SECRET) as ex:
        value = ex.key()["answers"]["proceeds"]
        shares = [
            next(
                q for q in score(ex, {"answers": {"proceeds": v}}).questions if q.id == "proceeds"
            ).earned  # fmt: skip
            for v in (value * 1.05, value * 1.25, value * 2)
        ]
        assert shares == [20.0, 10.0, 0.0]


def test_ids_compare_without_spacing_or_case() -> None:
    assert canonical("nl91 abna 0417 1643 00") == canonical("NL91ABNA0417164300")


def test_trainee_workspace_holds_no_truth_and_ingest_finds_exactly_the_planted_defects(
    tmp_path: Path,
) -> None:
    from fininvest.ingest import ingest_files
    from fininvest.workspace import open_workspace

    scenario = SCENARIOS["messy-export"]
    with build_exercise(scenario, "Ana Silva", SECRET) as ex:
        hand_out(ex, tmp_path / "ana")
        key = ex.key()
        truth_ids = set(ex.truth.persons) - set(ex.truth.names)  # none: persons are KYC parties
        roles = {r["role"] for r in ex.truth.persons.values()} - {"none"}
    assert not truth_ids
    ws = open_workspace(tmp_path / "ana")
    assert not any(ws.path("truth").iterdir())
    everything = b"".join(p.read_bytes() for p in (tmp_path / "ana").rglob("*") if p.is_file())
    for word in ("holder_role", "typologies", "lookalike_group", "ring_id", *roles):
        assert word.encode() not in everything.lower() or word in ("victim",), word
    assert json.dumps(key["answers"]).encode() not in everything
    ingest_files(ws, sorted(p for p in ws.path("raw").iterdir() if p.is_file()))
    q = pl.concat([pl.read_parquet(p) for p in ws.quarantine_parts()], how="diagonal_relaxed")
    found = {
        f"{f.removesuffix('.gz')}:{r}:{fld}"
        for f, r, fld in q.select("source_file", "record_id", "field").iter_rows()
    }
    assert found == set(key["answers"]["defect_fields"])


def test_cli_start_check_key_report(tmp_path: Path, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "trainer.secret"
    monkeypatch.setenv("FININVEST_TRAINER_SECRET_FILE", str(secret))
    r = invoke(runner, "train", "list", "--format", "json")
    assert [s["id"] for s in json.loads(r.output)] == list(SCENARIOS)
    r = invoke(runner, "train", "start", "funnel", tmp_path / "ana", "--trainee", "Ana",
               "--format", "json")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert secret.stat().st_mode & 0o077 == 0
    assert {"BRIEF.md", "brief.html", "answers.json"} <= {
        p.name for p in (tmp_path / "ana").iterdir()
    }
    assert "Which accounts are funnel accounts" in (tmp_path / "ana" / "BRIEF.md").read_text()
    r = invoke(runner, "train", "key", "funnel", "--trainee", "Ana", "--format", "json")
    course = tmp_path / "course"
    (course / "answers").mkdir(parents=True)
    (course / "answers" / "ana-funnel.json").write_text(r.output)
    (course / "answers" / "ana-empty.json").write_text(
        (tmp_path / "ana" / "answers.json").read_text()
    )
    r = invoke(runner, "train", "check", "funnel", course / "answers" / "ana-funnel.json",
               "--trainee", "Ana", "--format", "json")  # fmt: skip
    assert json.loads(r.output)["percent"] == 100.0
    r = invoke(runner, "train", "report", course, "--format", "json")
    rows = {row["file"]: row["percent"] for row in json.loads(r.output)}
    assert rows == {"ana-empty.json": 0.0, "ana-funnel.json": 100.0}
    assert "ana-funnel" not in (course / "scores.csv").read_text()
    assert "<table>" in (course / "scores.html").read_text()
    r = runner.invoke(
        __import__("fininvest.cli", fromlist=["cli"]).cli,
        ["train", "check", "nope", str(course / "answers" / "ana-funnel.json"), "--trainee", "A"],
    )
    assert r.exit_code == 3 and "unknown scenario" in r.output
