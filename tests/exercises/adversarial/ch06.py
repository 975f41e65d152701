"""Chapter 6 — wrong and correct answers written independently of the mistake catalogue.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/06_cnn/cnn.ipynb``. The receptive-field and corrected-saliency answers live in
:mod:`tests.exercises.adversarial.ch06_stack`.
"""

from __future__ import annotations

import numpy as np

from tests.exercises.adversarial import ch06_stack

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(505)  # the seed of the answers' first home, Chapter 5


def _encode(seq):
    return np.eye(4)[["ACGT".index(b) for b in seq]].T  # (4, L)


def _windows(x, k):
    return np.lib.stride_tricks.sliding_window_view(x, k, axis=-1)


# --------------------------------------------------------------------------- conv1d


def cv_four_channels(x, w, b):
    n, _, length = x.shape
    f, _, k = w.shape
    out = np.zeros((n, f, length - k + 1))
    for c in range(4):  # "DNA has four channels"
        for j in range(k):
            out += np.einsum("nl,f->nfl", x[:, c, j : j + length - k + 1], w[:, c, j])
    return out + b[:, None]


def cv_float16(x, w, b):
    win = _windows(x.astype(np.float16), w.shape[2])
    return np.einsum("nclk,fck->nfl", win, w.astype(np.float16)) + b.astype(np.float16)[:, None]


def cv_bias_last_axis(x, w, b):
    return np.einsum("nclk,fck->nfl", _windows(x, w.shape[2]), w) + b  # b along positions


def cv_first_filter(x, w, b):
    out = np.einsum("nclk,ck->nl", _windows(x, w.shape[2]), w[0])  # filter 0 for every f
    return out[:, None, :] + b[None, :, None]


def cv_int_buffer(x, w, b):
    n, _, length = x.shape
    f, _c, k = w.shape
    out = np.zeros((n, f, length - k + 1), dtype=int)  # truncates every float written
    for pos in range(length - k + 1):
        out[:, :, pos] = np.einsum("nck,fck->nf", x[:, :, pos : pos + k], w) + b
    return out


def cv_loops(x, w, b):
    n, _c, length = x.shape
    f, _, k = w.shape
    out = np.empty((n, f, length - k + 1), dtype=np.result_type(x, w, b))
    for i in range(n):
        for j in range(f):
            for pos in range(length - k + 1):
                out[i, j, pos] = np.sum(x[i, :, pos : pos + k] * w[j]) + b[j]
    return out


def cv_correlate(x, w, b):
    n, c, length = x.shape
    f, _, k = w.shape
    out = np.zeros((n, f, length - k + 1), dtype=np.result_type(x, w, b))
    for i in range(n):
        for j in range(f):
            for ch in range(c):
                out[i, j] += np.correlate(x[i, ch], w[j, ch], mode="valid")
            out[i, j] += b[j]
    return out


# --------------------------------------------------------------------------- max_pool1d


def mp_missing_last(x, kernel_size, stride=None):
    stride = stride or kernel_size
    n = (x.shape[2] - kernel_size) // stride  # forgot the + 1
    return np.stack(
        [x[:, :, j * stride : j * stride + kernel_size].max(axis=2) for j in range(n)], axis=2
    )


def mp_reshape(x, kernel_size, stride=None):
    n = x.shape[2] // kernel_size  # reshape trick: windows of kernel_size, stride ignored
    return x[:, :, : n * kernel_size].reshape(x.shape[0], x.shape[1], n, kernel_size).max(axis=3)


def mp_channel_axis(x, kernel_size, stride=None):
    stride = stride or kernel_size
    n = (x.shape[2] - kernel_size) // stride + 1
    return np.stack(
        [x[:, :, j * stride : j * stride + kernel_size].max(axis=1) for j in range(n)], axis=2
    )


def mp_float16(x, kernel_size, stride=None):
    stride = stride or kernel_size
    return _windows(x.astype(np.float16), kernel_size)[:, :, ::stride].max(axis=3)


def mp_short_window(x, kernel_size, stride=None):
    stride = stride or kernel_size
    n = (x.shape[2] - kernel_size) // stride + 1
    return np.stack(
        [x[:, :, j * stride : j * stride + kernel_size - 1].max(axis=2) for j in range(n)], axis=2
    )  # "inclusive end": one position short


def mp_strided_view(x, kernel_size, stride=None):
    return _windows(x, kernel_size)[:, :, :: stride or kernel_size].max(axis=-1)


def mp_loops(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    n_out = (x.shape[2] - kernel_size) // stride + 1
    out = np.empty((*x.shape[:2], n_out), dtype=x.dtype)
    for j in range(n_out):
        window = x[:, :, j * stride : j * stride + kernel_size]
        best = window[:, :, 0].copy()
        for t in range(1, kernel_size):
            best = np.maximum(best, window[:, :, t])
        out[:, :, j] = best
    return out


# --------------------------------------------------------------------------- ISM


def _best(s, pwm, windows=None):
    scores = np.einsum("cwk,ck->w", _windows(s, pwm.shape[1]), pwm)
    return scores.max() if windows is None else scores[windows].max()


def _ism(x, pwm, best, *, in_place=False):
    ref = best(x, pwm)
    out = np.zeros(x.shape)
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] == 1:
                continue
            v = x if in_place else x.copy()
            v[:, pos] = 0.0
            v[base, pos] = 1.0
            out[base, pos] = best(v, pwm) - ref
    return out


