"""Single-base variants and their summaries."""

import numpy as np
import pytest

from genolearn.deep.variants import position_effects, rank_positions, single_base_variants
from genolearn.dna import one_hot_decode, one_hot_encode


def test_variants_of_a_short_sequence_in_order():
    x = one_hot_encode(["GA"])[0]  # (4, 2)
    got = [one_hot_decode(v[None])[0] for v in single_base_variants(x)]
    assert got == ["AA", "CA", "TA", "GC", "GG", "GT"]
    assert one_hot_decode(x[None])[0] == "GA"  # the input is unchanged


def test_position_effects_average_the_three_substitutions():
    x = one_hot_encode(["AC"])  # (1, 4, 2)
    effects = np.zeros((1, 4, 2))
    effects[0, 1:, 0] = [-3.0, -6.0, 0.0]  # A -> C, G, T
    effects[0, [0, 2, 3], 1] = [1.0, 2.0, 3.0]  # C -> A, G, T
    np.testing.assert_allclose(position_effects(effects, x), [[-3.0, 2.0]])


def test_rank_positions_ranks_the_largest_first():
    np.testing.assert_array_equal(rank_positions(np.array([0.1, 5.0, 2.0])), [3, 1, 2])


def test_n_columns_and_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="one-hot"):
        single_base_variants(one_hot_encode(["ANC"])[0])
    with pytest.raises(ValueError, match="x"):
        single_base_variants(np.ones((3, 5)))
    with pytest.raises(ValueError, match="x"):
        position_effects(np.zeros((2, 4, 3)), one_hot_encode(["ACG"]))
