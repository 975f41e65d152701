"""Tests for genolearn.dna.baselines: the PWM oracle's pieces and k-mer counts of one-hot DNA."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import kmer_counts, one_hot_encode, pwm_scan
from genolearn.dna.baselines import best_pwm_score, best_threshold, kmer_spectrum, pwm_from_sites
from genolearn.dna.motifs import Motif, load_jaspar

pytestmark = pytest.mark.ch05

DNA = st.text(alphabet="ACGTN", min_size=1, max_size=30)


def test_pwm_from_sites_by_hand():
    sites = one_hot_encode(["AC", "AG", "AT", "AA"])  # (4, 4, 2)
    pwm = pwm_from_sites(sites, pseudocount=1.0)
    # position 0: A seen 4 times -> (4 + 1) / (4 + 4) = 5/8; others 1/8
    np.testing.assert_allclose(pwm[:, 0], np.log2(np.array([5, 1, 1, 1]) / 8 / 0.25))
    np.testing.assert_allclose(pwm[:, 1], np.log2(np.array([2, 2, 2, 2]) / 8 / 0.25))
    assert pwm.dtype == np.float64 and pwm.shape == (4, 2)


def test_pwm_from_sites_matches_motif_pwm_with_its_pseudocount_convention():
    ctcf = load_jaspar("CTCF")
    rng = np.random.default_rng(0)
    sites = np.eye(4)[rng.integers(0, 4, size=(50, 7))].transpose(0, 2, 1)  # (50, 4, 7)
    # Motif.pwm shares a total pseudocount c over the background: c / 4 per base
    motif = Motif("x", "x", sites.sum(axis=0))
    np.testing.assert_allclose(pwm_from_sites(sites, pseudocount=0.2), motif.pwm(pseudocount=0.8))
    assert ctcf.length == 19


def test_pwm_from_sites_refuses_bad_input():
    with pytest.raises(ValueError, match="sites has shape"):
        pwm_from_sites(np.zeros((3, 5, 4)))
    with pytest.raises(ValueError, match="pseudocount must be > 0"):
        pwm_from_sites(one_hot_encode(["ACG"]), pseudocount=0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="ACGT", min_size=8, max_size=8), min_size=1, max_size=5))
def test_best_pwm_score_is_the_max_of_pwm_scan(seqs):
    x = one_hot_encode(seqs)
    pwm = np.random.default_rng(len(seqs)).normal(size=(4, 3))
    np.testing.assert_allclose(best_pwm_score(x, pwm), pwm_scan(x, pwm).max(axis=1))


def test_best_pwm_score_refuses_a_pwm_wider_than_the_sequences():
    with pytest.raises(ValueError, match="needs 1 <= K <= L"):
        best_pwm_score(one_hot_encode(["ACG"]), np.zeros((4, 5)))


def test_best_threshold_by_hand_and_ties():
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    y = np.array([0, 0, 1, 1])
    assert best_threshold(scores, y) == 0.35  # 3 of 4 right; 0.8 also gets 3: the smaller wins
    assert best_threshold(np.array([1.0, 2.0]), np.array([1, 0])) == 1.0  # calls all: 1 of 2
    assert best_threshold(np.array([3.0, 3.0, 5.0]), np.array([0.0, 0.0, 1.0])) == 5.0


def test_best_threshold_is_the_brute_force_optimum():
    rng = np.random.default_rng(1)
    for _ in range(20):
        s = np.round(rng.normal(size=15), 1)
        y = rng.integers(0, 2, size=15)
        acc = {t: np.mean((s >= t) == y) for t in np.unique(s)}
        best = max(acc.values())
        assert best_threshold(s, y) == min(t for t, a in acc.items() if a == best)


def test_best_threshold_refuses_bad_labels():
    with pytest.raises(ValueError, match="0/1 labels"):
        best_threshold(np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(ValueError, match="y has shape"):
        best_threshold(np.array([0.1, 0.2]), np.array([0, 1, 1]))


@settings(max_examples=60, deadline=None)
@given(st.lists(DNA, min_size=1, max_size=4), st.integers(1, 4))
def test_kmer_spectrum_equals_kmer_counts_of_the_strings(seqs, k):
    length = max(len(s) for s in seqs)
    padded = [s + "N" * (length - len(s)) for s in seqs]
    np.testing.assert_array_equal(kmer_spectrum(one_hot_encode(padded), k), kmer_counts(padded, k))


def test_kmer_spectrum_short_sequences_and_errors():
    assert kmer_spectrum(one_hot_encode(["AC"]), 3).shape == (1, 64)
    assert kmer_spectrum(one_hot_encode(["AC"]), 3).sum() == 0
    with pytest.raises(ValueError, match="k must be <= 6"):
        kmer_spectrum(one_hot_encode(["ACGT"]), 7)
    with pytest.raises(ValueError, match=r"x has shape"):
        kmer_spectrum(np.zeros((2, 5, 3)), 1)
