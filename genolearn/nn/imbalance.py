"""Imbalanced classes: weights for the loss, and metrics that every class counts in equally.

With 240 dendritic cells and 13 CD34+ progenitors, plain accuracy and an unweighted loss are
dominated by the large classes: a model that never predicts "CD34+" loses under 2 % accuracy.
:func:`class_weights` gives each class the same total weight in the loss;
:func:`per_class_recall`, :func:`balanced_accuracy` and :func:`macro_f1` report every class on
an equal footing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array, check_int

__all__ = ["class_weights", "per_class_recall", "balanced_accuracy", "macro_f1"]


def _labels(y: Any, name: str, n_classes: int, sizes: dict[str, int]) -> np.ndarray:
    y = check_array(y, name, shape=("N",), dtype_kind="iu", sizes=sizes)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} holds labels in [{y.min()}, {y.max()}] but must be in "
            f"[0, {n_classes - 1}] (n_classes = {n_classes})"
        )
    return y


def class_weights(y: Any, n_classes: int) -> np.ndarray:
    """ "Balanced" class weights: ``w_c = N / (C n_c)``, so every class weighs N / C in total.

    A class that is absent from ``y`` gets weight 0 (there is nothing to weigh).

    Args:
        y: ``(N,)`` integer labels in ``0 .. C-1``, N >= 1.
        n_classes: C >= 1.

    Returns:
        ``(C,)`` float64 weights; ``sum_i w[y_i] = N`` when every class occurs in ``y``.
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    y = _labels(y, "y", n_classes, {})
    if y.size == 0:
        raise ValueError("y is empty: class weights need at least one label")
    counts = np.bincount(y, minlength=n_classes)  # (C,) int
    weights = np.zeros(n_classes)
    present = counts > 0
    weights[present] = y.size / (n_classes * counts[present])
    return weights


def per_class_recall(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """Recall of each class: the share of its samples predicted as it (``nan`` if absent).

    Args:
        y_true, y_pred: ``(N,)`` integer labels in ``0 .. C-1``.
        n_classes: C >= 1.

    Returns:
        ``(C,)`` float64 in [0, 1]; ``nan`` for a class with no sample in ``y_true``.
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    sizes: dict[str, int] = {}
    y_true = _labels(y_true, "y_true", n_classes, sizes)
    y_pred = _labels(y_pred, "y_pred", n_classes, sizes)
    support = np.bincount(y_true, minlength=n_classes)  # (C,)
    hits = np.bincount(y_true[y_true == y_pred], minlength=n_classes)  # (C,)
    recall = np.full(n_classes, np.nan)
    recall[support > 0] = hits[support > 0] / support[support > 0]
    return recall


def balanced_accuracy(y_true: Any, y_pred: Any, n_classes: int) -> float:
    """Mean recall over the classes present in ``y_true``: chance is 1 / (classes present).

    Args:
        y_true, y_pred: ``(N,)`` integer labels in ``0 .. C-1``, N >= 1.
        n_classes: C >= 1.
    """
    recall = per_class_recall(y_true, y_pred, n_classes)
    if np.isnan(recall).all():
        raise ValueError("y_true is empty: balanced accuracy needs at least one label")
    return float(np.nanmean(recall))


def macro_f1(y_true: Any, y_pred: Any, n_classes: int) -> float:
    """Mean F1 (harmonic mean of precision and recall) over the classes that occur in
    ``y_true`` or ``y_pred``; a class never predicted correctly scores 0.

    Args:
        y_true, y_pred: ``(N,)`` integer labels in ``0 .. C-1``, N >= 1.
        n_classes: C >= 1.
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    sizes: dict[str, int] = {}
    y_true = _labels(y_true, "y_true", n_classes, sizes)
    y_pred = _labels(y_pred, "y_pred", n_classes, sizes)
    if y_true.size == 0:
        raise ValueError("y_true is empty: F1 needs at least one label")
    tp = np.bincount(y_true[y_true == y_pred], minlength=n_classes)  # (C,)
    true_n = np.bincount(y_true, minlength=n_classes)  # (C,) = tp + fn
    pred_n = np.bincount(y_pred, minlength=n_classes)  # (C,) = tp + fp
    seen = (true_n + pred_n) > 0
    # F1 = 2 tp / (2 tp + fp + fn) = 2 tp / (true_n + pred_n): no 0/0 for a seen class
    return float(np.mean(2 * tp[seen] / (true_n[seen] + pred_n[seen])))
