"""Mini-batches and train/validation/test splits (Chapter 4).

``X`` may have any shape ``(N, *)`` (e.g. features ``(N, D)`` or one-hot DNA ``(N, 4, L)``) and
``y`` any shape ``(N, *)``; only the first axis, the samples, is split or shuffled.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from genolearn._validation import as_rng, check_array, check_int, check_number, describe

__all__ = ["minibatches", "train_val_test_split", "train_test_split"]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = check_array(X, "X", dtype_kind=None)
    y = check_array(y, "y", dtype_kind=None)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must have a first axis of samples (N, ...), got scalars")
    if len(X) != len(y):
        raise ValueError(
            f"X has {len(X)} samples but y has {len(y)}; they must have the same first axis N"
        )
    return X, y


def _need_seed(seed: Any, what: str) -> np.random.Generator:
    if seed is None:
        raise TypeError(
            f"{what} needs a seed so that results are reproducible: pass seed=0 (any int) or a "
            f"numpy.random.Generator"
        )
    return as_rng(seed)


def minibatches(
    X: Any,
    y: Any,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of mini-batches ``(X_batch: (B, *), y_batch: (B, *))``, B <= ``batch_size``.

    Every sample appears exactly once per call (the last batch is smaller unless
    ``drop_last=True``, which drops it). With ``shuffle=True`` the order is a fresh random
    permutation drawn from ``seed``: pass the same Generator each epoch to get a new order
    every epoch, or the same int to repeat the order. Without shuffling the batches are views
    (no copies); with shuffling they are copies.
    """
    X, y = _check_xy(X, y)
    batch_size = check_int(batch_size, "batch_size", low=1)
    n = len(X)
    order = _need_seed(seed, "minibatches(shuffle=True)").permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield X[start : start + batch_size], y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]  # (B,) sample indices
            yield X[idx], y[idx]


def _split_counts(n: int, fractions: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``fractions`` that sum to ``n``.

    Largest-remainder rounding: floor every share, then give the leftover samples to the
    shares with the largest remainders (the earlier split wins a tie).
    """
    exact = fractions / fractions.sum() * n  # the sum may be off 1 by up to 1e-6
    counts = np.floor(exact + 1e-9).astype(np.int64)  # 1e-9: 0.7 * 10 is 6.999999999999999
    leftover = n - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:leftover]] += 1
    return counts


def _split_indices(
    y: np.ndarray, fractions: Sequence[float], rng: np.random.Generator, stratify: bool
) -> list[np.ndarray]:
    f = np.asarray(fractions, dtype=np.float64)
    n = len(y)
    if not stratify:
        perm = rng.permutation(n)
        bounds = np.cumsum(_split_counts(n, f))[:-1]
        return np.split(perm, bounds)
    if y.ndim != 1:
        raise ValueError(f"stratify=True needs class labels y of shape (N,), got {y.shape}")
    parts: list[list[np.ndarray]] = [[] for _ in f]
    for label in np.unique(y):  # split every class separately in the same proportions
        members = rng.permutation(np.flatnonzero(y == label))
        bounds = np.cumsum(_split_counts(len(members), f))[:-1]
        for part, chunk in zip(parts, np.split(members, bounds), strict=True):
            part.append(chunk)
    return [rng.permutation(np.concatenate(p)) for p in parts]  # mix the classes


def _check_fractions(fractions: Any, k: int) -> tuple[float, ...]:
    if not isinstance(fractions, (tuple, list, np.ndarray)) or len(fractions) != k:
        raise TypeError(f"fractions must be a sequence of {k} numbers, got {describe(fractions)}")
    out = tuple(check_number(f, f"fractions[{i}]", low=0.0) for i, f in enumerate(fractions))
    if abs(sum(out) - 1.0) > 1e-6:
        raise ValueError(f"fractions must sum to 1, but {out} sums to {sum(out):.6g}")
    if out[0] == 0:
        raise ValueError("fractions[0] (the training share) must be > 0")
    return out


def train_val_test_split(
    X: Any,
    y: Any,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    *,
    seed: int | np.random.Generator,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into training, validation and test sets.

    Returns ``X_train, X_val, X_test, y_train, y_val, y_test`` (the order of scikit-learn's
    ``train_test_split``). Every sample lands in exactly one split; the sizes are
    ``fractions * N`` rounded so they sum to N. With ``stratify=True`` (``y: (N,)`` class
    labels) each class is split in the same proportions, so every split has about the class
    balance of the whole; the split sizes may then differ from the unstratified ones by a few
    samples.
    """
    X, y = _check_xy(X, y)
    fractions = _check_fractions(fractions, 3)
    parts = _split_indices(y, fractions, as_rng(seed), bool(stratify))
    return (*(X[i] for i in parts), *(y[i] for i in parts))


def train_test_split(
    X: Any,
    y: Any,
    test_fraction: float = 0.2,
    *,
    seed: int | np.random.Generator,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split in two. Returns ``X_train, X_test, y_train, y_test``.

    ``test_fraction`` of the N samples (rounded) go to the test set; see
    :func:`train_val_test_split` for ``stratify``.
    """
    X, y = _check_xy(X, y)
    tf = check_number(test_fraction, "test_fraction", low=0.0, high=1.0, high_inclusive=False)
    parts = _split_indices(y, (1.0 - tf, tf), as_rng(seed), bool(stratify))
    return X[parts[0]], X[parts[1]], y[parts[0]], y[parts[1]]
