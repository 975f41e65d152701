"""Chapter 5, sequence models (LSTM step, positional encoding, attention) — wrong and correct
answers (re-exported by :mod:`tests.exercises.adversarial.ch05`; same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(555)


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


# --------------------------------------------------------------------------- positional encoding


def _interleave(angle):
    pe = np.zeros((angle.shape[0], 2 * angle.shape[1]))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def pe_arange(positions, d_model):
    pos = np.arange(len(positions))[:, None]  # assumes 0, 1, ..., L - 1
    return _interleave(pos / 10000.0 ** (np.arange(0, d_model, 2) / d_model))


def pe_int_division(positions, d_model):
    i = np.arange(d_model // 2)
    return _interleave(positions[:, None] / 10000.0 ** (2 * i // d_model))  # exponent 0


def pe_base_1000(positions, d_model):
    return _interleave(positions[:, None] / 1000.0 ** (np.arange(0, d_model, 2) / d_model))


def pe_float16(positions, d_model):
    two_i = np.arange(0, d_model, 2, dtype=np.float16)
    angle = positions.astype(np.float16)[:, None] / np.float16(10000.0) ** (two_i / d_model)
    pe = np.zeros((len(positions), d_model), dtype=np.float16)
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def pe_transposed(positions, d_model):
    return _interleave(positions[:, None] / 10000.0 ** (np.arange(0, d_model, 2) / d_model)).T


def pe_exp_log(positions, d_model):
    rates = np.exp(-np.arange(0, d_model, 2) * (math.log(10000.0) / d_model))  # (d/2,)
    return _interleave(np.outer(positions, rates))


def pe_stack(positions, d_model):
    angle = positions[:, None] / np.power(10000.0, np.arange(d_model // 2) * 2.0 / d_model)
    return np.stack([np.sin(angle), np.cos(angle)], axis=-1).reshape(len(positions), d_model)


def pe_loops(positions, d_model):
    out = np.empty((len(positions), d_model))
    for r, p in enumerate(positions):
        for col in range(d_model):
            angle = p / 10000.0 ** (2 * (col // 2) / d_model)
            out[r, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return out


# --------------------------------------------------------------------------- attention


def _softmax_rows(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _scores(q, k):
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])


def at_fill_1e4(q, k, v, mask=None):
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -1e4)  # "minus a big number" instead of -inf
    w = _softmax_rows(s)
    return w @ v, w


def at_multiply_mask(q, k, v, mask=None):
    s = _scores(q, k) if mask is None else _scores(q, k) * mask  # blocked scores become 0
    w = _softmax_rows(s)
    return w @ v, w


def at_float16(q, k, v, mask=None):
    q, k, v = q.astype(np.float16), k.astype(np.float16), v.astype(np.float16)
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_dot_t(q, k, v, mask=None):
    s = q @ k.T / np.sqrt(q.shape[-1])  # .T reverses every axis of a batched k
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_sqrt_dv(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1])  # value width, not key width
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_global_max(q, k, v, mask=None):
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max())  # one max for everything: low rows underflow to 0 / 0
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ v, w


def at_mask_after_exp(q, k, v, mask=None):
    s = _scores(q, k)
    allowed = np.ones(s.shape, bool) if mask is None else np.broadcast_to(mask, s.shape)
    m = np.where(allowed, s, s.min()).max(axis=-1, keepdims=True)  # max over allowed keys
    e = np.where(allowed, np.exp(np.minimum(s - m, 0.0)), 0.0)
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ v, w


def at_loops(q, k, v, mask=None):
    lead = q.shape[:-2]
    allowed = np.broadcast_to(True if mask is None else mask, (*lead, q.shape[-2], k.shape[-2]))
    w = np.zeros((*lead, q.shape[-2], k.shape[-2]))
    for idx in np.ndindex(*lead, q.shape[-2]):
        scores = [
            float(np.dot(q[idx], k[(*idx[:-1], j)])) / math.sqrt(q.shape[-1])
            for j in range(k.shape[-2])
        ]
        keep = [j for j in range(len(scores)) if allowed[(*idx, j)]]
        top = max(scores[j] for j in keep)
        total = sum(math.exp(scores[j] - top) for j in keep)
        for j in keep:
            w[(*idx, j)] = math.exp(scores[j] - top) / total
    return w @ v, w


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch5.lstm_cell": [
        (ls_float16, "computes in float16", None),
        (ls_no_b_hh, "leaves out b_hh", None),
        (ls_interleaved, "reshape(N, H, 4): gates read interleaved instead of in blocks", None),
        (ls_tanh_on_c, "returns tanh(c_new) as the new cell state", None),
        (ls_in_place, "c *= ...: updates the caller's c in place", "mutated input"),
    ],
    "ch5.positional_encoding": [
        (pe_arange, "uses 0..L-1 instead of the given positions", None),
        (pe_int_division, "2 * i // d: integer division makes every exponent 0", None),
        (pe_base_1000, "base 1000 instead of 10000", None),
        (pe_float16, "computes in float16", None),
        (pe_transposed, "returns (d, L) instead of (L, d)", None),
    ],
    "ch5.attention": [
        (at_fill_1e4, "blocked scores set to -1e4, not -inf", None),
        (at_multiply_mask, "scores * mask: blocked scores become 0, not -inf", None),
        (at_float16, "computes in float16", None),
        (at_dot_t, "k.T reverses all axes of a batched k", None),
        (at_sqrt_dv, "scales by sqrt(dv), the value width, not sqrt(d)", None),
        (at_global_max, "subtracts one global max: 0/0 in rows far below it", None),
    ],
}

CORRECT = {
    "ch5.lstm_cell": [ls_slices, ls_loops],
    "ch5.positional_encoding": [pe_exp_log, pe_stack, pe_loops],
    "ch5.attention": [at_mask_after_exp, at_loops],
}


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
    "ch5.lstm_cell": [_lstm_args(3, 4, 2), _lstm_args(2, 3, 5)],
    "ch5.positional_encoding": [
        (np.array([0.0, 3.5, 1000.0, 12345.6]), 8),
        (np.arange(5.0), 6),
        (np.array([7.0, 2.0, 40.0]), 10),
    ],
    "ch5.attention": [
        (
            np.array([[100.0, 0.0]]),
            np.array([[-300.0, 0.0], [-200.0, 0.0], [50.0, 0.0]]),
            np.array([[1.0], [2.0], [3.0]]),
            np.array([True, True, False]),
        ),
        (
            np.array([[40.0, 0.0], [0.0, 40.0]]),
            np.array([[50.0, 0.0], [0.0, -50.0], [0.0, -60.0]]),
            np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
            None,
        ),
        (
            _rng.normal(size=(2, 3, 4)),
            _rng.normal(size=(2, 5, 4)),
            _rng.normal(size=(2, 5, 3)),
            np.array([True, False, True, True, False]),
        ),
    ],
}
