"""Tests for genolearn.nn.backprop: every backward against torch.autograd in float64 on several
random shapes, the numerical gradients against torch and against the analytic ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genolearn.nn.autograd import Tensor
from genolearn.nn.backprop import (
    dense_backward,
    dense_forward,
    gradient_check,
    logistic_loss,
    logistic_loss_grad,
    numerical_gradient,
    numerical_gradient_logistic,
    relative_error,
    relu_backward,
    sigmoid_backward,
    softmax_cross_entropy_backward,
    tanh_backward,
)
from genolearn.nn.layers import Linear
from tests.gradcheck import assert_close, torch_forward_backward

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.ch03

SHAPES = [(1,), (7,), (4, 3), (2, 3, 5)]
ACTIVATIONS = {
    "sigmoid": (sigmoid_backward, torch.sigmoid),
    "tanh": (tanh_backward, torch.tanh),
    "relu": (relu_backward, torch.relu),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation_backward_matches_torch(name, shape):
    backward, torch_fn = ACTIVATIONS[name]
    rng = np.random.default_rng(len(shape))
    z = rng.normal(scale=3.0, size=shape)
    upstream = rng.normal(size=shape)
    _, (want,) = torch_forward_backward(torch_fn, [z], upstream)
    assert_close(backward(z, upstream), want, what=f"{name} backward")


def test_relu_backward_is_zero_at_zero_like_torch():
    z = np.array([-1.0, 0.0, 1.0])
    _, (want,) = torch_forward_backward(torch.relu, [z], np.ones(3))
    assert_close(relu_backward(z, np.ones(3)), want)
    assert relu_backward(z, np.ones(3))[1] == 0.0


def test_sigmoid_backward_is_finite_for_huge_z():
    z = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        out = sigmoid_backward(z, np.ones(2))
    assert np.all(out == 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_backward_keeps_dtype(dtype):
    z = np.linspace(-2, 2, 5).astype(dtype)
    for backward, _ in ACTIVATIONS.values():
        assert backward(z, np.ones_like(z)).dtype == dtype


@pytest.mark.parametrize("n,d,h", [(1, 1, 1), (5, 4, 3), (8, 2, 6), (3, 24, 4)])
def test_dense_backward_matches_torch(n, d, h):
    rng = np.random.default_rng(n * 100 + d * 10 + h)
    x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, h)), rng.normal(size=h)
    upstream = rng.normal(size=(n, h))
    out, (dx_t, dW_t, db_t) = torch_forward_backward(lambda x, W, b: x @ W + b, [x, W, b], upstream)
    assert_close(dense_forward(x, W, b), out, what="forward")
    dx, dW, db = dense_backward(x, W, upstream)
    assert_close(dx, dx_t, what="dx")
    assert_close(dW, dW_t, what="dW")
    assert_close(db, db_t, what="db")


def test_dense_backward_agrees_with_linear_layer():
    """Linear stores weight (H, D) = W.T; its backward must give the same gradients."""
    rng = np.random.default_rng(0)
    layer = Linear(5, 3, seed=1, dtype=np.float64)
    x, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    W, b = layer.weight.data.T, layer.bias.data  # (D, H), (H,)
    assert_close(layer(x), dense_forward(x, W, b))
    dx_layer = layer.backward(g)
    dx, dW, db = dense_backward(x, W, g)
    assert_close(dx_layer, dx)
    assert_close(layer.weight.grad, dW.T)
    assert_close(layer.bias.grad, db)


def test_dense_backward_rejects_mismatched_shapes():
    x, W = np.zeros((4, 3)), np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"W has shape \(2, 3\).*D = 3"):
        dense_backward(x, np.zeros((2, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(4, 3\) but must be \(4, 2\)"):
        dense_backward(x, W, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"b has shape"):
        dense_forward(x, W, np.zeros(3))


@pytest.mark.parametrize("n,c", [(1, 2), (6, 4), (10, 3)])
def test_softmax_cross_entropy_backward_matches_torch(n, c):
    rng = np.random.default_rng(n + c)
    logits = rng.normal(scale=3.0, size=(n, c))
    targets = rng.integers(0, c, size=n)
    t_targets = torch.from_numpy(targets)
    _, (want,) = torch_forward_backward(
        lambda z: torch.nn.functional.cross_entropy(z, t_targets), [logits]
    )
    assert_close(softmax_cross_entropy_backward(logits, targets), want)


def test_activation_backward_rejects_mismatched_grad_out():
    with pytest.raises(ValueError, match=r"grad_out has shape \(3,\) but must be \(3, 1\)"):
        sigmoid_backward(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(TypeError, match="z must be an array"):
        relu_backward("ACGT", np.zeros(4))


# ---- the logistic model and numerical gradients
def _logistic_data(seed, n=12, d=4):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(n, d)).astype(np.float64)  # k-mer counts
    return rng.normal(scale=0.5, size=d), X, rng.integers(0, 2, size=n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_loss_and_grad_match_torch(seed):
    w, X, y = _logistic_data(seed)
    t_X, t_y = torch.from_numpy(X), torch.from_numpy(y.astype(np.float64))
    out, (want,) = torch_forward_backward(
        lambda w: torch.nn.functional.binary_cross_entropy_with_logits(t_X @ w, t_y), [w]
    )
    assert logistic_loss(w, X, y) == pytest.approx(float(out), rel=1e-12)
    assert_close(logistic_loss_grad(w, X, y), want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numerical_gradient_logistic_matches_torch(seed):
    w, X, y = _logistic_data(seed)
    t_X, t_y = torch.from_numpy(X), torch.from_numpy(y.astype(np.float64))
    _, (want,) = torch_forward_backward(
        lambda w: torch.nn.functional.binary_cross_entropy_with_logits(t_X @ w, t_y), [w]
    )
    numeric = numerical_gradient_logistic(w, X, y, 1e-5)
    assert_close(numeric, want, rtol=1e-7, atol=1e-9)
    assert gradient_check(want, numeric) < 1e-6


def test_numerical_gradient_leaves_input_unchanged_and_is_second_order():
    x = np.array([0.3, -1.2, 2.0])
    before = x.copy()

    def f(v):
        return float(np.sum(np.sin(v) * v))

    exact = np.cos(x) * x + np.sin(x)
    err_big = np.abs(numerical_gradient(f, x, eps=1e-2) - exact).max()
    err_small = np.abs(numerical_gradient(f, x, eps=1e-3) - exact).max()
    np.testing.assert_array_equal(x, before)
    assert 50 < err_big / err_small < 200  # error ~ eps^2: ten times smaller eps, ~100x


def test_numerical_gradient_of_autograd_graph_matches_backward():
    rng = np.random.default_rng(3)
    W1, x = rng.normal(size=(4, 3)), rng.normal(size=(5, 4))

    def loss_of(W):
        t = Tensor(W, requires_grad=True)
        return ((Tensor(x) @ t).sigmoid() ** 2).mean(), t

    loss, t = loss_of(W1)
    loss.backward()
    numeric = numerical_gradient(lambda W: loss_of(W)[0].item(), W1)
    assert gradient_check(t.grad, numeric) < 1e-7


def test_numerical_gradient_validates():
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient(3.0, np.zeros(2))
    with pytest.raises(ValueError, match="eps must be > 0"):
        numerical_gradient(np.sum, np.zeros(2), eps=0.0)
    with pytest.raises(ValueError, match=r"w has shape \(3,\) but must be \(D,\) with D = 2"):
        numerical_gradient_logistic(np.zeros(3), np.zeros((4, 2)), np.zeros(4), 1e-5)


# ---- relative error
def test_relative_error_known_values():
    a = np.array([0.0, 1.0, 1.0, 100.0])
    n = np.array([0.0, -1.0, 1.0, 101.0])
    np.testing.assert_allclose(relative_error(a, n), [0.0, 1.0, 0.0, 1 / 201])
    assert gradient_check(a, n) == 1.0
    assert gradient_check(np.zeros(0), np.zeros(0)) == 0.0


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3)),
    st.floats(0.1, 10.0),
)
def test_relative_error_is_symmetric_bounded_and_scale_free(a, scale):
    n = a[::-1].copy()
    err = relative_error(a, n)
    np.testing.assert_allclose(err, relative_error(n, a))
    assert np.all((err >= 0) & (err <= 1))
    big = np.abs(a) + np.abs(n) > 1e-6  # away from the floor
    np.testing.assert_allclose(relative_error(scale * a, scale * n)[big], err[big], rtol=1e-9)


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"numeric has shape \(3, 1\) but must be \(3,\)"):
        relative_error(np.zeros(3), np.zeros((3, 1)))
