"""Checks for Chapter 7 — the plain (tanh) recurrent network: one step, and the whole
sequence read step by step, in torch's layout (``torch.nn.RNNCell``, ``torch.nn.RNN``)."""

from __future__ import annotations

import numpy as np

from genolearn.deep.rnn_numpy import rnn_cell_step_numpy, rnn_forward_numpy
from genolearn.exercises.contract import Array, Choice, Contract, normal, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["RNN_STEP", "RNN_FORWARD"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _weights(*shape):
    # scale 3: pre-activations reach tens, where tanh saturates (and a sigmoid would differ)
    return Choice((Array(shape, normal(0.5)), Array(shape, normal(3.0))))


def _dna_when_four(values, rng, dims):
    """With D = 4, half of the inputs are one-hot DNA, read base by base."""
    x = values["x"]
    if dims["D"] == 4 and rng.random() < 0.5:
        values["x"] = one_hot(2)(rng, x.shape, dims).astype(x.dtype)
    return values


_PARAMS = (
    ("w_ih", _weights("H", "D")),
    ("w_hh", _weights("H", "H")),
    ("b_ih", Array(("H",), normal(1.0))),
    ("b_hh", Array(("H",), normal(1.0))),
)
_STEP = Contract(
    args=(
        ("x", Array(("N", "D"), normal(1.0))),
        ("h", Array(("N", "H"), normal(0.5))),
        *_PARAMS,
    ),
    dims={"N": (1, 4), "D": (1, 5), "H": (1, 4)},
)
_FORWARD = Contract(
    args=(
        ("x", Array(("N", "T", "D"), normal(1.0))),
        ("h0", Choice((Array(("N", "H"), normal(0.5)), Array(("N", "H"), normal(0.0))))),
        *_PARAMS,
    ),
    dims={"N": (1, 3), "T": (1, 7), "D": (1, 5), "H": (1, 4)},
    fix=_dna_when_four,
)

# --------------------------------------------------------------------------- one step


def _step_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0, 0.0]]),
                np.array([[0.5]]),
                np.array([[2.0, -1.0]]),
                np.array([[0.5]]),
                np.array([0.1]),
                np.array([-0.3]),
            ),
            label="H = 1, D = 2, hand-picked numbers: tanh(2 + 0.25 + 0.1 - 0.3)",
        ),
        Case(
            (
                rng.normal(size=(3, 2)),
                rng.normal(size=(3, 3)),
                rng.normal(size=(3, 2)),
                rng.normal(size=(3, 3)),
                rng.normal(size=3),
                rng.normal(size=3),
            ),
            label="N = 3, D = 2, H = 3 (W_hh not symmetric)",
        ),
        Case(
            (
                np.array([[400.0], [-400.0], [0.5]]),
                np.zeros((3, 2)),
                np.array([[1.0], [2.0]]),
                np.eye(2),
                np.zeros(2),
                np.zeros(2),
            ),
            label="pre-activations up to +-800: tanh is +-1 (exp(2a) would overflow)",
        ),
    ]
    return [*cases, *_STEP.draw(rng, 5)]


def _step_sigmoid(x, h, w_ih, w_hh, b_ih, b_hh):
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _step_linear(x, h, w_ih, w_hh, b_ih, b_hh):
    return x @ w_ih.T + b_ih + h @ w_hh.T + b_hh


def _step_no_recurrence(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih + b_hh)


def _step_w_hh_transposed(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh + b_hh)


def _step_one_bias(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T)


