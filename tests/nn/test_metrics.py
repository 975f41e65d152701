"""Tests for genolearn.nn.metrics: hand-computed cases and brute-force property checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.nn.metrics import (
    accuracy,
    average_precision,
    confusion_matrix,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)
from tests.gradcheck import assert_close

pytestmark = pytest.mark.ch04

# The example in scikit-learn's documentation, worked by hand:
Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])


def test_roc_auc_hand_example():
    # pairs (positive, negative): (0.35, 0.1) ok, (0.35, 0.4) wrong, (0.8, *) ok -> 3/4
    assert roc_auc(Y, S) == 0.75


def test_roc_curve_hand_example():
    fpr, tpr, thr = roc_curve(Y, S)
    assert_close(fpr, np.array([0, 0, 0.5, 0.5, 1]))
    assert_close(tpr, np.array([0, 0.5, 0.5, 1, 1]))
    assert_close(thr, np.array([np.inf, 0.8, 0.4, 0.35, 0.1]))


def test_precision_recall_curve_hand_example():
    precision, recall, thr = precision_recall_curve(Y, S)
    assert_close(precision, np.array([0.5, 2 / 3, 0.5, 1, 1]))
    assert_close(recall, np.array([1, 1, 0.5, 0.5, 0]))
    assert_close(thr, np.array([0.1, 0.35, 0.4, 0.8]))


def test_average_precision_hand_example():
    # recall rises 0 -> 0.5 at precision 1 (score 0.8), 0.5 -> 1 at precision 2/3 (score 0.35)
    assert average_precision(Y, S) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_ties_count_half():
    y = np.array([1, 0, 1, 0])
    s = np.array([0.5, 0.5, 0.9, 0.1])
    # pairs: (0.5 vs 0.5) tie = 1/2, (0.5 vs 0.1) 1, (0.9 vs 0.5) 1, (0.9 vs 0.1) 1 -> 3.5 / 4
    assert roc_auc(y, s) == 0.875
    fpr, tpr, thr = roc_curve(y, s)
    assert_close(fpr, np.array([0, 0, 0.5, 1]))  # the tie is one diagonal step
    assert_close(tpr, np.array([0, 0.5, 1, 1]))
    assert_close(thr, np.array([np.inf, 0.9, 0.5, 0.1]))
    # AP: threshold 0.9 -> P 1, R 0.5; threshold 0.5 -> P 2/3, R 1
    assert average_precision(y, s) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert roc_auc(y, np.zeros(4)) == 0.5  # all tied: a coin flip


def test_perfect_and_reversed_rankings():
    y = np.array([0, 0, 0, 1, 1])
    s = np.arange(5.0)
    assert roc_auc(y, s) == 1.0 and average_precision(y, s) == 1.0
    assert roc_auc(y, -s) == 0.0
    assert roc_auc(y.astype(bool), s) == 1.0  # booleans work
    assert roc_auc(y, np.arange(5)) == 1.0  # integer scores work


def _brute_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return ((diff > 0) + 0.5 * (diff == 0)).mean()


def _brute_ap(y, s):
    total, prev_recall = 0.0, 0.0
    for t in np.unique(s)[::-1]:
        predicted = s >= t
        tp = np.sum(predicted & (y == 1))
        recall = tp / y.sum()
        total += (recall - prev_recall) * tp / predicted.sum()
        prev_recall = recall
    return total


labels_and_scores = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: 0 < sum(v) < n),
        st.lists(st.integers(0, 6), min_size=n, max_size=n),  # few values: many ties
    )
)


@settings(max_examples=100, deadline=None)
@given(data=labels_and_scores)
def test_auc_equals_pairwise_probability_and_area_under_the_curve(data):
    y, s = np.array(data[0]), np.array(data[1], dtype=float) / 6
    auc = roc_auc(y, s)
    assert auc == pytest.approx(_brute_auc(y, s), abs=1e-12)
    fpr, tpr, _ = roc_curve(y, s)
    assert auc == pytest.approx(np.trapezoid(tpr, fpr), abs=1e-12)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert fpr[-1] == 1 and tpr[-1] == 1
    assert roc_auc(y, -s) == pytest.approx(1 - auc, abs=1e-12)  # flipping the scores


@settings(max_examples=100, deadline=None)
@given(data=labels_and_scores)
def test_average_precision_matches_brute_force_and_the_curve(data):
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    ap = average_precision(y, s)
    assert ap == pytest.approx(_brute_ap(y, s), abs=1e-12)
    precision, recall, thr = precision_recall_curve(y, s)
    assert len(precision) == len(recall) == len(thr) + 1
    assert ap == pytest.approx(-np.sum(np.diff(recall) * precision[:-1]), abs=1e-12)
    assert 0 < ap <= 1


def test_accuracy_from_labels_scores_and_class_scores():
    y = np.array([0, 1, 1, 0])
    assert accuracy(y, np.array([0, 1, 0, 0])) == 0.75
    assert accuracy(y, np.array([0.2, 0.7, 0.4, 0.5])) == 0.5  # probabilities, threshold 0.5
    assert accuracy(y, np.array([-1.0, 2.0, 0.5, -3.0]), threshold=0.0) == 1.0  # logits
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [5.0, -5.0]])
    assert accuracy(y, logits) == 0.75  # argmax over classes
    assert accuracy(y.astype(bool), y.astype(bool)) == 1.0


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_accuracy_and_confusion_matrix_read_n_1_as_one_logit_column():
    """The issue-13 bug: argmax over a single column is always class 0 (accuracy 0.5 here)."""
    y = np.array([0, 1, 1, 0])
    logits = np.array([-2.0, 3.0, 0.5, -0.1])  # all correct at p = sigmoid(z) >= 0.5
    assert accuracy(y, logits[:, None]) == 1.0
    assert np.array_equal(confusion_matrix(y, logits[:, None]), [[2, 0], [0, 2]])
    # threshold is a probability: sigmoid(0.5) = 0.62 < 0.7, so the third becomes negative
    assert accuracy(y, logits[:, None], threshold=0.7) == 0.75
    assert accuracy(y, y[:, None]) == 1.0  # an integer column is labels
    assert np.array_equal(confusion_matrix(y, y[:, None].astype(bool)), [[2, 0], [0, 2]])


binary_logits = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(-8, 8).filter(lambda v: abs(v) > 1e-3), min_size=n, max_size=n).filter(
            lambda v: max(v) > 1 or min(v) < 0
        ),  # not all in [0, 1]: see the refusal
    )
)


@settings(max_examples=100, deadline=None)
@given(data=binary_logits)
def test_n_n1_and_n2_forms_of_the_same_prediction_agree(data):
    """(N,) probabilities, (N,) logits, (N, 1) logits and (N, 2) class scores [0, z]."""
    y, z = np.array(data[0]), np.array(data[1])
    expected = np.mean((z > 0) == y)
    two = np.stack([np.zeros_like(z), z], axis=1)  # (N, 2): softmax gives p1 = sigmoid(z)
    assert accuracy(y, _sigmoid(z)) == expected
    assert accuracy(y, z, threshold=0.0) == expected
    assert accuracy(y, z[:, None]) == expected
    assert accuracy(y, two) == expected
    cm = confusion_matrix(y, _sigmoid(z), num_classes=2)
    assert np.array_equal(confusion_matrix(y, z[:, None], num_classes=2), cm)
    assert np.array_equal(confusion_matrix(y, two, num_classes=2), cm)
    assert np.trace(cm) / cm.sum() == expected


@pytest.mark.parametrize("metric", [accuracy, confusion_matrix])
def test_n_1_probabilities_are_refused_not_misread(metric):
    probs = np.array([[0.2], [0.9], [0.6], [0.1]])
    with pytest.raises(ValueError, match=r"every value lies in \[0, 1\].*y_pred\[:, 0\]"):
        metric(np.array([0, 1, 1, 0]), probs)


def test_confusion_matrix_counts_rows_true_columns_predicted():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(y_true, y_pred)
    assert cm.dtype == np.int64
    assert np.array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.sum() == 6 and np.trace(cm) / cm.sum() == accuracy(y_true, y_pred)
    assert confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)
    assert np.array_equal(confusion_matrix([1, 0], np.array([0.9, 0.2])), [[1, 0], [0, 1]])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), ValueError, "y_true has no negatives"),
        (lambda: roc_auc([0, 0], [0.1, 0.2]), ValueError, "y_true has no positives"),
        (lambda: average_precision([0, 0], [0.1, 0.2]), ValueError, "no positives"),
        (
            lambda: roc_auc([0, 2, 1], [0.1, 0.2, 0.3]),
            ValueError,
            "binary labels 0/1, but contains 2",
        ),
        (
            lambda: roc_auc([0, 1], [0.1, 0.2, 0.3]),
            ValueError,
            r"scores has shape \(3,\) but must be \(N,\) with N = 2",
        ),
        (lambda: roc_auc([0, 1], np.zeros((2, 2))), ValueError, r"probs\[:, 1\]"),
        (lambda: roc_auc([0, 1], [0.1, np.nan]), ValueError, "scores must be finite"),
        (lambda: accuracy(np.eye(2), [0, 1]), ValueError, r"one-hot, use y_true\.argmax"),
        (lambda: accuracy([0, 1], [0, 1, 1]), ValueError, r"y_pred has shape \(3,\)"),
        (lambda: accuracy([0.0, 1.0], [0, 1]), TypeError, r"dtype float64 .* y_true\.astype"),
        (lambda: accuracy([], []), ValueError, "y_true is empty"),
        (lambda: accuracy([[0], [1]], [0, 1]), ValueError, r"use y_true\[:, 0\]"),
        (
            lambda: accuracy([0, 1], [[-1.0], [2.0]], threshold=0.0),
            ValueError,
            r"read as one logit per sample .* threshold must be a probability in \(0, 1\)",
        ),
        (
            lambda: accuracy([0, 1, 1], [[-1.0], [2.0]]),
            ValueError,
            r"y_pred has shape \(2, 1\) but must be \(N, 1\) with N = 3",
        ),
        (lambda: confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError, "labels go up to 3"),
    ],
)
def test_metric_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
