"""Tests for genolearn.deep.kmer_transformer: k-mer codes, pooled tokens, the model's shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import genolearn.deep as gd
from genolearn.deep.kmer_transformer import KmerTransformer, kmer_codes
from genolearn.dna import one_hot_encode

pytestmark = pytest.mark.ch08
torch.set_num_threads(1)


def _codes_by_hand(seq: str, k: int) -> list[int]:
    out = []
    for i in range(len(seq) - k + 1):
        kmer = seq[i : i + k]
        out.append(
            4**k
            if "N" in kmer
            else sum("ACGT".index(b) * 4 ** (k - 1 - j) for j, b in enumerate(kmer))
        )
    return out


@settings(deadline=None, max_examples=40)
@given(st.text("ACGTN", min_size=6, max_size=40), st.integers(1, 6))
def test_kmer_codes_match_the_definition(seq, k):
    x = torch.as_tensor(one_hot_encode([seq]))
    assert kmer_codes(x, k)[0].tolist() == _codes_by_hand(seq, k)


def test_tokens_are_window_means_of_the_embedding_table():
    gd.set_seed(0)
    model = KmerTransformer(k=3, window=5, d_model=8, n_heads=2, max_len=40)
    seq = "ACGTTGCANNACGGGTACCATGACTTACGA"  # 30 bases -> 28 3-mers -> 6 tokens
    x = torch.as_tensor(one_hot_encode([seq]))
    codes = _codes_by_hand(seq, 3)
    table = model.embed.weight.detach()
    pe = model.position.pe
    tokens = model.tokens(x)[0].detach()
    assert tokens.shape == (6, 8)
    for t in range(6):
        window = [c for c in codes[t * 5 : t * 5 + 5] if c != 64]  # unknown k-mers are skipped
        expected = table[window].mean(dim=0) + pe[t]
        torch.testing.assert_close(tokens[t], expected)


def test_forward_shapes_and_attention_maps():
    gd.set_seed(0)
    model = KmerTransformer(n_layers=2, max_len=200, n_outputs=3)
    x = torch.as_tensor(one_hot_encode(["ACGT" * 50, "TTGA" * 50]))
    logits, maps = model(x, return_attention=True)
    assert logits.shape == (2, 3)
    assert len(maps) == 2 and maps[0].shape == (2, 4, 13, 13)  # 197 4-mers -> 13 windows of 16
    torch.testing.assert_close(maps[0].sum(dim=-1), torch.ones(2, 4, 13))
    torch.testing.assert_close(model(x), logits)  # the fused kernel (no weights) may differ in ulps


@pytest.mark.parametrize(("readout", "width"), [("mean", 32), ("max", 32), ("max+mean", 64)])
def test_readouts(readout, width):
    from genolearn.deep.transformer import summarise_tokens

    gd.set_seed(0)
    model = KmerTransformer(max_len=200, readout=readout).eval()
    assert model.linear.in_features == width
    x = torch.as_tensor(one_hot_encode(["ACGT" * 50, "TTGA" * 50]))
    h, _ = model.blocks[0](model.tokens(x))
    expected = model.linear(summarise_tokens(model.norm(h), readout))
    torch.testing.assert_close(model(x), expected)
    assert KmerTransformer().readout == "mean"  # Chapter 8's recipe


def test_the_model_learns_and_is_reproducible():
    from genolearn.dna import ctcf_loop_task

    data = ctcf_loop_task(60, length=700, min_distance=500, seed=0)
    results = []
    for _ in range(2):
        gd.set_seed(0)
        model = KmerTransformer(max_len=700)
        history = gd.train_model(model, data, epochs=2, seed=0, device="cpu", progress=False)
        results.append(history.train_loss)
    assert results[0] == results[1] and np.isfinite(results[0]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k"),
        ({"k": 9}, "k"),
        ({"window": 0}, "window"),
        ({"d_model": 30, "n_heads": 4}, "divisible"),
        ({"dropout": 1.0}, "dropout"),
        ({"readout": "last"}, "readout"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KmerTransformer(**kwargs)


def test_bad_inputs_are_refused():
    model = KmerTransformer(max_len=100)
    with pytest.raises(ValueError, match="max_len=100"):
        model(torch.zeros(1, 4, 101))
    with pytest.raises(ValueError, match="x has shape"):
        model(torch.zeros(1, 100, 4))
