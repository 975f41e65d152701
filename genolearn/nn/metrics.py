"""Classification metrics in numpy (Chapter 4): accuracy, confusion matrix, ROC and PR curves.

The binary metrics take ``y_true: (N,)`` labels in {0, 1} (or booleans) and ``scores: (N,)``,
any real numbers where larger means "more likely positive" (probabilities, logits, ...).
Conventions follow scikit-learn, so results can be compared with the literature.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array, check_int, check_number

__all__ = [
    "accuracy",
    "confusion_matrix",
    "roc_auc",
    "roc_curve",
    "average_precision",
    "precision_recall_curve",
]


def _as_labels(y_pred: Any, threshold: float, sizes: dict[str, int]) -> np.ndarray:
    """Labels ``(N,)`` from labels ``(N,)`` or ``(N, 1)``, scores ``(N,)``, one logit column
    ``(N, 1)`` or class scores ``(N, C)`` with C >= 2."""
    pred = check_array(y_pred, "y_pred", dtype_kind="fiub")
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = check_array(pred, "y_pred", shape=("N", 1), dtype_kind=None, sizes=sizes)
        if pred.dtype.kind != "f":
            return pred[:, 0].astype(np.int64)  # a column of labels
        return _logit_column_labels(pred[:, 0], threshold)
    if pred.ndim == 2:
        check_array(pred, "y_pred", shape=("N", "C"), dtype_kind=None, sizes=sizes)
        return pred.argmax(axis=1)  # (N, C) -> (N,)
    pred = check_array(pred, "y_pred", shape=("N",), dtype_kind=None, sizes=sizes)
    if pred.dtype.kind == "f":
        return (pred >= threshold).astype(np.int64)  # probabilities or scores -> 0/1
    return pred.astype(np.int64)


def _logit_column_labels(logits: np.ndarray, threshold: float) -> np.ndarray:
    """0/1 from one logit per sample ``(N,)``: positive when ``sigmoid(logit) >= threshold``.

    A binary model with one output (``Linear(H, 1)`` trained with ``BCEWithLogitsLoss``) emits
    a logit column ``(N, 1)``; its argmax would always be class 0, a silently wrong answer.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(
            f"y_pred has shape ({len(logits)}, 1), read as one logit per sample with "
            f"p = sigmoid(logit), so threshold must be a probability in (0, 1), got {threshold}"
        )
    if logits.size and np.all((logits >= 0.0) & (logits <= 1.0)):
        raise ValueError(
            f"y_pred has shape ({len(logits)}, 1), read as one logit per sample "
            f"(p = sigmoid(logit)), but every value lies in [0, 1]: these look like "
            f"probabilities. Pass y_pred[:, 0] (probabilities, threshold 0.5), or "
            f"y_pred[:, 0] with threshold=0 if they really are logits"
        )
    cut = np.log(threshold) - np.log1p(-threshold)  # sigmoid(z) >= t  <=>  z >= logit(t)
    return (logits >= cut).astype(np.int64)


def _integer_labels(y_true: Any) -> np.ndarray:
    arr = check_array(y_true, "y_true", dtype_kind="fiub")
    if arr.ndim == 2:
        fix = (
            "use y_true[:, 0]"
            if arr.shape[1] == 1
            else "if it is one-hot, use y_true.argmax(axis=1)"
        )
        raise ValueError(f"y_true has shape {arr.shape} but must be labels (N,); {fix}")
    if arr.size == 0:
        raise ValueError("y_true is empty: a metric of 0 samples is undefined")
    if arr.dtype.kind == "f":
        raise TypeError(
            f"y_true has dtype {arr.dtype} but must hold integer labels; "
            f"use y_true.astype(np.int64)"
        )
    return arr


def _check_true_labels(y_true: Any, sizes: dict[str, int]) -> np.ndarray:
    arr = check_array(_integer_labels(y_true), "y_true", shape=("N",), dtype_kind=None, sizes=sizes)
    if arr.size and arr.min() < 0:
        raise ValueError(f"y_true must hold class labels >= 0, but contains {arr.min()}")
    return arr.astype(np.int64)


def accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of samples whose predicted class equals the true class.

    Args:
        y_true: ``(N,)`` integer (or boolean) labels.
        y_pred: ``(N,)`` integer labels; or ``(N, C)`` class scores with C >= 2 (argmax is
            taken); or ``(N,)`` floating scores, predicted positive when ``>= threshold``
            (0.5 for probabilities; use 0 for logits); or ``(N, 1)``, the output of a binary
            model with one output unit: **one logit per sample**, predicted positive when
            ``sigmoid(logit) >= threshold``. An ``(N, 1)`` column whose values all lie in
            [0, 1] looks like probabilities and is refused (pass ``y_pred[:, 0]``); an integer
            ``(N, 1)`` column is read as labels.
        threshold: see ``y_pred``; for ``(N, 1)`` logits a probability in (0, 1).
    """
    sizes: dict[str, int] = {}
    t = _check_true_labels(y_true, sizes)
    p = _as_labels(y_pred, check_number(threshold, "threshold"), sizes)
    return float(np.mean(t == p))


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts ``(C, C)`` int64: entry ``[i, j]`` = samples of true class i predicted as j.

    Rows are true classes, columns predicted ones (scikit-learn's layout). ``y_pred`` is read as
    in :func:`accuracy` with threshold 0.5: ``(N,)`` labels or probabilities, ``(N, 1)``
    logits of a one-output binary model, ``(N, C)`` class scores. C is ``num_classes`` or, by
    default, one more than the largest label seen.
    """
    sizes: dict[str, int] = {}
    t = _check_true_labels(y_true, sizes)
    p = _as_labels(y_pred, 0.5, sizes)
    seen = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    c = seen if num_classes is None else check_int(num_classes, "num_classes", low=1)
    if seen > c:
        raise ValueError(f"labels go up to {seen - 1} but num_classes is {c}")
    return np.bincount(c * t + p, minlength=c * c).reshape(c, c)  # (C*C,) -> (C, C)


