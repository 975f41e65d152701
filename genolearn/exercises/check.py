"""The learner's instant check: ``check("ch1.sigmoid", sigmoid)``.

The same :func:`evaluate` turns outcomes into a :class:`~genolearn.exercises.feedback.Report`
whether the learner's function ran here (:func:`run_case`) or in the grader's sandbox. Both
run the learner's function with the *reference* versions of the functions it may call from
other exercises (:func:`substituted`), so a mistake costs points once.
"""

from __future__ import annotations

import contextlib
import copy
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from genolearn._validation import as_rng
from genolearn.exercises.compare import compare, summarize
from genolearn.exercises.contract import case_itemsize
from genolearn.exercises.diagnose import diagnose
from genolearn.exercises.feedback import ERROR, FAILED, NOT_IMPLEMENTED, PASSED, Outcome, Report
from genolearn.exercises.registry import Case, Exercise, get_exercise

__all__ = [
    "check",
    "run_case",
    "evaluate",
    "expected_outputs",
    "describe_inputs",
    "dependencies",
    "substituted",
]


def describe_inputs(case: Case) -> str:
    parts = [summarize(a, 120) for a in case.args]
    parts += [f"{k}={summarize(v, 120)}" for k, v in case.kwargs.items()]
    return ", ".join(parts)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.random.Generator) or isinstance(b, np.random.Generator):
        return True  # drawing from a Generator the caller passed is its purpose
    return type(a) is type(b) and (a == b or (a != a and b != b))


def dependencies(exercise: Exercise) -> dict[str, Callable]:
    """``{function name: reference}`` of the exercises ``exercise`` may call."""
    deps = [get_exercise(i) for i in exercise.depends]
    return {d.function: d.reference for d in deps}


@contextlib.contextmanager
def substituted(fn: Callable, replacements: dict[str, Callable]) -> Iterator[list[str]]:
    """Put ``replacements`` into ``fn``'s globals for the duration (restoring them after);
    yields the names replaced. A function without Python globals is left alone."""
    globs = getattr(fn, "__globals__", None) if isinstance(fn, types.FunctionType) else None
    if type(globs) is not dict or not replacements:
        yield []
        return
    missing = object()
    saved = {name: globs.get(name, missing) for name in replacements}
    globs.update(replacements)
    try:
        yield list(replacements)
    finally:
        for name, old in saved.items():
            if old is missing:
                globs.pop(name, None)
            else:
                globs[name] = old


def _call(fn: Callable, case: Case) -> Any:
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def run_case(fn: Callable, case: Case) -> Outcome:
    """Call the learner's ``fn`` on a deep copy of ``case``'s inputs and record what happened.

    Exceptions become an :class:`Outcome` (never propagate), except ``KeyboardInterrupt``.
    """
    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(dict(case.kwargs))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn(*args, **kwargs)
    except Exception as exc:  # the learner's bug is feedback, not a crashed notebook
        frames = traceback.extract_tb(exc.__traceback__)
        where = ""
        if len(frames) > 1:
            f = frames[-1]
            where = f"line {f.lineno}: {f.line}" if f.line else f"line {f.lineno}"
        return Outcome(raised=True, error_type=type(exc).__name__, error=str(exc), where=where)
    out = Outcome(value=value)
    out.warnings = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, RuntimeWarning)
    ]
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    originals = list(case.args) + list(case.kwargs.values())
    for name, before, after in zip(
        names, originals, list(args) + list(kwargs.values()), strict=True
    ):
        if not _same_value(before, after):
            out.mutated.append(name)
    return out


def expected_outputs(exercise: Exercise, cases: Sequence[Case]) -> list[Any]:
    """Run the reference implementation on every case (in this process: it is trusted).
    A project (:mod:`genolearn.exercises.project`) is measured, not compared: its held-out
    answers are returned instead."""
    if getattr(exercise, "is_project", False):
        return exercise.answers(list(cases))
    return [_call(exercise.reference, c) for c in cases]


def _note(exercise: Exercise) -> str:
    if not exercise.depends:
        return ""
    names = ", ".join(f"{get_exercise(i).function} ({i})" for i in exercise.depends)
    return (
        f"checked with the reference {names} in place of yours, so a mistake there costs "
        "points only in its own exercise."
    )


def _part_name(exercise: Exercise, path: str) -> str:
    if not path:
        return ""
    first, _, rest = path[1:].partition("]")
    if exercise.parts and first.isdigit() and int(first) < len(exercise.parts):
        return exercise.parts[int(first)] + (rest if rest else "")
    return f"part {path}"


