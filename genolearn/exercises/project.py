"""Open-ended projects: a measurable part the grader scores, a written part the instructor marks.

A :class:`Project` is an :class:`~genolearn.exercises.Exercise` whose answer is not compared
with a reference but *measured*: the learner's function gets a task's training data (and, for
some projects, the inputs to predict), and what it returns — scores, features or a network — is
turned into a number by :attr:`Project.measure` with answers the function never sees (the
held-out labels). The project passes when the number reaches its goal.

* In the notebook, ``check_project("ch4.project", my_function)`` runs the function on the
  **public split** (drawn with ``seed = public_seed``; :func:`project_data` hands the learner the
  same data to explore) and prints the score, the goal and the time it took.
* The grader draws a **hidden split** from the per-student seed derived from the instructor's
  secret, sends only the case's ``args`` to the sandbox (the held-out answers stay in the
  grader, in :attr:`ProjectCase.answer`), and scores what comes back in its own process.
* The **written part** (``written_points``) appears in the course gradebook as a column
  ``"<id> written"``, filled from ``OUT/manual.csv`` by the instructor
  (:mod:`genolearn.grading.manual`).

Projects are registered like exercises (so the grader, the release and the gradebook treat them
alike) but :func:`~genolearn.exercises.all_exercises` leaves them out unless asked
(``projects=True``): they have no reference to mutate and no catalogue of mistakes.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genolearn._validation import check_array
from genolearn.exercises.feedback import ERROR, FAILED, NOT_IMPLEMENTED, PASSED, Outcome, Report
from genolearn.exercises.registry import Case, Exercise, all_exercises, get_exercise

__all__ = [
    "Measure",
    "Project",
    "ProjectCase",
    "ProjectReport",
    "all_projects",
    "auroc_measure",
    "check_project",
    "heldout_cases",
    "project_data",
]


@dataclass(frozen=True)
class ProjectCase(Case):
    """A project's task: ``args``/``kwargs`` go to the learner's function (in the sandbox when
    grading); ``answer`` (e.g. the held-out labels) stays with whoever measures."""

    answer: Any = None


@dataclass(frozen=True)
class Measure:
    """What a project's measurement says: the headline ``value`` (e.g. an AUPRC), a sentence
    ``text`` with everything measured ("accuracy 0.973 with 13 non-zero parameters"), and
    whether the goal is reached."""

    value: float
    text: str
    passed: bool


def auroc_measure(goal: float) -> Callable[[Any, np.ndarray], Measure]:
    """The ``measure`` of a project scored by held-out AUROC: the learner's ``scores``
    ``(N_test,)`` (finite numbers, higher = more likely positive) against the held-out
    ``labels`` ``(N_test,)``; passed when the AUROC reaches ``goal``."""
    from genolearn.nn.metrics import roc_auc

    def measure(scores: Any, labels: np.ndarray) -> Measure:
        s = check_array(scores, "scores", shape=(len(labels),), dtype_kind="biuf", finite=True)
        auroc = float(roc_auc(labels, s.astype(np.float64)))
        return Measure(auroc, f"held-out AUROC {auroc:.3f}", auroc >= goal)

    return measure


def heldout_cases(
    train_seqs: list[str], train_y: np.ndarray, test_seqs: list[str], answer: Any, rng, label: str
) -> list[ProjectCase]:
    """The one case of a train-then-score project: the learner's function receives
    ``(train_seqs, train_y, test_seqs, seed=s)`` with ``s`` drawn from ``rng`` after the data;
    ``answer`` (the held-out labels ``(N_test,)``, or whatever ``measure`` needs) stays with
    the grader."""
    seed = int(rng.integers(0, 2**31))
    return [
        ProjectCase(
            args=(train_seqs, train_y, test_seqs), kwargs={"seed": seed}, answer=answer, label=label
        )
    ]


@dataclass(frozen=True)
class Project(Exercise):
    """An open-ended project (see the module docstring).

    Attributes (besides :class:`~genolearn.exercises.Exercise`'s; ``points`` are the
    measurable part's, ``reference`` is an example solution that reaches the goal, and
    ``make_cases(rng)`` returns one :class:`ProjectCase`):
        goal: the measurable goal in words, "AUPRC >= 0.70 on held-out families".
        measure: ``(output, answer) -> Measure``; raises ``ValueError``/``TypeError`` with a
            clear message when the output is malformed (it is untrusted: it comes from the
            sandbox).
        written_points: the written part's points (marked by hand; 0 for none).
        written: what the written part asks, in one paragraph.
        public_seed: the seed of the public split :func:`check_project` uses.
        time_limit_s: what the function may take on the grader (the grader's per-exercise
            limit, ``--call-timeout``, must be at least this).
    """

    goal: str = ""
    measure: Callable[[Any, Any], Measure] | None = None
    written_points: float = 0.0
    written: str = ""
    public_seed: int = 0
    time_limit_s: float = 10.0
    is_project: bool = field(default=True, init=False)

    @property
    def written_column(self) -> str:
        """The written part's column in the course gradebook and ``manual.csv``."""
        return f"{self.id} written"

    def answers(self, cases: list[Case]) -> list[Any]:
        """What :func:`~genolearn.exercises.expected_outputs` returns for a project: the
        held-out answers (the reference is never run)."""
        return [getattr(c, "answer", None) for c in cases]

    def judge(self, cases: list[Case], outcomes: list[Outcome], answers: list[Any]) -> Report:
        """The :class:`Report` of a project: measured, not compared (see :func:`evaluate`)."""
        report = ProjectReport(self.id, self.title, PASSED, len(cases), 0, 0.0, self.points)
        report.goal = self.goal
        for case, out, answer in zip(cases, outcomes, answers, strict=True):
            report.case_label = case.label
            report.expected = self.goal
            if out.raised and out.error_type == "NotImplementedError":
                report.status = NOT_IMPLEMENTED
                return report
            if out.raised:
                report.status, report.case_index = ERROR, 0
                where = f" ({out.where})" if out.where else ""
                report.problem = f"{out.error_type}: {out.error}{where}"
                return report
            try:
                measured = self.measure(out.value, answer)
            except (TypeError, ValueError) as exc:
                report.status, report.case_index = FAILED, 0
                report.problem = (
                    f"your function returned something the goal cannot be measured on: {exc}"
                )
                return report
            report.measure = measured
            report.got = measured.text
            if not measured.passed:
                report.status, report.case_index = FAILED, 0
                report.problem = f"{measured.text}: the goal is {self.goal}"
                return report
            report.n_passed += 1
        report.points = float(self.points)
        report.note = f"measured: {report.got}; goal: {self.goal}"
        if self.written_points:
            report.note += f"; the written part ({self.written_points:g} points) is marked by hand"
        return report


