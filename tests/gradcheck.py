"""The shared helpers that check numpy forward/backward passes against ``torch.autograd``.

Every backward in genolearn is tested through :func:`torch_forward_backward` in float64, and
:func:`numerical_gradient` (central differences) covers what torch cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["torch_forward_backward", "numerical_gradient", "assert_close"]


def torch_forward_backward(
    torch_fn: Callable,
    inputs: Sequence[np.ndarray],
    upstream: np.ndarray | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run ``torch_fn`` in float64 on ``inputs`` and backpropagate ``upstream``.

    Args:
        torch_fn: takes torch tensors (one per input), returns one tensor ``out``.
        inputs: numpy arrays; each becomes a float64 leaf tensor with ``requires_grad``.
        upstream: ``dL/d out`` with ``out``'s shape; default all ones (i.e. ``L = out.sum()``).

    Returns:
        ``(out, grads)``: the output and ``dL/d input`` for every input, as float64 numpy arrays.
    """
    import torch

    leaves = [torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True) for x in inputs]
    out = torch_fn(*leaves)
    up = torch.ones_like(out) if upstream is None else torch.tensor(upstream, dtype=torch.float64)
    out.backward(up)
    grads = [
        leaf.grad.numpy().copy() if leaf.grad is not None else np.zeros(leaf.shape)
        for leaf in leaves
    ]
    return out.detach().numpy().copy(), grads


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (float64). ``x: (*)``."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f(x)
        x[idx] = old - eps
        fm = f(x)
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def assert_close(
    got: np.ndarray,
    expected: np.ndarray,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    what: str = "",
) -> None:
    """``np.testing.assert_allclose`` that also requires identical shapes (no broadcasting)."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape} != expected {expected.shape}")
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)
