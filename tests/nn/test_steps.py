"""Tests for genolearn.nn.steps: the functional steps agree with torch.optim (float64, several
steps), bit for bit with the SGD/Adam classes, and with minibatches/fit."""

from __future__ import annotations

import numpy as np
import pytest

from genolearn.nn.data import minibatches
from genolearn.nn.layers import Linear, Parameter
from genolearn.nn.losses import BCEWithLogitsLoss
from genolearn.nn.optim import SGD, Adam
from genolearn.nn.steps import adam_step, minibatch_indices, sgd_step, train_logistic_regression
from genolearn.nn.train import fit
from tests.gradcheck import assert_close

pytestmark = pytest.mark.ch04

SHAPES = [(3, 4), (5,), (2, 3, 2)]
STEPS = 6

SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1},
]
ADAM_CONFIGS = [
    {"lr": 1e-3},
    {"lr": 0.1, "betas": (0.8, 0.99)},
    {"lr": 0.01, "eps": 1e-3, "weight_decay": 0.05},
]


def _grads(seed):
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=s) for s in SHAPES]
    grads = [[rng.normal(size=s) for s in SHAPES] for _ in range(STEPS)]
    return start, grads


def _functional_sgd(start, grads, lr, momentum=0.0, weight_decay=0.0):
    params, vels, history = list(start), [np.zeros_like(p) for p in start], []
    for step in grads:
        for i, g in enumerate(step):
            params[i], vels[i] = sgd_step(
                params[i], g, vels[i], lr, momentum, weight_decay=weight_decay
            )
        history.append([p.copy() for p in params])
    return history


