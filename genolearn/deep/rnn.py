"""Recurrent models for DNA, and numpy references for one LSTM / GRU step.

The numpy cells follow torch's parameter layout exactly (``weight_ih`` stacks the gates in
torch's order), so ``lstm_cell_step_numpy(x, h, c, *cell.parameters())`` reproduces
``torch.nn.LSTMCell`` and the tests check it in float64.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_choice, check_int, check_number
from genolearn.deep.cnn import _check_onehot

__all__ = ["lstm_cell_step_numpy", "gru_cell_step_numpy", "SequenceRNN"]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # sigma(a) = (1 + tanh(a / 2)) / 2 exactly; unlike 1 / (1 + exp(-a)) it never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _check_cell(x, h, w_ih, w_hh, b_ih, b_hh, n_gates: int, sizes: dict) -> tuple:
    x = check_array(x, "x", shape=("N", "D"), sizes=sizes)
    h = check_array(h, "h", shape=("N", "H"), sizes=sizes)
    gates = n_gates * sizes["H"]
    w_ih = check_array(w_ih, "w_ih", shape=(gates, "D"), sizes=sizes)
    w_hh = check_array(w_hh, "w_hh", shape=(gates, "H"), sizes=sizes)
    b_ih = np.zeros(gates) if b_ih is None else check_array(b_ih, "b_ih", shape=(gates,))
    b_hh = np.zeros(gates) if b_hh is None else check_array(b_hh, "b_hh", shape=(gates,))
    return x, h, w_ih, w_hh, b_ih, b_hh


def lstm_cell_step_numpy(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, gate order (input, forget, cell, output) as in ``torch.nn.LSTMCell``.

    ``i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)``; ``c' = sigma(f) c + sigma(i)
    tanh(g)``; ``h' = sigma(o) tanh(c')``.

    Args:
        x: ``(N, D)`` inputs at this time step (D = 4 for one-hot DNA).
        h, c: ``(N, H)`` previous hidden and cell states.
        w_ih: ``(4H, D)``; w_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)`` or None.

    Returns:
        ``(h', c')``, each ``(N, H)``.
    """
    sizes: dict[str, int] = {}
    x, h, w_ih, w_hh, b_ih, b_hh = _check_cell(x, h, w_ih, w_hh, b_ih, b_hh, 4, sizes)
    c = check_array(c, "c", shape=("N", "H"), sizes=sizes)
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (N, 4H)
    i, f, g, o = np.split(gates, 4, axis=1)  # each (N, H)
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)  # (N, H)
    h_new = _sigmoid(o) * np.tanh(c_new)  # (N, H)
    return h_new, c_new


