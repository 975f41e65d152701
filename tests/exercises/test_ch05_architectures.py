"""Sequence-model checks (LSTM step, positional encoding, attention; moving to Chapters 7 and 8):
correct variants pass and the references agree with torch in float64. (The catalogued mutants
are tested for every exercise in test_check.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genolearn.deep.transformer import sinusoidal_encoding, sinusoidal_positional_encoding
from genolearn.exercises import get_exercise
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch05
torch.set_num_threads(1)
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


# ---- lstm_cell
def lstm_per_gate(x, h, c, w_ih, w_hh, b_ih, b_hh):
    size = h.shape[1]

    def gate(j, act):
        rows = slice(j * size, (j + 1) * size)
        return act(x @ w_ih[rows].T + b_ih[rows] + h @ w_hh[rows].T + b_hh[rows])

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    i, f, g, o = gate(0, sigmoid), gate(1, sigmoid), gate(2, np.tanh), gate(3, sigmoid)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_loop(x, h, c, w_ih, w_hh, b_ih, b_hh):
    n, size = h.shape
    h_new, c_new = np.zeros((n, size)), np.zeros((n, size))
    sig = [[0.0] * 4 for _ in range(size)]
    for row in range(n):
        for u in range(size):
            for j in range(4):
                r = j * size + u
                z = b_ih[r] + b_hh[r]
                z += sum(float(w_ih[r, d]) * float(x[row, d]) for d in range(x.shape[1]))
                z += sum(float(w_hh[r, e]) * float(h[row, e]) for e in range(size))
                sig[u][j] = math.tanh(z) if j == 2 else 0.5 * (1 + math.tanh(z / 2))
            i, f, g, o = sig[u]
            c_new[row, u] = f * c[row, u] + i * g
            h_new[row, u] = o * math.tanh(c_new[row, u])
    return h_new, c_new


def test_lstm_cell_variants_pass():
    assert_passes("ch5.lstm_cell", lstm_per_gate, SEEDS)
    assert_passes("ch5.lstm_cell", lstm_loop, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_reference_is_torch_lstmcell(seed):
    ex = get_exercise("ch5.lstm_cell")
    for case in cases("ch5.lstm_cell", seed):
        x, h, c, w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in case.args)
        cell = torch.nn.LSTMCell(x.shape[1], h.shape[1]).double()
        with torch.no_grad():
            for param, value in zip(cell.parameters(), (w_ih, w_hh, b_ih, b_hh), strict=True):
                param.copy_(torch.tensor(value))
            h_t, c_t = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        h_ref, c_ref = ex.reference(*case.args)
        np.testing.assert_allclose(h_ref, h_t.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c_ref, c_t.numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_returning_a_list_passes_but_one_state_fails():
    assert_passes("ch5.lstm_cell", lambda *a: list(lstm_per_gate(*a)))
    report = assert_fails("ch5.lstm_cell", lambda *a: lstm_per_gate(*a)[0])
    assert "tuple of 2" in report.problem


# ---- positional_encoding
def pe_loop(positions, d_model):
    out = np.zeros((len(positions), d_model))
    for p, pos in enumerate(positions):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            out[p, 2 * i], out[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return out


def pe_torch_tutorial_style(positions, d_model):
    """The PyTorch tutorial's form: ``div_term = exp(2i * (-log(10000) / d))``."""
    div_term = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))  # (d / 2,)
    pe = np.zeros((len(positions), d_model), dtype=positions.dtype)
    pe[:, 0::2] = np.sin(positions[:, None] * div_term)
    pe[:, 1::2] = np.cos(positions[:, None] * div_term)
    return pe


def test_positional_encoding_variants_pass():
    assert_passes("ch5.positional_encoding", pe_loop, SEEDS)
    assert_passes("ch5.positional_encoding", pe_torch_tutorial_style, SEEDS)


def test_positional_encoding_reference_matches_the_model_table():
    np.testing.assert_array_equal(
        sinusoidal_encoding(np.arange(40), 12), sinusoidal_positional_encoding(40, 12)
    )
    table = sinusoidal_positional_encoding(30, 6)
    np.testing.assert_allclose(sinusoidal_encoding(np.array([3.0, 17.0]), 6), table[[3, 17]])


# ---- attention
def attention_loop(q, k, v, mask):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    allowed = np.ones((*q.shape[:-1], k.shape[-2]), dtype=bool)
    if mask is not None:
        allowed = np.broadcast_to(mask, allowed.shape)
    out = np.zeros((*q.shape[:-1], v.shape[-1]))
    weights = np.zeros(allowed.shape)
    for index in np.ndindex(*q.shape[:-1]):  # every (batch..., query)
        batch = index[:-1]
        scores = np.array(
            [q[index] @ k[(*batch, j)] / math.sqrt(q.shape[-1]) for j in range(k.shape[-2])]
        )
        ok = allowed[index]
        e = np.where(ok, np.exp(scores - scores[ok].max()), 0.0)
        weights[index] = e / e.sum()
        out[index] = weights[index] @ v[batch]
    return out, weights


def attention_large_negative_fill(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])  # (..., Lq, Lk)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)  # exp(-1e9 - max) is exactly 0
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    return [weights @ v, weights]


def test_attention_variants_pass():
    assert_passes("ch5.attention", attention_loop, SEEDS)
    assert_passes("ch5.attention", attention_large_negative_fill, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_attention_reference_is_torch_sdpa(seed):
    ex = get_exercise("ch5.attention")
    for case in cases("ch5.attention", seed):
        q, k, v, mask = case.args
        tensors = [torch.tensor(np.asarray(a, dtype=np.float64)) for a in (q, k, v)]
        attn_mask = None if mask is None else torch.tensor(mask)
        expected = torch.nn.functional.scaled_dot_product_attention(*tensors, attn_mask=attn_mask)
        out, _ = ex.reference(*case.args)
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_attention_returning_only_the_output_fails():
    report = assert_fails("ch5.attention", lambda q, k, v, mask: attention_loop(q, k, v, mask)[0])
    assert "tuple" in report.problem
