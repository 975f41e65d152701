"""Checks for Chapter 6 — the receptive field of stacked convolutions and poolings (with
strides and dilations)."""

from __future__ import annotations

from math import prod

import numpy as np

from genolearn.deep.receptive import receptive_field
from genolearn.exercises.contract import Array, Contract
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["RECEPTIVE_FIELD"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _stack(rng, shape, dims):
    """(n, 3) rows (kernel 1-20, stride 1-4, dilation 1-8, most often 1)."""
    n = shape[0]
    return np.stack(
        [
            rng.integers(1, 21, size=n),
            rng.integers(1, 5, size=n),
            rng.choice([1, 1, 2, 4, 8], size=n),
        ],
        axis=1,
    ).astype(np.int64)


def _layers(rows) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, 3)  # (n, 3)


_FIELD = Contract(
    args=(("layers", Array(("n", 3), _stack, kind="int")),),
    dims={"n": (1, 5)},
    precisions=(np.float64,),
    rtol=0.0,
    atol=0.0,
    rtol32=0.0,
    atol32=0.0,
)


def _field_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_layers([(19, 1, 1)]),), label="one convolution of width 19"),
        Case((_layers([(9, 1, 1), (4, 4, 1), (9, 1, 1)]),), label="conv 9, max-pool 4, conv 9"),
        Case(
            (_layers([(19, 1, 1), (3, 3, 1), (11, 1, 1), (4, 4, 1), (7, 1, 1), (4, 4, 1)]),),
            label="Basset's three blocks",
        ),
        Case(
            (_layers([(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)]),), label="dilations 1, 2, 4, 8"
        ),
        Case((_layers([(5, 2, 1), (3, 1, 3)]),), label="a stride, then a dilation"),
        Case((_layers([(1, 3, 1), (2, 1, 1)]),), label="a width-1 layer with stride 3"),
        Case((_layers([]),), label="no layer: the input itself"),
        Case((_layers([(20, 4, 8)] * 5),), label="five wide, strided, dilated layers: r = 51,833"),
        *_FIELD.draw(rng, 5),
    ]


def _field_reference(layers):
    # a 0-d float64 array, compared exactly like a number (a learner's int passes); the generic
    # checks can poison it or add an axis (tests/exercises/test_check.py)
    return np.asarray(float(receptive_field([tuple(int(v) for v in row) for row in layers])))


def _field(layers, span, step):
    r, jump = 1, 1
    for i, (k, s, d) in enumerate(layers.tolist()):
        r += span(k, d) * step(layers, i, jump)
        jump *= s
    return r


def _field_no_jump(layers):
    return _field(layers, lambda k, d: d * (k - 1), lambda layers, i, jump: 1)


def _field_dilation_ignored(layers):
    return _field(layers, lambda k, d: k - 1, lambda layers, i, jump: jump)


def _field_own_stride(layers):
    return _field(layers, lambda k, d: d * (k - 1), lambda layers, i, jump: jump * layers[i][1])


def _field_sum_of_kernels(layers):
    return 1 + sum(int(d * k) for k, _, d in layers)


def _field_product(layers):
    return prod(int(d * (k - 1) + 1) for k, _, d in layers) if len(layers) else 1


RECEPTIVE_FIELD = register(
    Exercise(
        id="ch6.receptive_field",
        chapter=6,
        title="The receptive field of a stack",
        function="receptive_field",
        points=2,
        reference=_field_reference,
        make_cases=_field_cases,
        contract=_FIELD,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "strides ignored",
                "every layer's span was counted in input bases, but after a layer with stride "
                "s one step is s bases: multiply layer l's span by the product of the strides "
                "of the layers before it.",
                _field_no_jump,
            ),
            Mistake(
                "dilation ignored",
                "a dilated kernel of width k spans d * (k - 1) + 1 positions: its k taps are "
                "d apart.",
                _field_dilation_ignored,
            ),
            Mistake(
                "own stride included",
                "a layer's span was multiplied by its own stride too; the stride of layer l "
                "only spaces out the positions that layer l + 1 sees (product over j < l).",
                _field_own_stride,
            ),
            Mistake(
                "kernel widths added",
                "adding the widths counts the overlapping position twice: each layer adds "
                "d * (k - 1) positions, not d * k.",
                _field_sum_of_kernels,
            ),
            Mistake(
                "spans multiplied",
                "stacked layers add their spans (scaled by the strides before them); they do "
                "not multiply.",
                _field_product,
            ),
        ),
    )
)
