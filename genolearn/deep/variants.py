"""Variant effects: every single-base change of a sequence, scored by a model.

:func:`single_base_variants` writes the 3 L substitutions of a one-hot sequence (the learner
codes it in the capstone); :func:`position_effects` summarises in-silico mutagenesis
(:func:`genolearn.deep.in_silico_mutagenesis`) per position, and :func:`rank_positions`
orders positions by how much their variants change the prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array

__all__ = ["single_base_variants", "position_effects", "rank_positions"]


def _one_hot(x: Any, name: str, shape: tuple) -> np.ndarray:
    x = check_array(x, name, shape=shape, finite=True)
    if not np.all((x == 0) | (x == 1)) or not np.all(x.sum(axis=-2) == 1):
        raise ValueError(f"{name} must be one-hot: every column exactly one 1 (no N)")
    return x


def single_base_variants(x: Any) -> np.ndarray:
    """Every single-base substitution of a one-hot sequence.

    Variant ``3 l + j`` changes position l to the j-th of the three other bases, in ``ACGT``
    order (for a ``G`` at l: ``A``, ``C``, ``T``). The input is not modified.

    Args:
        x: ``(4, L)`` one-hot, exactly one 1 per column.

    Returns:
        ``(3 L, 4, L)`` array of x's dtype; variant ``3 l + j`` equals x except column l.
    """
    x = _one_hot(x, "x", (4, "L"))
    length = x.shape[1]
    variants = np.repeat(x[None], 3 * length, axis=0)  # (3L, 4, L)
    for pos in range(length):
        ref = int(np.argmax(x[:, pos]))
        for j, base in enumerate(b for b in range(4) if b != ref):
            variants[3 * pos + j, :, pos] = 0  # clear the column ...
            variants[3 * pos + j, base, pos] = 1  # ... and write the new base
    return variants


def position_effects(effects: Any, x: Any) -> np.ndarray:
    """Mean effect of the three substitutions at each position of each sequence.

    Args:
        effects: ``(N, 4, L)`` ISM effects, ``score(variant) - score(reference)``.
        x: ``(N, 4, L)`` one-hot references (their bases are left out of the mean).

    Returns:
        ``(N, L)`` float64; negative where changing the base lowers the score on average.
    """
    sizes: dict[str, int] = {}
    effects = check_array(effects, "effects", shape=("N", 4, "L"), finite=True, sizes=sizes)
    x = _one_hot(x, "x", ("N", 4, "L"))
    check_array(x, "x", shape=(sizes["N"], 4, sizes["L"]))
    alt = 1.0 - x  # (N, 4, L) the three substitutions
    return (effects * alt).sum(axis=1) / 3.0  # (N, L)


def rank_positions(importance: Any) -> np.ndarray:
    """Rank of each position by importance: 1 for the most important, ``(L,)`` int64.

    Args:
        importance: ``(L,)``, larger = more important (e.g. minus the mean effect).
    """
    importance = check_array(importance, "importance", shape=("L",), finite=True)
    order = np.argsort(-importance, kind="stable")  # (L,) most important first
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks
