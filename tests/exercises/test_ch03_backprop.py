"""Chapter 3 checks: correct variants pass (loops vs vectorized, float32 vs float64, equivalent
formulas); specific wrong answers fail with a useful message. The catalogued mutants are tested
for every exercise in test_check.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genolearn.exercises import get_exercise
from genolearn.nn.backprop import logistic_loss
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch03

SEEDS = (0, 1, 2, 3)


def _sigmoid_scalar(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


# ---- sigmoid_backward
def sigmoid_backward_loop(z, grad_out):
    out = np.empty(z.shape)
    for i, v in np.ndenumerate(z):
        s = _sigmoid_scalar(float(v))
        out[i] = grad_out[i] * s * (1 - s)
    return out


def sigmoid_backward_naive(z, grad_out):
    s = 1 / (1 + np.exp(-z))  # overflows only beyond |z| = 709; the cases stay below 40
    return grad_out * s * (1 - s)


def sigmoid_backward_tanh(z, grad_out):
    # sigmoid'(z) = 1 / (4 cosh^2(z / 2))
    return grad_out / (4 * np.cosh(z / 2) ** 2)


def test_sigmoid_backward_variants_pass():
    for fn in (sigmoid_backward_loop, sigmoid_backward_naive, sigmoid_backward_tanh):
        assert_passes("ch3.sigmoid_backward", fn, seeds=SEEDS)


def test_sigmoid_backward_in_the_inputs_precision_passes():
    def in_input_dtype(z, grad_out):
        f = z.dtype.type
        s = f(0.5) * (1 + np.tanh(f(0.5) * z))
        return grad_out * s * (1 - s)

    assert_passes("ch3.sigmoid_backward", in_input_dtype, seeds=SEEDS)


def test_sigmoid_backward_in_float32_fails_a_float64_problem():
    def in_float32(z, grad_out):
        z32, g32 = z.astype(np.float32), grad_out.astype(np.float32)
        s = np.float32(0.5) * (1 + np.tanh(np.float32(0.5) * z32))
        return g32 * s * (1 - s)

    report = assert_fails("ch3.sigmoid_backward", in_float32)
    assert "float64" in report.problem and report.diagnosis == ""


def test_sigmoid_backward_returning_a_list_fails():
    report = assert_fails(
        "ch3.sigmoid_backward",
        lambda z, g: [float(a) for a in sigmoid_backward_loop(z, g).ravel()],
    )
    assert "numpy array" in report.problem


# ---- relu_backward
def relu_backward_loop(z, grad_out):
    out = np.zeros(z.shape, dtype=grad_out.dtype)
    for i, v in np.ndenumerate(z):
        if v > 0:
            out[i] = grad_out[i]
    return out


def relu_backward_where(z, grad_out):
    return np.where(z > 0, grad_out, 0.0)


def relu_backward_heaviside(z, grad_out):
    return grad_out * np.heaviside(z, 0.0)


def test_relu_backward_variants_pass():
    for fn in (relu_backward_loop, relu_backward_where, relu_backward_heaviside):
        assert_passes("ch3.relu_backward", fn, seeds=SEEDS)


def test_relu_backward_in_place_is_caught():
    def inplace(z, grad_out):
        grad_out[z <= 0] = 0
        return grad_out

    assert_fails("ch3.relu_backward", inplace, diagnosis="mutated input")


# ---- dense_backward
def dense_backward_loops(x, W, grad_out):
    n, d = x.shape
    h = W.shape[1]
    dx, dW, db = np.zeros((n, d)), np.zeros((d, h)), np.zeros(h)
    for i in range(n):
        for j in range(h):
            db[j] += grad_out[i, j]
            for k in range(d):
                dW[k, j] += x[i, k] * grad_out[i, j]
                dx[i, k] += grad_out[i, j] * W[k, j]
    return dx, dW, db


def dense_backward_einsum(x, W, grad_out):
    return (
        np.einsum("nh,dh->nd", grad_out, W),
        np.einsum("nd,nh->dh", x, grad_out),
        np.einsum("nh->h", grad_out),
    )


def dense_backward_outer_products(x, W, grad_out):
    # dW as a sum of one outer product per example
    dW = sum(np.outer(x[i], grad_out[i]) for i in range(len(x)))
    return grad_out @ W.T, dW, grad_out.sum(axis=0)


def dense_backward_input_dtype(x, W, grad_out):
    x, W, g = (a.astype(x.dtype) for a in (x, W, grad_out))
    return g @ W.T, x.T @ g, g.sum(axis=0)


def test_dense_backward_variants_pass():
    for fn in (
        dense_backward_loops,
        dense_backward_einsum,
        dense_backward_outer_products,
        dense_backward_input_dtype,
    ):
        assert_passes("ch3.dense_backward", fn, seeds=SEEDS)


def test_dense_backward_list_instead_of_tuple_passes():
    assert_passes("ch3.dense_backward", lambda x, W, g: list(dense_backward_einsum(x, W, g)))


def test_dense_backward_wrong_order_fails_on_shape():
    def swapped(x, W, g):
        return x.T @ g, g @ W.T, g.sum(axis=0)

    report = assert_fails("ch3.dense_backward", swapped)
    assert "shape" in report.problem


def test_dense_backward_transposed_dw_is_a_shape_error_with_diagnosis():
    report = assert_fails(
        "ch3.dense_backward",
        lambda x, W, g: (g @ W.T, g.T @ x, g.sum(axis=0)),
        diagnosis="dW transposed",
    )
    assert "W.T" not in report.problem  # the problem states the mismatch; the hint explains


def test_dense_backward_w_instead_of_wt_fails_on_the_square_case():
    report = assert_fails("ch3.dense_backward", lambda x, W, g: (g @ W, x.T @ g, g.sum(axis=0)))
    assert report.case_index == 0
    assert report.diagnosis == "W used where W.T is needed"


def test_dense_backward_keepdims_bias_fails():
    report = assert_fails(
        "ch3.dense_backward", lambda x, W, g: (g @ W.T, x.T @ g, g.sum(axis=0, keepdims=True))
    )
    assert "shape" in report.problem


# ---- softmax_cross_entropy_backward
def ce_backward_loop(logits, targets):
    n, c = logits.shape
    out = np.zeros((n, c))
    for i in range(n):
        m = max(logits[i])
        e = [math.exp(v - m) for v in logits[i]]
        total = sum(e)
        for j in range(c):
            out[i, j] = (e[j] / total - (1.0 if j == targets[i] else 0.0)) / n
    return out


def ce_backward_logsumexp(logits, targets):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    onehot = np.eye(logits.shape[1])[targets]
    return (np.exp(log_p) - onehot) / len(targets)


def ce_backward_input_dtype(logits, targets):
    z = logits.copy()
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def test_softmax_cross_entropy_backward_variants_pass():
    for fn in (ce_backward_loop, ce_backward_logsumexp, ce_backward_input_dtype):
        assert_passes("ch3.softmax_cross_entropy_backward", fn, seeds=SEEDS)


def test_softmax_cross_entropy_gradient_rows_sum_to_zero():
    ex = get_exercise("ch3.softmax_cross_entropy_backward")
    for case in ex.make_cases(np.random.default_rng(5)):
        grad = ex.reference(*case.args)
        np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-6)


def test_softmax_cross_entropy_in_place_on_logits_is_caught():
    def inplace(logits, targets):
        logits -= logits.max(axis=1, keepdims=True)
        return ce_backward_logsumexp(logits, targets)

    assert_fails("ch3.softmax_cross_entropy_backward", inplace, diagnosis="mutated input")


# ---- numerical_gradient_logistic
def numgrad_loop(w, X, y, eps):
    def loss(v):
        total = 0.0
        for xi, yi in zip(X, y, strict=True):
            z = float(xi @ v)
            total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - yi * z  # never overflows
        return total / len(y)

    grad = np.zeros(len(w))
    for i in range(len(w)):
        old = w[i]
        w = w.copy()
        w[i] = old + eps
        f_plus = loss(w)
        w[i] = old - eps
        f_minus = loss(w)
        w[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def numgrad_vectorized(w, X, y, eps):
    d = len(w)
    shifts = eps * np.eye(d)  # (D, D): row i moves weight i
    z_plus = X @ (w + shifts).T  # (N, D): column i is z at w + eps e_i
    z_minus = X @ (w - shifts).T
    y = y[:, None]
    f_plus = np.mean(np.logaddexp(0, z_plus) - y * z_plus, axis=0)  # (D,)
    f_minus = np.mean(np.logaddexp(0, z_minus) - y * z_minus, axis=0)
    return (f_plus - f_minus) / (2 * eps)


def test_numerical_gradient_variants_pass():
    for fn in (numgrad_loop, numgrad_vectorized):
        assert_passes("ch3.numerical_gradient_logistic", fn, seeds=SEEDS)


def test_analytic_gradient_does_not_pass_for_a_large_eps():
    def analytic(w, X, y, eps):
        p = 1 / (1 + np.exp(-(X @ w)))
        return X.T @ (p - y) / len(y)

    report = assert_fails("ch3.numerical_gradient_logistic", analytic)
    assert "eps = 0.5" in report.case_label


def test_restore_by_adding_back_mutates_the_input():
    def add_back(w, X, y, eps):
        grad = np.zeros(len(w))
        for i in range(len(w)):
            w[i] += eps
            f_plus = logistic_loss(w, X, y)
            w[i] -= 2 * eps
            f_minus = logistic_loss(w, X, y)
            w[i] += eps  # rounding may not give back the exact old value
            grad[i] = (f_plus - f_minus) / (2 * eps)
        return grad

    report = assert_fails("ch3.numerical_gradient_logistic", add_back)
    assert report.diagnosis == "mutated input"


def test_exercise_loss_matches_reference_loss():
    ex = get_exercise("ch3.numerical_gradient_logistic")
    from genolearn.exercises.ch03_gradcheck import _loss

    for case in ex.make_cases(np.random.default_rng(0)):
        w, X, y, _ = case.args
        assert _loss(w, X, y) == pytest.approx(logistic_loss(w, X, y), rel=1e-14)


# ---- relative_error
def relerr_loop(a, n):
    out = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        out[i] = abs(a[i] - n[i]) / max(abs(a[i]) + abs(n[i]), 1e-12)
    return out


def relerr_where(a, n):
    denom = np.abs(a) + np.abs(n)
    safe = np.where(denom > 1e-12, denom, 1e-12)
    return np.abs(a - n) / safe


def test_relative_error_variants_pass():
    for fn in (relerr_loop, relerr_where):
        assert_passes("ch3.relative_error", fn, seeds=SEEDS)


def test_relative_error_returning_the_max_fails_with_shape():
    report = assert_fails("ch3.relative_error", lambda a, n: float(relerr_loop(a, n).max()))
    assert "array" in report.problem


def test_numerical_gradient_with_an_overflowing_softplus_fails():
    def naive(w, X, y, eps):
        def loss(v):
            z = X @ v
            return np.mean(np.log(1 + np.exp(z)) - y * z)  # exp(z) overflows for z > 709

        grad = np.zeros(len(w))
        for i in range(len(w)):
            e = np.zeros(len(w))
            e[i] = eps
            grad[i] = (loss(w + e) - loss(w - e)) / (2 * eps)
        return grad

    report = assert_fails("ch3.numerical_gradient_logistic", naive)
    assert "overflows" in report.case_label
