"""Checks for Chapter 1 — the neuron: forward pass, stable sigmoid, its derivative,
the perceptron update and the perceptron training loop."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid, sigmoid_derivative, tanh
from genolearn.nn.neuron import neuron_forward, perceptron_update, train_perceptron

__all__ = [
    "NEURON_FORWARD",
    "SIGMOID",
    "SIGMOID_DERIVATIVE",
    "PERCEPTRON_UPDATE",
    "TRAIN_PERCEPTRON",
]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

# --------------------------------------------------------------------------- neuron forward


def _neuron_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([[1.0, 2.0]]), np.array([0.5, -0.25]), 0.0), label="one example, no bias"),
        Case(
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.zeros(2), 1.5), label="zero weights: bias only"
        ),
        Case(
            (np.array([[3.0, 0.4], [0.0, 0.6], [1.0, 0.5]]), np.array([1.0, -5.0]), 1.75),
            label="motif count and GC fraction",
        ),
    ]
    for n, d, dtype in [(5, 3, np.float64), (8, 1, np.float64), (6, 4, np.float32)]:
        x = rng.normal(size=(n, d)).astype(dtype)
        w = rng.normal(size=d).astype(dtype)
        cases.append(
            Case(
                (x, w, float(rng.normal())),
                label=f"random x of shape ({n}, {d}), {np.dtype(dtype).name}",
            )
        )
    return cases


NEURON_FORWARD = register(
    Exercise(
        id="ch1.neuron_forward",
        chapter=1,
        title="A neuron's forward pass",
        function="neuron_forward",
        points=2,
        reference=neuron_forward,
        make_cases=_neuron_cases,
        rtol=1e-6,
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
        Case((rng.normal(scale=3.0, size=(3, 4)),), label="random (3, 4)"),
        Case(
            (rng.normal(scale=10.0, size=(2, 3, 5)).astype(np.float32),),
            label="random (2, 3, 5) float32",
        ),
        Case((rng.uniform(-1000, 1000, size=20),), label="random in [-1000, 1000]"),
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
        rtol=1e-7,
        atol=1e-12,
        forbid=_FORBID,
        warnings_fail=True,
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
        Case((rng.normal(scale=2.0, size=(4, 3)),), label="random (4, 3)"),
        Case((rng.normal(scale=2.0, size=7).astype(np.float32),), label="random float32"),
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
        rtol=1e-7,
        atol=1e-12,
        forbid=_FORBID,
        warnings_fail=True,
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

# --------------------------------------------------------------------------- perceptron update


def _update_cases(rng: np.random.Generator) -> list[Case]:
    w = np.array([0.5, -1.0])
    cases = [
        Case((w, 0.0, np.array([1.0, 2.0]), 1, 0.1), label="positive example predicted 0"),
        Case((w, 0.0, np.array([2.0, 0.5]), 0, 0.1), label="negative example predicted 1"),
        Case((w, 0.0, np.array([2.0, 0.5]), 1, 0.1), label="already correct: nothing changes"),
        Case((w, 0.0, np.array([2.0, 1.0]), 0, 1.0), label="w . x + b = 0 exactly: predicted 1"),
    ]
    for i in range(3):
        d = int(rng.integers(2, 6))
        cases.append(
            Case(
                (
                    rng.normal(size=d),
                    float(rng.normal()),
                    rng.normal(size=d),
                    int(rng.integers(0, 2)),
                    float(rng.uniform(0.05, 1.0)),
                ),
                label=f"random example {i + 1} with D = {d}",
            )
        )
    return cases


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
        forbid=_FORBID,
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


def _train_cases(rng: np.random.Generator) -> list[Case]:
    and_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases = [
        Case((and_x, np.array([0, 0, 0, 1]), 10, 1.0), label="logical AND, 10 epochs"),
        Case((and_x, np.array([0, 1, 1, 1]), 1, 0.5), label="logical OR, 1 epoch"),
        Case((and_x, np.array([0, 1, 1, 0]), 3, 1.0), label="XOR, 3 epochs (never converges)"),
    ]
    n = int(rng.integers(10, 30))
    x = np.column_stack([rng.integers(0, 4, size=n).astype(float), rng.uniform(0.3, 0.7, size=n)])
    y = (x @ np.array([1.0, -5.0]) + 1.75 >= 0).astype(np.int64)
    cases.append(Case((x, y, 5, 0.1), label=f"motif count and GC fraction, N = {n}"))
    return cases


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
        forbid=_FORBID,
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
