"""Checks for Chapter 6 — convolutional layers: a convolution over one-hot DNA (or any
channels) and max pooling."""

from __future__ import annotations

import numpy as np

from genolearn.deep.cnn import conv1d_numpy, max_pool1d_numpy
from genolearn.exercises.contract import OMIT, Array, Choice, Contract, Number, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["CONV1D", "MAX_POOL1D"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _encode(seq: str) -> np.ndarray:
    """``(4, L)`` float64 one-hot of an ``ACGT`` string."""
    return np.eye(4)[["ACGT".index(b) for b in seq]].T


def _dna_or_real(rng, shape, dims):
    """One-hot DNA when there are 4 channels (half the time), real values otherwise."""
    if shape[1] == 4 and rng.random() < 0.5:
        return np.moveaxis(np.eye(4)[rng.integers(0, 4, size=(shape[0], shape[2]))], -1, 1)
    return rng.normal(size=shape)


_CONV = Contract(
    args=(
        ("x", Array(("N", "C", "L"), _dna_or_real)),
        ("w", Array(("F", "C", "K"), normal(1.0))),
        ("b", Array(("F",), normal(1.0))),
    ),
    dims={"N": (1, 3), "C": (1, 6), "L": (1, 20), "K": (1, "L"), "F": (1, 4)},
)
_POOL = Contract(
    args=(
        ("x", Array(("N", "C", "L"), normal(1.0))),
        ("kernel_size", Number(dim="K")),
        ("stride", Choice((OMIT, None, Number(dim="S")))),
    ),
    dims={"N": (1, 3), "C": (1, 4), "L": (1, 20), "K": (1, "L"), "S": (1, 6)},
    keywords=("stride",),
)

# --------------------------------------------------------------------------- conv1d


def _conv_cases(rng: np.random.Generator) -> list[Case]:
    ttag = np.array([[[0.0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 1, 0]]])  # (1, 4, 3): matches "TTA"
    cases = [
        Case(
            (_encode("GATTACA")[None], ttag, np.array([0.0])),
            label="one sequence, one filter that matches TTA",
        ),
        Case(
            (_encode("ACGTAC")[None], np.arange(24.0).reshape(1, 4, 6) / 10, np.array([0.5])),
            label="K = L: a single window",
        ),
        Case(
            (_encode("CAGT")[None], np.arange(8.0).reshape(2, 4, 1), np.array([1.0, -1.0])),
            label="K = 1: a per-base weight",
        ),
        Case(
            (
                np.stack([_encode("AACCGGTT"), _encode("TGCATGCA")]),
                np.array([[[1.0, -1, 0], [0, 2, 0], [0, 0, 3], [-2, 0, 1]]] * 2)
                * np.array([1.0, -0.5])[:, None, None],
                np.array([0.25, -0.75]),
            ),
            label="two sequences, two filters, asymmetric kernels",
        ),
    ]
    cases.append(
        Case(
            (rng.normal(size=(2, 3, 9)), rng.normal(size=(2, 3, 4)), rng.normal(size=2)),
            label="C = 3 input channels (not DNA)",
        )
    )
    return [*cases, *_CONV.draw(rng, 4)]


def _conv_reference(x, w, b):
    # float32 inputs give a float32 answer (as torch would), so a learner who computes in
    # float32 is held to float32 accuracy; conv1d_numpy itself always sums in float64.
    return conv1d_numpy(x, w, b).astype(np.result_type(x, w, b))


def _windows(x, k):
    return np.lib.stride_tricks.sliding_window_view(x, k, axis=2)  # (N, C, L-K+1, K)


def _conv_flipped(x, w, b):
    return conv1d_numpy(x, w[:, :, ::-1], b)


def _conv_same(x, w, b):
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) // 2, k // 2)))
    return conv1d_numpy(xp, w, b)


def _conv_last_missing(x, w, b):
    return conv1d_numpy(x, w, b)[:, :, :-1]


def _conv_no_bias(x, w, b):
    return conv1d_numpy(x, w)


def _conv_channels_first(x, w, b):
    return conv1d_numpy(x.sum(axis=1, keepdims=True), w.sum(axis=1, keepdims=True)) + b[:, None]


def _conv_stride_k(x, w, b):
    k = w.shape[2]
    return np.einsum("nclk,fck->nfl", _windows(x, k)[:, :, ::k], w) + b[:, None]


