"""Checks for Chapter 4 — one epoch of shuffled minibatches (returned as plain data, a list of
pairs, so the sandboxed grader can compare them) and a minibatch training loop that calls it."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import (
    Array,
    Choice,
    Contract,
    Number,
    Seed,
    integers,
    normal,
    one_hot,
)
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.data import minibatches
from genolearn.nn.steps import train_logistic_regression

__all__ = ["MAKE_MINIBATCHES", "TRAIN_LOGISTIC_REGRESSION"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

_BATCHES = Contract(
    args=(
        (
            "X",
            Choice((Array(("N", "D"), normal(1.0)), Array(("N", 4, "L"), one_hot(1)))),
        ),
        ("y", Array(("N",), integers(0, 2), kind="int")),
        ("batch_size", Number(dim="B")),
        ("seed", Seed()),
    ),
    dims={"N": (1, 30), "D": (1, 4), "L": (1, 6), "B": (1, "N")},
)
# Features up to a scale of 20, so that after a few steps |z| reaches the hundreds, where
# log(sigmoid(z)) and log(1 + exp(z)) break.
_TRAIN = Contract(
    args=(
        ("X", Choice((Array(("N", "D"), normal(1.0)), Array(("N", "D"), normal(20.0))))),
        ("y", Array(("N",), integers(0, 2), kind="int")),
        ("lr", Number(0.01, 2.0, log=True)),
        ("epochs", Number(1, 5, integer=True)),
        ("batch_size", Number(dim="B")),
        ("seed", Seed()),
    ),
    dims={"N": (1, 30), "D": (1, 5), "B": (1, "N")},
    precisions=(np.float64,),
)

# --------------------------------------------------------------------------- minibatches


def make_minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, seed: int | np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Reference: one epoch's ``(X_batch, y_batch)`` pairs, in the order of
    ``np.random.default_rng(seed).permutation(len(X))``; the last batch may be smaller."""
    return tuple(minibatches(X, y, batch_size, shuffle=True, seed=seed))


def _batch_cases(rng: np.random.Generator) -> list[Case]:
    x10 = np.arange(20, dtype=np.float64).reshape(10, 2)
    y10 = np.arange(10) % 2
    onehot = np.eye(4, dtype=np.float32)[np.arange(6 * 8).reshape(6, 8) % 4].transpose(0, 2, 1)
    cases = [
        Case((x10, y10, 4, 0), label="N = 10, batch size 4: the last batch has 2"),
        Case((x10[:8], y10[:8], 4, 1), label="N = 8, batch size 4: two full batches"),
        Case((x10[:5], y10[:5], 8, 2), label="batch size larger than N: one batch"),
        Case((x10[:4], y10[:4], 1, 3), label="batch size 1"),
        Case((onehot, np.array([0, 1, 1, 0, 1, 0]), 4, 4), label="one-hot DNA (6, 4, 8) float32"),
    ]
    cases.append(
        Case(
            (x10, y10, 3, np.random.default_rng(11)),
            label="seed given as a numpy.random.Generator",
        )
    )
    return [*cases, *_BATCHES.draw(rng, 4)]


def _batches_drop_last(X, y, batch_size, seed):
    return tuple(minibatches(X, y, batch_size, shuffle=True, seed=seed, drop_last=True))


def _batches_no_shuffle(X, y, batch_size, seed):
    return tuple(minibatches(X, y, batch_size, shuffle=False))


def _batches_overlapping(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    n_batches = -(-len(X) // batch_size)
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]]) for i in range(n_batches)
    )


def _batches_with_replacement(X, y, batch_size, seed):
    order = np.random.default_rng(seed).integers(0, len(X), size=len(X))
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    )


