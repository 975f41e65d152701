"""Chapter 4 — wrong and correct answers written independently of the mistake catalogue.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/04_training/training.ipynb``. The minibatch answers live in
:mod:`tests.exercises.adversarial.ch04_loops`.
"""

from __future__ import annotations

import math

import numpy as np

from tests.exercises.adversarial import ch04_loops

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(404)


# --------------------------------------------------------------------------- MSE


def mse_float16(pred, target):
    d = pred.astype(np.float16) - target.astype(np.float16)
    return float(np.mean(d**2)), 2 * d / d.size


def mse_axis0(pred, target):
    d = pred - target
    return np.mean(d**2, axis=0), 2 * d / d.size  # a (G,) array for (N, G) input


def mse_rows_times_cols(pred, target):
    d = pred - target
    count = d.shape[0] * d.shape[-1]  # the number of entries ... of a 1-D or 2-D array
    return float(np.sum(d**2) / count), 2 * d / count


def mse_in_place(pred, target):
    pred -= target  # the caller's predictions are gone
    return float(np.mean(pred**2)), 2 * pred / pred.size


def mse_rmse(pred, target):
    d = pred - target
    rmse = float(np.sqrt(np.mean(d**2)))
    return rmse, d / (d.size * max(rmse, 1e-300))


def mse_loop(pred, target):
    flat_p, flat_t = np.ravel(pred), np.ravel(target)
    n = flat_p.size
    loss = math.fsum((float(p) - float(t)) ** 2 for p, t in zip(flat_p, flat_t, strict=True)) / n
    return loss, np.reshape(
        [2 * (p - t) / n for p, t in zip(flat_p, flat_t, strict=True)], pred.shape
    )


def mse_square(pred, target):
    d = np.subtract(pred, target)
    return np.square(d).sum() / d.size, np.multiply(d, 2.0 / d.size)


# --------------------------------------------------------------------------- cross-entropy


def _logsumexp_rows(z):
    m = z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))  # (N, 1)


def xe_global_max(logits, targets):
    shifted = logits - logits.max()  # one max for the whole batch
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(targets)
    p = np.exp(log_p)
    p[np.arange(n), targets] -= 1
    return float(-log_p[np.arange(n), targets].mean()), p / n


