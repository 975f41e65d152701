"""Chapter 5 checks: correct variants pass, the references agree with torch in float64, and
Chapter 1's checks never pay for importing torch. (The catalogued mutants are tested for every
exercise in test_check.py.)"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from genolearn.deep import in_silico_mutagenesis
from genolearn.deep.transformer import sinusoidal_encoding, sinusoidal_positional_encoding
from genolearn.exercises import get_exercise
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch05
torch.set_num_threads(1)
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


# ---- conv1d
def conv_loop(x, w, b):
    n, _, length = x.shape
    f, _, k = w.shape
    out = np.zeros((n, f, length - k + 1))
    for i in range(n):
        for j in range(f):
            for pos in range(length - k + 1):
                out[i, j, pos] = b[j] + np.sum(x[i, :, pos : pos + k] * w[j])
    return out


def conv_matmul_input_dtype(x, w, b):
    k = w.shape[2]
    cols = np.stack(
        [x[:, :, p : p + k].reshape(len(x), -1) for p in range(x.shape[2] - k + 1)], axis=2
    )  # (N, C K, L - K + 1)
    flat = w.reshape(len(w), -1)  # (F, C K)
    return (np.einsum("fj,njl->nfl", flat, cols) + b[:, None]).astype(x.dtype)


def test_conv1d_variants_pass():
    assert_passes("ch5.conv1d", conv_loop, SEEDS)
    assert_passes("ch5.conv1d", conv_matmul_input_dtype, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_conv1d_reference_is_torch_conv1d(seed):
    ex = get_exercise("ch5.conv1d")
    for case in cases("ch5.conv1d", seed):
        x, w, b = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in case.args)
        expected = torch.nn.functional.conv1d(x, w, b).numpy()
        np.testing.assert_allclose(ex.reference(*case.args), expected, rtol=1e-5, atol=1e-6)


def test_conv1d_with_padding_is_a_shape_error():
    report = assert_fails(
        "ch5.conv1d", lambda x, w, b: conv_loop(np.pad(x, ((0, 0), (0, 0), (1, 1))), w, b)
    )
    assert "shape" in report.problem


# ---- max_pool1d
def pool_loop(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    n_out = (x.shape[2] - kernel_size) // stride + 1
    out = np.empty((*x.shape[:2], n_out), dtype=x.dtype)
    for j in range(n_out):
        out[:, :, j] = x[:, :, j * stride : j * stride + kernel_size].max(axis=2)
    return out


def pool_strided_view(x, kernel_size, stride=None):
    stride = stride or kernel_size
    view = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), kernel_size, axis=-1)
    return np.ascontiguousarray(view[..., ::stride, :].max(axis=-1))


def test_max_pool1d_variants_pass():
    assert_passes("ch5.max_pool1d", pool_loop, SEEDS)
    assert_passes("ch5.max_pool1d", pool_strided_view, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_max_pool1d_reference_is_torch_max_pool1d(seed):
    ex = get_exercise("ch5.max_pool1d")
    for case in cases("ch5.max_pool1d", seed):
        x, kernel, *rest = case.args
        expected = torch.nn.functional.max_pool1d(
            torch.tensor(x, dtype=torch.float64), kernel, rest[0] if rest else None
        ).numpy()
        np.testing.assert_array_equal(ex.reference(*case.args), expected.astype(x.dtype))


# ---- ism_scores
def ism_brute_force(x, pwm):
    k = pwm.shape[1]

    def score(s):
        return max(float(np.sum(s[:, w : w + k] * pwm)) for w in range(s.shape[1] - k + 1))

    out = np.zeros(x.shape)
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] != 1:
                variant = x.copy()
                variant[:, pos] = 0
                variant[base, pos] = 1
                out[base, pos] = score(variant) - score(x)
    return out


def ism_vectorized(x, pwm):
    k, length = pwm.shape[1], x.shape[1]
    n_windows = length - k + 1
    scores = np.array([np.sum(x[:, w : w + k] * pwm) for w in range(n_windows)])  # (W,)
    best = scores.max()
    out = np.empty((4, length))
    for pos in range(length):
        hit = [w for w in range(n_windows) if w <= pos < w + k]  # windows that contain pos
        others = np.delete(scores, hit).max(initial=-np.inf)
        observed = x[:, pos] @ pwm[:, [pos - w for w in hit]]  # (len(hit),)
        changed = scores[hit][None, :] + pwm[:, [pos - w for w in hit]] - observed  # (4, hit)
        out[:, pos] = np.maximum(changed.max(axis=1), others) - best
    out[x == 1] = 0.0
    return out


def test_ism_scores_variants_pass():
    assert_passes("ch5.ism_scores", ism_brute_force, SEEDS)
    assert_passes("ch5.ism_scores", ism_vectorized, SEEDS)


class PwmScanner(torch.nn.Module):
    """The PWM "model" of the exercise in torch: conv1d with one (4, K) filter, global max."""

    def __init__(self, pwm):
        super().__init__()
        self.weight = torch.tensor(pwm[None], dtype=torch.float64)  # (1, 4, K)

    def forward(self, batch):
        return torch.nn.functional.conv1d(batch.double(), self.weight).amax(dim=2)  # (B, 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_ism_reference_is_model_ism_of_a_pwm_scanner(seed):
    """pwm_ism_numpy == in_silico_mutagenesis of the model conv1d(pwm) -> global max."""
    ex = get_exercise("ch5.ism_scores")
    for case in cases("ch5.ism_scores", seed):
        x, pwm = case.args
        expected = in_silico_mutagenesis(PwmScanner(pwm), x[None])[0]
        np.testing.assert_allclose(ex.reference(x, pwm), expected, atol=1e-5)


def test_ism_transposed_answer_is_a_shape_error():
    report = assert_fails("ch5.ism_scores", lambda x, pwm: ism_brute_force(x, pwm).T)
    assert "shape" in report.problem


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


# ---- imports
def test_chapter_one_checks_never_import_torch():
    code = (
        "import sys\n"
        "from genolearn.exercises import check, get_exercise\n"
        "get_exercise('ch1.sigmoid')\n"
        "assert check('ch1.sigmoid', lambda z: 0.5 * (1 + __import__('numpy').tanh(z / 2)))"
        ".passed\n"
        "assert 'torch' not in sys.modules, 'Chapter 1 imported torch'\n"
        "get_exercise('ch5.conv1d')\n"
        "assert 'torch' in sys.modules\n"
        "heavy = ('matplotlib', 'logomaker', 'pandas', 'IPython')\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
