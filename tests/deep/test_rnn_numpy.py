"""Tests for genolearn.deep.rnn_numpy (agreement with torch.nn.RNNCell / torch.nn.RNN and BPTT
with torch.autograd, in float64, is tested in tests/exercises/test_ch07_rnn.py)."""

import numpy as np
import pytest

from genolearn.deep.rnn_numpy import rnn_bptt_numpy, rnn_cell_step_numpy, rnn_forward_numpy
from tests.gradcheck import numerical_gradient

pytestmark = pytest.mark.ch07


def test_forward_is_the_step_repeated_and_keeps_float32():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    h0 = np.zeros((2, 4), np.float32)
    w_ih, w_hh = (
        rng.normal(size=(4, 3)).astype(np.float32),
        rng.normal(size=(4, 4)).astype(np.float32),
    )
    out, h_last = rnn_forward_numpy(x, h0, w_ih, w_hh)
    h = h0
    for t in range(5):
        h = rnn_cell_step_numpy(x[:, t], h, w_ih, w_hh)
        np.testing.assert_allclose(out[:, t], h)
    np.testing.assert_array_equal(h_last, out[:, -1])
    assert out.dtype == np.float32


def test_bptt_is_the_gradient_of_the_unrolled_loss():
    """Central differences on h_t: perturbing h_t and re-running the later steps."""
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(1, 4, 2)), rng.normal(size=(1, 3))
    w_ih, w_hh, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 3)), rng.normal(size=3)
    out, _ = rnn_forward_numpy(x, h0, w_ih, w_hh, b)
    upstream = rng.normal(size=out.shape)
    grads = rnn_bptt_numpy(out, w_hh, upstream)
    for t in range(4):

        def loss(h_t, t=t):
            states = [out[:, s] for s in range(t)] + [h_t]
            h = h_t
            for s in range(t + 1, 4):
                h = rnn_cell_step_numpy(x[:, s], h, w_ih, w_hh, b)
                states.append(h)
            return float(np.sum(np.stack(states, axis=1) * upstream))

        np.testing.assert_allclose(
            grads[:, t], numerical_gradient(loss, out[:, t]), rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize(
    ("fn", "args", "message"),
    [
        (
            rnn_cell_step_numpy,
            (np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 2)), np.zeros((4, 4))),
            "w_ih",
        ),
        (
            rnn_cell_step_numpy,
            (np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 3))),
            "w_hh",
        ),
        (
            rnn_forward_numpy,
            (np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4))),
            "x",
        ),
        (rnn_bptt_numpy, (np.zeros((1, 3, 2)), np.zeros((2, 2)), np.zeros((1, 3, 3))), "grad_out"),
    ],
)
def test_bad_shapes_are_refused_naming_the_argument(fn, args, message):
    with pytest.raises(ValueError, match=message):
        fn(*args)