RNN_STEP = register(
    Exercise(
        id="ch7.rnn_step",
        chapter=7,
        title="One step of a recurrent network",
        function="rnn_step",
        points=2,
        reference=rnn_cell_step_numpy,
        make_cases=_step_cases,
        contract=_STEP,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "sigmoid instead of tanh",
                "the new state is tanh(...), values in -1..1, as torch.nn.RNNCell's default: "
                "a sigmoid keeps every state positive.",
                _step_sigmoid,
            ),
            Mistake(
                "no nonlinearity",
                "the sum x W_ih^T + b_ih + h W_hh^T + b_hh must go through tanh; without it "
                "the network is linear and its state can grow without bound.",
                _step_linear,
            ),
            Mistake(
                "previous state ignored",
                "the previous hidden state h enters through h W_hh^T: that term is what makes "
                "the network recurrent.",
                _step_no_recurrence,
            ),
            Mistake(
                "W_hh not transposed",
                "torch stores w_hh as (H_out, H_in): multiply h @ w_hh.T, like x @ w_ih.T.",
                _step_w_hh_transposed,
            ),
            Mistake(
                "b_hh missing",
                "torch's RNN cell has two bias vectors, b_ih and b_hh, and adds both.",
                _step_one_bias,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- the whole sequence


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    one = np.ones((1, 1))
    cases = [
        Case(
            (np.ones((1, 3, 1)), np.zeros((1, 1)), one, one, np.zeros(1), np.zeros(1)),
            label="T = 3, H = 1: h1 = tanh(1), h2 = tanh(1 + h1), h3 = tanh(1 + h2)",
        ),
        Case(
            (
                np.eye(4)[rng.integers(0, 4, size=(2, 6))],  # (N, T, 4) one-hot
                rng.normal(size=(2, 3)),
                rng.normal(size=(3, 4)),
                rng.normal(size=(3, 3)),
                rng.normal(size=3),
                rng.normal(size=3),
            ),
            label="one-hot DNA, N = 2, T = 6, H = 3, a non-zero h0",
        ),
    ]
    return [*cases, *_FORWARD.draw(rng, 5)]


def _unroll(x, h, w_ih, w_hh, b_ih, b_hh, *, carry=True, keep_first=False):
    outs, h0 = [], h
    for t in range(x.shape[1]):
        prev = h if carry else h0
        if keep_first:
            outs.append(prev)
        h = np.tanh(x[:, t] @ w_ih.T + b_ih + prev @ w_hh.T + b_hh)
        if not keep_first:
            outs.append(h)
    return np.stack(outs, axis=1), h


def _forward_no_carry(x, h0, w_ih, w_hh, b_ih, b_hh):
    return _unroll(x, h0, w_ih, w_hh, b_ih, b_hh, carry=False)


def _forward_states_before(x, h0, w_ih, w_hh, b_ih, b_hh):
    return _unroll(x, h0, w_ih, w_hh, b_ih, b_hh, keep_first=True)


def _forward_time_reversed(x, h0, w_ih, w_hh, b_ih, b_hh):
    out, h = rnn_forward_numpy(x[:, ::-1], h0, w_ih, w_hh, b_ih, b_hh)
    return out, h


def _forward_first_state(x, h0, w_ih, w_hh, b_ih, b_hh):
    out, _ = rnn_forward_numpy(x, h0, w_ih, w_hh, b_ih, b_hh)
    return out, out[:, 0]


def _forward_outputs_reversed(x, h0, w_ih, w_hh, b_ih, b_hh):
    out, h = rnn_forward_numpy(x, h0, w_ih, w_hh, b_ih, b_hh)
    return out[:, ::-1], h


RNN_FORWARD = register(
    Exercise(
        id="ch7.rnn_forward",
        chapter=7,
        title="A recurrent network reads a sequence",
        function="rnn_forward",
        points=2,
        reference=rnn_forward_numpy,
        make_cases=_forward_cases,
        contract=_FORWARD,
        parts=("out", "h_last"),
        forbid=_FORBID,
        depends=("ch7.rnn_step",),
        mistakes=(
            Mistake(
                "state not carried",
                "each step must start from the state the previous step produced; starting "
                "every step from h0 forgets everything read before.",
                _forward_no_carry,
            ),
            Mistake(
                "states before each step",
                "out[:, t] is the state AFTER reading x[:, t] (h_1 .. h_T); h0 is not part of "
                "the output, and the last state read is out[:, -1].",
                _forward_states_before,
            ),
            Mistake(
                "read backwards",
                "read the sequence forwards, from x[:, 0] to x[:, T - 1].",
                _forward_time_reversed,
            ),
            Mistake(
                "first state returned as the last",
                "the second result is the state after the LAST step, out[:, -1].",
                _forward_first_state,
            ),
            Mistake(
                "outputs in reverse order",
                "store the states in time order: out[:, 0] after the first input.",
                _forward_outputs_reversed,
            ),
        ),
    )
)
