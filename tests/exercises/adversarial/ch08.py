"""Chapter 8, transformers (attention, positional encoding, multi-head attention, attention
enrichment) — wrong and correct answers, written from the exercise texts (same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(888)


# --------------------------------------------------------------------------- positional encoding


def _interleave(angle):
    pe = np.zeros((angle.shape[0], 2 * angle.shape[1]))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def pe_arange(positions, d_model):
    pos = np.arange(len(positions))[:, None]  # assumes 0, 1, ..., L - 1
    return _interleave(pos / 10000.0 ** (np.arange(0, d_model, 2) / d_model))


def pe_int_division(positions, d_model):
    i = np.arange(d_model // 2)
    return _interleave(positions[:, None] / 10000.0 ** (2 * i // d_model))  # exponent 0


def pe_base_1000(positions, d_model):
    return _interleave(positions[:, None] / 1000.0 ** (np.arange(0, d_model, 2) / d_model))


def pe_float16(positions, d_model):
    two_i = np.arange(0, d_model, 2, dtype=np.float16)
    angle = positions.astype(np.float16)[:, None] / np.float16(10000.0) ** (two_i / d_model)
    pe = np.zeros((len(positions), d_model), dtype=np.float16)
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def pe_transposed(positions, d_model):
    return _interleave(positions[:, None] / 10000.0 ** (np.arange(0, d_model, 2) / d_model)).T


def pe_exp_log(positions, d_model):
    rates = np.exp(-np.arange(0, d_model, 2) * (math.log(10000.0) / d_model))  # (d/2,)
    return _interleave(np.outer(positions, rates))


def pe_stack(positions, d_model):
    angle = positions[:, None] / np.power(10000.0, np.arange(d_model // 2) * 2.0 / d_model)
    return np.stack([np.sin(angle), np.cos(angle)], axis=-1).reshape(len(positions), d_model)


def pe_loops(positions, d_model):
    out = np.empty((len(positions), d_model))
    for r, p in enumerate(positions):
        for col in range(d_model):
            angle = p / 10000.0 ** (2 * (col // 2) / d_model)
            out[r, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return out


# --------------------------------------------------------------------------- attention


def _softmax_rows(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _scores(q, k):
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])


def at_fill_1e4(q, k, v, mask=None):
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -1e4)  # "minus a big number" instead of -inf
    w = _softmax_rows(s)
    return w @ v, w


def at_multiply_mask(q, k, v, mask=None):
    s = _scores(q, k) if mask is None else _scores(q, k) * mask  # blocked scores become 0
    w = _softmax_rows(s)
    return w @ v, w


def at_float16(q, k, v, mask=None):
    q, k, v = q.astype(np.float16), k.astype(np.float16), v.astype(np.float16)
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_dot_t(q, k, v, mask=None):
    s = q @ k.T / np.sqrt(q.shape[-1])  # .T reverses every axis of a batched k
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_sqrt_dv(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1])  # value width, not key width
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax_rows(s)
    return w @ v, w


def at_global_max(q, k, v, mask=None):
    s = _scores(q, k)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max())  # one max for everything: low rows underflow to 0 / 0
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ v, w


def at_mask_after_exp(q, k, v, mask=None):
    s = _scores(q, k)
    allowed = np.ones(s.shape, bool) if mask is None else np.broadcast_to(mask, s.shape)
    m = np.where(allowed, s, s.min()).max(axis=-1, keepdims=True)  # max over allowed keys
    e = np.where(allowed, np.exp(np.minimum(s - m, 0.0)), 0.0)
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ v, w


def at_loops(q, k, v, mask=None):
    lead = q.shape[:-2]
    allowed = np.broadcast_to(True if mask is None else mask, (*lead, q.shape[-2], k.shape[-2]))
    w = np.zeros((*lead, q.shape[-2], k.shape[-2]))
    for idx in np.ndindex(*lead, q.shape[-2]):
        scores = [
            float(np.dot(q[idx], k[(*idx[:-1], j)])) / math.sqrt(q.shape[-1])
            for j in range(k.shape[-2])
        ]
        keep = [j for j in range(len(scores)) if allowed[(*idx, j)]]
        top = max(scores[j] for j in keep)
        total = sum(math.exp(scores[j] - top) for j in keep)
        for j in keep:
            w[(*idx, j)] = math.exp(scores[j] - top) / total
    return w @ v, w


# --------------------------------------------------------------------------- multi-head attention


def _project(x, w_in, b_in):
    d = x.shape[-1]
    return [x @ w_in[j * d : (j + 1) * d].T + b_in[j * d : (j + 1) * d] for j in range(3)]


def _heads(a, n_heads):
    n, length, d = a.shape
    return a.reshape(n, length, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def _merge(a):
    n, heads, length, h = a.shape
    return a.transpose(0, 2, 1, 3).reshape(n, length, heads * h)


def mh_one_head(x, w_in, b_in, w_out, b_out, n_heads):
    q, k, v = _project(x, w_in, b_in)  # ignores n_heads: one head of width d
    w = _softmax_rows(_scores(q, k))
    return (w @ v) @ w_out.T + b_out, np.repeat(w[:, None], n_heads, axis=1)


def mh_averaged_weights(x, w_in, b_in, w_out, b_out, n_heads):
    q, k, v = (_heads(a, n_heads) for a in _project(x, w_in, b_in))
    w = _softmax_rows(_scores(q, k))
    return _merge(w @ v) @ w_out.T + b_out, w.mean(axis=1)  # (N, L, L): heads averaged


def mh_no_bias(x, w_in, b_in, w_out, b_out, n_heads):
    d = x.shape[-1]
    q, k, v = (_heads(x @ w_in[j * d : (j + 1) * d].T, n_heads) for j in range(3))
    w = _softmax_rows(_scores(q, k))
    return _merge(w @ v) @ w_out.T + b_out, w  # in_proj bias left out


def mh_w_out_not_transposed(x, w_in, b_in, w_out, b_out, n_heads):
    q, k, v = (_heads(a, n_heads) for a in _project(x, w_in, b_in))
    w = _softmax_rows(_scores(q, k))
    return _merge(w @ v) @ w_out + b_out, w


def mh_heads_summed(x, w_in, b_in, w_out, b_out, n_heads):
    q, k, v = (_heads(a, n_heads) for a in _project(x, w_in, b_in))
    w = _softmax_rows(_scores(q, k))
    summed = (w @ v).sum(axis=1)  # (N, L, h): heads added instead of concatenated
    return np.tile(summed, n_heads) @ w_out.T + b_out, w


def mh_loop(x, w_in, b_in, w_out, b_out, n_heads):
    q, k, v = _project(x, w_in, b_in)
    h = x.shape[-1] // n_heads
    outs, maps = [], []
    for j in range(n_heads):
        cols = slice(j * h, (j + 1) * h)
        s = q[..., cols] @ np.swapaxes(k[..., cols], -1, -2) / math.sqrt(h)
        w = _softmax_rows(s)
        outs.append(w @ v[..., cols])
        maps.append(w)
    return np.concatenate(outs, axis=-1) @ w_out.T + b_out, np.stack(maps, axis=1)


def mh_einsum(x, w_in, b_in, w_out, b_out, n_heads):
    n, length, d = x.shape
    qkv = (x @ w_in.T + b_in).reshape(n, length, 3, n_heads, d // n_heads)
    q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (N, L, heads, h)
    s = np.einsum("nqhe,nkhe->nhqk", q, k) / math.sqrt(d // n_heads)
    w = _softmax_rows(s)
    out = np.einsum("nhqk,nkhe->nqhe", w, v).reshape(n, length, d)
    return out @ w_out.T + b_out, w


# --------------------------------------------------------------------------- attention enrichment


def en_counts(weights, sites):
    mass = (weights * sites[:, None, :]).sum(axis=2).mean(axis=1)
    return mass * sites.sum(axis=1) / weights.shape[2]  # multiplies by the share instead


def en_max_query(weights, sites):
    mass = (weights * sites[:, None, :]).sum(axis=2).max(axis=1)  # the best query only
    return mass / sites.mean(axis=1)


def en_first_query(weights, sites):
    return (weights[:, 0] * sites).sum(axis=1) / sites.mean(axis=1)  # query 0 only


def en_batch_share(weights, sites):
    mass = (weights * sites[:, None, :]).sum(axis=2).mean(axis=1)
    return mass / sites.mean()  # one share for the whole batch


def en_int_mask(weights, sites):
    s = sites.astype(int)
    return np.einsum("nqk,nk->n", weights, s) / weights.shape[1] / (s.sum(axis=1) / s.shape[1])


def en_loop(weights, sites):
    out = []
    for w, s in zip(weights, sites, strict=True):
        keys = np.flatnonzero(s)
        out.append(w[:, keys].sum(axis=1).mean() / (len(keys) / len(s)))
    return np.array(out)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch8.positional_encoding": [
        (pe_arange, "uses 0..L-1 instead of the given positions", None),
        (pe_int_division, "2 * i // d: integer division makes every exponent 0", None),
        (pe_base_1000, "base 1000 instead of 10000", None),
        (pe_float16, "computes in float16", None),
        (pe_transposed, "returns (d, L) instead of (L, d)", None),
    ],
    "ch8.attention": [
        (at_fill_1e4, "blocked scores set to -1e4, not -inf", None),
        (at_multiply_mask, "scores * mask: blocked scores become 0, not -inf", None),
        (at_float16, "computes in float16", None),
        (at_dot_t, "k.T reverses all axes of a batched k", None),
        (at_sqrt_dv, "scales by sqrt(dv), the value width, not sqrt(d)", None),
        (at_global_max, "subtracts one global max: 0/0 in rows far below it", None),
    ],
    "ch8.multi_head_attention": [
        (mh_one_head, "one head of width d, whatever n_heads", None),
        (mh_averaged_weights, "returns the weights averaged over the heads", None),
        (mh_no_bias, "leaves out the input projection's bias", None),
        (mh_w_out_not_transposed, "out @ w_out instead of out @ w_out.T", None),
        (mh_heads_summed, "adds the heads instead of concatenating them", None),
    ],
    "ch8.attention_enrichment": [
        (en_counts, "multiplies by the share of site keys instead of dividing", None),
        (en_max_query, "the best query's mass, not the mean over queries", None),
        (en_first_query, "looks at query 0 only", None),
        (en_batch_share, "divides by the share of site keys over the whole batch", None),
    ],
}

CORRECT = {
    "ch8.positional_encoding": [pe_exp_log, pe_stack, pe_loops],
    "ch8.attention": [at_mask_after_exp, at_loops],
    "ch8.multi_head_attention": [mh_loop, mh_einsum],
    "ch8.attention_enrichment": [en_int_mask, en_loop],
}


def _mha_args(n, length, heads, width, scale=1.0):
    d = heads * width
    return (
        _rng.normal(size=(n, length, d)),
        scale * _rng.normal(size=(3 * d, d)),
        _rng.normal(size=3 * d),
        _rng.normal(size=(d, d)),
        _rng.normal(size=d),
        heads,
    )


def _enrich_args(n, lq, lk):
    s = _rng.normal(scale=2.0, size=(n, lq, lk))
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    sites = _rng.random((n, lk)) < 0.4
    sites[:, 0] = True
    return w / w.sum(axis=-1, keepdims=True), sites


WITNESSES = {
    "ch8.positional_encoding": [
        (np.array([0.0, 3.5, 1000.0, 12345.6]), 8),
        (np.arange(5.0), 6),
        (np.array([7.0, 2.0, 40.0]), 10),
    ],
    "ch8.attention": [
        (
            np.array([[100.0, 0.0]]),
            np.array([[-300.0, 0.0], [-200.0, 0.0], [50.0, 0.0]]),
            np.array([[1.0], [2.0], [3.0]]),
            np.array([True, True, False]),
        ),
        (
            np.array([[40.0, 0.0], [0.0, 40.0]]),
            np.array([[50.0, 0.0], [0.0, -50.0], [0.0, -60.0]]),
            np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
            None,
        ),
        (
            _rng.normal(size=(2, 3, 4)),
            _rng.normal(size=(2, 5, 4)),
            _rng.normal(size=(2, 5, 3)),
            np.array([True, False, True, True, False]),
        ),
    ],
    "ch8.multi_head_attention": [_mha_args(2, 4, 2, 3), _mha_args(1, 5, 3, 2, scale=3.0)],
    "ch8.attention_enrichment": [_enrich_args(3, 4, 6), _enrich_args(2, 5, 3)],
}
