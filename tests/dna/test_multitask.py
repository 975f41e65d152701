"""Tests for genolearn.dna.multitask: independent labels, exact masks, planted sites found."""

import numpy as np
import pytest

from genolearn.dna import one_hot_decode
from genolearn.dna.motifs import load_jaspar, pwm_scan
from genolearn.dna.multitask import MultiTaskDataset, multitask_task

pytestmark = pytest.mark.ch06


@pytest.fixture(scope="module")
def data():
    return multitask_task(n=300, length=150, p=0.4, seed=0)


def test_shapes_types_and_rates(data):
    assert isinstance(data, MultiTaskDataset) and len(data) == 300
    assert data.x.shape == (300, 4, 150) and data.x.dtype == np.float32
    assert data.y.shape == (300, 4) and set(np.unique(data.y)) <= {0, 1}
    assert data.mask.shape == (300, 4, 150)
    assert np.all(np.abs(data.y.mean(axis=0) - 0.4) < 0.1)
    # independent: the labels of two motifs are nearly uncorrelated
    assert abs(np.corrcoef(data.y[:, 0], data.y[:, 1])[0, 1]) < 0.2


def test_masks_mark_exactly_the_planted_sites(data):
    for i in range(len(data)):
        assert one_hot_decode(data.x[i]) == data.sequences[i]
        for t, name in enumerate(data.names):
            sites = [s for s in data.motif_positions[i] if s[0] == name]
            assert len(sites) == data.y[i, t]
            expected = np.zeros(150, dtype=bool)
            for _, start, end, _ in sites:
                expected[start:end] = True
            np.testing.assert_array_equal(data.mask[i, t], expected)
        assert data.mask[i].sum(axis=0).max() <= 1  # sites never overlap


def test_the_true_pwm_scores_planted_sites_highest(data):
    ctcf = load_jaspar("CTCF")
    t = data.names.index("CTCF")
    best = pwm_scan(data.x, ctcf.pwm()).argmax(axis=1)
    starts = [
        next(s[1] for s in p if s[0] == "CTCF")
        for p, yy in zip(data.motif_positions, data.y[:, t], strict=True)
        if yy
    ]
    assert np.mean(best[data.y[:, t] == 1] == np.array(starts)) > 0.95


def test_same_seed_same_data_and_split_keeps_the_fields():
    a, b = multitask_task(n=20, seed=3), multitask_task(n=20, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    train = a.split(seed=0)[0]
    assert train.y.shape[1] == 4 and train.mask.shape[1:] == (4, 200) and train.names == a.names


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="p must be < 1"):
        multitask_task(n=5, p=1.0, seed=0)
    with pytest.raises(ValueError, match="too short"):
        multitask_task(n=5, length=30, seed=0)
    with pytest.raises(ValueError, match="must all differ"):
        multitask_task(("CTCF", "CTCF"), n=5, seed=0)
    with pytest.raises(TypeError, match="motifs must be"):
        multitask_task("CTCF", n=5, seed=0)
