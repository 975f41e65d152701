import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.dna import (
    count_motif,
    expression_dataset,
    gc_content,
    motif_feature_dataset,
    plant_motif,
    random_sequences,
)
from genolearn.nn import perceptron_predict, train_perceptron

pytestmark = pytest.mark.ch01


@settings(deadline=None, max_examples=100)
@given(st.integers(0, 40), st.text(alphabet="ACGT", min_size=1, max_size=8), st.data())
def test_planted_motif_is_found_where_it_was_put(extra, motif, data):
    seq = random_sequences(1, len(motif) + extra, seed=data.draw(st.integers(0, 10**6)))[0]
    pos = data.draw(st.integers(0, extra))
    planted = plant_motif(seq, motif, pos)
    assert planted[pos : pos + len(motif)] == motif
    assert len(planted) == len(seq)
    assert count_motif(planted, motif) >= 1


def test_plant_motif_past_the_end_is_an_error():
    with pytest.raises(ValueError, match="runs past the end"):
        plant_motif("ACGTACGT", "TATA", 6)


def test_random_sequences_are_seeded_and_respect_gc():
    a = random_sequences(5, 50, seed=3)
    assert a == random_sequences(5, 50, seed=3) and a != random_sequences(5, 50, seed=4)
    rich = random_sequences(1, 20000, gc=0.8, seed=0)[0]
    assert gc_content(rich) == pytest.approx(0.8, abs=0.02)
    with pytest.raises(TypeError, match=r"seed must be an int >= 0 or a numpy\.random\.Generator"):
        random_sequences(1, 10, seed=None)


def test_motif_feature_labels_follow_the_stated_linear_rule():
    data = motif_feature_dataset(n=300, seed=0)
    counts = np.array([count_motif(s, data.motif) for s in data.sequences])
    gcs = np.array([gc_content(s) for s in data.sequences])
    np.testing.assert_array_equal(data.features[:, 0], counts)
    np.testing.assert_allclose(data.features[:, 1], gcs)
    margin = counts - 5 * (gcs - 0.5) - 0.75
    clear = np.abs(margin) > 1e-9  # off the line, floating point decides unambiguously
    np.testing.assert_array_equal(data.labels[clear], (margin[clear] > 0).astype(int))
    assert (data.labels[~clear] == 1).all()  # on the line: label 1 (>=)
    assert 0.3 < data.labels.mean() < 0.8


def test_motif_features_are_linearly_separable_so_the_perceptron_converges():
    data = motif_feature_dataset(n=200, seed=1)
    w, b = train_perceptron(data.features, data.labels, epochs=200, lr=0.1)
    assert (perceptron_predict(data.features, w, b) == data.labels).all()


@pytest.mark.parametrize("rule", ["xor", "and", "linear"])
def test_expression_dataset_rules(rule):
    d = expression_dataset(n_samples=300, n_genes=10, rule=rule, seed=0)
    assert d.X.shape == (300, 10) and d.y.shape == (300,)
    high = d.X[:, :2] > 4
    if rule == "xor":
        np.testing.assert_array_equal(d.y, high[:, 0] ^ high[:, 1])
    elif rule == "and":
        np.testing.assert_array_equal(d.y, high[:, 0] & high[:, 1])
    with pytest.raises(ValueError, match="rule must be one of"):
        expression_dataset(rule="or")
