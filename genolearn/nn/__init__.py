"""Neural networks from scratch in numpy (Chapters 1–4). No torch here."""

from genolearn.nn.activations import (
    ACTIVATIONS,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    step,
    step_derivative,
    tanh,
    tanh_derivative,
)

__all__ = [
    "ACTIVATIONS",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "step",
    "step_derivative",
    "tanh",
    "tanh_derivative",
]
