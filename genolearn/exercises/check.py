"""The learner's instant check: ``check("ch1.sigmoid", sigmoid)``.

The same :func:`evaluate` turns outcomes into a :class:`~genolearn.exercises.feedback.Report`
whether the learner's function ran here (:func:`run_case`) or in the grader's sandbox.
"""

from __future__ import annotations

import copy
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from genolearn._validation import as_rng
from genolearn.exercises.compare import Mismatch, compare, summarize
from genolearn.exercises.feedback import ERROR, FAILED, NOT_IMPLEMENTED, PASSED, Outcome, Report
from genolearn.exercises.registry import Case, Exercise, get_exercise

__all__ = ["check", "run_case", "evaluate", "expected_outputs", "diagnose", "describe_inputs"]


def describe_inputs(case: Case) -> str:
    parts = [summarize(a, 120) for a in case.args]
    parts += [f"{k}={summarize(v, 120)}" for k, v in case.kwargs.items()]
    return ", ".join(parts)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _call(fn: Callable, case: Case) -> tuple[Any, list[str]]:
    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(dict(case.kwargs))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    messages = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, RuntimeWarning)
    ]
    return value, messages


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
    """Run the reference implementation on every case (in this process: it is trusted)."""
    return [_call(exercise.reference, c)[0] for c in cases]


def diagnose(
    exercise: Exercise,
    cases: Sequence[Case],
    outcomes: Sequence[Outcome],
    failing: int,
    mismatch: Mismatch,
    expected: Any,
) -> tuple[str, str]:
    """Name the likely misconception: ``(mistake name, hint)``, or ``("", generic hint)``.

    A catalogued mistake is diagnosed when its mutant reproduces the learner's answer on the
    failing case. When several do (two mistakes can agree on one input), the one that also
    reproduces the learner's answers on the most other cases wins.
    """
    best, best_score = None, -1
    for mistake in exercise.mistakes:
        score = 0
        for i, (case, out) in enumerate(zip(cases, outcomes, strict=True)):
            if out.raised:
                continue
            try:
                mutant_value, _ = _call(mistake.implementation, case)
            except Exception:
                if i == failing:
                    break
                continue
            same = compare(mutant_value, out.value, rtol=exercise.rtol, atol=exercise.atol) is None
            if i == failing and not same:
                break
            score += same
        else:
            if score > best_score:
                best, best_score = mistake, score
    if best is not None:
        return best.name, best.message
    return "", _generic_hint(expected, outcomes[failing].value, mismatch)


def _generic_hint(expected: Any, got: Any, mismatch: Mismatch) -> str:
    if (
        mismatch.kind == "shape"
        and isinstance(got, np.ndarray)
        and isinstance(expected, np.ndarray)
    ):
        if got.shape == expected.shape[::-1] and got.ndim > 1:
            return "your answer looks transposed: check which axis is which."
        if got.ndim == expected.ndim + 1 and 1 in got.shape:
            return "an extra axis of length 1: did you keep dimensions (keepdims) or reshape?"
        if got.ndim + 1 == expected.ndim:
            return "an axis is missing: did you sum or average over the wrong axis?"
        return "check which axis you reduce over and the shapes in the docstring."
    if mismatch.kind == "nonfinite":
        return "NaN or infinity usually means an overflow (exp of a large number) or 0/0."
    if mismatch.kind == "value":
        e = np.asarray(expected, dtype=np.float64) if _numeric(expected) else None
        g = np.asarray(got, dtype=np.float64) if _numeric(got) else None
        if e is not None and g is not None and e.shape == g.shape and np.any(e != 0):
            if np.allclose(g, -e, rtol=1e-5, atol=1e-8):
                return "your answer has the opposite sign everywhere: check a sign."
            nz = np.abs(e) > 1e-12
            ratio = g[nz] / e[nz]
            if ratio.size and np.allclose(ratio, ratio[0], rtol=1e-5) and ratio[0] != 0:
                return (
                    f"your answer is the expected one times {ratio[0]:.4g}: "
                    "a constant factor is off."
                )
            if np.allclose(g - e, (g - e).flat[0], rtol=1e-5, atol=1e-8):
                return f"your answer is off by a constant {(g - e).flat[0]:.4g} everywhere."
    return ""


def _numeric(x: Any) -> bool:
    return (isinstance(x, np.ndarray) and x.dtype.kind in "fiu") or (
        isinstance(x, (int, float, np.number)) and not isinstance(x, bool)
    )


def evaluate(
    exercise: Exercise,
    cases: Sequence[Case],
    outcomes: Sequence[Outcome],
    expected: Sequence[Any] | None = None,
) -> Report:
    """Turn the learner's outcomes on ``cases`` into a :class:`Report`.

    Stops at the first failing case (that is the one worth explaining) but counts how many
    passed overall.
    """
    if len(cases) != len(outcomes):
        raise ValueError(f"got {len(outcomes)} outcomes for {len(cases)} cases")
    expected = expected_outputs(exercise, cases) if expected is None else list(expected)
    report = Report(
        exercise.id, exercise.title, PASSED, len(cases), 0, exercise.points, exercise.points
    )
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
    mismatch = compare(exp, out.value, rtol=exercise.rtol, atol=exercise.atol)
    if mismatch is None and exercise.warnings_fail and out.warnings:
        problem = (
            f"correct values, but numpy warned: {out.warnings[0]}",
            "a numerically stable implementation never overflows: rearrange the formula so "
            "that exp only sees numbers <= 0.",
            "numerical warning",
        )
        return FAILED, problem, None
    if mismatch is None:
        return None
    return FAILED, mismatch.message, mismatch


def check(exercise_id: str, fn: Callable, *, seed: int | np.random.Generator = 0) -> Report:
    """Check the learner's ``fn`` for exercise ``exercise_id`` and explain the first failure.

    Runs ``fn`` on the exercise's fixed edge cases and on randomized cases drawn with ``seed``,
    compares with the reference implementation (type, shape, dtype, finiteness, values) and,
    when the answer matches a catalogued mistake, names it. Exceptions inside ``fn`` become
    feedback. The returned :class:`Report` displays itself in a notebook.
    """
    exercise = get_exercise(exercise_id)
    if not callable(fn):
        raise TypeError(
            f"fn must be your function {exercise.function!r} (a callable), but got "
            f"{summarize(fn)}; call check({exercise_id!r}, {exercise.function})"
        )
    cases = exercise.make_cases(as_rng(seed))
    outcomes = [run_case(fn, c) for c in cases]
    return evaluate(exercise, cases, outcomes)
