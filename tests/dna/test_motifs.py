"""Tests for genolearn.dna.motifs: the shipped JASPAR matrices, sampling and PWM scanning."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import one_hot_encode, random_sequences, reverse_complement
from genolearn.dna.motifs import (
    JASPAR_SOURCE,
    Motif,
    jaspar_database,
    list_motifs,
    load_jaspar,
    ppm_correlation,
    pwm_scan,
    sample_motif,
)

pytestmark = pytest.mark.ch05

SHIPPED = {
    "MA0139.1": ("CTCF", 19),
    "MA0080.6": ("Spi1", 17),
    "MA0035.4": ("GATA1", 11),
    "MA0108.2": ("TBP", 15),
    "MA0018.4": ("CREB1", 13),
    "MA0148.4": ("FOXA1", 12),
}


def test_list_motifs_names_every_shipped_matrix():
    assert dict(list_motifs()) == {i: name for i, (name, _) in SHIPPED.items()}


@pytest.mark.parametrize("motif_id", sorted(SHIPPED))
def test_each_motif_loads_with_its_shape(motif_id):
    name, width = SHIPPED[motif_id]
    m = load_jaspar(motif_id)
    assert (m.id, m.name, m.length) == (motif_id, name, width)
    assert m.counts.shape == (4, width)
    assert np.all(m.counts >= 0)
    np.testing.assert_allclose(m.ppm.sum(axis=0), 1.0)
    # JASPAR counts: every column of a matrix comes from the same set of sites (up to rounding)
    totals = m.counts.sum(axis=0)
    assert totals.max() - totals.min() <= 0.01 * totals.max() + 2


def test_ctcf_counts_are_the_jaspar_values():
    """A guard against a corrupted data file: MA0139.1 as published by JASPAR."""
    m = load_jaspar("CTCF")
    np.testing.assert_array_equal(m.counts[:, 0], [87, 291, 76, 459])
    np.testing.assert_array_equal(m.counts[:, 9], [5, 0, 903, 3])
    np.testing.assert_array_equal(m.counts[:, -1], [402, 181, 266, 59])
    assert m.consensus == "TGGCCACCAGGGGGCGCTA"
    assert load_jaspar("TBP").consensus[1:8] == "TATAAAA"  # the TATA box


def test_source_states_database_licence_and_citation():
    assert jaspar_database().name == "JASPAR2022.sqlite"
    for text in ("JASPAR 2022", "CC BY 4.0", "Castro-Mondragon"):
        assert text in JASPAR_SOURCE
        assert text in load_jaspar("CTCF").source


@pytest.mark.parametrize("key", ["MA0139.1", "MA0139", "ctcf", " CTCF ", "ma0139.1"])
def test_load_by_id_or_name(key):
    assert load_jaspar(key).id == "MA0139.1"


def test_aliases():
    assert load_jaspar("PU.1").name == "Spi1"
    assert load_jaspar("TATA").name == "TBP"


def test_unknown_motif_lists_what_exists():
    with pytest.raises(
        ValueError, match=r"no shipped JASPAR motif called 'SOX2'.*MA0139\.1 \(CTCF\)"
    ):
        load_jaspar("SOX2")
    with pytest.raises(TypeError, match="name_or_id must be"):
        load_jaspar(139)


def test_pwm_formula_and_pseudocount():
    m = load_jaspar("CTCF")
    pwm = m.pwm()
    n = m.counts[:, 4].sum()
    expected = np.log2((m.counts[:, 4] + 0.8 * 0.25) / (n + 0.8) / 0.25)
    np.testing.assert_allclose(pwm[:, 4], expected)
    assert np.all(np.isfinite(pwm))
    with np.errstate(divide="ignore"):
        assert np.isneginf(m.pwm(pseudocount=0)[2, 4])  # G was never seen at column 5
    gc_rich = m.pwm(background=[0.3, 0.2, 0.2, 0.3])
    assert gc_rich[1, 4] > pwm[1, 4]  # C is rarer in this background, so seeing it says more


def test_pwm_rejects_bad_background():
    m = load_jaspar("CTCF")
    with pytest.raises(ValueError, match="background must be 4 positive probabilities"):
        m.pwm(background=[0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"background has shape \(3,\)"):
        m.pwm(background=[0.3, 0.3, 0.4])


def test_motif_validates_counts_and_is_read_only():
    with pytest.raises(ValueError, match=r"counts has shape \(5, 3\) but must be \(4, K\)"):
        Motif("X", "x", np.ones((5, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        Motif("X", "x", -np.ones((4, 3)))
    m = Motif("X", "x", np.ones((4, 3)))
    with pytest.raises(ValueError, match="read-only"):
        m.counts[0, 0] = 5


def test_reverse_complement_motif():
    m = load_jaspar("CTCF")
    assert m.reverse_complement().consensus == reverse_complement(m.consensus)
    np.testing.assert_array_equal(m.reverse_complement().reverse_complement().counts, m.counts)


def test_sample_motif_is_seeded_and_shaped():
    m = load_jaspar("GATA1")
    assert sample_motif(m, 3) == sample_motif(m, 3)
    sites = sample_motif("GATA1", 0, n=5)
    assert len(sites) == 5 and all(len(s) == 11 and set(s) <= set("ACGT") for s in sites)
    assert sample_motif(m, 0, n=0) == []


def test_sample_motif_frequencies_follow_the_ppm():
    m = load_jaspar("CTCF")
    x = one_hot_encode(sample_motif(m, 0, n=20_000))  # (n, 4, K)
    np.testing.assert_allclose(x.mean(axis=0), m.ppm, atol=0.015)


@pytest.mark.parametrize("strength", [0.0, 1.0, 2.0, 10.0])
def test_sample_motif_never_draws_an_impossible_base(strength):
    m = load_jaspar("CTCF")  # column 5 has G = 0, column 10 has C = 0
    x = one_hot_encode(sample_motif(m, 1, n=5000, strength=strength))
    assert np.all(x.sum(axis=0)[m.counts == 0] == 0)


def test_sample_motif_strength_sharpens():
    m = load_jaspar("GATA1")
    weak = sample_motif(m, 0, n=2000, strength=1.0)
    strong = sample_motif(m, 0, n=2000, strength=4.0)
    score = lambda s: pwm_scan(one_hot_encode(s), m.pwm())[:, 0].mean()  # noqa: E731
    assert score(strong) > score(weak) + 2


def test_pwm_scan_is_a_sliding_dot_product():
    rng = np.random.default_rng(0)
    x = one_hot_encode(random_sequences(3, 30, seed=1))
    w = rng.normal(size=(4, 5))
    scores = pwm_scan(x, w)
    assert scores.shape == (3, 26)
    expected = [[np.sum(x[n, :, i : i + 5] * w) for i in range(26)] for n in range(3)]
    np.testing.assert_allclose(scores, expected)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), position=st.integers(0, 60 - 19), minus=st.booleans())
def test_planted_consensus_is_found_where_it_was_put(seed, position, minus):
    m = load_jaspar("CTCF")
    site = reverse_complement(m.consensus) if minus else m.consensus
    seq = random_sequences(1, 60, seed=seed)[0]
    seq = seq[:position] + site + seq[position + 19 :]
    scores = pwm_scan(one_hot_encode([seq]), m.pwm(), both_strands=True)[0]
    assert int(np.argmax(scores)) == position
    forward = pwm_scan(one_hot_encode([seq]), m.pwm())[0]
    assert (forward[position] == scores[position]) != minus


def test_pwm_scan_errors():
    w = np.zeros((4, 5))
    with pytest.raises(
        ValueError, match=r"onehot has shape \(32, 5, 100\) but must be \(N, 4, L\)"
    ):
        pwm_scan(np.zeros((32, 5, 100)), w)
    with pytest.raises(ValueError, match="need 1 <= K <= L"):
        pwm_scan(np.zeros((2, 4, 3)), w)
    with pytest.raises(ValueError, match="pwm must be finite"):
        pwm_scan(np.zeros((2, 4, 10)), np.full((4, 5), -np.inf))


def test_ppm_correlation_finds_a_motif_inside_a_longer_one():
    ctcf = load_jaspar("CTCF")
    r, offset = ppm_correlation(ctcf, ctcf)
    assert r == pytest.approx(1.0) and offset == 0
    core = ctcf.counts[:, 4:14]  # columns 4..13 of CTCF
    r, offset = ppm_correlation(ctcf, core)
    assert r == pytest.approx(1.0) and offset == -4  # column i of CTCF faces column i - 4
    r, offset = ppm_correlation(core, ctcf)
    assert r == pytest.approx(1.0) and offset == 4


def test_ppm_correlation_of_unrelated_motifs_is_low():
    r_same, _ = ppm_correlation(load_jaspar("GATA1"), load_jaspar("GATA1").counts * 3)
    r_other, _ = ppm_correlation(load_jaspar("GATA1"), load_jaspar("CTCF"))
    assert r_same == pytest.approx(1.0)
    assert r_other < 0.8


def test_ppm_correlation_errors():
    with pytest.raises(ValueError, match="min_overlap=12 is longer than the shorter motif"):
        ppm_correlation(load_jaspar("GATA1"), load_jaspar("CTCF"), min_overlap=12)
    with pytest.raises(ValueError, match="non-negative"):
        ppm_correlation(-np.ones((4, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="no offset gives two non-constant overlaps"):
        ppm_correlation(np.ones((4, 3)), np.ones((4, 3)))