def _batches_misaligned(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    ox, oy = rng.permutation(len(X)), rng.permutation(len(X))
    return tuple(
        (X[ox[i : i + batch_size]], y[oy[i : i + batch_size]]) for i in range(0, len(X), batch_size)
    )


def _batches_extra_empty(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (
            X[order[i * batch_size : (i + 1) * batch_size]],
            y[order[i * batch_size : (i + 1) * batch_size]],
        )
        for i in range(len(X) // batch_size + 1)
    )


MAKE_MINIBATCHES = register(
    Exercise(
        id="ch4.make_minibatches",
        chapter=4,
        title="One epoch of shuffled minibatches",
        function="make_minibatches",
        points=2,
        reference=make_minibatches,
        make_cases=_batch_cases,
        contract=_BATCHES,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "last partial batch dropped",
                "the last, smaller batch is missing: every sample must appear once per epoch, "
                "so keep the remainder as a final batch.",
                _batches_drop_last,
            ),
            Mistake(
                "no shuffling",
                "the batches are in the original order: shuffle first with "
                "order = np.random.default_rng(seed).permutation(len(X)).",
                _batches_no_shuffle,
            ),
            Mistake(
                "overlapping batches",
                "consecutive batches overlap: batch i starts at i * batch_size, not at i.",
                _batches_overlapping,
            ),
            Mistake(
                "sampled with replacement",
                "some samples appear twice and others never: use a permutation "
                "(rng.permutation(len(X))), not random integers.",
                _batches_with_replacement,
            ),
            Mistake(
                "X and y shuffled separately",
                "X and y were shuffled with different permutations, so each sequence lost its "
                "label: index both with the same order.",
                _batches_misaligned,
            ),
            Mistake(
                "extra empty batch",
                "when batch_size divides N there is one empty batch too many at the end: make "
                "ceil(N / batch_size) batches, e.g. range(0, N, batch_size).",
                _batches_extra_empty,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- training loop


def _train_cases(rng: np.random.Generator) -> list[Case]:
    # Two features per sequence: motif count and GC fraction (centred), labels from the
    # Chapter 1 promoter rule, two of them flipped so the data are not separable.
    X = np.array(
        [[0, 0.1], [1, -0.1], [2, 0.05], [0, -0.15], [3, 0.2], [1, 0.12], [0, 0.0], [2, -0.2]]
    )
    y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    cases = [
        Case((X, y, 0.5, 3, 3, 0), label="8 sequences, batch size 3, 3 epochs"),
        Case((X, y, 0.1, 2, 1, 1), label="batch size 1: one update per sample"),
        Case((X[:6], y[:6], 1.0, 4, 6, 2), label="batch size N: full-batch gradient descent"),
    ]
    cases.append(
        Case(
            (X * 30.0, y, 1.0, 3, 4, np.random.default_rng(3)),
            label="large features: |z| reaches the hundreds; seed as a Generator",
        )
    )
    return [*cases, *_TRAIN.draw(rng, 4)]


def _bce(z, y):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _loop(
    X,
    y,
    lr,
    epochs,
    batch_size,
    seed,
    *,
    average=True,
    bias=True,
    reseed=False,
    sign=1.0,
    record="mean",
):
    """The reference loop with one switch per catalogued mistake."""
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(epochs):
        total, last = 0.0, 0.0
        for xb, yb in minibatches(X, y, batch_size, seed=seed if reseed else rng):
            z = xb @ w + b
            last = _bce(z, yb)
            total += last * len(xb)
            dz = sigmoid(z) - yb
            if average:
                dz = dz / len(xb)
            w = w - sign * lr * (xb.T @ dz)
            if bias:
                b = b - sign * lr * float(dz.sum())
        losses.append({"mean": total / len(X), "last": last, "after": _bce(X @ w + b, y)}[record])
    return w, float(b), np.array(losses)


TRAIN_LOGISTIC_REGRESSION = register(
    Exercise(
        id="ch4.train_logistic_regression",
        chapter=4,
        title="A minibatch training loop",
        function="train_logistic_regression",
        points=3,
        reference=train_logistic_regression,
        make_cases=_train_cases,
        contract=_TRAIN,
        depends=("ch4.make_minibatches",),
        parts=("w", "b", "losses"),
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "gradient summed, not averaged",
                "the loss is the batch mean, so dL/dz = (sigmoid(z) - y) / B; without the / B "
                "the step grows with the batch size.",
                lambda *a: _loop(*a, average=False),
            ),
            Mistake(
                "one update per epoch",
                "you took one full-batch step per epoch; take one step per minibatch "
                "(ceil(N / batch_size) steps per epoch).",
                lambda X, y, lr, epochs, batch_size, seed: _loop(X, y, lr, epochs, len(X), seed),
            ),
            Mistake(
                "bias not learned",
                "the bias stayed 0: update b with dL/db = sum(dL/dz) as well.",
                lambda *a: _loop(*a, bias=False),
            ),
            Mistake(
                "same order every epoch",
                "every epoch replays the same batches: make rng = np.random.default_rng(seed) "
                "once and pass rng (not seed) to make_minibatches each epoch.",
                lambda *a: _loop(*a, reseed=True),
            ),
            Mistake(
                "gradient ascent",
                "the weights move uphill: subtract lr times the gradient.",
                lambda *a: _loop(*a, sign=-1.0),
            ),
            Mistake(
                "loss of the last batch",
                "the epoch's loss is the average of all its batch losses (weighted by batch "
                "size), not the last batch's loss.",
                lambda *a: _loop(*a, record="last"),
            ),
            Mistake(
                "loss measured after the epoch",
                "record the batch losses computed during the epoch (before each step), "
                "averaged over the samples, not the loss of the final weights on all data.",
                lambda *a: _loop(*a, record="after"),
            ),
        ),
    )
)