def gru_cell_step_numpy(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, gate order (reset, update, new) as in ``torch.nn.GRUCell``.

    ``r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr)``, ``z`` likewise,
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))`` (the reset gate multiplies the
    hidden part *after* its bias, torch's convention), ``h' = (1 - z) n + z h``.

    Args:
        x: ``(N, D)``; h: ``(N, H)``; w_ih: ``(3H, D)``; w_hh: ``(3H, H)``;
        b_ih, b_hh: ``(3H,)`` or None.

    Returns:
        ``h'``: ``(N, H)``.
    """
    sizes: dict[str, int] = {}
    x, h, w_ih, w_hh, b_ih, b_hh = _check_cell(x, h, w_ih, w_hh, b_ih, b_hh, 3, sizes)
    xi_r, xi_z, xi_n = np.split(x @ w_ih.T + b_ih, 3, axis=1)  # each (N, H)
    hh_r, hh_z, hh_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)  # each (N, H)
    r = _sigmoid(xi_r + hh_r)
    z = _sigmoid(xi_z + hh_z)
    n = np.tanh(xi_n + r * hh_n)
    return (1.0 - z) * n + z * h  # (N, H)


class SequenceRNN(nn.Module):
    """An LSTM or GRU over DNA, then a linear read-out; by default behind a convolution.

    The defaults are the course's recipe (``benchmarks/recipes.py``), DanQ's design (Quang &
    Xie 2016): a convolution of ``conv_filters`` filters of width ``conv_width`` finds motif
    pieces, ReLU, max pooling by ``conv_pool`` keeps the strongest hit in each window, and a
    bidirectional LSTM of 32 units per direction reads the pooled positions, summarised by the
    maximum over positions. The LSTM then sees motifs, not bases, over ``conv_pool`` times fewer
    steps: faster, and it no longer has to learn a motif one base at a time. The front end
    has 64 filters (DanQ has 320): with 32, the LSTM missed clear sites of a 21-bp motif
    planted on either strand that a plain CNN found; with 64 it is level with the CNN there
    (``benchmarks/README.md``).
    ``conv_filters=None`` gives the plain recurrent network that reads the sequence base by
    base (Chapter 7 teaches it first); with ``readout="last"`` the last hidden state alone
    must carry "I saw the motif" to the end of the sequence, and often does not learn to.

    Args:
        kind: ``"lstm"`` or ``"gru"``.
        hidden: H, hidden units per direction.
        conv_filters: F, filters of the convolutional front end; None: no front end, the
            recurrent layer reads the one-hot bases.
        conv_width: K, width of the front end's filters (ignored without a front end).
        conv_pool: P, max-pooling window and stride after the convolution (1 = no pooling).
        bidirectional: also read the sequence right-to-left (D = 2 directions, else 1).
        n_layers: stacked recurrent layers.
        readout: how to summarise the sequence: ``"last"`` (the final hidden state of each
            direction), ``"mean"`` or ``"max"`` (over the outputs at every position).
        n_outputs: C, logits per sequence.
        dropout: dropout after the front end, between stacked layers and before the linear
            layer.

    Shape:
        - Input: ``(N, 4, L)`` one-hot (``L >= K`` with a front end).
        - Front end: conv (no padding) ``(N, F, L - K + 1)``, max pooling (``ceil_mode``: a
          last, shorter window keeps the final positions) ``(N, F, T)`` with
          ``T = ceil((L - K + 1) / P)``, transposed to ``(N, T, F)`` (batch_first). Without a
          front end ``T = L`` and the input is transposed to ``(N, L, 4)``.
        - Recurrent outputs: ``(N, T, D H)``; final states ``(n_layers D, N, H)``.
        - Summary: ``(N, D H)``.
        - Output: ``(N, C)`` logits.

    Initialisation: torch's defaults, every recurrent weight and bias ``U(-1/sqrt(H), 1/sqrt(H))``
    and the convolution ``U(-1/sqrt(4 K), 1/sqrt(4 K))``. Without a front end the parameters
    are created in the same order as before the front end existed, so a seeded
    ``SequenceRNN(conv_filters=None)`` starts from the same weights as the old default.
    """

    def __init__(
        self,
        kind: str = "lstm",
        hidden: int = 32,
        *,
        conv_filters: int | None = 64,
        conv_width: int = 12,
        conv_pool: int = 4,
        bidirectional: bool = True,
        n_layers: int = 1,
        readout: str = "max",
        n_outputs: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.kind = check_choice(kind, "kind", ["lstm", "gru"])
        self.readout = check_choice(readout, "readout", ["last", "mean", "max"])
        hidden = check_int(hidden, "hidden", low=1)
        n_layers = check_int(n_layers, "n_layers", low=1)
        n_outputs = check_int(n_outputs, "n_outputs", low=1)
        dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        self.conv_width = check_int(conv_width, "conv_width", low=1)
        self.conv_pool = check_int(conv_pool, "conv_pool", low=1)
        self.directions = 2 if bidirectional else 1
        if conv_filters is None:
            self.conv = None
            n_inputs = 4
        else:
            conv_filters = check_int(conv_filters, "conv_filters", low=1)
            self.conv = nn.Conv1d(4, conv_filters, self.conv_width)
            n_inputs = conv_filters
        rnn_class = nn.LSTM if self.kind == "lstm" else nn.GRU
        self.rnn = rnn_class(
            n_inputs,
            hidden,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=bool(bidirectional),
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(self.directions * hidden, n_outputs)

    def steps(self, x: torch.Tensor) -> torch.Tensor:
        """The recurrent input: ``(N, 4, L)`` one-hot -> ``(N, T, F)``, or ``(N, L, 4)``."""
        _check_onehot(x, "SequenceRNN")
        if self.conv is None:
            return x.transpose(1, 2)  # (N, L, 4)
        if x.shape[2] < self.conv_width:
            raise ValueError(
                f"x has length L = {x.shape[2]}, shorter than conv_width K = {self.conv_width}"
            )
        h = torch.relu(self.conv(x))  # (N, F, L - K + 1)
        if self.conv_pool > 1:
            h = nn.functional.max_pool1d(h, self.conv_pool, ceil_mode=True)  # (N, F, T)
        return self.dropout(h.transpose(1, 2))  # (N, T, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        out, state = self.rnn(self.steps(x))  # out (N, T, D H)
        if self.readout == "last":
            h_n = state[0] if self.kind == "lstm" else state  # (n_layers D, N, H)
            last = h_n[-self.directions :]  # (D, N, H): the top layer, every direction
            summary = last.transpose(0, 1).reshape(n, -1)  # (N, D, H) -> (N, D H)
        elif self.readout == "mean":
            summary = out.mean(dim=1)  # (N, D H)
        else:
            summary = out.amax(dim=1)  # (N, D H)
        return self.linear(self.dropout(summary))  # (N, C)
