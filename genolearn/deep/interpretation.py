"""Opening the box: which bases did the model use, and what did its filters learn?

- :func:`saliency` (gradient x input) and :func:`in_silico_mutagenesis` give a score per base
  (:func:`pwm_ism_numpy` is ISM in numpy for the simplest "model": a PWM's best match);
- :func:`attribution_auroc` scores such maps against the planted truth of a synthetic task;
- :func:`filters_to_pwms` turns first-layer filters into motifs, :func:`plot_logo` draws them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_int, check_number, describe
from genolearn.deep.cnn import conv1d_numpy
from genolearn.deep.training import _model_device
from genolearn.dna.alphabet import ALPHABET
from genolearn.dna.motifs import Motif
from genolearn.nn.metrics import roc_auc

__all__ = [
    "saliency",
    "in_silico_mutagenesis",
    "pwm_ism_numpy",
    "filters_to_pwms",
    "attribution_auroc",
    "plot_logo",
]


def _check_x(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return check_array(x, "x", shape=("N", 4, "L"), finite=True)


def saliency(model: nn.Module, x, *, output: int = 0, batch_size: int = 128, device=None):
    """Gradient x input: ``d logit / d x[n, a, l] * x[n, a, l]``.

    For one-hot input only the observed base of each column is non-zero: it says how much the
    logit would change, to first order, if that base were removed.

    Args:
        model: maps ``(B, 4, L)`` to ``(B, C)`` logits; used in eval mode.
        x: ``(N, 4, L)`` one-hot.
        output: which logit column to explain.

    Returns:
        ``(N, 4, L)`` float32.
    """
    x = _check_x(x)
    output = check_int(output, "output", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    device = _model_device(model, device)
    was_training = model.training
    model.eval()
    out = []
    try:
        for i in range(0, len(x), batch_size):
            xb = torch.as_tensor(x[i : i + batch_size], dtype=torch.float32, device=device)
            xb.requires_grad_(True)
            # cuDNN's RNN kernels refuse a backward pass in eval mode ("cudnn RNN backward can
            # only be called in training mode"): on a GPU, torch's own kernels run this pass.
            with torch.backends.cudnn.flags(enabled=False):
                logits = model(xb)  # (B, C)
            if output >= logits.shape[1]:
                raise ValueError(f"output={output} but the model has {logits.shape[1]} output(s)")
            (grad,) = torch.autograd.grad(logits[:, output].sum(), xb)  # (B, 4, L)
            out.append((grad * xb).detach().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out)


def in_silico_mutagenesis(
    model: nn.Module, x, *, output: int = 0, batch_size: int = 512, device=None
):
    """Effect of every single-base substitution: ``logit(x with base a at l) - logit(x)``.

    Costs ``4 L`` forward passes per sequence. The observed base scores exactly 0; at an ``N``
    (all-zero) column all four bases are substitutions.

    Args:
        model: maps ``(B, 4, L)`` to ``(B, C)`` logits; used in eval mode.
        x: ``(N, 4, L)`` one-hot.
        output: which logit column to explain.

    Returns:
        ``(N, 4, L)`` float32.
    """
    x = _check_x(x)
    output = check_int(output, "output", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    device = _model_device(model, device)
    n, _, length = x.shape
    base = np.repeat(np.arange(4), length)  # (4L,) variant j puts base[j] ...
    pos = np.tile(np.arange(length), 4)  # (4L,) ... at position pos[j]
    was_training = model.training
    model.eval()
    effects = np.zeros((n, 4, length), dtype=np.float32)
    try:
        with torch.no_grad():
            for i in range(n):
                variants = np.repeat(x[i][None], 4 * length, axis=0)  # (4L, 4, L)
                variants[np.arange(4 * length), :, pos] = 0  # clear the column ...
                variants[np.arange(4 * length), base, pos] = 1  # ... and write one base
                batch = np.concatenate([x[i][None], variants])  # (1 + 4L, 4, L), reference first
                logits = torch.cat(
                    [
                        model(
                            torch.as_tensor(
                                batch[j : j + batch_size], dtype=torch.float32, device=device
                            )
                        )
                        for j in range(0, len(batch), batch_size)
                    ]
                )  # (1 + 4L, C)
                if output >= logits.shape[1]:
                    raise ValueError(
                        f"output={output} but the model has {logits.shape[1]} output(s)"
                    )
                delta = (logits[1:, output] - logits[0, output]).cpu().numpy()  # (4L,)
                effects[i] = delta.reshape(4, length)  # rows follow ``base``: A, C, G, T
    finally:
        model.train(was_training)
    effects[x == 1] = 0.0  # the reference base: no change (exactly, not up to rounding)
    return effects


def pwm_ism_numpy(x, pwm) -> np.ndarray:
    """ISM of a PWM "model" whose output is the best window score: ``max_l pwm_scan(x)[l]``.

    ``ism[n, a, l] = score(x[n] with base a at position l) - score(x[n])``, where
    ``score(s) = max over windows w of sum_{b, k} s[b, w + k] pwm[b, k]`` (forward strand).
    Substituting base ``a`` at ``l`` changes only the windows ``w`` with ``w <= l < w + K``,
    each by ``pwm[a, l - w] - pwm[observed base, l - w]``; the new best window may be another
    one. The observed base scores exactly 0; at an ``N`` (all-zero) column all four bases are
    substitutions. The same as :func:`in_silico_mutagenesis` of a one-filter convolution
    followed by a global max, without the model.

    Args:
        x: ``(N, 4, L)`` one-hot.
        pwm: ``(4, K)`` weights, ``K <= L``.

    Returns:
        ``(N, 4, L)`` float64.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", 4, "L"), finite=True, sizes=sizes)
    pwm = check_array(pwm, "pwm", shape=(4, "K"), finite=True, sizes=sizes)
    if not 1 <= sizes["K"] <= sizes["L"]:
        raise ValueError(f"pwm has width K = {sizes['K']} but x has length L = {sizes['L']}")
    x = x.astype(np.float64)
    n, k_width, length = x.shape[0], sizes["K"], sizes["L"]
    n_windows = length - k_width + 1
    scores = conv1d_numpy(x, pwm[None])[:, 0]  # (N, W): every window's score
    delta = np.zeros((n, 4, length, n_windows))  # (N, 4, L, W): change of window w if base a at l
    windows = np.arange(n_windows)
    for k in range(k_width):  # position l = w + k is column k of window w
        observed = np.einsum("nbw,b->nw", x[:, :, k : k + n_windows], pwm[:, k])  # (N, W)
        delta[:, :, windows + k, windows] = pwm[None, :, k, None] - observed[:, None, :]
    new_best = (scores[:, None, None, :] + delta).max(axis=3)  # (N, 4, L)
    effects = new_best - scores.max(axis=1)[:, None, None]  # (N, 4, L)
    effects[x == 1] = 0.0  # the observed base: no change (exactly, not up to rounding)
    return effects


