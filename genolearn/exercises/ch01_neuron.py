"""Checks for Chapter 1 — the neuron: its forward pass, a stable sigmoid and its derivative."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Choice, Contract, Number, normal, wide
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid, sigmoid_derivative, tanh
from genolearn.nn.neuron import neuron_forward

__all__ = ["NEURON_FORWARD", "SIGMOID", "SIGMOID_DERIVATIVE"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

# Any shape, magnitudes from 1e-3 up to 1000 (where exp overflows in float64 at 709 and in
# float32 at 88), exact zeros included.
_ANY_Z = Choice(
    (
        Array(("A",), wide(1000.0)),
        Array(("A", "B"), wide(1000.0)),
        Array(("A", "B", "C"), wide(50.0)),
        Array((), wide(1000.0)),
    )
)
_Z = Contract(args=(("z", _ANY_Z),), dims={"A": (1, 9), "B": (1, 5), "C": (1, 3)})

# --------------------------------------------------------------------------- neuron forward

_NEURON = Contract(
    args=(
        ("x", Choice((Array(("N", "D"), normal(1.0)), Array(("N", "D"), normal(30.0))))),
        ("w", Array(("D",), normal(1.0))),
        ("b", Number(-3.0, 3.0)),
    ),
    dims={"N": (1, 8), "D": (1, 6)},
)


def _neuron_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((np.array([[1.0, 2.0]]), np.array([0.5, -0.25]), 0.0), label="one example, no bias"),
        Case(
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0.5, -1.5]), 1.5),
            label="weights and a bias",
        ),
        Case(
            (np.array([[3.0, 0.4], [0.0, 0.6], [1.0, 0.5]]), np.array([1.0, -5.0]), 1.75),
            label="motif count and GC fraction",
        ),
        *_NEURON.draw(rng, 4),
    ]


NEURON_FORWARD = register(
    Exercise(
        id="ch1.neuron_forward",
        chapter=1,
        title="A neuron's forward pass",
        function="neuron_forward",
        points=2,
        reference=neuron_forward,
        make_cases=_neuron_cases,
        contract=_NEURON,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "missing bias",
                "looks like the bias b was left out: z = x @ w + b.",
                lambda x, w, b: sigmoid(x @ w),
            ),
            Mistake(
                "no activation",
                "these are the weighted sums z, not the outputs: apply sigmoid to z.",
                lambda x, w, b: x @ w + b,
            ),
            Mistake(
                "bias subtracted",
                "looks like the bias was subtracted: z = x @ w + b, with a plus.",
                lambda x, w, b: sigmoid(x @ w - b),
            ),
            Mistake(
                "activation before sum",
                "sigmoid was applied to each input before summing; the neuron sums first "
                "(z = x @ w + b), then applies the activation once.",
                lambda x, w, b: sigmoid(x * w).sum(axis=1) + b,
            ),
            Mistake(
                "tanh instead of sigmoid",
                "these look like tanh outputs; this neuron uses the sigmoid.",
                lambda x, w, b: tanh(x @ w + b),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- sigmoid


def _sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((np.array([-2.0, 0.0, 2.0]),), label="small values"),
        Case((np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]),), label="|z| up to 1000"),
        Case(
            (np.array([-100.0, -90.0, 90.0, 100.0], dtype=np.float32),),
            label="float32 past exp's overflow at 88",
        ),
        Case((np.array([-745.0, -709.0, -40.0, 40.0, 709.0, 745.0]),), label="near exp's limits"),
        *_Z.draw(rng, 4),
    ]


def _unstable_sigmoid(z):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / (1 + e)


SIGMOID = register(
    Exercise(
        id="ch1.sigmoid",
        chapter=1,
        title="A numerically stable sigmoid",
        function="sigmoid",
        points=2,
        reference=sigmoid,
        make_cases=_sigmoid_cases,
        contract=_Z,
        forbid=_FORBID,
        warnings_fail=True,  # the exercise asks: "never trigger an overflow warning"
        mistakes=(
            Mistake(
                "sign flipped",
                "looks like the sign of z is flipped: sigmoid(z) = 1 / (1 + exp(-z)).",
                lambda z: 1.0 - sigmoid(z),
            ),
            Mistake(
                "exp(z) / (1 + exp(z)) for all z",
                "for large z, exp(z) overflows to inf and inf / inf is nan. Use "
                "exp(z) / (1 + exp(z)) only where z < 0, and 1 / (1 + exp(-z)) where z >= 0.",
                _unstable_sigmoid,
            ),
            Mistake(
                "tanh instead of sigmoid",
                "these look like tanh outputs (range -1..1); the sigmoid's range is 0..1.",
                tanh,
            ),
            Mistake(
                "derivative instead of function",
                "this looks like the sigmoid's derivative s(1-s), not s itself.",
                sigmoid_derivative,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- sigmoid derivative


def _sigmoid_derivative_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((np.array([0.0]),), label="z = 0, where the slope is largest"),
        Case((np.array([-3.0, -1.0, 0.5, 2.0]),), label="a few values"),
        Case((np.array([-800.0, 800.0]),), label="saturated: |z| = 800"),
        Case((np.array([-30.0, -12.0, 12.0, 30.0]),), label="tails: s (1 - s) is tiny"),
        *_Z.draw(rng, 4),
    ]


SIGMOID_DERIVATIVE = register(
    Exercise(
        id="ch1.sigmoid_derivative",
        chapter=1,
        title="The sigmoid's derivative",
        function="sigmoid_derivative",
        points=1,
        reference=sigmoid_derivative,
        make_cases=_sigmoid_derivative_cases,
        contract=_Z,
        forbid=_FORBID,
        depends=("ch1.sigmoid",),
        mistakes=(
            Mistake(
                "z(1-z)",
                "you computed z (1 - z): the formula s (1 - s) needs s = sigmoid(z), not z itself.",
                lambda z: z * (1 - z),
            ),
            Mistake(
                "sigmoid itself",
                "this is sigmoid(z); its derivative is sigmoid(z) (1 - sigmoid(z)).",
                sigmoid,
            ),
            Mistake(
                "tanh's derivative formula",
                "1 - s² is tanh's derivative; the sigmoid's is s (1 - s).",
                lambda z: 1 - sigmoid(z) ** 2,
            ),
            Mistake(
                "s(1+s)",
                "a sign is off: the derivative is s (1 - s).",
                lambda z: sigmoid(z) * (1 + sigmoid(z)),
            ),
        ),
    )
)
