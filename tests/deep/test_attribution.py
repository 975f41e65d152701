"""Tests for genolearn.deep.attribution: the mean-over-bases correction of gradients."""

import numpy as np
import pytest
import torch

from genolearn.deep import MotifCNN, saliency, set_seed
from genolearn.deep.attribution import corrected_saliency
from genolearn.dna import one_hot_encode

pytestmark = pytest.mark.ch06


def test_by_hand():
    x = one_hot_encode(["AC"])  # (1, 4, 2)
    grad = np.array([[[1.0, 0.0], [2.0, 4.0], [3.0, 0.0], [6.0, 0.0]]])  # means 3, 1
    out = corrected_saliency(grad, x)
    expected = np.zeros((1, 4, 2))
    expected[0, 0, 0] = 1.0 - 3.0
    expected[0, 1, 1] = 4.0 - 1.0
    np.testing.assert_allclose(out, expected)


def test_a_shared_offset_per_position_cancels():
    rng = np.random.default_rng(0)
    x = np.eye(4)[rng.integers(0, 4, size=(3, 10))].transpose(0, 2, 1)
    grad = rng.normal(size=(3, 4, 10))
    shifted = grad + rng.normal(size=(3, 1, 10)) * 50  # an arbitrary offset at each position
    np.testing.assert_allclose(corrected_saliency(shifted, x), corrected_saliency(grad, x))


def test_uncorrected_version_is_gd_saliency():
    """Without the correction, gradient x input of a torch model is gd.saliency."""
    set_seed(0)
    model = MotifCNN(4, 5, hidden=0).eval()
    x = one_hot_encode(["ACGTACGTTGCA", "TTTTGGGGCCCC"])
    xt = torch.tensor(x, requires_grad=True)
    model(xt)[:, 0].sum().backward()
    grad = xt.grad.numpy()
    np.testing.assert_allclose(grad * x, saliency(model, x), atol=1e-6)
    corrected = corrected_saliency(grad, x)
    np.testing.assert_allclose(corrected, (grad - grad.mean(axis=1, keepdims=True)) * x, atol=1e-6)
    assert corrected.dtype == np.float32
    assert corrected_saliency(grad.astype(int), x.astype(int)).dtype == np.float64


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="x has shape"):
        corrected_saliency(np.zeros((1, 4, 5)), np.zeros((1, 4, 6)))
