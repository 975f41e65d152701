"""Checks for Chapter 2 — the input layer: flattening one-hot DNA, and counting the parameters
of a fully connected network sized from its input."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from genolearn.dna.onehot import one_hot_encode
from genolearn.exercises.contract import Array, Choice, Contract, Custom, normal, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.mlp import count_mlp_parameters, one_hot_flatten

__all__ = ["ONE_HOT_FLATTEN", "MLP_PARAMETER_COUNT"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")


def _probabilities(rng, shape, dims):
    """Soft one-hot: base probabilities along axis 1, summing to 1 at every position."""
    p = rng.dirichlet(np.ones(4), size=(shape[0], shape[2]))  # (N, L, 4)
    return p.transpose(0, 2, 1)  # (N, 4, L)


_DNA = Choice((Array(("N", 4, "L"), one_hot(1)), Array(("N", 4, "L"), _probabilities)))

# --------------------------------------------------------------------------- one-hot flatten

_FLATTEN = Contract(args=(("x", _DNA),), dims={"N": (1, 6), "L": (1, 12)})


def _flatten_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((one_hot_encode(["ACGT", "GATN"]),), label="two 4-bp sequences, one with an N"),
        Case((one_hot_encode(["TATAAT"]),), label="one sequence: TATAAT"),
        Case((_probabilities(rng, (3, 4, 5), {}),), label="base probabilities (3, 4, 5)"),
        *_FLATTEN.draw(rng, 4),
    ]


ONE_HOT_FLATTEN = register(
    Exercise(
        id="ch2.one_hot_flatten",
        chapter=2,
        title="The input layer: flattening one-hot DNA",
        function="one_hot_flatten",
        points=1,
        reference=one_hot_flatten,
        make_cases=_flatten_cases,
        contract=_FLATTEN,
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

# --------------------------------------------------------------------------- counting parameters


def _input_width(x) -> int:
    return int(np.prod(np.shape(x)[1:]))


def _count_reference(x, layer_sizes):
    # The answer is an integer, but the generic checks every exercise must pass (a NaN or an
    # extra axis in the answer must fail, tests/exercises/test_check.py) can only poison a
    # float array. A 0-d float64 array is compared exactly like a number: a learner's int
    # passes, and atol = 0.5 makes the comparison exact for integers.
    d = _input_width(x)
    return np.asarray(float(count_mlp_parameters([d, *layer_sizes])))


def _widths(rng, dims, dtype):
    return [int(s) for s in rng.integers(1, 200, size=int(rng.integers(1, 5)))]


_COUNT = Contract(
    args=(
        ("x", Choice((Array(("N", "D"), normal(1.0)), *_DNA.options))),
        ("layer_sizes", Custom(_widths)),
    ),
    dims={"N": (1, 9), "D": (1, 100), "L": (1, 60)},
    rtol=0.0,
    atol=0.5,
    rtol32=0.0,
    atol32=0.5,
)


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
    return [
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
        Case((np.zeros((4, 4, 9)), [3, 5, 2]), label="(4, 4, 9): batch size = channels"),
        *_COUNT.draw(rng, 4),
    ]


MLP_PARAMETER_COUNT = register(
    Exercise(
        id="ch2.mlp_parameter_count",
        chapter=2,
        title="Counting a network's parameters",
        function="mlp_parameter_count",
        points=2,
        reference=_count_reference,
        make_cases=_count_cases,
        contract=_COUNT,
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
