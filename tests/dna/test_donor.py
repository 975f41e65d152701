"""Donor 9-mers against never-used 9-mers."""

import numpy as np

from genolearn.dna.donor import DONOR_CONSENSUS, DONOR_POSITIONS, donor_task
from genolearn.dna.real import load_splice_sites


def test_balanced_distinct_and_negatives_never_used():
    data = donor_task(0, min_count=3)
    sites, counts = load_splice_sites()
    used = set(sites)
    assert data.x.shape == (len(data.y), 4, 9) and data.y.sum() * 2 == len(data.y)
    assert len(set(data.sequences)) == len(data.sequences)
    negatives = [s for s, y in zip(data.sequences, data.y, strict=True) if y == 0]
    positives = {s for s, y in zip(data.sequences, data.y, strict=True) if y == 1}
    assert not used & set(negatives)
    assert positives == {s for s, c in zip(sites, counts, strict=True) if c >= 3}
    gy = np.mean([s[3] == "G" and s[4] in "TC" for s in negatives])
    assert 0.5 <= gy < 0.6  # the hard half, plus the uniform ones that happen to have GT/GC


def test_reproducible_and_seed_dependent():
    a, b, c = donor_task(1, min_count=5), donor_task(1, min_count=5), donor_task(2, min_count=5)
    assert a.sequences == b.sequences and a.sequences != c.sequences


def test_consensus_has_one_entry_per_position():
    assert len(DONOR_CONSENSUS) == len(DONOR_POSITIONS) == 9
    assert DONOR_CONSENSUS[3:5] == ("G", "T")
