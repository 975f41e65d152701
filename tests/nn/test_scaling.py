"""Scaling fitted on the training rows only."""

import numpy as np
import pytest

from genolearn.nn.scaling import standardize


def test_training_statistics_are_applied_to_the_test_rows():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(200, 4))
    z_train, z_test = standardize(train, train[:5] + 1.0)
    np.testing.assert_allclose(z_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z_train.std(axis=0), 1.0)
    np.testing.assert_allclose(z_test, z_train[:5] + 1.0 / train.std(axis=0))


def test_a_constant_gene_is_centred_not_divided_by_zero():
    train = np.array([[1.0, 0.1], [1.0, 0.3]])
    z_train, z_test = standardize(train, np.array([[2.0, 0.2]]))
    np.testing.assert_allclose(z_train[:, 0], 0.0)
    np.testing.assert_allclose(z_test[0], [1.0, 0.0], atol=1e-12)


def test_dtypes_follow_the_inputs():
    x32 = np.ones((3, 2), np.float32)
    assert standardize(x32, x32)[1].dtype == np.float32
    assert standardize(x32, x32.astype(np.float64))[0].dtype == np.float64
    assert standardize(np.ones((2, 2), int), np.ones((1, 2), int))[0].dtype == np.float64


def test_mismatched_genes_are_refused_by_name():
    with pytest.raises(ValueError, match="X_test"):
        standardize(np.ones((3, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="X_train has no rows"):
        standardize(np.ones((0, 2)), np.ones((1, 2)))
