"""Chapter 7, recurrent networks (RNN step, the unrolled RNN, BPTT, LSTM step) — wrong and
correct answers, written from the exercise texts (same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(777)


# --------------------------------------------------------------------------- RNN step


def rs_relu(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.maximum(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 0.0)  # ReLU, not tanh


def rs_h_times_x(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih) * np.tanh(h @ w_hh.T + b_hh)  # product of two tanh


def rs_tanh_each(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih) + np.tanh(h @ w_hh.T + b_hh)  # sum of two tanh


def rs_float16(x, h, w_ih, w_hh, b_ih, b_hh):
    a = [v.astype(np.float16) for v in (x, h, w_ih, w_hh, b_ih, b_hh)]
    return np.tanh(a[0] @ a[2].T + a[4] + a[1] @ a[3].T + a[5])


def rs_exp_formula(x, h, w_ih, w_hh, b_ih, b_hh):
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(2 * a)
        return (e - 1) / (e + 1)  # inf / inf = nan for a > 355


def rs_einsum(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(np.einsum("nd,hd->nh", x, w_ih) + np.einsum("nk,hk->nh", h, w_hh) + b_ih + b_hh)


def rs_stable_exp(x, h, w_ih, w_hh, b_ih, b_hh):
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    e = np.exp(-2 * np.abs(a))  # never overflows
    return np.sign(a) * (1 - e) / (1 + e)


# --------------------------------------------------------------------------- RNN forward


def _step(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def rf_time_axis_0(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, outs = h0, []
    for t in range(x.shape[0]):  # iterates over the batch axis
        h = _step(x[t], h[t : t + 1] if h.ndim == 2 else h, w_ih, w_hh, b_ih, b_hh)
        outs.append(h[0])
    out = np.stack(outs)[:, None, :]
    return out, out[:, -1]


def rf_includes_h0(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, outs = h0, [h0]
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, w_ih, w_hh, b_ih, b_hh)
        outs.append(h)
    return np.stack(outs, axis=1), h  # T + 1 states


def rf_zero_start(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, outs = np.zeros_like(h0), []  # ignores the given h0
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, w_ih, w_hh, b_ih, b_hh)
        outs.append(h)
    return np.stack(outs, axis=1), h


def rf_last_only(x, h0, w_ih, w_hh, b_ih, b_hh):
    h = h0
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, w_ih, w_hh, b_ih, b_hh)
    return h, h  # the states are not collected


def rf_all_at_once(x, h0, w_ih, w_hh, b_ih, b_hh):
    out = np.tanh(x @ w_ih.T + b_ih + (h0 @ w_hh.T + b_hh)[:, None])  # no recurrence along t
    return out, out[:, -1]


def rf_list_of_states(x, h0, w_ih, w_hh, b_ih, b_hh):
    states = [h0]
    for t in range(x.shape[1]):
        states.append(np.tanh(x[:, t] @ w_ih.T + states[-1] @ w_hh.T + (b_ih + b_hh)))
    out = np.transpose(np.array(states[1:]), (1, 0, 2))  # (T, N, H) -> (N, T, H)
    return out, states[-1]


def rf_preallocated(x, h0, w_ih, w_hh, b_ih, b_hh):
    n, steps, _ = x.shape
    out = np.empty((n, steps, h0.shape[1]), dtype=np.result_type(x, h0, w_ih))
    pre = np.einsum("ntd,hd->nth", x, w_ih) + b_ih + b_hh  # every input projection at once
    h = h0
    for t in range(steps):
        h = np.tanh(pre[:, t] + h @ w_hh.T)
        out[:, t] = h
    return out, h


# --------------------------------------------------------------------------- BPTT


def bp_last_step_only(h, w_hh, grad_out):
    grad = np.zeros_like(grad_out, dtype=np.float64)
    g = grad_out[:, -1].astype(np.float64)
    for t in range(h.shape[1] - 1, -1, -1):
        grad[:, t] = g
        if t:
            g = (g * (1 - h[:, t] ** 2)) @ w_hh  # ignores grad_out before the last step
    return grad


def bp_no_accumulation(h, w_hh, grad_out):
    grad = np.array(grad_out, dtype=np.float64)
    for t in range(h.shape[1] - 2, -1, -1):
        grad[:, t] += (grad_out[:, t + 1] * (1 - h[:, t + 1] ** 2)) @ w_hh  # one step only
    return grad


def bp_derivative_of_h(h, w_hh, grad_out):
    grad = np.array(grad_out, dtype=np.float64)
    for t in range(h.shape[1] - 2, -1, -1):
        grad[:, t] += (grad[:, t + 1] * (1 - np.tanh(h[:, t + 1]) ** 2)) @ w_hh  # tanh'(h)
    return grad


def bp_matrix_first(h, w_hh, grad_out):
    grad = np.array(grad_out, dtype=np.float64)
    for t in range(h.shape[1] - 2, -1, -1):
        grad[:, t] += (grad[:, t + 1] @ w_hh) * (1 - h[:, t + 1] ** 2)  # slope after W_hh
    return grad


def bp_in_place(h, w_hh, grad_out):
    for t in range(h.shape[1] - 2, -1, -1):
        grad_out[:, t] += (grad_out[:, t + 1] * (1 - h[:, t + 1] ** 2)) @ w_hh
    return grad_out  # the caller's array, modified


def bp_recursive(h, w_hh, grad_out):
    steps = h.shape[1]

    def total(t):
        if t == steps - 1:
            return grad_out[:, t]
        return grad_out[:, t] + (total(t + 1) * (1 - h[:, t + 1] ** 2)) @ w_hh

    return np.stack([total(t) for t in range(steps)], axis=1)


def bp_einsum(h, w_hh, grad_out):
    grad = np.empty(h.shape, dtype=np.result_type(h, w_hh, grad_out))
    g = grad_out[:, -1]
    grad[:, -1] = g
    for t in range(h.shape[1] - 2, -1, -1):
        g = grad_out[:, t] + np.einsum("nj,jk->nk", g * (1 - h[:, t + 1] ** 2), w_hh)
        grad[:, t] = g
    return grad


# --------------------------------------------------------------------------- LSTM cell


def _sig(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


# --------------------------------------------------------------------------- LSTM cell


def _cell(i, f, g, o, c):
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c_new), c_new


def ls_float16(x, h, c, w_ih, w_hh, b_ih, b_hh):
    x, h, c, w_ih, w_hh, b_ih, b_hh = (
        a.astype(np.float16) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)
    )
    return _cell(*np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1), c)


def ls_no_b_hh(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _cell(*np.split(x @ w_ih.T + h @ w_hh.T + b_ih, 4, axis=1), c)


def ls_interleaved(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).reshape(len(x), -1, 4)  # (N, H, 4)
    return _cell(gates[..., 0], gates[..., 1], gates[..., 2], gates[..., 3], c)


def ls_tanh_on_c(x, h, c, w_ih, w_hh, b_ih, b_hh):
    h_new, c_new = _cell(*np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1), c)
    return h_new, np.tanh(c_new)  # returns the squashed cell state


def ls_in_place(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c *= _sig(f)  # the caller's c
    c += _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c), c


def ls_slices(x, h, c, w_ih, w_hh, b_ih, b_hh):
    hidden = h.shape[1]

    def gate(j):
        rows = slice(j * hidden, (j + 1) * hidden)
        return x @ w_ih[rows].T + h @ w_hh[rows].T + b_ih[rows] + b_hh[rows]  # (N, H)

    def sigmoid(a):
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1 / (1 + e), e / (1 + e))

    c_new = sigmoid(gate(1)) * c + sigmoid(gate(0)) * np.tanh(gate(2))
    return sigmoid(gate(3)) * np.tanh(c_new), c_new


def ls_loops(x, h, c, w_ih, w_hh, b_ih, b_hh):
    n, hidden = h.shape
    h_new, c_new = np.empty((n, hidden)), np.empty((n, hidden))
    for r in range(n):
        z = w_ih @ x[r] + w_hh @ h[r] + b_ih + b_hh  # (4H,)
        for u in range(hidden):
            i, f, g, o = (z[j * hidden + u] for j in range(4))
            sig = [
                1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))
                for a in (i, f, o)
            ]
            c_new[r, u] = sig[1] * c[r, u] + sig[0] * math.tanh(g)
            h_new[r, u] = sig[2] * math.tanh(c_new[r, u])
    return h_new, c_new


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch7.rnn_step": [
        (rs_relu, "ReLU instead of tanh", None),
        (rs_h_times_x, "multiplies an input part and a state part", None),
        (rs_tanh_each, "tanh of each part, then adds them", None),
        (rs_float16, "computes in float16", None),
        (rs_exp_formula, "(e^2a - 1) / (e^2a + 1): nan where e^2a overflows", None),
    ],
    "ch7.rnn_forward": [
        (rf_time_axis_0, "loops over axis 0 (the batch) as if it were time", None),
        (rf_includes_h0, "returns T + 1 states, h0 first", None),
        (rf_zero_start, "starts from zeros instead of the given h0", None),
        (rf_last_only, "returns the last state twice instead of every state", None),
        (rf_all_at_once, "every step from h0: no recurrence along time", "state not carried"),
    ],
    "ch7.rnn_bptt": [
        (
            bp_last_step_only,
            "keeps only the last step's direct gradient",
            "direct gradients dropped",
        ),
        (bp_no_accumulation, "passes back only the next step's direct gradient", None),
        (bp_derivative_of_h, "tanh'(h) = 1 - tanh(h)^2 of the state instead of 1 - h^2", None),
        (bp_matrix_first, "multiplies by W_hh before the slope", None),
        (bp_in_place, "accumulates into the caller's grad_out", "mutated input"),
    ],
    "ch7.lstm_cell": [
        (ls_float16, "computes in float16", None),
        (ls_no_b_hh, "leaves out b_hh", None),
        (ls_interleaved, "reshape(N, H, 4): gates read interleaved instead of in blocks", None),
        (ls_tanh_on_c, "returns tanh(c_new) as the new cell state", None),
        (ls_in_place, "c *= ...: updates the caller's c in place", "mutated input"),
    ],
}

CORRECT = {
    "ch7.rnn_step": [rs_einsum, rs_stable_exp],
    "ch7.rnn_forward": [rf_list_of_states, rf_preallocated],
    "ch7.rnn_bptt": [bp_recursive, bp_einsum],
    "ch7.lstm_cell": [ls_slices, ls_loops],
}


def _rnn_args(n, d, h, scale=1.0):
    return (
        _rng.normal(size=(n, d)),
        _rng.normal(size=(n, h)),
        scale * _rng.normal(size=(h, d)),
        scale * _rng.normal(size=(h, h)),
        _rng.normal(size=h),
        _rng.normal(size=h),
    )


def _forward_args(n, steps, d, h):
    _, h0, *params = _rnn_args(n, d, h)
    return (_rng.normal(size=(n, steps, d)), h0, *params)


def _bptt_args(n, steps, h, last_only=False):
    grad = _rng.normal(size=(n, steps, h))
    if last_only:
        grad[:, :-1] = 0.0
    return (np.tanh(_rng.normal(size=(n, steps, h))), _rng.normal(size=(h, h)), grad)


def _lstm_args(n, d, h):
    return (
        _rng.normal(size=(n, d)),
        _rng.normal(size=(n, h)),
        _rng.normal(size=(n, h)),
        _rng.normal(size=(4 * h, d)),
        _rng.normal(size=(4 * h, h)),
        _rng.normal(size=4 * h),
        _rng.normal(size=4 * h),
    )


WITNESSES = {
    "ch7.rnn_step": [_rnn_args(3, 2, 4), _rnn_args(2, 4, 3, scale=200.0)],
    "ch7.rnn_forward": [_forward_args(3, 5, 2, 4), _forward_args(2, 1, 3, 2)],
    "ch7.rnn_bptt": [_bptt_args(2, 6, 3), _bptt_args(3, 4, 2, last_only=True)],
    "ch7.lstm_cell": [_lstm_args(3, 4, 2), _lstm_args(2, 3, 5)],
}
