"""Activations and their derivatives against torch.autograd in float64."""

import numpy as np
import pytest
import torch

from genolearn.nn import activations as act
from tests.gradcheck import assert_close, numerical_gradient, torch_forward_backward

pytestmark = pytest.mark.ch01

TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}
SHAPES = [(7,), (3, 4), (2, 3, 5), ()]


@pytest.mark.parametrize("name", list(TORCH))
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_derivative_match_torch_float64(name, shape):
    rng = np.random.default_rng(hash((name, shape)) % 2**32)
    z = rng.normal(scale=4.0, size=shape)
    upstream = rng.normal(size=shape)
    f, df = act.ACTIVATIONS[name]
    out, (grad,) = torch_forward_backward(TORCH[name], [z], upstream)
    assert_close(f(z), out, what=f"{name} forward")
    assert_close(upstream * df(z), grad, what=f"{name} derivative")


def test_step_has_zero_derivative_and_step_at_zero_is_one():
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(act.step(z), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(act.step_derivative(z), 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs_without_warnings(dtype):
    z = np.array([-1e3, -100.0, -89.0, 0.0, 89.0, 100.0, 1e3], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.sigmoid(z)
    assert s.dtype == dtype and np.all(np.isfinite(s))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    expected = torch.sigmoid(torch.tensor(z.astype(np.float64))).numpy()
    np.testing.assert_allclose(s, expected, rtol=1e-6 if dtype == np.float32 else 1e-15, atol=1e-37)


def test_sigmoid_derivative_matches_central_differences():
    z = np.linspace(-6, 6, 13)
    num = numerical_gradient(lambda v: act.sigmoid(v).sum(), z)
    np.testing.assert_allclose(act.sigmoid_derivative(z), num, atol=1e-9)


def test_integers_are_promoted_and_bad_input_named():
    assert act.relu(np.array([-1, 2])).dtype == np.float64
    with pytest.raises(TypeError, match="z must be an array"):
        act.sigmoid("1.0")
