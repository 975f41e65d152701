"""Tests for genolearn.nn.layers: every forward and backward is checked against torch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.nn.activations import relu
from genolearn.nn.layers import (
    Dropout,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    count_parameters,
)
from tests.gradcheck import assert_close, numerical_gradient, torch_forward_backward

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.ch02

SHAPES = [(1, 1, 1), (5, 4, 3), (7, 10, 2), (32, 8, 16)]  # (N, D, H)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _linear64(d, h, bias=True, seed=0):
    return Linear(d, h, bias, seed=seed, dtype=np.float64)


# ----- Parameter and Linear basics --------------------------------------------------------
def test_parameter_grad_starts_at_zero_and_zero_grad_keeps_the_array():
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    grad = p.grad
    p.grad += 5
    p.zero_grad()
    assert p.grad is grad and not p.grad.any()
    assert p.shape == (2, 3) and p.size == 6 and "Parameter" in repr(p)


def test_parameter_rejects_integer_data():
    with pytest.raises(TypeError, match="data has dtype int64 but must be floating-point"):
        Parameter(np.ones(3, dtype=np.int64))


def test_linear_init_matches_torch_convention():
    layer = Linear(400, 30, seed=0)
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (30, 400) and b.shape == (30,)  # (out, in), like torch
    assert w.dtype == np.float32 and b.dtype == np.float32
    bound = 1 / np.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has standard deviation a / sqrt(3); 12,000 draws pin it within a few percent
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    assert abs(w.mean()) < 0.05 * bound
    assert np.array_equal(w, Linear(400, 30, seed=0).weight.data)  # reproducible
    assert not np.array_equal(w, Linear(400, 30, seed=1).weight.data)


def test_linear_without_bias_and_repr():
    layer = Linear(3, 2, bias=False, seed=0)
    assert layer.bias is None and len(layer.parameters()) == 1
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"
    x = _rng().normal(size=(4, 3)).astype(np.float32)
    assert_close(layer(x), x @ layer.weight.data.T, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("n,d,h", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.ch03
def test_linear_forward_backward_match_torch(n, d, h, bias):
    layer = _linear64(d, h, bias, seed=n + d)
    rng = _rng(n * d * h)
    x, g = rng.normal(size=(n, d)), rng.normal(size=(n, h))
    out = layer(x)
    grad_x = layer.backward(g)
    inputs = [x, layer.weight.data] + ([layer.bias.data] if bias else [])
    t_out, t_grads = torch_forward_backward(torch.nn.functional.linear, inputs, g)
    assert_close(out, t_out, what="forward")
    assert_close(grad_x, t_grads[0], what="dL/dx")
    assert_close(layer.weight.grad, t_grads[1], what="dL/dW")
    if bias:
        assert_close(layer.bias.grad, t_grads[2], what="dL/db")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 9), d=st.integers(1, 9), h=st.integers(1, 9), seed=st.integers(0, 99))
@pytest.mark.ch03
def test_linear_backward_matches_torch_on_random_shapes(n, d, h, seed):
    layer = _linear64(d, h, seed=seed)
    rng = _rng(seed)
    x, g = rng.normal(size=(n, d)), rng.normal(size=(n, h))
    layer(x)
    grad_x = layer.backward(g)
    _, t_grads = torch_forward_backward(
        torch.nn.functional.linear, [x, layer.weight.data, layer.bias.data], g
    )
    for got, want in zip([grad_x, layer.weight.grad, layer.bias.grad], t_grads, strict=True):
        assert_close(got, want)


@pytest.mark.ch03
def test_linear_weight_gradient_matches_central_differences():
    layer = _linear64(3, 2, seed=4)
    x = _rng(1).normal(size=(5, 3))
    g = _rng(2).normal(size=(5, 2))

    def loss(w):
        return float(np.sum((x @ w.T + layer.bias.data) * g))

    layer(x)
    layer.backward(g)
    assert_close(layer.weight.grad, numerical_gradient(loss, layer.weight.data), rtol=1e-6)


@pytest.mark.ch03
def test_linear_gradients_accumulate_until_zero_grad():
    layer = _linear64(4, 3)
    x, g = _rng(1).normal(size=(6, 4)), _rng(2).normal(size=(6, 3))
    layer(x)
    layer.backward(g)
    once_w, once_b = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.backward(g)
    assert_close(layer.weight.grad, 2 * once_w)
    assert_close(layer.bias.grad, 2 * once_b)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


@pytest.mark.ch03
def test_input_grad_false_skips_input_gradient_but_fills_parameter_grads():
    layer = _linear64(4, 3)
    x, g = _rng(1).normal(size=(6, 4)), _rng(2).normal(size=(6, 3))
    layer(x)
    assert layer.backward(g, input_grad=False) is None
    expected = layer.weight.grad.copy()
    layer.zero_grad()
    layer.backward(g)
    assert_close(layer.weight.grad, expected)


def test_linear_stays_float32():
    layer = Linear(6, 4, seed=0)
    x = _rng().normal(size=(3, 6)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32


# ----- error messages ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((32, 5), np.float32), r"x has shape \(32, 5\) but must be \(N, 4\); Linear"),
        (np.zeros((4, 32), np.float32), r"looks transposed .* use x\.T"),
        (np.zeros(4, np.float32), r"a single sample must be a row: use x\.reshape\(1, -1\)"),
        (np.zeros((8, 2, 2), np.float32), r"flatten each sample first"),
    ],
)
def test_linear_shape_errors_explain_the_mistake(x, message):
    with pytest.raises(ValueError, match=message):
        Linear(4, 3, seed=0)(x)


def test_linear_dtype_errors():
    layer = Linear(4, 3, seed=0)
    with pytest.raises(TypeError, match=r"x has dtype int64 but must be floating-point; convert"):
        layer(np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(TypeError, match=r"x has dtype float64 but the layer's weight is float32"):
        layer(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="x must be an array"):
        layer("ACGT")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"in_features": 0, "out_features": 3}, ValueError, "in_features must be >= 1"),
        ({"in_features": 2, "out_features": 2.5}, TypeError, "out_features must be an integer"),
        ({"in_features": 2, "out_features": 2, "bias": "yes"}, TypeError, "bias must be True"),
        ({"in_features": 2, "out_features": 2, "dtype": np.int32}, TypeError, "floating-point"),
        ({"in_features": 2, "out_features": 2, "seed": None}, TypeError, "seed must be an int"),
    ],
)
def test_linear_constructor_errors(kwargs, error, message):
    kwargs = {"seed": 0, **kwargs}
    with pytest.raises(error, match=message):
        Linear(**kwargs)


@pytest.mark.parametrize(
    "module", [Linear(2, 2, seed=0), ReLU(), Sigmoid(), Tanh(), Dropout(0.5, seed=0)]
)
def test_backward_before_forward_is_a_clear_error(module):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        module.backward(np.ones((1, 2), dtype=np.float32))


def test_grad_out_with_wrong_shape_is_rejected():
    layer = Linear(4, 3, seed=0)
    layer(np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match=r"grad_out has shape \(5, 4\) but must be \(5, 3\)"):
        layer.backward(np.zeros((5, 4), np.float32))
    act = ReLU()
    act(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"grad_out has shape \(3, 2\) but must be \(2, 3\)"):
        act.backward(np.zeros((3, 2), np.float32))


# ----- activations --------------------------------------------------------------------------
ACTIVATION_PAIRS = [(Sigmoid, torch.sigmoid), (Tanh, torch.tanh), (ReLU, torch.relu)]


@pytest.mark.parametrize("module_cls, torch_fn", ACTIVATION_PAIRS)
@pytest.mark.parametrize("shape", [(1, 1), (6, 5), (3, 4, 7)])
@pytest.mark.ch03
def test_activation_modules_match_torch(module_cls, torch_fn, shape):
    rng = _rng(sum(shape))
    x, g = rng.normal(scale=3, size=shape), rng.normal(size=shape)
    module = module_cls()
    out = module(x)
    grad_x = module.backward(g)
    t_out, (t_grad,) = torch_forward_backward(torch_fn, [x], g)
    assert_close(out, t_out, what="forward")
    assert_close(grad_x, t_grad, what="backward")
    assert module.backward(g, input_grad=False) is None


def test_relu_module_uses_the_functional_relu_and_zero_slope_at_zero():
    x = np.array([[-1.0, 0.0, 2.0]], dtype=np.float32)
    module = ReLU()
    assert np.array_equal(module(x), relu(x))
    grad = module.backward(np.ones_like(x))
    assert np.array_equal(grad, [[0.0, 0.0, 1.0]]) and grad.dtype == np.float32


# ----- dropout ------------------------------------------------------------------------------
def test_dropout_training_zeroes_and_rescales():
    x = np.ones((200, 100), dtype=np.float32)
    drop = Dropout(0.3, seed=0)
    out = drop(x)
    assert out.dtype == np.float32
    dropped = out == 0
    assert dropped.mean() == pytest.approx(0.3, abs=0.02)
    assert np.allclose(out[~dropped], 1 / 0.7)
    assert out.mean() == pytest.approx(1.0, abs=0.03)  # inverted dropout keeps the mean
    g = _rng().normal(size=x.shape).astype(np.float32)
    grad = drop.backward(g)
    assert np.array_equal(grad == 0, dropped)  # the same mask as the forward pass
    assert_close(grad[~dropped], g[~dropped] / np.float32(0.7), rtol=1e-6)


def test_dropout_is_identity_in_eval_mode_and_for_p_zero():
    x = _rng().normal(size=(4, 5)).astype(np.float32)
    drop = Dropout(0.5, seed=0).eval()
    assert np.array_equal(drop(x), x)
    assert np.array_equal(drop.backward(x), x)
    assert np.array_equal(Dropout(0.0, seed=0)(x), x)


def test_dropout_p_one_drops_everything_and_seed_reproduces():
    x = np.ones((3, 4), dtype=np.float32)
    assert not Dropout(1.0, seed=0)(x).any()
    assert np.array_equal(Dropout(0.5, seed=3)(x), Dropout(0.5, seed=3)(x))
    with pytest.raises(ValueError, match=r"p must be <= 1.0, but got 1.5"):
        Dropout(1.5, seed=0)


# ----- Sequential ----------------------------------------------------------------------------
def _mlp64(d=5, h=7, c=3):
    return Sequential(
        _linear64(d, h, seed=1), Tanh(), _linear64(h, h, seed=2), ReLU(), _linear64(h, c, seed=3)
    )


@pytest.mark.parametrize("n", [1, 4, 19])
@pytest.mark.ch03
def test_sequential_backward_matches_torch(n):
    model = _mlp64()
    rng = _rng(n)
    x, g = rng.normal(size=(n, 5)), rng.normal(size=(n, 3))
    out = model(x)
    grad_x = model.backward(g)
    params = [p.data for p in model.parameters()]

    def torch_mlp(x, w1, b1, w2, b2, w3, b3):
        f = torch.nn.functional
        return f.linear(torch.relu(f.linear(torch.tanh(f.linear(x, w1, b1)), w2, b2)), w3, b3)

    t_out, t_grads = torch_forward_backward(torch_mlp, [x, *params], g)
    assert_close(out, t_out, what="forward")
    assert_close(grad_x, t_grads[0], what="dL/dx")
    for p, want in zip(model.parameters(), t_grads[1:], strict=True):
        assert_close(p.grad, want, what=repr(p))


@pytest.mark.ch03
def test_sequential_input_grad_false_returns_none_and_same_parameter_grads():
    model = _mlp64()
    x, g = _rng(1).normal(size=(4, 5)), _rng(2).normal(size=(4, 3))
    model(x)
    model.backward(g)
    expected = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    assert model.backward(g, input_grad=False) is None
    for p, want in zip(model.parameters(), expected, strict=True):
        assert_close(p.grad, want)


class _Double(Module):
    """A learner's own module whose backward has no ``input_grad`` option."""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return 2 * grad_out


