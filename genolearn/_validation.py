"""The one place where public functions validate their arguments.

Every message names the argument, says what was received and what was expected, e.g.
``x has shape (32, 5, 100) but must be (N, 4, L)``. These raise ``TypeError`` or
``ValueError`` — never ``assert``, which vanishes under ``python -O``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_rng",
    "check_array",
    "check_choice",
    "check_number",
    "check_int",
    "describe",
]

_DTYPE_KINDS = {
    "f": "floating-point",
    "i": "integer",
    "u": "unsigned integer",
    "b": "boolean",
    "fi": "integer or floating-point",
    "fiu": "numeric",
    "fiub": "numeric or boolean",
}


def describe(value: Any) -> str:
    """A short human description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (str, bytes)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "...'"
    if isinstance(value, (bool, numbers.Number, type(None))):
        return repr(value)
    return f"object of type {type(value).__name__}"


def _shape_text(shape: Sequence[int | str | None]) -> str:
    parts = ["?" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")


def check_array(
    value: Any,
    name: str,
    *,
    shape: Sequence[int | str | None] | None = None,
    ndim: int | Sequence[int] | None = None,
    dtype_kind: str | None = "fiu",
    finite: bool = False,
    sizes: dict[str, int] | None = None,
) -> np.ndarray:
    """Validate an array argument and return it as an ``np.ndarray`` (no copy when possible).

    Args:
        value: what the caller passed. Lists and scalars are converted with ``np.asarray``.
        name: the argument's name, used in the message.
        shape: expected shape; each entry an int (fixed), a symbol such as ``"N"`` (any size,
            but the same symbol must have the same size everywhere, including in ``sizes``) or
            ``None`` (any size).
        ndim: allowed number of dimensions when ``shape`` is not given.
        dtype_kind: allowed numpy dtype kinds (``"f"`` float, ``"i"`` int, ``"u"`` unsigned,
            ``"b"`` bool); ``None`` accepts any.
        finite: if True, NaN or infinity is an error.
        sizes: symbol sizes already bound by other arguments; updated in place.

    Raises:
        TypeError: ``value`` is not array-like or has the wrong dtype kind.
        ValueError: wrong number of dimensions, wrong shape, or non-finite values.
    """
    if isinstance(value, (str, bytes, dict, set)) or value is None:
        raise TypeError(f"{name} must be an array, but got {describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists, objects numpy cannot convert
        raise TypeError(f"{name} must be an array, but got {describe(value)} ({exc})") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, but got {describe(value)} of objects")
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        wanted = _DTYPE_KINDS.get(dtype_kind, f"dtype kind in {dtype_kind!r}")
        raise TypeError(f"{name} has dtype {arr.dtype} but must be {wanted}")
    if shape is not None:
        if arr.ndim != len(shape):
            raise ValueError(
                f"{name} has shape {arr.shape} ({arr.ndim}-D) but must be {_shape_text(shape)}"
            )
        bound = sizes if sizes is not None else {}
        for axis, (got, want) in enumerate(zip(arr.shape, shape, strict=True)):
            if want is None:
                continue
            if isinstance(want, str):
                if want in bound and bound[want] != got:
                    raise ValueError(
                        f"{name} has shape {arr.shape} but must be {_shape_text(shape)} "
                        f"with {want} = {bound[want]} (axis {axis} has {got})"
                    )
                bound[want] = got
            elif got != want:
                raise ValueError(f"{name} has shape {arr.shape} but must be {_shape_text(shape)}")
    elif ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            wanted = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} has shape {arr.shape} ({arr.ndim}-D) but must be {wanted}")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} must be finite, but contains {arr[tuple(bad)]} at index {where}")
    return arr


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Validate a real scalar (optionally within bounds) and return it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"{name} must be a real number, but got {describe(value)}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, but got {out}")
    if low is not None and (out < low or (out == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, but got {out}")
    if high is not None and (out > high or (out == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, but got {out}")
    return out


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer (bool is rejected) within optional inclusive bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, but got {describe(value)}")
    out = int(value)
    if low is not None and out < low:
        raise ValueError(f"{name} must be >= {low}, but got {out}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, but got {out}")
    return out


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Validate that ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, but got {describe(value)}")
    return value


def as_rng(seed: int | np.random.Generator | None, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` (an int >= 0 or a ``numpy.random.Generator``) into a Generator.

    ``None`` is rejected on purpose: every random function in genolearn is reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(
            f"{name} must be an int >= 0 or a numpy.random.Generator, but got {describe(seed)}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be an int >= 0, but got {seed}")
    return np.random.default_rng(int(seed))
