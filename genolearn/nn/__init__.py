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
from genolearn.nn.neuron import (
    neuron_forward,
    perceptron_predict,
    perceptron_update,
    train_perceptron,
)

__all__ = [
    "neuron_forward",
    "perceptron_predict",
    "perceptron_update",
    "train_perceptron",
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
