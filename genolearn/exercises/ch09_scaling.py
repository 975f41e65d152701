"""Checks for Chapter 9 — scaling fitted on the training cells only."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Contract, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.scaling import standardize

__all__ = ["STANDARDIZE"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn")

# --------------------------------------------------------------------------- standardize

_SCALE = Contract(
    args=(("X_train", Array(("N", "G"), normal(3.0))), ("X_test", Array(("M", "G"), normal(3.0)))),
    dims={"N": (1, 12), "M": (1, 6), "G": (1, 6)},
)


def _scale_cases(rng: np.random.Generator) -> list[Case]:
    train = np.array([[0.0, 1.0, 5.0], [2.0, 1.0, 7.0], [4.0, 1.0, 9.0]])
    test = np.array([[2.0, 3.0, 7.0], [6.0, 0.0, 5.0]])
    shifted = rng.normal(size=(8, 3)) * [1.0, 2.0, 0.5] + [0.0, 3.0, -2.0]
    return [
        Case((train, test), label="3 training cells, 3 genes (the second constant)"),
        Case((train[:1], test), label="one training cell: every gene constant"),
        Case(
            (shifted, shifted[:3] + 10.0),
            label="test cells shifted by +10: they must stay shifted after scaling",
        ),
        Case(
            (np.log1p(rng.poisson(2.0, size=(10, 4)).astype(np.float32)), np.ones((2, 4), "f4")),
            label="float32 log-counts",
        ),
        *_SCALE.draw(rng, 4),
    ]


def _scale_with(train, test, mean, sd):
    sd = np.where(sd > 0, sd, 1.0)
    dtype = np.result_type(train.dtype, test.dtype, np.float32)
    return ((train - mean) / sd).astype(dtype), ((test - mean) / sd).astype(dtype)


def _scale_all_rows(X_train, X_test):
    both = np.concatenate([X_train, X_test])
    return _scale_with(X_train, X_test, both.mean(axis=0), both.std(axis=0))


def _scale_test_own_statistics(X_train, X_test):
    z_train, _ = standardize(X_train, X_test)
    _, z_test = standardize(X_test, X_test)
    return z_train, z_test


def _scale_sample_sd(X_train, X_test):
    ddof = 1 if len(X_train) > 1 else 0
    return _scale_with(X_train, X_test, X_train.mean(axis=0), X_train.std(axis=0, ddof=ddof))


def _scale_constant_divides(X_train, X_test):
    mean, sd = X_train.mean(axis=0), X_train.std(axis=0)
    dtype = np.result_type(X_train.dtype, X_test.dtype, np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((X_train - mean) / sd).astype(dtype), ((X_test - mean) / sd).astype(dtype)


def _scale_not_centred(X_train, X_test):
    return _scale_with(X_train, X_test, 0.0, X_train.std(axis=0))


STANDARDIZE = register(
    Exercise(
        id="ch9.standardize",
        chapter=9,
        title="Scaling fitted on the training cells",
        function="standardize",
        points=2,
        reference=standardize,
        make_cases=_scale_cases,
        contract=_SCALE,
        forbid=_FORBID,
        parts=("Z_train", "Z_test"),
        mistakes=(
            Mistake(
                "statistics from all cells",
                "the mean and sd were computed on the training AND test cells: information "
                "about the test set leaked into training. Use X_train's statistics only.",
                _scale_all_rows,
            ),
            Mistake(
                "test set scaled with its own statistics",
                "X_test was scaled with its own mean and sd. Then a test set shifted by +10 "
                "looks exactly like the training set: apply the TRAINING mean and sd to it.",
                _scale_test_own_statistics,
            ),
            Mistake(
                "sample standard deviation",
                "you divided by the sample sd (ddof=1); use the population sd, "
                "X_train.std(axis=0).",
                _scale_sample_sd,
            ),
            Mistake(
                "constant gene divided by zero",
                "a gene that is constant in the training cells has sd 0: dividing gave nan/inf. "
                "Centre it and divide by 1 instead.",
                _scale_constant_divides,
            ),
            Mistake(
                "not centred",
                "the data were divided by the sd but the mean was not subtracted first.",
                _scale_not_centred,
            ),
        ),
    )
)
