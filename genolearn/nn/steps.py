"""One training step as a pure function (Chapter 4): optimizer updates, a minibatch schedule
and a complete logistic-regression training loop built from them.

The optimizer classes in :mod:`genolearn.nn.optim` update :class:`~genolearn.nn.layers.Parameter`
objects in place; the functions here take arrays and return new arrays, so each step can be
looked at, plotted and checked on its own. They use the same formulas in the same order of
operations as :class:`~genolearn.nn.optim.SGD` and :class:`~genolearn.nn.optim.Adam` (and so as
``torch.optim``): the same inputs give the same numbers, bit for bit.

Shapes: ``param``, ``grad`` and the optimizer state (``velocity``, ``m``, ``v``) share one shape
``(*)``; N samples, D features, B the batch size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genolearn._validation import as_rng, check_array, check_int, check_number
from genolearn.nn.activations import sigmoid

__all__ = ["sgd_step", "adam_step", "minibatch_indices", "train_logistic_regression"]


def _check_state(param: Any, **arrays: Any) -> tuple[np.ndarray, ...]:
    """``param`` (floating) and arrays of the same shape, e.g. its gradient and state."""
    p = check_array(param, "param", dtype_kind="f")
    out = [p]
    for name, value in arrays.items():
        arr = check_array(value, name, dtype_kind="fiu")
        if arr.shape != p.shape:
            raise ValueError(f"{name} has shape {arr.shape} but must have param's shape {p.shape}")
        out.append(arr)
    return tuple(out)


def sgd_step(
    param: Any,
    grad: Any,
    velocity: Any,
    lr: float,
    momentum: float = 0.0,
    *,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of SGD with momentum, in ``torch.optim.SGD``'s convention.

    ::

        g = grad + weight_decay * param      (L2 penalty, if weight_decay > 0)
        velocity = momentum * velocity + g   (start from velocity = 0)
        param = param - lr * velocity

    With ``momentum = 0`` this is plain gradient descent (and the returned velocity is ``g``).
    The textbook form ``v = momentum v - lr g; param = param + v`` takes the same steps while
    ``lr`` is constant, but its velocity already contains ``lr``.

    Args:
        param, grad, velocity: ``(*)`` arrays of one shape.
    Returns:
        ``(new_param, new_velocity)``, both ``(*)``; the inputs are not modified.
    """
    p, g, vel = _check_state(param, grad=grad, velocity=velocity)
    lr = check_number(lr, "lr", low=0.0)
    momentum = check_number(momentum, "momentum", low=0.0)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    if weight_decay:
        g = p * weight_decay + g  # the order SGD.step uses, so results agree bit for bit
    new_velocity = vel * momentum + g
    return p - new_velocity * lr, new_velocity


