import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import all_kmers, kmer_counts

pytestmark = pytest.mark.ch00


def naive_counts(s, k):
    words = all_kmers(k)
    counts = dict.fromkeys(words, 0)
    for i in range(len(s) - k + 1):
        w = s[i : i + k].upper()
        if w in counts:
            counts[w] += 1
    return np.array([counts[w] for w in words])


@settings(deadline=None, max_examples=150)
@given(st.text(alphabet="ACGTNacgt", max_size=60), st.integers(1, 4))
def test_matches_naive_counting(s, k):
    np.testing.assert_array_equal(kmer_counts(s, k), naive_counts(s, k))


def test_columns_follow_all_kmers_and_normalize():
    assert all_kmers(1) == ["A", "C", "G", "T"]
    assert all_kmers(2)[:3] == ["AA", "AC", "AG"]
    x = kmer_counts(["ACGT", "AAAA", "N"], 2, normalize=True)
    assert x.shape == (3, 16)
    np.testing.assert_allclose(x.sum(axis=1), [1.0, 1.0, 0.0])


def test_bad_k_is_rejected():
    with pytest.raises(ValueError, match="k must be >= 1, but got 0"):
        kmer_counts("ACGT", 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        kmer_counts("ACGT", 2.0)
    with pytest.raises(ValueError, match=r"seqs\[0\] has invalid character"):
        kmer_counts("ACGU", 2)
