"""Chapter 9 — wrong and correct answers to the capstone's exercises.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/09_capstone/capstone.ipynb``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(909)


def _encode(seq):
    return np.eye(4)[["ACGT".index(b) for b in seq]].T  # (4, L)


# --------------------------------------------------------------------------- standardize


def st_one_pass(X_train, X_test):
    mean = X_train.mean(axis=0)
    sd = np.sqrt(((X_train - mean) ** 2).mean(axis=0))
    sd[sd == 0] = 1.0
    return (X_train - mean) / sd, (X_test - mean) / sd


def st_loop(X_train, X_test):
    z_train, z_test = np.empty_like(X_train), np.empty_like(X_test)
    for g in range(X_train.shape[1]):
        col = X_train[:, g]
        sd = col.std() if col.max() > col.min() else 1.0
        z_train[:, g], z_test[:, g] = (col - col.mean()) / sd, (X_test[:, g] - col.mean()) / sd
    return z_train, z_test


def st_row_statistics(X_train, X_test):
    def z(x):
        sd = x.std(axis=1, keepdims=True)
        return (x - x.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)

    return z(X_train), z(X_test)  # each cell scaled across its genes


def st_variance(X_train, X_test):
    mean, var = X_train.mean(axis=0), X_train.var(axis=0)
    var = np.where(var > 0, var, 1.0)
    return (X_train - mean) / var, (X_test - mean) / var  # divided by the variance


def st_test_unscaled(X_train, X_test):
    mean, sd = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / np.where(sd > 0, sd, 1.0), X_test - mean  # test only centred


def st_median(X_train, X_test):
    med, sd = np.median(X_train, axis=0), X_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (X_train - med) / sd, (X_test - med) / sd


# --------------------------------------------------------------------------- class weights


def cw_loop(y, n_classes):
    out = np.zeros(n_classes)
    for c in range(n_classes):
        n_c = np.count_nonzero(y == c)
        out[c] = len(y) / (n_classes * n_c) if n_c else 0.0
    return out


def cw_unique(y, n_classes):
    classes, counts = np.unique(y, return_counts=True)
    out = np.zeros(n_classes)
    out[classes] = y.size / n_classes / counts
    return out


def cw_max_over_count(y, n_classes):
    counts = np.bincount(y, minlength=n_classes)
    return np.where(counts > 0, counts.max() / np.maximum(counts, 1), 0.0)  # largest class = 1


def cw_one_for_absent(y, n_classes):
    counts = np.bincount(y, minlength=n_classes)
    return np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 1.0)


def cw_sqrt(y, n_classes):
    counts = np.bincount(y, minlength=n_classes)
    return np.where(counts > 0, np.sqrt(len(y) / (n_classes * np.maximum(counts, 1))), 0.0)


def cw_int(y, n_classes):
    counts = np.bincount(y, minlength=n_classes)
    return np.where(counts > 0, len(y) // (n_classes * np.maximum(counts, 1)), 0)  # floor


# --------------------------------------------------------------------------- per-class recall


def pr_loop(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        mine = y_true == c
        if mine.any():
            out[c] = np.count_nonzero(y_pred[mine] == c) / np.count_nonzero(mine)
    return out


def pr_confusion(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes))
    np.add.at(cm, (y_true, y_pred), 1)
    with np.errstate(invalid="ignore"):
        return np.diag(cm) / cm.sum(axis=1)


def pr_specificity(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        if (y_true == c).any():
            others = y_true != c
            out[c] = np.mean(y_pred[others] != c) if others.any() else 1.0
    return out


def pr_any_hit(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        if (y_true == c).any():
            out[c] = float(np.any(y_pred[y_true == c] == c))  # 1 if any cell right
    return out


def pr_f1(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        if (y_true == c).any():
            tp = np.sum((y_true == c) & (y_pred == c))
            out[c] = 2 * tp / (np.sum(y_true == c) + np.sum(y_pred == c))
    return out


def pr_off_by_one(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes - 1):  # the last class is forgotten
        if (y_true == c).any():
            out[c] = np.mean(y_pred[y_true == c] == c)
    return out


# --------------------------------------------------------------------------- variants


def sv_loop(x):
    out = []
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] == 0:
                v = x.copy()
                v[:, pos] = np.eye(4, dtype=x.dtype)[base]
                out.append(v)
    return np.stack(out)


def sv_masked(x):
    length = x.shape[1]
    everything = np.repeat(x[None], 4 * length, axis=0)  # (4L, 4, L) every base everywhere
    for pos in range(length):
        everything[4 * pos : 4 * pos + 4, :, pos] = np.eye(4, dtype=x.dtype)
    keep = (x.T == 0).ravel()  # (4L,) drop the reference of each position
    return everything[keep]


def sv_swap_with_next(x):
    out = []
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] == 0:
                v = x.copy()
                v[:, pos] = np.roll(x[:, pos], 1)  # always the same rotated base
                out.append(v)
    return np.stack(out)


def sv_one_per_position(x):
    out = []
    for pos in range(x.shape[1]):
        v = x.copy()
        v[:, pos] = 1 - x[:, pos]  # all three other bases at once
        out.extend([v, v, v])
    return np.stack(out)


def sv_last_position_skipped(x):
    return sv_loop(x[:, :-1].copy()) if x.shape[1] > 1 else sv_loop(x)


def sv_descending(x):
    out = []
    for pos in range(x.shape[1]):
        for base in (3, 2, 1, 0):  # TGCA order
            if x[base, pos] == 0:
                v = x.copy()
                v[:, pos] = 0
                v[base, pos] = 1
                out.append(v)
    return np.stack(out)


WRONG = {
    "ch9.standardize": [
        (st_row_statistics, "z-scores each cell across its genes, not each gene", None),
        (st_variance, "divides by the variance", None),
        (st_test_unscaled, "test cells centred but not divided by the sd", None),
        (st_median, "centres on the median", None),
    ],
    "ch9.class_weights": [
        (cw_max_over_count, "largest class gets 1: max count / n_c", None),
        (cw_one_for_absent, "absent classes get weight 1", None),
        (cw_sqrt, "square root of the balanced weight", None),
        (cw_int, "integer division", None),
    ],
    "ch9.per_class_recall": [
        (pr_specificity, "specificity (true negatives) instead of recall", None),
        (pr_any_hit, "1 if any cell of the class is right", None),
        (pr_f1, "F1 instead of recall", None),
        (pr_off_by_one, "the last class is never computed", None),
    ],
    "ch9.single_base_variants": [
        (sv_swap_with_next, "the same rotated base three times per position", None),
        (sv_one_per_position, "all three other bases set at once", None),
        (sv_last_position_skipped, "the last position has no variants", None),
        (sv_descending, "new bases in TGCA order", None),
    ],
}

CORRECT = {
    "ch9.standardize": [st_one_pass, st_loop],
    "ch9.class_weights": [cw_loop, cw_unique],
    "ch9.per_class_recall": [pr_loop, pr_confusion],
    "ch9.single_base_variants": [sv_loop, sv_masked],
}

_y = np.repeat(np.arange(3), [6, 3, 1])

WITNESSES = {
    "ch9.standardize": [
        (_rng.normal(2.0, 3.0, size=(8, 3)), _rng.normal(size=(2, 3))),
        (_rng.normal(size=(5, 4)).astype(np.float32), _rng.normal(size=(3, 4)).astype(np.float32)),
    ],
    "ch9.class_weights": [(_y, 3), (np.array([0, 0, 2]), 4)],
    "ch9.per_class_recall": [
        (_y, np.array([0, 0, 0, 0, 1, 1, 1, 0, 2, 0]), 3),
        (np.array([0, 1, 1, 2]), np.array([0, 1, 0, 2]), 3),
    ],
    "ch9.single_base_variants": [
        (_encode("CAGGTAAGT"),),
        (_encode("ACGT").astype(np.float32),),
    ],
}
