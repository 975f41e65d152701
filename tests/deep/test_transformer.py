"""Tests for genolearn.deep.transformer: positional encoding, attention, the encoder model."""

import numpy as np
import pytest
import torch

from genolearn.deep.transformer import (
    PositionalEncoding,
    SequenceTransformer,
    scaled_dot_product_attention,
    sinusoidal_encoding,
    sinusoidal_positional_encoding,
    summarise_tokens,
)
from tests.gradcheck import assert_close, torch_forward_backward

pytestmark = pytest.mark.ch08
torch.set_num_threads(1)


def test_positional_encoding_values():
    pe = sinusoidal_positional_encoding(50, 8)
    assert pe.shape == (50, 8)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1, 0, 1])
    p = np.arange(50)
    np.testing.assert_allclose(pe[:, 0], np.sin(p))
    np.testing.assert_allclose(pe[:, 1], np.cos(p))
    np.testing.assert_allclose(pe[:, 6], np.sin(p / 10000 ** (6 / 8)))
    assert np.all(np.abs(pe) <= 1)
    assert sinusoidal_positional_encoding(3, 5).shape == (3, 5)  # odd width


def test_positional_encoding_module_adds_the_numpy_table():
    module = PositionalEncoding(6, max_len=20)
    out = module(torch.zeros(2, 11, 6))
    expected = np.broadcast_to(sinusoidal_positional_encoding(11, 6), (2, 11, 6))
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="sequence length 21 is longer than max_len=20"):
        module(torch.zeros(1, 21, 6))


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (2, 3, 6, 4)])
def test_attention_matches_torch(shape):
    rng = np.random.default_rng(len(shape))
    q, k, v = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    expected, _ = torch_forward_backward(
        torch.nn.functional.scaled_dot_product_attention, [q, k, v]
    )
    out, weights = scaled_dot_product_attention(q, k, v)
    assert_close(out, expected, rtol=1e-9, what="attention output")
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_attention_mask_true_means_may_attend():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 7, 4)), rng.normal(size=(2, 7, 3))
    mask = np.tril(np.ones((5, 7), dtype=bool))  # query i sees keys 0..i
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask)
    )
    assert_close(out, expected.numpy(), rtol=1e-9)
    assert np.all(weights[:, ~mask] == 0)


def test_attention_errors():
    q = np.zeros((3, 4))
    with pytest.raises(ValueError, match="mask blocks every key for some query"):
        scaled_dot_product_attention(q, q, q, mask=np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"k has shape \(3, 5\) but must be \(..., Lk, d\)"):
        scaled_dot_product_attention(q, np.zeros((3, 5)), q)
    with pytest.raises(ValueError, match=r"v has shape \(2, 4\) but must be \(..., Lk, dv\)"):
        scaled_dot_product_attention(q, q, np.zeros((2, 4)))
    with pytest.raises(TypeError, match="mask has dtype float64 but must be boolean"):
        scaled_dot_product_attention(q, q, q, mask=np.ones((3, 3)))


def test_model_shapes_and_attention_maps():
    torch.manual_seed(0)
    model = SequenceTransformer(16, 4, 3, max_len=64, embed_kernel=5, pool=1, n_outputs=2)
    model.eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 40)), 4).float().transpose(1, 2)
    logits, maps = model(x, return_attention=True)
    assert logits.shape == (2, 2)
    assert len(maps) == 3 and all(m.shape == (2, 4, 40, 40) for m in maps)
    torch.testing.assert_close(maps[0].sum(dim=-1), torch.ones(2, 4, 40))
    torch.testing.assert_close(model(x), logits)


