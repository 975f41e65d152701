"""Checks for Chapter 7 — recurrent layers: one step of an LSTM cell, in torch's layout."""

from __future__ import annotations

import numpy as np

from genolearn.deep.rnn import lstm_cell_step_numpy
from genolearn.exercises.contract import Array, Choice, Contract, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["LSTM_CELL"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _one_hot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``(n, 4, length)`` float64 one-hot of uniformly random DNA."""
    codes = rng.integers(0, 4, size=(n, length))  # (n, L)
    return np.moveaxis(np.eye(4)[codes], -1, 1)  # (n, L, 4) -> (n, 4, L)


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _weights(*shape):
    # scale 30: gate pre-activations reach the hundreds, where exp(-a) overflows
    return Choice((Array(shape, normal(0.5)), Array(shape, normal(30.0))))


_LSTM = Contract(
    args=(
        ("x", Array(("N", "D"), normal(1.0))),
        ("h", Array(("N", "H"), normal(0.5))),
        ("c", Array(("N", "H"), normal(2.0))),
        ("w_ih", _weights("4H", "D")),
        ("w_hh", _weights("4H", "H")),
        ("b_ih", Array(("4H",), normal(1.0))),
        ("b_hh", Array(("4H",), normal(1.0))),
    ),
    dims={"N": (1, 4), "D": (1, 5), "H": (1, 4)},
)

# --------------------------------------------------------------------------- LSTM cell


def _lstm_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0]]),
                np.array([[0.5]]),
                np.array([[-1.0]]),
                np.array([[1.0], [2.0], [-1.0], [0.5]]),
                np.array([[0.5], [-0.5], [1.0], [2.0]]),
                np.array([0.0, 1.0, 0.0, 0.0]),
                np.array([0.1, 0.0, -0.2, 0.3]),
            ),
            label="H = 1, D = 1, hand-picked numbers",
        ),
    ]
    for n, d, h, dtype, zero_state in [(2, 4, 3, np.float64, True)]:
        x = _one_hot(rng, n, 1)[:, :, 0] if d == 4 else rng.normal(size=(n, d))  # (N, D)
        state = np.zeros((2, n, h)) if zero_state else rng.normal(size=(2, n, h))
        args = (
            x,
            state[0],
            state[1],
            rng.normal(size=(4 * h, d)),
            rng.normal(size=(4 * h, h)),
            rng.normal(size=4 * h),
            rng.normal(size=4 * h),
        )
        what = "one-hot bases" if d == 4 else "real inputs"
        start = "zero state" if zero_state else "random state"
        cases.append(
            Case(
                tuple(a.astype(dtype) for a in args),
                label=f"N = {n}, D = {d} ({what}), H = {h}, {start}, {np.dtype(dtype).name}",
            )
        )
    return [*cases, *_LSTM.draw(rng, 4)]


def _gates(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)  # 4 x (N, H)


def _lstm_from(i, f, g, o, c, *, g_act=np.tanh, forget=True, tanh_c=True, old_c=False):
    c_new = (_sigmoid(f) * c if forget else c) + _sigmoid(i) * g_act(g)
    h_new = _sigmoid(o) * (np.tanh(c if old_c else c_new) if tanh_c else c_new)
    return h_new, c_new


def _lstm_if_swapped(x, h, c, w_ih, w_hh, b_ih, b_hh):
    f, i, g, o = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return _lstm_from(i, f, g, o, c)


def _lstm_go_swapped(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, o, g = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return _lstm_from(i, f, g, o, c)


def _lstm_sigmoid_g(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, g_act=_sigmoid)


def _lstm_no_forget(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, forget=False)


def _lstm_no_tanh_c(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, tanh_c=False)


def _lstm_old_c(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, old_c=True)


def _lstm_swapped_outputs(x, h, c, w_ih, w_hh, b_ih, b_hh):
    h_new, c_new = lstm_cell_step_numpy(x, h, c, w_ih, w_hh, b_ih, b_hh)
    return c_new, h_new


LSTM_CELL = register(
    Exercise(
        id="ch7.lstm_cell",
        chapter=7,
        title="One LSTM step",
        function="lstm_cell",
        points=3,
        reference=lstm_cell_step_numpy,
        make_cases=_lstm_cases,
        contract=_LSTM,
        parts=("h_new", "c_new"),
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "input and forget gates swapped",
                "the input and forget gates were read in the wrong order: torch stacks the "
                "gates as (input, forget, cell, output), so i is the first H columns and f "
                "the second.",
                _lstm_if_swapped,
            ),
            Mistake(
                "cell and output gates swapped",
                "the candidate g and the output gate o were swapped: torch's order is i, f, g, "
                "o (g third, o last).",
                _lstm_go_swapped,
            ),
            Mistake(
                "sigmoid on the candidate",
                "the candidate cell value g goes through tanh (values in -1..1, so the cell "
                "can also decrease); sigmoid is for the three gates.",
                _lstm_sigmoid_g,
            ),
            Mistake(
                "no forget gate",
                "the old cell state was kept whole: c' = sigmoid(f) * c + sigmoid(i) * tanh(g); "
                "the forget gate is what lets an LSTM drop what it no longer needs.",
                _lstm_no_forget,
            ),
            Mistake(
                "tanh of the cell state missing",
                "h' = sigmoid(o) * tanh(c'): squash the new cell state with tanh before the "
                "output gate.",
                _lstm_no_tanh_c,
            ),
            Mistake(
                "output from the old cell state",
                "h' must be computed from the NEW cell state c', after the update.",
                _lstm_old_c,
            ),
            Mistake(
                "outputs returned as (c', h')",
                "return the new hidden state first: (h', c'), as torch.nn.LSTMCell does.",
                _lstm_swapped_outputs,
            ),
        ),
    )
)
