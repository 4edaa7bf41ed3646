"""Training: graded exercises on synthetic cases with per-trainee variants and a debrief.

Public API::

    load_scenarios()                       every exercise declared in training/*.toml
    build_exercise(scenario, trainee, secret)   a trainee's variant, resolved (context manager)
    hand_out(exercise, trainee_dir)        the trainee's workspace: raw files, brief, template
    score(exercise, answers)               a ScoreCard with feedback per question
"""

from fininvest.training.exercise import Exercise, build_exercise, hand_out
from fininvest.training.scenarios import Scenario, ScenarioError, get_scenario, load_scenarios
from fininvest.training.scoring import ScoreCard, score

__all__ = [
    "Exercise",
    "Scenario",
    "ScenarioError",
    "ScoreCard",
    "build_exercise",
    "get_scenario",
    "hand_out",
    "load_scenarios",
    "score",
]
