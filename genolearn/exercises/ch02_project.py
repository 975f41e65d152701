"""Chapter 2's project: the smallest network for the expression XOR.

Samples of 20 genes whose class is 1 when exactly one of two marker genes is highly expressed
(:func:`genolearn.dna.expression_dataset`, ``rule="xor"``) — but the markers sit at different,
unnamed columns in every split. The learner writes ``fit_xor_network(X, y, seed)`` returning a
network as plain data (:mod:`genolearn.exercises.networks`); the measurement runs it on
held-out samples the function never sees and counts its non-zero parameters. Goal: accuracy
>= 0.95 with at most 25 non-zero parameters (the chapter's 16-unit MLP has 353).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn.dna.expression import expression_dataset
from genolearn.exercises.networks import network_logits
from genolearn.exercises.project import Measure, Project, ProjectCase
from genolearn.exercises.registry import register

__all__ = ["expression_xor_task", "reference_fit_xor_network"]

GOAL, BUDGET = 0.95, 25
N_TRAIN, N_TEST, N_GENES, NOISE = 300, 300, 20, 0.35


def expression_xor_task(
    seed: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train (300, 20), y_train (300,), X_test (300, 20), y_test (300,))``: the XOR of two
    marker genes (noise 0.35), with the genes' columns shuffled by ``seed``."""
    data = expression_dataset(N_TRAIN + N_TEST, N_GENES, rule="xor", noise=NOISE, seed=seed)
    X = data.X[:, seed.permutation(N_GENES)]  # (N, G): the markers land anywhere
    return X[:N_TRAIN], data.y[:N_TRAIN], X[N_TRAIN:], data.y[N_TRAIN:]


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    X_train, y_train, X_test, y_test = expression_xor_task(rng)
    seed = int(rng.integers(0, 2**31))
    label = f"{N_TRAIN} training samples of {N_GENES} genes; {N_TEST} held out"
    return [
        ProjectCase(
            args=(X_train, y_train), kwargs={"seed": seed}, answer=(X_test, y_test), label=label
        )
    ]


def _measure(network: Any, answer: tuple[np.ndarray, np.ndarray]) -> Measure:
    X_test, y_test = answer
    scores, nonzero = network_logits(network, X_test)
    accuracy = float(((scores > 0) == y_test).mean())
    text = f"held-out accuracy {accuracy:.3f} with {nonzero} non-zero parameters"
    return Measure(accuracy, text, accuracy >= GOAL and nonzero <= BUDGET)


def reference_fit_xor_network(X: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """An example solution: keep the two most variable genes (the markers are bimodal), train
    a 2-4-1 tanh network on them (best of three starts; with 4 hidden units XOR training does
    not get stuck, Chapter 2), and fold the standardisation into the first layer. 17 non-zero
    parameters. X: (N, G), y: (N,) -> network."""
    from genolearn.nn import Adam, BCEWithLogitsLoss, Linear, Sequential, Tanh

    genes = np.argsort(-X.var(axis=0), kind="stable")[:2]
    mean, std = X[:, genes].mean(axis=0), X[:, genes].std(axis=0)
    Z = (X[:, genes] - mean) / std  # (N, 2)
    target = y[:, None].astype(np.float64)  # (N, 1)
    best = None
    for start in range(3):
        model = Sequential(
            Linear(2, 4, seed=seed + start, dtype=np.float64),
            Tanh(),
            Linear(4, 1, seed=seed + 100 + start, dtype=np.float64),
        )
        optimizer, loss_fn = Adam(model.parameters(), lr=0.05), BCEWithLogitsLoss()
        for _ in range(300):
            loss = loss_fn(model(Z), target)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()
        if best is None or loss < best[0]:
            best = (loss, model)
    model = best[1]
    W1 = np.zeros((X.shape[1], 4))  # (G, 4): only the two marker rows are non-zero
    W1[genes] = model[0].weight.data.T / std[:, None]  # (x - mean) / std @ W = x @ (W / std) - ...
    b1 = model[0].bias.data - (mean / std) @ model[0].weight.data.T
    return {"activation": "tanh", "params": [W1, b1, model[2].weight.data.T, model[2].bias.data]}


PROJECT = register(
    Project(
        id="ch2.project",
        chapter=2,
        title="The smallest network for the expression XOR",
        function="fit_xor_network",
        points=3.0,
        reference=reference_fit_xor_network,
        make_cases=_make_cases,
        goal=f"held-out accuracy >= {GOAL} with at most {BUDGET} non-zero parameters",
        measure=_measure,
        written_points=3.0,
        written=(
            "How did your function find the marker genes, and why does testing one gene at a "
            "time not work for an XOR? How did accuracy change as you removed parameters — "
            "where did it break? Which genes would you measure in a cheap follow-up assay?"
        ),
        time_limit_s=10.0,
    )
)
