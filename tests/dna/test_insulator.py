"""Tests for genolearn.dna.insulator: the insulator task's ground truth is exact."""

import numpy as np
import pytest

from genolearn.dna import one_hot_decode, one_hot_encode
from genolearn.dna.insulator import SITES, insulator_task
from genolearn.dna.motifs import load_jaspar, pwm_scan

pytestmark = pytest.mark.ch08


@pytest.fixture(scope="module")
def data():
    return insulator_task(300, seed=0)


def test_shapes_balance_and_reproducibility(data):
    assert data.x.shape == (300, 4, 800) and data.x.dtype == np.float32
    assert data.y.shape == (300,) and data.y.dtype == np.int64 and data.y.sum() == 150
    again = insulator_task(300, seed=0)
    np.testing.assert_array_equal(again.x, data.x)
    assert again.motif_positions == data.motif_positions
    assert insulator_task(300, seed=1).sequences != data.sequences
    assert set(data.motifs) == set(SITES.values())


def test_three_strong_sites_far_apart_and_the_label_is_the_insulators_slot(data):
    pwms = {name: load_jaspar(name).pwm() for name in SITES.values()}
    for label, sites, seq, x in zip(
        data.y, data.motif_positions, data.sequences, data.x, strict=True
    ):
        assert sorted(s[0] for s in sites) == sorted(SITES.values())
        starts = [s[1] for s in sites]
        assert np.all(np.diff(starts) >= 150) and starts[0] >= 38 and sites[-1][2] <= 800 - 38
        middle = sites[1][0]
        assert (middle != SITES["insulator"]) == bool(label)  # insulator between: blocked
        assert one_hot_decode(x) == seq
        for name, start, end, strand in sites:
            assert strand == "+" and end - start == load_jaspar(name).length
            # a site drawn from PPM^2 scores well above a random window
            assert pwm_scan(one_hot_encode([seq[start:end]]), pwms[name])[0, 0] > 3


def test_mask_marks_exactly_the_three_sites(data):
    for row, sites in enumerate(data.motif_positions):
        expected = np.zeros(800, bool)
        for _, start, end, _ in sites:
            expected[start:end] = True
        np.testing.assert_array_equal(data.mask[row], expected)


def test_every_arrangement_occurs_and_no_site_alone_tells_the_label():
    data = insulator_task(2000, seed=3)
    orders = {}
    for label, sites in zip(data.y, data.motif_positions, strict=True):
        orders.setdefault(tuple(s[0] for s in sites), set()).add(int(label))
    assert len(orders) == 6 and all(len(labels) == 1 for labels in orders.values())
    # the enhancer and the promoter take every slot in both classes
    for role in ("enhancer", "promoter"):
        for label in (0, 1):
            slots = {
                [s[0] for s in sites].index(SITES[role])
                for y, sites in zip(data.y, data.motif_positions, strict=True)
                if y == label
            }
            assert slots == ({0, 2} if label == 0 else {0, 1, 2})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 390}, "length=390 is too short"),
        ({"min_gap": 5}, "min_gap"),
        ({"n": 1}, "n"),
        ({"gc": 1.5}, "gc"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        insulator_task(**{"n": 10, "seed": 0, **kwargs})
