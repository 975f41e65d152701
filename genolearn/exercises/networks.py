"""A network as plain data, so that a project can send one out of the sandbox and be scored.

Chapters 2 and 3's projects return a trained multilayer perceptron, not predictions: the
grader runs it on held-out inputs the learner's function never receives. The format is::

    {"activation": "relu" | "tanh" | "sigmoid", "params": [W1, b1, W2, b2, ..., Wk, bk]}

with ``W_i`` of shape ``(D_i, H_i)`` (Chapter 2's layout, ``X @ W + b``) and the activation
after every layer but the last. The last layer has one output (a logit) or two (class 0 and
class 1 logits). :func:`as_network` converts a ``genolearn.nn.Sequential`` of ``Linear`` layers
and one kind of activation; :func:`network_logits` runs a network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from genolearn._validation import check_array, describe

__all__ = ["ACTIVATIONS", "as_network", "network_logits"]

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # = 1 / (1 + e^-z), never overflows
}


def network_logits(network: Any, X: np.ndarray) -> tuple[np.ndarray, int]:
    """``(scores, non-zero parameters)`` of ``network`` on ``X`` ``(N, D)``: ``scores`` has
    shape ``(N,)``, the output logit (or ``logit_1 - logit_0`` for two outputs).

    Raises:
        TypeError, ValueError: the network is malformed (the message says what and where).
    """
    if type(network) is not dict or set(network) != {"activation", "params"}:
        keys = f" with keys {sorted(map(str, network))}" if type(network) is dict else ""
        raise TypeError(
            'the network must be a dict {"activation": ..., "params": [W1, b1, ...]}, but '
            f"got {describe(network)}{keys}"
        )
    act = network["activation"]
    if act not in ACTIVATIONS:
        raise ValueError(f"activation is {describe(act)} but must be one of {sorted(ACTIVATIONS)}")
    params = network["params"]
    if type(params) not in (list, tuple) or len(params) < 2 or len(params) % 2:
        raise ValueError("params must be a list [W1, b1, W2, b2, ...] of an even length >= 2")
    h = np.asarray(X, dtype=np.float64)
    nonzero = 0
    for i in range(0, len(params), 2):
        layer = i // 2 + 1
        W = check_array(params[i], f"W{layer}", shape=(h.shape[1], None), finite=True)
        b = check_array(params[i + 1], f"b{layer}", shape=(W.shape[1],), finite=True)
        nonzero += int(np.count_nonzero(W)) + int(np.count_nonzero(b))
        h = h @ W.astype(np.float64) + b.astype(np.float64)  # (N, D_i) @ (D_i, H_i) -> (N, H_i)
        if i + 2 < len(params):
            h = ACTIVATIONS[act](h)
    if h.shape[1] not in (1, 2):
        raise ValueError(f"the last layer has {h.shape[1]} outputs but must have 1 or 2")
    scores = h[:, 0] if h.shape[1] == 1 else h[:, 1] - h[:, 0]  # (N,)
    return scores, nonzero


def as_network(model: Any) -> dict[str, Any]:
    """The plain-data network of a ``genolearn.nn.Sequential`` of ``Linear`` layers with one
    kind of activation (``ReLU``, ``Tanh`` or ``Sigmoid``) between them; ``Dropout`` is
    dropped (it does nothing at prediction time). ``W_i = linear.weight.T``, shape ``(D, H)``.
    """
    from genolearn.nn.layers import Dropout, Linear, ReLU, Sequential, Sigmoid, Tanh

    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a genolearn.nn.Sequential, but got {describe(model)}")
    names = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}
    params: list[np.ndarray] = []
    kinds = set()
    for i, module in enumerate(model):
        if isinstance(module, Linear):
            bias = module.bias.data if module.bias is not None else np.zeros(module.weight.shape[0])
            params += [module.weight.data.T.copy(), bias.copy()]  # (D, H), (H,)
        elif type(module) in names:
            kinds.add(names[type(module)])
        elif not isinstance(module, Dropout):
            raise TypeError(
                f"model[{i}] is a {type(module).__name__}; expected Linear or an activation"
            )
    if len(kinds) > 1:
        raise ValueError(f"the model mixes activations {sorted(kinds)}; use one kind")
    return {"activation": kinds.pop() if kinds else "relu", "params": params}
