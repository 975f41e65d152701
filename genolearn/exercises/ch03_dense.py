"""Checks for Chapter 3 — backward through a dense layer and through softmax + cross-entropy."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import (
    Array,
    Choice,
    Contract,
    labels,
    largest,
    normal,
    offset_rows,
    uniform,
)
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.backprop import dense_backward, softmax_cross_entropy_backward

__all__ = ["DENSE_BACKWARD", "SOFTMAX_CROSS_ENTROPY_BACKWARD"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "jax")


def _real(*shape):
    return Choice((Array(shape, normal(1.0)), Array(shape, uniform(-5.0, 5.0))))


_DENSE = Contract(
    args=(("x", _real("N", "D")), ("W", _real("D", "H")), ("grad_out", _real("N", "H"))),
    dims={"N": (1, 8), "D": (1, 6), "H": (1, 6)},
)
# Logits from small to +-1000, and rows whose maxima differ by hundreds from the global one.
_CE = Contract(
    args=(
        (
            "logits",
            Choice(
                (
                    Array(("N", "C"), normal(3.0)),
                    Array(("N", "C"), offset_rows(400.0)),
                    Array(("N", "C"), uniform(-1000.0, 1000.0)),
                )
            ),
        ),
        ("targets", Array(("N",), labels("C"), kind="int")),
    ),
    dims={"N": (1, 8), "C": (2, 6)},
    scale=largest(0),
)

# --------------------------------------------------------------------------- dense backward


def _dense_cases(rng: np.random.Generator) -> list[Case]:
    x0 = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])  # (2, 3)
    w0 = np.array([[0.5, -1.0, 0.0], [2.0, 0.25, 1.0], [-0.5, 1.5, 3.0]])  # (3, 3), not symmetric
    g0 = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])  # (2, 3)
    cases = [
        Case((x0, w0, g0), label="N = 2, D = H = 3 by hand"),
        Case(
            (np.array([[1.0, 2.0]]), np.array([[1.0], [-1.0]]), np.array([[3.0]])),
            label="one example, one output: N = 1, D = 2, H = 1",
        ),
    ]
    cases += _DENSE.draw(rng, 4)
    # A one-hot DNA window (flattened (4, L) -> 4 L features) into 3 hidden units.
    bases = rng.integers(0, 4, size=(4, 6))  # (N, L)
    onehot = np.zeros((4, 4, 6))
    np.put_along_axis(onehot, bases[:, None, :], 1.0, axis=1)  # (N, 4, L)
    cases.append(
        Case(
            (onehot.reshape(4, 24), rng.normal(size=(24, 3)), rng.normal(size=(4, 3))),
            label="one-hot DNA, N = 4 windows of L = 6 flattened to D = 24, H = 3",
        )
    )
    return cases


def _dense_dw_transposed(x, W, g):
    return g @ W.T, g.T @ x, g.sum(axis=0)


def _dense_db_not_summed(x, W, g):
    return g @ W.T, x.T @ g, g.copy()


def _dense_db_averaged(x, W, g):
    return g @ W.T, x.T @ g, g.mean(axis=0)


def _dense_divided_by_n(x, W, g):
    n = x.shape[0]
    return g @ W.T, x.T @ g / n, g.sum(axis=0) / n


def _dense_dx_uses_w(x, W, g):
    return g @ W, x.T @ g, g.sum(axis=0)


def _dense_dx_uses_x(x, W, g):
    return x.copy(), x.T @ g, g.sum(axis=0)


DENSE_BACKWARD = register(
    Exercise(
        id="ch3.dense_backward",
        chapter=3,
        title="Backward through a dense layer",
        function="dense_backward",
        points=3,
        reference=dense_backward,
        make_cases=_dense_cases,
        contract=_DENSE,
        parts=("dx", "dW", "db"),
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "dW transposed",
                "dW came out as grad_out.T @ x, of shape (H, D); W has shape (D, H), and its "
                "gradient must too: dW = x.T @ grad_out.",
                _dense_dw_transposed,
            ),
            Mistake(
                "db not summed over the batch",
                "db kept one row per example; the same bias is used by all N examples, so its "
                "gradients add up: db = grad_out.sum(axis=0), shape (H,).",
                _dense_db_not_summed,
            ),
            Mistake(
                "db averaged",
                "db is the SUM of grad_out over the batch, not the mean: if the loss is a mean, "
                "its 1/N is already inside grad_out.",
                _dense_db_averaged,
            ),
            Mistake(
                "dW and db divided by N",
                "dW and db are N times too small: do not divide by N here — the loss's 1/N is "
                "already inside grad_out, and dividing again counts it twice.",
                _dense_divided_by_n,
            ),
            Mistake(
                "W used where W.T is needed",
                "looks like W was used where W.T is needed: dx = grad_out @ W.T, (N, H) @ "
                "(H, D) -> (N, D).",
                _dense_dx_uses_w,
            ),
            Mistake(
                "x returned as dx",
                "dx is not x: it is the error sent back to the layer below, grad_out @ W.T.",
                _dense_dx_uses_x,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- softmax + CE


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]), np.array([0, 1])),
            label="N = 2 examples, C = 3 classes",
        ),
        Case((np.array([[0.5, -0.5]]), np.array([1])), label="one example, two classes"),
        Case(
            (np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]), np.array([2, 0, 1])),
            label="N = C = 3",
        ),
        Case(
            (np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]]), np.array([0, 2])),
            label="logits of +-1000: subtract each row's maximum before exp",
        ),
    ]
    cases += _CE.draw(rng, 4)
    # Four nucleotide classes: predict the base at the centre of a window.
    cases.append(
        Case(
            (rng.normal(scale=2.0, size=(8, 4)), rng.integers(0, 4, size=8).astype(np.int64)),
            label="C = 4 classes A, C, G, T; N = 8",
        )
    )
    return cases


def _softmax(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _onehot(targets, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    out[np.arange(shape[0]), targets] = 1
    return out


def _ce_sum(logits, targets):
    return _softmax(logits) - _onehot(targets, logits.shape, logits.dtype)


def _ce_wrong_axis(logits, targets):
    n = logits.shape[0]
    return (_softmax(logits, axis=0) - _onehot(targets, logits.shape, logits.dtype)) / n


def _ce_no_onehot(logits, targets):
    return _softmax(logits) / logits.shape[0]


def _ce_sign(logits, targets):
    n = logits.shape[0]
    return (_onehot(targets, logits.shape, logits.dtype) - _softmax(logits)) / n


def _ce_unstable(logits, targets):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
    return (p - _onehot(targets, logits.shape, logits.dtype)) / logits.shape[0]


def _ce_minus_one_everywhere(logits, targets):
    return (_softmax(logits) - 1) / logits.shape[0]


SOFTMAX_CROSS_ENTROPY_BACKWARD = register(
    Exercise(
        id="ch3.softmax_cross_entropy_backward",
        chapter=3,
        title="Backward through softmax and cross-entropy",
        function="softmax_cross_entropy_backward",
        points=2,
        reference=softmax_cross_entropy_backward,
        make_cases=_ce_cases,
        contract=_CE,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "missing 1/N",
                "your gradient is N times too large: the loss is the MEAN over the batch, so "
                "divide softmax - onehot by N.",
                _ce_sum,
            ),
            Mistake(
                "softmax over the wrong axis",
                "the softmax was taken over axis 0 (the examples); each example's probabilities "
                "sum to 1 over the classes, axis=1.",
                _ce_wrong_axis,
            ),
            Mistake(
                "one-hot not subtracted",
                "this is softmax / N alone: subtract 1 at each example's true class "
                "(softmax - onehot(targets)) / N.",
                _ce_no_onehot,
            ),
            Mistake(
                "sign flipped",
                "the sign is flipped: dL/dlogits = (softmax - onehot) / N; your version would "
                "make gradient descent push the true class down.",
                _ce_sign,
            ),
            Mistake(
                "softmax without subtracting the max",
                "exp(1000) overflows to inf and inf / inf is nan: subtract each row's maximum "
                "from the logits before exp (the softmax does not change).",
                _ce_unstable,
            ),
            Mistake(
                "1 subtracted from every class",
                "subtract 1 only at the true class of each example (the one-hot), not from "
                "every entry.",
                _ce_minus_one_everywhere,
            ),
        ),
    )
)
