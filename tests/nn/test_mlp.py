"""Tests for genolearn.nn.mlp: forward passes checked against torch (float64), parameter counts
against torch and genolearn modules, the one-hot input layer's column order, the XOR network."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import one_hot_encode
from genolearn.nn.layers import Linear, ReLU, Sequential, count_parameters
from genolearn.nn.mlp import (
    count_mlp_parameters,
    mlp_forward,
    one_hot_flatten,
    xor_network,
    xor_network_weights,
)
from tests.gradcheck import assert_close, torch_forward_backward

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.ch02

SHAPES = [(1, 1, 1, 1), (5, 4, 3, 1), (7, 10, 2, 3), (32, 8, 16, 4), (6, 3, 3, 3)]  # N, D, H, C


def _mlp_inputs(n, d, h, c, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(n, d)),
        rng.normal(size=(d, h)),
        rng.normal(size=h),
        rng.normal(size=(h, c)),
        rng.normal(size=c),
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_mlp_forward_matches_torch(shape):
    inputs = _mlp_inputs(*shape)
    out, _ = torch_forward_backward(
        lambda x, W1, b1, W2, b2: torch.relu(x @ W1 + b1) @ W2 + b2, inputs
    )
    assert_close(mlp_forward(*inputs), out, what="mlp_forward")


@pytest.mark.parametrize("shape", SHAPES)
def test_mlp_forward_matches_sequential_with_transposed_weights(shape):
    n, d, h, c = shape
    model = Sequential(
        Linear(d, h, seed=0, dtype=np.float64), ReLU(), Linear(h, c, seed=1, dtype=np.float64)
    )
    x = np.random.default_rng(2).normal(size=(n, d))
    first, last = model[0], model[2]
    got = mlp_forward(x, first.weight.data.T, first.bias.data, last.weight.data.T, last.bias.data)
    assert_close(got, model(x), what="mlp_forward vs Sequential")


def test_mlp_forward_keeps_float32():
    inputs = [a.astype(np.float32) for a in _mlp_inputs(4, 3, 5, 2)]
    assert mlp_forward(*inputs).dtype == np.float32


def test_mlp_forward_output_has_no_activation():
    x = np.ones((1, 1))
    out = mlp_forward(x, np.ones((1, 1)), np.zeros(1), -np.ones((1, 1)), np.zeros(1))
    assert out[0, 0] == -1.0  # a negative score survives


def test_mlp_forward_hints_at_torch_layout():
    x, W1, b1, W2, b2 = _mlp_inputs(4, 3, 5, 2)
    with pytest.raises(ValueError, match=r"W1 looks stored \(H, D\) like Linear.weight: pass W1.T"):
        mlp_forward(x, W1.T, b1, W2, b2)
    with pytest.raises(ValueError, match=r"b1 has shape \(4,\) but must be \(H,\) with H = 5"):
        mlp_forward(x, W1, np.zeros(4), W2, b2)
    with pytest.raises(ValueError, match=r"x has shape \(3,\)"):
        mlp_forward(x[0], W1, b1, W2, b2)


@pytest.mark.parametrize("widths", [[800, 1], [800, 64, 1], [20, 16, 1], [3, 5, 7, 2, 1]])
def test_count_mlp_parameters_matches_torch_and_modules(widths):
    layers = []
    for d_in, d_out in pairwise(widths):
        layers += [torch.nn.Linear(d_in, d_out), torch.nn.ReLU()]
    torch_count = sum(p.numel() for p in torch.nn.Sequential(*layers[:-1]).parameters())
    ours = Sequential(*[Linear(a, b, seed=0) for a, b in pairwise(widths)])
    assert count_mlp_parameters(widths) == torch_count == count_parameters(ours)


def test_count_mlp_parameters_for_one_hot_dna():
    assert count_mlp_parameters([4 * 200, 64, 1]) == 51_329
    assert count_mlp_parameters(np.array([800, 1])) == 801
    assert isinstance(count_mlp_parameters([2, 2, 1]), int)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([800], ValueError, "at least the input and output widths"),
        ([800, 0, 1], ValueError, r"layer_sizes\[1\] must be >= 1"),
        ([800, 64.0, 1], TypeError, r"layer_sizes\[1\] must be an integer"),
        ([800, True], TypeError, r"layer_sizes\[1\] must be an integer"),
        ("800,1", TypeError, "layer_sizes must be a list of ints"),
        (800, TypeError, "layer_sizes must be a list of ints"),
    ],
)
def test_count_mlp_parameters_validates(bad, error, message):
    with pytest.raises(error, match=message):
        count_mlp_parameters(bad)


def test_one_hot_flatten_matches_torch_flatten():
    x = one_hot_encode(["ACGTNA", "TTGACA", "GGGCCC"])  # (3, 4, 6)
    expected = torch.nn.Flatten()(torch.tensor(x)).numpy()
    assert_close(one_hot_flatten(x), expected, what="one_hot_flatten")


@settings(deadline=None, max_examples=40)
@given(st.lists(st.text(alphabet="ACGTN", min_size=5, max_size=5), min_size=1, max_size=4))
def test_one_hot_flatten_column_c_times_l_plus_l_is_base_c_at_position_l(seqs):
    flat = one_hot_flatten(one_hot_encode(seqs))  # (N, 20)
    assert flat.shape == (len(seqs), 20)
    for n, seq in enumerate(seqs):
        for c, base in enumerate("ACGT"):
            for pos in range(5):
                assert flat[n, c * 5 + pos] == (seq[pos] == base)


def test_one_hot_flatten_rejects_position_first_arrays():
    x = one_hot_encode(["ACGTAC"]).transpose(0, 2, 1)  # (1, 6, 4): (N, L, 4), the wrong layout
    with pytest.raises(ValueError, match=r"x has shape \(1, 6, 4\) but must be \(N, 4, L\)"):
        one_hot_flatten(x)


def test_xor_network_truth_table_and_noisy_scores():
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(xor_network(corners), [0.0, 1.0, 1.0, 0.0])
    rng = np.random.default_rng(0)
    present = rng.integers(0, 2, size=(200, 2))
    scores = np.where(present == 1, rng.uniform(0.8, 1.0, (200, 2)), rng.uniform(0, 0.2, (200, 2)))
    np.testing.assert_array_equal(xor_network(scores), present[:, 0] ^ present[:, 1])
    assert xor_network(scores).dtype == np.float64


def test_xor_network_weights_are_in_dense_layout():
    W1, b1, W2, b2 = xor_network_weights()
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((2, 2), (2,), (2, 1), (1,))
    hidden = (np.array([[1.0, 0.0]]) @ W1 + b1 >= 0).astype(float)  # one motif: OR on, AND off
    np.testing.assert_array_equal(hidden, [[1.0, 0.0]])
