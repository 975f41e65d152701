"""Tests for genolearn.dna.synthetic: generated tasks whose ground truth must be exact."""

import subprocess
import sys
from itertools import pairwise

import numpy as np
import pytest

from genolearn.dna import gc_content, one_hot_decode, reverse_complement
from genolearn.dna.motifs import load_jaspar, pwm_scan
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.synthetic import TASKS, SequenceDataset, SyntheticDataset, synthetic_task

pytestmark = pytest.mark.ch05


@pytest.fixture(scope="module", params=TASKS)
def data(request):
    return synthetic_task(
        request.param, n=200, length=150, seed=0, decoy="FOXA1", both_strands=True
    )


def test_shapes_and_types(data):
    n, length = 200, 150
    assert isinstance(data, SyntheticDataset) and len(data) == n
    assert data.x.shape == (n, 4, length) and data.x.dtype == np.float32
    assert data.y.shape == (n,) and data.y.dtype == np.int64
    assert data.mask.shape == (n, length) and data.mask.dtype == bool
    assert len(data.motif_positions) == n
    assert int(data.y.sum()) == n // 2  # balanced
    assert one_hot_decode(data.x) == data.sequences
    assert data.task.startswith(data.task.split(":")[0]) and "y = 1" in data.task


def test_every_planted_site_is_a_sample_of_its_motif(data):
    """Each listed site, read on its strand, uses only bases the PPM allows and scores high."""
    for seq, sites in zip(data.sequences, data.motif_positions, strict=True):
        for name, start, end, strand in sites:
            m = data.motifs[name]
            site = seq[start:end] if strand == "+" else reverse_complement(seq[start:end])
            assert end - start == m.length
            x = one_hot_encode(site)  # (4, K)
            assert np.all(m.ppm[x == 1] > 0), f"{name} site {site} has a base the PPM forbids"
            assert pwm_scan(x[None], m.pwm())[0, 0] > 0  # more motif-like than background


def test_mask_marks_exactly_the_informative_sites(data):
    decoy = "FOXA1"
    for i, sites in enumerate(data.motif_positions):
        expected = np.zeros(150, dtype=bool)
        for name, start, end, _ in sites:
            if name != decoy:
                expected[start:end] = True
        np.testing.assert_array_equal(data.mask[i], expected)


def test_sites_do_not_overlap(data):
    for sites in data.motif_positions:
        spans = sorted((s, e) for _, s, e, _ in sites)
        assert all(e1 <= s2 for (_, e1), (s2, _) in pairwise(spans))


def _present(sites, name):
    return any(n == name for n, *_ in sites)


def test_labels_follow_the_rule(data):
    task = data.task.split(":")[0]
    names = [n for n in data.motifs if n != "FOXA1"]
    for label, sites in zip(data.y, data.motif_positions, strict=True):
        a = _present(sites, names[0])
        b = _present(sites, names[-1])
        if task == "single_motif":
            assert a == bool(label)
        elif task == "motif_and":
            assert (a and b) == bool(label)
        elif task == "motif_xor":
            assert (a != b) == bool(label)
        else:
            starts = {n: s for n, s, *_ in sites}
            assert a and b
            assert (starts[names[0]] < starts[names[1]]) == bool(label)
            assert abs(starts[names[0]] - starts[names[1]]) >= 44  # default min_distance


def test_decoy_is_uninformative(data):
    with_decoy = np.array([_present(s, "FOXA1") for s in data.motif_positions])
    for label in (0, 1):
        assert 0.3 < with_decoy[data.y == label].mean() < 0.7


def test_both_strands_are_used(data):
    strands = {strand for sites in data.motif_positions for *_, strand in sites}
    assert strands == {"+", "-"}


def test_seeded():
    a = synthetic_task("motif_xor", n=50, length=80, seed=3)
    b = synthetic_task("motif_xor", n=50, length=80, seed=3)
    c = synthetic_task("motif_xor", n=50, length=80, seed=4)
    assert a.sequences == b.sequences and a.motif_positions == b.motif_positions
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.sequences != c.sequences
    rng = np.random.default_rng(0)
    assert (
        synthetic_task(n=10, length=40, seed=rng).sequences
        != synthetic_task(n=10, length=40, seed=rng).sequences
    )


