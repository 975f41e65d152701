"""Chapter 1 — wrong and correct answers written independently of the mistake catalogue.

``WRONG[id]``: ``(fn, what it gets wrong, expected diagnosis or None)``; ``CORRECT[id]``:
correct answers written differently from the reference; ``WITNESSES[id]``: inputs inside the
exercise's contract (its text in ``chapters/01_neuron/neuron.ipynb``) on which every wrong
answer visibly differs from the reference (or mutates its input, or warns where the text
forbids warnings) and every correct one agrees.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(101)


def _stable(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------- neuron_forward


def nf_float16(x, w, b):
    z = (x @ w + b).astype(np.float16)  # "saves memory"
    return 1 / (1 + np.exp(-z))


def nf_sign(x, w, b):
    return 1 / (1 + np.exp(x @ w + b))


def nf_bias_after(x, w, b):
    return 1 / (1 + np.exp(-(x @ w))) + b


def nf_mean(x, w, b):
    return 1 / (1 + np.exp(-(np.mean(x * w, axis=1) + b)))


def nf_step(x, w, b):
    return (x @ w + b >= 0).astype(float)


def nf_loop(x, w, b):
    out = np.empty(len(x))
    for n, row in enumerate(x):
        z = float(b) + sum(float(xi) * float(wi) for xi, wi in zip(row, w, strict=True))
        out[n] = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    return out


def nf_tanh(x, w, b):
    return 0.5 * (1 + np.tanh(0.5 * (np.einsum("nd,d->n", x, w) + b)))


# --------------------------------------------------------------------------- sigmoid


def sg_float16(z):
    z16 = np.asarray(z).astype(np.float16)
    e = np.exp(-np.abs(z16))
    return np.where(z16 >= 0, 1 / (1 + e), e / (1 + e))


def sg_both_branches(z):
    # np.where evaluates both branches: exp(-z) and exp(z) overflow for large |z|.
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def sg_positive_branch_only(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), 1 / (1 + e))  # copy-paste: negative branch too


def sg_flattened(z):
    return np.array(
        [1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in np.ravel(z)]
    )


def sg_in_place(z):
    neg = z < 0
    z[neg] = -z[neg]  # |z|, in the caller's array
    e = np.exp(-z)
    return np.where(neg, e / (1 + e), 1 / (1 + e))


def sg_clip_500(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))  # fine in float64, overflows in float32


def sg_loop(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    for i, v in np.ndenumerate(z):
        out[i] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out


def sg_tanh(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def sg_logaddexp(z):
    return np.exp(-np.logaddexp(0, -z))


# --------------------------------------------------------------------------- sigmoid derivative


def sd_naive(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2  # inf / inf at z = -800


def sd_float16(z):
    s = _stable(np.asarray(z).astype(np.float16))
    return s * (1 - s)


def sd_twice(z):
    s = _stable(_stable(z))  # the formula applied to s instead of z
    return s * (1 - s)


def sd_no_square(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e)


def sd_abs_in_place(z):
    np.abs(z, out=z)  # symmetric, so use |z| ... in the caller's array
    e = np.exp(-z)
    return e / (1 + e) ** 2


def sd_cosh(z):
    with np.errstate(over="ignore"):
        return 0.25 / np.cosh(z / 2) ** 2


def sd_cosh_warns(z):
    return 0.25 / np.cosh(z / 2) ** 2  # cosh(400)**2 overflows: a warning, value 0 is right


def sd_symmetric(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def sd_product(z):
    return _stable(z) * _stable(-z)


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

WRONG = {
    "ch1.neuron_forward": [
        (nf_float16, "computes z and the sigmoid in float16 (about 3 digits)", None),
        (nf_sign, "sign error inside exp: returns sigmoid(-z)", None),
        (nf_bias_after, "adds b after the sigmoid instead of before", None),
        (nf_mean, "averages the weighted inputs instead of summing them", None),
        (nf_step, "returns the perceptron's step output instead of the sigmoid", None),
    ],
    "ch1.sigmoid": [
        (sg_float16, "computes and returns float16 for float64 input", None),
        (
            sg_both_branches,
            "np.where evaluates both branches: overflow warnings",
            "numerical warning",
        ),
        (sg_positive_branch_only, "uses 1/(1+e) for negative z too: sigmoid(|z|)", None),
        (sg_flattened, "loop over np.ravel(z) returns a flat array, shape lost", None),
        (sg_in_place, "overwrites z with |z| in the caller's array", "mutated input"),
        (sg_clip_500, "clips at +-500: float32 input overflows exp (warning)", "numerical warning"),
    ],
    "ch1.sigmoid_derivative": [
        (sd_naive, "exp(-z) / (1 + exp(-z))**2: inf/inf = nan for z << 0", None),
        (sd_float16, "computes and returns float16 for float64 input", None),
        (sd_twice, "applies the sigmoid twice: s(s(z))(1 - s(s(z)))", None),
        (sd_no_square, "forgets the square: e / (1 + e) = sigmoid(-|z|)", None),
        (sd_abs_in_place, "np.abs(z, out=z) overwrites the caller's array", "mutated input"),
    ],
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
    "ch1.neuron_forward": [nf_loop, nf_tanh],
    "ch1.sigmoid": [sg_loop, sg_tanh, sg_logaddexp],
    "ch1.sigmoid_derivative": [sd_cosh, sd_cosh_warns, sd_symmetric, sd_product],
    "ch1.perceptron_update": [pu_loop, pu_heaviside],
    "ch1.train_perceptron": [tp_indices, tp_while],
}

_and_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

WITNESSES = {
    "ch1.neuron_forward": [
        (_rng.normal(size=(6, 3)), _rng.normal(size=3), 0.7),
        (_rng.normal(size=(4, 5)).astype(np.float32), _rng.normal(size=5).astype(np.float32), -1.2),
        (np.array([[2.0, -1.0], [0.0, 0.0]]), np.array([3.0, 1.0]), -4.0),
    ],
    "ch1.sigmoid": [
        (np.array([-1000.0, -745.0, -300.0, -30.0, -1.5, 0.0, 0.25, 30.0, 700.0, 1000.0]),),
        (np.array([-150.0, -100.0, -20.0, -0.5, 3.0, 95.0, 150.0], dtype=np.float32),),
        (_rng.normal(scale=4.0, size=(3, 4)),),
    ],
    "ch1.sigmoid_derivative": [
        (np.array([-800.0, -40.0, -3.0, 0.0, 0.7, 25.0, 800.0]),),
        (_rng.normal(scale=3.0, size=(2, 5)),),
        (np.array([-90.0, -2.0, 0.5, 90.0], dtype=np.float32),),
    ],
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
