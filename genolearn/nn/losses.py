"""Loss functions and their gradients, in numpy (Chapters 2–4).

Functional forms return the loss and have a matching ``*_grad`` that returns
``dL/d prediction``; the torch-like classes (:class:`MSELoss`, :class:`BCELoss`,
:class:`BCEWithLogitsLoss`, :class:`CrossEntropyLoss`) wrap them: ``loss = loss_fn(pred, target)``
then ``loss_fn.backward()`` gives the gradient to feed into ``model.backward``.

``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"``. With ``"mean"``/``"sum"`` the
loss is a Python float; with ``"none"`` it is one value per sample and the gradient is that of
their sum (entry i is the derivative of loss i).

Shapes: N batch, C classes; ``(*)`` means any shape, the same for prediction and target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array, check_choice, check_number
from genolearn.nn.activations import sigmoid

__all__ = [
    "mse_loss",
    "mse_loss_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "softmax",
    "softmax_grad",
    "log_softmax",
    "log_softmax_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(values: np.ndarray, reduction: str) -> float | np.ndarray:
    check_choice(reduction, "reduction", _REDUCTIONS)
    if reduction == "none":
        return values
    return float(values.mean() if reduction == "mean" else values.sum())


def _scale(n: int, reduction: str) -> float:
    check_choice(reduction, "reduction", _REDUCTIONS)
    return 1.0 / max(n, 1) if reduction == "mean" else 1.0


def _check_pair(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate an elementwise loss's ``pred`` and ``target``: same shape, float pred."""
    pred = check_array(pred, "pred", dtype_kind="f")
    target = check_array(target, "target", dtype_kind="fiub")
    if pred.shape != target.shape:
        hint = ""
        short, long = sorted((pred.shape, target.shape), key=len)
        if len(short) == 1 and long == (short[0], 1):
            hint = (
                "; (N, 1) against (N,) would silently broadcast to (N, N), a classic bug: "
                "use pred[:, 0] or target[:, None]"
            )
        raise ValueError(
            f"pred has shape {pred.shape} but target has shape {target.shape}; they must "
            f"match{hint}"
        )
    return pred, target.astype(pred.dtype, copy=False)


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> float | np.ndarray:
    """Mean squared error ``(pred - target)^2``. ``pred, target: (*)``."""
    pred, target = _check_pair(pred, target)
    diff = pred - target
    return _reduce(diff * diff, reduction)


def mse_loss_grad(pred: Any, target: Any, reduction: str = "mean") -> np.ndarray:
    """``dL/dpred = 2 (pred - target)`` (divided by the count for ``"mean"``). ``(*) -> (*)``."""
    pred, target = _check_pair(pred, target)
    return (pred - target) * pred.dtype.type(2.0 * _scale(pred.size, reduction))


def _check_unit_interval(values: np.ndarray, name: str, hint: str) -> None:
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"{name} must lie in [0, 1], but has values in [{values.min():.4g}, "
            f"{values.max():.4g}]{hint}"
        )


