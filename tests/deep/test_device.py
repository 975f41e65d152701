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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_models_train_and_explain_on_the_gpu():
    """The GPU path: train_model uses CUDA by default, the best weights come back to the GPU,
    and saliency works for an LSTM in eval mode (cuDNN's RNN backward refuses eval mode)."""
    from genolearn.deep import (
        MotifCNN,
        SequenceRNN,
        SequenceTransformer,
        evaluate,
        saliency,
        train_model,
    )
    from genolearn.dna import synthetic_task

    data = synthetic_task("single_motif", n=200, length=60, seed=0)
    for make in (MotifCNN, SequenceRNN, lambda: SequenceTransformer(max_len=60)):
        set_seed(0)
        model = make()
        history = train_model(model, data, data, epochs=2, seed=0)
        assert next(model.parameters()).device.type == "cuda"
        assert history.restored_epoch is not None
        assert 0 <= evaluate(model, data.x, data.y)["accuracy"] <= 1
        assert saliency(model, data.x[:8]).shape == (8, 4, 60)
