"""Compare a learner's answer with the expected one: type, then shape, dtype, finiteness, values.

Never calls ``==`` on the learner's object (an object whose ``__eq__`` always returns True must
fail) and never broadcasts (an answer of shape ``(5, 1)`` for an expected ``(5,)`` is wrong even
though numpy would happily combine them).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Mismatch", "compare", "summarize"]


@dataclass(frozen=True)
class Mismatch:
    """Why an answer differs from the expected one.

    ``kind`` is one of ``"type"``, ``"length"``, ``"shape"``, ``"dtype"``, ``"nonfinite"``,
    ``"value"``; ``path`` locates the part of a tuple answer (``"[1]"``); ``index`` and
    ``max_error`` locate the largest error for ``"value"``.
    """

    kind: str
    message: str
    path: str = ""
    index: tuple[int, ...] | None = None
    max_error: float | None = None


def _type_name(value: Any) -> str:
    if getattr(type(value), "genolearn_stand_in", False):  # the grader's stand-in for an object
        return str(value.type_name)  # that could not travel as JSON: name the student's type
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def summarize(value: Any, max_chars: int = 160) -> str:
    """A short, safe description of a value for feedback (never calls its ``__repr__``
    unless it is a plain number, string or numpy array)."""
    if isinstance(value, np.ndarray):
        body = np.array2string(
            value, precision=4, threshold=12, edgeitems=3, max_line_width=80, separator=", "
        )
        body = " ".join(body.split())
        if len(body) > max_chars:
            body = body[: max_chars - 3] + "..."
        return f"array({body}) (shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (numbers.Number, np.number)) and type(value).__module__ in (
        "builtins",
        "numpy",
    ):
        return f"{value!r} ({_type_name(value)})"
    if isinstance(value, str) and type(value) is str:
        text = repr(value)
        return text if len(text) <= max_chars else text[: max_chars - 4] + "...'"
    if type(value) in (tuple, list):
        inner = ", ".join(summarize(v, max_chars // 2) for v in value[:4])
        more = ", ..." if len(value) > 4 else ""
        opener, closer = ("(", ")") if type(value) is tuple else ("[", "]")
        return f"{opener}{inner}{more}{closer}"
    if value is None:
        return "None"
    return f"an object of type {_type_name(value)}"


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "fiu"
    return type(value) in (int, float) or isinstance(value, (np.integer, np.floating))


def _precision_name(itemsize: int) -> str:
    return {2: "float16", 4: "float32", 8: "float64"}.get(itemsize, f"{8 * itemsize}-bit float")


def _compare_arrays(
    exp: np.ndarray, got: np.ndarray, rtol: float, atol: float, path: str, itemsize: int
):
    if got.shape != exp.shape:
        extra = ""
        if got.size == exp.size:
            extra = " (same number of elements: a reshape or transpose is off)"
        try:
            np.broadcast_shapes(got.shape, exp.shape)
            extra += " — numpy would broadcast these silently and give wrong results later"
        except ValueError:
            pass
        return Mismatch("shape", f"expected shape {exp.shape}, got shape {got.shape}{extra}", path)
    exp_kind = "f" if exp.dtype.kind == "f" else exp.dtype.kind
    if exp_kind == "f" and got.dtype.kind not in "f":
        return Mismatch(
            "dtype",
            f"expected a floating-point array (like {exp.dtype}), got dtype {got.dtype}",
            path,
        )
    if exp_kind in "iu" and got.dtype.kind not in "iu":
        return Mismatch(
            "dtype", f"expected an integer array (like {exp.dtype}), got dtype {got.dtype}", path
        )
    if exp_kind == "b" and got.dtype.kind != "b":
        return Mismatch("dtype", f"expected a boolean array, got dtype {got.dtype}", path)
    if exp_kind == "f" and got.dtype.itemsize < itemsize:
        # The precision the problem is posed in (the inputs' dtype) decides, not the answer's:
        # a float32 answer to a float64 problem has lost half its digits.
        return Mismatch(
            "dtype",
            f"expected {_precision_name(itemsize)} values (the precision of the inputs), got "
            f"dtype {got.dtype}: computing in lower precision loses accuracy",
            path,
        )
    if exp.size == 0:
        return None
    e = exp.astype(np.float64)
    g = got.astype(np.float64)
    same_special = (np.isnan(e) & np.isnan(g)) | (np.isinf(e) & (e == g))
    bad_nonfinite = ~np.isfinite(g) & ~same_special
    # An expected +-inf is matched only by the same infinity, an expected NaN only by NaN.
    bad_nonfinite |= ~np.isfinite(e) & ~same_special
    if np.any(bad_nonfinite):
        idx = tuple(int(i) for i in np.argwhere(bad_nonfinite)[0])
        return Mismatch(
            "nonfinite",
            f"got {g[idx]:.6g} at index {idx} where {e[idx]:.6g} was expected",
            path,
            index=idx,
        )
    finite = np.isfinite(e)
    err = np.where(finite, np.abs(g - np.where(finite, e, 0.0)), 0.0)
    allowed = atol + rtol * np.abs(np.where(finite, e, 0.0))
    if np.any(err > allowed):
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(err - allowed), err.shape))
        n_bad = int(np.sum(err > allowed))
        return Mismatch(
            "value",
            f"{n_bad} of {e.size} values differ; largest error {err[idx]:.3g} at index {idx} "
            f"(expected {e[idx]:.6g}, got {g[idx]:.6g})",
            path,
            index=idx,
            max_error=float(err[idx]),
        )
    return None


def compare(
    expected: Any,
    got: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    path: str = "",
    itemsize: int | None = None,
) -> Mismatch | None:
    """``None`` if ``got`` matches ``expected``, else the first :class:`Mismatch`.

    Rules: a tuple/list answer must have the same length and each part must match; an expected
    ``np.ndarray`` needs an ``np.ndarray`` of the same shape (no broadcasting), a compatible dtype
    kind (any float precision for a float array) and close values (``|got - exp| <= atol +
    rtol |exp|``, loosened for float32 answers); NaN or infinity where a finite number is
    expected is reported as such; an expected real scalar accepts Python or numpy numbers and
    0-d arrays.
    """
    where = f" in part {path}" if path else ""
    if isinstance(expected, (tuple, list)):
        if type(got) not in (tuple, list):
            return Mismatch(
                "type",
                f"expected a tuple of {len(expected)} values, got {summarize(got)}",
                path,
            )
        if len(got) != len(expected):
            return Mismatch(
                "length", f"expected {len(expected)} values, got {len(got)}{where}", path
            )
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            m = compare(e, g, rtol=rtol, atol=atol, path=f"{path}[{i}]", itemsize=itemsize)
            if m is not None:
                return m
        return None
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if type(got) is not np.ndarray:
            hint = ""
            if type(got) is list:
                hint = " (wrap it with np.array(...), or compute with numpy operations)"
            return Mismatch(
                "type",
                f"expected a numpy array{where}, got {summarize(got)}{hint}",
                path,
            )
        size = itemsize or (expected.dtype.itemsize if expected.dtype.kind == "f" else 8)
        return _compare_arrays(expected, got, rtol, atol, path, size)
    if _is_real_scalar(expected) or isinstance(expected, np.ndarray):
        if isinstance(got, np.ndarray) and got.ndim > 0:
            return Mismatch(
                "shape",
                f"expected a single number{where}, got an array of shape {got.shape}",
                path,
            )
        if not _is_real_scalar(got):
            return Mismatch("type", f"expected a number{where}, got {summarize(got)}", path)
        exp_arr = np.asarray(expected, dtype=np.float64).reshape(1)
        got_arr = np.asarray(got).reshape(1)
        if np.asarray(expected).dtype.kind in "iu" and got_arr.dtype.kind not in "iu":
            if not float(got_arr[0]).is_integer():
                return Mismatch("dtype", f"expected an integer{where}, got {got!r}", path)
            got_arr = got_arr.astype(np.int64)
        got_arr = got_arr if got_arr.dtype.kind == "f" else got_arr.astype(np.float64)
        m = _compare_arrays(exp_arr, got_arr, rtol, atol, path, itemsize or 8)
        if m is None:
            return None
        return Mismatch(m.kind, m.message.replace(" at index (0,)", ""), path, None, m.max_error)
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return Mismatch("type", f"expected True or False{where}, got {summarize(got)}", path)
        if bool(got) is not bool(expected):
            return Mismatch("value", f"expected {bool(expected)}{where}, got {bool(got)}", path)
        return None
    if isinstance(expected, str):
        if type(got) is not str:
            return Mismatch("type", f"expected a string{where}, got {summarize(got)}", path)
        if got != expected:
            return Mismatch("value", f"expected {expected!r}{where}, got {got!r}", path)
        return None
    if expected is None:
        return None if got is None else Mismatch("type", f"expected None, got {summarize(got)}")
    raise TypeError(f"compare() cannot handle an expected value of type {type(expected)}")
