"""Chapter 3, gradient checking (central differences, relative error) — wrong and correct
answers (re-exported by :mod:`tests.exercises.adversarial.ch03`; same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(333)


# --------------------------------------------------------------------------- numerical gradient


def _central(w, eps, loss):
    grad = np.zeros(len(w))
    for i in range(len(w)):
        wp, wm = w.copy(), w.copy()
        wp[i] += eps
        wm[i] -= eps
        grad[i] = (loss(wp) - loss(wm)) / (2 * eps)
    return grad


def ng_naive_log(w, X, y, eps):
    def loss(v):
        z = X @ v
        return np.mean(np.log(1 + np.exp(z)) - y * z)  # exp(z) overflows for z > 709

    return _central(w, eps, loss)


def ng_bce_probabilities(w, X, y, eps):
    def loss(v):
        s = 1 / (1 + np.exp(-(X @ v)))  # s rounds to 1 for z > 37: log(0)
        return -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))

    return _central(w, eps, loss)


def ng_alias(w, X, y, eps):
    grad = np.zeros(len(w))
    for i in range(len(w)):
        wp, wm = w, w.copy()  # wp is w itself
        wp[i] += eps
        wm[i] -= eps
        lp = np.mean(np.logaddexp(0, X @ wp) - y * (X @ wp))
        lm = np.mean(np.logaddexp(0, X @ wm) - y * (X @ wm))
        grad[i] = (lp - lm) / (2 * eps)
    return grad


def ng_no_label_term(w, X, y, eps):
    return _central(w, eps, lambda v: np.mean(np.logaddexp(0, X @ v)))


def ng_float32(w, X, y, eps):
    X32, y32 = X.astype(np.float32), y.astype(np.float32)

    def loss(v):
        z = X32 @ v.astype(np.float32)
        return np.mean(np.logaddexp(np.float32(0), z) - y32 * z)

    return _central(w, eps, loss)


def ng_matrix(w, X, y, eps):
    shifts = eps * np.eye(len(w))  # (D, D): row i moves weight i
    zp, zm = X @ (w + shifts).T, X @ (w - shifts).T  # (N, D) each
    lp = np.mean(np.logaddexp(0, zp) - y[:, None] * zp, axis=0)
    lm = np.mean(np.logaddexp(0, zm) - y[:, None] * zm, axis=0)
    return (lp - lm) / (2 * eps)


def ng_stable_formula(w, X, y, eps):
    def loss(v):
        z = X @ v
        return np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z)

    return _central(w, eps, loss)


# --------------------------------------------------------------------------- relative error


def re_additive_floor(a, n):
    return np.abs(a - n) / (np.abs(a) + np.abs(n) + 1e-12)


def re_floor_1e8(a, n):
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)


def re_abs_of_sum(a, n):
    return np.abs(a - n) / np.maximum(np.abs(a + n), 1e-12)


def re_global_scale(a, n):
    scale = max(float((np.abs(a) + np.abs(n)).max()), 1e-12)  # one scale for the whole array
    return np.abs(a - n) / scale


def re_max(a, n):
    return (np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)).max()


def re_clip(a, n):
    return np.abs(np.subtract(a, n)) / np.clip(np.abs(a) + np.abs(n), 1e-12, None)


def re_loop(a, n):
    out = np.empty(np.shape(a), dtype=np.result_type(a, n))
    for i, ai in np.ndenumerate(a):
        ai, ni = float(ai), float(n[i])
        out[i] = abs(ai - ni) / max(abs(ai) + abs(ni), 1e-12)
    return out


# --------------------------------------------------------------------------- tables

_kmers = _rng.integers(0, 4, size=(6, 3)).astype(np.float64)

WRONG = {
    "ch3.numerical_gradient_logistic": [
        (ng_naive_log, "log(1 + exp(z)) overflows for large z", None),
        (ng_bce_probabilities, "loss from probabilities: log(1 - s) = -inf once s = 1", None),
        (ng_alias, "wp = w aliases w: w drifts by eps per entry", "mutated input"),
        (ng_no_label_term, "forgets the - y z term of the loss", None),
        (ng_float32, "computes the loss in float32: cancellation in the difference", None),
    ],
    "ch3.relative_error": [
        (re_additive_floor, "adds 1e-12 to the denominator instead of flooring it", None),
        (re_floor_1e8, "floors the denominator at 1e-8 instead of 1e-12", None),
        (re_abs_of_sum, "|a + n| instead of |a| + |n| in the denominator", None),
        (re_global_scale, "divides by the largest |a| + |n| of the array, not entrywise", None),
        (re_max, "returns the max, a single number, not the array", None),
    ],
}

CORRECT = {
    "ch3.numerical_gradient_logistic": [ng_matrix, ng_stable_formula],
    "ch3.relative_error": [re_clip, re_loop],
}

WITNESSES = {
    "ch3.numerical_gradient_logistic": [
        (np.array([0.3, -0.2, 0.1]), _kmers, np.array([1, 0, 1, 1, 0, 0]), 1e-5),
        (
            np.array([100.0, -50.0]),
            np.array([[9.0, 1.0], [0.0, 3.0], [8.0, 0.0]]),
            np.array([1, 0, 0]),
            1e-4,
        ),  # |z| up to 900
    ],
    "ch3.relative_error": [
        (np.array([1e-13, 0.0, 2e-10, 1.0, -3.0]), np.array([2e-13, 0.0, 1e-10, 1.0001, 3.0])),
        (_rng.normal(size=(2, 3)), _rng.normal(size=(2, 3))),
    ],
}
