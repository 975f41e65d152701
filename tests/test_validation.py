import numpy as np
import pytest

from genolearn._validation import as_rng, check_array, check_choice, check_int, check_number


def test_check_array_message_names_argument_received_and_expected():
    with pytest.raises(ValueError, match=r"x has shape \(32, 5, 100\) but must be \(N, 4, L\)"):
        check_array(np.zeros((32, 5, 100)), "x", shape=("N", 4, "L"))


def test_symbols_must_agree_across_arguments():
    sizes = {}
    check_array(np.zeros((3, 2)), "a", shape=("N", "D"), sizes=sizes)
    with pytest.raises(ValueError, match="with N = 3"):
        check_array(np.zeros((4,)), "b", shape=("N",), sizes=sizes)


def test_dtype_finite_and_type_errors():
    with pytest.raises(TypeError, match="x has dtype <U1 but must be numeric"):
        check_array(np.array(["a"]), "x")
    with pytest.raises(TypeError, match="x must be an array, but got 'abc'"):
        check_array("abc", "x")
    with pytest.raises(ValueError, match=r"x must be finite, but contains nan at index \(1,\)"):
        check_array([1.0, np.nan], "x", finite=True)
    with pytest.raises(TypeError, match=r"must be an array"):
        check_array([[1, 2], [3]], "x")


def test_scalars_choices_and_seeds():
    assert check_number(np.float32(0.5), "lr", low=0) == 0.5
    with pytest.raises(TypeError, match="lr must be a real number, but got True"):
        check_number(True, "lr")
    with pytest.raises(ValueError, match="p must be < 1"):
        check_number(1.0, "p", high=1.0, high_inclusive=False)
    assert check_int(np.int64(3), "k") == 3
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b', but got 'c'"):
        check_choice("c", "mode", ["a", "b"])
    rng = np.random.default_rng(0)
    assert as_rng(rng) is rng
    assert as_rng(5).integers(100) == np.random.default_rng(5).integers(100)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        as_rng(-1)
