"""Activation functions and their derivatives (Chapter 1), in numpy.

Every function is elementwise: ``z`` may have any shape ``(*)`` and the result has the same
shape ``(*)`` and the same floating dtype (integers are promoted to float64).
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array

__all__ = [
    "step",
    "step_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "relu",
    "relu_derivative",
    "ACTIVATIONS",
]


def _as_float(z: np.ndarray | float, name: str = "z") -> np.ndarray:
    arr = check_array(z, name, dtype_kind="fiub")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def step(z: np.ndarray) -> np.ndarray:
    """Heaviside step: 1 where ``z >= 0`` else 0. ``z: (*) -> (*)``."""
    z = _as_float(z)
    return (z >= 0).astype(z.dtype)


def step_derivative(z: np.ndarray) -> np.ndarray:
    """Derivative of the step: 0 everywhere (undefined at 0; we use 0). ``z: (*) -> (*)``.

    This is why the perceptron cannot be trained by gradient descent.
    """
    z = _as_float(z)
    return np.zeros_like(z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, stable for any finite ``z``. ``z: (*) -> (*)``.

    The textbook formula overflows ``exp(-z)`` for ``z < -709`` (float64) or ``z < -88``
    (float32), and the form ``exp(z) / (1 + exp(z))`` gives ``inf / inf = nan`` for large ``z``.
    We only ever exponentiate a non-positive number: for ``z >= 0`` use ``1 / (1 + exp(-z))``;
    for ``z < 0`` use ``exp(z) / (1 + exp(z))``. Both are the same function, and ``exp`` of a
    number ``<= 0`` lies in ``(0, 1]``, so nothing overflows.
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """``d sigmoid / dz = s (1 - s)`` with ``s = sigmoid(z)``. ``z: (*) -> (*)``.

    Note the argument is ``z``, the pre-activation — a classic mistake computes ``z (1 - z)``.
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, in ``(-1, 1)``. ``z: (*) -> (*)``."""
    return np.tanh(_as_float(z))


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """``d tanh / dz = 1 - tanh(z)^2``. ``z: (*) -> (*)``."""
    t = np.tanh(_as_float(z))
    return 1.0 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, z)``. ``z: (*) -> (*)``."""
    z = _as_float(z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """``1`` where ``z > 0`` else ``0``; we take 0 at ``z = 0``, as PyTorch does.

    ``z: (*) -> (*)``.
    """
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


#: name -> (function, derivative), for plotting and for the layer modules of Chapter 2.
ACTIVATIONS = {
    "step": (step, step_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}
