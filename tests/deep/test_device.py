"""Tests for genolearn.deep.device."""

import pytest
import torch

from genolearn.deep import default_device, set_seed

pytestmark = pytest.mark.ch05


def test_default_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == torch.device("cuda")


def test_set_seed_makes_torch_repeatable():
    set_seed(3)
    a = torch.rand(4)
    generator = set_seed(3)
    torch.testing.assert_close(torch.rand(4), a, rtol=0, atol=0)
    assert isinstance(generator, torch.Generator)
    assert (
        torch.randperm(10, generator=generator).tolist()
        == torch.randperm(10, generator=torch.Generator().manual_seed(3)).tolist()
    )
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_set_seed_errors():
    with pytest.raises(ValueError, match="seed must be >= 0"):
        set_seed(-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        set_seed(1.5)
