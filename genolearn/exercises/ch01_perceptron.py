"""Checks for Chapter 1 — the perceptron: its update rule and its training loop."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import OMIT, Array, Choice, Contract, Number, integers, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.neuron import perceptron_update, train_perceptron

__all__ = ["PERCEPTRON_UPDATE", "TRAIN_PERCEPTRON"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

# --------------------------------------------------------------------------- perceptron update

_UPDATE = Contract(
    args=(
        ("w", Array(("D",), normal(1.0))),
        ("b", Number(-2.0, 2.0)),
        ("x", Choice((Array(("D",), normal(1.0)), Array(("D",), integers(0, 4))))),
        ("y", Choice((0, 1))),
        ("lr", Number(1e-3, 2.0, log=True)),
    ),
    dims={"D": (1, 6)},
)


def _update_cases(rng: np.random.Generator) -> list[Case]:
    w = np.array([0.5, -1.0])
    return [
        Case((w, 0.0, np.array([1.0, 2.0]), 1, 0.1), label="positive example predicted 0"),
        Case((w, 0.0, np.array([2.0, 0.5]), 0, 0.1), label="negative example predicted 1"),
        Case((w, 0.0, np.array([2.0, 0.5]), 1, 0.1), label="already correct: nothing changes"),
        Case((w, 0.0, np.array([2.0, 1.0]), 0, 1.0), label="w . x + b = 0 exactly: predicted 1"),
        Case((w, 0.0, np.array([2.0, 1.0]), 1, 1.0), label="w . x + b = 0, label 1: correct"),
        Case((w, 0.0, np.array([1.5, 0.5]), 0, 0.5), label="w . x + b = 0.25: predicted 1"),
        Case((w, 0.5, np.array([1.0, 2.0]), 1, 0.3), label="bias and learning rate matter"),
        Case((w, -1.0, np.array([1.0, 0.2]), 1, 0.1), label="the bias decides: w.x = 0.3, b = -1"),
        *_UPDATE.draw(rng, 4),
    ]


def _update_always(w, b, x, y, lr):
    return w + lr * y * x, b + lr * y


def _update_sign_flipped(w, b, x, y, lr):
    err = (1 if w @ x + b >= 0 else 0) - y
    return w + lr * err * x, b + lr * err


def _update_no_bias(w, b, x, y, lr):
    err = y - (1 if w @ x + b >= 0 else 0)
    return w + lr * err * x, b


def _update_sigmoid(w, b, x, y, lr):
    err = y - float(sigmoid(np.asarray(w @ x + b)))
    return w + lr * err * x, b + lr * err


def _update_no_lr(w, b, x, y, lr):
    err = y - (1 if w @ x + b >= 0 else 0)
    return w + err * x, b + err


def _update_strict_step(w, b, x, y, lr):
    err = y - (1 if w @ x + b > 0 else 0)
    return w + lr * err * x, b + lr * err


PERCEPTRON_UPDATE = register(
    Exercise(
        id="ch1.perceptron_update",
        chapter=1,
        title="The perceptron learning rule",
        function="perceptron_update",
        points=2,
        reference=perceptron_update,
        make_cases=_update_cases,
        contract=_UPDATE,
        forbid=_FORBID,
        parts=("w_new", "b_new"),
        mistakes=(
            Mistake(
                "update even when correct",
                "you updated with the label y instead of the error (y - y_hat): a correctly "
                "classified example must leave w and b unchanged.",
                _update_always,
            ),
            Mistake(
                "error sign flipped",
                "the error is y - y_hat, not y_hat - y: the weights move the wrong way.",
                _update_sign_flipped,
            ),
            Mistake(
                "bias not updated", "the bias learns too: b <- b + lr (y - y_hat).", _update_no_bias
            ),
            Mistake(
                "sigmoid instead of step",
                "the perceptron predicts with the step function (0 or 1), not the sigmoid.",
                _update_sigmoid,
            ),
            Mistake(
                "learning rate ignored",
                "the update is scaled by the learning rate lr.",
                _update_no_lr,
            ),
            Mistake(
                "step(0) = 0",
                "by our convention step(0) = 1: predict 1 when w . x + b >= 0.",
                _update_strict_step,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- training loop

_TRAIN = Contract(
    args=(
        ("X", Choice((Array(("N", "D"), integers(0, 4)), Array(("N", "D"), normal(1.0))))),
        ("y", Array(("N",), integers(0, 2), kind="int")),
        ("epochs", Number(1, 8, integer=True)),
        ("lr", Choice((OMIT, Number(0.05, 2.0, log=True)))),
    ),
    dims={"N": (1, 12), "D": (1, 4)},
    keywords=("lr",),
    precisions=(np.float64,),
)


def _train_cases(rng: np.random.Generator) -> list[Case]:
    and_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases = [
        Case((and_x, np.array([0, 0, 0, 1]), 10, 1.0), label="logical AND, 10 epochs"),
        Case((and_x, np.array([0, 1, 1, 1]), 1, 0.5), label="logical OR, 1 epoch"),
        Case((and_x, np.array([0, 1, 1, 0]), 3, 1.0), label="XOR, 3 epochs (never converges)"),
        Case((and_x, np.array([1, 1, 0, 1]), 4), label="lr left at its default 1.0"),
    ]
    n = int(rng.integers(10, 30))
    x = np.column_stack([rng.integers(0, 4, size=n).astype(float), rng.uniform(0.3, 0.7, size=n)])
    y = (x @ np.array([1.0, -5.0]) + 1.75 >= 0).astype(np.int64)
    cases.append(Case((x, y, 5, 0.1), label=f"motif count and GC fraction, N = {n}"))
    return [*cases, *_TRAIN.draw(rng, 4)]


def _train_one_epoch(X, y, epochs, lr=1.0):
    return train_perceptron(X, y, min(epochs, 1), lr)


def _train_no_bias(X, y, epochs, lr=1.0):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            err = yi - (1 if xi @ w >= 0 else 0)
            w = w + lr * err * xi
    return w, 0.0


def _train_sign(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            err = (1 if xi @ w + b >= 0 else 0) - yi
            w, b = w + lr * err * xi, b + lr * err
    return w, b


def _train_batch(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        err = y - (X @ w + b >= 0)
        w, b = w + lr * err @ X, b + lr * err.sum()
    return w, b


def _train_ones(X, y, epochs, lr=1.0):
    w, b = np.ones(X.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            w, b = perceptron_update(w, b, xi, int(yi), lr)
    return w, b


TRAIN_PERCEPTRON = register(
    Exercise(
        id="ch1.train_perceptron",
        chapter=1,
        title="Training a perceptron",
        function="train_perceptron",
        points=3,
        reference=train_perceptron,
        make_cases=_train_cases,
        contract=_TRAIN,
        forbid=_FORBID,
        depends=("ch1.perceptron_update",),
        parts=("w", "b"),
        mistakes=(
            Mistake(
                "one epoch only",
                "it looks like only one pass over the data was made: loop `epochs` times.",
                _train_one_epoch,
            ),
            Mistake(
                "bias not learned", "the bias stayed 0: update b along with w.", _train_no_bias
            ),
            Mistake("error sign flipped", "the error is y - y_hat, not y_hat - y.", _train_sign),
            Mistake(
                "batch update",
                "this is a batch update (all examples at once per epoch); Rosenblatt's rule "
                "updates after each example, in order.",
                _train_batch,
            ),
            Mistake("weights start at one", "start from w = 0 and b = 0.", _train_ones),
        ),
    )
)
