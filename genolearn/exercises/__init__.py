"""Exercises: the registry, the learner's instant :func:`check`, and feedback.

Usage in a chapter notebook::

    from genolearn.exercises import check
    check("ch1.sigmoid", sigmoid)

Projects (:mod:`~genolearn.exercises.project`) are checked with ``check_project``; ``mine``
(:mod:`~genolearn.exercises.mine`) returns the learner's function when it passes its check.
"""

from genolearn.exercises.check import check, evaluate, expected_outputs, run_case
from genolearn.exercises.compare import Mismatch, compare
from genolearn.exercises.feedback import Outcome, Report
from genolearn.exercises.mine import mine
from genolearn.exercises.project import (
    Measure,
    Project,
    ProjectCase,
    all_projects,
    check_project,
    project_data,
)
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
    "Measure",
    "Mismatch",
    "Mistake",
    "Outcome",
    "Project",
    "ProjectCase",
    "Report",
    "all_exercises",
    "all_projects",
    "check",
    "check_project",
    "compare",
    "evaluate",
    "expected_outputs",
    "get_exercise",
    "mine",
    "notebook_name",
    "project_data",
    "run_case",
]
