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
    assert len(maps) == 3 and all(m.shape == (2, 4, 36, 36) for m in maps)  # 40 - 5 + 1 tokens
    torch.testing.assert_close(maps[0].sum(dim=-1), torch.ones(2, 4, 36))
    torch.testing.assert_close(model(x), logits)


@pytest.mark.parametrize("length, tokens", [(40, 7), (42, 7), (43, 8), (15, 1)])
def test_pooling_makes_one_token_per_pool_bases(length, tokens):
    """T = ceil((L - 15 + 1) / pool): a last, shorter window keeps the final positions."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 2, max_len=64, pool=4).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, length)), 4).float().transpose(1, 2)
    assert model.tokens(x).shape == (2, tokens, 8)
    logits, maps = model(x, return_attention=True)
    assert logits.shape == (2, 1) and [m.shape for m in maps] == [(2, 2, tokens, tokens)] * 2
    embedded = torch.relu(model.embed(x))  # (N, d, L): token t is the max over bases 4t .. 4t + 3
    expected = torch.stack(
        [embedded[:, :, 4 * t : 4 * t + 4].amax(dim=2) for t in range(tokens)], dim=1
    )
    torch.testing.assert_close(model.tokens(x), expected)  # motif scores, no positions


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
    assert calls == [False, True] and maps[0].shape == (2, 2, 2, 2)  # ceil((20 - 14) / 4)


def test_model_attention_is_the_numpy_reference():
    """The first block's maps equal softmax(q k^T / sqrt(d_head)) from its own projections."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 1, max_len=16, embed_kernel=3).double().eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 12)), 4).double().transpose(1, 2)
    _, (maps,) = model(x, return_attention=True)
    block = model.blocks[0]
    tokens = model.tokens(x)  # (N, T, d), T = ceil((12 - 2) / 4) = 3
    h = block.norm1(tokens + model.position.pe[:3]).detach().numpy()  # positions, then LN
    w, b = block.attn.in_proj_weight.detach().numpy(), block.attn.in_proj_bias.detach().numpy()
    q, k, v = np.split(h @ w.T + b, 3, axis=-1)  # each (N, T, d)
    heads = lambda a: a.reshape(3, 3, 2, 4).transpose(0, 2, 1, 3)  # noqa: E731 (N, heads, T, dh)
    _, weights = scaled_dot_product_attention(heads(q), heads(k), heads(v))
    assert_close(weights, maps.detach().numpy(), rtol=1e-9)


def test_model_errors():
    with pytest.raises(ValueError, match="d_model=30 must be divisible by n_heads=4"):
        SequenceTransformer(30, 4)
    with pytest.raises(ValueError, match="x has length L = 10, shorter than the stem's filters"):
        SequenceTransformer(8, 2, 1, max_len=32)(torch.zeros(1, 4, 10))
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


def _one_hot(n, length):
    return torch.nn.functional.one_hot(torch.randint(0, 4, (n, length)), 4).float().transpose(1, 2)


@pytest.mark.parametrize(("readout", "width"), [("max", 16), ("mean", 16), ("max+mean", 24)])
def test_readouts(readout, width):
    """The head reads the stem's maximum next to the encoder's summary."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 1, max_len=64, readout=readout).eval()
    assert model.readout == readout and model.head[0].in_features == width
    for p in model.blocks.parameters():  # leave the identity start: give the blocks weights
        torch.nn.init.normal_(p, std=0.3)
    x = _one_hot(3, 40)
    stem = model.tokens(x)
    h, _ = model.blocks[0](stem + model.position.pe[: stem.shape[1]])
    assert not torch.allclose(h, stem)
    expected = model.head(torch.cat([stem.amax(dim=1), summarise_tokens(h, readout)], dim=1))
    torch.testing.assert_close(model(x), expected)
    recipe = SequenceTransformer()
    assert recipe.readout == "max" and recipe.embed.kernel_size == (15,) and recipe.pool == 4


def test_blocks_start_as_the_identity():
    """Untrained, the encoder returns its input (the stem's tokens plus positions), so the
    read-out's first half is a CNN's global max pooling of ReLU filters."""
    torch.manual_seed(1)
    model = SequenceTransformer(8, 2, 2, max_len=64).eval()
    x = _one_hot(4, 50)
    stem = model.tokens(x)
    h, maps = model.encode(stem, return_attention=True)
    torch.testing.assert_close(h, stem + model.position.pe[: stem.shape[1]], rtol=0, atol=0)
    assert len(maps) == 2 and maps[0].shape == (4, 2, 9, 9)  # ceil((50 - 14) / 4)
    cnn = torch.relu(model.embed(x)).amax(dim=2)  # (N, d): a CNN's global max pooling
    torch.testing.assert_close(model(x), model.head(torch.cat([cnn, h.amax(dim=1)], dim=1)))
    block = model.blocks[0]
    for layer in (block.attn.out_proj, block.ff[3]):
        assert not layer.weight.any() and not layer.bias.any()


def test_positions_make_identical_tokens_differ():
    """A sequence of one repeated base gives identical stem tokens; only the positions added
    before the encoder let attention tell them apart."""
    torch.manual_seed(0)
    model = SequenceTransformer(8, 2, 1, max_len=64, pool=1, embed_kernel=1).double().eval()
    x = torch.zeros(1, 4, 12, dtype=torch.float64)
    x[0, 0] = 1.0  # all A
    stem = model.tokens(x)
    torch.testing.assert_close(stem, stem[:, :1].expand_as(stem))
    _, (maps,) = model(x, return_attention=True)
    assert not torch.allclose(maps[0, :, 0], maps[0, :, 5])


def test_hidden_is_checked():
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        SequenceTransformer(hidden=0)


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
