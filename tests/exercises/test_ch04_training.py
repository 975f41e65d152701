"""Chapter 4 checks: correct variants pass (loops vs vectorized, float32, different but equivalent
formulas); specific wrong answers fail. The catalogued mutants are tested for every exercise in
test_check.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch04


# ---- mse_loss_and_grad
def mse_loop(pred, target):
    p, t = pred.ravel().tolist(), target.ravel().tolist()
    n = len(p)
    loss = sum((a - b) ** 2 for a, b in zip(p, t, strict=True)) / n
    grad = np.array([2 * (a - b) / n for a, b in zip(p, t, strict=True)]).reshape(pred.shape)
    return loss, grad


def mse_vectorized(pred, target):
    diff = np.subtract(pred, target)
    return np.mean(diff**2), diff * (2.0 / diff.size)  # np.float64 loss is fine too


def mse_input_dtype(pred, target):
    diff = pred - target  # float32 stays float32
    return np.mean(diff * diff), (2 * diff / diff.dtype.type(diff.size))


def test_mse_variants_pass():
    for fn in (mse_loop, mse_vectorized, mse_input_dtype):
        assert_passes("ch4.mse_loss_and_grad", fn)


def test_mse_returning_a_length_one_array_for_the_loss_fails():
    report = assert_fails(
        "ch4.mse_loss_and_grad",
        lambda p, t: (np.atleast_1d(np.mean((p - t) ** 2)), 2 * (p - t) / p.size),
    )
    assert "single number" in report.problem


def test_mse_gradient_only_fails():
    report = assert_fails("ch4.mse_loss_and_grad", lambda p, t: 2 * (p - t) / p.size)
    assert report.status == "failed" and "tuple" in report.problem


# ---- cross_entropy_loss_and_grad
def ce_loop(logits, targets):
    n, c = logits.shape
    loss, grad = 0.0, np.empty((n, c))
    for i in range(n):
        row = [float(v) for v in logits[i]]
        top = max(row)
        s = sum(math.exp(v - top) for v in row)
        loss += -(row[targets[i]] - top - math.log(s))
        for j in range(c):
            grad[i, j] = (math.exp(row[j] - top) / s - (j == targets[i])) / n
    return loss / n, grad


def ce_logaddexp(logits, targets):
    n = len(targets)
    lse = np.logaddexp.reduce(logits, axis=1, keepdims=True)  # (N, 1), stable
    log_p = logits - lse
    onehot = np.eye(logits.shape[1], dtype=logits.dtype)[targets]
    return -np.mean(log_p[np.arange(n), targets]), (np.exp(log_p) - onehot) / n


def ce_same_dtype(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)  # float32 stays float32
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(targets)
    log_p = z - np.log(e.sum(axis=1, keepdims=True))
    p[np.arange(n), targets] -= 1
    return -log_p[np.arange(n), targets].mean(), p / n


def test_cross_entropy_variants_pass():
    for fn in (ce_loop, ce_logaddexp, ce_same_dtype):
        assert_passes("ch4.cross_entropy_loss_and_grad", fn)


def test_cross_entropy_clipping_the_logits_fails_on_large_logits():
    def clipped(logits, targets):
        return ce_logaddexp(np.clip(logits, -50, 50), targets)

    report = assert_fails("ch4.cross_entropy_loss_and_grad", clipped)
    assert "1e4" in report.case_label


def test_cross_entropy_naive_softmax_warns_or_fails():
    def naive(logits, targets):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        n = len(targets)
        return -np.mean(np.log(p[np.arange(n), targets])), (p - np.eye(p.shape[1])[targets]) / n

    assert_fails("ch4.cross_entropy_loss_and_grad", naive, diagnosis="no max subtraction")


def test_cross_entropy_with_one_hot_gradient_shape_error():
    report = assert_fails(
        "ch4.cross_entropy_loss_and_grad",
        lambda z, t: (ce_loop(z, t)[0], ce_loop(z, t)[1].T),
    )
    assert "shape" in report.problem


# ---- sgd_step
def sgd_inplace_on_copies(param, grad, velocity, lr, momentum):
    v = velocity.copy()
    v *= momentum
    v += grad
    p = param.copy()
    p -= lr * v
    return p, v


def sgd_loop(param, grad, velocity, lr, momentum):
    p, v = np.empty_like(param), np.empty_like(velocity)
    for i in np.ndindex(param.shape):
        v[i] = momentum * velocity[i] + grad[i]
        p[i] = param[i] - lr * v[i]
    return p, v


def test_sgd_variants_pass():
    assert_passes("ch4.sgd_step", sgd_inplace_on_copies)
    assert_passes("ch4.sgd_step", sgd_loop)


def test_sgd_updating_in_place_is_caught():
    def inplace(param, grad, velocity, lr, momentum):
        velocity *= momentum
        velocity += grad
        param -= lr * velocity
        return param, velocity

    assert_fails("ch4.sgd_step", inplace, diagnosis="mutated input")


# ---- adam_step
def adam_textbook(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_loop(param, grad, m, v, t, lr, beta1, beta2, eps):
    p_new, m_new, v_new = (np.empty_like(a) for a in (param, m, v))
    for i in np.ndindex(param.shape):
        g = float(grad[i])
        m_new[i] = beta1 * m[i] + (1 - beta1) * g
        v_new[i] = beta2 * v[i] + (1 - beta2) * g * g
        m_hat = m_new[i] / (1 - beta1**t)
        v_hat = v_new[i] / (1 - beta2**t)
        p_new[i] = param[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p_new, m_new, v_new


def test_adam_variants_pass():
    assert_passes("ch4.adam_step", adam_textbook)
    assert_passes("ch4.adam_step", adam_loop)


def test_adam_bias_correction_with_t_minus_one_fails():
    def t_minus_one(param, grad, m, v, t, lr, beta1, beta2, eps):
        with np.errstate(divide="ignore", invalid="ignore"):
            return adam_textbook(
                param, grad, m, v, t - 1 if t > 1 else 1e-12, lr, beta1, beta2, eps
            )

    assert_fails("ch4.adam_step", t_minus_one)


def test_adam_failure_names_t_in_the_case():
    report = assert_fails(
        "ch4.adam_step",
        lambda p, g, m, v, t, lr, b1, b2, eps: (
            adam_textbook(p, g, m, v, t, lr, b1, b2, 0.0)
            if t > 1
            else adam_textbook(p, g, m, v, t, lr, b1, b2, eps)[::-1]
        ),
    )
    assert "t = 1" in report.case_label


# ---- make_minibatches
def batches_listcomp(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    chunks = [order[i : i + batch_size] for i in range(0, len(X), batch_size)]
    return [(X[c], y[c]) for c in chunks]


def batches_while(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    out, start = [], 0
    while start < len(X):
        idx = order[start : start + batch_size]
        out.append((np.take(X, idx, axis=0), np.take(y, idx)))
        start += batch_size
    return tuple(out)


def test_make_minibatches_variants_pass():
    assert_passes("ch4.make_minibatches", batches_listcomp)
    assert_passes("ch4.make_minibatches", batches_while)


def test_array_split_balances_sizes_and_fails():
    def array_split(X, y, batch_size, seed):
        order = np.random.default_rng(seed).permutation(len(X))
        parts = np.array_split(order, -(-len(X) // batch_size))
        return [(X[p], y[p]) for p in parts]

    report = assert_fails("ch4.make_minibatches", array_split)
    assert "shape" in report.problem


def test_make_minibatches_accepts_a_generator_seed():
    from genolearn.exercises import get_exercise

    ref = get_exercise("ch4.make_minibatches").reference
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    rng = np.random.default_rng(5)
    first, second = ref(X, y, 4, rng), ref(X, y, 4, rng)
    assert not np.array_equal(first[0][1], second[0][1])  # a new order every call
    assert np.array_equal(ref(X, y, 4, 5)[0][1], first[0][1])


# ---- train_logistic_regression
def train_with_batches(X, y, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in batches_listcomp(X, y, batch_size, rng):
            z = xb @ w + b
            total += np.sum(np.logaddexp(0, z) - z * yb)
            dz = (0.5 * (1 + np.tanh(z / 2)) - yb) / len(yb)
            w, b = w - lr * dz @ xb, b - lr * dz.sum()
        losses.append(total / len(X))
    return w, b, np.array(losses)


def train_per_sample_sums(X, y, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    w, b = [0.0] * X.shape[1], 0.0
    losses = []
    for _ in range(epochs):
        total = 0.0
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            gw, gb = [0.0] * len(w), 0.0
            for i in idx:
                z = sum(wj * xj for wj, xj in zip(w, X[i], strict=True)) + b
                p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
                total += max(z, 0.0) - z * y[i] + math.log1p(math.exp(-abs(z)))  # stable
                gw = [a + (p - y[i]) * xj for a, xj in zip(gw, X[i], strict=True)]
                gb += p - y[i]
            w = [wj - lr * g / len(idx) for wj, g in zip(w, gw, strict=True)]
            b -= lr * gb / len(idx)
        losses.append(total / len(X))
    return np.array(w), b, np.array(losses)


def test_train_logistic_regression_variants_pass():
    assert_passes("ch4.train_logistic_regression", train_with_batches)
    assert_passes("ch4.train_logistic_regression", train_per_sample_sums)


def test_train_with_the_fresh_int_seed_every_epoch_is_diagnosed():
    def reseeding(X, y, lr, epochs, batch_size, seed):
        w, b, losses = np.zeros(X.shape[1]), 0.0, []
        for _ in range(epochs):
            total = 0.0
            for xb, yb in batches_listcomp(X, y, batch_size, seed):
                z = xb @ w + b
                total += np.sum(np.logaddexp(0, z) - z * yb)
                dz = (1 / (1 + np.exp(-z)) - yb) / len(yb)
                w, b = w - lr * dz @ xb, b - lr * dz.sum()
            losses.append(total / len(X))
        return w, b, np.array(losses)

    assert_fails("ch4.train_logistic_regression", reseeding, diagnosis="same order every epoch")


def test_train_with_log_of_sigmoid_fails_where_z_reaches_the_hundreds():
    def log_of_sigmoid(X, y, lr, epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        w, b, losses = np.zeros(X.shape[1]), 0.0, []
        for _ in range(epochs):
            total = 0.0
            for xb, yb in batches_listcomp(X, y, batch_size, rng):
                p = 1 / (1 + np.exp(-(xb @ w + b)))
                total += -np.sum(yb * np.log(p) + (1 - yb) * np.log(1 - p))
                dz = (p - yb) / len(yb)
                w, b = w - lr * dz @ xb, b - lr * dz.sum()
            losses.append(total / len(X))
        return w, b, np.array(losses)

    with np.errstate(all="ignore"):
        report = assert_fails("ch4.train_logistic_regression", log_of_sigmoid)
    assert "hundreds" in report.case_label
