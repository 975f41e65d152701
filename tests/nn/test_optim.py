"""Tests for genolearn.nn.optim: several steps against torch.optim on the same parameters."""

from __future__ import annotations

import numpy as np
import pytest

from genolearn.nn.layers import Linear, Parameter, ReLU, Sequential
from genolearn.nn.optim import SGD, Adam, Optimizer
from tests.gradcheck import assert_close

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.ch04

SHAPES = [(3, 4), (4,), (2, 3, 2)]


def _run_both(ours_cls, torch_cls, kwargs, steps=5, seed=0):
    """Take ``steps`` steps with fresh random gradients; compare after every step."""
    rng = np.random.default_rng(seed)
    params = [Parameter(rng.normal(size=s)) for s in SHAPES]
    t_params = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    ours, theirs = ours_cls(params, **kwargs), torch_cls(t_params, **kwargs)
    for step in range(1, steps + 1):
        ours.zero_grad()
        theirs.zero_grad()
        for p, t in zip(params, t_params, strict=True):
            g = rng.normal(size=p.shape)
            p.grad += g
            t.grad = torch.from_numpy(g.copy())
        ours.step()
        theirs.step()
        for i, (p, t) in enumerate(zip(params, t_params, strict=True)):
            assert_close(
                p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14, what=f"step {step} p{i}"
            )


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
    {"lr": 0.02, "momentum": 0.8, "weight_decay": 0.1},
]


@pytest.mark.parametrize("kwargs", SGD_CONFIGS, ids=str)
def test_sgd_matches_torch(kwargs):
    _run_both(SGD, torch.optim.SGD, kwargs)


ADAM_CONFIGS = [
    {"lr": 1e-3},
    {"lr": 0.1, "betas": (0.8, 0.99)},
    {"lr": 0.01, "weight_decay": 0.05},
    {"lr": 0.01, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", ADAM_CONFIGS, ids=str)
def test_adam_matches_torch(kwargs):
    _run_both(Adam, torch.optim.Adam, kwargs)


def test_adam_first_step_moves_every_parameter_by_lr_thanks_to_bias_correction():
    rng = np.random.default_rng(1)
    p = Parameter(rng.normal(size=100))
    start = p.data.copy()
    p.grad += rng.normal(size=100)
    Adam([p], lr=0.01).step()
    # m_hat = g, v_hat = g^2 -> the step is lr * g / (|g| + eps), about lr * sign(g)
    g = p.grad
    assert_close(start - p.data, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert_close(start - p.data, 0.01 * np.sign(g), rtol=1e-4)
    # without the correction the first step would be 0.1 / sqrt(0.001) = 3.16 times larger


def test_sgd_momentum_by_hand():
    p = Parameter(np.array([1.0]))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad[:] = 1.0
    opt.step()  # v = 1, p = 1 - 0.1
    assert p.data[0] == pytest.approx(0.9)
    opt.step()  # v = 0.9 + 1 = 1.9, p = 0.9 - 0.19
    assert p.data[0] == pytest.approx(0.71)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
        lambda ps: Adam(ps, weight_decay=0.1),
    ],
)
def test_updates_are_in_place_and_keep_float32(make):
    model = Sequential(Linear(5, 4, seed=0), ReLU(), Linear(4, 2, seed=1))
    arrays = [p.data for p in model.parameters()]
    opt = make(model.parameters())
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    for _ in range(3):
        opt.zero_grad()
        model(x)
        model.backward(np.ones((3, 2), dtype=np.float32))
        opt.step()
    for p, a in zip(model.parameters(), arrays, strict=True):
        assert p.data is a and p.data.dtype == np.float32 and p.grad.dtype == np.float32


def test_zero_grad_clears_in_place():
    p = Parameter(np.ones(3))
    grad = p.grad
    p.grad += 2
    SGD([p], lr=0.1).zero_grad()
    assert p.grad is grad and not p.grad.any()


def test_a_parameter_listed_twice_is_updated_once():
    p = Parameter(np.zeros(2))
    p.grad[:] = 1
    opt = SGD([p, p], lr=0.5)
    assert len(opt.params) == 1
    opt.step()
    assert_close(p.data, np.array([-0.5, -0.5]))


def test_lr_can_change_between_steps():
    p = Parameter(np.zeros(1))
    p.grad[:] = 1
    opt = SGD([p], lr=1.0)
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data[0] == pytest.approx(-1.5)


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda m: SGD(m, lr=0.1), TypeError, r"pass model\.parameters\(\)"),
        (lambda m: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda m: SGD([np.zeros(3)], lr=0.1), TypeError, r"params\[0\] must be a Parameter"),
        (lambda m: SGD(m.parameters(), lr=-1), ValueError, "lr must be >= 0.0"),
        (lambda m: SGD(m.parameters(), lr=0.1, nesterov=True), ValueError, "nesterov=True needs"),
        (lambda m: Adam(m.parameters(), betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be < 1"),
        (lambda m: Adam(m.parameters(), betas=0.9), TypeError, "betas must be a pair"),
        (lambda m: Adam(m.parameters(), lr="fast"), TypeError, "lr must be a real number"),
    ],
)
def test_constructor_errors(build, error, message):
    model = Sequential(Linear(2, 2, seed=0))
    with pytest.raises(error, match=message):
        build(model)


def test_base_class_step_is_abstract():
    with pytest.raises(NotImplementedError, match="must implement step"):
        Optimizer([Parameter(np.zeros(1))], lr=0.1).step()
