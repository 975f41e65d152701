"""Numbers the book's prose quotes, stated with the tolerance their measured spread justifies.

A chapter that writes "the MLP reaches 0.978 on samples it has never seen" computes that number
in a cell. The digits such a cell prints are not compared as text by the tests (the last digit of
a trained number depends on the CPU's BLAS kernel and thread count; ``tests/nbval_sanitize.cfg``
masks printed decimals), so each quoted number is stated in a hidden cell instead::

    quote("ch2.xor_mlp_test_accuracy", test_accuracy, 0.978, atol=0.02)

which raises :class:`QuotedNumberError` when the value leaves ``expected ± (atol + rtol *
|expected|)``: the prose is then wrong on this machine and must be rewritten. Exact values
(counts, shapes, a closed-form result) are quoted with ``atol=0``.

The tolerances are not guessed: ``benchmarks/quoted_spread.py`` executes every chapter under
several OpenBLAS kernels, thread counts, torch kernel levels and seeds, with the environment
variable ``GENOLEARN_QUOTE_LOG`` naming a file to which every :func:`quote` call appends one JSON
line (name, value, expected, tolerance), and prints each number's spread next to its tolerance.
The rule the chapters follow:

1. a closed form or exact arithmetic (no spread across kernels and threads): half a unit of the
   last quoted digit, or 0 for a count;
2. a trained or fitted number with no spread across kernels and threads: the rounding of the
   quoted digits, widened to the metric's resolution where that is coarser (one test example
   for an accuracy), since another CPU may still move it by that much;
3. a trained number that moves across kernels or threads (chaotic training): the prose quotes it
   no more precisely than that ("about 0.04"), and the tolerance covers the whole range measured
   over kernels, threads and seeds.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from typing import Any

from genolearn._validation import describe

__all__ = ["QuotedNumberError", "quote"]

#: Environment variable naming the file that records every quoted value (JSON lines).
LOG_ENV = "GENOLEARN_QUOTE_LOG"


class QuotedNumberError(AssertionError):
    """A number the prose quotes is not what this run computed (beyond its tolerance)."""


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # numpy scalars are numbers.Real; 0-d arrays are not, so accept them explicitly
        if getattr(value, "shape", None) == () and hasattr(value, "item"):
            return _as_float(value.item(), name)
        raise TypeError(f"{name} must be a real number, but got {describe(value)}")
    return float(value)


def quote(
    name: str,
    value: Any,
    expected: float,
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
) -> float:
    """Check that ``value``, which the prose quotes as ``expected``, lies within tolerance.

    Args:
        name: where the prose quotes it, e.g. ``"ch2.xor_mlp_test_accuracy"``.
        value: the number this run computed (a Python or numpy real number).
        expected: the number as the prose writes it.
        atol, rtol: the allowed deviation, ``atol + rtol * |expected|`` (≥ 0); both 0 for an
            exact value. Choose them from the measured spread (see the module docstring).

    Returns:
        ``value`` as a float, so a cell can go on using it.

    Raises:
        QuotedNumberError: ``value`` is NaN or outside the tolerance.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, but got {describe(name)}")
    got = _as_float(value, "value")
    want = _as_float(expected, "expected")
    for arg, tol in (("atol", atol), ("rtol", rtol)):
        tol = _as_float(tol, arg)
        if not tol >= 0 or math.isinf(tol):
            raise ValueError(f"{arg} must be a finite number >= 0, but got {tol!r}")
    allowed = float(atol) + float(rtol) * abs(want)
    log = os.environ.get(LOG_ENV)
    if log:
        record = {"name": name, "value": got, "expected": want, "allowed": allowed}
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if math.isnan(got) or abs(got - want) > allowed:
        raise QuotedNumberError(
            f"{name}: the text quotes {want:g} (allowed deviation {allowed:g}), but this run "
            f"computed {got!r}; the prose or the tolerance must be revised"
        )
    return got
