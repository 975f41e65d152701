"""Chapter 2 checks: correct variants pass (loops vs vectorized, float32 vs float64, other
equivalent formulas); the catalogued mutants are tested for every exercise in test_check.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch02


# ---- one_hot_flatten
def flatten_loop(x):
    n, a, length = x.shape
    out = np.zeros((n, a * length), dtype=x.dtype)
    for i in range(n):
        for c in range(a):
            for pos in range(length):
                out[i, c * length + pos] = x[i, c, pos]
    return out


def test_one_hot_flatten_variants_pass():
    assert_passes("ch2.one_hot_flatten", flatten_loop)
    assert_passes("ch2.one_hot_flatten", lambda x: np.concatenate(list(x.transpose(1, 0, 2)), 1))
    assert_passes("ch2.one_hot_flatten", lambda x: x.reshape(len(x), -1).astype(np.float64))
    assert_passes("ch2.one_hot_flatten", lambda x: np.stack([row.ravel() for row in x]))


def test_one_hot_flatten_fortran_order_is_position_major():
    # order="F" walks the base axis fastest: A, C, G, T of position 0, then position 1, ...
    assert_fails(
        "ch2.one_hot_flatten",
        lambda x: x.reshape(len(x), -1, order="F"),
        diagnosis="position-major order",
    )


def test_one_hot_flatten_integer_output_is_a_dtype_error():
    report = assert_fails("ch2.one_hot_flatten", lambda x: x.reshape(len(x), -1).astype(int))
    assert "floating-point" in report.problem


# ---- dense_forward
def dense_loop(x, W, b):
    n, d = x.shape
    h = W.shape[1]
    out = np.empty((n, h))
    for i in range(n):
        for j in range(h):
            out[i, j] = b[j] + sum(float(x[i, k]) * float(W[k, j]) for k in range(d))
    return out


def test_dense_forward_variants_pass():
    assert_passes("ch2.dense_forward", dense_loop)
    assert_passes("ch2.dense_forward", lambda x, W, b: np.einsum("nd,dh->nh", x, W) + b)
    assert_passes("ch2.dense_forward", lambda x, W, b: (W.T @ x.T).T + b[None, :])
    assert_passes(
        "ch2.dense_forward",
        lambda x, W, b: (x @ W + b).astype(x.dtype),
    )


def test_dense_forward_torch_layout_is_diagnosed_on_the_square_case():
    report = assert_fails(
        "ch2.dense_forward", lambda x, W, b: x @ W.T + b, diagnosis="W transposed"
    )
    assert report.case_index == 0  # the square case comes first


def test_dense_forward_sum_over_wrong_axis_is_a_shape_error():
    report = assert_fails("ch2.dense_forward", lambda x, W, b: (x @ W + b).sum(axis=1))
    assert "shape" in report.problem


# ---- mlp_forward
def mlp_loop(x, W1, b1, W2, b2):
    n, h, c = x.shape[0], W1.shape[1], W2.shape[1]
    out = np.empty((n, c))
    for i in range(n):
        hidden = [max(0.0, float(x[i] @ W1[:, j] + b1[j])) for j in range(h)]
        for k in range(c):
            out[i, k] = b2[k] + sum(hidden[j] * W2[j, k] for j in range(h))
    return out


def mlp_where(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    return np.where(z > 0, z, 0.0) @ W2 + b2


def mlp_input_dtype(x, W1, b1, W2, b2):
    f = x.dtype
    z = x.astype(f) @ W1.astype(f) + b1.astype(f)
    return (z * (z > 0)) @ W2.astype(f) + b2.astype(f)


def test_mlp_forward_variants_pass():
    for fn in (mlp_loop, mlp_where, mlp_input_dtype):
        assert_passes("ch2.mlp_forward", fn)


def test_mlp_forward_with_tanh_fails_without_a_catalogued_diagnosis():
    report = assert_fails(
        "ch2.mlp_forward", lambda x, W1, b1, W2, b2: np.tanh(x @ W1 + b1) @ W2 + b2
    )
    assert report.diagnosis == ""


# ---- mlp_parameter_count
def count_loop(x, layer_sizes):
    widths = [math.prod(x.shape[1:]), *layer_sizes]
    total = 0
    for i in range(1, len(widths)):
        total += widths[i - 1] * widths[i] + widths[i]
    return total


def test_mlp_parameter_count_variants_pass():
    assert_passes("ch2.mlp_parameter_count", count_loop)
    assert_passes(
        "ch2.mlp_parameter_count",
        lambda x, s: int(np.dot([x[0].size, *s[:-1]], s) + np.sum(s)),
    )
    assert_passes(
        "ch2.mlp_parameter_count", lambda x, s: float(count_loop(x, s))
    )  # a float answer is accepted
    assert_passes("ch2.mlp_parameter_count", lambda x, s: np.int64(count_loop(x, s)))


def test_mlp_parameter_count_off_by_one_fails():
    report = assert_fails("ch2.mlp_parameter_count", lambda x, s: count_loop(x, s) + 1)
    assert report.case_index == 0


def test_mlp_parameter_count_large_counts_are_compared_exactly():
    # 800 * 64 + 64 + 64 + 1 = 51,329: an answer off by one must not pass a relative tolerance
    report = assert_fails(
        "ch2.mlp_parameter_count",
        lambda x, s: count_loop(x, s) - (1 if x.ndim == 3 and x.shape[-1] == 200 else 0),
    )
    assert "51329" in report.expected and "51328" in report.got


# ---- xor_network
def xor_nand_or(x):
    h_or = (x[:, 0] + x[:, 1] - 0.5 >= 0).astype(float)  # OR
    h_nand = (-x[:, 0] - x[:, 1] + 1.5 >= 0).astype(float)  # NAND
    return (h_or + h_nand - 1.5 >= 0).astype(float)  # AND of the two


def xor_loop(x):
    out = np.zeros(len(x))
    for i, (a, b) in enumerate(x):
        h1 = 1.0 if a + b - 0.5 >= 0 else 0.0
        h2 = 1.0 if a + b - 1.5 >= 0 else 0.0
        out[i] = 1.0 if h1 - 2 * h2 - 0.5 >= 0 else 0.0
    return out


def test_xor_network_variants_pass():
    assert_passes("ch2.xor_network", xor_nand_or)
    assert_passes("ch2.xor_network", xor_loop)


def test_xor_network_boolean_output_is_a_dtype_error():
    report = assert_fails("ch2.xor_network", lambda x: xor_loop(x).astype(bool))
    assert "floating-point" in report.problem