def _functional_adam(start, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    params = list(start)
    ms, vs = [np.zeros_like(p) for p in start], [np.zeros_like(p) for p in start]
    history = []
    for t, step in enumerate(grads, start=1):
        for i, g in enumerate(step):
            params[i], ms[i], vs[i] = adam_step(
                params[i], g, ms[i], vs[i], t, lr, *betas, eps, weight_decay=weight_decay
            )
        history.append([p.copy() for p in params])
    return history


def _class_history(cls, kwargs, start, grads):
    params = [Parameter(p.copy()) for p in start]
    opt, history = cls(params, **kwargs), []
    for step in grads:
        opt.zero_grad()
        for p, g in zip(params, step, strict=True):
            p.grad += g
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


def _torch_history(cls, kwargs, start, grads):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    opt, history = getattr(torch.optim, cls)(params, **kwargs), []
    for step in grads:
        opt.zero_grad()
        for p, g in zip(params, step, strict=True):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


@pytest.mark.parametrize("kwargs", SGD_CONFIGS, ids=str)
def test_sgd_step_matches_torch_and_the_sgd_class(kwargs):
    start, grads = _grads(0)
    ours = _functional_sgd(start, grads, **kwargs)
    theirs = _torch_history("SGD", kwargs, start, grads)
    cls = _class_history(SGD, kwargs, start, grads)
    for step, (a, b, c) in enumerate(zip(ours, theirs, cls, strict=True), start=1):
        for i in range(len(SHAPES)):
            assert_close(a[i], b[i], rtol=1e-12, atol=1e-14, what=f"step {step} p{i}")
            np.testing.assert_array_equal(a[i], c[i])  # same operations, same bits


@pytest.mark.parametrize("kwargs", ADAM_CONFIGS, ids=str)
def test_adam_step_matches_torch_and_the_adam_class(kwargs):
    start, grads = _grads(1)
    ours = _functional_adam(start, grads, **kwargs)
    theirs = _torch_history("Adam", kwargs, start, grads)
    cls = _class_history(Adam, kwargs, start, grads)
    for step, (a, b, c) in enumerate(zip(ours, theirs, cls, strict=True), start=1):
        for i in range(len(SHAPES)):
            assert_close(a[i], b[i], rtol=1e-12, atol=1e-14, what=f"step {step} p{i}")
            np.testing.assert_array_equal(a[i], c[i])


def test_sgd_step_by_hand_and_inputs_untouched():
    p, g, v = np.array([1.0]), np.array([1.0]), np.zeros(1)
    p1, v1 = sgd_step(p, g, v, 0.1, 0.9)  # v = 1, p = 0.9
    p2, v2 = sgd_step(p1, g, v1, 0.1, 0.9)  # v = 1.9, p = 0.71
    assert (p[0], v[0]) == (1.0, 0.0)
    assert v1[0] == pytest.approx(1.0) and p1[0] == pytest.approx(0.9)
    assert v2[0] == pytest.approx(1.9) and p2[0] == pytest.approx(0.71)


def test_adam_first_step_is_lr_times_sign_and_t2_still_corrected():
    g = np.array([0.5, -3.0, 1e-3])
    p1, m1, v1 = adam_step(np.zeros(3), g, np.zeros(3), np.zeros(3), 1, lr=0.1)
    assert_close(p1, -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert_close(m1, 0.1 * g, rtol=1e-12)  # the raw moments are returned
    # at t = 2 with the same gradient, m_hat = g and v_hat = g^2 again: another step of lr
    p2, _, _ = adam_step(p1, g, m1, v1, 2, lr=0.1)
    assert_close(p2 - p1, -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-10)


def test_float32_stays_float32():
    p = np.ones(3, dtype=np.float32)
    assert sgd_step(p, p, p, 0.1, 0.9)[0].dtype == np.float32
    assert all(a.dtype == np.float32 for a in adam_step(p, p, p, p, 3))


def test_minibatch_indices_match_minibatches_and_cover_every_sample():
    X, y = np.arange(22.0).reshape(11, 2), np.arange(11)
    idx = minibatch_indices(11, 4, 3)
    assert [len(i) for i in idx] == [4, 4, 3]
    assert sorted(np.concatenate(idx).tolist()) == list(range(11))
    for i, (xb, yb) in zip(idx, minibatches(X, y, 4, seed=3), strict=True):
        np.testing.assert_array_equal(yb, i)
        np.testing.assert_array_equal(xb, X[i])
    assert minibatch_indices(0, 4, 0) == []


def test_minibatch_indices_with_a_generator_give_a_new_order_each_epoch():
    rng = np.random.default_rng(0)
    first, second = minibatch_indices(10, 10, rng), minibatch_indices(10, 10, rng)
    assert not np.array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[0], minibatch_indices(10, 10, 0)[0])


@pytest.mark.parametrize("batch_size", [1, 4, 30])
def test_train_logistic_regression_agrees_with_fit(batch_size):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.3 * rng.normal(size=30) > 0).astype(np.int64)
    w, b, losses = train_logistic_regression(X, y, 0.3, 5, batch_size, 7)
    model = Linear(3, 1, seed=0, dtype=np.float64)
    model.weight.data[:] = 0
    model.bias.data[:] = 0
    history = fit(
        model,
        BCEWithLogitsLoss(),
        SGD(model.parameters(), lr=0.3),
        X,
        y[:, None].astype(np.float64),
        epochs=5,
        batch_size=batch_size,
        seed=7,
    )
    assert_close(w, model.weight.data[0], rtol=1e-10, atol=1e-12)
    assert b == pytest.approx(float(model.bias.data[0]), rel=1e-10, abs=1e-12)
    assert_close(losses, np.array(history["train_loss"]), rtol=1e-10)
    assert losses[-1] < losses[0]


def test_train_logistic_regression_is_stable_for_large_logits():
    X = np.array([[100.0], [-100.0]])
    w, b, losses = train_logistic_regression(X, np.array([1, 0]), 10.0, 3, 2, 0)
    assert np.all(np.isfinite(losses)) and np.isfinite(w).all() and np.isfinite(b)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sgd_step(np.ones(2), np.ones(3), np.zeros(2), 0.1), ValueError, "grad has shape"),
        (lambda: sgd_step(np.ones(2), np.ones(2), np.zeros(2), -1.0), ValueError, "lr must be"),
        (lambda: sgd_step(np.arange(2), np.ones(2), np.zeros(2), 0.1), TypeError, "param has"),
        (
            lambda: adam_step(np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), 0),
            ValueError,
            "t must be >= 1",
        ),
        (
            lambda: adam_step(np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), 1, beta1=1.0),
            ValueError,
            "beta1 must be",
        ),
        (lambda: minibatch_indices(5, 0, 0), ValueError, "batch_size must be >= 1"),
        (lambda: minibatch_indices(5, 2, None), TypeError, "seed must be"),
        (
            lambda: train_logistic_regression(np.ones((3, 2)), np.ones(4), 0.1, 1, 2, 0),
            ValueError,
            "y has shape",
        ),
        (
            lambda: train_logistic_regression(np.ones((3, 2)), np.ones(3), 0.1, 0, 2, 0),
            ValueError,
            "epochs must be",
        ),
    ],
)
def test_arguments_are_validated_with_clear_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
