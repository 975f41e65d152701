"""Is a corpus answer genuinely wrong (or right)? Judged against the reference on the corpus's
own witness inputs, independently of ``check``.

An answer is *wrong* on a witness when it raises, returns a different structure (type, length,
shape), gives a non-finite value where the reference's is finite (or the reverse, or another
infinity), differs by more than ``atol + rtol |expected|``, modifies an argument in place, or
warns where the exercise's text forbids warnings. It is *right* on a witness when none of that
happens. Tolerances: ``rtol = 1e-6``, ``atol = 1e-9``, loosened to float32 accuracy
(``1e-4``, ``1e-6``) when an argument is float32.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["verdict", "same_value"]


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def same_value(expected: Any, got: Any, rtol: float, atol: float) -> bool:
    """``True`` when ``got`` has ``expected``'s structure and values within tolerance."""
    if isinstance(expected, (tuple, list)):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(same_value(e, g, rtol, atol) for e, g in zip(expected, got, strict=True))
        )
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(got, np.ndarray) or got.shape != expected.shape:
            return False
    elif not (_is_number(expected) or isinstance(expected, np.ndarray)):
        return type(got) is type(expected) and bool(got == expected)
    elif not (_is_number(got) or (isinstance(got, np.ndarray) and got.ndim == 0)):
        return False
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if np.ndim(expected) and expected.dtype.kind == "f" and np.asarray(got).dtype.kind != "f":
        return False  # an int (or bool) array where floats are expected
    finite = np.isfinite(e)
    if not np.array_equal(finite, np.isfinite(g)):
        return False
    if not np.array_equal(e[~finite], g[~finite], equal_nan=True):
        return False
    return bool(np.all(np.abs(g[finite] - e[finite]) <= atol + rtol * np.abs(e[finite])))


def _run(fn: Callable, args: tuple) -> tuple[Any, BaseException | None, list, tuple]:
    call_args = copy.deepcopy(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = fn(*call_args), None
        except Exception as exc:  # a crash on a valid input is a wrong answer
            value, error = None, exc
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    return value, error, runtime, call_args


def _unchanged(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and np.array_equal(before, after, equal_nan=True)
        )
    if isinstance(before, np.random.Generator):
        return True  # drawing from a Generator the caller passed is the documented use
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(map(_unchanged, before, after))
    return True


def verdict(reference: Callable, fn: Callable, args: tuple, *, warning_free: bool) -> str:
    """``""`` when ``fn`` answers ``args`` as the reference does, else why it is wrong."""
    expected, ref_error, _, _ = _run(reference, args)
    if ref_error is not None:
        raise ValueError(f"witness outside the contract: the reference raised {ref_error!r}")
    value, error, runtime, after = _run(fn, args)
    if error is not None:
        return f"raised {type(error).__name__}: {error}"
    if not all(_unchanged(b, a) for b, a in zip(args, after, strict=True)):
        return "modified an argument in place"
    if warning_free and runtime:
        return f"warned: {runtime[0].message}"
    f32 = any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in args)
    rtol, atol = (1e-4, 1e-6) if f32 else (1e-6, 1e-9)
    if not same_value(expected, value, rtol, atol):
        return "value differs from the reference"
    return ""
