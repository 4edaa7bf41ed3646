"""Training scenarios, declared once as data: one TOML file per exercise in ``training/``.

A scenario says which synthetic case every trainee gets a variant of (scale, THB family, planted
export defects) and asks questions whose answers are *derived* from that variant's ground truth
by the named functions of :mod:`fininvest.training.keys`. :func:`load_scenarios` validates the
whole folder and reports every problem at once; ``docs/training.md`` lists the scenarios
(generated; a test fails on drift). The file format is described in ``training/README.md``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fininvest.errors import EXIT_BAD_INPUT, FininvestError
from fininvest.resources import resource_dir

KINDS = ("set", "ordered", "number", "choice")
FAMILIES = ("sexual_exploitation", "forced_labour", "forced_criminality", "all")
SCALES = ("tiny", "small")
TOP_KEYS = {"id", "title", "difficulty", "teaches", "situation", "case", "questions"}
CASE_KEYS = {"scale", "family", "defects", "planted_defects"}
QUESTION_KEYS = {"id", "kind", "key", "prompt", "unit", "points", "tolerance", "options",
                 "victims_cost"}  # fmt: skip


class ScenarioError(FininvestError):
    """A training scenario file is invalid, or a scenario id is unknown."""

    exit_code = EXIT_BAD_INPUT
    kind = "training_scenario"


@dataclass(frozen=True)
class Question:
    """One machine-checkable question of a scenario."""

    id: str
    kind: str
    key: str
    prompt: str
    unit: str
    points: float
    tolerance: float = 0.1
    options: str | None = None
    victims_cost: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """One exercise: the case every trainee gets a variant of, and the questions."""

    id: str
    title: str
    difficulty: int
    teaches: str
    situation: str
    scale: str
    family: str
    planted_defects: int
    questions: tuple[Question, ...]
    path: Path

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)


def _question(
    where: str, raw: dict[str, Any], known_keys: set[str], problems: list[str]
) -> Question | None:
    qid = raw.get("id", "?")
    for k in sorted(set(raw) - QUESTION_KEYS):
        problems.append(f"{where}: question '{qid}': unknown key '{k}'")
    missing = [k for k in ("id", "kind", "key", "prompt", "unit", "points") if k not in raw]
    if missing:
        problems.append(f"{where}: question '{qid}': missing {', '.join(missing)}")
        return None
    if raw["kind"] not in KINDS:
        problems.append(f"{where}: question '{qid}': kind '{raw['kind']}' not in {KINDS}")
    if raw["key"] not in known_keys:
        problems.append(f"{where}: question '{qid}': unknown key function '{raw['key']}'")
    if raw["kind"] == "choice" and not raw.get("options"):
        problems.append(f"{where}: question '{qid}': a choice question needs 'options'")
    if not isinstance(raw["points"], int | float) or raw["points"] <= 0:
        problems.append(f"{where}: question '{qid}': points must be a positive number")
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        key=raw["key"],
        prompt=raw["prompt"].strip(),
        unit=raw["unit"],
        points=float(raw["points"]),
        tolerance=float(raw.get("tolerance", 0.1)),
        options=raw.get("options"),
        victims_cost=float(raw.get("victims_cost", 0.0)),
    )


def _scenario(path: Path, known_keys: set[str], problems: list[str]) -> Scenario | None:
    where = path.name
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{where}: not valid TOML ({exc})")
        return None
    for k in sorted(set(raw) - TOP_KEYS):
        problems.append(f"{where}: unknown key '{k}'")
    missing = sorted(TOP_KEYS - set(raw))
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
        return None
    case = raw["case"]
    for k in sorted(set(case) - CASE_KEYS):
        problems.append(f"{where}: [case]: unknown key '{k}'")
    if case.get("scale") not in SCALES:
        problems.append(f"{where}: [case] scale must be one of {SCALES}")
    if case.get("family") not in FAMILIES:
        problems.append(f"{where}: [case] family must be one of {FAMILIES}")
    questions = [_question(where, q, known_keys, problems) for q in raw["questions"]]
    ids = [q.id for q in questions if q]
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: question ids must be unique")
    return Scenario(
        id=raw["id"],
        title=raw["title"],
        difficulty=int(raw["difficulty"]),
        teaches=raw["teaches"].strip(),
        situation=raw["situation"].strip(),
        scale=case.get("scale", "tiny"),
        family=case.get("family", "all"),
        planted_defects=int(case.get("planted_defects", 0)),
        questions=tuple(q for q in questions if q),
        path=path,
    )


def load_scenarios(folder: Path | None = None) -> dict[str, Scenario]:
    """Load and validate every scenario, ordered by difficulty then id.

    Parameters
    ----------
    folder : the scenario folder; defaults to the shipped ``training/``.

    Returns
    -------
    ``{scenario id: Scenario}``.

    Raises
    ------
    ScenarioError
        Listing every problem found in the folder.

    Examples
    --------
    >>> scenarios = load_scenarios()
    >>> len(scenarios) >= 6, "funnel" in scenarios
    (True, True)
    """
    from fininvest.training.keys import KEYS

    folder = folder or resource_dir("training")
    problems: list[str] = []
    found = [_scenario(p, set(KEYS), problems) for p in sorted(folder.glob("*.toml"))]
    scenarios = [s for s in found if s]
    ids = [s.id for s in scenarios]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"scenario id '{dup}' is used by more than one file")
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) in the training scenarios:\n  - "
            + "\n  - ".join(problems),
            hint="Fix the named files in training/ (the format is in training/README.md).",
        )
    return {s.id: s for s in sorted(scenarios, key=lambda s: (s.difficulty, s.id))}


def get_scenario(scenario_id: str) -> Scenario:
    """The named scenario, or a :class:`ScenarioError` listing the known ones."""
    scenarios = load_scenarios()
    if scenario_id not in scenarios:
        raise ScenarioError(
            f"unknown scenario '{scenario_id}'",
            hint="Known scenarios: " + ", ".join(scenarios) + " (fininvest train list).",
        )
    return scenarios[scenario_id]
