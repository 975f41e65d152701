"""Use the learner's own function where a chapter builds on an earlier exercise.

``my_dense_backward = mine("ch3.dense_backward", dense_backward)`` returns the learner's
``dense_backward`` when it passes its check, and genolearn's reference otherwise, printing one
line that says which and why. A later cell can then train a network with the learner's code
when it is right, and still run (on the reference) when it is not finished yet — in the
student notebook, whose exercises start as ``raise NotImplementedError`` stubs, the line says
so.
"""

from __future__ import annotations

import types
from collections.abc import Callable

from genolearn.exercises.check import check
from genolearn.exercises.feedback import ERROR, NOT_IMPLEMENTED, Report
from genolearn.exercises.registry import get_exercise

__all__ = ["mine"]


def _why(report: Report) -> str:
    if report.status == NOT_IMPLEMENTED:
        return "is not implemented yet"
    case = f"test case {(report.case_index or 0) + 1} of {report.n_cases}"
    if report.status == ERROR:
        return f"raises an exception on {case} ({report.problem})"
    return f"fails {case} ({report.problem})"


def _reference_name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def mine(exercise_id: str, fn: Callable, *, quiet: bool = False) -> Callable:
    """The learner's ``fn`` for ``exercise_id`` if it passes its check, else the reference.

    Prints one line (unless ``quiet``): ``✔`` and "using yours", or why the reference is used
    instead — not implemented, the first failing case, or a function of another exercise it
    calls (``depends``) that fails its own check (the check ran with the reference in its
    place, but the learner's code will call the learner's).

    Raises:
        TypeError: ``fn`` is not callable.
        KeyError: no such exercise.
    """
    exercise = get_exercise(exercise_id)
    if not callable(fn):
        raise TypeError(
            f"fn must be your function {exercise.function!r} (a callable), but got "
            f"{type(fn).__name__}; call mine({exercise_id!r}, {exercise.function})"
        )
    reference = exercise.reference
    report = check(exercise_id, fn)
    problem = "" if report.passed else f"your {exercise.function} {_why(report)}"
    globs = getattr(fn, "__globals__", None) if isinstance(fn, types.FunctionType) else None
    for dep_id in exercise.depends if not problem else ():
        dep = get_exercise(dep_id)
        theirs = globs.get(dep.function) if isinstance(globs, dict) else None
        if callable(theirs) and theirs is not dep.reference:
            dep_report = check(dep_id, theirs)
            if not dep_report.passed:
                problem = f"it calls your {dep.function}, which {_why(dep_report)}"
                break
    if not quiet:
        if problem:
            print(f"✘ {exercise_id}: {problem}; using genolearn's {_reference_name(reference)}.")
        else:
            print(f"✔ {exercise_id}: your {exercise.function} passes its check; using yours.")
    return reference if problem else fn
