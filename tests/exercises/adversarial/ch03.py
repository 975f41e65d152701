"""Chapter 3 — wrong and correct answers written independently of the mistake catalogue.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/03_backprop/backprop.ipynb``.
"""

from __future__ import annotations

import math

import numpy as np

from tests.exercises.adversarial import ch03_gradcheck

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(303)


def _stable(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------- sigmoid_backward


def sb_float16(z, grad_out):
    s = _stable(z.astype(np.float16))
    return grad_out.astype(np.float16) * s * (1 - s)


def sb_naive(z, grad_out):
    e = np.exp(-z)
    return grad_out * e / (1 + e) ** 2  # inf / inf = nan for z << 0


def sb_sign(z, grad_out):
    s = _stable(z)
    return grad_out * s * (s - 1)


def sb_summed_upstream(z, grad_out):
    s = _stable(z)
    return grad_out.sum() * s * (1 - s)


def sb_in_place(z, grad_out):
    s = _stable(z)
    grad_out *= s * (1 - s)
    return grad_out


def sb_product(z, grad_out):
    return grad_out * _stable(z) * _stable(-z)


def sb_cosh(z, grad_out):
    with np.errstate(over="ignore"):
        return grad_out * 0.25 / np.cosh(0.5 * z) ** 2


def sb_loop(z, grad_out):
    out = np.empty(np.shape(z), dtype=np.result_type(z, grad_out))
    for i, v in np.ndenumerate(z):
        e = math.exp(-abs(float(v)))
        out[i] = grad_out[i] * e / (1 + e) ** 2
    return out


# --------------------------------------------------------------------------- relu_backward


def rb_in_place(z, grad_out):
    grad_out[z <= 0] = 0
    return grad_out


def rb_sign(z, grad_out):
    return grad_out * np.sign(z)  # -1 where z < 0


def rb_clipped_grad(z, grad_out):
    return np.clip(grad_out, 0, None) * (z > 0)  # ReLU applied to the gradient too


def rb_float16(z, grad_out):
    return (grad_out * (z > 0)).astype(np.float16)


def rb_clamped(z, grad_out):
    return grad_out * np.clip(z, 0, 1)  # "slope rises to 1"


def rb_where(z, grad_out):
    return np.where(z > 0, grad_out, 0.0).astype(grad_out.dtype)


def rb_heaviside(z, grad_out):
    return grad_out * np.heaviside(z, 0.0)


def rb_copy_then_zero(z, grad_out):
    out = grad_out.copy()
    out[~(z > 0)] = 0
    return out


# --------------------------------------------------------------------------- dense_backward


def db_float16(x, W, grad_out):
    x, W, g = x.astype(np.float16), W.astype(np.float16), grad_out.astype(np.float16)
    return g @ W.T, x.T @ g, g.sum(axis=0)


def db_bias_axis1(x, W, grad_out):
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=1)


def db_keepdims(x, W, grad_out):
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0, keepdims=True)


def db_order(x, W, grad_out):
    return x.T @ grad_out, grad_out @ W.T, grad_out.sum(axis=0)  # (dW, dx, db)


def db_dw_mean(x, W, grad_out):
    return grad_out @ W.T, x.T @ grad_out / len(x), grad_out.sum(axis=0)


def db_einsum(x, W, grad_out):
    return (
        np.einsum("nh,dh->nd", grad_out, W),
        np.einsum("nd,nh->dh", x, grad_out),
        np.einsum("nh->h", grad_out),
    )


def db_outer_loop(x, W, grad_out):
    dW = np.zeros(W.shape, dtype=np.result_type(x, grad_out))
    db = np.zeros(W.shape[1], dtype=grad_out.dtype)
    for n in range(len(x)):
        dW += np.outer(x[n], grad_out[n])
        db += grad_out[n]
    return (W @ grad_out.T).T, dW, db


# --------------------------------------------------------------------------- softmax + CE backward


def _onehot(targets, shape):
    out = np.zeros(shape)
    out[np.arange(shape[0]), targets] = 1.0
    return out


def ce_global_max(logits, targets):
    e = np.exp(logits - logits.max())  # one max for the whole batch
    p = e / e.sum(axis=1, keepdims=True)
    return (p - _onehot(targets, p.shape)) / len(logits)


def ce_float16(logits, targets):
    z = logits.astype(np.float16)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(z)), targets] -= 1
    return p / len(z)