def _first_conv(model: nn.Module) -> tuple[np.ndarray, np.ndarray | None, int]:
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv1d)), None)
    if conv is None:
        raise ValueError(f"{type(model).__name__} has no nn.Conv1d layer to read filters from")
    if isinstance(conv.padding, str) or conv.stride != (1,) or conv.dilation != (1,):
        raise ValueError(
            "filters_to_pwms needs a first convolution with integer padding, stride 1 and "
            f"dilation 1, got padding={conv.padding}, stride={conv.stride}, "
            f"dilation={conv.dilation}"
        )
    weight = conv.weight.detach().cpu().double().numpy()  # (F, 4, K)
    bias = None if conv.bias is None else conv.bias.detach().cpu().double().numpy()  # (F,)
    return weight, bias, conv.padding[0]


def filters_to_pwms(model_or_weights, x, *, threshold: float = 0.5, bias=None) -> np.ndarray:
    """Count matrices of the subsequences that activate each first-layer filter strongly.

    For filter f, every window of ``x`` whose activation exceeds ``threshold`` times the
    filter's largest activation over ``x`` is collected, and the one-hot windows are summed
    (Kelley et al. 2016; Koo & Eddy 2019 use 0.5). A filter that never activates above 0 gets
    an all-zero matrix.

    Args:
        model_or_weights: a model (its first ``nn.Conv1d`` is used, padding included) or
            filter weights ``(F, 4, K)``.
        x: ``(N, 4, L)`` one-hot, usually the positive sequences.
        threshold: fraction of the maximum activation, in ``[0, 1)``.
        bias: ``(F,)`` biases when weights are given (a model brings its own).

    Returns:
        ``(F, 4, K)`` float64 counts (a PFM per filter: divide by a column sum for a PPM).
    """
    x = _check_x(x)
    threshold = check_number(threshold, "threshold", low=0.0, high=1.0, high_inclusive=False)
    padding = 0
    if isinstance(model_or_weights, nn.Module):
        if bias is not None:
            raise ValueError("bias is only used with raw weights; a model brings its own")
        weight, bias, padding = _first_conv(model_or_weights)
    else:
        weight = check_array(model_or_weights, "weights", shape=("F", 4, "K"), finite=True)
    if padding:  # zero columns on both sides, exactly what the convolution saw
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    activation = conv1d_numpy(x, weight, bias)  # (N, F, W), W = L + 2 padding - K + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, weight.shape[2], axis=2)  # (N,4,W,K)
    counts = np.zeros(weight.shape, dtype=np.float64)  # (F, 4, K)
    for f in range(weight.shape[0]):
        top = activation[:, f].max()
        if top <= 0:
            continue
        seq_idx, pos_idx = np.nonzero(activation[:, f] > threshold * top)
        counts[f] = windows[seq_idx, :, pos_idx].sum(axis=0)  # (sites, 4, K) -> (4, K)
    return counts