def test_sequential_accepts_a_module_without_input_grad_option():
    model = Sequential(_Double(), _linear64(3, 2))
    x = _rng().normal(size=(4, 3))
    model(x)
    assert model.backward(np.ones((4, 2)), input_grad=False) is None
    assert model.backward(np.ones((4, 2))).shape == (4, 3)


def test_sequential_container_behaviour_and_repr():
    model = Sequential(Linear(4, 3, seed=0), ReLU(), Sequential(Linear(3, 2, seed=1), Sigmoid()))
    assert len(model) == 3 and isinstance(model[1], ReLU)
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Sequential"]
    assert repr(model).splitlines()[3] == "  (2): Sequential("
    assert "    (0): Linear(in_features=3, out_features=2, bias=True)" in repr(model)
    assert repr(Sequential()) == "Sequential()"


def test_sequential_rejects_functions_with_a_hint():
    with pytest.raises(TypeError, match=r"argument 1 must be a Module.*ReLU\(\) rather than relu"):
        Sequential(Linear(2, 2, seed=0), relu)


def test_parameters_count_and_train_eval_propagate():
    model = Sequential(
        Linear(800, 256, seed=0), ReLU(), Dropout(0.2, seed=0), Linear(256, 2, seed=1)
    )
    assert count_parameters(model) == 800 * 256 + 256 + 256 * 2 + 2
    assert [p.shape for p in model.parameters()] == [(256, 800), (256,), (2, 256), (2,)]
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="model must be a Module"):
        count_parameters([1, 2])


def test_shared_parameters_are_listed_once():
    a = Linear(3, 3, seed=0)
    b = Linear(3, 3, seed=1)
    b.weight = a.weight  # weight tying
    model = Sequential(a, b)
    assert len(model.parameters()) == 3
    assert count_parameters(model) == 9 + 3 + 3


def test_float32_end_to_end():
    model = Sequential(Linear(8, 6, seed=0), ReLU(), Linear(6, 2, seed=1), Sigmoid())
    x = _rng().normal(size=(5, 8)).astype(np.float32)
    out = model(x)
    assert out.dtype == np.float32
    assert model.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