def evaluate(
    exercise: Exercise,
    cases: Sequence[Case],
    outcomes: Sequence[Outcome],
    expected: Sequence[Any] | None = None,
) -> Report:
    """Turn the learner's outcomes on ``cases`` into a :class:`Report`.

    Explains the first failing case (that is the one worth explaining) but counts how many
    passed overall.
    """
    if len(cases) != len(outcomes):
        raise ValueError(f"got {len(outcomes)} outcomes for {len(cases)} cases")
    expected = expected_outputs(exercise, cases) if expected is None else list(expected)
    if getattr(exercise, "is_project", False):  # measured against its goal, not compared
        return exercise.judge(list(cases), list(outcomes), expected)
    note = _note(exercise)
    report = Report(
        exercise.id, exercise.title, PASSED, len(cases), 0, exercise.points, exercise.points
    )
    report.note = note
    first: tuple | None = None
    for i, (case, exp, out) in enumerate(zip(cases, expected, outcomes, strict=True)):
        if out.raised and out.error_type == "NotImplementedError":
            return Report(
                exercise.id, exercise.title, NOT_IMPLEMENTED, len(cases), 0, 0.0, exercise.points
            )
        failure = _case_failure(exercise, case, exp, out)
        if failure is None:
            report.n_passed += 1
        elif first is None:
            first = (i, case, exp, out, failure)
    if first is None:
        return report
    i, case, exp, out, (status, problem, mismatch) = first
    hint, diagnosis = "", ""
    if isinstance(problem, tuple):  # mutated input or numerical warning: fixed hints
        problem, hint, diagnosis = problem
    elif mismatch is not None:
        diagnosis, hint = diagnose(exercise, cases, outcomes, i, mismatch, exp)
        part = _part_name(exercise, mismatch.path)
        if part:
            problem = f"{part} differs: {problem}"
    report.status = status
    report.points = 0.0
    report.case_index, report.case_label = i, case.label
    report.inputs = describe_inputs(case)
    report.expected = summarize(exp)
    report.got = "" if out.raised else summarize(out.value)
    report.problem, report.hint, report.diagnosis = problem, hint, diagnosis
    return report


def _case_failure(exercise: Exercise, case: Case, exp: Any, out: Outcome):
    if out.raised:
        where = f" ({out.where})" if out.where else ""
        return ERROR, f"{out.error_type}: {out.error}{where}", None
    if out.mutated:
        problem = (
            f"your function changed its input in place ({', '.join(out.mutated)})",
            "work on a copy (x = x.copy()) or build a new array; callers do not expect their "
            "data to change.",
            "mutated input",
        )
        return FAILED, problem, None
    itemsize = case_itemsize(case)
    rtol, atol = exercise.tolerance(itemsize, case)
    mismatch = compare(exp, out.value, rtol=rtol, atol=atol, itemsize=itemsize)
    if mismatch is None and exercise.warnings_fail and out.warnings:
        problem = (
            f"correct values, but numpy warned: {out.warnings[0]}",
            "this exercise asks for code that never warns: rearrange the formula so that exp "
            "only sees numbers <= 0.",
            "numerical warning",
        )
        return FAILED, problem, None
    if mismatch is None:
        return None
    return FAILED, mismatch.message, mismatch


def check(exercise_id: str, fn: Callable, *, seed: int | np.random.Generator = 0) -> Report:
    """Check the learner's ``fn`` for exercise ``exercise_id`` and explain the first failure.

    Runs ``fn`` on the exercise's fixed edge cases and on random cases drawn from its contract
    with ``seed``, with the reference versions of the functions it may call from other
    exercises in place, and compares with the reference implementation (type, shape, dtype,
    finiteness, values); when the answer matches exactly one catalogued mistake, names it.
    Exceptions inside ``fn`` become feedback. The returned :class:`Report` displays itself in
    a notebook.
    """
    exercise = get_exercise(exercise_id)
    if not callable(fn):
        raise TypeError(
            f"fn must be your function {exercise.function!r} (a callable), but got "
            f"{summarize(fn)}; call check({exercise_id!r}, {exercise.function})"
        )
    cases = exercise.make_cases(as_rng(seed))
    with substituted(fn, dependencies(exercise)):
        outcomes = [run_case(fn, c) for c in cases]
    return evaluate(exercise, cases, outcomes)
