"""Human 5' splice sites (donors) against non-sites, for variant-effect scoring.

:func:`genolearn.dna.real.splice_site_task` pairs each donor 9-mer with a decoy that has the
same ``GT``/``GC``, so a model there never learns that the GT matters. Scoring single-base
variants needs a model that has seen what happens without it: here half of the negatives are
such matched decoys and half are any 9-mer never used as a donor (most lack the GT), so the
model learns both the invariant GT and the flanking consensus.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import as_rng, check_int
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.real import load_splice_sites
from genolearn.dna.synthetic import SequenceDataset

__all__ = ["DONOR_POSITIONS", "DONOR_CONSENSUS", "donor_task"]

#: Position of each column of a donor 9-mer relative to the exon|intron boundary: 3 exonic
#: bases (-3, -2, -1), then the intron (+1 ... +6).
DONOR_POSITIONS: tuple[str, ...] = ("-3", "-2", "-1", "+1", "+2", "+3", "+4", "+5", "+6")

#: The textbook consensus CAG|GTRAGT (R = A or G), column by column: the GT at +1/+2 is
#: invariant (GC at +2 in about 1 % of introns); -1 G and +5 G are the most conserved flanks.
#: Mount SM (1982) Nucleic Acids Res 10:459-472; Roca X, et al. (2013) Genes Dev 27:129-144.
DONOR_CONSENSUS: tuple[str, ...] = ("C", "A", "G", "G", "T", "AG", "A", "G", "T")


def donor_task(
    seed: int | np.random.Generator, *, min_count: int = 1, hard_fraction: float = 0.5
) -> SequenceDataset:
    """Human donor 9-mers (y = 1) vs 9-mers never seen as a donor (y = 0), balanced.

    Args:
        seed: int or ``numpy.random.Generator`` (which negatives, the order).
        min_count: keep donors seen at least this often in hg38 (the file's counts).
        hard_fraction: share of negatives that keep their donor's ``G`` + ``T``/``C`` at
            +1/+2 (the rest are uniform among all never-used 9-mers); in [0, 1].

    Returns:
        a :class:`SequenceDataset`, ``x: (2n, 4, 9)`` one-hot, ``y: (2n,)`` int64, all
        sequences distinct. Source and licence: :data:`genolearn.dna.real.DATA_CARD`.
    """
    rng = as_rng(seed)
    min_count = check_int(min_count, "min_count", low=1)
    if not isinstance(hard_fraction, (int, float)) or not 0 <= hard_fraction <= 1:
        raise ValueError(f"hard_fraction must be a number in [0, 1], but got {hard_fraction!r}")
    sites, counts = load_splice_sites()
    donors = [s for s, c in zip(sites, counts, strict=True) if c >= min_count]
    used = set(sites)  # every 9-mer ever seen as a donor, whatever min_count keeps
    n_hard = round(hard_fraction * len(donors))
    negatives: list[str] = []
    taken: set[str] = set()
    while len(negatives) < len(donors):
        seq = "".join("ACGT"[b] for b in rng.integers(0, 4, size=9))  # uniform 9-mer
        if len(negatives) < n_hard:  # a hard negative: the GT/GC of the next donor
            donor = donors[len(negatives)]
            seq = seq[:3] + donor[3:5] + seq[5:]
        if seq in used or seq in taken:
            continue
        taken.add(seq)
        negatives.append(seq)
    seqs = donors + negatives
    y = np.r_[np.ones(len(donors), np.int64), np.zeros(len(negatives), np.int64)]  # (2n,)
    order = rng.permutation(len(seqs))
    seqs = [seqs[i] for i in order]
    task = f"donor: y = 1 for a human 5' splice site 9-mer (seen >= {min_count} x in hg38), 0 "
    task += f"for a never-used 9-mer ({hard_fraction:.0%} with the donor's GT/GC at +1/+2)"
    return SequenceDataset(sequences=seqs, x=one_hot_encode(seqs), y=y[order], task=task)
