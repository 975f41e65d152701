"""Exercises: the registry, the learner's instant :func:`check`, and feedback.

Usage in a chapter notebook::

    from genolearn.exercises import check
    check("ch1.sigmoid", sigmoid)
"""

from genolearn.exercises.check import check, evaluate, expected_outputs, run_case
from genolearn.exercises.compare import Mismatch, compare
from genolearn.exercises.feedback import Outcome, Report
from genolearn.exercises.registry import (
    NOTEBOOKS,
    Case,
    Exercise,
    Mistake,
    all_exercises,
    get_exercise,
    notebook_name,
)

__all__ = [
    "NOTEBOOKS",
    "Case",
    "Exercise",
    "Mismatch",
    "Mistake",
    "Outcome",
    "Report",
    "all_exercises",
    "check",
    "compare",
    "evaluate",
    "expected_outputs",
    "get_exercise",
    "notebook_name",
    "run_case",
]
