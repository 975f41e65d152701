"""A small reverse-mode automatic differentiation engine over numpy arrays (Chapter 3).

micrograd in spirit — every operation records its inputs and a function that turns
``dL/d output`` into ``dL/d input`` — but each node holds a whole array, so one node is a whole
layer's worth of scalars. ``loss.backward()`` visits the graph in reverse topological order and
applies the chain rule node by node.

Conventions (as in torch):
    * ``.grad`` is None until a backward pass reaches the tensor; every backward pass ADDS to
      it. Calling ``backward()`` twice on the same graph therefore doubles the gradients (torch
      needs ``retain_graph=True`` to allow this; here the graph is always kept). Use
      :meth:`Tensor.zero_grad` to clear.
    * Unlike torch, intermediate tensors keep their ``.grad`` too, so a learner can inspect
      every step of the chain rule.
    * Broadcasting works as in numpy; the gradient of a broadcast input is summed over the
      axes along which it was broadcast, so it has the input's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from genolearn._validation import check_array, check_number, describe
from genolearn.nn.activations import sigmoid as _sigmoid
from genolearn.nn.losses import check_class_targets

__all__ = ["Tensor", "cross_entropy"]

_Backward = Callable[[np.ndarray], Sequence[np.ndarray | None]]


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))  # leading axes the input did not have
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # axes of size 1 that were repeated
    return grad


class Tensor:
    """An array that remembers how it was computed, so gradients can flow back to it.

    Args:
        data: array-like of any shape ``(*)``; integers and booleans become float64, float32
            and float64 are kept.
        requires_grad: whether backward should compute ``dL/d data`` for this tensor.
    """

    __array_ufunc__ = None  # makes ``ndarray + Tensor`` call Tensor.__radd__, not numpy

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        arr = check_array(data, "data", dtype_kind="fiub")
        self.data: np.ndarray = arr if arr.dtype.kind == "f" else arr.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._backward: _Backward | None = None
        self._op = ""

    # ----- bookkeeping -------------------------------------------------------------------
    @staticmethod
    def _make(data: np.ndarray, parents: tuple[Tensor, ...], backward: _Backward, op: str):
        out = Tensor(data)
        if any(p.requires_grad for p in parents):  # only record what backward will need
            out.requires_grad = True
            out._parents, out._backward, out._op = parents, backward, op
        return out

    def _lift(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)):  # a Python number takes this tensor's dtype
            return Tensor(np.asarray(other, dtype=self.data.dtype))
        return Tensor(other)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """The same data, cut off from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Reset ``.grad`` to zeros (of this tensor only)."""
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{flag})"

    # ----- arithmetic (broadcasting like numpy) ------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        return Tensor._make(
            a.data + b.data,
            (a, b),
            lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)),
            "+",
        )

    def __mul__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        return Tensor._make(
            a.data * b.data,
            (a, b),
            lambda g: (_unbroadcast(g * b.data, a.shape), _unbroadcast(g * a.data, b.shape)),
            "*",
        )

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)

        def backward(g: np.ndarray):
            ga = g / b.data
            return _unbroadcast(ga, a.shape), _unbroadcast(-ga * a.data / b.data, b.shape)

        return Tensor._make(a.data / b.data, (a, b), backward, "/")

    def __neg__(self) -> Tensor:
        return Tensor._make(-self.data, (self,), lambda g: (-g,), "neg")

    def __sub__(self, other: Any) -> Tensor:
        return self + (-self._lift(other))

    def __radd__(self, other: Any) -> Tensor:
        return self._lift(other) + self

    def __rsub__(self, other: Any) -> Tensor:
        return self._lift(other) - self

    def __rmul__(self, other: Any) -> Tensor:
        return self._lift(other) * self

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._lift(other) / self

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor):
            raise TypeError("only a scalar exponent is supported: x ** 2, not x ** tensor")
        p = check_number(exponent, "exponent")
        x = self
        return Tensor._make(
            x.data**p, (x,), lambda g: (g * p * x.data ** (p - 1),), f"**{p:g}"
        )  # d x^p / dx = p x^(p-1)

    def __matmul__(self, other: Any) -> Tensor:
        """Matrix product as ``np.matmul``: ``(*, n, k) @ (*, k, m) -> (*, n, m)``; 1-D allowed."""
        a, b = self, self._lift(other)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"@ needs arrays of at least 1 dimension, got {a.shape} @ {b.shape}")

        def backward(g: np.ndarray):
            # Treat a 1-D left operand as a row (1, k) and a 1-D right operand as a column
            # (k, 1), and put the axes that matmul dropped back into g.
            a2 = a.data[None, :] if a.ndim == 1 else a.data  # (*, n, k)
            b2 = b.data[:, None] if b.ndim == 1 else b.data  # (*, k, m)
            g2 = g[..., None] if b.ndim == 1 else g
            g2 = g2[..., None, :] if a.ndim == 1 else g2  # (*, n, m)
            ga = g2 @ np.swapaxes(b2, -1, -2)  # (*, n, m) @ (*, m, k) -> (*, n, k)
            gb = np.swapaxes(a2, -1, -2) @ g2  # (*, k, n) @ (*, n, m) -> (*, k, m)
            ga = _unbroadcast(ga, a2.shape).reshape(a.shape)  # batch axes may be broadcast
            gb = _unbroadcast(gb, b2.shape).reshape(b.shape)
            return ga, gb

        return Tensor._make(a.data @ b.data, (a, b), backward, "@")

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._lift(other) @ self

    # ----- reductions and shape ----------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default); each input element gets the output's grad."""
        x = self
        axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis).tolist()
        axes = tuple(int(ax) % max(x.ndim, 1) for ax in axes)

        def backward(g: np.ndarray):
            if not keepdims:
                g = np.expand_dims(g, axes)  # put the summed axes back as size 1
            return (np.broadcast_to(g, x.shape),)  # (*) copied along the summed axes

        return Tensor._make(x.data.sum(axis=axis, keepdims=keepdims), (x,), backward, "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all by default) = sum / number of elements summed."""
        total = self.sum(axis=axis, keepdims=keepdims)
        count = self.data.size // max(total.data.size, 1) if self.data.size else 1
        return total / count

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Same data, new shape (``-1`` allowed); the gradient is reshaped back."""
        new = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        x = self
        return Tensor._make(x.data.reshape(new), (x,), lambda g: (g.reshape(x.shape),), "reshape")

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes as ``np.transpose`` (reverse them by default)."""
        perm = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        perm = perm or tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(perm))
        return Tensor._make(
            np.transpose(self.data, perm),
            (self,),
            lambda g: (np.transpose(g, inverse),),
            "transpose",
        )

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing; repeated indices accumulate their gradients (``np.add.at``)."""
        x = self

        def backward(g: np.ndarray):
            full = np.zeros_like(x.data)
            np.add.at(full, index, g)
            return (full,)

        return Tensor._make(x.data[index], (x,), backward, "index")

    # ----- elementwise functions ---------------------------------------------------------
    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return Tensor._make(out, (self,), lambda g: (g * out,), "exp")  # (e^x)' = e^x

    def log(self) -> Tensor:
        x = self
        return Tensor._make(np.log(x.data), (x,), lambda g: (g / x.data,), "log")

    def relu(self) -> Tensor:
        x = self
        return Tensor._make(
            np.maximum(x.data, 0), (x,), lambda g: (g * (x.data > 0),), "relu"
        )  # derivative 0 at x = 0, as in torch

    def sigmoid(self) -> Tensor:
        s = _sigmoid(self.data)  # the overflow-free sigmoid of Chapter 1
        return Tensor._make(s, (self,), lambda g: (g * s * (1 - s),), "sigmoid")

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        return Tensor._make(t, (self,), lambda g: (g * (1 - t * t),), "tanh")

    # ----- the backward pass -------------------------------------------------------------
    def _topological_order(self) -> list[Tensor]:
        """Every node that needs a gradient, each after all of its inputs (iterative DFS)."""
        order: list[Tensor] = []
        visited: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if p.requires_grad)
        return order

    def backward(self, grad: Any = None) -> None:
        """Compute ``dself/dx`` for every tensor ``x`` in the graph and ADD it to ``x.grad``.

        Args:
            grad: ``dL/d self`` with this tensor's shape. May be omitted only when this tensor
                holds a single number (a loss), when it defaults to 1.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: create the inputs with "
                "Tensor(data, requires_grad=True)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without grad needs a single-number output (a loss), but this "
                    f"tensor has shape {self.shape}: reduce it first (.sum() or .mean()) or "
                    f"pass grad=dL/d(this tensor) with shape {self.shape}"
                )
            grad = np.ones_like(self.data)
        else:
            grad = check_array(grad, "grad", dtype_kind="fiu")
            if grad.shape != self.shape:
                raise ValueError(f"grad has shape {grad.shape} but must be {self.shape}")
        # Gradients flowing in THIS pass live in `pending`, keyed by node id; `.grad` only
        # collects the totals. (Propagating `.grad` itself would re-send the gradients of an
        # earlier backward pass.) A node used twice receives two contributions that are summed
        # before it passes anything on: reverse topological order guarantees that.
        pending: dict[int, np.ndarray] = {id(self): grad.astype(self.dtype, copy=False)}
        for node in reversed(self._topological_order()):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            node.grad = np.array(g, dtype=node.dtype) if node.grad is None else node.grad + g
            if node._backward is None:
                continue  # a leaf
            for parent, pg in zip(node._parents, node._backward(g), strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                key = id(parent)
                pending[key] = pg if key not in pending else pending[key] + pg


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean cross-entropy of ``logits: (N, C)`` against class indices ``targets: (N,)``.

    Built from Tensor operations, so ``loss.backward()`` differentiates it. The log-sum-exp is
    computed as ``m + log(sum(exp(z - m)))`` with ``m`` the row maximum: the exponentials are then
    all <= 1 and cannot overflow. ``m`` is treated as a constant — allowed, because the result
    does not depend on which shift is used, so its gradient through ``m`` is zero.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor, but got {describe(logits)}")
    if logits.ndim != 2:
        raise ValueError(f"logits has shape {logits.shape} but must be (N, C)")
    n, c = logits.shape
    targets = check_class_targets(targets, n, c)
    m = logits.data.max(axis=1, keepdims=True)  # (N, 1), a constant
    shifted = logits - m  # (N, C), every entry <= 0
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()  # (N, C) - (N, 1)
    onehot = np.zeros(logits.shape, dtype=logits.dtype)  # (N, C)
    onehot[np.arange(n), targets] = 1
    return -(log_probs * onehot).sum() / n