def _check_binary(y_true: Any, scores: Any, need_both: bool = True) -> tuple[np.ndarray, ...]:
    sizes: dict[str, int] = {}
    y = check_array(_integer_labels(y_true), "y_true", shape=("N",), dtype_kind=None, sizes=sizes)
    s = check_array(scores, "scores", dtype_kind="fiub", finite=True)
    if s.ndim == 2 and s.shape[1] == 2:
        raise ValueError(
            f"scores has shape {s.shape} but must be one score per sample (N,): pass the "
            f"positive class, e.g. probs[:, 1] or logits[:, 1] - logits[:, 0]"
        )
    s = check_array(s, "scores", shape=("N",), sizes=sizes).astype(np.float64)
    if y.size and not np.isin(y, (0, 1)).all():
        bad = y[~np.isin(y, (0, 1))][0]
        raise ValueError(f"y_true must hold binary labels 0/1, but contains {bad}")
    y = y.astype(bool)
    pos = int(y.sum())
    if pos == 0 or (need_both and pos == len(y)):
        which = "positives" if pos == 0 else "negatives"
        raise ValueError(f"y_true has no {which}; this metric needs both classes")
    return y, s


def _counts_by_threshold(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """True and false positives when predicting positive for ``score >= t``, for every
    distinct score ``t`` from the largest down. Tied scores enter together."""
    order = np.argsort(-s, kind="stable")  # (N,) highest score first
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s) - 1]  # last index of each tie group
    tp = np.cumsum(y_sorted)[last]
    fp = last + 1 - tp
    return tp, fp, s_sorted[last]


def roc_curve(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve: ``fpr, tpr, thresholds``, each ``(K + 1,)`` for K distinct scores.

    Point k predicts positive when ``score >= thresholds[k]``; thresholds decrease, and the
    first is ``inf`` so the curve starts at (0, 0). All points are kept (scikit-learn drops
    collinear ones by default), so tied scores give one diagonal step.
    """
    y, s = _check_binary(y_true, scores)
    tp, fp, thr = _counts_by_threshold(y, s)
    pos, neg = tp[-1], fp[-1]
    return np.r_[0.0, fp / neg], np.r_[0.0, tp / pos], np.r_[np.inf, thr]


def _average_ranks(s: np.ndarray) -> np.ndarray:
    """Ranks 1..N of ``s: (N,)`` (smallest = 1); tied values share the mean of their ranks."""
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]  # first index of each tie group
    ends = np.r_[starts[1:], len(s)]
    mean_rank = (starts + 1 + ends) / 2  # mean of the ranks starts+1 .. ends
    ranks = np.empty(len(s))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def roc_auc(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve = probability that a random positive scores above a random
    negative, counting ties as 1/2 (the Mann–Whitney U statistic).

    Computed from ranks in O(N log N): the positives' rank sum minus its minimum possible
    value ``P (P + 1) / 2`` counts the (positive, negative) pairs in the right order.
    """
    y, s = _check_binary(y_true, scores)
    ranks = _average_ranks(s)
    pos = int(y.sum())
    neg = len(y) - pos
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def precision_recall_curve(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision–recall curve, in scikit-learn's layout: ``precision, recall: (K + 1,)`` and
    ``thresholds: (K,)`` increasing, for K distinct scores.

    Point k predicts positive when ``score >= thresholds[k]``. The last point, precision 1
    and recall 0, has no threshold (predict nothing positive). Needs at least one positive.
    """
    y, s = _check_binary(y_true, scores, need_both=False)
    tp, fp, thr = _counts_by_threshold(y, s)
    precision = tp / (tp + fp)  # tp + fp >= 1: every threshold predicts >= 1 positive
    recall = tp / tp[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thr[::-1]


def average_precision(y_true: Any, scores: Any) -> float:
    """Average precision: ``sum_k (R_k - R_{k-1}) P_k`` over thresholds from high to low, the
    precision at each threshold weighted by the recall it adds (no interpolation; the same
    definition as scikit-learn). 1.0 means every positive scores above every negative.
    """
    y, s = _check_binary(y_true, scores, need_both=False)
    tp, fp, _ = _counts_by_threshold(y, s)
    precision = tp / (tp + fp)
    recall_gain = np.diff(np.r_[0, tp]) / tp[-1]  # R_k - R_{k-1}
    return float(np.sum(recall_gain * precision))