def is_local_windows(x, pwm):
    k, length = pwm.shape[1], x.shape[1]

    def best_covering(s, p, pos):  # only windows that contain the mutated position
        lo, hi = max(0, pos - k + 1), min(pos, length - k)
        return _best(s, p, slice(lo, hi + 1))

    ref = _best(x, pwm)
    out = np.zeros(x.shape)
    for pos in range(length):
        for base in np.flatnonzero(x[:, pos] == 0):
            v = x.copy()
            v[:, pos] = 0.0
            v[base, pos] = 1.0
            out[base, pos] = best_covering(v, pwm, pos) - ref
    return out


def is_float16(x, pwm):
    return _ism(x.astype(np.float16), pwm.astype(np.float16), _best).astype(np.float16)


def is_in_place(x, pwm):
    return _ism(x, pwm, _best, in_place=True)  # never puts the observed base back


def is_last_window_missing(x, pwm):
    def best(s, p):
        k = p.shape[1]
        return max(float(np.sum(s[:, w : w + k] * p)) for w in range(s.shape[1] - k))

    return _ism(x, pwm, best)


def is_loops(x, pwm):
    k = pwm.shape[1]

    def best(s):
        return max(
            sum(pwm[c, j] * s[c, w + j] for c in range(4) for j in range(k))
            for w in range(s.shape[1] - k + 1)
        )

    ref, out = best(x), np.zeros(x.shape)
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] != 1:
                v = x.copy()
                v[:, pos] = np.eye(4)[base]
                out[base, pos] = best(v) - ref
    return out


def is_batched(x, pwm):
    length = x.shape[1]
    variants = np.repeat(x[None], 4 * length, axis=0)  # (4L, 4, L): one per (base, pos)
    bases, positions = np.divmod(np.arange(4 * length), length)
    variants[np.arange(4 * length), :, positions] = np.eye(4)[bases]
    scores = np.einsum("vcwk,ck->vw", _windows(variants, pwm.shape[1]), pwm).max(axis=1)
    return scores.reshape(4, length) - _best(x, pwm)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch6.conv1d": [
        (cv_four_channels, "loops over 4 channels whatever C is", None),
        (cv_float16, "computes in float16", None),
        (cv_bias_last_axis, "adds b along the positions axis", None),
        (cv_first_filter, "uses filter 0's weights for every filter", None),
        (cv_int_buffer, "writes into an int array: values truncated", None),
    ],
    "ch6.max_pool1d": [
        (mp_missing_last, "(L - k) // stride windows: the last window is lost", None),
        (mp_reshape, "reshape into blocks: stride is ignored (always kernel_size)", None),
        (mp_channel_axis, "max over channels (axis 1) inside each window", None),
        (mp_float16, "computes and returns float16", None),
        (mp_short_window, "windows one position short (inclusive-end slicing)", None),
    ],
    "ch6.ism_scores": [
        (is_local_windows, "new best taken over the windows covering the mutation only", None),
        (is_float16, "computes and returns float16", None),
        (is_in_place, "mutates x and never restores the observed base", "mutated input"),
        (is_last_window_missing, "range(L - K) windows: the last window never scores", None),
    ],
    **ch06_stack.WRONG,
}

CORRECT = {
    "ch6.conv1d": [cv_loops, cv_correlate],
    "ch6.max_pool1d": [mp_strided_view, mp_loops],
    "ch6.ism_scores": [is_loops, is_batched],
    **ch06_stack.CORRECT,
}

_tata = np.array([[0.0, 2, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [2, 0, 2, 0]]) - 0.5

WITNESSES = {
    "ch6.conv1d": [
        (_rng.normal(size=(2, 5, 9)), _rng.normal(size=(3, 5, 4)), _rng.normal(size=3)),
        (_rng.normal(size=(1, 2, 6)), _rng.normal(size=(2, 2, 2)), np.array([0.5, -0.5])),
        (_encode("ACGTTGCA")[None], _rng.normal(size=(1, 4, 3)), np.array([0.3])),
    ],
    "ch6.max_pool1d": [
        (_rng.normal(size=(2, 3, 11)), 3, 2),
        (_rng.normal(size=(1, 2, 8)), 2),
        (_rng.normal(size=(1, 1, 10)), 4, 3),
    ],
    "ch6.ism_scores": [
        (_encode("CCTATACCGGTATTCC"), _tata),
        (_encode("GGTATAGGA"), _tata),
        (_encode("CCGGTATA"), _tata),  # the only site is the last window
        (_encode("ACGTTGCAAC"), _rng.normal(size=(4, 3))),
    ],
    **ch06_stack.WITNESSES,
}
