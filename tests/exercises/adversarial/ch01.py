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

from tests.exercises.adversarial import ch01_perceptron

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
    **ch01_perceptron.WRONG,
}

CORRECT = {
    "ch1.neuron_forward": [nf_loop, nf_tanh],
    "ch1.sigmoid": [sg_loop, sg_tanh, sg_logaddexp],
    "ch1.sigmoid_derivative": [sd_cosh, sd_cosh_warns, sd_symmetric, sd_product],
    **ch01_perceptron.CORRECT,
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
    **ch01_perceptron.WITNESSES,
}
