"""Tests for genolearn.deep.rnn: numpy LSTM/GRU steps against torch cells, and SequenceRNN."""

import numpy as np
import pytest
import torch

from genolearn.deep.rnn import SequenceRNN, gru_cell_step_numpy, lstm_cell_step_numpy
from tests.gradcheck import assert_close

pytestmark = pytest.mark.ch07
torch.set_num_threads(1)

SHAPES = [(1, 4, 1), (3, 4, 5), (2, 7, 3)]  # (N, D, H)


def _params(cell):
    return [p.detach().numpy() for p in cell.parameters()]  # w_ih, w_hh, b_ih, b_hh


@pytest.mark.parametrize(("n", "d", "h"), SHAPES)
def test_lstm_step_matches_torch_lstmcell(n, d, h):
    torch.manual_seed(n + d + h)
    cell = torch.nn.LSTMCell(d, h).double()
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
    h1, c1 = cell(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    got_h, got_c = lstm_cell_step_numpy(x, h0, c0, *_params(cell))
    assert_close(got_h, h1.detach().numpy(), what="h'")
    assert_close(got_c, c1.detach().numpy(), what="c'")


@pytest.mark.parametrize(("n", "d", "h"), SHAPES)
def test_gru_step_matches_torch_grucell(n, d, h):
    torch.manual_seed(n + d + h)
    cell = torch.nn.GRUCell(d, h).double()
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(n, d)), rng.normal(size=(n, h))
    expected = cell(torch.tensor(x), torch.tensor(h0)).detach().numpy()
    assert_close(gru_cell_step_numpy(x, h0, *_params(cell)), expected, what="GRU h'")


def test_cells_without_bias_and_with_extreme_inputs():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(4, 3, bias=False).double()
    x = np.full((2, 4), 400.0)  # exp(-400) would underflow a naive sigmoid's denominator
    h0 = c0 = np.zeros((2, 3))
    h1, _ = cell(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    got_h, got_c = lstm_cell_step_numpy(x, h0, c0, *_params(cell))
    assert_close(got_h, h1.detach().numpy())
    assert np.all(np.isfinite(got_h)) and np.all(np.isfinite(got_c))


def test_cell_shape_errors():
    w_ih, w_hh = np.zeros((12, 4)), np.zeros((12, 3))
    with pytest.raises(ValueError, match=r"w_ih has shape \(12, 4\) but must be \(9, D\)"):
        gru_cell_step_numpy(np.zeros((2, 4)), np.zeros((2, 3)), w_ih, w_hh)
    with pytest.raises(ValueError, match=r"h has shape \(5, 3\) but must be \(N, H\) with N = 2"):
        lstm_cell_step_numpy(np.zeros((2, 4)), np.zeros((5, 3)), np.zeros((5, 3)), w_ih, w_hh)


def test_numpy_unroll_reproduces_the_model():
    """Run lstm_cell_step_numpy along the sequence: the last state gives the model's logits."""
    torch.manual_seed(0)
    model = (
        SequenceRNN("lstm", hidden=5, conv_filters=None, bidirectional=False, readout="last")
        .double()
        .eval()
    )
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 12)), 4).double().transpose(1, 2)
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in model.rnn.parameters())
    h = c = np.zeros((3, 5))
    for t in range(12):
        h, c = lstm_cell_step_numpy(x[:, :, t].numpy(), h, c, w_ih, w_hh, b_ih, b_hh)
    logits = h @ model.linear.weight.detach().numpy().T + model.linear.bias.detach().numpy()
    assert_close(logits, model(x).detach().numpy(), rtol=1e-9)


