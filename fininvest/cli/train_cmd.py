"""``fininvest train``: graded exercises on synthetic cases, for trainers and trainees."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fininvest.casefile.names import Names
from fininvest.cli.output import FORMAT_OPTION, emit, safe_cell
from fininvest.errors import BadInput
from fininvest.training import build_exercise, get_scenario, hand_out, load_scenarios, score
from fininvest.training.variant import load_secret, secret_path

SECRET_OPTION = click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The trainer's secret (variants and keys derive from it). Default: "
    "$FININVEST_TRAINER_SECRET_FILE, else ~/.config/fininvest/trainer.secret, created "
    "owner-only on first `train start`.",
)
TRAINEE_OPTION = click.option("--trainee", required=True, help="The trainee's name, as on start.")


@click.group()
def train() -> None:
    """Graded exercises: a variant per trainee, scoring and a debrief.

    \b
    A session:
      fininvest train list
      fininvest train start funnel ana/ --trainee "Ana Silva"     # per trainee
      fininvest train check funnel ana/answers.json --trainee "Ana Silva"
      fininvest train key funnel --trainee "Ana Silva"            # trainer only
      fininvest train report course/                              # answers/*.json → scores

    Every trainee gets a variant of the case (other names, ids and amounts, the same
    structure) derived from the trainer's secret and the trainee's name, so answers cannot be
    copied. The answer key is never written into a trainee's workspace: the trainer
    recomputes it from the secret.
    """


def _answers(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(
            f"{path.name}: not a readable answers file ({exc})",
            hint='An answers file is JSON: {"answers": {"question id": [...]}}.',
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("answers", {}), dict):
        raise BadInput(f"{path.name}: expected an object with an 'answers' object")
    return doc


@train.command("list")
@FORMAT_OPTION
def list_(fmt: str) -> None:
    """The exercises, by difficulty, with what each teaches and its questions."""
    scenarios = list(load_scenarios().values())
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "difficulty": s.difficulty,
            "teaches": s.teaches,
            "case": {"scale": s.scale, "family": s.family, "planted_defects": s.planted_defects},
            "questions": [{"id": q.id, "kind": q.kind, "points": q.points} for q in s.questions],
            "points": s.points,
        }
        for s in scenarios
    ]

    def render(c: Console) -> None:
        t = Table("id", "level", "title", "questions", title=f"{len(rows)} training exercises")
        for s in scenarios:
            t.add_row(s.id, str(s.difficulty), s.title, str(len(s.questions)))
        c.print(t)

    emit(fmt, rows, render)


@train.command()
@click.argument("scenario")
@click.argument("trainee_dir", type=click.Path(path_type=Path, file_okay=False))
@TRAINEE_OPTION
@SECRET_OPTION
@FORMAT_OPTION
def start(scenario: str, trainee_dir: Path, trainee: str, secret_file: Path | None,
          fmt: str) -> None:  # fmt: skip
    """Prepare TRAINEE_DIR: a workspace with the raw files, BRIEF.md, brief.html and an
    answers.json template for the trainee's own variant of SCENARIO.

    Example: fininvest train start funnel ana/ --trainee "Ana Silva"
    """
    s = get_scenario(scenario)
    secret = load_secret(secret_path(secret_file), create=True)
    with build_exercise(s, trainee, secret) as ex:
        written = hand_out(ex, trainee_dir)
        result = {
            "scenario": s.id,
            "trainee": ex.trainee,
            "workspace": str(trainee_dir.resolve()),
            "files": [str(p.relative_to(trainee_dir.resolve())) for p in written],
            "questions": [p.question.id for p in ex.questions],
        }

    def render(c: Console) -> None:
        c.print(f"Exercise '{s.title}' prepared for {ex.trainee} in {result['workspace']}")
        c.print("Hand over the folder; the trainee starts with BRIEF.md.", markup=False)

    emit(fmt, result, render)


@train.command()
@click.argument("scenario")
@click.argument("answers_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@TRAINEE_OPTION
@SECRET_OPTION
@FORMAT_OPTION
def check(scenario: str, answers_file: Path, trainee: str, secret_file: Path | None,
          fmt: str) -> None:  # fmt: skip
    """Score ANSWERS_FILE for the trainee's variant of SCENARIO, with a debrief per question.

    F1 per set question (naming a victim as a suspect costs more than missing a suspect),
    partial credit by link for a chain, a tolerance for numbers.

    Example: fininvest train check funnel ana/answers.json --trainee "Ana Silva"
    """
    s = get_scenario(scenario)
    secret = load_secret(secret_path(secret_file), create=False)
    with build_exercise(s, trainee, secret) as ex:
        card = score(ex, _answers(answers_file))
    data = card.to_dict()

    def render(c: Console) -> None:
        c.print(f"{card.trainee} — {s.title}: {card.earned:g} of {card.points:g} points "
                f"({card.percent:g}%)", markup=False)  # fmt: skip
        for q in card.questions:
            c.print(f"\n{q.id}: {q.earned:g} of {q.points:g}", markup=False)
            for line in q.feedback:
                c.print(f"  {line}", markup=False, highlight=False)

    emit(fmt, data, render)


@train.command()
@click.argument("scenario")
@TRAINEE_OPTION
@SECRET_OPTION
@FORMAT_OPTION
def key(scenario: str, trainee: str, secret_file: Path | None, fmt: str) -> None:
    """The answer key of the trainee's variant (trainer only). Its JSON form is a valid answers
    file and scores 100%.

    Example: fininvest train key funnel --trainee "Ana Silva" --format json > key.json
    """
    s = get_scenario(scenario)
    secret = load_secret(secret_path(secret_file), create=False)
    with build_exercise(s, trainee, secret) as ex:
        names = Names(ex.truth.names, ex.truth.holders)  # the variant's own names
        doc = names.annotate(ex.key())  # answers_names beside the answers: still a key
        prompts = {p.question.id: names.in_text(p.prompt) for p in ex.questions}

    def render(c: Console) -> None:
        for qid, value in doc["answers"].items():
            c.print(f"{qid}: {prompts[qid]}", markup=False)
            shown = (
                ", ".join(names.label(v) for v in value)
                if isinstance(value, list)
                else f"{value:,.2f}"
            )
            c.print(f"  {shown}", markup=False, highlight=False)

    emit(fmt, doc, render)


def report_rows(trainer_dir: Path, secret: bytes) -> list[dict[str, Any]]:
    """Score every answers file in ``TRAINER_DIR/answers/`` (each names scenario and trainee)."""
    rows = []
    for path in sorted((trainer_dir / "answers").glob("*.json")):
        doc = _answers(path)
        if "scenario" not in doc or "trainee" not in doc:
            raise BadInput(f"{path.name}: an answers file must name its scenario and trainee")
        with build_exercise(get_scenario(doc["scenario"]), doc["trainee"], secret) as ex:
            card = score(ex, doc)
        rows.append(
            {
                "file": path.name,
                "trainee": card.trainee,
                "scenario": card.scenario,
                "earned": card.earned,
                "points": card.points,
                "percent": card.percent,
                "questions": {q.id: q.earned for q in card.questions},
            }  # fmt: skip
        )
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    qids = sorted({q for r in rows for q in r["questions"]})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["trainee", "scenario", "earned", "points", "percent", *qids])
    for r in rows:  # trainee names are typed by people: no formula reaches a spreadsheet
        cells = [r["trainee"], r["scenario"], r["earned"], r["points"], r["percent"],
                 *[r["questions"].get(q, "") for q in qids]]  # fmt: skip
        w.writerow([safe_cell(c) for c in cells])
    return buf.getvalue()


def _html(rows: list[dict[str, Any]]) -> str:
    qids = sorted({q for r in rows for q in r["questions"]})
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("trainee", "scenario", "%", *qids))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                r["trainee"],
                r["scenario"],
                r["percent"],
                *[r["questions"].get(q, "") for q in qids],
            )  # fmt: skip
        )
        + "</tr>\n"
        for r in rows
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Scores</title>'
        "<style>td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<table><tr>{head}</tr>\n{body}</table></body></html>\n"
    )


@train.command()
@click.argument("trainer_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@SECRET_OPTION
@FORMAT_OPTION
def report(trainer_dir: Path, secret_file: Path | None, fmt: str) -> None:
    """Scores of a group: every answers file in TRAINER_DIR/answers/, per trainee and per
    question; writes TRAINER_DIR/scores.csv and TRAINER_DIR/scores.html.

    Example: fininvest train report course/
    """
    secret = load_secret(secret_path(secret_file), create=False)
    rows = report_rows(trainer_dir, secret)
    (trainer_dir / "scores.csv").write_text(_csv(rows), "utf-8")
    (trainer_dir / "scores.html").write_text(_html(rows), "utf-8")

    def render(c: Console) -> None:
        t = Table("trainee", "scenario", "points", "%", title=f"{len(rows)} answers scored")
        for r in rows:
            t.add_row(r["trainee"], r["scenario"], f"{r['earned']:g}/{r['points']:g}",
                      f"{r['percent']:g}")  # fmt: skip
        c.print(t)
        c.print(f"wrote {trainer_dir / 'scores.csv'} and scores.html", markup=False)

    emit(fmt, rows, render)
