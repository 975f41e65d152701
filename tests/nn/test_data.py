"""Tests for genolearn.nn.data: property tests on mini-batches and splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.nn.data import minibatches, train_test_split, train_val_test_split

pytestmark = pytest.mark.ch04

SETTINGS = settings(max_examples=60, deadline=None)


def _ids(n):
    """X whose rows are their own ids (as (N, 2)) and y the same ids, to track samples."""
    ids = np.arange(n)
    return np.stack([ids, -ids], axis=1), ids


@SETTINGS
@given(
    n=st.integers(1, 200),
    batch_size=st.integers(1, 64),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, seed):
    X, y = _ids(n)
    batches = list(minibatches(X, y, batch_size, shuffle=shuffle, seed=seed))
    seen = np.concatenate([yb for _, yb in batches])
    assert np.array_equal(np.sort(seen), np.arange(n))
    assert all(len(xb) == len(yb) <= batch_size for xb, yb in batches)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])  # only the last may be short
    assert all(np.array_equal(xb[:, 0], yb) for xb, yb in batches)  # X and y stay paired
    if not shuffle:
        assert np.array_equal(seen, np.arange(n))


@SETTINGS
@given(n=st.integers(1, 200), batch_size=st.integers(1, 64), seed=st.integers(0, 99))
def test_drop_last_keeps_only_full_batches(n, batch_size, seed):
    X, y = _ids(n)
    batches = list(minibatches(X, y, batch_size, seed=seed, drop_last=True))
    assert len(batches) == n // batch_size
    assert all(len(yb) == batch_size for _, yb in batches)
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
    assert len(np.unique(seen)) == len(seen)


def test_shuffling_is_reproducible_and_a_generator_gives_new_orders():
    X, y = _ids(50)
    first = [yb for _, yb in minibatches(X, y, 10, seed=7)]
    again = [yb for _, yb in minibatches(X, y, 10, seed=7)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    rng = np.random.default_rng(7)
    epoch1 = np.concatenate([yb for _, yb in minibatches(X, y, 10, seed=rng)])
    epoch2 = np.concatenate([yb for _, yb in minibatches(X, y, 10, seed=rng)])
    assert not np.array_equal(epoch1, epoch2)
    assert not np.array_equal(epoch1, np.arange(50))


def test_minibatches_of_one_hot_dna_keep_trailing_axes_and_views_without_shuffle():
    X = np.zeros((10, 4, 30), dtype=np.float32)  # (N, 4, L)
    y = np.arange(10)
    xb, yb = next(minibatches(X, y, 4, shuffle=False))
    assert np.array_equal(yb, [0, 1, 2, 3])
    assert xb.shape == (4, 4, 30) and xb.dtype == np.float32
    assert np.shares_memory(xb, X)  # a view, not a copy


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"y": np.zeros(9)}, ValueError, "X has 10 samples but y has 9"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"seed": None}, TypeError, r"needs a seed .* pass seed=0"),
        ({"X": None}, TypeError, "X must be an array"),
    ],
)
def test_minibatches_errors(kwargs, error, message):
    args = {"X": np.zeros((10, 3)), "y": np.zeros(10), "batch_size": 4, "seed": 0, **kwargs}
    with pytest.raises(error, match=message):
        next(minibatches(args.pop("X"), args.pop("y"), args.pop("batch_size"), **args))


fractions_strategy = st.tuples(st.integers(1, 10), st.integers(0, 10), st.integers(0, 10)).map(
    lambda w: tuple(x / sum(w) for x in w)
)


@SETTINGS
@given(n=st.integers(1, 300), fractions=fractions_strategy, seed=st.integers(0, 2**16))
def test_three_way_split_is_a_partition_with_rounded_sizes(n, fractions, seed):
    X, y = _ids(n)
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, fractions, seed=seed)
    parts = [y_tr, y_va, y_te]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(n))  # disjoint, complete
    for Xp, yp, f in zip([X_tr, X_va, X_te], parts, fractions, strict=True):
        assert np.array_equal(Xp[:, 0], yp)
        assert abs(len(yp) - f * n) < 1  # largest-remainder rounding


@SETTINGS
@given(
    counts=st.lists(st.integers(1, 60), min_size=2, max_size=4),
    fractions=fractions_strategy,
    seed=st.integers(0, 999),
)
def test_stratified_split_keeps_each_class_in_proportion(counts, fractions, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.arange(len(y))
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(
        X, y, fractions, seed=seed, stratify=True
    )
    assert np.array_equal(np.sort(np.concatenate([X_tr, X_va, X_te])), np.arange(len(y)))
    for part, f in zip([y_tr, y_va, y_te], fractions, strict=True):
        for label, count in enumerate(counts):
            assert abs(np.sum(part == label) - f * count) < 1


@SETTINGS
@given(n=st.integers(2, 300), test_fraction=st.floats(0.0, 0.95), seed=st.integers(0, 999))
def test_train_test_split_sizes_and_disjointness(n, test_fraction, seed):
    X, y = _ids(n)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction, seed=seed)
    assert np.array_equal(np.sort(np.concatenate([y_tr, y_te])), np.arange(n))
    assert abs(len(y_te) - test_fraction * n) < 1
    assert np.array_equal(X_tr[:, 0], y_tr) and np.array_equal(X_te[:, 0], y_te)


def test_splits_are_reproducible_and_shuffled():
    X, y = _ids(100)
    a = train_val_test_split(X, y, seed=3)
    b = train_val_test_split(X, y, seed=3)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert [len(p) for p in a[3:]] == [70, 15, 15]
    assert not np.array_equal(a[3], np.sort(a[3]))  # the training set is in random order


def test_stratify_keeps_a_rare_class_in_every_split():
    y = np.array([1] * 10 + [0] * 90)
    X = np.arange(100)
    _, _, _, y_tr, y_va, y_te = train_val_test_split(X, y, (0.6, 0.2, 0.2), seed=0, stratify=True)
    assert [int(p.sum()) for p in (y_tr, y_va, y_te)] == [6, 2, 2]


@pytest.mark.parametrize(
    "fractions, error, message",
    [
        (
            (0.5, 0.3, 0.3),
            ValueError,
            r"fractions must sum to 1, but \(0.5, 0.3, 0.3\) sums to 1.1",
        ),
        ((0.8, 0.2), TypeError, "fractions must be a sequence of 3 numbers"),
        ((0.0, 0.5, 0.5), ValueError, r"fractions\[0\] \(the training share\) must be > 0"),
        ((1.2, -0.1, -0.1), ValueError, r"fractions\[1\] must be >= 0.0"),
    ],
)
def test_split_fraction_errors(fractions, error, message):
    with pytest.raises(error, match=message):
        train_val_test_split(np.zeros((10, 2)), np.zeros(10), fractions, seed=0)


def test_split_other_errors():
    with pytest.raises(ValueError, match=r"test_fraction must be < 1\.0"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), 1.0, seed=0)
    with pytest.raises(ValueError, match=r"stratify=True needs class labels y of shape \(N,\)"):
        train_test_split(np.zeros((10, 2)), np.zeros((10, 2)), seed=0, stratify=True)
    with pytest.raises(ValueError, match="X has 10 samples but y has 3"):
        train_test_split(np.zeros((10, 2)), np.zeros(3), seed=0)
