"""Checks for Chapter 3 — backward through activations: the sigmoid and the ReLU."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Choice, Contract, integers, wide
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.backprop import relu_backward, sigmoid_backward

__all__ = ["SIGMOID_BACKWARD", "RELU_BACKWARD"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "jax")


def _grad_like_z(values, rng, dims):
    """grad_out takes z's shape and dtype."""
    z = values["z"]
    values["grad_out"] = rng.normal(size=z.shape).astype(z.dtype)
    return values


def _contract(z_sampler) -> Contract:
    """``(z, grad_out)`` of one shape, of rank 1 to 3."""
    shapes = [("A",), ("A", "B"), ("A", "B", "C")]
    return Contract(
        args=(("z", Choice(tuple(Array(s, z_sampler) for s in shapes))), ("grad_out", None)),
        dims={"A": (1, 8), "B": (1, 5), "C": (1, 3)},
        fix=_grad_like_z,
    )


# |z| from 1e-3 to 800: where exp overflows, and where s (1 - s) is tiny.
_SIG = _contract(wide(800.0))
# Small integers as floats: exact zeros (ReLU'(0) = 0) are common.
_RELU = _contract(lambda rng, shape, dims: integers(-3, 4)(rng, shape, dims) + 0.0)

# --------------------------------------------------------------------------- sigmoid backward


def _sigmoid_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.0]), np.array([1.0])), label="z = 0, upstream gradient 1"),
        Case(
            (np.array([-2.0, 0.5, 3.0]), np.array([0.5, -2.0, 4.0])),
            label="a few values with different upstream gradients",
        ),
        Case(
            (np.array([-40.0, -10.0, 10.0, 40.0]), np.array([1.0, 1.0, 1.0, 1.0])),
            label="saturated: |z| up to 40",
        ),
    ]
    cases.append(
        Case((np.array([-800.0, -30.0, 30.0, 800.0]), np.ones(4)), label="|z| in the hundreds")
    )
    return [*cases, *_SIG.draw(rng, 4)]


SIGMOID_BACKWARD = register(
    Exercise(
        id="ch3.sigmoid_backward",
        chapter=3,
        title="Backward through a sigmoid",
        function="sigmoid_backward",
        points=1,
        reference=sigmoid_backward,
        make_cases=_sigmoid_backward_cases,
        contract=_SIG,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "z(1-z)",
                "you used z (1 - z): the local derivative is s (1 - s) with s = sigmoid(z), "
                "the node's output, not its input z.",
                lambda z, g: g * z * (1 - z),
            ),
            Mistake(
                "grad_out ignored",
                "this is the local derivative s (1 - s) alone: multiply it by grad_out, the "
                "error arriving from above (chain rule: upstream times local).",
                lambda z, g: sigmoid(z) * (1 - sigmoid(z)),
            ),
            Mistake(
                "sigmoid instead of its derivative",
                "you multiplied grad_out by sigmoid(z); the local derivative is "
                "sigmoid(z) (1 - sigmoid(z)).",
                lambda z, g: g * sigmoid(z),
            ),
            Mistake(
                "added instead of multiplied",
                "the chain rule multiplies: grad_out * s (1 - s), not grad_out + s (1 - s).",
                lambda z, g: g + sigmoid(z) * (1 - sigmoid(z)),
            ),
            Mistake(
                "tanh's derivative",
                "1 - s² is tanh's derivative; the sigmoid's is s (1 - s).",
                lambda z, g: g * (1 - sigmoid(z) ** 2),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- relu backward


def _relu_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([-2.0, -0.5, 0.5, 2.0]), np.array([3.0, -1.0, 2.0, -4.0])),
            label="two negative and two positive z",
        ),
        Case(
            (np.array([-1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0])),
            label="z exactly 0: ReLU'(0) = 0 by convention (as in torch)",
        ),
        Case(
            (np.array([[1.5, -1.5], [0.25, -3.0]]), np.array([[-2.0, 5.0], [-1.0, 0.5]])),
            label="negative upstream gradients where z > 0",
        ),
    ]
    return [*cases, *_RELU.draw(rng, 4)]


RELU_BACKWARD = register(
    Exercise(
        id="ch3.relu_backward",
        chapter=3,
        title="Backward through a ReLU",
        function="relu_backward",
        points=1,
        reference=relu_backward,
        make_cases=_relu_backward_cases,
        contract=_RELU,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "relu(z) instead of its derivative",
                "you multiplied grad_out by relu(z) = max(0, z); the local derivative is 1 "
                "where z > 0 and 0 elsewhere.",
                lambda z, g: g * np.maximum(z, 0),
            ),
            Mistake(
                "grad_out ignored",
                "this is the local derivative (1 where z > 0) alone: multiply it by grad_out "
                "(chain rule: upstream times local).",
                lambda z, g: (z > 0).astype(z.dtype),
            ),
            Mistake(
                "gradient passed everywhere",
                "the gradient went through where z < 0 too: ReLU is flat there (output 0 "
                "whatever z), so dL/dz = 0 where z < 0.",
                lambda z, g: g.copy(),
            ),
            Mistake(
                "mask from grad_out",
                "you kept the positive entries of grad_out; the mask comes from the forward "
                "input: dL/dz = grad_out where z > 0.",
                lambda z, g: np.where(g > 0, g, 0.0).astype(g.dtype),
            ),
            Mistake(
                "ReLU'(0) = 1",
                "at z = 0 exactly, use a derivative of 0 (mask z > 0, not z >= 0), as torch does.",
                lambda z, g: g * (z >= 0),
            ),
        ),
    )
)
