"""Class weights and imbalance-aware metrics."""

import numpy as np
import pytest

from genolearn.nn.imbalance import balanced_accuracy, class_weights, macro_f1, per_class_recall


def test_class_weights_balance_the_classes():
    y = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(class_weights(y, 2), [4 / 6, 2.0])
    np.testing.assert_allclose(class_weights(np.array([1, 1]), 3), [0.0, 1 / 3, 0.0])


def test_balanced_accuracy_of_always_the_majority_is_one_over_classes():
    y = np.repeat([0, 1, 2], [18, 4, 2])
    assert balanced_accuracy(y, np.zeros_like(y), 3) == pytest.approx(1 / 3)
    assert np.mean(y == 0) == pytest.approx(0.75)


def test_recall_is_nan_for_an_absent_class_and_left_out_of_the_mean():
    recall = per_class_recall(np.array([0, 0, 1]), np.array([0, 1, 1]), 3)
    np.testing.assert_allclose(recall, [0.5, 1.0, np.nan])
    assert balanced_accuracy(np.array([0, 0, 1]), np.array([0, 1, 1]), 3) == 0.75


def test_macro_f1_matches_its_definition():
    y_true, y_pred = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    f1 = []
    for c in range(3):
        tp = np.sum((y_true == c) & (y_pred == c))
        precision = tp / max(np.sum(y_pred == c), 1)
        recall = tp / np.sum(y_true == c)
        f1.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    assert macro_f1(y_true, y_pred, 3) == pytest.approx(np.mean(f1))
    assert macro_f1(y_true, y_pred, 4) == pytest.approx(np.mean(f1))  # class 3 never seen


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: class_weights(np.array([0, 3]), 3), r"y holds labels in \[0, 3\]"),
        (lambda: class_weights(np.array([], dtype=int), 2), "y is empty"),
        (lambda: class_weights(np.array([0.0, 1.0]), 2), "y"),
        (lambda: per_class_recall(np.array([0, 1]), np.array([0]), 2), "y_pred"),
        (lambda: balanced_accuracy(np.array([0]), np.array([0]), 0), "n_classes must be >= 1"),
    ],
)
def test_bad_input_is_refused_by_name(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
