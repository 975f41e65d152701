import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genolearn.exercises.compare import compare, summarize


@settings(deadline=None, max_examples=50)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5), elements=st.floats(-1e6, 1e6))
)
def test_an_array_matches_itself_but_not_its_float32_copy(x):
    assert compare(x, x.copy()) is None
    assert compare(x, x.astype(np.float32)).kind == "dtype"
    # posed in float32, a float32 copy of the float32 values matches, and so does float64
    x32 = x.astype(np.float32)
    assert compare(x32, x32.copy(), itemsize=4) is None
    assert compare(x32, x32.astype(np.float64), itemsize=4) is None


def test_float16_answer_to_a_float32_problem_is_a_dtype_mismatch():
    m = compare(np.ones(3, np.float32), np.ones(3, np.float16), itemsize=4)
    assert m.kind == "dtype" and "float32" in m.message and "float16" in m.message


def test_tolerance_comes_from_the_problem_not_the_answer():
    exp = np.array([0.1, 0.7, 1.3])
    roundtrip = exp.astype(np.float32).astype(np.float64)  # float64 dtype, float32 digits
    assert compare(exp, roundtrip, rtol=1e-9, atol=1e-12).kind == "value"


def test_expected_infinity_is_matched_only_by_the_same_infinity():
    exp = np.array([1.0, np.inf, -np.inf, np.nan])
    assert compare(exp, exp.copy()) is None
    for i, bad in [(1, 1e308), (1, -np.inf), (2, np.inf), (2, 0.0), (3, 0.0), (1, np.nan)]:
        got = exp.copy()
        got[i] = bad
        m = compare(exp, got)
        assert m is not None and m.kind == "nonfinite" and m.index == (i,), (i, bad)
    assert compare(np.inf, 1e300).kind == "nonfinite"


def test_shape_must_match_exactly_no_broadcasting():
    m = compare(np.zeros(5), np.zeros((5, 1)))
    assert m.kind == "shape" and "broadcast" in m.message


def test_transposed_answer_is_a_shape_mismatch():
    m = compare(np.zeros((2, 3)), np.zeros((3, 2)))
    assert m.kind == "shape" and "same number of elements" in m.message


def test_list_instead_of_array_is_a_type_mismatch_with_hint():
    m = compare(np.zeros(3), [0.0, 0.0, 0.0])
    assert m.kind == "type" and "np.array" in m.message


def test_integer_array_for_float_answer_is_a_dtype_mismatch():
    assert compare(np.zeros(3), np.zeros(3, dtype=int)).kind == "dtype"


def test_nan_where_finite_expected_is_reported_with_index():
    m = compare(np.array([1.0, 2.0]), np.array([1.0, np.nan]))
    assert m.kind == "nonfinite" and m.index == (1,)


def test_value_mismatch_reports_largest_error_and_where():
    m = compare(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.1]))
    assert m.kind == "value" and m.index == (1,) and m.max_error == pytest.approx(0.5)


def test_tuples_compare_part_by_part():
    assert compare((np.ones(2), 1.0), (np.ones(2), 1.0)) is None
    m = compare((np.ones(2), 1.0), (np.ones(2), 2.0))
    assert m.path == "[1]"
    assert compare((np.ones(2), 1.0), [np.ones(2)]).kind == "length"


def test_scalars_accept_numpy_numbers_and_0d_arrays_but_not_bool_or_arrays():
    assert compare(0.5, np.float64(0.5)) is None
    assert compare(0.5, np.float32(0.5)).kind == "dtype"  # a float64 problem
    assert compare(0.5, np.float32(0.5), itemsize=4) is None
    assert compare(0.5, np.array(0.5)) is None
    assert compare(1.0, True).kind == "type"
    assert compare(0.5, np.array([0.5])).kind == "shape"


def test_summarize_never_calls_a_custom_repr():
    class Sneaky:
        def __repr__(self):
            raise RuntimeError("boom")

    assert "Sneaky" in summarize(Sneaky())
