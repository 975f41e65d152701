"""Exercise contracts as data: what an exercise's function accepts, and cases drawn from it.

A :class:`Contract` lists the arguments (:class:`Array`, :class:`Number`, :class:`Seed`,
:class:`Choice`), the ranges of the shape symbols (``N``, ``D``, ``L`` ... with bounds that may
name an earlier symbol, e.g. ``"K": (1, "L")``), the float precisions the problem may be posed
in, and the tolerances the *expected* result's precision justifies. :meth:`Contract.draw`
returns random :class:`~genolearn.exercises.registry.Case` objects from the whole contract —
every precision, every optional argument present or absent, a seed given as an ``int`` or a
``numpy.random.Generator`` — from the ``rng`` it is given (the grader's per-student one).

Element samplers (:func:`normal`, :func:`wide`, :func:`uniform`, :func:`integers`,
:func:`labels`, :func:`one_hot`, :func:`offset_rows`) take ``(rng, shape, dims)`` and return
float64 (or integer) arrays; the case's precision is applied afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genolearn.exercises.registry import Case

__all__ = [
    "OMIT",
    "Array",
    "Choice",
    "Contract",
    "Custom",
    "Number",
    "Seed",
    "case_itemsize",
    "integers",
    "labels",
    "largest",
    "normal",
    "offset_rows",
    "one_hot",
    "uniform",
    "wide",
]

Sampler = Callable[[np.random.Generator, tuple[int, ...], Mapping[str, int]], np.ndarray]


def normal(scale: float = 1.0) -> Sampler:
    """Normal(0, scale²) entries."""
    return lambda rng, shape, dims: rng.normal(scale=scale, size=shape)


def uniform(low: float, high: float) -> Sampler:
    """Uniform entries in ``[low, high)``."""
    return lambda rng, shape, dims: rng.uniform(low, high, size=shape)


def wide(large: float, small: float = 1e-3, zeros: float = 0.05) -> Sampler:
    """Entries whose magnitudes spread log-uniformly over ``[small, large]``, random signs, and
    a share ``zeros`` of exact zeros: both the extremes where naive numerics overflow and the
    tiny values where floors and relative errors matter."""

    def draw(rng, shape, dims):
        mag = 10.0 ** rng.uniform(np.log10(small), np.log10(large), size=shape)
        out = np.where(rng.random(shape) < 0.5, -mag, mag)
        return np.where(rng.random(shape) < zeros, 0.0, out)

    return draw


def integers(low: int, high: int) -> Sampler:
    """Integers in ``[low, high)`` (as int64)."""
    return lambda rng, shape, dims: rng.integers(low, high, size=shape)


def labels(classes: str) -> Sampler:
    """Class labels in ``0 .. dims[classes] - 1`` (int64)."""
    return lambda rng, shape, dims: rng.integers(0, dims[classes], size=shape)


def one_hot(axis: int) -> Sampler:
    """One-hot DNA with the 4 channels along ``axis`` (every column has exactly one 1)."""

    def draw(rng, shape, dims):
        rest = shape[:axis] + shape[axis + 1 :] if axis != -1 else shape[:-1]
        codes = rng.integers(0, 4, size=rest)
        return np.moveaxis(np.eye(4)[codes], -1, axis)

    return draw


def offset_rows(spread: float, scale: float = 3.0) -> Sampler:
    """Rows of logits around row offsets spread over ``[-spread, spread]``: the row maxima and
    the global maximum differ by up to ``2 * spread`` (subtracting the global maximum, not each
    row's, underflows whole rows)."""

    def draw(rng, shape, dims):
        offsets = rng.uniform(-spread, spread, size=(*shape[:-1], 1))
        return offsets + rng.normal(scale=scale, size=shape)

    return draw


@dataclass(frozen=True)
class Array:
    """An array argument of ``shape`` (ints, symbols, or multiples like ``"4H"``). ``kind``:
    ``"float"`` follows the case's precision, ``"float64"`` stays float64, ``"int"`` and
    ``"bool"`` as named."""

    shape: tuple[str | int, ...]
    draw: Sampler = field(default_factory=normal)
    kind: str = "float"


@dataclass(frozen=True)
class Number:
    """A Python number in ``[low, high]`` (log-uniform if ``log``; an ``int`` if ``integer``,
    or a symbol of the shape table if ``dim`` is set)."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False
    integer: bool = False
    dim: str = ""


@dataclass(frozen=True)
class Seed:
    """A seed: an ``int`` or a ``numpy.random.Generator`` (both must be accepted)."""


@dataclass(frozen=True)
class Custom:
    """A value built by ``draw(rng, dims, dtype)`` (a list of layer widths, an even ``d``)."""

    draw: Callable[[np.random.Generator, Mapping[str, int], type], Any]


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (specs or plain values), drawn uniformly."""

    options: tuple[Any, ...]


OMIT = object()  # a Choice option: leave the (optional, keyword) argument out


@dataclass(frozen=True)
class Contract:
    """What an exercise's function accepts and how exactly its answer must match.

    Attributes:
        args: ``(name, spec)`` pairs in call order; names in ``keywords`` are passed by
            keyword (optional arguments, which a :class:`Choice` with :data:`OMIT` may leave
            out).
        dims: shape symbols and their inclusive ranges, drawn in order.
        precisions: float dtypes the problem may be posed in (the inputs' dtype).
        rtol, atol: tolerances for a float64 problem; ``rtol32``, ``atol32`` for float32.
        fix: ``(args, rng, dims) -> args`` enforcing constraints between arguments.
        scale: ``case -> float``, the magnitude of the inputs that the answer's absolute
            error grows with (e.g. the largest |logit|: a softmax's probabilities near 1 are
            only known to a few ulps of it); ``atol`` grows by ``16 eps scale``.
    """

    args: tuple[tuple[str, Any], ...]
    dims: Mapping[str, tuple[int | str, int | str]] = field(default_factory=dict)
    precisions: tuple[type, ...] = (np.float64, np.float32)
    keywords: tuple[str, ...] = ()
    rtol: float = 1e-9
    atol: float = 1e-12
    rtol32: float = 2e-5
    atol32: float = 1e-6
    fix: Callable[[dict, np.random.Generator, dict], dict] | None = None
    scale: Callable[[Case], float] | None = None

    def tolerance(self, itemsize: int, case: Case | None = None) -> tuple[float, float]:
        """``(rtol, atol)`` for ``case``, a problem posed in floats of ``itemsize`` bytes."""
        rtol, atol = (self.rtol, self.atol) if itemsize >= 8 else (self.rtol32, self.atol32)
        if self.scale is not None and case is not None:
            eps = float(np.finfo(np.float64 if itemsize >= 8 else np.float32).eps)
            atol += 16 * eps * float(self.scale(case))
        return rtol, atol

    def _dims(self, rng: np.random.Generator) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, (lo, hi) in self.dims.items():
            lo = out[lo] if isinstance(lo, str) else lo
            hi = out[hi] if isinstance(hi, str) else hi
            out[name] = int(rng.integers(lo, hi + 1))
        return out

    def _value(self, spec, rng, dims, dtype):
        if isinstance(spec, Choice):
            pick = spec.options[int(rng.integers(len(spec.options)))]
            return self._value(pick, rng, dims, dtype)
        if isinstance(spec, Custom):
            return spec.draw(rng, dims, dtype)
        if isinstance(spec, Array):
            shape = tuple(_size(s, dims) for s in spec.shape)
            raw = np.asarray(spec.draw(rng, shape, dims))
            kind = {"float": dtype, "float64": np.float64, "int": np.int64, "bool": np.bool_}
            return raw.astype(kind[spec.kind])
        if isinstance(spec, Number):
            if spec.dim:
                return dims[spec.dim]
            if spec.integer:
                return int(rng.integers(int(spec.low), int(spec.high) + 1))
            if spec.log:
                return float(10 ** rng.uniform(np.log10(spec.low), np.log10(spec.high)))
            return float(rng.uniform(spec.low, spec.high))
        if isinstance(spec, Seed):
            seed = int(rng.integers(0, 2**31))
            return np.random.default_rng(seed) if rng.random() < 0.5 else seed
        return spec  # a plain value (None, OMIT, a constant)

    def draw(self, rng: np.random.Generator, n: int, label: str = "random") -> list[Case]:
        """``n`` random cases from the whole contract, drawn from ``rng``."""
        cases = []
        for i in range(n):
            dtype = self.precisions[i % len(self.precisions)]
            dims = self._dims(rng)
            values = {name: self._value(spec, rng, dims, dtype) for name, spec in self.args}
            if self.fix is not None:
                values = self.fix(values, rng, dims)
            args = tuple(v for k, v in values.items() if k not in self.keywords)
            kwargs = {k: v for k, v in values.items() if k in self.keywords and v is not OMIT}
            what = [f"{k} = {v}" for k, v in dims.items()] + [np.dtype(dtype).name]
            what += [f"{k} omitted" for k in self.keywords if values.get(k) is OMIT]
            what += [
                f"{k} as a Generator"
                for k, v in values.items()
                if isinstance(v, np.random.Generator)
            ]
            cases.append(Case(args, kwargs, label=f"{label}: {', '.join(what)}"))
        return cases


def _size(symbol: str | int, dims: Mapping[str, int]) -> int:
    """An axis length: an int, a symbol (``"H"``) or a multiple of one (``"4H"``)."""
    if isinstance(symbol, int):
        return symbol
    digits = len(symbol) - len(symbol.lstrip("0123456789"))
    return int(symbol[:digits] or 1) * dims[symbol[digits:]]


def largest(index: int) -> Callable[[Case], float]:
    """A :attr:`Contract.scale`: the largest magnitude in argument ``index``."""

    def scale(case: Case) -> float:
        a = np.asarray(case.args[index], dtype=np.float64)
        return float(np.abs(a).max()) if a.size else 0.0

    return scale


def case_itemsize(case: Case) -> int:
    """The precision a case is posed in: the smallest float itemsize among its array
    arguments (8 when it has none)."""
    sizes = [8]
    stack = [*case.args, *case.kwargs.values()]
    while stack:
        a = stack.pop()
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            sizes.append(a.dtype.itemsize)
        elif isinstance(a, (tuple, list)):
            stack.extend(a)
    return min(sizes)
