"""Convolutional models for one-hot DNA, and numpy references for the operations they use.

A first-layer convolution filter of width K is a learned PWM: sliding it along the sequence
(``conv1d_numpy``) is exactly :func:`genolearn.dna.motifs.pwm_scan`. Global max pooling then
asks "does the motif occur anywhere?", which makes the model blind to where.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_int, check_number

__all__ = ["conv1d_numpy", "max_pool1d_numpy", "MotifCNN", "FNN"]


def conv1d_numpy(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Reference 1-D convolution (cross-correlation, stride 1, no padding), as torch computes it.

    ``out[n, f, l] = b[f] + sum_{c, k} x[n, c, l + k] * w[f, c, k]``

    Args:
        x: ``(N, C, L)`` input, e.g. one-hot DNA with C = 4.
        w: ``(F, C, K)`` filters, ``K <= L``.
        b: ``(F,)`` biases, or None.

    Returns:
        ``(N, F, L - K + 1)`` float64.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "C", "L"), sizes=sizes)
    w = check_array(w, "w", shape=("F", "C", "K"), sizes=sizes)
    if not 1 <= sizes["K"] <= sizes["L"]:
        raise ValueError(f"w has width K = {sizes['K']} but x has length L = {sizes['L']}")
    windows = np.lib.stride_tricks.sliding_window_view(x, sizes["K"], axis=2)  # (N, C, L-K+1, K)
    out = np.einsum("nclk,fck->nfl", windows, w, dtype=np.float64)  # (N, F, L-K+1)
    if b is not None:
        b = check_array(b, "b", shape=("F",), sizes=sizes)
        out = out + b[None, :, None]  # (1, F, 1) broadcasts over N and L
    return out


def max_pool1d_numpy(x: np.ndarray, kernel_size: int, stride: int | None = None) -> np.ndarray:
    """Reference max pooling over the last axis, as ``torch.nn.functional.max_pool1d``.

    Args:
        x: ``(N, C, L)``.
        kernel_size: window width, ``1 <= kernel_size <= L``.
        stride: step between windows; default ``kernel_size`` (non-overlapping, torch's default).

    Returns:
        ``(N, C, (L - kernel_size) // stride + 1)``: a trailing partial window is dropped.
    """
    x = check_array(x, "x", shape=("N", "C", "L"))
    kernel_size = check_int(kernel_size, "kernel_size", low=1, high=x.shape[2])
    stride = kernel_size if stride is None else check_int(stride, "stride", low=1)
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel_size, axis=2)  # (N, C, W, k)
    return windows[:, :, ::stride].max(axis=3)  # (N, C, (L - k) // stride + 1)


def _check_onehot(x: torch.Tensor, model: str) -> None:
    """Model-boundary check: a teaching message for the usual shape mistakes."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{model} takes a torch.Tensor, got {type(x).__name__}; use torch.as_tensor"
        )
    if x.dim() != 3 or x.shape[1] != 4:
        hint = ""
        if x.dim() == 3 and x.shape[2] == 4:
            hint = " (it looks like (N, L, 4): use x.transpose(1, 2) for channel-first)"
        elif x.dim() == 2 and x.shape[0] == 4:
            hint = " (a single sequence: add a batch axis with x[None])"
        raise ValueError(f"x has shape {tuple(x.shape)} but must be (N, 4, L){hint}")


class MotifCNN(nn.Module):
    """DeepBind-style CNN: conv -> ReLU -> global max pool -> [hidden layer] -> linear.

    Each of the ``n_filters`` filters is a (4, K) motif detector; the max over positions keeps
    its best match anywhere in the sequence, so the model works for any length L >= K.
    Without a hidden layer the logit is a weighted sum of motif scores, which cannot express
    XOR ("one motif but not both"); DeepBind's optional hidden layer can.

    The defaults are the course's recipe, measured on tasks Chapter 5 does not use
    (``benchmarks/recipes.py``): 32 filters of width 12 and a hidden layer of 16.

    Args:
        n_filters: F, number of convolution filters (motif detectors).
        kernel_size: K, filter width in bases (a motif's length: 10-25 for most TFs).
        hidden: H, units of an optional ReLU hidden layer after pooling (0 = none).
        n_outputs: C, logits per sequence (1 for a binary task).
        dropout: dropout probability on the pooled (and hidden) features during training.

    Shape:
        - Input: ``(N, 4, L)`` float32 one-hot, ``L >= K``.
        - After the convolution: ``(N, F, L_out)`` with
          ``L_out = floor((L + 2 * padding - dilation * (K - 1) - 1) / stride) + 1 = L - K + 1``
          (padding 0, dilation 1, stride 1).
        - After global max pooling: ``(N, F)``; after the hidden layer (if any) ``(N, H)``.
        - Output: ``(N, C)`` logits (apply a sigmoid or softmax for probabilities).

    Initialisation: torch's defaults, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and
    biases, with ``fan_in = 4 K`` for the convolution, ``F`` (or ``H``) for the linear layers.
    """

    def __init__(
        self,
        n_filters: int = 32,
        kernel_size: int = 12,
        *,
        hidden: int = 16,
        n_outputs: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.n_filters = check_int(n_filters, "n_filters", low=1)
        self.kernel_size = check_int(kernel_size, "kernel_size", low=1)
        hidden = check_int(hidden, "hidden", low=0)
        n_outputs = check_int(n_outputs, "n_outputs", low=1)
        dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        self.conv = nn.Conv1d(4, self.n_filters, self.kernel_size)
        self.dropout = nn.Dropout(dropout)
        self.hidden = (
            nn.Sequential(nn.Linear(self.n_filters, hidden), nn.ReLU(), nn.Dropout(dropout))
            if hidden
            else nn.Identity()
        )
        self.linear = nn.Linear(hidden or self.n_filters, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_onehot(x, "MotifCNN")
        if x.shape[2] < self.kernel_size:
            raise ValueError(
                f"x has length L = {x.shape[2]}, shorter than kernel_size K = {self.kernel_size}"
            )
        h = torch.relu(self.conv(x))  # (N, F, L - K + 1)
        h = h.amax(dim=2)  # (N, F): global max pool over positions
        h = self.hidden(self.dropout(h))  # (N, H), or unchanged (N, F) without a hidden layer
        return self.linear(h)  # (N, C)


class FNN(nn.Module):
    """Fully connected baseline: flatten the one-hot sequence, then an MLP.

    It sees every base at its position, so a motif learnt at one position must be learnt again
    at every other: the contrast with :class:`MotifCNN`'s weight sharing is the lesson.

    Args:
        length: L, the fixed sequence length (the first layer has ``4 L`` inputs).
        hidden: sizes of the hidden layers, each followed by ReLU and dropout.
        n_outputs: C, logits per sequence.
        dropout: dropout probability after each hidden layer.

    Shape:
        - Input: ``(N, 4, L)``, exactly the ``length`` given at construction.
        - Flattened: ``(N, 4 L)``, channel-major (all of A, then all of C, ...).
        - Output: ``(N, C)`` logits.

    Initialisation: torch's ``nn.Linear`` default, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """

    def __init__(
        self, length: int, hidden=(64,), *, n_outputs: int = 1, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.length = check_int(length, "length", low=1)
        n_outputs = check_int(n_outputs, "n_outputs", low=1)
        dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        sizes = [4 * self.length] + [check_int(h, "hidden size", low=1) for h in hidden]
        layers: list[nn.Module] = []
        for fan_in, fan_out in pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(sizes[-1], n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_onehot(x, "FNN")
        if x.shape[2] != self.length:
            raise ValueError(
                f"x has length L = {x.shape[2]} but this FNN was built for length={self.length}; "
                "a fully connected layer needs a fixed length (a CNN does not)"
            )
        return self.net(x.flatten(start_dim=1))  # (N, 4, L) -> (N, 4 L) -> (N, C)
