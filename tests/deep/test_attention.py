"""Tests for genolearn.deep.attention (its agreement with torch.nn.MultiheadAttention is tested
on the exercise's cases in tests/exercises/test_ch08_transformer.py)."""

import numpy as np
import pytest

from genolearn.deep.attention import attention_enrichment, multi_head_attention_numpy
from genolearn.deep.transformer import scaled_dot_product_attention

pytestmark = pytest.mark.ch08


def test_one_head_is_plain_attention_on_the_projections():
    rng = np.random.default_rng(0)
    x, w_in, b_in = rng.normal(size=(2, 5, 4)), rng.normal(size=(12, 4)), rng.normal(size=12)
    out, weights = multi_head_attention_numpy(x, w_in, b_in, np.eye(4), np.zeros(4), 1)
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)
    expected, expected_w = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(weights[:, 0], expected_w)


def test_heads_see_only_their_own_columns():
    """With identity projections, head j's weights depend only on columns j*h .. (j+1)*h - 1."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 4, 6))
    eye = np.eye(6)
    _, w = multi_head_attention_numpy(x, np.vstack([eye] * 3), np.zeros(18), eye, np.zeros(6), 3)
    changed = x.copy()
    changed[..., 4:] += 5.0  # only the last head's columns
    _, w2 = multi_head_attention_numpy(
        changed, np.vstack([eye] * 3), np.zeros(18), eye, np.zeros(6), 3
    )
    np.testing.assert_allclose(w[:, :2], w2[:, :2])
    assert not np.allclose(w[:, 2], w2[:, 2])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((1, 2, 4)), np.zeros((12, 3)), np.zeros(12), np.eye(4), np.zeros(4), 2), "w_in"),
        ((np.zeros((2, 4)), np.zeros((12, 4)), np.zeros(12), np.eye(4), np.zeros(4), 2), "x"),
        (
            (np.zeros((1, 2, 4)), np.zeros((12, 4)), np.zeros(12), np.eye(4), np.zeros(4), 0),
            "n_heads",
        ),
    ],
)
def test_multi_head_attention_refuses_bad_input(args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        multi_head_attention_numpy(*args)


def test_enrichment_refuses_bad_input():
    w = np.full((1, 2, 3), 1 / 3)
    with pytest.raises(TypeError, match="sites"):
        attention_enrichment(w, np.ones((1, 3)))  # not boolean
    with pytest.raises(ValueError, match="sites"):
        attention_enrichment(w, np.ones((1, 4), bool))
