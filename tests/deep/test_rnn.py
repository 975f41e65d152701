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
    model = SequenceRNN("lstm", hidden=5, bidirectional=False, readout="last").double().eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 12)), 4).double().transpose(1, 2)
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in model.rnn.parameters())
    h = c = np.zeros((3, 5))
    for t in range(12):
        h, c = lstm_cell_step_numpy(x[:, :, t].numpy(), h, c, w_ih, w_hh, b_ih, b_hh)
    logits = h @ model.linear.weight.detach().numpy().T + model.linear.bias.detach().numpy()
    assert_close(logits, model(x).detach().numpy(), rtol=1e-9)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("readout", ["last", "mean", "max"])
def test_sequence_rnn_shapes(kind, bidirectional, readout):
    torch.manual_seed(0)
    model = SequenceRNN(
        kind, 6, bidirectional=bidirectional, readout=readout, n_layers=2, n_outputs=3
    )
    assert model(torch.zeros(2, 4, 9)).shape == (2, 3)
    assert model.linear.in_features == 6 * (2 if bidirectional else 1)


def test_sequence_rnn_errors():
    with pytest.raises(ValueError, match="kind must be one of 'lstm', 'gru', but got 'rnn'"):
        SequenceRNN("rnn")
    with pytest.raises(ValueError, match="readout must be one of"):
        SequenceRNN(readout="first")
    with pytest.raises(ValueError, match=r"x has shape \(2, 9, 4\) but must be \(N, 4, L\)"):
        SequenceRNN()(torch.zeros(2, 9, 4))