def _check_probabilities(prob: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    prob, target = _check_pair(prob, target)
    _check_unit_interval(
        prob, "pred", "; it looks like logits: use BCEWithLogitsLoss, which applies the sigmoid"
    )
    _check_unit_interval(target, "target", "")
    return prob, target


# Why clip: log(0) = -inf, so one confident wrong prediction (p = 0 for a positive) would make
# the loss infinite and its gradient nan. Clipping p to [eps, 1 - eps] caps each term at
# -log(eps) (about 16.1 for eps = 1e-7). eps must stay above float32's resolution just below 1
# (6e-8), otherwise 1 - eps rounds to 1. (torch instead clamps each log term at -100.)
def binary_cross_entropy(
    pred: Any, target: Any, reduction: str = "mean", eps: float = 1e-7
) -> float | np.ndarray:
    """``-[y log p + (1 - y) log(1 - p)]`` on probabilities ``p`` clipped to ``[eps, 1-eps]``.

    ``pred`` (probabilities) and ``target`` (in [0, 1]): ``(*)``.
    """
    p, y = _check_probabilities(pred, target)
    eps = check_number(eps, "eps", low=0.0, high=0.5, low_inclusive=False)
    p = np.clip(p, eps, 1 - eps)
    return _reduce(-(y * np.log(p) + (1 - y) * np.log1p(-p)), reduction)


def binary_cross_entropy_grad(
    pred: Any, target: Any, reduction: str = "mean", eps: float = 1e-7
) -> np.ndarray:
    """``dL/dp = (p - y) / (p (1 - p))`` at the clipped ``p``. ``(*) -> (*)``.

    Evaluated at the clipped p rather than taking the clip's zero slope, so a confidently wrong
    prediction still gets a (large) gradient towards the right answer.
    """
    p, y = _check_probabilities(pred, target)
    eps = check_number(eps, "eps", low=0.0, high=0.5, low_inclusive=False)
    p = np.clip(p, eps, 1 - eps)
    return (p - y) / (p * (1 - p)) * p.dtype.type(_scale(p.size, reduction))


def binary_cross_entropy_with_logits(
    logits: Any, target: Any, reduction: str = "mean"
) -> float | np.ndarray:
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably. ``(*)``.

    With ``z`` the logit, ``-[y log s(z) + (1 - y) log(1 - s(z))]`` simplifies to
    ``log(1 + e^z) - z y``, and ``log(1 + e^z) = max(z, 0) + log1p(e^-|z|)``. The exponent is
    never positive, so nothing overflows, and ``log1p`` stays accurate when ``e^-|z|`` is tiny.
    """
    z, y = _check_pair(logits, target)
    return _reduce(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), reduction)


def binary_cross_entropy_with_logits_grad(
    logits: Any, target: Any, reduction: str = "mean"
) -> np.ndarray:
    """``dL/dz = sigmoid(z) - y`` (divided by the count for ``"mean"``). ``(*) -> (*)``."""
    z, y = _check_pair(logits, target)
    return (sigmoid(z) - y) * z.dtype.type(_scale(z.size, reduction))


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """``exp(z) / sum(exp(z))`` along ``axis``. ``(*) -> (*)``.

    Subtracting the maximum first changes nothing mathematically (the factor ``e^-max`` cancels)
    but keeps every exponent <= 0, so ``exp`` cannot overflow even for logits of 1e4.
    """
    z = check_array(z, "z", dtype_kind="f")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_grad(z: Any, grad_out: Any, axis: int = -1) -> np.ndarray:
    """Backward of :func:`softmax`: ``dL/dz = s * (g - sum(g * s))`` with ``s = softmax(z)``."""
    s = softmax(z, axis)
    g = check_array(grad_out, "grad_out", shape=s.shape, dtype_kind="f")
    return s * (g - (g * s).sum(axis=axis, keepdims=True))


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``. ``(*) -> (*)``.

    ``log(softmax(z))`` would give ``log(0) = -inf`` once a probability underflows; the
    log-sum-exp ``m + log(sum(exp(z - m)))`` with ``m = max(z)`` never does.
    """
    z = check_array(z, "z", dtype_kind="f")
    shifted = z - z.max(axis=axis, keepdims=True)  # every entry <= 0
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_grad(z: Any, grad_out: Any, axis: int = -1) -> np.ndarray:
    """Backward of :func:`log_softmax`: ``dL/dz = g - softmax(z) * sum(g)``."""
    s = softmax(z, axis)
    g = check_array(grad_out, "grad_out", shape=s.shape, dtype_kind="f")
    return g - s * g.sum(axis=axis, keepdims=True)


def check_class_targets(targets: Any, n: int, c: int, name: str = "targets") -> np.ndarray:
    """Validate integer class indices ``(N,)`` in ``[0, C)``, with hints for common mistakes."""
    arr = np.asarray(targets) if not isinstance(targets, (str, bytes)) else targets
    if isinstance(arr, np.ndarray) and arr.shape == (n, c) and c > 1:
        raise ValueError(
            f"{name} has shape {arr.shape} but must be class indices of shape (N,) = ({n},); "
            f"it looks one-hot: use {name}.argmax(axis=1)"
        )
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "fb":
        raise TypeError(
            f"{name} has dtype {arr.dtype} but must hold integer class indices; "
            f"use {name}.astype(np.int64)"
        )
    t = check_array(targets, name, shape=(n,), dtype_kind="iu")
    if t.size and (t.min() < 0 or t.max() >= c):
        bad = t.min() if t.min() < 0 else t.max()
        hint = "; classes numbered from 1? subtract 1" if t.min() >= 1 and t.max() == c else ""
        raise ValueError(f"{name} must be class indices in [0, {c - 1}], but contains {bad}{hint}")
    return t


def _check_logits_targets(logits: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    z = check_array(logits, "logits", shape=("N", "C"), dtype_kind="f")
    return z, check_class_targets(targets, *z.shape)


def cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> float | np.ndarray:
    """Cross-entropy ``-log softmax(z)[target]`` from ``logits: (N, C)``, ``targets: (N,)``.

    Uses :func:`log_softmax`, so it is exact and finite for logits as large as 1e4.
    """
    z, t = _check_logits_targets(logits, targets)
    log_p = log_softmax(z, axis=1)  # (N, C)
    return _reduce(-log_p[np.arange(len(t)), t], reduction)  # pick (N,) entries


def cross_entropy_grad(logits: Any, targets: Any, reduction: str = "mean") -> np.ndarray:
    """``dL/dz = softmax(z) - onehot(targets)`` (divided by N for ``"mean"``). ``(N, C)``."""
    z, t = _check_logits_targets(logits, targets)
    grad = softmax(z, axis=1)  # (N, C), a fresh array we may modify
    grad[np.arange(len(t)), t] -= 1
    grad *= grad.dtype.type(_scale(len(t), reduction))
    return grad


class _Loss:
    """Base class: ``loss = loss_fn(pred, target)`` then ``loss_fn.backward()``."""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = check_choice(reduction, "reduction", _REDUCTIONS)
        self._saved: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, pred: Any, target: Any) -> float | np.ndarray:
        return self.forward(pred, target)

    def forward(self, pred: Any, target: Any) -> float | np.ndarray:
        value = self._loss(pred, target)  # validates
        self._saved = (pred, target)
        return value

    def backward(self) -> np.ndarray:
        """``dL/d pred`` for the last ``forward`` call, with ``pred``'s shape and dtype."""
        if self._saved is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before computing a loss: "
                f"call loss = loss_fn(pred, target) first"
            )
        return self._grad(*self._saved)

    def _loss(self, pred: Any, target: Any) -> float | np.ndarray:
        raise NotImplementedError

    def _grad(self, pred: Any, target: Any) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(_Loss):
    """Mean squared error; see :func:`mse_loss`. ``pred, target: (*)``."""

    def _loss(self, pred, target):
        return mse_loss(pred, target, self.reduction)

    def _grad(self, pred, target):
        return mse_loss_grad(pred, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities, clipped by ``eps``; see
    :func:`binary_cross_entropy`. ``pred, target: (*)``."""

    def __init__(self, reduction: str = "mean", eps: float = 1e-7) -> None:
        super().__init__(reduction)
        self.eps = check_number(eps, "eps", low=0.0, high=0.5, low_inclusive=False)

    def _loss(self, pred, target):
        return binary_cross_entropy(pred, target, self.reduction, self.eps)

    def _grad(self, pred, target):
        return binary_cross_entropy_grad(pred, target, self.reduction, self.eps)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable step; see
    :func:`binary_cross_entropy_with_logits`. ``logits, target: (*)``."""

    def _loss(self, pred, target):
        return binary_cross_entropy_with_logits(pred, target, self.reduction)

    def _grad(self, pred, target):
        return binary_cross_entropy_with_logits_grad(pred, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood from ``logits: (N, C)`` and ``targets: (N,)`` int.

    See :func:`cross_entropy`; the gradient is ``(softmax(z) - onehot) / N``.
    """

    def _loss(self, pred, target):
        return cross_entropy(pred, target, self.reduction)

    def _grad(self, pred, target):
        return cross_entropy_grad(pred, target, self.reduction)
