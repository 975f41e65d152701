"""Checks for Chapter 4 — losses: mean squared error and a stable cross-entropy, each with
its gradient."""

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
    wide,
)
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.losses import cross_entropy, cross_entropy_grad, mse_loss, mse_loss_grad, softmax

__all__ = ["MSE_LOSS_AND_GRAD", "CROSS_ENTROPY_LOSS_AND_GRAD"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")


def _target_like_pred(values, rng, dims):
    p = values["pred"]
    values["target"] = (p + rng.normal(scale=2.0, size=p.shape)).astype(p.dtype)
    return values


_MSE = Contract(
    args=(
        (
            "pred",
            Choice(tuple(Array(s, normal(3.0)) for s in [("A",), ("A", "B"), ("A", "B", "C")])),
        ),
        ("target", None),
    ),
    dims={"A": (1, 8), "B": (1, 5), "C": (1, 3)},
    fix=_target_like_pred,
)
# Logits up to 1e4 in magnitude: rows far apart (their maxima differ by thousands from the
# global one), rows with a huge spread (a probability underflows to 0, so log(softmax) is
# -inf), and ordinary ones.
_CE = Contract(
    args=(
        (
            "logits",
            Choice(
                (
                    Array(("N", "C"), normal(3.0)),
                    Array(("N", "C"), offset_rows(3000.0)),
                    Array(("N", "C"), wide(1e4, 1e-2)),
                    Array(("N", "C"), uniform(-200.0, 200.0)),
                )
            ),
        ),
        ("targets", Array(("N",), labels("C"), kind="int")),
    ),
    dims={"N": (1, 8), "C": (2, 6)},
    scale=largest(0),
)

# --------------------------------------------------------------------------- MSE


def mse_loss_and_grad(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Reference: ``(mean((pred - target)^2), 2 (pred - target) / pred.size)``. ``(*)``."""
    return mse_loss(pred, target), mse_loss_grad(pred, target)


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.5, 2.0]), np.array([1.0, 1.0])), label="two predictions"),
        Case(
            (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])),
            label="perfect predictions: loss 0, gradient 0",
        ),
        Case(
            (
                np.array([[2.0, 5.5, 7.0], [1.0, 4.0, 6.5]]),
                np.array([[2.5, 5.0, 8.0], [0.0, 4.0, 6.0]]),
            ),
            label="log-expression of 3 genes in 2 samples, shape (2, 3)",
        ),
        Case((np.array([3.0]), np.array([1.0])), label="a single prediction: the mean of 1 value"),
    ]
    return [*cases, *_MSE.draw(rng, 4)]


def _mse_no_two(pred, target):
    return mse_loss(pred, target), (pred - target) / pred.size


def _mse_grad_not_averaged(pred, target):
    return mse_loss(pred, target), 2 * (pred - target)


def _mse_sum(pred, target):
    return float(np.sum((pred - target) ** 2)), 2 * (pred - target)


def _mse_sign(pred, target):
    return mse_loss(pred, target), 2 * (target - pred) / pred.size


def _mse_rows(pred, target):
    n = pred.shape[0]
    return float(np.sum((pred - target) ** 2) / n), 2 * (pred - target) / n


MSE_LOSS_AND_GRAD = register(
    Exercise(
        id="ch4.mse_loss_and_grad",
        chapter=4,
        title="Mean squared error and its gradient",
        function="mse_loss_and_grad",
        points=2,
        reference=mse_loss_and_grad,
        make_cases=_mse_cases,
        contract=_MSE,
        parts=("loss", "dpred"),
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "gradient without the 2",
                "the derivative of (p - y)^2 is 2 (p - y): the gradient is missing the factor 2.",
                _mse_no_two,
            ),
            Mistake(
                "gradient not averaged",
                "the loss is a mean over all values, so its gradient is divided by their count "
                "too: 2 (pred - target) / pred.size.",
                _mse_grad_not_averaged,
            ),
            Mistake(
                "sum instead of mean",
                "this is the summed squared error; take the mean (divide the loss and the "
                "gradient by the number of values), so the loss does not grow with the batch.",
                _mse_sum,
            ),
            Mistake(
                "gradient sign flipped",
                "the gradient points the wrong way: d/dp (p - y)^2 = +2 (p - y). Following it "
                "downhill must move pred towards target.",
                _mse_sign,
            ),
            Mistake(
                "mean over rows only",
                "you divided by the number of rows; the mean runs over every value "
                "(pred.size), so a (2, 3) array is divided by 6, not 2.",
                _mse_rows,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- cross-entropy


def cross_entropy_loss_and_grad(
    logits: np.ndarray, targets: np.ndarray
) -> tuple[float, np.ndarray]:
    """Reference: mean cross-entropy of ``logits: (N, C)`` against ``targets: (N,)`` and
    ``dL/dlogits = (softmax(logits) - onehot(targets)) / N``."""
    return cross_entropy(logits, targets), cross_entropy_grad(logits, targets)


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([[2.0, 1.0, 0.1]]), np.array([0])), label="one sample, 3 classes"),
        Case(
            (
                np.array([[1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0], [3.0, -2.0, 1.0, 0.5]]),
                np.array([1, 3, 2]),
            ),
            label="which base (A, C, G, T) is at the masked position? 3 samples",
        ),
        Case(
            (np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 5e3]]), np.array([2, 1])),
            label="logits up to 1e4: exp overflows without the max subtraction",
        ),
        Case(
            (
                np.array([[100.0, 90.0], [-100.0, 95.0], [0.0, 1.0]], dtype=np.float32),
                np.array([1, 1, 0]),
            ),
            label="float32 logits past exp's overflow at 88",
        ),
    ]
    return [*cases, *_CE.draw(rng, 4)]


def _onehot(targets, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    out[np.arange(shape[0]), targets] = 1
    return out


def _ce_naive(logits, targets):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        n = len(targets)
        loss = float(-np.mean(np.log(p[np.arange(n), targets])))
        return loss, (p - _onehot(targets, p.shape, p.dtype)) / n


def _ce_log_of_softmax(logits, targets):
    p = softmax(logits, axis=1)
    with np.errstate(divide="ignore"):
        loss = float(-np.mean(np.log(p[np.arange(len(targets)), targets])))
    return loss, cross_entropy_grad(logits, targets)


def _ce_grad_not_averaged(logits, targets):
    return cross_entropy(logits, targets), cross_entropy_grad(logits, targets, reduction="sum")


def _ce_sum(logits, targets):
    return (
        cross_entropy(logits, targets, reduction="sum"),
        cross_entropy_grad(logits, targets, reduction="sum"),
    )


def _ce_wrong_axis(logits, targets):
    p = softmax(logits, axis=0)  # (N, C) normalised over the batch: wrong
    n = len(targets)
    with np.errstate(divide="ignore"):
        loss = float(-np.mean(np.log(p[np.arange(n), targets])))
    return loss, (p - _onehot(targets, p.shape, p.dtype)) / n


def _ce_grad_sign(logits, targets):
    return cross_entropy(logits, targets), -cross_entropy_grad(logits, targets)


def _ce_no_onehot(logits, targets):
    return cross_entropy(logits, targets), softmax(logits, axis=1) / len(targets)


CROSS_ENTROPY_LOSS_AND_GRAD = register(
    Exercise(
        id="ch4.cross_entropy_loss_and_grad",
        chapter=4,
        title="Stable cross-entropy and its gradient",
        function="cross_entropy_loss_and_grad",
        points=3,
        reference=cross_entropy_loss_and_grad,
        make_cases=_ce_cases,
        contract=_CE,
        parts=("loss", "dlogits"),
        forbid=_FORBID,
        warnings_fail=True,  # the exercise asks: "never trigger an overflow warning"
        mistakes=(
            Mistake(
                "no max subtraction",
                "exp(1e4) overflows to inf and inf / inf is nan: subtract each row's maximum "
                "from the logits before exponentiating (it cancels in the softmax).",
                _ce_naive,
            ),
            Mistake(
                "log of softmax",
                "log(softmax(z)) is -inf once a probability underflows to 0; compute the log "
                "directly: log p = z - max - log(sum(exp(z - max))) (log-sum-exp).",
                _ce_log_of_softmax,
            ),
            Mistake(
                "gradient not averaged",
                "the loss is the mean over the N samples, so the gradient is divided by N too: "
                "(softmax(z) - onehot) / N.",
                _ce_grad_not_averaged,
            ),
            Mistake(
                "sum instead of mean",
                "this is the summed loss; average over the batch (divide the loss and the "
                "gradient by N).",
                _ce_sum,
            ),
            Mistake(
                "softmax over the wrong axis",
                "the softmax normalises each sample's C class scores (axis=1, along a row), not "
                "each class over the batch (axis=0).",
                _ce_wrong_axis,
            ),
            Mistake(
                "gradient sign flipped",
                "the gradient is softmax(z) - onehot(targets), not onehot - softmax: the "
                "correct class's logit must go up when we step against the gradient.",
                _ce_grad_sign,
            ),
            Mistake(
                "one-hot not subtracted",
                "the gradient is softmax(z) - onehot(targets): subtract 1 at each sample's "
                "correct class.",
                _ce_no_onehot,
            ),
        ),
    )
)
