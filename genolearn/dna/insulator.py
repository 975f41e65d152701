"""A three-site long-range task: an insulator between an enhancer and its promoter blocks it.

An enhancer activates a promoter hundreds to thousands of bases away, unless a CTCF-bound
**insulator** lies between them: the enhancer-blocking insulators of the chicken beta-globin
locus (HS4) and of the Igf2/H19 imprinting control region are CTCF sites, and an insulator
outside the enhancer-promoter interval does not block (Bell, West and Felsenfeld 1999; Bell
and Felsenfeld 2000). :func:`insulator_task` plants that rule in random DNA:

- every sequence carries one enhancer site (GATA1, JASPAR MA0035.4, 11 bp), one promoter site
  (TBP, the TATA box, MA0108.2, 15 bp) and one insulator site (CTCF, MA0139.1, 19 bp), all on
  the forward strand, in three slots at least ``min_gap`` bases apart (start to start; 150 by
  default, in 800 bases), in a random order;
- y = 1 (*active*) when the insulator is outside the enhancer-promoter interval (first or last
  of the three), y = 0 (*blocked*) when it sits between them.

Every sequence has the same three sites, so a model that only asks "which sites are there?"
(a convolution with a small receptive field followed by global pooling) stays at chance; the
label is a relation between three positions, the outer two at least ``2 * min_gap`` apart.
``mask`` marks the three sites' bases.

A shortcut remains, as in every order rule on a sequence of fixed length: the middle slot sits
nearer the centre than the outer ones, so the insulator's absolute position alone tells the
classes apart in part (an AUROC of about 0.95 at the defaults, 0.998 with ``min_gap=200``).
A model that scores well may have learned where the insulator usually is, not the rule.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import as_rng, check_int, check_number
from genolearn.dna.alphabet import ALPHABET
from genolearn.dna.motifs import load_jaspar, sample_motif
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.synthetic import SyntheticDataset

__all__ = ["SITES", "insulator_task"]

#: The three roles and their JASPAR motifs.
SITES = {"enhancer": "GATA1", "promoter": "TBP", "insulator": "CTCF"}


def insulator_task(
    n: int = 1500,
    length: int = 800,
    *,
    min_gap: int = 150,
    seed: int | np.random.Generator,
    gc: float = 0.5,
    strength: float = 2.0,
) -> SyntheticDataset:
    """Active (y = 1: insulator outside) or blocked (y = 0: insulator between) arrangements.

    The three slots are drawn uniformly among all placements with consecutive starts at least
    ``min_gap`` apart and every site ``2 K`` bases from either end (K = 19, the widest motif: a
    site flush with an end is an edge effect a position-blind model could use). Half the
    sequences (rounded down) are active; among them the insulator is first or last with equal
    probability, and the enhancer and promoter take the other two slots in a random order.

    Args:
        n: number of sequences.
        length: L, bases per sequence.
        min_gap: smallest distance between the starts of consecutive sites, in bases (at least
            the widest motif, 19); the outer two sites are at least ``2 * min_gap`` apart.
        seed: int or ``numpy.random.Generator``; the same seed gives the same dataset.
        gc: expected GC fraction of the background.
        strength: sites are drawn from ``ppm ** strength``, renormalised (see
            :func:`~genolearn.dna.motifs.sample_motif`).

    Returns:
        a :class:`~genolearn.dna.synthetic.SyntheticDataset`: ``x (N, 4, L)`` float32,
        ``y (N,)`` int64, ``mask (N, L)`` True at the three sites' bases, ``motif_positions``
        with ``(name, start, end, "+")`` of the three sites, upstream first.
    """
    n = check_int(n, "n", low=2)
    length = check_int(length, "length", low=1)
    gc = check_number(gc, "gc", low=0.0, high=1.0)
    strength = check_number(strength, "strength", low=0.0)
    motifs = {role: load_jaspar(name) for role, name in SITES.items()}
    widest = max(m.length for m in motifs.values())
    min_gap = check_int(min_gap, "min_gap", low=widest)
    margin = 2 * widest
    slack = length - 2 * margin - widest - 2 * min_gap  # room left once the gaps are taken
    if slack < 0:
        raise ValueError(
            f"length={length} is too short for three sites {min_gap} bases apart and {margin} "
            f"bases from either end; need length >= {2 * margin + widest + 2 * min_gap}"
        )
    rng = as_rng(seed)
    y = rng.permutation(np.arange(n) < n // 2).astype(np.int64)  # (N,) balanced
    # Three sorted uniform offsets in [0, slack], spread by the gaps: every valid placement of
    # the slots is equally likely (the same law as rejection sampling, without the loop).
    offsets = np.sort(rng.integers(0, slack + 1, size=(n, 3)), axis=1)  # (N, 3)
    slots = margin + offsets + min_gap * np.arange(3)  # (N, 3): starts, upstream first
    # Which role fills which slot: the insulator in the middle (blocked) or at either end.
    insulator = np.where(y == 1, 2 * rng.integers(0, 2, size=n), 1)  # (N,) slot 0, 2 or 1
    others = np.array([[1, 2], [0, 2], [0, 1]])[insulator]  # (N, 2) the remaining slots
    swap = rng.integers(0, 2, size=n).astype(bool)
    others[swap] = others[swap, ::-1]  # enhancer and promoter in a random order
    rows = np.arange(n)
    site_start = {
        "enhancer": slots[rows, others[:, 0]],
        "promoter": slots[rows, others[:, 1]],
        "insulator": slots[rows, insulator],
    }
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])  # A C G T
    codes = rng.choice(4, size=(n, length), p=p).astype(np.uint8)  # (N, L) background
    mask = np.zeros((n, length), dtype=bool)  # (N, L)
    placed: list[list[tuple[int, str, int]]] = [[] for _ in range(n)]
    for role, motif in motifs.items():
        sites = sample_motif(motif, rng, n, strength=strength)
        site_codes = np.frombuffer("".join(sites).encode(), dtype=np.uint8).reshape(n, -1)
        site_codes = np.searchsorted(np.frombuffer(ALPHABET.encode(), dtype=np.uint8), site_codes)
        begin = site_start[role]  # (N,)
        columns = begin[:, None] + np.arange(motif.length)  # (N, K)
        codes[rows[:, None], columns] = site_codes
        mask[rows[:, None], columns] = True
        for i in range(n):
            placed[i].append((int(begin[i]), motif.name, motif.length))
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    sequences = [letters[row].tobytes().decode("ascii") for row in codes]
    positions = [
        [(name, start, start + width, "+") for start, name, width in sorted(sites)]
        for sites in placed
    ]
    task = (
        f"insulator: one enhancer ({SITES['enhancer']}), one promoter ({SITES['promoter']}) and "
        f"one insulator ({SITES['insulator']}) site, >= {min_gap} bp apart; y = 1 iff the "
        f"insulator is outside the enhancer-promoter interval; sites ~ PPM^{strength:g}; "
        f"background GC {gc:.2f}, L = {length}"
    )
    return SyntheticDataset(
        sequences=sequences,
        x=one_hot_encode(sequences),
        y=y,
        task=task,
        motif_positions=positions,
        mask=mask,
        motifs={m.name: m for m in motifs.values()},
    )
