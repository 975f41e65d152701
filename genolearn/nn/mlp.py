"""Layers as plain functions of arrays (Chapter 2): a two-layer MLP, the input layer for
one-hot DNA, parameter counting, and a hand-wired XOR network. The dense layer itself,
``x @ W + b``, is :func:`genolearn.nn.backprop.dense_forward`, next to its backward pass.

These are the functional twins of :mod:`genolearn.nn.layers`. One difference is deliberate and
is taught in the chapter: here a weight matrix ``W`` is stored ``(D, H)`` (inputs x outputs), so
a layer is ``x @ W + b``; :class:`~genolearn.nn.layers.Linear` stores its weight ``(H, D)``, as
``torch.nn.Linear`` does, and computes ``x @ W.T + b``.

Shapes use N (batch), D (input features), H (hidden units), C (outputs), A = 4 (alphabet) and
L (sequence length).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from genolearn._validation import check_array, check_int, describe
from genolearn.nn.activations import relu, step

__all__ = [
    "mlp_forward",
    "count_mlp_parameters",
    "one_hot_flatten",
    "xor_network_weights",
    "xor_network",
]


def _check_weight(W: Any, name: str, sizes: dict[str, int], out: str) -> np.ndarray:
    """``W`` of shape ``(D, out)``; adds a hint when it looks stored ``(out, D)`` like torch."""
    d = sizes["D"]
    try:
        return check_array(W, name, shape=("D", out), sizes=sizes)
    except ValueError as err:
        arr = np.asarray(W)
        if arr.ndim == 2 and arr.shape[1] == d and arr.shape[0] != d:
            raise ValueError(
                f"{err}; {name} looks stored ({out}, D) like Linear.weight: pass {name}.T"
            ) from None
        raise


def mlp_forward(x: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> np.ndarray:
    """A multilayer perceptron with one ReLU hidden layer and a linear output layer.

    ``relu(x @ W1 + b1) @ W2 + b2``. The output has no activation: these are scores (logits
    for a classifier, or the predicted value for regression).

    Shape:
        x: ``(N, D)``; W1: ``(D, H)``; b1: ``(H,)``; W2: ``(H, C)``; b2: ``(C,)``;
        output ``(N, C)``.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "D"), sizes=sizes)
    W1 = _check_weight(W1, "W1", sizes, "H")
    b1 = check_array(b1, "b1", shape=("H",), sizes=sizes)
    W2 = check_array(W2, "W2", shape=("H", "C"), sizes=sizes)
    b2 = check_array(b2, "b2", shape=("C",), sizes=sizes)
    h = relu(x @ W1 + b1)  # (N, D) @ (D, H) -> (N, H): the hidden layer's activations
    return h @ W2 + b2  # (N, H) @ (H, C) -> (N, C): no activation on the output


def count_mlp_parameters(layer_sizes: Sequence[int]) -> int:
    """Number of weights and biases in a fully connected network with these layer widths.

    ``layer_sizes = [D, H_1, ..., H_k]`` lists the input width first, e.g. ``[800, 64, 1]`` for
    one-hot DNA of length 200 (800 features), 64 hidden units and one output. Each layer from
    width ``d_in`` to ``d_out`` has ``d_in * d_out`` weights and ``d_out`` biases (one per
    output unit; the input layer has none).
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, (Sequence, np.ndarray)):
        raise TypeError(f"layer_sizes must be a list of ints, but got {describe(layer_sizes)}")
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes must list at least the input and output widths, e.g. [800, 1], but "
            f"got {list(layer_sizes)}"
        )
    widths = [check_int(s, f"layer_sizes[{i}]", low=1) for i, s in enumerate(layer_sizes)]
    return sum(d_in * d_out + d_out for d_in, d_out in pairwise(widths))


def one_hot_flatten(x: Any) -> np.ndarray:
    """The input layer for one-hot DNA: ``(N, 4, L) -> (N, 4 L)``, channel-major.

    Column ``c * L + l`` holds ``x[n, c, l]``: the L values of channel A first, then C, G, T.
    This is what ``x.reshape(N, -1)`` and ``torch.nn.Flatten()`` give for a channel-first array;
    a model must always see the same order, since each weight belongs to one (base, position).
    """
    x = check_array(x, "x", shape=("N", 4, "L"), dtype_kind="fiub")
    return x.reshape(x.shape[0], -1)  # (N, 4, L) -> (N, 4 L)


def xor_network_weights() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hand-set weights of a 2-2-1 step network that computes XOR of two presence scores.

    Hidden unit 1 is OR (fires when ``x1 + x2 >= 0.5``), hidden unit 2 is AND (fires when
    ``x1 + x2 >= 1.5``); the output fires for "OR and not AND": ``h1 - 2 h2 - 0.5 >= 0``.
    The thresholds sit in the middle of the gaps between the sums 0, 1 and 2, so scores a
    little away from 0 and 1 are still classified right.

    Returns:
        ``(W1, b1, W2, b2)`` with shapes ``(2, 2)``, ``(2,)``, ``(2, 1)``, ``(1,)``, float64,
        in the ``(D, H)`` convention of :func:`dense_forward`.
    """
    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])  # (D, H) = (2, 2): both units sum the two inputs
    b1 = np.array([-0.5, -1.5])  # OR threshold 0.5, AND threshold 1.5
    W2 = np.array([[1.0], [-2.0]])  # (H, 1): OR counts for, AND vetoes
    b2 = np.array([-0.5])
    return W1, b1, W2, b2


def xor_network(x: Any) -> np.ndarray:
    """XOR of two motif-presence scores with the hand-set network of
    :func:`xor_network_weights` and step activations (``step(0) = 1``).

    Shape:
        x: ``(N, 2)``; output ``(N,)`` float64 of 0.0 and 1.0.
    """
    x = check_array(x, "x", shape=("N", 2))
    W1, b1, W2, b2 = xor_network_weights()
    h = step(x @ W1 + b1)  # (N, 2) @ (2, 2) -> (N, 2): [OR, AND]
    return step(h @ W2 + b2)[:, 0].astype(np.float64)  # (N, 2) @ (2, 1) -> (N, 1) -> (N,)
