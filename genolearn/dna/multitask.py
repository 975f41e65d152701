"""A multi-task (multi-label) DNA task, as DeepSEA and Basset pose theirs: one sequence, several
yes/no answers at once, one per motif.

Each of T motifs is planted in each sequence independently, with probability ``p``, at a random
place that overlaps no other site; ``y[n, t] = 1`` iff motif ``t`` was planted in sequence
``n``. A model with T outputs, trained with the binary cross-entropy summed over the T labels,
shares one set of filters across all tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genolearn._validation import as_rng, check_int, check_number, describe
from genolearn.dna.datasets import random_sequences
from genolearn.dna.motifs import Motif, _as_motif, sample_motif
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.synthetic import SequenceDataset, _place, _plant

__all__ = ["MultiTaskDataset", "multitask_task"]

#: The default motifs: four of the offline JASPAR set.
DEFAULT_MOTIFS = ("CTCF", "Spi1", "GATA1", "CREB1")


@dataclass(eq=False, repr=False)
class MultiTaskDataset(SequenceDataset):
    """Sequences with one 0/1 label per motif.

    Attributes:
        y: ``(N, T)`` int64, ``y[n, t] = 1`` iff motif ``t`` is planted in sequence ``n``.
        names: the T motif names, in the order of ``y``'s columns.
        mask: ``(N, T, L)`` bool, True at the bases of motif ``t``'s site in sequence ``n``.
        motif_positions: for each sequence, ``(motif name, start, end, strand)`` of its sites.
        motifs: the motifs used, by name.
    """

    names: tuple[str, ...]
    mask: np.ndarray
    motif_positions: list[list[tuple[str, int, int, str]]]
    motifs: dict[str, Motif]

    def __repr__(self) -> str:
        rates = ", ".join(
            f"{name} {rate:.2f}" for name, rate in zip(self.names, self.y.mean(axis=0), strict=True)
        )
        return f"MultiTaskDataset(n={len(self)}, length={self.x.shape[-1]}, positive rate: {rates})"


def multitask_task(
    motifs=DEFAULT_MOTIFS,
    *,
    n: int = 2000,
    length: int = 200,
    p: float = 0.3,
    seed: int | np.random.Generator,
    strength: float = 2.0,
) -> MultiTaskDataset:
    """Generate the multi-label task.

    Args:
        motifs: T >= 1 distinct names/IDs or :class:`Motif` objects, one task each.
        n: number of sequences.
        length: L, bases per sequence (long enough for all T sites side by side).
        p: probability that a motif is planted in a sequence, in (0, 1), independently for
            every motif and sequence.
        seed: int or ``numpy.random.Generator``.
        strength: sites are drawn from ``ppm ** strength``, renormalised (see
            :func:`~genolearn.dna.motifs.sample_motif`).

    Returns:
        a :class:`MultiTaskDataset`: ``x (N, 4, L)`` float32, ``y (N, T)``, ``mask (N, T, L)``.
    """
    if isinstance(motifs, (str, Motif)) or not isinstance(motifs, (list, tuple)) or not motifs:
        raise TypeError(f"motifs must be a non-empty list of motifs, but got {describe(motifs)}")
    used = [_as_motif(m, "motifs") for m in motifs]
    names = tuple(m.name for m in used)
    if len(set(names)) != len(names):
        raise ValueError(f"motifs must all differ, but got {list(names)}")
    n = check_int(n, "n", low=1)
    length = check_int(length, "length", low=1)
    if sum(m.length for m in used) > length:
        raise ValueError(
            f"length={length} is too short for all {len(used)} motifs side by side "
            f"(total width {sum(m.length for m in used)})"
        )
    p = check_number(p, "p", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    strength = check_number(strength, "strength", low=0.0)
    rng = as_rng(seed)
    y = (rng.random((n, len(used))) < p).astype(np.int64)  # (N, T) independent labels
    mask = np.zeros((n, len(used), length), dtype=bool)  # (N, T, L)
    sequences, positions = [], []
    for i in range(n):
        seq = random_sequences(1, length, seed=rng)[0]
        present = np.flatnonzero(y[i])
        starts = _place(rng, length, [used[t].length for t in present])
        sites = []
        for t, start in zip(present, starts, strict=True):
            site = sample_motif(used[t], rng, strength=strength)
            seq = _plant(seq, site, start)
            end = start + used[t].length
            mask[i, t, start:end] = True
            sites.append((names[t], start, end, "+"))
        sequences.append(seq)
        positions.append(sorted(sites, key=lambda s: s[1]))
    return MultiTaskDataset(
        sequences=sequences,
        x=one_hot_encode(sequences),
        y=y,
        task=f"y[:, t] = 1 iff motif t is planted (p = {p}, independently): {', '.join(names)}",
        names=names,
        mask=mask,
        motif_positions=positions,
        motifs={m.name: m for m in used},
    )
