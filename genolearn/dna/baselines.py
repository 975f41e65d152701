"""Baselines a network on DNA must beat: a PWM built from known sites, its best-window score
with an accuracy-maximising threshold (an oracle when the sites are the planted ones), and
k-mer counts read straight off one-hot arrays (for a bag-of-k-mers logistic regression).

All numpy. One-hot DNA is channel-first ``(N, 4, L)`` in ``ACGT`` order; an unknown base is an
all-zero column.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array, check_int, check_number

__all__ = ["best_pwm_score", "best_threshold", "kmer_spectrum", "pwm_from_sites"]


def pwm_from_sites(sites, pseudocount: float = 0.5) -> np.ndarray:
    """Log-odds position weight matrix (bits) from aligned one-hot sites, uniform background.

    ``pwm[a, k] = log2(p[a, k] / 0.25)`` with ``p[a, k] = (count[a, k] + pseudocount) /
    (N + 4 pseudocount)``: the pseudocount keeps a base never seen at a position from scoring
    minus infinity (a site with one unseen base would otherwise be impossible).

    Args:
        sites: ``(N, 4, K)`` one-hot, N >= 1 aligned sites of width K.
        pseudocount: added to every count, > 0.

    Returns:
        ``(4, K)`` float64 weights in bits.
    """
    x = check_array(sites, "sites", shape=("N", 4, "K"), finite=True)
    if x.shape[0] == 0 or x.shape[2] == 0:
        raise ValueError(f"sites has shape {x.shape} but needs N >= 1 sites of width K >= 1")
    pseudocount = check_number(pseudocount, "pseudocount", low=0.0, low_inclusive=False)
    counts = x.sum(axis=0, dtype=np.float64)  # (4, K)
    probs = (counts + pseudocount) / (x.shape[0] + 4 * pseudocount)  # (4, K), columns sum to 1
    return np.log2(probs / 0.25)


def best_pwm_score(x, pwm) -> np.ndarray:
    """The best window score of each sequence, forward strand: ``max_l sum_{a,k} x[n, a, l + k]
    pwm[a, k]``, the PWM scanner's answer to "is there a site anywhere?".

    Args:
        x: ``(N, 4, L)`` one-hot.
        pwm: ``(4, K)`` weights, ``K <= L``.

    Returns:
        ``(N,)`` float64.
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", 4, "L"), finite=True, sizes=sizes)
    pwm = check_array(pwm, "pwm", shape=(4, "K"), finite=True, sizes=sizes)
    if not 1 <= sizes["K"] <= sizes["L"]:
        raise ValueError(f"pwm has width K = {sizes['K']} but needs 1 <= K <= L = {sizes['L']}")
    windows = np.lib.stride_tricks.sliding_window_view(x, sizes["K"], axis=2)  # (N, 4, W, K)
    scores = np.einsum("nawk,ak->nw", windows, pwm, dtype=np.float64)  # (N, W), W = L - K + 1
    return scores.max(axis=1)


def best_threshold(scores, y) -> float:
    """The cut ``t`` among the scores that makes ``scores >= t`` most accurate on labels ``y``;
    among equally accurate cuts, the smallest.

    Args:
        scores: ``(N,)`` real scores, N >= 1.
        y: ``(N,)`` labels 0/1 (int, bool or float).

    Returns:
        ``t`` as a float (one of ``scores``).
    """
    sizes: dict[str, int] = {}
    s = check_array(scores, "scores", shape=("N",), finite=True, sizes=sizes)
    labels = check_array(y, "y", shape=("N",), dtype_kind="fiub", sizes=sizes)
    if sizes["N"] == 0:
        raise ValueError("scores is empty")
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError(f"y must hold 0/1 labels, but holds {np.unique(labels)[:5]}")
    cuts = np.unique(s)  # (U,) sorted: ties resolve to the smallest cut
    called = s[None, :] >= cuts[:, None]  # (U, N) calls of every cut
    accuracy = np.mean(called == (labels[None, :] == 1), axis=1)  # (U,)
    return float(cuts[np.argmax(accuracy)])  # argmax: the first (smallest) best cut


def kmer_spectrum(x, k: int) -> np.ndarray:
    """Overlapping k-mer counts of one-hot sequences; a window with an unknown base (an
    all-zero column) is not counted.

    Column ``j`` counts the k-mer whose bases, read as base-4 digits (A = 0, C = 1, G = 2,
    T = 3, first base most significant), spell ``j``: the order of
    :func:`genolearn.dna.kmers.all_kmers`.

    Args:
        x: ``(N, 4, L)`` one-hot.
        k: 1 <= k <= 6.

    Returns:
        ``(N, 4**k)`` int64.
    """
    x = check_array(x, "x", shape=("N", 4, "L"), finite=True)
    k = check_int(k, "k", low=1, high=6)
    n, _, length = x.shape
    out = np.zeros((n, 4**k), dtype=np.int64)
    if length < k:
        return out
    known = x.sum(axis=1) > 0  # (N, L): False at an N
    codes = x.argmax(axis=1)  # (N, L) base index 0..3 (0 at an N, masked out below)
    windows = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)  # (N, W, k)
    ok = np.lib.stride_tricks.sliding_window_view(known, k, axis=1).all(axis=2)  # (N, W)
    index = windows @ (4 ** np.arange(k - 1, -1, -1))  # (N, W) base-4 numbers
    for row in range(n):
        out[row] = np.bincount(index[row][ok[row]], minlength=4**k)
    return out
