"""Dinucleotide shuffling: the standard background for "is this a real binding site?".

A mononucleotide shuffle keeps base composition but destroys CpG depletion and other
neighbour statistics, so a model can tell real from shuffled DNA for the wrong reason. The
Altschul–Erickson shuffle keeps the exact count of every dinucleotide (and so also the base
composition and the first and last base) while scrambling everything longer.

Reference: Altschul SF, Erickson BW (1985) Significance of nucleotide sequence alignments: a
method for random sequence permutation that preserves dinucleotide and codon usage.
*Mol Biol Evol* 2(6):526–538.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from genolearn._validation import as_rng
from genolearn.dna.onehot import validate_sequence

__all__ = ["dinucleotide_shuffle"]


def _random_last_edges(
    successors: dict[str, list[str]], last: str, rng: np.random.Generator
) -> dict[str, str]:
    """Pick, for every letter but ``last``, the edge it leaves by for the last time.

    Those "last exits" must form a tree pointing at ``last`` (every letter reaches ``last``
    by following them); otherwise the walk would strand itself before using every edge.
    Choosing each exit uniformly and rejecting non-trees samples such trees correctly.
    """
    letters = [v for v in successors if v != last]
    while True:
        exit_to = {v: successors[v][rng.integers(len(successors[v]))] for v in letters}
        if all(_reaches(v, last, exit_to) for v in letters):
            return exit_to


def _reaches(start: str, last: str, exit_to: dict[str, str]) -> bool:
    seen, v = set(), start
    while v != last:
        if v in seen:  # a cycle that never reaches ``last``
            return False
        seen.add(v)
        v = exit_to[v]
    return True


def dinucleotide_shuffle(seq: str, seed: int | np.random.Generator) -> str:
    """Shuffle ``seq`` keeping the exact count of every dinucleotide (Altschul–Erickson).

    View the sequence as a walk on a graph whose vertices are letters and whose edges are the
    L - 1 overlapping dinucleotides. Every Eulerian walk from the first letter to the last uses
    each dinucleotide exactly once, so it is a valid shuffle. The algorithm:

    1. for each letter except the last, choose at random which of its outgoing edges is used
       last; accept the choice only if these edges form a tree rooted at the final letter;
    2. randomly order each letter's remaining outgoing edges and append its chosen last edge;
    3. walk from the first letter, always taking the next unused edge.

    The output starts and ends with the same letters as ``seq``, has the same composition and
    the same dinucleotide counts. ``N`` is treated as a fifth letter. Case is upper-cased.

    Args:
        seq: a DNA string (``ACGTN``, any case).
        seed: int or ``numpy.random.Generator``.

    Returns:
        the shuffled string, of the same length.
    """
    seq = validate_sequence(seq, "seq")
    rng = as_rng(seed)
    if len(seq) <= 2:
        return seq  # nothing to permute: one dinucleotide at most
    successors: dict[str, list[str]] = {}
    for a, b in pairwise(seq):
        successors.setdefault(a, []).append(b)
    last = seq[-1]
    exit_to = _random_last_edges(successors, last, rng)
    for v, edges in successors.items():
        order = list(rng.permutation(len(edges)))
        if v != last:
            order.remove(edges.index(exit_to[v]))  # hold one copy of the exit edge back...
        edges[:] = [edges[i] for i in order]
        if v != last:
            edges.append(exit_to[v])  # ...and use it last
    position = {v: 0 for v in successors}
    out = [seq[0]]
    for _ in range(len(seq) - 1):
        v = out[-1]
        out.append(successors[v][position[v]])
        position[v] += 1
    return "".join(out)
