"""Checks for Chapter 6 — interpretation: gradient x input after removing each position's mean
gradient over the four bases (the correction for one-hot input)."""

from __future__ import annotations

import numpy as np

from genolearn.deep.attribution import corrected_saliency
from genolearn.exercises.contract import Array, Contract, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["CORRECTED_SALIENCY"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _offset_gradient(rng, shape, dims):
    """Gradients with a large shared offset at each position, as raw gradients have."""
    return rng.normal(size=shape) + rng.normal(scale=10.0, size=(shape[0], 1, shape[2]))


_SAL = Contract(
    args=(
        ("grad", Array(("N", 4, "L"), _offset_gradient)),
        ("x", Array(("N", 4, "L"), one_hot(1))),
    ),
    dims={"N": (1, 4), "L": (1, 12)},
)


def _encode(*seqs: str) -> np.ndarray:
    return np.stack([np.eye(4)[["ACGT".index(b) for b in s]].T for s in seqs])


def _sal_cases(rng: np.random.Generator) -> list[Case]:
    grad = np.array([[[1.0, 0.0], [2.0, 4.0], [3.0, 0.0], [6.0, 0.0]]])  # position means 3, 1
    return [
        Case((grad, _encode("AC")), label="AC with position means 3 and 1"),
        Case((grad + 100.0, _encode("AC")), label="the same gradient + 100 everywhere"),
        Case((np.ones((2, 4, 3)), _encode("ACG", "TTT")), label="a constant gradient: all zero"),
        Case(
            (rng.normal(size=(2, 4, 6)).astype(np.float32), _encode("ACGTAC", "GGGCCC")),
            label="float32 gradient",
        ),
        *_SAL.draw(rng, 4),
    ]


def _sal_uncorrected(grad, x):
    return grad * x


def _sal_mean_over_positions(grad, x):
    return (grad - grad.mean(axis=2, keepdims=True)) * x


def _sal_gradient_only(grad, x):
    return grad - grad.mean(axis=1, keepdims=True)


def _sal_input_mean(grad, x):
    return grad * x - (grad * x).mean(axis=1, keepdims=True)


def _sal_sum(grad, x):
    return (grad - grad.sum(axis=1, keepdims=True)) * x


CORRECTED_SALIENCY = register(
    Exercise(
        id="ch6.corrected_saliency",
        chapter=6,
        title="Gradient x input, corrected for one-hot input",
        function="corrected_saliency",
        points=2,
        reference=corrected_saliency,
        make_cases=_sal_cases,
        contract=_SAL,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no correction",
                "this is plain gradient x input: subtract each position's mean gradient over "
                "the four bases from the gradient first.",
                _sal_uncorrected,
            ),
            Mistake(
                "mean over positions",
                "the mean was taken along the sequence (axis 2); the offset to remove is shared "
                "by the four bases of ONE position: the mean over axis 1.",
                _sal_mean_over_positions,
            ),
            Mistake(
                "not multiplied by the input",
                "you returned the corrected gradient at every base; multiply by x to keep only "
                "the observed base's value.",
                _sal_gradient_only,
            ),
            Mistake(
                "mean of gradient x input",
                "you subtracted the mean of gradient x input (a quarter of the observed base's "
                "value); subtract the mean of the GRADIENT over the four bases, then multiply "
                "by x.",
                _sal_input_mean,
            ),
            Mistake(
                "sum instead of mean",
                "you subtracted the sum over the four bases; subtract their mean.",
                _sal_sum,
            ),
        ),
    )
)
