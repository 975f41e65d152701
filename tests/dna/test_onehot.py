import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import one_hot_decode, one_hot_encode, validate_sequence

pytestmark = pytest.mark.ch00

dna = st.text(alphabet="ACGTN", min_size=0, max_size=60)
dna_mixed_case = st.text(alphabet="ACGTNacgtn", min_size=1, max_size=60)


@settings(deadline=None, max_examples=200)
@given(dna)
def test_decode_encode_is_identity(s):
    assert one_hot_decode(one_hot_encode(s)) == s


@settings(deadline=None, max_examples=100)
@given(st.lists(dna_mixed_case, min_size=1, max_size=5))
def test_columns_sum_to_one_except_at_n(seqs):
    x = one_hot_encode(seqs, pad="right")
    n, four, length = x.shape
    assert (n, four) == (len(seqs), 4) and length == max(map(len, seqs))
    for i, s in enumerate(seqs):
        padded = s.upper().ljust(length, "N")
        expected = np.array([0.0 if c == "N" else 1.0 for c in padded])
        np.testing.assert_array_equal(x[i].sum(axis=0), expected)


def test_channel_order_is_acgt_and_dtype_float32():
    x = one_hot_encode("ACGTN")
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, np.hstack([np.eye(4), np.zeros((4, 1))]).astype(np.float32))


def test_lowercase_is_accepted():
    np.testing.assert_array_equal(one_hot_encode("acgtn"), one_hot_encode("ACGTN"))
    assert validate_sequence("acGt") == "ACGT"


@pytest.mark.parametrize(
    ("seq", "char", "pos"), [("ACXT", "X", 2), ("U", "U", 0), ("AC GT", " ", 2), ("ACGé", "é", 3)]
)
def test_invalid_character_is_named_with_its_position(seq, char, pos):
    with pytest.raises(ValueError, match=f"invalid character {char!r} at position {pos}"):
        one_hot_encode(seq)


def test_error_names_which_sequence_in_a_list():
    with pytest.raises(ValueError, match=r"seqs\[1\] has invalid character 'Z' at position 0"):
        one_hot_encode(["ACGT", "ZCGT"])


def test_unequal_lengths_raise_unless_padding_is_asked_for():
    with pytest.raises(ValueError, match=r"unequal lengths: seqs\[0\] has length 4 but seqs\[1\]"):
        one_hot_encode(["ACGT", "ACG"])
    x = one_hot_encode(["ACGT", "ACG"], pad="right")
    assert one_hot_decode(x) == ["ACGT", "ACGN"]
    assert one_hot_encode(["AC"], pad="right", length=5).shape == (1, 4, 5)
    with pytest.raises(ValueError, match="longer than length=2"):
        one_hot_encode(["ACG"], pad="right", length=2)
    with pytest.raises(ValueError, match="pad must be one of"):
        one_hot_encode(["ACG"], pad="left")


def test_wrong_types_are_rejected_clearly():
    with pytest.raises(TypeError, match="seqs must be a str or a list of str"):
        one_hot_encode(b"ACGT")
    with pytest.raises(TypeError, match="seq must be a DNA string"):
        validate_sequence(42)
    with pytest.raises(ValueError, match="empty list"):
        one_hot_encode([])


def test_decode_rejects_non_one_hot_and_wrong_shapes():
    with pytest.raises(
        ValueError, match=r"x has shape \(5, 3\) but must be \(4, L\) or \(N, 4, L\)"
    ):
        one_hot_decode(np.zeros((5, 3)))
    bad = one_hot_encode("ACGT")
    bad[0, 1] = 1  # two ones in column 1
    with pytest.raises(ValueError, match="not one-hot"):
        one_hot_decode(bad)
    assert one_hot_decode(one_hot_encode(["AC", "GT"])) == ["AC", "GT"]
