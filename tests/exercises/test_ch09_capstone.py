"""Chapter 9 checks: correct variants pass, and the references agree with independent
computations. (The catalogued mutants are tested for every exercise in test_check.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genolearn.deep import in_silico_mutagenesis
from genolearn.exercises import get_exercise
from genolearn.nn.metrics import confusion_matrix
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch09
torch.set_num_threads(1)
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


# ---- class_weights
def weights_loop(y, n_classes):
    out = np.zeros(n_classes)
    for c in range(n_classes):
        count = sum(1 for label in y if label == c)
        if count:
            out[c] = len(y) / (n_classes * count)
    return out


def test_class_weights_variants_pass():
    assert_passes("ch9.class_weights", weights_loop, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_class_weights_give_every_present_class_the_same_total(seed):
    ex = get_exercise("ch9.class_weights")
    for case in cases("ch9.class_weights", seed):
        y, n_classes = case.args
        w = ex.reference(y, n_classes)
        totals = np.bincount(y, weights=w[y], minlength=n_classes)  # (C,)
        present = np.bincount(y, minlength=n_classes) > 0
        np.testing.assert_allclose(totals[present], len(y) / n_classes)
        np.testing.assert_allclose(w[y].sum(), len(y) * present.sum() / n_classes)


# ---- per_class_recall
def recall_from_masks(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        mine = y_true == c
        if mine.any():
            out[c] = np.mean(y_pred[mine] == c)
    return out


def test_per_class_recall_variants_pass():
    assert_passes("ch9.per_class_recall", recall_from_masks, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_per_class_recall_is_the_confusion_matrix_diagonal_over_its_rows(seed):
    ex = get_exercise("ch9.per_class_recall")
    for case in cases("ch9.per_class_recall", seed):
        y_true, y_pred, n_classes = case.args
        cm = confusion_matrix(y_true, y_pred, n_classes)  # (C, C) rows = true class
        with np.errstate(invalid="ignore"):
            expected = np.diag(cm) / cm.sum(axis=1)
        np.testing.assert_allclose(ex.reference(*case.args), expected)


# ---- standardize
def standardize_by_column(X_train, X_test):
    dtype = np.result_type(X_train.dtype, X_test.dtype, np.float32)
    z_train = np.empty(X_train.shape, dtype)
    z_test = np.empty(X_test.shape, dtype)
    for g in range(X_train.shape[1]):
        col = X_train[:, g].astype(np.float64)
        mean = col.mean()
        sd = col.std() if np.ptp(col) > 0 else 1.0
        z_train[:, g] = (col - mean) / sd
        z_test[:, g] = (X_test[:, g] - mean) / sd
    return z_train, z_test


def test_standardize_variants_pass():
    assert_passes("ch9.standardize", standardize_by_column, SEEDS)


def test_standardize_keeps_a_shifted_test_set_shifted():
    ex = get_exercise("ch9.standardize")
    rng = np.random.default_rng(0)
    train = rng.normal(size=(50, 3))
    z_train, z_test = ex.reference(train, train + 10.0)
    np.testing.assert_allclose(z_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.all(z_test.mean(axis=0) > 5)


# ---- single_base_variants
def variants_by_index(x):
    length = x.shape[1]
    ref = x.argmax(axis=0)  # (L,)
    out = np.repeat(x[None], 3 * length, axis=0)
    alternatives = [[b for b in range(4) if b != r] for r in ref]
    for k in range(3 * length):
        pos, j = divmod(k, 3)
        out[k, :, pos] = np.eye(4, dtype=x.dtype)[alternatives[pos][j]]
    return out


def test_single_base_variants_variants_pass():
    assert_passes("ch9.single_base_variants", variants_by_index, SEEDS)


def test_single_base_variants_scored_by_a_model_equal_in_silico_mutagenesis():
    ex = get_exercise("ch9.single_base_variants")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 7, 8), torch.nn.ReLU(),
                                torch.nn.Linear(8, 1))  # fmt: skip
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, 7)].T  # (4, 7)
    variants = ex.reference(x)  # (21, 4, 7)
    with torch.no_grad():
        logits = model(torch.as_tensor(np.concatenate([x[None], variants])))[:, 0].numpy()
    ism = in_silico_mutagenesis(model, x[None], device="cpu")[0]  # (4, 7)
    np.testing.assert_allclose(logits[1:] - logits[0], ism.T[x.T == 0], atol=1e-6)


def test_a_variant_list_with_the_reference_is_a_shape_error():
    report = assert_fails(
        "ch9.single_base_variants", lambda x: np.concatenate([x[None], variants_by_index(x)])
    )
    assert "shape" in report.problem