@dataclass(repr=False)  # Report's __repr__ prints text(), as a notebook shows it
class ProjectReport(Report):
    """A project's :class:`Report`, printed as a score against the goal."""

    goal: str = ""
    measure: Measure | None = None
    seconds: float | None = None
    time_limit_s: float | None = None
    split: str = "hidden"

    def text(self) -> str:
        head = f"{self.exercise_id} — {self.title}"
        if self.status == NOT_IMPLEMENTED:
            return (
                f"… {head}: not implemented yet. Replace the `raise NotImplementedError(...)` "
                "line with your code, run the cell, then run this check again."
            )
        timing = ""
        if self.seconds is not None:
            timing = f"\n  time:     {self.seconds:.1f} s"
            if self.time_limit_s is not None and self.seconds > self.time_limit_s:
                timing += (
                    f" — over the grader's limit of {self.time_limit_s:g} s: make it faster, "
                    "or the grader stops it"
                )
        where = f"on the {self.split} split"
        if self.status == PASSED:
            return f"✔ {head}: {self.got} {where}; goal reached ({self.goal}).{timing}"
        if self.status == ERROR:
            problem = f"\n  error:    {self.problem}"
            return f"✘ {head}: your function raised an exception {where}.{problem}{timing}"
        return f"✘ {head}: goal not reached {where}.\n  problem:  {self.problem}{timing}"


def all_projects(chapter: int | None = None) -> list[Project]:
    """Every registered project (of one chapter if given)."""
    return [e for e in all_exercises(chapter, projects=True) if isinstance(e, Project)]


def _project(project_id: str) -> Project:
    found = get_exercise(project_id)
    if not isinstance(found, Project):
        raise ValueError(
            f"project_id must name a project such as 'ch4.project', but {project_id!r} is an "
            f"exercise: use check({project_id!r}, {found.function})"
        )
    return found


def project_data(project_id: str) -> ProjectCase:
    """The public split of a project, to explore: ``.args`` (and ``.kwargs``) are exactly what
    :func:`check_project` passes to your function, ``.answer`` the held-out answers it is
    measured against. The grader uses another split, drawn for you, with the same shapes."""
    project = _project(project_id)
    return project.make_cases(np.random.default_rng(project.public_seed))[0]


def check_project(project_id: str, fn: Callable) -> ProjectReport:
    """Run ``fn`` on the project's public split and measure it against the goal.

    Prints nothing itself: the returned :class:`ProjectReport` displays itself in a notebook
    (the score, the goal, and the seconds it took against the grader's time limit).
    """
    project = _project(project_id)
    if not callable(fn):
        raise TypeError(
            f"fn must be your function {project.function!r} (a callable), but got "
            f"{type(fn).__name__}; call check_project({project_id!r}, {project.function})"
        )
    case = project_data(project_id)
    start = time.perf_counter()
    try:
        outcome = Outcome(value=fn(*case.args, **dict(case.kwargs)))
    except Exception as exc:  # the learner's bug is feedback, not a crashed notebook
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"line {frames[-1].lineno}: {frames[-1].line}" if len(frames) > 1 else ""
        outcome = Outcome(raised=True, error_type=type(exc).__name__, error=str(exc), where=where)
    seconds = time.perf_counter() - start
    report = project.judge([case], [outcome], [case.answer])
    report.split, report.seconds, report.time_limit_s = "public", seconds, project.time_limit_s
    return report
