"""Optimizers that update :class:`~genolearn.nn.layers.Parameter` arrays in place (Chapter 4).

They follow ``torch.optim`` exactly (same formulas, same order of operations), so the same
parameters and gradients give the same numbers as torch. Updates are in place: a parameter's
``data`` array is never replaced (a model and its optimizer share it) and float32 stays float32.
Each optimizer keeps one scratch array per parameter so a step allocates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from genolearn._validation import check_number, describe
from genolearn.nn.layers import Module, Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_params(params: Any) -> list[Parameter]:
    if isinstance(params, Module):
        raise TypeError("params must be the model's parameters: pass model.parameters()")
    if isinstance(params, Parameter) or not isinstance(params, Iterable):
        raise TypeError(f"params must be a list of Parameters, but got {describe(params)}")
    found: dict[int, Parameter] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"params[{i}] must be a Parameter, but got {describe(p)}; pass model.parameters()"
            )
        found.setdefault(id(p), p)  # a parameter listed twice is updated once
    if not found:
        raise ValueError("the optimizer got an empty parameter list")
    return list(found.values())


class Optimizer:
    """Base class. ``zero_grad()`` clears every gradient; ``step()`` updates every parameter.

    Attributes:
        params: the parameters, in order. lr: the learning rate (may be changed between steps).
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = _check_params(params)
        self.lr = check_number(lr, "lr", low=0.0)
        self._scratch = [np.empty_like(p.data) for p in self.params]

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero, in place."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p              (L2 penalty, if weight_decay > 0)
        v = momentum * v + g                  (v starts at 0, so v = g after step 1)
        d = g + momentum * v if nesterov else v
        p = p - lr * d

    This is torch's form of momentum; the textbook form ``v = mu v - lr g; p = p + v`` takes the
    same steps while ``lr`` is constant.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = check_number(momentum, "momentum", low=0.0)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self._velocity = [np.zeros_like(p.data) for p in self.params] if self.momentum else []
        self._nesterov = [np.empty_like(p.data) for p in self.params] if self.nesterov else []

    def step(self) -> None:
        """Update every parameter in place with its current ``.grad``."""
        mu, wd = self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            tmp = self._scratch[i]
            d = p.grad
            if wd:
                np.multiply(p.data, wd, out=tmp)
                tmp += d  # tmp = g + wd p
                d = tmp
            if mu:
                v = self._velocity[i]
                v *= mu
                v += d  # v = mu v + g
                if self.nesterov:
                    look = self._nesterov[i]
                    np.multiply(v, mu, out=look)
                    look += d  # g + mu v
                    d = look
                else:
                    d = v
            np.multiply(d, self.lr, out=tmp)  # lr * d (tmp may already hold d: fine elementwise)
            p.data -= tmp

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay}, nesterov={self.nesterov})"
        )


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (L2 ``weight_decay`` added to the gradient, not AdamW).

    For each parameter, at step t = 1, 2, ...::

        m = b1 m + (1 - b1) g             (running mean of gradients; starts at 0)
        v = b2 v + (1 - b2) g^2           (running mean of squared gradients; starts at 0)
        p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    Why the bias correction ``1 / (1 - b^t)`` matters at step 1: m and v start at 0, so after
    one step ``m = 0.1 g`` and ``v = 0.001 g^2`` (default betas) — both far too small, and by
    different factors. Uncorrected, ``m / sqrt(v) = 0.1 / sqrt(0.001) = 3.16`` times
    ``sign(g)``: the first steps would be about 3x larger than ``lr``. Dividing by
    ``1 - b1 = 0.1`` and ``1 - b2 = 0.001`` recovers ``m = g``, ``v = g^2``, so step 1 moves every
    parameter by ``lr`` in the direction of ``-sign(g)``. The correction fades as ``b^t -> 0``.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), but got {describe(betas)}")
        b1 = check_number(betas[0], "betas[0]", low=0.0, high=1.0, high_inclusive=False)
        b2 = check_number(betas[1], "betas[1]", low=0.0, high=1.0, high_inclusive=False)
        self.betas = (b1, b2)
        self.eps = check_number(eps, "eps", low=0.0)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
        self.t = 0  # number of steps taken
        self._m = [np.zeros_like(p.data) for p in self.params]
        self._v = [np.zeros_like(p.data) for p in self.params]
        self._decayed = [np.empty_like(p.data) for p in self.params] if self.weight_decay else []

    def step(self) -> None:
        """Update every parameter in place with its current ``.grad``."""
        self.t += 1
        b1, b2 = self.betas
        bias1 = 1 - b1**self.t
        bias2_sqrt = math.sqrt(1 - b2**self.t)  # a Python float keeps float32 arrays float32
        step_size = self.lr / bias1
        for i, p in enumerate(self.params):
            tmp, m, v = self._scratch[i], self._m[i], self._v[i]
            g = p.grad
            if self.weight_decay:
                g = self._decayed[i]
                np.multiply(p.data, self.weight_decay, out=g)
                g += p.grad  # g + wd p
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp  # m = b1 m + (1 - b1) g
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp  # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=tmp)
            tmp /= bias2_sqrt
            tmp += self.eps  # denominator sqrt(v_hat) + eps; eps avoids dividing by 0
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p.data -= tmp

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr}, betas={self.betas}, "
            f"eps={self.eps}, weight_decay={self.weight_decay})"
        )
