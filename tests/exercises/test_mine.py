"""mine(): the learner's function when it passes its check, the reference (and why) otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import genolearn.nn as gnn
from genolearn.exercises import mine


def dense_backward(x, W, grad_out):
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0)


def test_a_passing_function_is_returned_with_one_tick_line(capsys):
    assert mine("ch3.dense_backward", dense_backward) is dense_backward
    out = capsys.readouterr().out
    assert out == "✔ ch3.dense_backward: your dense_backward passes its check; using yours.\n"


def test_a_stub_falls_back_to_the_reference_and_says_so(capsys):
    def stub(x, W, grad_out):
        raise NotImplementedError("ch3.dense_backward: replace this line with your code")

    assert mine("ch3.dense_backward", stub) is gnn.dense_backward
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "is not implemented yet" in out
    assert "using genolearn's genolearn.nn.backprop.dense_backward" in out


def test_a_wrong_or_raising_function_falls_back_with_the_failing_case(capsys):
    def mean_bias(x, W, grad_out):
        return grad_out @ W.T, x.T @ grad_out, grad_out.mean(axis=0)

    def crashes(x, W, grad_out):
        raise ValueError("shapes (2, 3) and (2, 3) not aligned")

    assert mine("ch3.dense_backward", mean_bias) is gnn.dense_backward
    assert "fails test case 1 of" in capsys.readouterr().out
    assert mine("ch3.dense_backward", crashes) is gnn.dense_backward
    assert "raises an exception on test case" in capsys.readouterr().out


def test_a_passing_function_that_calls_a_failing_dependency_is_not_used(capsys):
    namespace = {"np": np}
    exec(
        "def sigmoid(z):\n    return z\n"
        "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n",
        namespace,
    )
    chosen = mine("ch1.sigmoid_derivative", namespace["sigmoid_derivative"])
    assert chosen is gnn.sigmoid_derivative
    assert "it calls your sigmoid, which fails" in capsys.readouterr().out
    exec(
        "def sigmoid(z):\n    e = np.exp(-np.abs(z))\n"
        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n",
        namespace,
    )
    assert (
        mine("ch1.sigmoid_derivative", namespace["sigmoid_derivative"], quiet=True)
        is (namespace["sigmoid_derivative"])
    )
    assert capsys.readouterr().out == ""


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="must be your function 'dense_backward'"):
        mine("ch3.dense_backward", None)
    with pytest.raises(KeyError, match="no exercise"):
        mine("ch3.no_such_thing", dense_backward)
