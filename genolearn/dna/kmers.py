"""k-mer counting: a sequence as a fixed-length vector of ``4**k`` counts."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product

import numpy as np

from genolearn._validation import check_int, describe
from genolearn.dna.alphabet import ALPHABET
from genolearn.dna.onehot import validate_sequence

__all__ = ["all_kmers", "kmer_counts"]


def all_kmers(k: int) -> list[str]:
    """All ``4**k`` k-mers in lexicographic ``ACGT`` order (the columns of :func:`kmer_counts`)."""
    k = check_int(k, "k", low=1, high=8)
    return ["".join(p) for p in product(ALPHABET, repeat=k)]


def kmer_counts(seqs: str | Iterable[str], k: int, *, normalize: bool = False) -> np.ndarray:
    """Count overlapping k-mers.

    k-mers containing ``N`` are skipped. Columns follow :func:`all_kmers` order, so column
    ``j`` of a 2-mer table is ``all_kmers(2)[j]``.

    Args:
        seqs: one string or a list of N strings (lengths may differ).
        k: k-mer length, 1..8.
        normalize: divide each row by its number of counted k-mers (rows sum to 1; all-zero
            rows stay zero).

    Returns:
        ``(4**k,)`` for one string, ``(N, 4**k)`` for a list; float64 if ``normalize`` else int64.
    """
    if isinstance(seqs, str):
        return kmer_counts([seqs], k, normalize=normalize)[0]
    if isinstance(seqs, (bytes, np.ndarray)) or not isinstance(seqs, Iterable):
        raise TypeError(f"seqs must be a str or a list of str, but got {describe(seqs)}")
    k = check_int(k, "k", low=1, high=8)
    seqs = list(seqs)
    lookup = np.full(256, -1, dtype=np.int64)
    for i, b in enumerate(ALPHABET):
        lookup[ord(b)] = i
    weights = 4 ** np.arange(k - 1, -1, -1)  # (k,) base-4 place values
    out = np.zeros((len(seqs), 4**k), dtype=np.int64)
    for row, s in enumerate(seqs):
        s = validate_sequence(s, f"seqs[{row}]")
        if len(s) < k:
            continue
        codes = lookup[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]  # (L,)
        windows = np.lib.stride_tricks.sliding_window_view(codes, k)  # (L-k+1, k)
        ok = np.all(windows >= 0, axis=1)
        index = windows[ok] @ weights
        out[row] = np.bincount(index, minlength=4**k)
    if normalize:
        totals = out.sum(axis=1, keepdims=True)
        return np.divide(out, totals, out=np.zeros(out.shape), where=totals > 0)
    return out
