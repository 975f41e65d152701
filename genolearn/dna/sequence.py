"""Simple sequence operations: reverse complement and GC content."""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array, describe
from genolearn.dna.onehot import validate_sequence

__all__ = ["reverse_complement", "gc_content"]

_TRANS = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(seq: str | np.ndarray) -> str | np.ndarray:
    """Reverse complement of a DNA string, or of one-hot ``(4, L)`` / ``(N, 4, L)``.

    For a string the case of each letter is kept. For one-hot arrays, complementing is reversing
    the channel axis (A<->T, C<->G because the alphabet is ``ACGT``) and reversing is flipping
    the length axis; an ``N`` column stays all-zero.
    """
    if isinstance(seq, str):
        validate_sequence(seq)
        return seq.translate(_TRANS)[::-1]
    if isinstance(seq, np.ndarray):
        arr = check_array(seq, "seq", ndim=(2, 3), dtype_kind="fiub")
        if arr.shape[-2] != 4:
            raise ValueError(f"seq has shape {arr.shape} but must be (4, L) or (N, 4, L)")
        return arr[..., ::-1, ::-1].copy()
    raise TypeError(f"seq must be a DNA string or a one-hot array, but got {describe(seq)}")


def gc_content(seq: str | np.ndarray) -> float | np.ndarray:
    """Fraction of G or C among the known bases (``N`` is not counted).

    Args:
        seq: a string, or one-hot ``(4, L)`` or ``(N, 4, L)``.

    Returns:
        a float for a string or ``(4, L)``; an array ``(N,)`` for ``(N, 4, L)``. A sequence with
        no known base gives ``nan``.
    """
    if isinstance(seq, str):
        s = validate_sequence(seq)
        known = len(s) - s.count("N")
        return float("nan") if known == 0 else (s.count("G") + s.count("C")) / known
    if isinstance(seq, np.ndarray):
        arr = check_array(seq, "seq", ndim=(2, 3), dtype_kind="fiub")
        if arr.shape[-2] != 4:
            raise ValueError(f"seq has shape {arr.shape} but must be (4, L) or (N, 4, L)")
        counts = arr.sum(axis=-1)  # (..., 4)
        known = counts.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            gc = (counts[..., 1] + counts[..., 2]) / known
        return float(gc) if arr.ndim == 2 else gc.astype(np.float64)
    raise TypeError(f"seq must be a DNA string or a one-hot array, but got {describe(seq)}")
