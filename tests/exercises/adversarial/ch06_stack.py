"""Chapter 6, the receptive field and the corrected saliency — wrong and correct answers
(re-exported by :mod:`tests.exercises.adversarial.ch06`; same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(606)


def _encode(seq):
    return np.eye(4)[["ACGT".index(b) for b in seq]].T  # (4, L)


# --------------------------------------------------------------------------- receptive_field


def rf_kernels_times_strides(layers):
    r = 1
    for k, s, d in layers:
        r += d * (k - 1) * s  # each layer's own stride
    return r


def rf_last_layer_only(layers):
    if not len(layers):
        return 1
    k, _, d = layers[-1]
    return d * (k - 1) + 1


def rf_dilation_as_stride(layers):
    r, jump = 1, 1
    for k, s, d in layers:
        r += (k - 1) * jump
        jump *= s * d
    return r


def rf_max_kernel(layers):
    return max((d * (k - 1) + 1 for k, _, d in layers), default=1)


def rf_loops(layers):
    total = 1
    for i, (k, _, d) in enumerate(layers):
        step = 1
        for _, s_before, _ in layers[:i]:
            step *= s_before
        total += (k - 1) * d * step
    return total


def rf_recursive(layers):
    if not len(layers):
        return 1
    *rest, (k, _, d) = layers
    jump = 1
    for _, s_before, _ in rest:
        jump *= s_before
    return rf_recursive(rest) + d * (k - 1) * jump


# --------------------------------------------------------------------------- corrected_saliency


def cs_median(grad, x):
    return (grad - np.median(grad, axis=1, keepdims=True)) * x


def cs_max(grad, x):
    return (grad - grad.max(axis=1, keepdims=True)) * x


def cs_divided(grad, x):
    return grad / np.abs(grad).sum(axis=1, keepdims=True) * x


def cs_in_place(grad, x):
    grad -= grad.mean(axis=1, keepdims=True)  # edits the caller's gradient
    return grad * x


def cs_loops(grad, x):
    out = np.zeros(grad.shape, dtype=np.result_type(grad, x))
    for i in range(grad.shape[0]):
        for pos in range(grad.shape[2]):
            column = grad[i, :, pos]
            out[i, :, pos] = (column - column.sum() / 4) * x[i, :, pos]
    return out


def cs_einsum(grad, x):
    centring = np.eye(4) - 0.25  # (4, 4): subtracts the mean over the bases
    return np.einsum("ab,nbl->nal", centring, grad) * x


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch6.receptive_field": [
        (rf_kernels_times_strides, "each layer's span times its own stride", None),
        (rf_last_layer_only, "the last layer's span only", None),
        (rf_dilation_as_stride, "dilation treated as a stride", None),
        (rf_max_kernel, "the widest layer's span", None),
    ],
    "ch6.corrected_saliency": [
        (cs_median, "subtracts the median over the bases", None),
        (cs_max, "subtracts the maximum over the bases", None),
        (cs_divided, "divides by the bases' total instead of subtracting", None),
        (cs_in_place, "centres the caller's gradient in place", "mutated input"),
    ],
}

CORRECT = {
    "ch6.receptive_field": [rf_loops, rf_recursive],
    "ch6.corrected_saliency": [cs_loops, cs_einsum],
}

WITNESSES = {
    "ch6.receptive_field": [
        (np.array([(9, 1, 1), (4, 4, 1), (9, 1, 1)]),),
        (np.array([(3, 2, 1), (3, 1, 2), (5, 3, 1)]),),
        (np.array([(7, 1, 1)]),),
    ],
    "ch6.corrected_saliency": [
        (_rng.normal(size=(2, 4, 6)) + 5.0, np.stack([_encode("ACGTAC"), _encode("GGTTCA")])),
        (_rng.normal(size=(1, 4, 8)), _encode("TTTTACGA")[None]),
    ],
}
