"""Checks for Chapter 2 — dense layers: one layer's forward pass and a two-layer MLP."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Choice, Contract, normal, uniform
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import relu, sigmoid
from genolearn.nn.backprop import dense_forward
from genolearn.nn.mlp import mlp_forward

__all__ = ["DENSE_FORWARD", "MLP_FORWARD"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")
_REAL = Choice((normal(1.0), uniform(-5.0, 5.0)))


def _real(*shape):
    return Choice(tuple(Array(shape, d) for d in _REAL.options))


_DENSE = Contract(
    args=(("x", _real("N", "D")), ("W", _real("D", "H")), ("b", _real("H"))),
    dims={"N": (1, 8), "D": (1, 6), "H": (1, 6)},
)
_MLP = Contract(
    args=(
        ("x", _real("N", "D")),
        ("W1", _real("D", "H")),
        ("b1", _real("H")),
        ("W2", _real("H", "C")),
        ("b2", _real("C")),
    ),
    dims={"N": (1, 8), "D": (1, 6), "H": (1, 8), "C": (1, 4)},
)

# --------------------------------------------------------------------------- dense layer


def _dense_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0, 2.0], [0.0, -1.0]]),
                np.array([[1.0, -2.0], [0.5, 3.0]]),
                np.array([0.5, -1.0]),
            ),
            label="square W (D = H = 2): W.T has the same shape as W",
        ),
        Case(
            (
                np.array([[3.0, 0.4, 1.0], [0.0, 0.6, 0.0], [1.0, 0.5, 1.0], [2.0, 0.3, 0.0]]),
                np.array([[1.0, -0.5], [-5.0, 2.0], [0.5, 1.5]]),
                np.array([1.75, -1.0]),
            ),
            label="D = 3 features (motif count, GC, motif B), H = 2 units",
        ),
        Case(
            (np.array([[0.5, -1.0, 2.0]]), np.zeros((3, 4)), np.array([1.0, -2.0, 0.0, 3.0])),
            label="zero weights: every row is the bias",
        ),
    ]
    cases.append(
        Case(
            (rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)),
            label="random square W (D = H = 3)",
        )
    )
    return [*cases, *_DENSE.draw(rng, 4)]


DENSE_FORWARD = register(
    Exercise(
        id="ch2.dense_forward",
        chapter=2,
        title="A dense layer's forward pass",
        function="dense_forward",
        points=2,
        reference=dense_forward,
        make_cases=_dense_cases,
        contract=_DENSE,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "missing bias",
                "the bias b was left out: z = x @ W + b.",
                lambda x, W, b: x @ W,
            ),
            Mistake(
                "W transposed",
                "looks like W.T was used where W is needed: here W is stored (D, H), so the "
                "layer is x @ W + b. (Only Linear.weight is stored (H, D) and needs .T.) With a "
                "square W both have the same shape, so no error warns you.",
                lambda x, W, b: x @ W.T + b,
            ),
            Mistake(
                "bias along the wrong axis",
                "the bias was added along the wrong axis (one bias per example instead of one "
                "per output unit): b has shape (H,) and is added to every row, z = x @ W + b.",
                lambda x, W, b: x @ W + b[:, None],
            ),
            Mistake(
                "ReLU applied",
                "you applied ReLU; this exercise asks for the layer's weighted sums only, with no "
                "activation.",
                lambda x, W, b: relu(x @ W + b),
            ),
            Mistake(
                "sigmoid applied",
                "you applied the sigmoid; this exercise asks for the weighted sums only, with no "
                "activation.",
                lambda x, W, b: sigmoid(x @ W + b),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- MLP forward


def _mlp_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0, 2.0], [0.0, -1.0], [-2.0, 0.5]]),
                np.array([[1.0, -2.0], [0.5, 1.0]]),
                np.array([0.5, -1.0]),
                np.array([[2.0, -1.0], [-1.0, 1.5]]),
                np.array([-0.5, 0.25]),
            ),
            label="every size 2 (D = H = C = 2)",
        ),
        Case(
            (
                np.array([[3.0, 0.4, 1.0], [0.0, 0.6, 0.0], [1.0, 0.5, 1.0], [2.0, 0.3, 0.0]]),
                np.array([[1.0, -1.0, 0.5, 0.0], [-5.0, 2.0, 0.0, 1.0], [0.5, 1.0, -1.0, 2.0]]),
                np.array([0.5, -1.0, 0.25, -0.5]),
                np.array([[1.5], [-2.0], [1.0], [-0.5]]),
                np.array([-0.25]),
            ),
            label="one output (C = 1): a score for a binary label",
        ),
    ]
    return [*cases, *_MLP.draw(rng, 4)]


MLP_FORWARD = register(
    Exercise(
        id="ch2.mlp_forward",
        chapter=2,
        title="A two-layer perceptron's forward pass",
        function="mlp_forward",
        points=2,
        reference=mlp_forward,
        make_cases=_mlp_cases,
        contract=_MLP,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no hidden activation",
                "the hidden layer has no activation: without relu the two layers collapse into "
                "one linear layer. h = relu(x @ W1 + b1).",
                lambda x, W1, b1, W2, b2: (x @ W1 + b1) @ W2 + b2,
            ),
            Mistake(
                "sigmoid instead of ReLU",
                "the hidden layer used the sigmoid; this network's hidden activation is ReLU, "
                "max(0, z).",
                lambda x, W1, b1, W2, b2: sigmoid(x @ W1 + b1) @ W2 + b2,
            ),
            Mistake(
                "activation on the output",
                "ReLU was also applied to the output layer, which clips negative scores to 0: "
                "the output layer here is linear, h @ W2 + b2.",
                lambda x, W1, b1, W2, b2: relu(relu(x @ W1 + b1) @ W2 + b2),
            ),
            Mistake(
                "ReLU before the bias",
                "ReLU was applied before adding b1: the activation comes after the whole "
                "weighted sum, relu(x @ W1 + b1).",
                lambda x, W1, b1, W2, b2: (relu(x @ W1) + b1) @ W2 + b2,
            ),
            Mistake(
                "layers swapped",
                "the layers are applied in the wrong order: x goes through (W1, b1) first, "
                "then (W2, b2). When every size is equal no shape error warns you.",
                lambda x, W1, b1, W2, b2: relu(x @ W2 + b2) @ W1 + b1,
            ),
            Mistake(
                "output bias missing",
                "the output layer's bias b2 was left out: relu(x @ W1 + b1) @ W2 + b2.",
                lambda x, W1, b1, W2, b2: relu(x @ W1 + b1) @ W2,
            ),
        ),
    )
)
