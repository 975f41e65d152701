"""numpy references for a plain (Elman) recurrent network: one step, the unrolled forward pass,
and backpropagation through time (BPTT).

The parameters follow ``torch.nn.RNN`` / ``torch.nn.RNNCell`` with ``nonlinearity="tanh"``
(``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih``, ``bias_hh (H,)``), so
``rnn_cell_step_numpy(x, h, *cell.parameters())`` reproduces ``torch.nn.RNNCell``; the tests
check every function against torch (and the backward against ``torch.autograd``) in float64.

The recurrence ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` is what Chapter 7
uses to show why gradients vanish: the gradient that reaches step ``t`` from step ``T`` is
multiplied by ``T - t`` Jacobians ``diag(1 - h^2) W_hh``.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array

__all__ = ["rnn_cell_step_numpy", "rnn_forward_numpy", "rnn_bptt_numpy"]


def _check_params(w_ih, w_hh, b_ih, b_hh, sizes: dict) -> tuple:
    w_ih = check_array(w_ih, "w_ih", shape=("H", "D"), sizes=sizes)
    w_hh = check_array(w_hh, "w_hh", shape=("H", "H"), sizes=sizes)
    zeros = np.zeros(sizes["H"], dtype=np.result_type(w_ih, w_hh))  # no bias: zeros, same dtype
    b_ih = zeros if b_ih is None else check_array(b_ih, "b_ih", shape=("H",), sizes=sizes)
    b_hh = zeros if b_hh is None else check_array(b_hh, "b_hh", shape=("H",), sizes=sizes)
    return w_ih, w_hh, b_ih, b_hh


def rnn_cell_step_numpy(x, h, w_ih, w_hh, b_ih=None, b_hh=None) -> np.ndarray:
    """One step of a tanh RNN, as ``torch.nn.RNNCell``: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T
    + b_hh)``.

    Args:
        x: ``(N, D)`` inputs at this step (D = 4 for one-hot DNA).
        h: ``(N, H)`` previous hidden state.
        w_ih: ``(H, D)``; w_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None (zeros).

    Returns:
        ``h'``: ``(N, H)``.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "D"), sizes=sizes)
    h = check_array(h, "h", shape=("N", "H"), sizes=sizes)
    w_ih, w_hh, b_ih, b_hh = _check_params(w_ih, w_hh, b_ih, b_hh, sizes)
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)  # (N, D) @ (D, H) + (N, H) @ (H, H)


def rnn_forward_numpy(x, h0, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple[np.ndarray, np.ndarray]:
    """The tanh RNN unrolled over time, as ``torch.nn.RNN(D, H, batch_first=True)``.

    Args:
        x: ``(N, T, D)`` inputs, time along axis 1 (batch first).
        h0: ``(N, H)`` initial hidden state (zeros in most models).
        w_ih: ``(H, D)``; w_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None (zeros).

    Returns:
        ``(out, h_T)``: the hidden state after every step ``(N, T, H)`` (``out[:, t]`` is
        ``h_{t+1}``, the state after reading ``x[:, t]``; ``h0`` is not included) and the last
        one ``(N, H)`` (equal to ``out[:, -1]``).
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "T", "D"), sizes=sizes)
    h = check_array(h0, "h0", shape=("N", "H"), sizes=sizes)
    if sizes["T"] < 1:
        raise ValueError(f"x has shape {x.shape} but must have at least one time step (T >= 1)")
    w_ih, w_hh, b_ih, b_hh = _check_params(w_ih, w_hh, b_ih, b_hh, sizes)
    dtype = np.result_type(x, h, w_ih, w_hh, b_ih, b_hh)
    out = np.empty((sizes["N"], sizes["T"], sizes["H"]), dtype=dtype)  # (N, T, H)
    for t in range(sizes["T"]):
        h = np.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)  # (N, H): the same weights
        out[:, t] = h
    return out, h


def rnn_bptt_numpy(h, w_hh, grad_out) -> np.ndarray:
    """Backpropagation through time in a tanh RNN: the gradient of the loss with respect to
    every hidden state, counting every path through later steps.

    With ``h_t = tanh(a_t)``, ``a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh``:

    ``g_T = grad_out_T`` and ``g_t = grad_out_t + (g_{t+1} * (1 - h_{t+1}^2)) W_hh``,

    where ``grad_out_t`` is the gradient that reaches ``h_t`` directly (from a read-out of
    that step) and ``g_t`` the total. ``1 - h^2`` is tanh's derivative written with its output.

    Args:
        h: ``(N, T, H)`` hidden states ``h_1 .. h_T`` (``out`` of :func:`rnn_forward_numpy`).
        w_hh: ``(H, H)`` recurrent weights.
        grad_out: ``(N, T, H)`` direct gradients ``dL/dh_t`` (zeros except the last step for a
            last-state read-out).

    Returns:
        ``(N, T, H)`` total gradients ``dL/dh_t``.
    """
    sizes: dict[str, int] = {}
    h = check_array(h, "h", shape=("N", "T", "H"), sizes=sizes)
    w_hh = check_array(w_hh, "w_hh", shape=("H", "H"), sizes=sizes)
    grad_out = check_array(grad_out, "grad_out", shape=("N", "T", "H"), sizes=sizes)
    grad = np.array(grad_out, dtype=np.result_type(h, w_hh, grad_out))  # (N, T, H), a copy
    for t in range(sizes["T"] - 2, -1, -1):  # from the last step back to the first
        through_tanh = grad[:, t + 1] * (1.0 - h[:, t + 1] ** 2)  # (N, H): dL/da_{t+1}
        grad[:, t] += through_tanh @ w_hh  # (N, H) @ (H, H): a_{t+1} depends on h_t via W_hh
    return grad