def attribution_auroc(attr, mask) -> float:
    """How well an attribution map finds the planted bases: AUROC of ``|attr|`` vs ``mask``.

    Every position of every sequence is one example; its score is the summed absolute
    attribution over the 4 channels (for ``(N, 4, L)``) or ``|attr|`` (for ``(N, L)``).
    1.0 = every planted base outranks every background base; 0.5 = chance.

    Args:
        attr: ``(N, 4, L)`` or ``(N, L)`` attributions (saliency, ISM, ...).
        mask: ``(N, L)`` bool, True at planted bases (``SyntheticDataset.mask``). Pass only
            sequences that contain a motif, or the negatives' scores count as background.
    """
    sizes: dict[str, int] = {}
    attr = check_array(attr, "attr", ndim=(2, 3), finite=True)
    if attr.ndim == 3:
        check_array(attr, "attr", shape=("N", 4, "L"), sizes=sizes)
        score = np.abs(attr).sum(axis=1)  # (N, L)
    else:
        check_array(attr, "attr", shape=("N", "L"), sizes=sizes)
        score = np.abs(attr)  # (N, L)
    mask = check_array(mask, "mask", shape=("N", "L"), dtype_kind="b", sizes=sizes)
    if mask.all() or not mask.any():
        raise ValueError("mask must contain both planted (True) and background (False) bases")
    return roc_auc(mask.ravel(), score.ravel())


def plot_logo(matrix, ax=None, *, kind: str = "auto"):
    """Draw a sequence logo with logomaker.

    Args:
        matrix: a :class:`~genolearn.dna.motifs.Motif` or a ``(4, K)`` array (rows ``ACGT``):
            counts/probabilities, or weights (PWM, attribution) that may be negative.
        ax: a matplotlib Axes (default: a new figure).
        kind: ``"information"`` (letter heights = probability x information content, in
            bits), ``"weight"`` (the values as given) or ``"auto"`` (weight if any value is
            negative, else information).

    Returns:
        the ``logomaker.Logo`` (its ``.ax`` is the Axes).
    """
    import logomaker  # imported here: it pulls in matplotlib and pandas
    import pandas as pd

    if isinstance(matrix, Motif):
        matrix = matrix.counts
    m = check_array(matrix, "matrix", shape=(4, "K"), finite=True).astype(np.float64)
    if kind not in ("auto", "information", "weight"):
        raise ValueError(f"kind must be 'auto', 'information' or 'weight', got {describe(kind)}")
    if kind == "auto":
        kind = "weight" if np.any(m < 0) else "information"
    if kind == "information":
        total = m.sum(axis=0, keepdims=True)  # (1, K)
        if np.any(m < 0) or np.any(total <= 0):
            raise ValueError("an information logo needs non-negative columns with positive sums")
        p = m / total  # (4, K)
        entropy = -np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=0)  # (K,) bits
        m = p * (2.0 - entropy)  # (4, K): letter height = p * information content
    frame = pd.DataFrame(m.T, columns=list(ALPHABET))  # logomaker wants (K, 4)
    logo = logomaker.Logo(frame, ax=ax, color_scheme="classic")
    logo.ax.set_ylabel("bits" if kind == "information" else "weight")
    logo.ax.set_xlabel("position")
    return logo
