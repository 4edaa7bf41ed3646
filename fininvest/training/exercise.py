"""One trainee's exercise: the variant, its questions as the trainee sees them, and the key.

:func:`build_exercise` regenerates a trainee's variant from the trainer's secret (in a
temporary folder), reads its ground truth and resolves every question: the prompt with its
placeholders filled, the options of a choice question, and the expected answer.
:func:`hand_out` writes what a trainee receives — a workspace with the raw files, a brief in
Markdown and HTML and an answers template — and nothing of the truth.
"""

from __future__ import annotations

import html
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fininvest.training.keys import KEYS, OPTIONS, SUBJECTS, CaseTruth
from fininvest.training.scenarios import Question, Scenario
from fininvest.training.variant import generate_variant, variant_seed

ANSWERS_NAME = "answers.json"


@dataclass(frozen=True)
class PosedQuestion:
    """A question as one trainee sees it, with its expected answer (kept by the trainer)."""

    question: Question
    prompt: str
    options: list[str] | None
    expected: list[str] | float


@dataclass
class Exercise:
    """A scenario resolved for one trainee's variant."""

    scenario: Scenario
    trainee: str
    seed: int
    truth: CaseTruth
    questions: list[PosedQuestion]
    raw: Path

    def key(self) -> dict[str, Any]:
        """The answer key in the answers-file format (scores 100%)."""
        return answers_document(
            self.scenario.id, self.trainee, {p.question.id: p.expected for p in self.questions}
        )


def answers_document(scenario: str, trainee: str, answers: dict[str, Any]) -> dict[str, Any]:
    """An answers file: which exercise, whose, and one value per question id."""
    return {"scenario": scenario, "trainee": trainee, "answers": answers}


def _fill(prompt: str, truth: CaseTruth) -> str:
    for name, subject in SUBJECTS.items():
        if "{" + name + "}" in prompt:
            value = subject(truth)
            prompt = prompt.replace(
                "{" + name + "}", ", ".join(value) if isinstance(value, list) else value
            )
    return prompt


@contextmanager
def build_exercise(scenario: Scenario, trainee: str, secret: bytes) -> Iterator[Exercise]:
    """Regenerate ``trainee``'s variant of ``scenario`` in a temporary folder and resolve it.

    The folder (raw files and truth) is removed when the context ends.

    Complexity: one synthetic case of the scenario's scale, plus one pass over its bank
    transactions for the money questions.
    """
    seed = variant_seed(secret, scenario.id, trainee)
    with tempfile.TemporaryDirectory(prefix="fininvest-train-") as tmp:
        raw, truth_dir = Path(tmp, "raw"), Path(tmp, "truth")
        defects = generate_variant(scenario, seed, raw, truth_dir)
        truth = CaseTruth.load(raw, truth_dir, defects, seed)
        posed = []
        for q in scenario.questions:
            expected = KEYS[q.key](truth)
            options = (
                OPTIONS[q.options](truth, list(expected))
                if q.options and isinstance(expected, list)
                else None
            )
            posed.append(PosedQuestion(q, _fill(q.prompt, truth), options, expected))
        yield Exercise(scenario, trainee.strip(), seed, truth, posed, raw)


def _template(ex: Exercise) -> dict[str, Any]:
    empty: dict[str, Any] = {
        p.question.id: (None if p.question.kind == "number" else []) for p in ex.questions
    }
    return answers_document(ex.scenario.id, ex.trainee, empty)


def brief_markdown(ex: Exercise) -> str:
    """The trainee's brief: situation, what the FIU received, the questions, how to answer."""
    s = ex.scenario
    files = sorted(p.name for p in ex.raw.iterdir() if p.is_file())
    lines = [
        f"# Exercise: {s.title}",
        "",
        f"Trainee: {ex.trainee} · difficulty {s.difficulty} of 6 · {s.points:g} points",
        "",
        "## Situation",
        "",
        s.situation,
        "",
        "## What the FIU received",
        "",
        "The files are in `raw/` of this workspace:",
        "",
        *[f"- `{f}`" for f in files],
        "",
        "Start with `fininvest ingest .` from this folder, then `fininvest status .`,",
        "`fininvest screen . --top 20`, `fininvest graph load .` and `fininvest chains .`.",
        "",
        "## Questions",
        "",
    ]
    for i, p in enumerate(ex.questions, 1):
        q = p.question
        lines.append(f"{i}. **{p.prompt}** ({q.points:g} points; answer `{q.id}`: {q.unit})")
        if p.options:
            lines.append(f"   Options: {', '.join(p.options)}")
        if q.victims_cost:
            lines.append("   Naming a victim here costs more than missing a suspect.")
        if q.kind == "number":
            lines.append(f"   Within {q.tolerance:.0%} earns full points.")
        if q.kind == "ordered":
            lines.append("   Order matters: each position is scored on its own.")
    lines += [
        "",
        "## How to answer",
        "",
        f"Fill in `{ANSWERS_NAME}` in this folder: one entry per question id, a list of ids",
        "(or a number for a number question). Hand it to your trainer, who runs",
        f'`fininvest train check {s.id} {ANSWERS_NAME} --trainee "{ex.trainee}"`.',
        "",
    ]
    return "\n".join(lines)


def brief_html(markdown: str, title: str) -> str:
    """The brief as a small self-contained HTML page (every text escaped)."""
    body: list[str] = []
    for line in markdown.splitlines():
        text = html.escape(line)
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.strip():
            body.append(f"<p>{text}</p>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def hand_out(ex: Exercise, trainee_dir: Path) -> list[Path]:
    """Write the trainee's workspace: raw files, ``BRIEF.md``, ``brief.html``, answers template.

    Returns
    -------
    The files written (the truth, the key and the seed are never among them).
    """
    from fininvest.workspace import init_workspace

    ws = init_workspace(trainee_dir, name=f"Training: {ex.scenario.title} ({ex.trainee})")
    written = []
    for f in sorted(ex.raw.iterdir()):
        if f.is_file():
            shutil.copyfile(f, ws.path("raw", f.name))
            written.append(ws.path("raw", f.name))
    md = brief_markdown(ex)
    for name, text in (
        ("BRIEF.md", md),
        ("brief.html", brief_html(md, ex.scenario.title)),
        (ANSWERS_NAME, json.dumps(_template(ex), indent=2) + "\n"),
    ):
        ws.path(name).write_text(text, "utf-8")
        written.append(ws.path(name))
    return written
