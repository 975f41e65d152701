"""A genuinely long-range DNA task: the orientation rule of CTCF-anchored chromatin loops.

Cohesin extrudes a chromatin loop until it meets CTCF bound on both sides; loops form between
CTCF sites whose motifs point *towards* each other (convergent: the upstream site on the
forward strand, the downstream one on the reverse strand), and inverting one site abolishes the
loop (Rao et al. 2014; de Wit et al. 2015). :func:`ctcf_loop_task` plants exactly that
situation in random DNA:

- every sequence carries one forward and one reverse-strand CTCF site, at least
  ``min_distance`` bases apart (500 by default, in 1,000 bases);
- y = 1 when they are convergent (``+`` upstream, ``-`` downstream), y = 0 when they are
  divergent (``-`` upstream, ``+`` downstream).

Both classes contain the same two sites, so "is there a forward site?" and "is there a reverse
site?" say nothing; only their order does. A convolution with a receptive field smaller than
the distance, followed by global pooling, stays at chance; a model must relate positions
hundreds of bases apart. ``mask`` marks the two sites' bases, so attention can be scored.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import as_rng, check_int, check_number
from genolearn.dna.datasets import random_sequences
from genolearn.dna.motifs import _as_motif, sample_motif
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.sequence import reverse_complement
from genolearn.dna.synthetic import SyntheticDataset

__all__ = ["ctcf_loop_task"]


def ctcf_loop_task(
    n: int = 1500,
    length: int = 1000,
    *,
    min_distance: int = 500,
    seed: int | np.random.Generator,
    motif="CTCF",
    gc: float = 0.5,
    strength: float = 2.0,
) -> SyntheticDataset:
    """Convergent (y = 1) or divergent (y = 0) pairs of CTCF sites, far apart.

    Both sites stay ``2 K`` bases from either end (K = the motif's width): a site flush with
    an end lacks the windows that overlap its outer flank, an edge effect through which even a
    position-blind model could tell the order (see ``genolearn.dna.synthetic``).

    Args:
        n: number of sequences (half convergent, rounded down).
        length: L, bases per sequence.
        min_distance: smallest distance between the two sites' starts, in bases.
        seed: int or ``numpy.random.Generator``; the same seed gives the same dataset.
        motif: the motif (name, JASPAR ID or :class:`~genolearn.dna.motifs.Motif`); CTCF
            (MA0139.1, 19 bp) by default.
        gc: expected GC fraction of the background.
        strength: sites are drawn from ``ppm ** strength``, renormalised (see
            :func:`~genolearn.dna.motifs.sample_motif`).

    Returns:
        a :class:`~genolearn.dna.synthetic.SyntheticDataset`: ``x (N, 4, L)`` float32,
        ``y (N,)``, ``mask (N, L)`` True at the two sites' bases, ``motif_positions`` with
        ``(name, start, end, strand)`` of both sites, upstream first.
    """
    n = check_int(n, "n", low=2)
    length = check_int(length, "length", low=1)
    gc = check_number(gc, "gc", low=0.0, high=1.0)
    strength = check_number(strength, "strength", low=0.0)
    ctcf = _as_motif(motif, "motif")
    width = ctcf.length
    min_distance = check_int(min_distance, "min_distance", low=width)
    margin = 2 * width
    last_first = length - margin - min_distance - width  # the latest start of the upstream site
    if last_first < margin:
        raise ValueError(
            f"length={length} is too short for two {width}-bp sites {min_distance} bases apart "
            f"and {margin} bases from either end; "
            f"need length >= {2 * margin + min_distance + width}"
        )
    rng = as_rng(seed)
    y = rng.permutation(np.arange(n) < n // 2).astype(np.int64)  # (N,) balanced
    sequences, positions = [], []
    mask = np.zeros((n, length), dtype=bool)  # (N, L)
    for i in range(n):
        seq = random_sequences(1, length, gc=gc, seed=rng)[0]
        first = int(rng.integers(margin, last_first + 1))
        second = int(rng.integers(first + min_distance, length - margin - width + 1))
        strands = ("+", "-") if y[i] else ("-", "+")  # convergent: -> ... <-
        sites = []
        for start, strand in zip((first, second), strands, strict=True):
            site = sample_motif(ctcf, rng, strength=strength)
            site = site if strand == "+" else reverse_complement(site)
            seq = seq[:start] + site + seq[start + width :]
            sites.append((ctcf.name, start, start + width, strand))
            mask[i, start : start + width] = True
        sequences.append(seq)
        positions.append(sites)
    task = (
        f"ctcf_loop: one forward and one reverse {ctcf.name} ({ctcf.id}) site >= {min_distance} "
        f"bp apart; y = 1 iff convergent (+ upstream, - downstream); sites ~ PPM^{strength:g}; "
        f"background GC {gc:.2f}, L = {length}"
    )
    return SyntheticDataset(
        sequences=sequences,
        x=one_hot_encode(sequences),
        y=y,
        task=task,
        motif_positions=positions,
        mask=mask,
        motifs={ctcf.name: ctcf},
    )