CONV1D = register(
    Exercise(
        id="ch6.conv1d",
        chapter=6,
        title="A convolution over one-hot DNA",
        function="conv1d",
        points=3,
        reference=_conv_reference,
        make_cases=_conv_cases,
        contract=_CONV,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "flipped kernel (true convolution)",
                "the kernel was read backwards: that is the mathematician's convolution. Deep "
                "learning 'convolutions' are cross-correlations: out[n, f, l] = b[f] + "
                "sum_{c,k} x[n, c, l + k] w[f, c, k], with k running forwards.",
                _conv_flipped,
            ),
            Mistake(
                "'same' padding",
                "your output has length L, as with zero padding; without padding a width-K "
                "filter fits in only L - K + 1 windows.",
                _conv_same,
            ),
            Mistake(
                "last window missing",
                "the last window is missing: window starts run 0, 1, ..., L - K, so there are "
                "L - K + 1 of them (range(L - K + 1), not range(L - K)).",
                _conv_last_missing,
            ),
            Mistake(
                "missing bias",
                "the bias b[f] was not added to filter f's output.",
                _conv_no_bias,
            ),
            Mistake(
                "channels summed before weighting",
                "the input channels were summed before multiplying by the weights; each "
                "channel c has its own weight row w[f, c, :], so multiply first, then sum over "
                "c and k. (For one-hot DNA the channel sum is 1 everywhere, so the base is lost.)",
                _conv_channels_first,
            ),
            Mistake(
                "windows jump by K",
                "the windows did not overlap: a convolution slides one base at a time "
                "(stride 1), so consecutive windows share K - 1 bases.",
                _conv_stride_k,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- max pooling


def _pool_cases(rng: np.random.Generator) -> list[Case]:
    x = np.array([[[1.0, 3.0, 2.0, 5.0, 4.0, 0.0]]])  # (1, 1, 6)
    cases = [
        Case((x, 2), label="kernel 2, default stride"),
        Case((x, 3, 1), label="kernel 3, stride 1: overlapping windows"),
        Case((x, 4), label="kernel 4, default stride: the partial window is dropped"),
        Case((-np.abs(x), 2, 3), label="negative values, kernel 2, stride 3"),
        Case((np.array([[[2.0, -1.0, 7.0]], [[0.0, 0.0, 0.0]]]), 3), label="kernel = L"),
    ]
    return [*cases, *_POOL.draw(rng, 5)]


def _pool_windows(x, kernel_size, stride):
    return _windows(x, kernel_size)[:, :, ::stride]  # (N, C, n_windows, kernel)


def _pool_mean(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, stride or kernel_size).mean(axis=3)


def _pool_stride_ignored(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, 1).max(axis=3)


def _pool_default_one(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, stride or 1).max(axis=3)


def _pool_ceil(x, kernel_size, stride=None):
    stride = stride or kernel_size
    length = x.shape[2]
    starts = range(0, length, stride)
    return np.stack([x[:, :, s : s + kernel_size].max(axis=2) for s in starts], axis=2)


def _pool_global(x, kernel_size, stride=None):
    return x.max(axis=2)


def _pool_swapped(x, kernel_size, stride=None):
    stride = stride or kernel_size
    return _pool_windows(x, stride, kernel_size).max(axis=3)


MAX_POOL1D = register(
    Exercise(
        id="ch6.max_pool1d",
        chapter=6,
        title="Max pooling",
        function="max_pool1d",
        points=2,
        reference=max_pool1d_numpy,
        make_cases=_pool_cases,
        contract=_POOL,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "average pooling",
                "these are window means; max pooling keeps each window's largest value.",
                _pool_mean,
            ),
            Mistake(
                "stride ignored",
                "the windows moved one position at a time whatever the stride: window j "
                "starts at j * stride.",
                _pool_stride_ignored,
            ),
            Mistake(
                "default stride 1",
                "when stride is None it defaults to kernel_size (non-overlapping windows, "
                "torch's convention), not to 1.",
                _pool_default_one,
            ),
            Mistake(
                "partial window kept",
                "a last window that runs past the end was kept; like torch (ceil_mode=False) "
                "drop it: there are (L - kernel_size) // stride + 1 windows.",
                _pool_ceil,
            ),
            Mistake(
                "global max pooling",
                "you took one maximum over the whole sequence; here each window of "
                "kernel_size positions gets its own maximum.",
                _pool_global,
            ),
            Mistake(
                "kernel_size and stride swapped",
                "the window width and the step were swapped: windows are kernel_size wide and "
                "start every stride positions.",
                _pool_swapped,
            ),
        ),
    )
)
