"""A single artificial neuron and the perceptron learning rule (Chapter 1), in numpy."""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array, check_int, check_number
from genolearn.nn.activations import sigmoid, step

__all__ = [
    "neuron_forward",
    "perceptron_predict",
    "perceptron_update",
    "train_perceptron",
]


def neuron_forward(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """A sigmoid neuron on a batch: ``sigmoid(x @ w + b)``.

    Args:
        x: ``(N, D)`` inputs, one row per example (e.g. per DNA sequence).
        w: ``(D,)`` weights, one per input feature.
        b: the bias, a number.

    Returns:
        ``(N,)`` outputs in ``(0, 1)``.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "D"), sizes=sizes)
    w = check_array(w, "w", shape=("D",), sizes=sizes)
    b = check_number(b, "b")
    z = x @ w + b  # (N, D) @ (D,) -> (N,)
    return sigmoid(z)


def perceptron_predict(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Perceptron output ``step(x @ w + b)`` in {0, 1} (``step(0) = 1``).

    ``x: (N, D)``, ``w: (D,)`` -> ``(N,)`` of the float dtype of ``x @ w``.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "D"), sizes=sizes)
    w = check_array(w, "w", shape=("D",), sizes=sizes)
    b = check_number(b, "b")
    return step(x @ w + b)  # (N,)


def perceptron_update(
    w: np.ndarray, b: float, x: np.ndarray, y: int, lr: float
) -> tuple[np.ndarray, float]:
    """One step of Rosenblatt's rule on one example; returns new ``(w, b)``, inputs untouched.

    ``y_hat = step(w . x + b)``; ``w <- w + lr (y - y_hat) x``; ``b <- b + lr (y - y_hat)``.
    Nothing changes when the example is already classified correctly.

    Args:
        w: ``(D,)`` weights. b: bias. x: ``(D,)`` one example. y: its label, 0 or 1.
        lr: learning rate > 0.

    Returns:
        ``(w_new (D,), b_new float)``.
    """
    sizes: dict[str, int] = {}
    w = check_array(w, "w", shape=("D",), dtype_kind="f", sizes=sizes)
    x = check_array(x, "x", shape=("D",), sizes=sizes)
    b = check_number(b, "b")
    y = check_int(y, "y", low=0, high=1)
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    y_hat = 1 if float(w @ x) + b >= 0 else 0
    error = y - y_hat  # -1, 0 or +1
    return w + lr * error * x, b + lr * error


def train_perceptron(
    X: np.ndarray, y: np.ndarray, epochs: int, lr: float = 1.0
) -> tuple[np.ndarray, float]:
    """Train a perceptron from zero weights, visiting the examples in order, ``epochs`` times.

    Args:
        X: ``(N, D)`` examples. y: ``(N,)`` labels in {0, 1}. epochs: passes over the data.
        lr: learning rate.

    Returns:
        ``(w (D,) float64, b float)``. If the data are linearly separable the perceptron
        convergence theorem guarantees a separating line after finitely many updates; if not
        (XOR), the weights cycle forever.
    """
    sizes: dict[str, int] = {}
    X = check_array(X, "X", shape=("N", "D"), sizes=sizes)
    y = check_array(y, "y", shape=("N",), dtype_kind="iub", sizes=sizes)
    epochs = check_int(epochs, "epochs", low=0)
    if np.any((y != 0) & (y != 1)):
        raise ValueError(f"y must contain only 0 and 1, but got values {np.unique(y)[:5]}")
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            w, b = perceptron_update(w, b, xi, int(yi), lr)
    return w, b
