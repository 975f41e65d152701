"""A transformer over pooled k-mer tokens: attention across kilobases on a laptop CPU.

Attention compares every token with every other, so its cost grows with the square of the
number of tokens; one token per base makes 1,000 bases a million pairs per head. DNABERT
(Ji et al. 2021) tokenises DNA into overlapping k-mers, each with a learned embedding;
:class:`KmerTransformer` does the same and then averages the embeddings of the k-mers that
start in each window of ``window`` bases, so 1,000 bases become about 1000 / window tokens.

A k-mer embedding is a lookup table: any function of the k bases, where a convolution of width
k is a weighted sum of them. Averaging the table's rows over a window equals multiplying the
window's k-mer counts by the table, so each token is a learned summary of the window's k-mer
spectrum (Chapter 0's k-mer counts, made local).
"""

from __future__ import annotations

import torch
from torch import nn

from genolearn._validation import check_int, check_number
from genolearn.deep.cnn import _check_onehot
from genolearn.deep.transformer import (
    PositionalEncoding,
    TransformerBlock,
    _check_readout,
    summarise_tokens,
)

__all__ = ["kmer_codes", "KmerTransformer"]


def kmer_codes(x: torch.Tensor, k: int) -> torch.Tensor:
    """The k-mer starting at every position, as an integer code.

    Base codes are A = 0, C = 1, G = 2, T = 3 and the k-mer ``b_0 .. b_{k-1}`` has code
    ``sum_j b_j 4^(k-1-j)`` (``"AAAA"`` = 0, ``"ACGT"`` = 27 for k = 4). A k-mer that contains
    an unknown base (an all-zero column) gets the extra code ``4^k``.

    Args:
        x: ``(N, 4, L)`` one-hot, ``L >= k``.
        k: k-mer length.

    Returns:
        ``(N, L - k + 1)`` int64 codes in ``0 .. 4^k``.
    """
    # One convolution computes every code: base value (A 0, C 1, G 2, T 3) times 4^(k-1-j) at
    # offset j, summed (exact in float32: codes stay below 2^24 for k <= 8). A second counts
    # the known bases in each k-mer.
    place = 4.0 ** torch.arange(k - 1, -1, -1, dtype=x.dtype, device=x.device)  # (k,)
    value = torch.arange(4, dtype=x.dtype, device=x.device)  # (4,)
    weight = (value[:, None] * place[None, :])[None]  # (1, 4, k)
    code = nn.functional.conv1d(x, weight)[:, 0].round().long()  # (N, L - k + 1)
    known = nn.functional.conv1d(x, torch.ones_like(weight))[:, 0]  # (N, L - k + 1)
    whole = known > k - 0.5  # every base of the k-mer is known
    return torch.where(whole, code, torch.full_like(code, 4**k))


class KmerTransformer(nn.Module):
    """k-mer embeddings averaged over windows, sinusoidal positions, a transformer encoder,
    a read-out over tokens (their mean, by default), linear layer.

    Args:
        k: k-mer length (a table of ``4^k`` embeddings, plus a zero row for k-mers with an
            unknown base, which the averages skip).
        window: bases per token: token t averages the k-mers starting at bases
            ``t * window .. t * window + window - 1``.
        d_model: d, width of every token.
        n_heads: attention heads (``d_model`` must be divisible by it).
        n_layers: encoder blocks (:class:`~genolearn.deep.transformer.TransformerBlock`).
        max_len: longest sequence accepted, in bases.
        dim_feedforward: hidden width of each block's MLP (default ``4 d``).
        dropout: dropout in attention, MLP and residual branches.
        readout: ``"mean"``, ``"max"`` or ``"max+mean"`` over tokens
            (:func:`~genolearn.deep.transformer.summarise_tokens`).
        n_outputs: C, logits per sequence.

    Shape:
        - Input: ``(N, 4, L)`` one-hot with ``k <= L <= max_len``.
        - k-mer codes ``(N, L - k + 1)``, padded to ``T * window`` with
          ``T = ceil((L - k + 1) / window)``; tokens ``(N, T, d)``.
        - Encoder: ``(N, T, d)``; attention maps ``(N, n_heads, T, T)`` per layer.
        - Read-out over tokens: ``(N, d)`` (``(N, 2 d)`` for ``"max+mean"``).
        - Output: ``(N, C)`` logits.

    Initialisation: embeddings ``Normal(0, 1)`` (torch's default for ``nn.EmbeddingBag``);
    the rest torch's defaults (``nn.MultiheadAttention``: Xavier-uniform projections and
    zero biases; ``nn.Linear``: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``).
    """

    def __init__(
        self,
        k: int = 4,
        window: int = 16,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 1,
        max_len: int = 1000,
        *,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        readout: str = "mean",
        n_outputs: int = 1,
    ) -> None:
        super().__init__()
        self.k = check_int(k, "k", low=1, high=8)
        self.window = check_int(window, "window", low=1)
        d_model = check_int(d_model, "d_model", low=1)
        n_heads = check_int(n_heads, "n_heads", low=1)
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        n_layers = check_int(n_layers, "n_layers", low=1)
        self.max_len = check_int(max_len, "max_len", low=self.k)
        ff = check_int(
            4 * d_model if dim_feedforward is None else dim_feedforward, "dim_feedforward", low=1
        )
        dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        n_outputs = check_int(n_outputs, "n_outputs", low=1)
        self.readout = _check_readout(readout)
        self.embed = nn.EmbeddingBag(4**self.k + 1, d_model, mode="mean", padding_idx=4**self.k)
        self.position = PositionalEncoding(d_model, -(-(self.max_len - self.k + 1) // self.window))
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, ff, dropout) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.linear = nn.Linear(2 * d_model if self.readout == "max+mean" else d_model, n_outputs)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's input: ``(N, 4, L)`` one-hot -> ``(N, T, d)`` tokens with positions."""
        _check_onehot(x, "KmerTransformer")
        if not self.k <= x.shape[2] <= self.max_len:
            raise ValueError(
                f"x has length L = {x.shape[2]} but must be between k={self.k} and "
                f"max_len={self.max_len}; build the model with a larger max_len"
            )
        codes = kmer_codes(x, self.k)  # (N, L - k + 1)
        n, n_kmers = codes.shape
        n_tokens = -(-n_kmers // self.window)
        pad = n_tokens * self.window - n_kmers
        codes = nn.functional.pad(codes, (0, pad), value=4**self.k)  # (N, T * window)
        bags = self.embed(codes.reshape(n * n_tokens, self.window))  # (N T, d): window means
        return self.position(bags.reshape(n, n_tokens, -1))  # (N, T, d)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Logits ``(N, C)``; with ``return_attention``, also a list of ``(N, heads, T, T)``."""
        h = self.tokens(x)  # (N, T, d)
        maps = []
        for block in self.blocks:
            h, weights = block(h, need_weights=return_attention)  # (N, T, d)
            maps.append(weights)
        pooled = summarise_tokens(self.norm(h), self.readout)  # (N, d) or (N, 2 d)
        logits = self.linear(pooled)  # (N, C)
        return (logits, maps) if return_attention else logits
