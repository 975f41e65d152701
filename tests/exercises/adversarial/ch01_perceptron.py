"""Chapter 1, the perceptron (update rule, training loop) — wrong and correct answers
(re-exported by :mod:`tests.exercises.adversarial.ch01`; same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]


# --------------------------------------------------------------------------- perceptron update


def pu_in_place(w, b, x, y, lr):
    err = y - (1 if w @ x + b >= 0 else 0)
    w += lr * err * x
    return w, b + lr * err


def pu_sign(w, b, x, y, lr):
    err = y - np.sign(w @ x + b)  # sign() is -1, 0 or 1, not step()
    return w + lr * err * x, b + lr * err


def pu_threshold_half(w, b, x, y, lr):
    err = y - (1 if w @ x + b >= 0.5 else 0)
    return w + lr * err * x, b + lr * err


def pu_bias_not_in_prediction(w, b, x, y, lr):
    err = y - (1 if w @ x >= 0 else 0)
    return w + lr * err * x, b + lr * err


def pu_plus_minus_one(w, b, x, y, lr):
    t = 2 * y - 1  # the {-1, +1} textbook rule: update when t z <= 0
    if t * (w @ x + b) <= 0:
        return w + lr * t * x, b + lr * t
    return w.copy(), b


def pu_bias_array(w, b, x, y, lr):
    err = y - (1 if w @ x + b >= 0 else 0)
    return w + lr * err * x, np.array([b + lr * err])


def pu_loop(w, b, x, y, lr):
    z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
    err = y - (1 if z >= 0 else 0)
    return np.array([wi + lr * err * xi for wi, xi in zip(w, x, strict=True)]), b + lr * err


def pu_heaviside(w, b, x, y, lr):
    err = y - np.heaviside(np.dot(w, x) + b, 1.0)
    return w + (lr * err) * x, float(b + lr * err)


# --------------------------------------------------------------------------- train perceptron


def _perceptron_epochs(X, y, epochs, lr, w, b, *, order=None, strict=False):
    for _ in range(epochs):
        for i in range(len(X)) if order is None else order:
            z = X[i] @ w + b
            err = y[i] - (1 if (z > 0 if strict else z >= 0) else 0)
            w, b = w + lr * err * X[i], b + lr * err
    return w, b


def tp_default_lr(X, y, epochs, lr=0.1):
    return _perceptron_epochs(X, y, epochs, lr, np.zeros(X.shape[1]), 0.0)


def tp_shuffled(X, y, epochs, lr=1.0):
    rng = np.random.default_rng(0)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        w, b = _perceptron_epochs(X, y, 1, lr, w, b, order=rng.permutation(len(X)))
    return w, b


def tp_one_short(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(1, epochs):
        w, b = _perceptron_epochs(X, y, 1, lr, w, b)
    return w, b


def tp_random_init(X, y, epochs, lr=1.0):
    w = np.random.default_rng(0).normal(scale=0.01, size=X.shape[1])  # "never start at 0"
    return _perceptron_epochs(X, y, epochs, lr, w, 0.0)


def tp_plus_minus_one(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            t = 2 * yi - 1
            if t * (xi @ w + b) <= 0:
                w, b = w + lr * t * xi, b + lr * t
    return w, b


def tp_indices(X, y, epochs, lr=1.0):
    return _perceptron_epochs(X, y, epochs, lr, np.zeros(X.shape[1]), 0.0)


def tp_while(X, y, epochs, lr=1.0):
    w, b, done = np.zeros(X.shape[1]), 0.0, 0
    while done < epochs:
        for xi, yi in zip(X, y, strict=True):
            err = yi - np.heaviside(xi @ w + b, 1.0)
            w += lr * err * xi  # w is our own array: updating it in place is fine
            b += lr * err
        done += 1
    return w, float(b)


# --------------------------------------------------------------------------- tables

_and_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

WRONG = {
    "ch1.perceptron_update": [
        (pu_in_place, "w += ... modifies the caller's w (the text forbids it)", "mutated input"),
        (pu_sign, "predicts with np.sign (-1/0/1) instead of step (0/1)", None),
        (pu_threshold_half, "thresholds z at 0.5 (a probability habit) instead of 0", None),
        (pu_bias_not_in_prediction, "predicts with w . x, leaving b out of z", None),
        (pu_plus_minus_one, "+-1 textbook rule: updates when y = 1 and z = 0 exactly", None),
        (pu_bias_array, "returns b as a (1,) array instead of a number", None),
    ],
    "ch1.train_perceptron": [
        (tp_default_lr, "default lr is 0.1, not 1.0", None),
        (tp_shuffled, "visits the examples in a shuffled order, not in order", None),
        (tp_one_short, "range(1, epochs): one epoch too few", None),
        (tp_random_init, "starts from small random weights instead of w = 0", None),
        (tp_plus_minus_one, "+-1 textbook rule: also updates when y = 1 and z = 0", None),
    ],
}

CORRECT = {
    "ch1.perceptron_update": [pu_loop, pu_heaviside],
    "ch1.train_perceptron": [tp_indices, tp_while],
}

WITNESSES = {
    "ch1.perceptron_update": [
        (np.array([0.5, -1.0]), 0.0, np.array([2.0, 1.0]), 1, 0.1),  # z = 0, y = 1: no change
        (np.array([0.5, -1.0]), 0.0, np.array([2.0, 0.8]), 1, 0.1),  # z = 0.2: predicted 1
        (np.array([0.5, -1.0]), 0.5, np.array([1.0, 1.5]), 1, 0.3),  # z = -0.5 < 0, b matters
        (np.array([0.5, -1.0]), -1.0, np.array([2.0, 0.5]), 0, 0.2),  # z = -0.5: correct
        (np.array([1.0, 1.0]), 0.0, np.array([1.0, 1.0]), 0, 0.5),  # z = 2: wrongly 1
    ],
    "ch1.train_perceptron": [
        (_and_x, np.array([0, 0, 0, 1]), 10),  # lr left at its default
        (_and_x, np.array([0, 0, 0, 1]), 3, 0.5),
        (_and_x, np.array([1, 1, 1, 1]), 2, 1.0),  # y = 1 at z = 0 exactly: no update
        (_and_x, np.array([0, 1, 1, 0]), 1, 1.0),
    ],
}
