"""Tests for genolearn.deep.cnn: numpy references against torch in float64, and the models."""

import numpy as np
import pytest
import torch

from genolearn.deep.cnn import FNN, MotifCNN, conv1d_numpy, max_pool1d_numpy
from genolearn.dna import one_hot_encode, random_sequences
from genolearn.dna.motifs import load_jaspar, pwm_scan
from tests.gradcheck import assert_close, torch_forward_backward

pytestmark = pytest.mark.ch06
torch.set_num_threads(1)


@pytest.mark.parametrize(
    ("n", "c", "length", "f", "k"), [(2, 4, 10, 3, 3), (1, 4, 7, 1, 7), (3, 5, 20, 8, 1)]
)
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_numpy_matches_torch(n, c, length, f, k, bias):
    rng = np.random.default_rng(n * 100 + k)
    x, w, b = rng.normal(size=(n, c, length)), rng.normal(size=(f, c, k)), rng.normal(size=f)
    if bias:
        expected, _ = torch_forward_backward(torch.nn.functional.conv1d, [x, w, b])
        got = conv1d_numpy(x, w, b)
    else:
        expected, _ = torch_forward_backward(torch.nn.functional.conv1d, [x, w])
        got = conv1d_numpy(x, w)
    assert_close(got, expected, what="conv1d_numpy")
    assert got.shape == (n, f, length - k + 1)


def test_conv1d_with_a_pwm_is_a_pwm_scan():
    x = one_hot_encode(random_sequences(4, 50, seed=0))
    pwm = load_jaspar("CREB1").pwm()
    assert_close(conv1d_numpy(x, pwm[None])[:, 0], pwm_scan(x, pwm))


@pytest.mark.parametrize(
    ("kernel", "stride"), [(2, None), (3, 1), (3, 2), (5, 5), (4, 3), (10, None)]
)
def test_max_pool1d_numpy_matches_torch(kernel, stride):
    x = np.random.default_rng(kernel).normal(size=(2, 3, 10))
    expected, _ = torch_forward_backward(
        lambda t: torch.nn.functional.max_pool1d(t, kernel, stride), [x]
    )
    assert_close(max_pool1d_numpy(x, kernel, stride), expected, what="max_pool1d_numpy")


def test_numpy_reference_errors():
    with pytest.raises(
        ValueError, match=r"w has shape \(2, 5, 3\) but must be \(F, C, K\) with C = 4"
    ):
        conv1d_numpy(np.zeros((1, 4, 10)), np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="w has width K = 12 but x has length L = 10"):
        conv1d_numpy(np.zeros((1, 4, 10)), np.zeros((2, 4, 12)))
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but must be \(F,\) with F = 2"):
        conv1d_numpy(np.zeros((1, 4, 10)), np.zeros((2, 4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="kernel_size must be <= 10"):
        max_pool1d_numpy(np.zeros((1, 4, 10)), 11)


@pytest.mark.parametrize(("length", "k", "outputs"), [(100, 19, 1), (19, 19, 3), (50, 5, 2)])
def test_motif_cnn_shapes_follow_the_formula(length, k, outputs):
    torch.manual_seed(0)
    model = MotifCNN(8, k, n_outputs=outputs)
    x = torch.as_tensor(one_hot_encode(random_sequences(5, length, seed=0)))
    assert model.conv(x).shape == (5, 8, length - k + 1)  # L_out = L - K + 1
    assert model(x).shape == (5, outputs)


def test_motif_cnn_is_translation_invariant():
    """Global max pooling: moving the only motif copy does not change the output...

    ...as long as it stays K - 1 bases from either end: nearer, some windows that overlap it
    partly are missing (the edge effect synthetic_task's long_range avoids with a margin).
    """
    torch.manual_seed(0)
    model = MotifCNN(4, 19).eval()
    site = load_jaspar("CTCF").consensus
    background = "A" * 80
    seqs = [background[:p] + site + background[p + 19 :] for p in (18, 30, 43)]
    out = model(torch.as_tensor(one_hot_encode(seqs)))
    torch.testing.assert_close(out, out[:1].expand(3, -1))


def test_motif_cnn_hidden_layer():
    model = MotifCNN(8, 5, hidden=6, n_outputs=2)
    assert model.hidden[0].in_features == 8 and model.linear.in_features == 6
    assert model(torch.zeros(3, 4, 20)).shape == (3, 2)
    assert isinstance(MotifCNN(8, 5, hidden=0).hidden, torch.nn.Identity)


def test_model_errors_teach_the_layout():
    model = MotifCNN(4, 19)
    with pytest.raises(ValueError, match=r"looks like \(N, L, 4\): use x.transpose\(1, 2\)"):
        model(torch.zeros(2, 100, 4))
    with pytest.raises(ValueError, match=r"add a batch axis with x\[None\]"):
        model(torch.zeros(4, 100))
    with pytest.raises(ValueError, match="shorter than kernel_size K = 19"):
        model(torch.zeros(2, 4, 10))
    with pytest.raises(TypeError, match=r"MotifCNN takes a torch\.Tensor"):
        model(np.zeros((2, 4, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="n_filters must be >= 1"):
        MotifCNN(0)
    with pytest.raises(ValueError, match=r"dropout must be < 1\.0"):
        MotifCNN(dropout=1.0)


def test_fnn_shapes_and_fixed_length():
    torch.manual_seed(0)
    model = FNN(30, hidden=(16, 8), n_outputs=2)
    assert model(torch.zeros(3, 4, 30)).shape == (3, 2)
    assert model.net[0].in_features == 4 * 30
    assert len(FNN(30, hidden=()).net) == 1  # no hidden layer: logistic regression
    with pytest.raises(ValueError, match="built for length=30; a fully connected layer needs"):
        model(torch.zeros(3, 4, 31))
