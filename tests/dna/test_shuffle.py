"""Tests for genolearn.dna.shuffle: the Altschul–Erickson dinucleotide shuffle."""

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna.shuffle import dinucleotide_shuffle

pytestmark = pytest.mark.ch06

dna = st.text(alphabet="ACGT", min_size=0, max_size=200)
dna_with_n = st.text(alphabet="ACGTN", min_size=0, max_size=80)


def dinucleotides(s: str) -> Counter:
    return Counter(pairwise(s))


@settings(max_examples=200, deadline=None)
@given(seq=dna, seed=st.integers(0, 2**32 - 1))
def test_dinucleotide_counts_and_ends_are_preserved(seq, seed):
    out = dinucleotide_shuffle(seq, seed)
    assert len(out) == len(seq)
    assert dinucleotides(out) == dinucleotides(seq)
    assert Counter(out) == Counter(seq)
    if seq:
        assert out[0] == seq[0] and out[-1] == seq[-1]


@settings(max_examples=50, deadline=None)
@given(seq=dna_with_n, seed=st.integers(0, 1000))
def test_n_is_a_letter_like_any_other(seq, seed):
    assert dinucleotides(dinucleotide_shuffle(seq, seed)) == dinucleotides(seq)


def test_seeded_and_actually_shuffles():
    seq = "ACGTTGCAAGGCTTAGCACGATCGATCGGGCTAACGT"
    assert dinucleotide_shuffle(seq, 7) == dinucleotide_shuffle(seq, 7)
    outputs = {dinucleotide_shuffle(seq, s) for s in range(20)}
    assert len(outputs) > 10
    rng = np.random.default_rng(0)
    assert dinucleotide_shuffle(seq, rng) != dinucleotide_shuffle(seq, rng)  # state advances


def test_every_valid_shuffle_is_equally_likely():
    """'ACAGA' has 2 shuffles with its dinucleotides (ACAGA, AGACA); both must appear ~equally."""
    counts = Counter(dinucleotide_shuffle("ACAGA", s) for s in range(4000))
    assert set(counts) == {"ACAGA", "AGACA"}
    assert abs(counts["ACAGA"] - 2000) < 200
    # A larger case: 'AACAGATAGCA' has 120 valid shuffles (counted by brute force over all
    # permutations). All must appear, and a chi-square statistic must look uniform:
    # chi2 with 119 degrees of freedom has mean 119 and sd 15.4; 200 is > 5 sd.
    counts = Counter(dinucleotide_shuffle("AACAGATAGCA", s) for s in range(6000))
    assert len(counts) == 120
    mean = 6000 / 120
    assert sum((c - mean) ** 2 / mean for c in counts.values()) < 200


def test_case_and_short_sequences():
    assert dinucleotide_shuffle("acgt", 0).isupper()
    assert dinucleotide_shuffle("", 0) == ""
    assert dinucleotide_shuffle("G", 0) == "G"
    assert dinucleotide_shuffle("GA", 0) == "GA"


def test_errors():
    with pytest.raises(ValueError, match="invalid character 'X' at position 2"):
        dinucleotide_shuffle("ACXT", 0)
    with pytest.raises(TypeError, match="seq must be a DNA string"):
        dinucleotide_shuffle(["ACGT"], 0)
    with pytest.raises(TypeError, match=r"seed must be an int >= 0 or a numpy\.random\.Generator"):
        dinucleotide_shuffle("ACGT", None)
