"""Tests for genolearn.dna.real: tasks built from the data files shipped inside logomaker."""

import importlib.util
import subprocess
import sys
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest

from genolearn.dna import one_hot_decode, real
from genolearn.dna.real import (
    DATA_CARD,
    crp_binding_task,
    load_crp_sites,
    load_splice_sites,
    logomaker_datafile,
    splice_site_task,
)

pytestmark = [
    pytest.mark.ch06,
    pytest.mark.skipif(
        importlib.util.find_spec("logomaker") is None, reason="logomaker is not installed"
    ),
]


def signature(seq: str) -> tuple:
    return tuple(sorted(Counter(pairwise(seq)).items()))


def test_crp_sites():
    sites = load_crp_sites()
    assert len(sites) == 308 and len(set(sites)) == 308
    assert len(load_crp_sites(unique=False)) == 358
    assert all(len(s) == 26 and set(s) <= set("ACGT") for s in sites)
    assert sites[0] == "ATAAGCAGGATTTAGCTCACACTTAT"  # caiFp, the first record of the file


def test_crp_task_is_sites_versus_their_dinucleotide_shuffles():
    data = crp_binding_task(0)
    assert data.x.shape == (616, 4, 26) and data.x.dtype == np.float32
    assert int(data.y.sum()) == 308
    assert one_hot_decode(data.x) == data.sequences
    pos = [s for s, y in zip(data.sequences, data.y, strict=True) if y == 1]
    neg = [s for s, y in zip(data.sequences, data.y, strict=True) if y == 0]
    assert set(pos) == set(load_crp_sites())
    assert sorted(map(signature, neg)) == sorted(map(signature, pos))
    assert len(set(neg) & set(pos)) < 5  # a shuffle can rarely give the site back
    assert "dinucleotide shuffle" in data.task


def test_crp_task_options_and_seed():
    a = crp_binding_task(1, length=50, negatives_per_site=2)
    assert a.x.shape == (308 * 3, 4, 50) and int(a.y.sum()) == 308
    sites = set(load_crp_sites())
    positives = [s for s, y in zip(a.sequences, a.y, strict=True) if y == 1]
    assert all(any(s[i : i + 26] in sites for i in range(50 - 26 + 1)) for s in positives)
    assert crp_binding_task(1).sequences == crp_binding_task(1).sequences
    assert crp_binding_task(1).sequences != crp_binding_task(2).sequences
    with pytest.raises(ValueError, match="length must be >= 26"):
        crp_binding_task(0, length=20)


def test_splice_sites():
    seqs, counts = load_splice_sites()
    assert len(seqs) == 10_227 and counts.shape == (10_227,)
    assert int(counts.sum()) == 298_479
    assert all(len(s) == 9 and s[3] == "G" and s[4] in "TC" for s in seqs)
    assert seqs[0] == "CAGGTGAGT" and counts[0] == 3729  # the commonest donor


def test_splice_task_negatives_are_never_donors_and_match_gt_gc():
    data = splice_site_task(0, n=2000)
    assert data.x.shape == (4000, 4, 9)
    observed = set(load_splice_sites()[0])
    y = data.y
    seqs = np.array(data.sequences)
    assert all(s in observed for s in seqs[y == 1])
    assert not any(s in observed for s in seqs[y == 0])
    assert len(set(seqs[y == 0])) == 2000  # drawn without replacement
    gt = lambda group: sum(s[3:5] == "GT" for s in group)  # noqa: E731
    assert gt(seqs[y == 1]) == gt(seqs[y == 0])  # positions 3-4 give nothing away


def test_splice_task_min_count():
    data = splice_site_task(0, min_count=10)
    assert int(data.y.sum()) == 1798
    with pytest.raises(ValueError, match="n must be <= 1798"):
        splice_site_task(0, n=5000, min_count=10)


def test_data_card():
    for words in ["MIT", "RegulonDB", "Salgado", "GENCODE", "Frankish", "308", "10,227"]:
        assert words in DATA_CARD
    assert "DATA_CARD" in real.__doc__


def test_missing_logomaker_gives_a_clear_message(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match=r"not installed.*pip install genolearn\[deep\]"):
        load_crp_sites()


def test_missing_file_gives_a_clear_message(monkeypatch, tmp_path):
    fake = importlib.util.spec_from_loader("logomaker", loader=None, is_package=True)
    fake.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: fake)
    with pytest.raises(FileNotFoundError, match=r"example file .*crp_sites\.fa is missing"):
        logomaker_datafile("crp_sites.fa")


def test_reading_files_does_not_import_logomaker():
    code = (
        "import sys; from genolearn.dna.real import crp_binding_task; crp_binding_task(0); "
        "sys.exit('logomaker imported' if 'logomaker' in sys.modules else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
