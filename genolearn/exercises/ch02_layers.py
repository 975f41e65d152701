"""Checks for Chapter 2 — layers: the input layer for one-hot DNA, a dense layer, a two-layer
MLP, counting parameters, and a hand-wired XOR network."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from genolearn.dna.onehot import one_hot_encode
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import relu, sigmoid, step
from genolearn.nn.backprop import dense_forward
from genolearn.nn.mlp import (
    count_mlp_parameters,
    mlp_forward,
    one_hot_flatten,
    xor_network,
)

__all__ = [
    "ONE_HOT_FLATTEN",
    "DENSE_FORWARD",
    "MLP_FORWARD",
    "COUNT_PARAMETERS",
    "XOR_NETWORK",
]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

# --------------------------------------------------------------------------- one-hot flatten


def _random_one_hot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    codes = rng.integers(0, 4, size=(n, length))  # (N, L)
    return np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1).copy()  # (N, L, 4) -> (N, 4, L)


def _flatten_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((one_hot_encode(["ACGT", "GATN"]),), label="two 4-bp sequences, one with an N"),
        Case((one_hot_encode(["TATAAT"]),), label="one sequence: TATAAT"),
    ]
    for _ in range(2):
        n, length = int(rng.integers(2, 7)), int(rng.integers(3, 13))  # N < 4 L always
        cases.append(
            Case((_random_one_hot(rng, n, length),), label=f"random one-hot ({n}, 4, {length})")
        )
    soft = rng.dirichlet(np.ones(4), size=(3, 5)).transpose(0, 2, 1)  # (3, 4, 5), float64
    cases.append(Case((soft,), label="base probabilities (3, 4, 5), float64"))
    return cases


ONE_HOT_FLATTEN = register(
    Exercise(
        id="ch2.one_hot_flatten",
        chapter=2,
        title="The input layer: flattening one-hot DNA",
        function="one_hot_flatten",
        points=1,
        reference=one_hot_flatten,
        make_cases=_flatten_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "position-major order",
                "the columns are in position-major order (A, C, G, T of position 0, then of "
                "position 1, ...). The convention here is channel-major, column c * L + l, which "
                "is what x.reshape(N, -1) gives for an (N, 4, L) array.",
                lambda x: x.transpose(0, 2, 1).reshape(x.shape[0], -1),
            ),
            Mistake(
                "whole batch flattened",
                "the whole batch became one long vector: keep one row per sequence, "
                "x.reshape(N, -1) with N = x.shape[0].",
                lambda x: x.ravel(),
            ),
            Mistake(
                "samples as columns",
                "the result is (4 L, N): samples must stay the rows, because x @ W needs x of "
                "shape (N, D).",
                lambda x: x.reshape(x.shape[0], -1).T,
            ),
            Mistake(
                "summed over positions",
                "you summed over positions, which gives each sequence's base composition (N, 4); "
                "the input layer keeps every (base, position) as its own feature.",
                lambda x: x.sum(axis=2),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- dense layer


def _dense_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0, 2.0], [0.0, -1.0]]),
                np.array([[1.0, -2.0], [0.5, 3.0]]),
                np.array([0.5, -1.0]),
            ),
            label="square W (D = H = 2): W.T has the same shape as W",
        ),
        Case(
            (
                np.array([[3.0, 0.4, 1.0], [0.0, 0.6, 0.0], [1.0, 0.5, 1.0], [2.0, 0.3, 0.0]]),
                np.array([[1.0, -0.5], [-5.0, 2.0], [0.5, 1.5]]),
                np.array([1.75, -1.0]),
            ),
            label="D = 3 features (motif count, GC, motif B), H = 2 units",
        ),
        Case(
            (np.array([[0.5, -1.0, 2.0]]), np.zeros((3, 4)), np.array([1.0, -2.0, 0.0, 3.0])),
            label="zero weights: every row is the bias",
        ),
    ]
    for n, d, h, dtype in [
        (5, 4, 3, np.float64),
        (4, 3, 3, np.float64),
        (4, 6, 4, np.float32),
        (1, 2, 5, np.float64),
    ]:
        cases.append(
            Case(
                (
                    rng.normal(size=(n, d)).astype(dtype),
                    rng.normal(size=(d, h)).astype(dtype),
                    rng.normal(size=h).astype(dtype),
                ),
                label=f"random N = {n}, D = {d}, H = {h}, {np.dtype(dtype).name}",
            )
        )
    return cases


DENSE_FORWARD = register(
    Exercise(
        id="ch2.dense_forward",
        chapter=2,
        title="A dense layer's forward pass",
        function="dense_forward",
        points=2,
        reference=dense_forward,
        make_cases=_dense_cases,
        rtol=1e-6,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "missing bias",
                "the bias b was left out: z = x @ W + b.",
                lambda x, W, b: x @ W,
            ),
            Mistake(
                "W transposed",
                "looks like W.T was used where W is needed: here W is stored (D, H), so the "
                "layer is x @ W + b. (Only Linear.weight is stored (H, D) and needs .T.) With a "
                "square W both have the same shape, so no error warns you.",
                lambda x, W, b: x @ W.T + b,
            ),
            Mistake(
                "bias along the wrong axis",
                "the bias was added along the wrong axis (one bias per example instead of one "
                "per output unit): b has shape (H,) and is added to every row, z = x @ W + b.",
                lambda x, W, b: x @ W + b[:, None],
            ),
            Mistake(
                "ReLU applied",
                "you applied ReLU; this exercise asks for the layer's weighted sums only, with no "
                "activation.",
                lambda x, W, b: relu(x @ W + b),
            ),
            Mistake(
                "sigmoid applied",
                "you applied the sigmoid; this exercise asks for the weighted sums only, with no "
                "activation.",
                lambda x, W, b: sigmoid(x @ W + b),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- MLP forward


def _mlp_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0, 2.0], [0.0, -1.0], [-2.0, 0.5]]),
                np.array([[1.0, -2.0], [0.5, 1.0]]),
                np.array([0.5, -1.0]),
                np.array([[2.0, -1.0], [-1.0, 1.5]]),
                np.array([-0.5, 0.25]),
            ),
            label="every size 2 (D = H = C = 2)",
        ),
        Case(
            (
                np.array([[3.0, 0.4, 1.0], [0.0, 0.6, 0.0], [1.0, 0.5, 1.0], [2.0, 0.3, 0.0]]),
                np.array([[1.0, -1.0, 0.5, 0.0], [-5.0, 2.0, 0.0, 1.0], [0.5, 1.0, -1.0, 2.0]]),
                np.array([0.5, -1.0, 0.25, -0.5]),
                np.array([[1.5], [-2.0], [1.0], [-0.5]]),
                np.array([-0.25]),
            ),
            label="one output (C = 1): a score for a binary label",
        ),
    ]
    for n, d, h, c, dtype in [
        (6, 4, 5, 1, np.float64),
        (5, 3, 8, 2, np.float64),
        (4, 6, 3, 3, np.float32),
    ]:
        cases.append(
            Case(
                (
                    rng.normal(size=(n, d)).astype(dtype),
                    rng.normal(size=(d, h)).astype(dtype),
                    rng.normal(size=h).astype(dtype),
                    rng.normal(size=(h, c)).astype(dtype),
                    rng.normal(size=c).astype(dtype),
                ),
                label=f"random N = {n}, D = {d}, H = {h}, C = {c}, {np.dtype(dtype).name}",
            )
        )
    return cases


MLP_FORWARD = register(
    Exercise(
        id="ch2.mlp_forward",
        chapter=2,
        title="A two-layer perceptron's forward pass",
        function="mlp_forward",
        points=2,
        reference=mlp_forward,
        make_cases=_mlp_cases,
        rtol=1e-6,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no hidden activation",
                "the hidden layer has no activation: without relu the two layers collapse into "
                "one linear layer. h = relu(x @ W1 + b1).",
                lambda x, W1, b1, W2, b2: (x @ W1 + b1) @ W2 + b2,
            ),
            Mistake(
                "sigmoid instead of ReLU",
                "the hidden layer used the sigmoid; this network's hidden activation is ReLU, "
                "max(0, z).",
                lambda x, W1, b1, W2, b2: sigmoid(x @ W1 + b1) @ W2 + b2,
            ),
            Mistake(
                "activation on the output",
                "ReLU was also applied to the output layer, which clips negative scores to 0: "
                "the output layer here is linear, h @ W2 + b2.",
                lambda x, W1, b1, W2, b2: relu(relu(x @ W1 + b1) @ W2 + b2),
            ),
            Mistake(
                "ReLU before the bias",
                "ReLU was applied before adding b1: the activation comes after the whole "
                "weighted sum, relu(x @ W1 + b1).",
                lambda x, W1, b1, W2, b2: (relu(x @ W1) + b1) @ W2 + b2,
            ),
            Mistake(
                "layers swapped",
                "the layers are applied in the wrong order: x goes through (W1, b1) first, "
                "then (W2, b2). When every size is equal no shape error warns you.",
                lambda x, W1, b1, W2, b2: relu(x @ W2 + b2) @ W1 + b1,
            ),
            Mistake(
                "output bias missing",
                "the output layer's bias b2 was left out: relu(x @ W1 + b1) @ W2 + b2.",
                lambda x, W1, b1, W2, b2: relu(x @ W1 + b1) @ W2,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- counting parameters


def _input_width(x) -> int:
    return int(np.prod(np.shape(x)[1:]))


def _count_reference(x, layer_sizes):
    # The answer is an integer, but the generic checks every exercise must pass (a NaN or an
    # extra axis in the answer must fail, tests/exercises/test_check.py) can only poison a
    # float array. A 0-d float64 array is compared exactly like a number: a learner's int
    # passes, and atol = 0.5 below makes the comparison exact for integers.
    d = _input_width(x)
    return np.asarray(float(count_mlp_parameters([d, *layer_sizes])))


def _count_with(d, layer_sizes):
    return count_mlp_parameters([d, *layer_sizes])


def _count_no_bias(x, layer_sizes):
    widths = [_input_width(x), *layer_sizes]
    return sum(a * b for a, b in pairwise(widths))


def _count_bias_per_input(x, layer_sizes):
    widths = [_input_width(x), *layer_sizes]
    return sum(a * b + a for a, b in pairwise(widths))


def _count_product(x, layer_sizes):
    return int(np.prod([_input_width(x), *layer_sizes]))


def _count_no_output_layer(x, layer_sizes):
    widths = [_input_width(x), *layer_sizes[:-1]]
    return sum(a * b + b for a, b in pairwise(widths))


def _count_neurons(x, layer_sizes):
    return _input_width(x) + sum(layer_sizes)


def _count_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), [2, 1]),
            label="two motif features, 2 hidden units, 1 output (the XOR network)",
        ),
        Case(
            (one_hot_encode(["ACGTACGTAC" * 20] * 3), [64, 1]),
            label="three one-hot sequences of 200 bp (N, 4, L) = (3, 4, 200), widths [64, 1]",
        ),
        Case(
            (rng.normal(5.0, 1.0, size=(7, 20)), [1]),
            label="expression of 20 genes, one output unit: logistic regression",
        ),
    ]
    n, length = int(rng.integers(2, 9)), int(rng.integers(10, 60))
    sizes = [int(s) for s in rng.integers(2, 40, size=int(rng.integers(1, 4)))] + [1]
    cases.append(
        Case((_random_one_hot(rng, n, length), sizes), label=f"random one-hot ({n}, 4, {length})")
    )
    n, d = int(rng.integers(2, 9)), int(rng.integers(10, 100))
    sizes = [int(s) for s in rng.integers(2, 200, size=int(rng.integers(1, 4)))]
    cases.append(Case((rng.normal(size=(n, d)), sizes), label=f"random (N, D) = ({n}, {d})"))
    return cases


COUNT_PARAMETERS = register(
    Exercise(
        id="ch2.count_parameters",
        chapter=2,
        title="Counting a network's parameters",
        function="count_parameters",
        points=2,
        reference=_count_reference,
        make_cases=_count_cases,
        rtol=0.0,
        atol=0.5,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "biases forgotten",
                "only the weights were counted: every unit of every layer after the input also "
                "has a bias, d_in * d_out + d_out per layer.",
                _count_no_bias,
            ),
            Mistake(
                "one bias per input",
                "biases were counted per input unit (d_in); there is one bias per output unit "
                "(d_out): d_in * d_out + d_out per layer.",
                _count_bias_per_input,
            ),
            Mistake(
                "batch size as input width",
                "the input width came from x.shape[0], which is the number of examples N. The "
                "batch size is not a parameter: a layer's weights do not depend on how many "
                "examples you feed it. Use the size of one example, x[0].size.",
                lambda x, layer_sizes: _count_with(x.shape[0], layer_sizes),
            ),
            Mistake(
                "channels only",
                "for one-hot DNA (N, 4, L) the input width is 4 * L, not 4: the flattened input "
                "has one feature per (base, position).",
                lambda x, layer_sizes: _count_with(x.shape[1], layer_sizes),
            ),
            Mistake(
                "positions only",
                "for one-hot DNA (N, 4, L) the input width is 4 * L, not L: each position "
                "contributes 4 features, one per base.",
                lambda x, layer_sizes: _count_with(x.shape[-1], layer_sizes),
            ),
            Mistake(
                "all widths multiplied",
                "you multiplied all the widths together; weights only connect consecutive "
                "layers, so add up d_in * d_out (+ d_out biases) layer by layer.",
                _count_product,
            ),
            Mistake(
                "output layer missing",
                "the last layer (the output layer) was left out: count every pair of "
                "consecutive layers, from the input to the output.",
                _count_no_output_layer,
            ),
            Mistake(
                "units counted",
                "you counted units (neurons), not parameters: the parameters are the "
                "connections (weights) between layers plus one bias per unit.",
                _count_neurons,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- XOR network


def _step_net(x, b1, b2, w2=(1.0, -2.0)):
    h = step(x @ np.ones((2, 2)) + np.asarray(b1))  # (N, 2)
    return step(h @ np.asarray(w2) + b2).astype(np.float64)  # (N,)


def _xor_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),),
            label="the four combinations of absent (0) and present (1)",
        ),
        Case(
            (np.array([[0.1, 0.05], [0.9, 0.15], [0.2, 0.85], [0.95, 0.8]]),),
            label="noisy presence scores",
        ),
    ]
    for _ in range(2):
        n = int(rng.integers(6, 13))
        present = rng.integers(0, 2, size=(n, 2))  # (N, 2)
        scores = np.where(present == 1, rng.uniform(0.8, 1.0, (n, 2)), rng.uniform(0, 0.2, (n, 2)))
        cases.append(Case((scores,), label=f"random presence scores, N = {n}"))
    return cases


XOR_NETWORK = register(
    Exercise(
        id="ch2.xor_network",
        chapter=2,
        title="A hand-wired XOR network",
        function="xor_network",
        points=2,
        reference=xor_network,
        make_cases=_xor_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "OR",
                "your network computes OR (1 when both motifs are present too): the AND unit "
                "must veto the output, e.g. output = step(h_or - 2 h_and - 0.5).",
                lambda x: _step_net(x, [-0.5, -1.5], -0.5, w2=(1.0, 0.0)),
            ),
            Mistake(
                "AND",
                "your network computes AND (1 only when both motifs are present); XOR is 'OR "
                "but not AND'.",
                lambda x: _step_net(x, [-0.5, -1.5], -0.5, w2=(0.0, 1.0)),
            ),
            Mistake(
                "output inverted",
                "your outputs are exactly inverted (XNOR): check the sign of the output "
                "weights and bias.",
                lambda x: 1.0 - xor_network(x),
            ),
            Mistake(
                "OR unit fires at (0, 0)",
                "your network outputs 1 when both motifs are absent: a threshold sits exactly on "
                "a corner, and step(0) = 1. Put the OR threshold between the sums 0 and 1 (at "
                "0.5) and the AND threshold between 1 and 2 (at 1.5).",
                lambda x: _step_net(x, [0.0, -1.5], -0.5),
            ),
            Mistake(
                "thresholds too close to 0 and 2",
                "right on exact 0/1 inputs but wrong on noisy scores: a threshold sits too close "
                "to a corner. Put each one in the middle of its gap: OR at x1 + x2 = 0.5, AND at "
                "x1 + x2 = 1.5.",
                lambda x: _step_net(x, [-0.1, -1.9], -0.5),
            ),
        ),
    )
)
