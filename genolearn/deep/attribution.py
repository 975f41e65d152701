"""Gradient attributions on one-hot DNA, in numpy: the correction for the one-hot simplex.

A model trained on one-hot input only ever sees columns with one 1 and three 0s; moving along
``(1, 1, 1, 1)`` at a position leaves that space, so the component of a position's gradient
along ``(1, 1, 1, 1)`` (the mean over the four bases) is arbitrary and noisy. Subtracting it
keeps only the directions in which one base trades for another (Majdandzic et al. 2023).

Saliency (Simonyan et al. 2014) is the plain gradient ``d logit / d x``; gradient x input
(Shrikumar et al. 2016) multiplies it by the one-hot input, keeping the observed base's entry.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array

__all__ = ["corrected_saliency"]


def corrected_saliency(grad, x) -> np.ndarray:
    """Gradient x input with the mean over the four bases removed from the gradient first.

    ``out[n, a, l] = (grad[n, a, l] - mean_b grad[n, b, l]) * x[n, a, l]``: at a one-hot
    column, the observed base's gradient minus the position's mean gradient, 0 elsewhere.

    Args:
        grad: ``(N, 4, L)`` gradient of a logit with respect to the one-hot input.
        x: ``(N, 4, L)`` the one-hot input the gradient was taken at.

    Returns:
        ``(N, 4, L)`` in the inputs' float precision (float64 for integer inputs: the mean
        over the bases is a float).
    """
    sizes: dict[str, int] = {}
    g = check_array(grad, "grad", shape=("N", 4, "L"), finite=True, sizes=sizes)
    x = check_array(x, "x", shape=("N", 4, "L"), finite=True, sizes=sizes)
    centred = g - g.mean(axis=1, keepdims=True)  # (N, 4, L): remove the shared offset
    return centred * x
