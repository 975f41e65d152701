"""Checks for Chapter 2 — a hand-wired XOR network of step units on presence scores."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Contract
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import step
from genolearn.nn.mlp import xor_network

__all__ = ["XOR_NETWORK"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")


def _scores(rng, shape, dims):
    """Presence scores as the exercise states them: absent in [0, 0.2], present in [0.8, 1],
    the bounds themselves included (a quarter of the draws sit exactly on one)."""
    present = rng.integers(0, 2, size=shape)
    low = np.where(rng.random(shape) < 0.25, 0.2, rng.uniform(0.0, 0.2, shape))
    high = np.where(rng.random(shape) < 0.25, 0.8, rng.uniform(0.8, 1.0, shape))
    return np.where(present == 1, high, low)


_XOR = Contract(args=(("x", Array(("N", 2), _scores)),), dims={"N": (1, 12)})


def _step_net(x, b1, b2, w2=(1.0, -2.0)):
    h = step(x @ np.ones((2, 2)) + np.asarray(b1))  # (N, 2)
    return step(h @ np.asarray(w2) + b2).astype(np.float64)  # (N,)


def _xor_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),),
            label="the four combinations of absent (0) and present (1)",
        ),
        Case(
            (np.array([[0.1, 0.05], [0.9, 0.15], [0.2, 0.85], [0.95, 0.8]]),),
            label="noisy presence scores",
        ),
    ]
    cases.append(
        Case(
            (np.array([[0.2, 0.2], [0.2, 0.8], [0.8, 0.2], [0.8, 0.8], [1.0, 0.2], [0.0, 1.0]]),),
            label="scores on the bounds of the contract: 0.2 and 0.8",
        )
    )
    return [*cases, *_XOR.draw(rng, 3)]


XOR_NETWORK = register(
    Exercise(
        id="ch2.xor_network",
        chapter=2,
        title="A hand-wired XOR network",
        function="xor_network",
        points=2,
        reference=xor_network,
        make_cases=_xor_cases,
        contract=_XOR,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "OR",
                "your network computes OR (1 when both motifs are present too): the AND unit "
                "must veto the output, e.g. output = step(h_or - 2 h_and - 0.5).",
                lambda x: _step_net(x, [-0.5, -1.5], -0.5, w2=(1.0, 0.0)),
            ),
            Mistake(
                "AND",
                "your network computes AND (1 only when both motifs are present); XOR is 'OR "
                "but not AND'.",
                lambda x: _step_net(x, [-0.5, -1.5], -0.5, w2=(0.0, 1.0)),
            ),
            Mistake(
                "output inverted",
                "your outputs are exactly inverted (XNOR): check the sign of the output "
                "weights and bias.",
                lambda x: 1.0 - xor_network(x),
            ),
            Mistake(
                "OR unit fires at (0, 0)",
                "your network outputs 1 when both motifs are absent: a threshold sits exactly on "
                "a corner, and step(0) = 1. Put the OR threshold between the sums 0 and 1 (at "
                "0.5) and the AND threshold between 1 and 2 (at 1.5).",
                lambda x: _step_net(x, [0.0, -1.5], -0.5),
            ),
            Mistake(
                "thresholds too close to 0 and 2",
                "right on exact 0/1 inputs but wrong on noisy scores: a threshold sits too close "
                "to a corner. Put each one in the middle of its gap: OR at x1 + x2 = 0.5, AND at "
                "x1 + x2 = 1.5.",
                lambda x: _step_net(x, [-0.1, -1.9], -0.5),
            ),
        ),
    )
)
