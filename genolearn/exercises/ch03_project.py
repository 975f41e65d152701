"""Chapter 3's project: train a promoter network with your own backward pass.

40-bp windows, one-hot and flattened to ``(N, 160)`` (``(N, 4, 40)`` reshaped, base-major as
:func:`genolearn.nn.one_hot_flatten`). A window is a promoter when a −10 box ``TATAAT`` with at
most one mismatch starts at positions 10–14; among the other windows, some carry the box at a
wrong position (decoys) and some a box with two mismatches at the right one (near misses). The
learner writes ``train_promoter_network(X, y, seed)``, trains an MLP with their own backward
pass and returns it as plain data (:mod:`genolearn.exercises.networks`); the measurement runs
it on held-out windows. Goal: AUROC >= 0.93. Calls into autograd, layers, optimizers or torch
are flagged for the instructor's review (the project asks for the backward pass by hand).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn.dna.datasets import plant_motif, random_sequences
from genolearn.dna.onehot import one_hot_encode
from genolearn.exercises.ch01_project import _mutate
from genolearn.exercises.networks import network_logits
from genolearn.exercises.project import Measure, Project, ProjectCase
from genolearn.exercises.registry import register
from genolearn.nn.backprop import dense_backward, softmax_cross_entropy_backward, tanh_backward
from genolearn.nn.metrics import roc_auc

__all__ = ["promoter_window_task", "reference_train_promoter_network"]

BOX, LENGTH, FIRST, LAST = "TATAAT", 40, 10, 14
GOAL, N_TRAIN, N_TEST = 0.93, 800, 400


def promoter_window_task(n: int, seed: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, 160) float64, y (n,) int64)``: half promoters (box within one mismatch at
    10–14); of the rest, 35 % decoys (box elsewhere) and 10 % near misses (two mismatches)."""
    y = seed.integers(0, 2, size=n)
    wrong = [p for p in range(LENGTH - len(BOX) + 1) if p < FIRST - 3 or p > LAST + 3]
    seqs = []
    for s, label in zip(random_sequences(n, LENGTH, seed=seed), y, strict=True):
        r = seed.random()
        if label:
            box, where = (
                _mutate(BOX, int(seed.integers(0, 2)), seed),
                seed.integers(FIRST, LAST + 1),
            )
        elif r < 0.35:
            box, where = _mutate(BOX, int(seed.integers(0, 2)), seed), seed.choice(wrong)
        elif r < 0.45:
            box, where = _mutate(BOX, 2, seed), seed.integers(FIRST, LAST + 1)
        else:
            box = None
        seqs.append(s if box is None else plant_motif(s, box, int(where)))
    X = one_hot_encode(seqs).astype(np.float64).reshape(n, -1)  # (N, 4, L) -> (N, 4 L)
    return X, y.astype(np.int64)


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    X_train, y_train = promoter_window_task(N_TRAIN, rng)
    X_test, y_test = promoter_window_task(N_TEST, rng)
    seed = int(rng.integers(0, 2**31))
    label = f"{N_TRAIN} training windows of {LENGTH} bp (one-hot, flattened); {N_TEST} held out"
    return [
        ProjectCase(
            args=(X_train, y_train), kwargs={"seed": seed}, answer=(X_test, y_test), label=label
        )
    ]


def _measure(network: Any, answer: tuple[np.ndarray, np.ndarray]) -> Measure:
    X_test, y_test = answer
    scores, _ = network_logits(network, X_test)
    auroc = float(roc_auc(y_test, scores))
    return Measure(auroc, f"held-out AUROC {auroc:.3f}", auroc >= GOAL)


def reference_train_promoter_network(X: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """An example solution: look only at positions 8–21 (where the box can be), a 56-16-2 tanh
    network trained by minibatch gradient descent (lr 0.3, weight decay 1e-3, 2,000 steps of
    64) with the backward pass written out. X: (N, 160), y: (N,) -> network."""
    rng = np.random.default_rng(seed)
    keep = np.zeros((4, LENGTH), dtype=bool)
    keep[:, FIRST - 2 : LAST + len(BOX) + 2] = True
    keep = keep.ravel()  # (160,): the input columns used
    Xk = X[:, keep]  # (N, 56)
    W1 = rng.normal(scale=1 / np.sqrt(Xk.shape[1]), size=(Xk.shape[1], 16))
    b1, W2, b2 = np.zeros(16), rng.normal(scale=0.25, size=(16, 2)), np.zeros(2)
    lr, decay = 0.3, 1e-3
    for _ in range(2000):
        rows = rng.choice(len(Xk), size=64, replace=False)
        xb, yb = Xk[rows], y[rows]
        Z1 = xb @ W1 + b1  # (B, 16)
        A1 = np.tanh(Z1)
        Z2 = A1 @ W2 + b2  # (B, 2) logits
        G = softmax_cross_entropy_backward(Z2, yb)
        dA1, dW2, db2 = dense_backward(A1, W2, G)
        _, dW1, db1 = dense_backward(xb, W1, tanh_backward(Z1, dA1))
        W1 -= lr * (dW1 + decay * W1)
        W2 -= lr * (dW2 + decay * W2)
        b1 -= lr * db1
        b2 -= lr * db2
    W1_full = np.zeros((X.shape[1], 16))
    W1_full[keep] = W1  # the unused input columns get weight 0
    return {"activation": "tanh", "params": [W1_full, b1, W2, b2]}


PROJECT = register(
    Project(
        id="ch3.project",
        chapter=3,
        title="A promoter network trained with your own backward pass",
        function="train_promoter_network",
        points=3.0,
        reference=reference_train_promoter_network,
        make_cases=_make_cases,
        goal=f"held-out AUROC >= {GOAL}",
        measure=_measure,
        forbid=(
            "genolearn.nn.autograd",
            "genolearn.nn.layers",
            "genolearn.nn.optim",
            "genolearn.nn.train",
            "torch",
        ),
        depends=(
            "ch3.sigmoid_backward",
            "ch3.relu_backward",
            "ch3.dense_backward",
            "ch3.softmax_cross_entropy_backward",
        ),
        written_points=3.0,
        written=(
            "Show the gradient check of your backward pass on your network. Which changes "
            "moved the public AUROC most (architecture, learning rate, steps, inputs), and "
            "why? Which windows does your network get wrong — decoys, near misses or real "
            "promoters — and what does that say about what it learned?"
        ),
        time_limit_s=10.0,
    )
)
