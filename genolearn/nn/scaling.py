"""Feature scaling fitted on the training samples only.

Scaling uses statistics of the data (each gene's mean and standard deviation). Computed on all
samples, they carry information about the test samples into training: a small leak, and a
habit that becomes a large one with gene selection or imputation. Fit on the training rows,
then apply the same transformation to every other split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array

__all__ = ["standardize"]


def standardize(X_train: Any, X_test: Any) -> tuple[np.ndarray, np.ndarray]:
    """Z-score each feature with the training set's mean and standard deviation.

    ``Z = (X - mean_train) / sd_train``, per column, with the population standard deviation
    (``ddof=0``). A column that is constant in the training set (``sd_train = 0``, e.g. a gene
    never detected there) is only centred: it is divided by 1, not by 0.

    Args:
        X_train: ``(N, G)`` floats, N >= 1 (the statistics come from here only).
        X_test: ``(M, G)`` floats, transformed with the training statistics.

    Returns:
        ``(Z_train, Z_test)``, ``(N, G)`` and ``(M, G)`` in the inputs' float dtype (float64
        for integer input). Z_train has mean 0 and, where not constant, sd 1 per column.
    """
    sizes: dict[str, int] = {}
    X_train = check_array(X_train, "X_train", shape=("N", "G"), finite=True, sizes=sizes)
    X_test = check_array(X_test, "X_test", shape=("M", "G"), finite=True, sizes=sizes)
    if sizes["N"] == 0:
        raise ValueError("X_train has no rows: the statistics need at least one sample")
    dtype = np.result_type(X_train.dtype, X_test.dtype, np.float32)  # float32 stays float32
    train = np.asarray(X_train, dtype=dtype)  # (N, G)
    mean = train.mean(axis=0)  # (G,)
    constant = train.max(axis=0) == train.min(axis=0)  # (G,) exactly, unlike sd == 0
    sd = np.where(constant, 1.0, train.std(axis=0))  # (G,) of dtype; constant: centred
    return (train - mean) / sd, (np.asarray(X_test, dtype=dtype) - mean) / sd
