"""Chapter 2 — wrong and correct answers written independently of the mistake catalogue.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/02_layers/layers.ipynb``.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(202)


def _relu(z):
    return np.maximum(z, 0)


def _onehot(n, length):
    return np.eye(4)[_rng.integers(0, 4, size=(n, length))].transpose(0, 2, 1).copy()


# --------------------------------------------------------------------------- one_hot_flatten


def of_argmax(x):
    return x.argmax(axis=1)  # (N, L) base indices: "flattening" the one-hot


def of_round(x):
    return np.round(x).reshape(x.shape[0], -1)  # one-hot is 0/1 ... soft inputs are not


def of_float16(x):
    return x.reshape(x.shape[0], -1).astype(np.float16)  # "saves memory"


def of_shape_in_place(x):
    x.shape = (x.shape[0], -1)  # reshapes the caller's array
    return x


def of_int(x):
    return x.reshape(len(x), -1).astype(int)


def of_concat_channels(x):
    return np.concatenate([x[:, c, :] for c in range(x.shape[1])], axis=1)


def of_loop(x):
    n, c, length = x.shape
    out = np.empty((n, c * length), dtype=x.dtype)
    for i in range(n):
        for ch in range(c):
            for pos in range(length):
                out[i, ch * length + pos] = x[i, ch, pos]
    return out


def of_minus_one_rows(x):
    return x.reshape(-1, 4 * x.shape[2])


# --------------------------------------------------------------------------- dense_forward


def df_float16(x, W, b):
    return x.astype(np.float16) @ W.astype(np.float16) + b.astype(np.float16)


def df_bias_summed(x, W, b):
    return x @ W + b.sum()  # "the bias is one number"


def df_loop_skips_first(x, W, b):
    out = np.tile(b, (len(x), 1)).astype(np.result_type(x, W, b))
    for d in range(1, x.shape[1]):  # off by one: feature 0 never counted
        out += np.outer(x[:, d], W[d])
    return out


def df_tanh(x, W, b):
    return np.tanh(x @ W + b)


def df_mean(x, W, b):
    return (x[:, :, None] * W[None]).mean(axis=1) + b


def df_loop(x, W, b):
    out = np.zeros((x.shape[0], W.shape[1]), dtype=np.result_type(x, W, b))
    for n in range(x.shape[0]):
        for h in range(W.shape[1]):
            out[n, h] = b[h] + np.dot(x[n], W[:, h])
    return out


def df_transposes(x, W, b):
    return (W.T @ x.T).T + b


def df_einsum(x, W, b):
    return np.einsum("nd,dh->nh", x, W) + b[None, :]


# --------------------------------------------------------------------------- mlp_forward


def mf_float16(x, W1, b1, W2, b2):
    h = _relu(x.astype(np.float16) @ W1.astype(np.float16) + b1.astype(np.float16))
    return h @ W2.astype(np.float16) + b2.astype(np.float16)


def mf_leaky(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    return np.where(z > 0, z, 0.01 * z) @ W2 + b2


def mf_abs(x, W1, b1, W2, b2):
    return np.abs(x @ W1 + b1) @ W2 + b2


def mf_relu_weights(x, W1, b1, W2, b2):
    return (x @ _relu(W1) + b1) @ W2 + b2  # ReLU on the weights, not on the sums


def mf_relu_input(x, W1, b1, W2, b2):
    return (_relu(x) @ W1 + b1) @ W2 + b2


def mf_abs_formula(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    return ((z + np.abs(z)) / 2) @ W2 + b2


def mf_in_place_hidden(x, W1, b1, W2, b2):
    h = x @ W1
    h += b1
    h[h < 0] = 0  # h is a new array: fine
    return h @ W2 + b2


def mf_loop(x, W1, b1, W2, b2):
    out = np.empty((x.shape[0], W2.shape[1]), dtype=np.result_type(x, W1, b1, W2, b2))
    for n in range(x.shape[0]):
        h = np.array([max(0.0, float(x[n] @ W1[:, j] + b1[j])) for j in range(W1.shape[1])])
        out[n] = h @ W2 + b2
    return out


# --------------------------------------------------------------------------- mlp_parameter_count


def _count(widths):
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def cp_last_two_axes(x, layer_sizes):
    return _count([x.shape[-2] * x.shape[-1], *layer_sizes])  # (N, D) gives N * D


def cp_input_bias(x, layer_sizes):
    d = x[0].size
    return _count([d, *layer_sizes]) + d  # "every unit has a bias", inputs too


def cp_dna_only(x, layer_sizes):
    return _count([4 * x.shape[-1], *layer_sizes])  # assumes one-hot DNA input


def cp_output_no_bias(x, layer_sizes):
    return _count([x[0].size, *layer_sizes]) - layer_sizes[-1]


def cp_first_layer(x, layer_sizes):
    return x[0].size * layer_sizes[0] + layer_sizes[0]


def cp_size_over_n(x, layer_sizes):
    widths = [x.size // len(x), *layer_sizes]
    total = 0
    for i in range(len(widths) - 1):
        total += (widths[i] + 1) * widths[i + 1]
    return total


def cp_prod(x, layer_sizes):
    widths = [int(np.prod(x.shape[1:])), *layer_sizes]
    return int(sum(np.multiply(widths[:-1], widths[1:]) + widths[1:]))


# --------------------------------------------------------------------------- xor_network


def _xor(x, or_at, and_at, w2=(1.0, -2.0), b2=-0.5):
    s = x @ np.ones(2)
    h = np.stack([s - or_at >= 0, s - and_at >= 0], axis=1).astype(float)
    return (h @ np.array(w2) + b2 >= 0).astype(float)


def xn_or_low(x):
    return _xor(x, 0.3, 1.5)  # two absent scores can sum to 0.4 > 0.3


def xn_and_low(x):
    return _xor(x, 0.5, 1.1)  # one present + one absent can sum to 1.2 > 1.1


def xn_int(x):
    return _xor(x, 0.5, 1.5).astype(int)


def xn_column(x):
    return _xor(x, 0.5, 1.5)[:, None]


def xn_sigmoid_out(x):
    s = x @ np.ones(2)
    h = np.stack([s >= 0.5, s >= 1.5], axis=1).astype(float)
    return 1 / (1 + np.exp(-(h @ np.array([1.0, -2.0]) - 0.5)))  # sigmoid output unit


def xn_wide_margins(x):
    h = (x @ np.full((2, 2), 2.0) + np.array([-1.2, -2.8]) >= 0).astype(float)
    return (h @ np.array([1.0, -1.0]) - 0.5 >= 0).astype(float)


def xn_and_not(x):
    h1 = (x[:, 0] - x[:, 1] - 0.5 >= 0).astype(float)  # motif 1 without motif 2
    h2 = (x[:, 1] - x[:, 0] - 0.5 >= 0).astype(float)  # motif 2 without motif 1
    return (h1 + h2 - 0.5 >= 0).astype(float)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch2.one_hot_flatten": [
        (of_argmax, "returns base indices (N, L) instead of the flattened one-hot", None),
        (of_round, "rounds soft base probabilities to 0/1", None),
        (of_float16, "returns float16: soft probabilities lose precision", None),
        (of_shape_in_place, "x.shape = ... reshapes the caller's array", "mutated input"),
        (of_int, "casts to int: soft probabilities become 0", None),
    ],
    "ch2.dense_forward": [
        (df_float16, "computes in float16", None),
        (df_bias_summed, "adds b.sum() to every unit instead of b[h]", None),
        (df_loop_skips_first, "loop from feature 1: feature 0 is never counted", None),
        (df_tanh, "applies tanh (the exercise has no activation)", None),
        (df_mean, "averages over features instead of summing", None),
    ],
    "ch2.mlp_forward": [
        (mf_float16, "computes in float16", None),
        (mf_leaky, "leaky ReLU (slope 0.01) in the hidden layer", None),
        (mf_abs, "|z| instead of max(0, z)", None),
        (mf_relu_weights, "ReLU on W1 instead of on the hidden sums", None),
        (mf_relu_input, "ReLU on the input x instead of on the hidden sums", None),
    ],
    "ch2.mlp_parameter_count": [
        (cp_last_two_axes, "input width x.shape[-2] * x.shape[-1]: N * D for (N, D) input", None),
        (cp_input_bias, "also counts a bias per input unit", None),
        (cp_dna_only, "input width 4 * x.shape[-1]: assumes one-hot DNA", None),
        (cp_output_no_bias, "the output layer gets no bias", None),
        (cp_first_layer, "counts the first layer only", None),
    ],
    "ch2.xor_network": [
        (xn_or_low, "OR threshold at 0.3: two absent scores can sum to 0.4", None),
        (xn_and_low, "AND threshold at 1.1: one present + one absent reach 1.2", None),
        (xn_int, "returns integers, not floats", None),
        (xn_column, "returns shape (N, 1) instead of (N,)", None),
        (xn_sigmoid_out, "sigmoid output unit: values are not 0.0 / 1.0", None),
    ],
}

CORRECT = {
    "ch2.one_hot_flatten": [of_concat_channels, of_loop, of_minus_one_rows],
    "ch2.dense_forward": [df_loop, df_transposes, df_einsum],
    "ch2.mlp_forward": [mf_abs_formula, mf_in_place_hidden, mf_loop],
    "ch2.mlp_parameter_count": [cp_size_over_n, cp_prod],
    "ch2.xor_network": [xn_wide_margins, xn_and_not],
}

_soft = _rng.dirichlet(np.ones(4), size=(2, 6)).transpose(0, 2, 1).copy()  # (2, 4, 6)
_x3, _W3 = _rng.normal(size=(5, 3)), _rng.normal(size=(3, 4))

WITNESSES = {
    "ch2.one_hot_flatten": [(_onehot(3, 5),), (_soft,), (_onehot(1, 7).astype(np.float32),)],
    "ch2.dense_forward": [
        (_x3, _W3, _rng.normal(size=4)),
        (_x3.astype(np.float32), _W3.astype(np.float32), np.ones(4, np.float32)),
        (np.array([[1.0, 2.0, 3.0]]), np.eye(3), np.array([0.5, -0.5, 0.0])),
    ],
    "ch2.mlp_forward": [
        (_x3, _W3, _rng.normal(size=4), _rng.normal(size=(4, 2)), _rng.normal(size=2)),
        (-np.abs(_x3), _W3, np.zeros(4), np.ones((4, 1)), np.zeros(1)),
    ],
    "ch2.mlp_parameter_count": [
        (np.zeros((5, 7)), [3, 2]),
        (_onehot(2, 10), [8, 1]),
        (np.zeros((1, 12)), [4]),
    ],
    "ch2.xor_network": [
        (np.array([[0.2, 0.2], [0.8, 0.2], [0.2, 0.8], [0.8, 0.8], [1.0, 0.2], [0.0, 1.0]]),),
        (np.array([[0.0, 0.0], [1.0, 1.0], [0.15, 0.19], [0.95, 0.18]]),),
    ],
}
