import numpy as np
import pytest
import torch

from genolearn.nn import neuron_forward, perceptron_predict, perceptron_update, train_perceptron
from tests.gradcheck import assert_close

pytestmark = pytest.mark.ch01


def test_neuron_forward_matches_torch():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(6, 3)), rng.normal(size=3)
    expected = torch.sigmoid(torch.tensor(x) @ torch.tensor(w) + 0.3).numpy()
    assert_close(neuron_forward(x, w, 0.3), expected)


def test_neuron_forward_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"w has shape \(4,\) but must be \(D,\) with D = 3"):
        neuron_forward(np.zeros((2, 3)), np.zeros(4), 0.0)
    with pytest.raises(ValueError, match=r"x has shape \(3,\) \(1-D\) but must be \(N, D\)"):
        neuron_forward(np.zeros(3), np.zeros(3), 0.0)
    with pytest.raises(TypeError, match="b must be a real number"):
        neuron_forward(np.zeros((2, 3)), np.zeros(3), np.zeros(1))


def test_perceptron_update_only_moves_on_mistakes_and_never_mutates():
    w = np.array([1.0, -1.0])
    w_copy = w.copy()
    same = perceptron_update(w, 0.0, np.array([2.0, 1.0]), 1, 0.5)
    np.testing.assert_array_equal(same[0], w)
    moved = perceptron_update(w, 0.0, np.array([2.0, 1.0]), 0, 0.5)
    np.testing.assert_array_equal(moved[0], [0.0, -1.5])
    assert moved[1] == -0.5
    np.testing.assert_array_equal(w, w_copy)
    with pytest.raises(ValueError, match="y must be <= 1, but got 2"):
        perceptron_update(w, 0.0, np.ones(2), 2, 0.5)
    with pytest.raises(ValueError, match=r"lr must be > 0\.0"):
        perceptron_update(w, 0.0, np.ones(2), 1, 0.0)


def test_train_perceptron_learns_and_but_not_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    w, b = train_perceptron(X, np.array([0, 0, 0, 1]), epochs=20)
    np.testing.assert_array_equal(perceptron_predict(X, w, b), [0, 0, 0, 1])
    y_xor = np.array([0, 1, 1, 0])
    for epochs in (10, 100):
        w, b = train_perceptron(X, y_xor, epochs=epochs)
        assert (perceptron_predict(X, w, b) == y_xor).mean() <= 0.75
    with pytest.raises(ValueError, match="y must contain only 0 and 1"):
        train_perceptron(X, np.array([0, 2, 1, 0]), epochs=1)