def ce_column_indexing(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[:, targets] -= 1  # selects whole columns, not one entry per row
    return p / len(logits)


def ce_over_c(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return (p - _onehot(targets, p.shape)) / logits.shape[1]


def ce_in_place(logits, targets):
    logits -= logits.max(axis=1, keepdims=True)  # shifts the caller's logits
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    return (p - _onehot(targets, p.shape)) / len(logits)


def ce_log_softmax(logits, targets):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return (np.exp(log_p) - np.eye(logits.shape[1])[targets]) / logits.shape[0]


def ce_rows(logits, targets):
    out = np.empty(logits.shape, dtype=logits.dtype)
    for n, row in enumerate(logits):
        e = np.exp(row - row.max())
        out[n] = e / e.sum()
        out[n, targets[n]] -= 1.0
    return out / len(logits)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch3.sigmoid_backward": [
        (sb_float16, "computes and returns float16", None),
        (sb_naive, "e^-z / (1 + e^-z)^2 overflows to nan for z << 0", None),
        (sb_sign, "s (s - 1): the sign is flipped", None),
        (sb_summed_upstream, "multiplies by grad_out.sum() instead of elementwise", None),
        (sb_in_place, "grad_out *= ...: modifies the caller's array", "mutated input"),
    ],
    "ch3.relu_backward": [
        (rb_in_place, "grad_out[z <= 0] = 0 edits the caller's array", "mutated input"),
        (rb_sign, "grad_out * sign(z): negative z passes -grad_out", None),
        (rb_clipped_grad, "also clips the gradient at 0", None),
        (rb_float16, "returns float16", None),
        (rb_clamped, "grad_out * clip(z, 0, 1): slope z on 0 < z < 1", None),
    ],
    "ch3.dense_backward": [
        (db_float16, "computes all three in float16", None),
        (db_bias_axis1, "db sums over axis 1 (units) instead of axis 0 (examples)", None),
        (db_keepdims, "db keeps a (1, H) axis", None),
        (db_order, "returns (dW, dx, db): the tuple order is swapped", None),
        (db_dw_mean, "divides dW (only) by N", None),
    ],
    "ch3.softmax_cross_entropy_backward": [
        (ce_global_max, "subtracts the batch's max, not each row's: 0/0 in low rows", None),
        (ce_float16, "computes in float16", None),
        (ce_column_indexing, "p[:, targets] -= 1 subtracts from whole columns", None),
        (ce_over_c, "divides by C instead of N", None),
        (ce_in_place, "logits -= max modifies the caller's logits", "mutated input"),
    ],
    **ch03_gradcheck.WRONG,
}

CORRECT = {
    "ch3.sigmoid_backward": [sb_product, sb_cosh, sb_loop],
    "ch3.relu_backward": [rb_where, rb_heaviside, rb_copy_then_zero],
    "ch3.dense_backward": [db_einsum, db_outer_loop],
    "ch3.softmax_cross_entropy_backward": [ce_log_softmax, ce_rows],
    **ch03_gradcheck.CORRECT,
}

_z = _rng.normal(scale=3.0, size=(3, 4))
_x, _W, _g = _rng.normal(size=(5, 3)), _rng.normal(size=(3, 2)), _rng.normal(size=(5, 2))

WITNESSES = {
    "ch3.sigmoid_backward": [
        (np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 800.0]), np.array([1.0, 2, -1, 0.5, 3, 1])),
        (_z, _rng.normal(size=(3, 4))),
        (_z.astype(np.float32), np.ones((3, 4), np.float32)),
    ],
    "ch3.relu_backward": [
        (np.array([-2.0, -0.1, 0.0, 0.3, 0.9, 4.0]), np.array([1.0, -2, 3, -4, 5, -6])),
        (_z.astype(np.float32), _rng.normal(size=(3, 4)).astype(np.float32)),
    ],
    "ch3.dense_backward": [
        (_x, _W, _g),
        (_x[:3], _rng.normal(size=(3, 3)), _g[:3, :1] @ [[1, 2, 3]]),
    ],
    "ch3.softmax_cross_entropy_backward": [
        (np.array([[1000.0, 0.0, -5.0], [-1000.0, -1001.0, -1003.0]]), np.array([0, 2])),
        (_rng.normal(size=(4, 3)), np.array([0, 0, 1, 0])),
        (_rng.normal(size=(3, 5)).astype(np.float32), np.array([4, 1, 1])),
    ],
    **ch03_gradcheck.WITNESSES,
}
