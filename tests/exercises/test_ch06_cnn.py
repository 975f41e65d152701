"""Chapter 6 checks: correct variants pass, the references agree with torch in float64, and
Chapter 1's checks never pay for importing torch. (The catalogued mutants are tested for every
exercise in test_check.py.)"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from genolearn.deep import in_silico_mutagenesis
from genolearn.exercises import get_exercise
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch06
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
    assert_passes("ch6.conv1d", conv_loop, SEEDS)
    assert_passes("ch6.conv1d", conv_matmul_input_dtype, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_conv1d_reference_is_torch_conv1d(seed):
    ex = get_exercise("ch6.conv1d")
    for case in cases("ch6.conv1d", seed):
        x, w, b = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in case.args)
        expected = torch.nn.functional.conv1d(x, w, b).numpy()
        np.testing.assert_allclose(ex.reference(*case.args), expected, rtol=1e-5, atol=1e-6)


def test_conv1d_with_padding_is_a_shape_error():
    report = assert_fails(
        "ch6.conv1d", lambda x, w, b: conv_loop(np.pad(x, ((0, 0), (0, 0), (1, 1))), w, b)
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
    assert_passes("ch6.max_pool1d", pool_loop, SEEDS)
    assert_passes("ch6.max_pool1d", pool_strided_view, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_max_pool1d_reference_is_torch_max_pool1d(seed):
    ex = get_exercise("ch6.max_pool1d")
    for case in cases("ch6.max_pool1d", seed):
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
    assert_passes("ch6.ism_scores", ism_brute_force, SEEDS)
    assert_passes("ch6.ism_scores", ism_vectorized, SEEDS)


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
    ex = get_exercise("ch6.ism_scores")
    for case in cases("ch6.ism_scores", seed):
        x, pwm = case.args
        expected = in_silico_mutagenesis(PwmScanner(pwm), x[None])[0]
        np.testing.assert_allclose(ex.reference(x, pwm), expected, atol=1e-5)


def test_ism_transposed_answer_is_a_shape_error():
    report = assert_fails("ch6.ism_scores", lambda x, pwm: ism_brute_force(x, pwm).T)
    assert "shape" in report.problem


# ---- receptive_field
def field_loop(layers):
    total, jump = 1, 1
    for kernel, stride, dilation in layers:
        total += (kernel - 1) * dilation * jump
        jump *= stride
    return total


def field_backwards(layers):
    """From the output back to the input: r <- (r - 1) * s + d * (k - 1) + 1."""
    r = 1
    for kernel, stride, dilation in reversed(layers):
        r = (r - 1) * stride + dilation * (kernel - 1) + 1
    return r


def test_receptive_field_variants_pass():
    assert_passes("ch6.receptive_field", field_loop, SEEDS)
    assert_passes("ch6.receptive_field", field_backwards, SEEDS)


def _measured_field(layers):
    net = torch.nn.Sequential(
        *[
            torch.nn.Conv1d(1, 1, int(k), stride=int(s), dilation=int(d), bias=False)
            for k, s, d in layers
        ]
    ).double()
    with torch.no_grad():
        for conv in net:
            conv.weight.fill_(1.0)
    field = int(get_exercise("ch6.receptive_field").reference(layers))
    x = torch.ones(1, 1, 3 * field + 64, dtype=torch.float64, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2].backward()
    hit = np.flatnonzero(x.grad[0, 0].numpy())
    return int(hit[-1] - hit[0] + 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_receptive_field_reference_is_the_field_torch_stacks_have(seed):
    ex = get_exercise("ch6.receptive_field")
    for case in cases("ch6.receptive_field", seed):
        (layers,) = case.args
        if len(layers) and ex.reference(layers) < 2000:
            assert ex.reference(layers) == _measured_field(layers), layers


# ---- corrected_saliency
def saliency_loops(grad, x):
    out = np.zeros(grad.shape, dtype=np.result_type(grad, x))
    n, _, length = grad.shape
    for i in range(n):
        for pos in range(length):
            mean = sum(float(grad[i, a, pos]) for a in range(4)) / 4
            for a in range(4):
                out[i, a, pos] = (grad[i, a, pos] - mean) * x[i, a, pos]
    return out


def saliency_observed_base(grad, x):
    observed = (grad * x).sum(axis=1, keepdims=True)  # (N, 1, L): the present base's gradient
    return (observed - grad.mean(axis=1, keepdims=True)) * x


def test_corrected_saliency_variants_pass():
    assert_passes("ch6.corrected_saliency", saliency_loops, SEEDS)
    assert_passes("ch6.corrected_saliency", saliency_observed_base, SEEDS)


def test_corrected_saliency_reference_is_invariant_to_a_per_position_offset():
    ex = get_exercise("ch6.corrected_saliency")
    for case in cases("ch6.corrected_saliency", 0):
        grad, x = case.args
        offset = np.random.default_rng(1).normal(size=(grad.shape[0], 1, grad.shape[2]))
        np.testing.assert_allclose(
            ex.reference(grad + offset, x), ex.reference(grad, x), rtol=1e-4, atol=1e-4
        )


# ---- imports
def test_chapter_one_checks_never_import_torch():
    code = (
        "import sys\n"
        "from genolearn.exercises import check, get_exercise\n"
        "get_exercise('ch1.sigmoid')\n"
        "assert check('ch1.sigmoid', lambda z: 0.5 * (1 + __import__('numpy').tanh(z / 2)))"
        ".passed\n"
        "assert 'torch' not in sys.modules, 'Chapter 1 imported torch'\n"
        "get_exercise('ch6.conv1d')\n"
        "assert 'torch' in sys.modules\n"
        "heavy = ('matplotlib', 'logomaker', 'pandas', 'IPython')\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
