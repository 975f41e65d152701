"""Tests for genolearn.nn.losses: values and gradients against torch in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genolearn.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    log_softmax_grad,
    mse_loss,
    mse_loss_grad,
    softmax,
    softmax_grad,
)
from tests.gradcheck import assert_close, torch_forward_backward

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.ch03

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(1,), (7,), (4, 3)]


def _compare(loss_fn, grad_fn, torch_loss, pred, target, reduction):
    """Our loss and gradient vs torch's; for 'none' the gradient is that of the sum."""
    value = loss_fn(pred, target, reduction)
    grad = grad_fn(pred, target, reduction)
    t_target = torch.from_numpy(np.asarray(target, dtype=np.float64))
    t_value, (t_grad,) = torch_forward_backward(
        lambda p: torch_loss(p, t_target, reduction=reduction), [pred]
    )
    if reduction == "none":
        assert_close(value, t_value)
    else:
        assert isinstance(value, float)
        assert value == pytest.approx(float(t_value), rel=1e-12)
    assert_close(grad, t_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_mse_matches_torch(shape, reduction):
    rng = np.random.default_rng(len(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    _compare(mse_loss, mse_loss_grad, F.mse_loss, pred, target, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_on_probabilities_matches_torch(shape, reduction):
    rng = np.random.default_rng(sum(shape))
    prob = rng.uniform(0.01, 0.99, size=shape)
    target = rng.integers(0, 2, size=shape).astype(np.float64)
    _compare(
        binary_cross_entropy,
        binary_cross_entropy_grad,
        F.binary_cross_entropy,
        prob,
        target,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_with_logits_matches_torch(shape, reduction):
    rng = np.random.default_rng(sum(shape) + 1)
    logits = rng.normal(scale=4, size=shape)
    target = rng.uniform(0, 1, size=shape)  # soft targets are allowed
    _compare(
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_grad,
        F.binary_cross_entropy_with_logits,
        logits,
        target,
        reduction,
    )


def test_bce_with_logits_is_stable_for_huge_logits():
    z = np.array([1e4, -1e4, 800.0, -800.0, 0.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    value = binary_cross_entropy_with_logits(z, y, "none")
    assert np.all(np.isfinite(value))
    assert_close(value, [1e4, 1e4, 0.0, 0.0, np.log(2)], rtol=1e-12)
    assert_close(binary_cross_entropy_with_logits_grad(z, y, "sum"), [1, -1, 0, 0, -0.5])


def test_bce_clips_probabilities_instead_of_returning_inf():
    prob = np.array([0.0, 1.0, 1.0])
    target = np.array([1.0, 0.0, 1.0])
    value = binary_cross_entropy(prob, target, "none", eps=1e-7)
    assert np.all(np.isfinite(value))
    assert value[0] == pytest.approx(-np.log(1e-7)) and value[1] == pytest.approx(-np.log(1e-7))
    grad = binary_cross_entropy_grad(prob, target, "none", eps=1e-7)
    assert np.all(np.isfinite(grad))
    assert grad[0] < -1e6 and grad[1] > 1e6  # still pushes the wrong predictions back
    # float32: 1 - eps must not round to 1
    value32 = binary_cross_entropy(prob.astype(np.float32), target.astype(np.float32), "none")
    assert np.all(np.isfinite(value32))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n,c", [(1, 2), (6, 3), (20, 10)])
def test_cross_entropy_matches_torch(n, c, reduction):
    rng = np.random.default_rng(n + c)
    logits = rng.normal(scale=3, size=(n, c))
    targets = rng.integers(0, c, size=n)
    value = cross_entropy(logits, targets, reduction)
    grad = cross_entropy_grad(logits, targets, reduction)
    t_targets = torch.from_numpy(targets)
    t_value, (t_grad,) = torch_forward_backward(
        lambda z: F.cross_entropy(z, t_targets, reduction=reduction), [logits]
    )
    assert_close(np.asarray(value), t_value)
    assert_close(grad, t_grad)


def test_cross_entropy_is_stable_for_logits_up_to_1e4():
    rng = np.random.default_rng(0)
    logits = rng.uniform(-1e4, 1e4, size=(50, 4))
    targets = rng.integers(0, 4, size=50)
    value = cross_entropy(logits, targets, "none")
    t_value = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets), reduction="none")
    assert np.all(np.isfinite(value))
    assert_close(value, t_value.numpy(), rtol=1e-12)
    assert np.all(np.isfinite(cross_entropy_grad(logits, targets)))
    # float32 too: the shifted exponentials never overflow
    assert np.isfinite(cross_entropy(logits.astype(np.float32), targets))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch(axis):
    rng = np.random.default_rng(axis + 5)
    z, g = rng.normal(scale=5, size=(4, 6)), rng.normal(size=(4, 6))
    t_s, (t_gs,) = torch_forward_backward(lambda t: torch.softmax(t, dim=axis), [z], g)
    t_ls, (t_gls,) = torch_forward_backward(lambda t: torch.log_softmax(t, dim=axis), [z], g)
    assert_close(softmax(z, axis), t_s)
    assert_close(softmax_grad(z, g, axis), t_gs)
    assert_close(log_softmax(z, axis), t_ls)
    assert_close(log_softmax_grad(z, g, axis), t_gls)


@settings(max_examples=50, deadline=None)
@given(
    z=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
        elements=st.floats(-1e4, 1e4),
    )
)
def test_softmax_is_a_probability_distribution_for_any_logits(z):
    s = softmax(z, axis=1)
    assert np.all(np.isfinite(s)) and np.all(s >= 0)
    assert_close(s.sum(axis=1), np.ones(len(z)), rtol=1e-12, atol=1e-12)
    assert_close(np.exp(log_softmax(z, axis=1)), s, rtol=1e-9, atol=1e-300)
    assert np.all(log_softmax(z, axis=1) <= 0)


# ----- classes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, fn, grad_fn, pred, target",
    [
        (MSELoss, mse_loss, mse_loss_grad, np.array([0.5, 2.0]), np.array([1.0, 0.0])),
        (
            BCELoss,
            binary_cross_entropy,
            binary_cross_entropy_grad,
            np.array([0.2, 0.9]),
            np.array([0.0, 1.0]),
        ),
        (
            BCEWithLogitsLoss,
            binary_cross_entropy_with_logits,
            binary_cross_entropy_with_logits_grad,
            np.array([-1.0, 3.0]),
            np.array([0.0, 1.0]),
        ),
        (
            CrossEntropyLoss,
            cross_entropy,
            cross_entropy_grad,
            np.array([[1.0, 2.0], [0.0, -1.0]]),
            np.array([1, 0]),
        ),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_loss_classes_wrap_the_functions(cls, fn, grad_fn, pred, target, reduction):
    loss_fn = cls(reduction=reduction)
    assert loss_fn(pred, target) == fn(pred, target, reduction)
    assert_close(loss_fn.backward(), grad_fn(pred, target, reduction))
    assert repr(loss_fn) == f"{cls.__name__}(reduction={reduction!r})"


@pytest.mark.parametrize("cls", [MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss])
def test_backward_before_forward_is_a_clear_error(cls):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before computing a loss"):
        cls().backward()


def test_gradients_keep_float32():
    z = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    assert cross_entropy_grad(z, y).dtype == np.float32
    assert mse_loss_grad(z, np.zeros((5, 3), dtype=np.int64)).dtype == np.float32
    p = np.full(4, 0.5, dtype=np.float32)
    assert binary_cross_entropy_grad(p, np.array([0, 1, 1, 0])).dtype == np.float32
    assert binary_cross_entropy_with_logits_grad(p, np.ones(4, np.float32)).dtype == np.float32


# ----- error messages -----------------------------------------------------------------------------
def test_column_against_flat_target_names_the_broadcasting_bug():
    with pytest.raises(ValueError, match=r"\(N, 1\) against \(N,\) would silently broadcast"):
        mse_loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"pred has shape \(4,\) but target has shape \(4, 1\)"):
        MSELoss()(np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(
        ValueError, match=r"shape \(3,\) but target has shape \(4,\); they must match$"
    ):
        mse_loss(np.zeros(3), np.zeros(4))


def test_bce_rejects_logits_with_a_hint():
    with pytest.raises(ValueError, match=r"pred must lie in \[0, 1\].*use BCEWithLogitsLoss"):
        BCELoss()(np.array([-2.0, 3.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\]"):
        binary_cross_entropy(np.array([0.5]), np.array([2.0]))


@pytest.mark.parametrize(
    "targets, error, message",
    [
        (np.eye(3)[[0, 1, 2, 1]], ValueError, r"it looks one-hot: use targets\.argmax\(axis=1\)"),
        (np.array([0.0, 1.0, 2.0, 1.0]), TypeError, r"dtype float64 .* targets\.astype"),
        (np.array([1, 2, 3, 3]), ValueError, r"\[0, 2\], but contains 3; classes numbered from 1"),
        (np.array([0, -1, 2, 1]), ValueError, r"but contains -1"),
        (np.array([0, 1, 2]), ValueError, r"targets has shape \(3,\) but must be \(4,\)"),
    ],
)
def test_cross_entropy_target_errors(targets, error, message):
    with pytest.raises(error, match=message):
        CrossEntropyLoss()(np.zeros((4, 3)), targets)


def test_bad_reduction_and_logits_shape():
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
        MSELoss(reduction="average")
    with pytest.raises(ValueError, match=r"logits has shape \(4,\) \(1-D\) but must be \(N, C\)"):
        cross_entropy(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(TypeError, match="pred has dtype int64 but must be floating-point"):
        mse_loss(np.zeros(3, dtype=np.int64), np.zeros(3))