@pytest.mark.parametrize("length, tokens", [(40, 10), (41, 11), (3, 1)])
def test_pooling_makes_one_token_per_pool_bases(length, tokens):
    """T = ceil(L / pool): a last, shorter window keeps the final bases."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 2, max_len=64, pool=4).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, length)), 4).float().transpose(1, 2)
    assert model.tokens(x).shape == (2, tokens, 8)
    logits, maps = model(x, return_attention=True)
    assert logits.shape == (2, 1) and [m.shape for m in maps] == [(2, 2, tokens, tokens)] * 2
    embedded = model.embed(x)  # (N, d, L): token t is the max over bases 4t .. 4t + 3
    expected = torch.stack(
        [embedded[:, :, 4 * t : 4 * t + 4].amax(dim=2) for t in range(tokens)], dim=1
    )
    torch.testing.assert_close(model.tokens(x) - model.position.pe[:tokens], expected)


def test_training_forward_asks_for_no_attention_weights(monkeypatch):
    """need_weights=False lets torch use its fused attention kernel (issue 13: ~2x faster)."""
    model = SequenceTransformer(8, 2, 1, max_len=32)
    calls = []
    forward = torch.nn.MultiheadAttention.forward

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("need_weights"))
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.MultiheadAttention, "forward", spy)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 20)), 4).float().transpose(1, 2)
    model(x).sum().backward()
    _, maps = model(x, return_attention=True)
    assert calls == [False, True] and maps[0].shape == (2, 2, 5, 5)


def test_model_attention_is_the_numpy_reference():
    """The first block's maps equal softmax(q k^T / sqrt(d_head)) from its own projections."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 1, max_len=16).double().eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 10)), 4).double().transpose(1, 2)
    _, (maps,) = model(x, return_attention=True)
    block = model.blocks[0]
    tokens = model.tokens(x)  # (N, T, d), T = ceil(10 / 4) = 3
    h = block.norm1(tokens).detach().numpy()
    w, b = block.attn.in_proj_weight.detach().numpy(), block.attn.in_proj_bias.detach().numpy()
    q, k, v = np.split(h @ w.T + b, 3, axis=-1)  # each (N, T, d)
    heads = lambda a: a.reshape(3, 3, 2, 4).transpose(0, 2, 1, 3)  # noqa: E731 (N, heads, T, dh)
    _, weights = scaled_dot_product_attention(heads(q), heads(k), heads(v))
    assert_close(weights, maps.detach().numpy(), rtol=1e-9)


def test_model_errors():
    with pytest.raises(ValueError, match="d_model=30 must be divisible by n_heads=4"):
        SequenceTransformer(30, 4)
    with pytest.raises(ValueError, match="embed_kernel must be odd"):
        SequenceTransformer(embed_kernel=4)
    with pytest.raises(ValueError, match="x has length L = 40, longer than max_len=32"):
        SequenceTransformer(8, 2, 1, max_len=32)(torch.zeros(1, 4, 40))
    with pytest.raises(ValueError, match="pool must be >= 1"):
        SequenceTransformer(pool=0)
    with pytest.raises(ValueError, match="readout must be one of 'mean', 'max', 'max\\+mean'"):
        SequenceTransformer(readout="sum")


def test_summarise_tokens():
    h = torch.tensor([[[1.0, -2.0], [3.0, 0.0], [-1.0, 5.0]]])  # (N=1, T=3, d=2)
    torch.testing.assert_close(summarise_tokens(h, "mean"), torch.tensor([[1.0, 1.0]]))
    torch.testing.assert_close(summarise_tokens(h, "max"), torch.tensor([[3.0, 5.0]]))
    torch.testing.assert_close(
        summarise_tokens(h, "max+mean"), torch.tensor([[3.0, 5.0, 1.0, 1.0]])
    )
    with pytest.raises(ValueError, match="readout must be one of"):
        summarise_tokens(h, "last")


@pytest.mark.parametrize(("readout", "width"), [("max", 8), ("mean", 8), ("max+mean", 16)])
def test_readouts(readout, width):
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 1, max_len=64, readout=readout).eval()
    assert model.readout == readout and model.linear.in_features == width
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 40)), 4).float().transpose(1, 2)
    h = model.tokens(x)
    for block in model.blocks:
        h, _ = block(h)
    expected = model.linear(summarise_tokens(model.norm(h), readout))
    torch.testing.assert_close(model(x), expected)
    recipe = SequenceTransformer()
    assert recipe.readout == "max" and recipe.embed.kernel_size == (15,)


def test_mean_readout_reproduces_the_old_model():
    """readout="mean": the same weights from the same seed and the mean over tokens."""
    torch.manual_seed(2)
    old = SequenceTransformer(8, 2, 1, max_len=64, readout="max").eval()
    torch.manual_seed(2)
    model = SequenceTransformer(8, 2, 1, max_len=64, readout="mean").eval()
    for a, b in zip(old.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 40)), 4).float().transpose(1, 2)
    h = old.tokens(x)
    h, _ = old.blocks[0](h)
    torch.testing.assert_close(model(x), old.linear(old.norm(h).mean(dim=1)))


def test_sinusoidal_encoding_at_any_positions():
    positions = np.array([0.0, 2.5, 7.0, 1000.0])
    pe = sinusoidal_encoding(positions, 6)
    assert pe.shape == (4, 6)
    np.testing.assert_allclose(pe[:, 2], np.sin(positions / 10000 ** (2 / 6)))
    np.testing.assert_allclose(pe[:, 3], np.cos(positions / 10000 ** (2 / 6)))
    np.testing.assert_array_equal(
        sinusoidal_encoding(np.arange(9), 4), sinusoidal_positional_encoding(9, 4)
    )
    with pytest.raises(ValueError, match=r"positions has shape \(2, 2\) \(2-D\) but must be 1-D"):
        sinusoidal_encoding(np.zeros((2, 2)), 4)
