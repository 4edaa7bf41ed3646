"""Scoring a trainee's answers against the key, with a debrief for every miss.

Per kind of question:

* **set** and **choice** — F1 of the given items against the key (ids compared without spaces and
  case, so IBANs in any spacing match). Where the question sets ``victims_cost``, each victim
  named costs that many *missed items* on top of the F1: naming a victim as a suspect costs more
  than missing a suspect.
* **ordered** — partial credit by position: the share of positions (of the longer list) where
  the answer equals the key; a chain scored link by link.
* **number** — full points within the relative tolerance, half within twice of it.

Every question's feedback lists what was right, what was missed and what was wrong, each with a
sentence of debrief from :func:`fininvest.training.keys.explain_item`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fininvest.training.exercise import Exercise, PosedQuestion
from fininvest.training.keys import explain_item


def canonical(item: Any) -> str:
    """How an answered item is compared: text without spaces, upper case.

    >>> canonical(" nl91 abna 0417 1643 00 "), canonical("p-0001")
    ('NL91ABNA0417164300', 'P-0001')
    """
    return "".join(str(item).split()).upper()


@dataclass
class QuestionScore:
    """The score of one question and its feedback."""

    id: str
    kind: str
    points: float
    earned: float
    right: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"share": round(self.earned / self.points, 4)}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (x.strip() for x in value.replace(";", ",").split(",")) if v]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _score_set(ex: Exercise, p: PosedQuestion, given: Any) -> QuestionScore:
    q = p.question
    key = {canonical(k): str(k) for k in p.expected}  # type: ignore[union-attr]
    answered = {canonical(a): a for a in _as_list(given)}
    right = sorted(key[k] for k in key.keys() & answered.keys())
    missed = sorted(key[k] for k in key.keys() - answered.keys())
    wrong = sorted(answered[k] for k in answered.keys() - key.keys())
    precision = len(right) / len(answered) if answered else 0.0
    recall = len(right) / len(key) if key else float(not answered)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if not key and not answered:
        f1 = 1.0
    victims = {canonical(v) for v in ex.truth.with_role("victim")}
    named_victims = [w for w in wrong if canonical(w) in victims]
    cost = q.victims_cost * len(named_victims) / max(len(key), 1)
    share = max(0.0, f1 - cost)
    s = QuestionScore(q.id, q.kind, q.points, round(q.points * share, 2), right, missed, wrong)
    s.feedback += [f"right: {explain_item(ex.truth, r)}" for r in right]
    s.feedback += [f"missed: {explain_item(ex.truth, m)}" for m in missed]
    for w in wrong:
        if canonical(w) in victims and q.victims_cost:
            s.feedback.append(
                f"wrong: {explain_item(ex.truth, w)} — a victim named as a suspect "
                f"(costs {q.victims_cost:g} missed items)"
            )
        else:
            s.feedback.append(f"wrong: {explain_item(ex.truth, w)}")
    return s


def _score_ordered(ex: Exercise, p: PosedQuestion, given: Any) -> QuestionScore:
    q = p.question
    key = [str(k) for k in p.expected]  # type: ignore[union-attr]
    answered = _as_list(given)
    n = max(len(key), len(answered), 1)
    s = QuestionScore(q.id, q.kind, q.points, 0.0)
    hits = 0
    for i in range(n):
        k = key[i] if i < len(key) else None
        a = answered[i] if i < len(answered) else None
        if k is not None and a is not None and canonical(a) == canonical(k):
            hits += 1
            s.right.append(k)
            s.feedback.append(f"right at {i + 1}: {explain_item(ex.truth, k)}")
            continue
        if k is not None:
            s.missed.append(k)
            s.feedback.append(f"missed at {i + 1}: expected {explain_item(ex.truth, k)}")
        if a is not None:
            s.wrong.append(a)
            s.feedback.append(f"wrong at {i + 1}: {a}")
    s.earned = round(q.points * hits / n, 2)
    return s


def _score_number(ex: Exercise, p: PosedQuestion, given: Any) -> QuestionScore:
    q = p.question
    expected = float(p.expected)  # type: ignore[arg-type]
    s = QuestionScore(q.id, q.kind, q.points, 0.0)
    try:
        value = float(str(given).replace(",", "")) if given not in (None, "", []) else None
    except ValueError:
        value = None
    if value is None:
        s.missed.append(f"{expected:,.2f}")
        s.feedback.append(f"missed: no number given; the answer is {expected:,.2f} {q.unit}")
        return s
    off = abs(value - expected) / abs(expected) if expected else abs(value)
    share = 1.0 if off <= q.tolerance else 0.5 if off <= 2 * q.tolerance else 0.0
    s.earned = round(q.points * share, 2)
    (s.right if share == 1.0 else s.wrong).append(f"{value:,.2f}")
    s.feedback.append(
        f"{value:,.2f} against {expected:,.2f} {q.unit} ({off:.1%} off; full points within "
        f"{q.tolerance:.0%}, half within {2 * q.tolerance:.0%})"
    )
    return s


SCORERS = {"set": _score_set, "choice": _score_set, "ordered": _score_ordered,
           "number": _score_number}  # fmt: skip


@dataclass
class ScoreCard:
    """A trainee's result on one exercise."""

    scenario: str
    trainee: str
    questions: list[QuestionScore]

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def earned(self) -> float:
        return round(sum(q.earned for q in self.questions), 2)

    @property
    def percent(self) -> float:
        return round(100 * self.earned / self.points, 1) if self.points else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "trainee": self.trainee,
            "points": self.points,
            "earned": self.earned,
            "percent": self.percent,
            "questions": [q.to_dict() for q in self.questions],
        }


def score(ex: Exercise, answers: dict[str, Any]) -> ScoreCard:
    """Score an answers document (``{"answers": {question id: value}}``) for ``ex``.

    Examples
    --------
    A key scores 100% and empty answers score 0 (see ``tests/test_training.py``).

    Complexity: linear in the number of answered and expected items.
    """
    given = answers.get("answers", {}) if isinstance(answers, dict) else {}
    cards = [SCORERS[p.question.kind](ex, p, given.get(p.question.id)) for p in ex.questions]
    return ScoreCard(ex.scenario.id, ex.trainee, cards)
