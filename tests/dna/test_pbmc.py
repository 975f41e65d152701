"""The PBMC cells shipped in scanpy's wheel, read with h5py."""

import importlib.util

import numpy as np
import pytest

from genolearn.dna import pbmc
from genolearn.dna.pbmc import PBMC_COARSE, PBMC_MARKERS, load_pbmc

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scanpy") is None or importlib.util.find_spec("h5py") is None,
    reason="scanpy's data file (requirements/nodeps.txt) and h5py are not installed",
)


def test_lineages_shapes_and_markers():
    data = load_pbmc()
    assert data.X.shape == (700, 765) and data.X.dtype == np.float32
    assert data.classes == tuple(PBMC_MARKERS)
    np.testing.assert_array_equal(np.bincount(data.y), [192, 129, 95, 13, 31, 240])
    assert len(data.cells) == 700 and len(set(data.cells)) == 700
    for genes in data.markers.values():
        assert set(genes) <= set(data.genes)
    assert data.X.min() == 0.0 and 0.6 < np.mean(data.X == 0) < 0.7  # log1p, mostly zeros


def test_bulk_labels_refine_the_lineages():
    coarse, bulk = load_pbmc(), load_pbmc(coarse="bulk")
    assert len(bulk.classes) == 10 and set(bulk.classes) == set(PBMC_COARSE)
    lineage = np.array([coarse.classes.index(PBMC_COARSE[c]) for c in bulk.classes])
    np.testing.assert_array_equal(lineage[bulk.y], coarse.y)
    np.testing.assert_array_equal(bulk.X, coarse.X)


def test_bad_choice_and_missing_file_are_explained(monkeypatch):
    with pytest.raises(ValueError, match="coarse"):
        load_pbmc(coarse="fine")
    monkeypatch.setattr(pbmc.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps scanpy"):
        load_pbmc()
