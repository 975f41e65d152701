"""Backpropagation one node at a time (Chapter 3): local backward functions and gradient checks.

Every ``*_backward`` function receives what its node saw in the forward pass and
``grad_out = dL/d output`` (the *upstream* gradient, the error signal arriving from the layers
above) and returns ``dL/d input`` — upstream gradient times the node's *local* derivative, which
is the chain rule. Chaining them from the loss back to the input is the backward pass.

The dense layer here is written in the maths layout ``y = x @ W + b`` with ``W: (D, H)``.
:class:`genolearn.nn.Linear` stores torch's layout ``weight: (H, D)``, so ``W = weight.T``;
the tests check that both give the same gradients.

The numerical side: :func:`numerical_gradient` (central differences of any scalar function),
:func:`numerical_gradient_logistic` (the same for one fixed model, with plain-data arguments)
and :func:`relative_error` / :func:`gradient_check`, which compare an analytic gradient with a
numerical one.

Shapes: N batch, D input features, H output features, C classes; ``(*)`` is any shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from genolearn._validation import check_array, check_number, describe
from genolearn.nn.activations import sigmoid
from genolearn.nn.losses import cross_entropy_grad

__all__ = [
    "sigmoid_backward",
    "tanh_backward",
    "relu_backward",
    "dense_forward",
    "dense_backward",
    "softmax_cross_entropy_backward",
    "logistic_loss",
    "logistic_loss_grad",
    "numerical_gradient",
    "numerical_gradient_logistic",
    "relative_error",
    "gradient_check",
]

#: Floor of the denominator in :func:`gradient_check`, so that two exact zeros give 0, not 0/0.
GRADIENT_CHECK_FLOOR = 1e-12


def _float(value: Any, name: str) -> np.ndarray:
    arr = check_array(value, name, dtype_kind="fiu")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def _z_and_grad(z: Any, grad_out: Any) -> tuple[np.ndarray, np.ndarray]:
    z = _float(z, "z")
    g = _float(grad_out, "grad_out")
    if g.shape != z.shape:
        raise ValueError(
            f"grad_out has shape {g.shape} but must be {z.shape}, the shape of z "
            f"(dL/d output always has the output's shape)"
        )
    return z, g


# ----------------------------------------------------------------------- activation nodes
def sigmoid_backward(z: Any, grad_out: Any) -> np.ndarray:
    """Backward of ``a = sigmoid(z)``: ``dL/dz = grad_out * s (1 - s)``, ``s = sigmoid(z)``.

    ``z, grad_out: (*) -> (*)``. The local derivative is never more than 1/4, which is why a
    stack of sigmoids shrinks the error signal (vanishing gradients).
    """
    z, g = _z_and_grad(z, grad_out)
    s = sigmoid(z)  # the overflow-free sigmoid of Chapter 1
    return g * (s * (1 - s))


def tanh_backward(z: Any, grad_out: Any) -> np.ndarray:
    """Backward of ``a = tanh(z)``: ``dL/dz = grad_out * (1 - tanh(z)^2)``. ``(*) -> (*)``."""
    z, g = _z_and_grad(z, grad_out)
    t = np.tanh(z)
    return g * (1 - t * t)


def relu_backward(z: Any, grad_out: Any) -> np.ndarray:
    """Backward of ``a = max(0, z)``: the gradient passes where ``z > 0`` and stops elsewhere.

    ``z, grad_out: (*) -> (*)``. At exactly ``z = 0`` the derivative is taken as 0, as in torch.
    """
    z, g = _z_and_grad(z, grad_out)
    return g * (z > 0)  # boolean mask: keeps g's dtype


# ----------------------------------------------------------------------- dense node
def _dense_inputs(x: Any, W: Any) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "D"), dtype_kind="fiu", sizes=sizes)
    W = check_array(W, "W", shape=("D", "H"), dtype_kind="fiu", sizes=sizes)
    return x, W, sizes


def dense_forward(x: Any, W: Any, b: Any) -> np.ndarray:
    """``y = x @ W + b``. ``x: (N, D)``, ``W: (D, H)``, ``b: (H,)`` -> ``y: (N, H)``."""
    x, W, sizes = _dense_inputs(x, W)
    b = check_array(b, "b", shape=("H",), dtype_kind="fiu", sizes=sizes)
    return x @ W + b  # (N, D) @ (D, H) -> (N, H), + (H,) broadcast over the rows


def dense_backward(x: Any, W: Any, grad_out: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``y = x @ W + b``: returns ``(dL/dx, dL/dW, dL/db)``.

    Shapes: ``x: (N, D)``, ``W: (D, H)``, ``grad_out = dL/dy: (N, H)`` ->
    ``dx: (N, D)``, ``dW: (D, H)``, ``db: (H,)``.

    ``dx = grad_out @ W.T`` (each input receives the error of every output it feeds, weighted
    by the connecting weight); ``dW = x.T @ grad_out`` (a weight's gradient is its input times
    its output's error, summed over the batch); ``db = grad_out.sum(axis=0)`` (the bias is used
    by every example, so its gradients add up). The bias value itself is not needed.
    """
    x, W, sizes = _dense_inputs(x, W)
    g = check_array(
        grad_out, "grad_out", shape=(sizes["N"], sizes["H"]), dtype_kind="fiu", sizes=sizes
    )
    dx = g @ W.T  # (N, H) @ (H, D) -> (N, D)
    dW = x.T @ g  # (D, N) @ (N, H) -> (D, H)
    db = g.sum(axis=0)  # (N, H) -> (H,)
    return dx, dW, db


