"""Checks for Chapter 5 — the bag-of-k-mers baseline: overlapping k-mer counts read straight off
one-hot DNA."""

from __future__ import annotations

import numpy as np

from genolearn.dna.baselines import kmer_spectrum
from genolearn.exercises.contract import Array, Contract, Number
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["KMER_SPECTRUM"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax", "itertools")


def _encode(*seqs: str) -> np.ndarray:
    """``(N, 4, L)`` float64 one-hot of equal-length strings over ``ACGTN`` (N: zeros)."""
    table = {b: np.eye(4)[i] for i, b in enumerate("ACGT")} | {"N": np.zeros(4)}
    return np.stack([np.array([table[b] for b in s]).T for s in seqs])


def _dna_with_unknowns(rng, shape, dims):
    """One-hot DNA with about one base in eight unknown (an all-zero column)."""
    codes = rng.integers(0, 4, size=(shape[0], shape[2]))
    x = np.moveaxis(np.eye(4)[codes], -1, 1)  # (N, 4, L)
    return x * (rng.random((shape[0], 1, shape[2])) > 0.125)


_KMERS = Contract(
    args=(("x", Array(("N", 4, "L"), _dna_with_unknowns)), ("k", Number(dim="k"))),
    dims={"N": (1, 4), "L": (1, 14), "k": (1, 3)},
    rtol=0.0,
    atol=0.0,
    rtol32=0.0,
    atol32=0.0,
)


def _kmer_reference(x, k):
    # Counts are whole numbers, returned as float64: the features of a logistic regression, and
    # the generic checks every exercise must pass (a NaN or an extra axis must fail,
    # tests/exercises/test_check.py) can only poison a float array.
    return kmer_spectrum(x, k).astype(np.float64)


def _kmer_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_encode("ACGT"), 1), label="ACGT, k = 1: one of each base"),
        Case((_encode("AAAA"), 2), label="AAAA, k = 2: AA three times (overlapping)"),
        Case((_encode("ACGTT", "TTGCA"), 2), label="two sequences, k = 2"),
        Case((_encode("ACNGT"), 2), label="an unknown base: AC and GT only"),
        Case((_encode("CA"), 3), label="L < k: no k-mer at all"),
        Case((_encode("ACG"), 3), label="L = k: exactly one k-mer"),
        Case((_encode("A" * 3001), 1), label="3,001 A: a count beyond float16's exact integers"),
        Case((_encode("TGCA"), 3), label="TGC (index 57) and GCA (index 36)"),
        *_KMERS.draw(rng, 4),
    ]


def _codes(x):
    return x.argmax(axis=1)  # (N, L)


def _counts(x, k, place, skip_unknown=True, step=1):
    n, _, length = x.shape
    out = np.zeros((n, 4**k))
    codes, known = _codes(x), x.sum(axis=1) > 0
    for row in range(n):
        for start in range(0, length - k + 1, step):
            if skip_unknown and not known[row, start : start + k].all():
                continue
            out[row, sum(int(codes[row, start + j]) * place(j, k) for j in range(k))] += 1
    return out


def _kmer_last_base_first(x, k):
    return _counts(x, k, lambda j, k: 4**j)


def _kmer_unknown_as_a(x, k):
    return _counts(x, k, lambda j, k: 4 ** (k - 1 - j), skip_unknown=False)


def _kmer_non_overlapping(x, k):
    return _counts(x, k, lambda j, k: 4 ** (k - 1 - j), step=k)


def _kmer_frequencies(x, k):
    counts = _kmer_reference(x, k)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def _kmer_base_counts(x, k):
    return x.sum(axis=2).astype(np.float64)  # (N, 4): the 1-mer counts whatever k is


KMER_SPECTRUM = register(
    Exercise(
        id="ch5.kmer_spectrum",
        chapter=5,
        title="k-mer counts of one-hot DNA",
        function="kmer_spectrum",
        points=2,
        reference=_kmer_reference,
        make_cases=_kmer_cases,
        contract=_KMERS,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "last base most significant",
                "the k-mer's index was read with its LAST base as the most significant digit; "
                "the first base is: index = sum_j base_j * 4 ** (k - 1 - j), so AC is 1 and "
                "CA is 4.",
                _kmer_last_base_first,
            ),
            Mistake(
                "unknown base counted as A",
                "a window with an unknown base (a column of zeros) was counted, as if the base "
                "were A (argmax of four zeros is 0); skip windows that contain an unknown base.",
                _kmer_unknown_as_a,
            ),
            Mistake(
                "non-overlapping windows",
                "the windows jumped by k; k-mers overlap: a sequence of length L has L - k + 1 "
                "of them.",
                _kmer_non_overlapping,
            ),
            Mistake(
                "frequencies instead of counts",
                "each row was divided by its total; return the counts themselves (whole numbers).",
                _kmer_frequencies,
            ),
            Mistake(
                "base counts",
                "these are the counts of the four bases, whatever k is; count k-mers: 4 ** k "
                "columns.",
                _kmer_base_counts,
            ),
        ),
    )
)