def xe_log_eps(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = len(targets)
    loss = float(-np.mean(np.log(p[np.arange(n), targets] + 1e-12)))  # "avoids log(0)"
    p[np.arange(n), targets] -= 1
    return loss, p / n


def xe_float16(logits, targets):
    z = logits.astype(np.float16)
    log_p = z - _logsumexp_rows(z)
    n = len(targets)
    p = np.exp(log_p)
    p[np.arange(n), targets] -= 1
    return float(-log_p[np.arange(n), targets].mean()), p / n


def xe_column_indexing(logits, targets):
    log_p = logits - _logsumexp_rows(logits)
    n = len(targets)
    grad = np.exp(log_p)
    grad[np.arange(n), targets] -= 1
    return float(-log_p[:, targets].mean()), grad / n  # (N, N) picks for the loss


def xe_in_place(logits, targets):
    logits -= logits.max(axis=1, keepdims=True)  # shifts the caller's logits
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = len(targets)
    grad = np.exp(log_p)
    grad[np.arange(n), targets] -= 1
    return float(-log_p[np.arange(n), targets].mean()), grad / n


def xe_logaddexp_rows(logits, targets):
    n = len(targets)
    lse = np.array([np.logaddexp.reduce(row) for row in logits.astype(np.float64)])  # (N,)
    picked = logits[np.arange(n), targets]
    loss = float(np.mean(lse - picked))
    grad = np.exp(logits - lse[:, None]) - np.eye(logits.shape[1])[targets]
    return loss, grad / n


def xe_take_along(logits, targets):
    log_p = logits - _logsumexp_rows(logits)
    picked = np.take_along_axis(log_p, targets[:, None], axis=1)  # (N, 1)
    onehot = np.zeros_like(log_p)
    np.put_along_axis(onehot, targets[:, None], 1.0, axis=1)
    return -float(picked.sum()) / len(targets), (np.exp(log_p) - onehot) / len(targets)


# --------------------------------------------------------------------------- SGD with momentum


def sgd_in_place(param, grad, velocity, lr, momentum):
    velocity *= momentum
    velocity += grad
    param -= lr * velocity
    return param, velocity


def sgd_step_with_grad(param, grad, velocity, lr, momentum):
    v = momentum * velocity + grad
    return param - lr * grad, v  # the velocity is computed, then not used


def sgd_nesterov(param, grad, velocity, lr, momentum):
    v = momentum * velocity + grad
    return param - lr * (grad + momentum * v), v


def sgd_float16(param, grad, velocity, lr, momentum):
    v = momentum * velocity.astype(np.float16) + grad.astype(np.float16)
    return param.astype(np.float16) - lr * v, v


def sgd_parenthesis(param, grad, velocity, lr, momentum):
    v = momentum * (velocity + grad)
    return param - lr * v, v


def sgd_loop(param, grad, velocity, lr, momentum):
    p, v = np.array(param, copy=True), np.array(velocity, copy=True)
    for i in np.ndindex(p.shape):
        v[i] = momentum * v[i] + grad[i]
        p[i] = p[i] - lr * v[i]
    return p, v


def sgd_ufuncs(param, grad, velocity, lr, momentum):
    v = np.add(np.multiply(velocity, momentum), grad)
    return np.subtract(param, np.multiply(v, lr)), v


# --------------------------------------------------------------------------- Adam


def adam_fixed_eps(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + 1e-8), m, v  # eps argument ignored


def adam_default_betas(param, grad, m, v, t, lr, beta1, beta2, eps):
    b1, b2 = 0.9, 0.999  # the paper's defaults, whatever was passed
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return param - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def adam_times_t(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1 * t), v / (1 - beta2 * t)  # * instead of **
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_float16(param, grad, m, v, t, lr, beta1, beta2, eps):
    p, g = param.astype(np.float16), grad.astype(np.float16)
    m = beta1 * m.astype(np.float16) + (1 - beta1) * g
    v = beta2 * v.astype(np.float16) + (1 - beta2) * g * g
    return p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def adam_in_place(param, grad, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def adam_paper_form(param, grad, m, v, t, lr, beta1, beta2, eps):
    # Kingma & Ba's efficient form: step size lr sqrt(1 - b2^t) / (1 - b1^t), eps rescaled.
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    root = math.sqrt(1 - beta2**t)
    step = lr * root / (1 - beta1**t)
    return param - step * m / (np.sqrt(v) + eps * root), m, v


def adam_loop(param, grad, m, v, t, lr, beta1, beta2, eps):
    p, m_new, v_new = param.copy(), m.copy(), v.copy()
    for i in np.ndindex(p.shape):
        m_new[i] = beta1 * m[i] + (1 - beta1) * grad[i]
        v_new[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i]
        m_hat = m_new[i] / (1 - beta1**t)
        v_hat = v_new[i] / (1 - beta2**t)
        p[i] = p[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p, m_new, v_new


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch4.mse_loss_and_grad": [
        (mse_float16, "computes in float16", None),
        (mse_axis0, "np.mean(..., axis=0): a per-column loss for 2-D input", None),
        (mse_rows_times_cols, "counts entries as shape[0] * shape[-1]: wrong for 3-D", None),
        (mse_in_place, "pred -= target overwrites the caller's predictions", "mutated input"),
        (mse_rmse, "returns the root mean squared error", None),
    ],
    "ch4.cross_entropy_loss_and_grad": [
        (xe_global_max, "subtracts the batch's max, not each row's: log(0) in low rows", None),
        (xe_log_eps, "log(p + 1e-12): the loss is capped at 27.6", None),
        (xe_float16, "computes in float16", None),
        (xe_column_indexing, "log_p[:, targets] picks an (N, N) block for the loss", None),
        (xe_in_place, "logits -= max modifies the caller's logits", "mutated input"),
    ],
    "ch4.sgd_step": [
        (
            sgd_in_place,
            "updates param and velocity in place (the text forbids it)",
            "mutated input",
        ),
        (sgd_step_with_grad, "steps with the gradient instead of the new velocity", None),
        (sgd_nesterov, "Nesterov's step g + momentum v instead of v", None),
        (sgd_float16, "computes in float16", None),
        (sgd_parenthesis, "momentum * (velocity + grad)", None),
    ],
    "ch4.adam_step": [
        (adam_fixed_eps, "ignores the eps argument (always 1e-8)", None),
        (adam_default_betas, "ignores beta1/beta2 (always 0.9/0.999)", None),
        (adam_times_t, "bias correction 1 - beta * t instead of 1 - beta ** t", None),
        (adam_float16, "computes in float16", None),
        (adam_in_place, "m *= beta1 etc. modify the caller's m and v", "mutated input"),
    ],
    **ch04_loops.WRONG,
}

CORRECT = {
    "ch4.mse_loss_and_grad": [mse_loop, mse_square],
    "ch4.cross_entropy_loss_and_grad": [xe_logaddexp_rows, xe_take_along],
    "ch4.sgd_step": [sgd_loop, sgd_ufuncs],
    "ch4.adam_step": [adam_paper_form, adam_loop],
    **ch04_loops.CORRECT,
}

_p3 = _rng.normal(size=(2, 3, 2))
_g1e8 = np.array([1e-8, -3e-9, 2.0])

WITNESSES = {
    "ch4.mse_loss_and_grad": [
        (_p3, _rng.normal(size=(2, 3, 2))),
        (_rng.normal(size=(4, 3)), _rng.normal(size=(4, 3))),
        (np.array([1.0, -2.0, 0.5]), np.array([1.5, -2.0, 0.0])),
    ],
    "ch4.cross_entropy_loss_and_grad": [
        (
            np.array([[1e4, 0.0, -1e4], [-2e3, -2.5e3, -2.1e3], [1.0, 2.0, 3.0]]),
            np.array([2, 1, 0]),
        ),
        (np.array([[200.0, 100.0], [-300.0, 150.0]], dtype=np.float32), np.array([1, 0])),
        (_rng.normal(scale=3.0, size=(4, 3)), np.array([0, 2, 2, 1])),
    ],
    "ch4.sgd_step": [
        (_rng.normal(size=(2, 3)), _rng.normal(size=(2, 3)), _rng.normal(size=(2, 3)), 0.1, 0.9),
        (np.array([1.0, -1.0]), np.array([0.5, 2.0]), np.zeros(2), 0.3, 0.0),
    ],
    "ch4.adam_step": [
        (np.ones(3), _g1e8, np.zeros(3), np.zeros(3), 1, 0.01, 0.9, 0.999, 1e-3),
        (np.ones(3), _g1e8, 0.1 * _g1e8, 1e-3 * _g1e8**2, 3, 0.05, 0.5, 0.9, 1e-8),
        (
            _rng.normal(size=(2, 2)),
            _rng.normal(size=(2, 2)),
            0.1 * np.ones((2, 2)),
            0.2 * np.ones((2, 2)),
            40,
            0.001,
            0.9,
            0.999,
            1e-8,
        ),
    ],
    **ch04_loops.WITNESSES,
}
