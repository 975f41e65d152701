"""numpy references for multi-head self-attention and for scoring where attention looks.

- :func:`multi_head_attention_numpy` reproduces ``torch.nn.MultiheadAttention`` (self-attention,
  ``batch_first=True``) from its parameters: ``in_proj_weight (3d, d)`` stacks the query, key
  and value projections, ``out_proj`` maps the concatenated heads back to ``d``.
- :func:`attention_enrichment` asks of a trained model's attention maps the question Chapter 8
  asks: does attention land on the planted sites more than an even spread would?
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import check_array, check_int
from genolearn.deep.transformer import scaled_dot_product_attention

__all__ = ["multi_head_attention_numpy", "attention_enrichment"]


def multi_head_attention_numpy(x, w_in, b_in, w_out, b_out, n_heads: int):
    """Multi-head self-attention, as ``torch.nn.MultiheadAttention(d, n_heads,
    batch_first=True)`` called as ``mha(x, x, x, average_attn_weights=False)``.

    Each head ``j`` attends with its own slice of the projections: with ``h = d / n_heads``,
    ``Q = x W_q^T + b_q`` (and K, V likewise) is cut into ``n_heads`` blocks of ``h`` columns;
    head ``j`` computes ``softmax(Q_j K_j^T / sqrt(h)) V_j``; the heads are concatenated in
    order and projected: ``out = concat(heads) W_out^T + b_out``.

    Args:
        x: ``(N, L, d)`` tokens.
        w_in: ``(3d, d)`` query, key and value weights stacked (torch's ``in_proj_weight``).
        b_in: ``(3d,)`` their biases (``in_proj_bias``).
        w_out: ``(d, d)``, b_out: ``(d,)``: the output projection (``out_proj``).
        n_heads: number of heads; ``d`` must be divisible by it.

    Returns:
        ``(out, weights)``: ``(N, L, d)`` and the attention weights of every head
        ``(N, n_heads, L, L)`` (each row sums to 1).
    """
    sizes: dict[str, int] = {}
    x = check_array(x, "x", shape=("N", "L", "d"), finite=True, sizes=sizes)
    d = sizes["d"]
    w_in = check_array(w_in, "w_in", shape=(3 * d, d), finite=True)
    b_in = check_array(b_in, "b_in", shape=(3 * d,), finite=True)
    w_out = check_array(w_out, "w_out", shape=(d, d), finite=True)
    b_out = check_array(b_out, "b_out", shape=(d,), finite=True)
    n_heads = check_int(n_heads, "n_heads", low=1)
    if d % n_heads:
        raise ValueError(f"x has d = {d} features, which n_heads={n_heads} does not divide")
    n, length, h = sizes["N"], sizes["L"], d // n_heads
    qkv = x @ w_in.T + b_in  # (N, L, 3d)
    q, k, v = np.split(qkv, 3, axis=-1)  # each (N, L, d)

    def heads(a):  # (N, L, d) -> (N, L, n_heads, h) -> (N, n_heads, L, h)
        return a.reshape(n, length, n_heads, h).transpose(0, 2, 1, 3)

    out, weights = scaled_dot_product_attention(heads(q), heads(k), heads(v))  # (N, heads, L, h)
    merged = out.transpose(0, 2, 1, 3).reshape(n, length, d)  # (N, L, heads, h) -> (N, L, d)
    return merged @ w_out.T + b_out, weights  # (N, L, d), (N, heads, L, L)


def attention_enrichment(weights, sites) -> np.ndarray:
    """How much more attention lands on site tokens than an even spread would give.

    For sequence ``n``: the attention mass on site keys, averaged over the queries,
    ``mean_q sum_k weights[n, q, k] sites[n, k]``, divided by the share of keys that are sites,
    ``mean_k sites[n, k]`` (what uniform attention would give). 1: no preference; 5: five
    times the even share.

    Args:
        weights: ``(N, Lq, Lk)`` attention weights (rows sum to 1; average the heads first).
        sites: ``(N, Lk)`` bool, True for keys (tokens) that overlap a planted site; every
            sequence needs at least one.

    Returns:
        ``(N,)`` enrichment per sequence.
    """
    sizes: dict[str, int] = {}
    weights = check_array(weights, "weights", shape=("N", "Lq", "Lk"), finite=True, sizes=sizes)
    sites = check_array(sites, "sites", shape=("N", "Lk"), dtype_kind="b", sizes=sizes)
    if not sites.any(axis=1).all():
        raise ValueError("sites has a sequence (row) with no site token; each needs one True")
    on_sites = (weights * sites[:, None, :]).sum(axis=2)  # (N, Lq): mass on site keys
    even = sites.mean(axis=1)  # (N,): the share an even spread would give
    return on_sites.mean(axis=1) / even  # (N,)