def adam_step(
    param: Any,
    grad: Any,
    m: Any,
    v: Any,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    *,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ``t`` (1 for the first step) of Adam, as ``torch.optim.Adam``.

    ::

        m = beta1 m + (1 - beta1) g          running mean of gradients (starts at 0)
        v = beta2 v + (1 - beta2) g^2        running mean of squared gradients (starts at 0)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)       bias correction
        param = param - lr m_hat / (sqrt(v_hat) + eps)

    Why the bias correction matters at step 1: m and v start at 0, so after one step
    ``m = (1 - beta1) g = 0.1 g`` and ``v = (1 - beta2) g^2 = 0.001 g^2``; uncorrected,
    ``m / sqrt(v) = 3.16 sign(g)`` and the first steps would be three times ``lr``. Dividing by
    ``1 - beta^t`` gives ``m_hat = g`` and ``v_hat = g^2`` at t = 1: the step is ``lr`` times
    ``sign(g)``. The correction fades as ``beta^t -> 0``. ``eps`` only keeps the division safe.

    Args:
        param, grad, m, v: ``(*)`` arrays of one shape; ``m`` and ``v`` as returned by the
            previous step (zeros before the first).
        t: the number of this step, counting from 1.
    Returns:
        ``(new_param, new_m, new_v)``, each ``(*)``: the returned moments are the raw running
        means, not the bias-corrected ones. The inputs are not modified.
    """
    p, g, m, v = _check_state(param, grad=grad, m=m, v=v)
    t = check_int(t, "t", low=1)
    lr = check_number(lr, "lr", low=0.0)
    beta1 = check_number(beta1, "beta1", low=0.0, high=1.0, high_inclusive=False)
    beta2 = check_number(beta2, "beta2", low=0.0, high=1.0, high_inclusive=False)
    eps = check_number(eps, "eps", low=0.0)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    if weight_decay:
        g = p * weight_decay + g
    # Same order of operations as Adam.step (and torch): the corrections are folded into a
    # step size and a denominator instead of forming m_hat and v_hat.
    step_size = lr / (1 - beta1**t)
    bias2_sqrt = math.sqrt(1 - beta2**t)
    new_m = m * beta1 + g * (1 - beta1)
    new_v = v * beta2 + (g * g) * (1 - beta2)
    denom = np.sqrt(new_v) / bias2_sqrt + eps  # sqrt(v_hat) + eps
    return p - (new_m / denom) * step_size, new_m, new_v


def minibatch_indices(n: int, batch_size: int, seed: int | np.random.Generator) -> list[np.ndarray]:
    """The sample indices of one epoch's minibatches: a list of int arrays ``(B,)``.

    The order is ``np.random.default_rng(seed).permutation(n)`` cut into consecutive chunks of
    ``batch_size``; the last chunk is smaller when ``batch_size`` does not divide ``n``. Every
    index appears exactly once. Pass an int to replay an order, or the same
    ``numpy.random.Generator`` every epoch to draw a new order each time (``default_rng`` returns
    a Generator unchanged). The same batches as :func:`genolearn.nn.data.minibatches`.
    """
    n = check_int(n, "n", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    order = as_rng(seed).permutation(n)  # (n,)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]


def train_logistic_regression(
    X: Any,
    y: Any,
    lr: float,
    epochs: int,
    batch_size: int,
    seed: int | np.random.Generator,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Logistic regression ``p = sigmoid(X w + b)`` trained with minibatch gradient descent.

    Starts from ``w = 0``, ``b = 0``. ``rng = np.random.default_rng(seed)`` is made once; every
    epoch visits the batches of :func:`minibatch_indices` ``(N, batch_size, rng)`` (a new order
    each epoch) and, per batch, computes the mean binary cross-entropy of the logits
    ``z = X_b w + b`` and takes one step ``w -= lr dL/dw``, ``b -= lr dL/db`` with
    ``dL/dz = (sigmoid(z) - y_b) / B``. This is what :func:`genolearn.nn.fit` does for a
    ``Linear(D, 1)`` model with ``BCEWithLogitsLoss`` and ``SGD(lr)``.

    Args:
        X: ``(N, D)`` features. y: ``(N,)`` labels in {0, 1}.
    Returns:
        ``(w, b, losses)``: weights ``(D,)`` float64, bias (float) and ``losses: (epochs,)``,
        each epoch's training loss = the batch losses (computed before each step) averaged
        over the epoch's samples, as :class:`~genolearn.nn.train.History` ``"train_loss"``.
    """
    sizes: dict[str, int] = {}
    X = check_array(X, "X", shape=("N", "D"), dtype_kind="fiu", finite=True, sizes=sizes)
    y = check_array(y, "y", shape=("N",), dtype_kind="fiub", sizes=sizes)
    lr = check_number(lr, "lr", low=0.0)
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    n, d = X.shape
    if n == 0:
        raise ValueError("X has no samples (N = 0); training needs at least one")
    rng = as_rng(seed)
    y = y.astype(np.float64)
    w, b = np.zeros(d), 0.0
    losses = np.empty(epochs)
    for epoch in range(epochs):
        total = 0.0
        for idx in minibatch_indices(n, batch_size, rng):
            xb, yb = X[idx], y[idx]  # (B, D), (B,)
            z = xb @ w + b  # (B, D) @ (D,) -> (B,)
            # log(1 + e^z) - z y, written so that exp only sees -|z| (see BCEWithLogitsLoss)
            loss = np.mean(np.maximum(z, 0) - z * yb + np.log1p(np.exp(-np.abs(z))))
            dz = (sigmoid(z) - yb) / len(idx)  # (B,): dL/dz of the batch mean
            w = w - lr * (xb.T @ dz)  # (D, B) @ (B,) -> (D,)
            b = b - lr * float(dz.sum())
            total += float(loss) * len(idx)
        losses[epoch] = total / n
    return w, float(b), losses
