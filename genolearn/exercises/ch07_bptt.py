"""Checks for Chapter 7 — backpropagation through time in a tanh RNN: the gradient of the loss
with respect to every hidden state, counting every path through later steps."""

from __future__ import annotations

import numpy as np

from genolearn.deep.rnn_numpy import rnn_bptt_numpy
from genolearn.exercises.contract import Array, Choice, Contract, normal, uniform
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["RNN_BPTT"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _last_step_only(values, rng, dims):
    """Half of the cases read out only the last state: the direct gradient is zero before it."""
    if rng.random() < 0.5:
        grad = np.zeros_like(values["grad_out"])
        grad[:, -1] = values["grad_out"][:, -1]
        values["grad_out"] = grad
    return values


_BPTT = Contract(
    args=(
        # hidden states of a tanh RNN lie in (-1, 1); near +-1 tanh has saturated
        (
            "h",
            Choice(
                (
                    Array(("N", "T", "H"), uniform(-0.99, 0.99)),
                    Array(("N", "T", "H"), uniform(-0.3, 0.3)),
                )
            ),
        ),
        ("w_hh", Choice((Array(("H", "H"), normal(0.5)), Array(("H", "H"), normal(2.0))))),
        ("grad_out", Array(("N", "T", "H"), normal(1.0))),
    ),
    dims={"N": (1, 3), "T": (1, 8), "H": (1, 4)},
    fix=_last_step_only,
)


def _bptt_cases(rng: np.random.Generator) -> list[Case]:
    last_only = np.zeros((1, 4, 1))
    last_only[0, -1, 0] = 1.0
    cases = [
        Case(
            (np.full((1, 4, 1), 0.5), np.array([[2.0]]), last_only),
            label="H = 1, T = 4, last-state read-out: each step back multiplies by 0.75 * 2",
        ),
        Case(
            (np.zeros((1, 3, 1)), np.array([[1.0]]), np.ones((1, 3, 1))),
            label="h = 0 (tanh's slope is 1): gradients add up to 3, 2, 1",
        ),
        Case(
            (
                rng.uniform(-0.9, 0.9, size=(2, 5, 3)),
                rng.normal(size=(3, 3)),
                rng.normal(size=(2, 5, 3)),
            ),
            label="N = 2, T = 5, H = 3, W_hh not symmetric, a read-out at every step",
        ),
    ]
    return [*cases, *_BPTT.draw(rng, 5)]


def _bptt(h, w_hh, grad_out, *, transpose=False, slope=None, same_step=False, direct=True):
    grad = np.array(grad_out, dtype=np.result_type(h, w_hh, grad_out))
    w = w_hh.T if transpose else w_hh
    for t in range(h.shape[1] - 2, -1, -1):
        at = h[:, t] if same_step else h[:, t + 1]
        deriv = (1.0 - at**2) if slope is None else slope(at)
        back = (grad[:, t + 1] * deriv) @ w
        grad[:, t] = (grad[:, t] + back) if direct else back
    return grad


def _bptt_forward_in_time(h, w_hh, grad_out):
    grad = np.array(grad_out, dtype=np.result_type(h, w_hh, grad_out))
    for t in range(1, h.shape[1]):  # wrong direction: from the first step to the last
        grad[:, t] += (grad[:, t - 1] * (1.0 - h[:, t - 1] ** 2)) @ w_hh
    return grad


RNN_BPTT = register(
    Exercise(
        id="ch7.rnn_bptt",
        chapter=7,
        title="Backpropagation through time",
        function="rnn_bptt",
        points=3,
        reference=rnn_bptt_numpy,
        make_cases=_bptt_cases,
        contract=_BPTT,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "W_hh transposed",
                "a_{t+1} = ... + h_t W_hh^T, so the gradient flows back as (g * (1 - h^2)) @ "
                "W_hh, not @ W_hh.T (the two differ unless W_hh is symmetric).",
                lambda h, w_hh, grad_out: _bptt(h, w_hh, grad_out, transpose=True),
            ),
            Mistake(
                "tanh's slope missing",
                "the gradient passes through tanh on its way back: multiply by 1 - h_{t+1}^2 "
                "before the matrix product.",
                lambda h, w_hh, grad_out: _bptt(h, w_hh, grad_out, slope=np.ones_like),
            ),
            Mistake(
                "slope taken at the wrong step",
                "h_t reaches the loss through h_{t+1} = tanh(a_{t+1}): use the slope at step "
                "t + 1, 1 - h_{t+1}^2, not at step t.",
                lambda h, w_hh, grad_out: _bptt(h, w_hh, grad_out, same_step=True),
            ),
            Mistake(
                "sigmoid's slope",
                "the RNN uses tanh, whose slope is 1 - h^2; h (1 - h) is the sigmoid's.",
                lambda h, w_hh, grad_out: _bptt(h, w_hh, grad_out, slope=lambda a: a * (1 - a)),
            ),
            Mistake(
                "direct gradients dropped",
                "add the gradient that reaches h_t directly (grad_out[:, t]) to what comes "
                "back from later steps: g_t = grad_out_t + (g_{t+1} * (1 - h_{t+1}^2)) W_hh.",
                lambda h, w_hh, grad_out: _bptt(h, w_hh, grad_out, direct=False),
            ),
            Mistake(
                "forwards in time",
                "backpropagation through time runs backwards: start at the last step, whose "
                "total gradient is its direct one, and go back to the first.",
                _bptt_forward_in_time,
            ),
        ),
    )
)
