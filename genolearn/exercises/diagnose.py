"""Hints only when sure: name a catalogued misconception, or say only what differs.

A mistake is named when its mutant reproduces the learner's answers on *every* case and no
other catalogued mutant does (then some case separates it from each of the others). Otherwise
the learner gets the generic feedback — input, expected, got, where — plus a structural hint
only where one is certain: a transposed or extra axis, a sign flipped everywhere, a single
constant factor (well defined: the expected values are nonzero; and not 1), a constant offset.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from genolearn.exercises.compare import Mismatch, compare
from genolearn.exercises.contract import case_itemsize
from genolearn.exercises.feedback import Outcome
from genolearn.exercises.registry import Case, Exercise

__all__ = ["diagnose", "generic_hint", "part_of"]


def _quiet_call(fn: Callable, case: Case) -> tuple[bool, Any]:
    """``(raised, value)`` of ``fn`` on a deep copy of the case, warnings silenced."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return False, fn(*args, **kwargs)
        except Exception:
            return True, None


def _reproduces(exercise: Exercise, fn: Callable, case: Case, out: Outcome) -> bool:
    raised, value = _quiet_call(fn, case)
    if out.raised or raised:
        return out.raised and raised
    itemsize = case_itemsize(case)
    rtol, atol = exercise.tolerance(itemsize, case)
    return compare(value, out.value, rtol=rtol, atol=atol, itemsize=1) is None


def diagnose(
    exercise: Exercise,
    cases: Sequence[Case],
    outcomes: Sequence[Outcome],
    failing: int,
    mismatch: Mismatch,
    expected: Any,
) -> tuple[str, str]:
    """``(mistake name, hint)`` when exactly one catalogued mutant reproduces the learner's
    answers on every case, else ``("", generic hint)``."""
    order = [failing, *(i for i in range(len(cases)) if i != failing)]
    matching = []
    for mistake in exercise.mistakes:
        if all(_reproduces(exercise, mistake.implementation, cases[i], outcomes[i]) for i in order):
            matching.append(mistake)
            if len(matching) > 1:
                break
    if len(matching) == 1:
        return matching[0].name, matching[0].message
    return "", generic_hint(expected, outcomes[failing].value, mismatch)


def part_of(value: Any, path: str) -> Any:
    """The part of a (nested) tuple answer at ``path`` (``"[1][0]"``), or None."""
    for index in re.findall(r"\[(\d+)\]", path):
        if type(value) not in (tuple, list) or int(index) >= len(value):
            return None
        value = value[int(index)]
    return value


def _numeric(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind in "fiu"


def generic_hint(expected: Any, got: Any, mismatch: Mismatch) -> str:
    """A structural hint that holds for certain, or ``""``."""
    expected, got = part_of(expected, mismatch.path), part_of(got, mismatch.path)
    if mismatch.kind == "shape" and _numeric(got) and _numeric(expected):
        if got.shape == expected.shape[::-1] and got.ndim > 1:
            return "your answer looks transposed: check which axis is which."
        if got.ndim == expected.ndim + 1 and 1 in got.shape:
            return "an extra axis of length 1: did you keep dimensions (keepdims) or reshape?"
        if got.ndim + 1 == expected.ndim:
            return "an axis is missing: did you sum or average over the wrong axis?"
        return "check which axis you reduce over and the shapes in the docstring."
    if mismatch.kind == "nonfinite":
        return "NaN or infinity usually means an overflow (exp of a large number) or 0/0."
    if mismatch.kind != "value" or not (_numeric(expected) and _numeric(got)):
        return ""
    e, g = expected.astype(np.float64), got.astype(np.float64)
    if e.shape != g.shape or e.size < 2 or not (np.all(np.isfinite(e)) and np.all(np.isfinite(g))):
        return ""  # a single number: a ratio or an offset explains nothing
    if np.any(e != 0) and np.allclose(g, -e, rtol=1e-6, atol=0.0):
        return "your answer has the opposite sign everywhere: check a sign."
    if np.all(e != 0):
        ratio = g / e
        r = float(ratio.flat[0])
        if r != 0 and np.allclose(ratio, r, rtol=1e-6, atol=0.0) and not np.isclose(r, 1.0):
            return f"your answer is the expected one times {r:.4g}: a constant factor is off."
    diff = g - e
    d = float(diff.flat[0])
    scale = 1e-9 * max(1.0, float(np.abs(e).max()))
    if abs(d) > scale and np.allclose(diff, d, rtol=1e-6, atol=scale):
        return f"your answer is off by a constant {d:.4g} everywhere."
    return ""
