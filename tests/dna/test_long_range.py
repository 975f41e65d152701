"""Tests for genolearn.dna.long_range: the CTCF loop-orientation task's ground truth is exact."""

import numpy as np
import pytest

from genolearn.dna import one_hot_decode, one_hot_encode, reverse_complement
from genolearn.dna.long_range import ctcf_loop_task
from genolearn.dna.motifs import load_jaspar, pwm_scan

pytestmark = pytest.mark.ch08


@pytest.fixture(scope="module")
def data():
    return ctcf_loop_task(200, seed=0)


def test_shapes_balance_and_reproducibility(data):
    assert data.x.shape == (200, 4, 1000) and data.x.dtype == np.float32
    assert data.y.shape == (200,) and data.y.sum() == 100
    again = ctcf_loop_task(200, seed=0)
    np.testing.assert_array_equal(again.x, data.x)
    assert ctcf_loop_task(200, seed=1).sequences != data.sequences


def test_every_sequence_has_one_site_per_strand_far_apart_and_in_the_label_order(data):
    pwm = load_jaspar("CTCF").pwm()  # (4, 19)
    for label, sites, seq, x in zip(
        data.y, data.motif_positions, data.sequences, data.x, strict=True
    ):
        (_, s1, e1, strand1), (_, s2, e2, strand2) = sites
        assert s2 - s1 >= 500 and e1 - s1 == e2 - s2 == 19
        assert s1 >= 38 and e2 <= 1000 - 38  # 2 K from either end
        assert (strand1, strand2) == (("+", "-") if label else ("-", "+"))
        assert one_hot_decode(x) == seq
        for start, end, strand in ((s1, e1, strand1), (s2, e2, strand2)):
            site = seq[start:end] if strand == "+" else reverse_complement(seq[start:end])
            assert pwm_scan(one_hot_encode([site]), pwm)[0, 0] > 5  # a strong CTCF site


def test_mask_marks_exactly_the_two_sites(data):
    for row, sites in enumerate(data.motif_positions):
        expected = np.zeros(1000, bool)
        for _, start, end, _ in sites:
            expected[start:end] = True
        np.testing.assert_array_equal(data.mask[row], expected)


def test_a_single_site_says_nothing_about_the_label(data):
    """Both classes carry one forward and one reverse site: the counts per strand are equal."""
    strands = [sorted(s[3] for s in sites) for sites in data.motif_positions]
    assert all(s == ["+", "-"] for s in strands)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 590}, "length=590 is too short"),
        ({"min_distance": 5}, "min_distance"),
        ({"n": 1}, "n"),
        ({"gc": 1.5}, "gc"),
        ({"motif": "NOT_A_MOTIF"}, "NOT_A_MOTIF"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises((ValueError, TypeError, KeyError), match=message):
        ctcf_loop_task(**{"n": 10, "seed": 0, **kwargs})
