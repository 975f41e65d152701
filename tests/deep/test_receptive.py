"""Tests for genolearn.deep.receptive: the formula against the field a torch stack really has."""

import numpy as np
import pytest
import torch
from torch import nn

from genolearn.deep.receptive import receptive_field

pytestmark = pytest.mark.ch06


def measured(layers, length=400):
    """The input positions that reach the middle output of a torch stack (by its gradient)."""
    mods = []
    for k, s, d in layers:
        mods.append(nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False))
    net = nn.Sequential(*mods).double()
    with torch.no_grad():
        for m in net:
            m.weight.fill_(1.0)
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2].backward()
    hit = np.flatnonzero(x.grad[0, 0].numpy())
    return int(hit[-1] - hit[0] + 1)


@pytest.mark.parametrize(
    "layers",
    [
        [(19, 1, 1)],
        [(9, 1, 1), (4, 4, 1), (9, 1, 1)],
        [(19, 1, 1), (3, 3, 1), (11, 1, 1), (4, 4, 1), (7, 1, 1), (4, 4, 1)],
        [(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)],
        [(5, 2, 1), (3, 1, 3), (2, 2, 1)],
    ],
)
def test_formula_equals_the_measured_field(layers):
    assert receptive_field(layers) == measured(layers)


def test_empty_stack_and_errors():
    assert receptive_field([]) == 1
    with pytest.raises(
        ValueError, match=r"layers\[1\] must be a \(kernel_size, stride, dilation\)"
    ):
        receptive_field([(3, 1, 1), (3, 1)])
    with pytest.raises(ValueError, match=r"layers\[0\] stride must be >= 1"):
        receptive_field([(3, 0, 1)])
    with pytest.raises(TypeError, match="layers must be a list"):
        receptive_field("conv")
