"""Expression classifiers, their attributions and the marker score."""

import numpy as np
import pytest
import torch

from genolearn.deep import set_seed
from genolearn.deep.tabular import (
    ExpressionMLP,
    fit_classifier,
    gene_attribution,
    marker_auroc,
    predict_logits,
)

torch.set_num_threads(1)


def _cells(seed=0, n=300, genes=20):
    """Three classes, each marked by a high gene (0, 1, 2); class 2 is rare."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    X = rng.normal(size=(n, genes)).astype(np.float32)
    X[np.arange(n), y] += 3.0
    return X, y


def test_mlp_learns_and_attribution_finds_the_marker_genes():
    X, y = _cells()
    set_seed(0)
    model = ExpressionMLP(20, 3, (16,), dropout=0.1)
    weights = len(y) / (3 * np.bincount(y))
    history = fit_classifier(model, X[:200], y[:200], X_val=X[200:], y_val=y[200:], seed=0,
                             class_weight=weights, epochs=60, lr=1e-2, device="cpu")  # fmt: skip
    assert history.restored_epoch is not None
    pred = predict_logits(model, X[200:]).argmax(axis=1)
    assert np.mean(pred == y[200:]) > 0.9
    scores = np.stack([gene_attribution(model, X[y == c], c).mean(axis=0) for c in range(3)])
    auroc = marker_auroc(scores, [f"g{i}" for i in range(20)], ["a", "b", "c"],
                         {"a": ["g0"], "b": ["g1"], "c": ["g2"]})  # fmt: skip
    assert auroc == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_logistic_regression_is_one_linear_layer():
    model = ExpressionMLP(20, 3, ())
    assert [type(m).__name__ for m in model.net] == ["Linear"]


def test_bad_shapes_are_refused_by_name():
    model = ExpressionMLP(20, 3)
    with pytest.raises(ValueError, match=r"must be \(N, 20\)"):
        model(torch.zeros(2, 21))
    with pytest.raises(ValueError, match="train y"):
        fit_classifier(model, np.zeros((4, 20)), np.zeros(3, int), seed=0, device="cpu")
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        fit_classifier(model, np.zeros((4, 20)), np.zeros(4, int), X_val=np.zeros((2, 20)),
                       seed=0, device="cpu")  # fmt: skip
    with pytest.raises(ValueError, match="scores"):
        marker_auroc(np.zeros((2, 5)), list("abcde"), ["x"], {"x": ["a"]})