# ----------------------------------------------------------------------- loss nodes
def softmax_cross_entropy_backward(logits: Any, targets: Any) -> np.ndarray:
    """Gradient of the MEAN cross-entropy over the batch with respect to the logits.

    ``logits: (N, C)`` float, ``targets: (N,)`` int class indices -> ``(N, C)``:
    ``(softmax(logits) - onehot(targets)) / N``. The softmax and the log cancel into this
    simple form, which is why the two are always fused.
    """
    return cross_entropy_grad(logits, targets, reduction="mean")


def _logistic_inputs(w: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes: dict[str, int] = {}
    X = _float(check_array(X, "X", shape=("N", "D"), sizes=sizes), "X")
    w = _float(check_array(w, "w", shape=("D",), sizes=sizes), "w")
    y = check_array(y, "y", shape=("N",), dtype_kind="fiub", sizes=sizes).astype(np.float64)
    return w, X, y


def logistic_loss(w: Any, X: Any, y: Any) -> float:
    """Mean binary cross-entropy of a logistic model ``p = sigmoid(X @ w)`` (no bias).

    ``L(w) = mean(log(1 + exp(z)) - y z)`` with ``z = X @ w``; ``w: (D,)``, ``X: (N, D)``,
    ``y: (N,)`` in {0, 1}. ``np.logaddexp(0, z) = log(1 + e^z)`` without overflow.
    """
    w, X, y = _logistic_inputs(w, X, y)
    z = X @ w  # (N, D) @ (D,) -> (N,)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_loss_grad(w: Any, X: Any, y: Any) -> np.ndarray:
    """Analytic gradient of :func:`logistic_loss`: ``X.T @ (sigmoid(X @ w) - y) / N``. ``(D,)``."""
    w, X, y = _logistic_inputs(w, X, y)
    return X.T @ (sigmoid(X @ w) - y) / len(y)  # (D, N) @ (N,) -> (D,)


# ----------------------------------------------------------------------- numerical gradients
def numerical_gradient(f: Callable[[np.ndarray], float], x: Any, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``. ``x: (*) -> (*)``.

    Entry ``i`` is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``: error ``O(eps^2)`` from the
    curvature plus about ``machine epsilon * |f| / eps`` from rounding, so use float64 and an
    ``eps`` near ``1e-6`` to ``1e-5``. Costs ``2 x.size`` calls of ``f``; ``x`` is not modified.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array, but got {describe(f)}")
    x = np.array(_float(x, "x"), dtype=np.float64)  # a float64 copy we may perturb
    eps = check_number(eps, "eps", low=0.0, low_inclusive=False)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = float(f(x))
        x[idx] = old - eps
        f_minus = float(f(x))
        x[idx] = old  # restore exactly before moving to the next coordinate
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def numerical_gradient_logistic(w: Any, X: Any, y: Any, eps: float) -> np.ndarray:
    """Central-difference gradient of :func:`logistic_loss` with respect to ``w``. ``(D,)``.

    ``w: (D,)``, ``X: (N, D)``, ``y: (N,)``; ``eps > 0`` the step. Plain data in, plain data out
    (the exercise version of :func:`numerical_gradient`).
    """
    w, X, y = _logistic_inputs(w, X, y)
    return numerical_gradient(lambda v: logistic_loss(v, X, y), w, eps)


def relative_error(analytic: Any, numeric: Any) -> np.ndarray:
    """Elementwise relative error between two gradients: ``(*), (*) -> (*)``.

    ``|a - n| / max(|a| + |n|, 1e-12)``: 0 when they agree, 1 when they have opposite signs.
    Relative, so it means the same for a gradient of size 1e-4 and one of size 1e4; the floor
    only matters where both are (nearly) zero, and makes two exact zeros count as agreeing
    (0 / 0 would be nan).
    """
    a = _float(analytic, "analytic")
    n = _float(numeric, "numeric")
    if a.shape != n.shape:
        raise ValueError(
            f"numeric has shape {n.shape} but must be {a.shape}, the shape of analytic"
        )
    dtype = np.result_type(a.dtype, n.dtype)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), dtype.type(GRADIENT_CHECK_FLOOR))


def gradient_check(analytic: Any, numeric: Any) -> float:
    """The largest :func:`relative_error` between two gradients of the same shape ``(*)``.

    One bad entry is enough to reveal a bug, so the maximum, not the mean. In float64 with
    central differences, below about ``1e-7`` means a correct backward (up to ``1e-5`` when the
    worst entries are gradients much smaller than the rest, where the numerical gradient's
    rounding noise is relatively large); ``1e-2`` or more means a bug.
    """
    err = relative_error(analytic, numeric)
    return float(err.max()) if err.size else 0.0
