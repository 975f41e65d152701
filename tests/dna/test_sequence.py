import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import gc_content, one_hot_decode, one_hot_encode, reverse_complement

pytestmark = pytest.mark.ch00

dna = st.text(alphabet="ACGTNacgtn", min_size=0, max_size=80)


@settings(deadline=None, max_examples=200)
@given(dna)
def test_reverse_complement_twice_is_identity(s):
    assert reverse_complement(reverse_complement(s)) == s


@settings(deadline=None, max_examples=100)
@given(st.text(alphabet="ACGTN", min_size=1, max_size=50))
def test_one_hot_reverse_complement_matches_string_version(s):
    assert one_hot_decode(reverse_complement(one_hot_encode(s))) == reverse_complement(s)


def test_reverse_complement_examples():
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgT") == "Acgt"
    batch = one_hot_encode(["AAC", "GTT"])
    assert one_hot_decode(reverse_complement(batch)) == ["GTT", "AAC"]


def test_reverse_complement_errors():
    with pytest.raises(ValueError, match="invalid character 'U' at position 1"):
        reverse_complement("AUG")
    with pytest.raises(ValueError, match=r"must be \(4, L\) or \(N, 4, L\)"):
        reverse_complement(np.zeros((5, 7)))
    with pytest.raises(TypeError, match="DNA string or a one-hot array"):
        reverse_complement(123)


@settings(deadline=None, max_examples=100)
@given(dna)
def test_gc_content_string_and_one_hot_agree(s):
    from_string = gc_content(s)
    if not s:
        assert np.isnan(from_string)
        return
    from_array = gc_content(one_hot_encode(s))
    assert (np.isnan(from_string) and np.isnan(from_array)) or from_string == pytest.approx(
        from_array
    )


def test_gc_content_ignores_n_and_batches():
    assert gc_content("GGCCAATT") == 0.5
    assert gc_content("GGNN") == 1.0
    assert np.isnan(gc_content("NNN"))
    np.testing.assert_allclose(gc_content(one_hot_encode(["GGGG", "ATGC"])), [1.0, 0.5])
