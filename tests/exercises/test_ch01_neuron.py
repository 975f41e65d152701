"""Chapter 1 checks: correct variants pass (loop vs vectorized, float32 vs float64); the
catalogued mutants are tested for every exercise in test_check.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch01


# ---- neuron_forward
def neuron_loop(x, w, b):
    out = np.empty(x.shape[0])
    for n in range(x.shape[0]):
        z = b
        for d in range(x.shape[1]):
            z += x[n, d] * w[d]
        out[n] = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return out


def neuron_input_dtype(x, w, b):
    """Computes in the inputs' precision: float32 for a float32 problem."""
    f = x.dtype.type
    z = x @ w + f(b)
    return (f(0.5) * (1 + np.tanh(z / 2))).astype(f)


def test_neuron_forward_variants_pass():
    assert_passes("ch1.neuron_forward", neuron_loop)
    assert_passes("ch1.neuron_forward", neuron_input_dtype)
    assert_passes(
        "ch1.neuron_forward", lambda x, w, b: 1 / (1 + np.exp(-(np.einsum("nd,d->n", x, w) + b)))
    )


def test_neuron_forward_wrong_axis_is_a_shape_error():
    report = assert_fails(
        "ch1.neuron_forward", lambda x, w, b: 1 / (1 + np.exp(-(x * w).sum(axis=0) - b))
    )
    assert "shape" in report.problem


# ---- sigmoid
def sigmoid_loop(z):
    z = np.asarray(z)
    out = np.empty_like(z, dtype=np.float64)
    for i, v in np.ndenumerate(z):
        out[i] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out


def sigmoid_tanh(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def sigmoid_input_dtype(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_variants_pass():
    for fn in (sigmoid_loop, sigmoid_tanh, sigmoid_input_dtype):
        assert_passes("ch1.sigmoid", fn)


def test_naive_sigmoid_fails_on_overflow_warning():
    report = assert_fails(
        "ch1.sigmoid", lambda z: 1 / (1 + np.exp(-z)), diagnosis="numerical warning"
    )
    assert "overflow" in report.problem


def test_clipping_sigmoid_that_loses_accuracy_fails():
    report = assert_fails("ch1.sigmoid", lambda z: 1 / (1 + np.exp(-np.clip(z, -10, 10))))
    assert report.case_label == "|z| up to 1000"


# ---- sigmoid_derivative
def test_sigmoid_derivative_variants_pass():
    def via_tanh(z):
        s = 0.5 * (1 + np.tanh(0.5 * z))
        return s * (1 - s)

    def loop(z):
        out = np.empty(np.shape(z))
        for i, v in np.ndenumerate(np.asarray(z, dtype=np.float64)):
            s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
            out[i] = s * (1 - s)
        return out

    assert_passes("ch1.sigmoid_derivative", via_tanh)
    assert_passes("ch1.sigmoid_derivative", loop)


# ---- perceptron_update
def update_loop(w, b, x, y, lr):
    z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
    err = y - (1 if z >= 0 else 0)
    return np.array([wi + lr * err * xi for wi, xi in zip(w, x, strict=True)]), b + lr * err


def update_copy_inplace(w, b, x, y, lr):
    w = w.copy()
    err = y - int(w @ x + b >= 0)
    w += lr * err * x
    return w, float(b + lr * err)


def test_perceptron_update_variants_pass():
    assert_passes("ch1.perceptron_update", update_loop)
    assert_passes("ch1.perceptron_update", update_copy_inplace)


def test_perceptron_update_in_place_is_caught():
    def inplace(w, b, x, y, lr):
        err = y - int(w @ x + b >= 0)
        w += lr * err * x
        return w, b + lr * err

    assert_fails("ch1.perceptron_update", inplace, diagnosis="mutated input")


# ---- train_perceptron
def train_loop(X, y, epochs, lr=1.0):
    w, b = [0.0] * X.shape[1], 0.0
    for _ in range(epochs):
        for xi, yi in zip(X.tolist(), y.tolist(), strict=True):
            err = yi - (1 if sum(a * c for a, c in zip(w, xi, strict=True)) + b >= 0 else 0)
            w = [a + lr * err * c for a, c in zip(w, xi, strict=True)]
            b += lr * err
    return np.array(w), b


def train_vectorized_update(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for i in range(len(y)):
            err = y[i] - (X[i] @ w + b >= 0)
            w = w + lr * err * X[i]
            b = b + lr * err
    return w, float(b)


def test_train_perceptron_variants_pass():
    assert_passes("ch1.train_perceptron", train_loop)
    assert_passes("ch1.train_perceptron", train_vectorized_update)