def test_defaults_single_motif_ctcf():
    data = synthetic_task(n=20, length=60, seed=0)
    assert list(data.motifs) == ["CTCF"]
    assert "CTCF (MA0139.1)" in data.task
    assert not data.mask[data.y == 0].any()
    assert np.all(data.mask[data.y == 1].sum(axis=1) == 19)


def test_strength_one_samples_the_ppm_itself():
    data = synthetic_task(n=4000, length=19, seed=0, strength=1.0)
    sites = data.x[data.y == 1]  # the site fills the sequence: (n_pos, 4, 19)
    np.testing.assert_allclose(sites.mean(axis=0), load_jaspar("CTCF").ppm, atol=0.03)


def test_gc_confounder_makes_positives_gc_richer():
    data = synthetic_task(n=600, length=200, seed=0, gc_confounder=0.1)
    background = [
        s[:a] + s[b:]
        for s, sites in zip(data.sequences, data.motif_positions, strict=True)
        for a, b in [(sites[0][1], sites[0][2]) if sites else (0, 0)]
    ]
    gc = np.array([gc_content(s) for s in background])
    assert 0.07 < gc[data.y == 1].mean() - gc[data.y == 0].mean() < 0.13
    assert "shortcut" in data.task


def test_custom_motifs_and_min_distance():
    data = synthetic_task(
        "long_range", n=40, length=200, seed=0, motifs=("TBP", "Spi1"), min_distance=110
    )
    for sites in data.motif_positions:
        starts = sorted(s for _, s, *_ in sites)
        assert starts[1] - starts[0] >= 110
        assert starts[0] >= 2 * 17 and max(e for *_, e, _ in sites) <= 200 - 2 * 17


def test_split_and_subset():
    data = synthetic_task(n=100, length=50, seed=0)
    train, val, test = data.split(seed=0)
    assert (len(train), len(val), len(test)) == (70, 15, 15)
    assert isinstance(test, SyntheticDataset)
    assert set(train.sequences).isdisjoint(test.sequences)
    sub = data.subset([5, 2])
    assert sub.sequences == [data.sequences[5], data.sequences[2]]
    np.testing.assert_array_equal(sub.mask, data.mask[[5, 2]])
    assert sub.motif_positions == [data.motif_positions[5], data.motif_positions[2]]
    assert len(data.subset(data.y == 1)) == 50
    assert "positives=50" in repr(data)
    with pytest.raises(ValueError, match="fractions must be two or more positive numbers"):
        data.split((0.5, 0.6), seed=0)


def test_sequence_dataset_is_the_shared_base():
    assert issubclass(SyntheticDataset, SequenceDataset)


def test_errors():
    with pytest.raises(ValueError, match="task must be one of 'single_motif'"):
        synthetic_task("motif_or", seed=0)
    with pytest.raises(ValueError, match=r"task 'motif_and' needs 2 motif\(s\)"):
        synthetic_task("motif_and", motifs=("CTCF",), seed=0)
    with pytest.raises(ValueError, match="no shipped JASPAR motif called 'NOPE'"):
        synthetic_task(motifs="NOPE", seed=0)
    with pytest.raises(ValueError, match="length=10 is too short for motifs of total width 19"):
        synthetic_task(length=10, seed=0)
    with pytest.raises(ValueError, match="length=100 is too short for two sites"):
        synthetic_task("long_range", length=100, min_distance=60, seed=0)
    with pytest.raises(ValueError, match="min_distance is only used by task='long_range'"):
        synthetic_task(min_distance=50, seed=0)
    with pytest.raises(ValueError, match="gc \\+/- gc_confounder / 2 must stay in"):
        synthetic_task(gc=0.9, gc_confounder=0.4, seed=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        synthetic_task(seed=None)
    with pytest.raises(ValueError, match="motifs and decoy must all differ"):
        synthetic_task("motif_and", motifs=("CTCF", "ctcf"), seed=0)
    with pytest.raises(ValueError, match="motifs and decoy must all differ"):
        synthetic_task(decoy="CTCF", seed=0)
    with pytest.raises(TypeError, match="decoy must be a Motif or a motif name"):
        synthetic_task(decoy=3, seed=0)


def test_dna_modules_never_import_torch():
    code = (
        "import sys, genolearn, genolearn.dna.synthetic, genolearn.dna.real, "
        "genolearn.dna.motifs, genolearn.dna.shuffle; "
        "bad = [m for m in ('torch', 'logomaker', 'matplotlib') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