def test_defaults_are_the_recipe():
    """Chapter 7 and benchmarks/recipes.py measure exactly this model: conv 64 x 12, ReLU,
    max pool 4, a bidirectional LSTM of 32 per direction, max over positions, one logit."""
    model = SequenceRNN()
    assert (model.conv.out_channels, model.conv.kernel_size, model.conv_pool) == (64, (12,), 4)
    assert (model.rnn.hidden_size, model.rnn.bidirectional, model.rnn.num_layers) == (32, True, 1)
    assert (model.readout, model.linear.out_features, model.dropout.p) == ("max", 1, 0.0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("readout", ["last", "mean", "max"])
@pytest.mark.parametrize("conv_filters", [None, 5])
def test_sequence_rnn_shapes(kind, bidirectional, readout, conv_filters):
    torch.manual_seed(0)
    model = SequenceRNN(
        kind,
        6,
        conv_filters=conv_filters,
        bidirectional=bidirectional,
        readout=readout,
        n_layers=2,
        n_outputs=3,
    )
    assert model(torch.zeros(2, 4, 21)).shape == (2, 3)
    assert model.linear.in_features == 6 * (2 if bidirectional else 1)
    assert model.rnn.input_size == (4 if conv_filters is None else 5)


@pytest.mark.parametrize(
    ("length", "width", "pool", "steps"),
    [(50, 12, 4, 10), (200, 12, 4, 48), (12, 12, 4, 1), (20, 5, 1, 16), (21, 3, 8, 3)],
)
def test_front_end_makes_ceil_of_conv_length_over_pool_steps(length, width, pool, steps):
    """T = ceil((L - K + 1) / P): the last, shorter pooling window is kept."""
    model = SequenceRNN(conv_filters=7, conv_width=width, conv_pool=pool)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, length)), 4).float().transpose(1, 2)
    assert model.steps(x).shape == (2, steps, 7)
    assert model(x).shape == (2, 1)


def test_front_end_is_conv_relu_maxpool():
    torch.manual_seed(1)
    model = SequenceRNN(conv_filters=3, conv_width=4, conv_pool=2).double()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 11)), 4).double().transpose(1, 2)
    conv = torch.relu(model.conv(x)).detach().numpy()  # (2, 3, 8)
    expected = conv.reshape(2, 3, 4, 2).max(axis=3).transpose(0, 2, 1)  # (2, 4, 3)
    assert_close(model.steps(x).detach().numpy(), expected)


def test_no_front_end_reproduces_the_base_by_base_model():
    """conv_filters=None: the old default, the same weights from the same seed."""
    torch.manual_seed(3)
    old_rnn = torch.nn.LSTM(4, 32, batch_first=True, bidirectional=True)
    old_linear = torch.nn.Linear(64, 1)
    torch.manual_seed(3)
    model = SequenceRNN(conv_filters=None)
    assert model.conv is None
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in [*old_rnn.parameters(), *old_linear.parameters()]
    )
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 30)), 4).float().transpose(1, 2)
    out, _ = old_rnn(x.transpose(1, 2))  # (3, 30, 64)
    expected = old_linear(out.amax(dim=1))  # (3, 1)
    torch.testing.assert_close(model(x), expected)
    assert model(torch.zeros(2, 4, 3)).shape == (2, 1)  # any length, even shorter than 12


def test_sequence_rnn_errors():
    with pytest.raises(ValueError, match="kind must be one of 'lstm', 'gru', but got 'rnn'"):
        SequenceRNN("rnn")
    with pytest.raises(ValueError, match="readout must be one of"):
        SequenceRNN(readout="first")
    with pytest.raises(ValueError, match="conv_filters"):
        SequenceRNN(conv_filters=0)
    with pytest.raises(ValueError, match="conv_width"):
        SequenceRNN(conv_width=0)
    with pytest.raises(ValueError, match="conv_pool"):
        SequenceRNN(conv_pool=0)
    with pytest.raises(ValueError, match=r"x has shape \(2, 9, 4\) but must be \(N, 4, L\)"):
        SequenceRNN()(torch.zeros(2, 9, 4))
    with pytest.raises(ValueError, match="x has length L = 9, shorter than conv_width K = 12"):
        SequenceRNN()(torch.zeros(2, 4, 9))
