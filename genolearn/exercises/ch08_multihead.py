"""Checks for Chapter 8 — multi-head self-attention, as ``torch.nn.MultiheadAttention``."""

from __future__ import annotations

import numpy as np

from genolearn.deep.attention import multi_head_attention_numpy
from genolearn.exercises.contract import Array, Contract, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["MULTI_HEAD_ATTENTION"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _projections(values, rng, dims):
    """x drawn as (N, L, heads, width) becomes (N, L, d) with d = heads * width; the
    projections are drawn for that d. In float64, small or large (scores up to hundreds: the
    stable softmax is tested there); in float32, at the scale torch initialises them (about
    1 / sqrt(d)): with scores in the hundreds, two correct float32 orders of operations differ
    by up to 7e-3 (benchmarks/mha_spread.py), and a tolerance that wide would check little."""
    x = values["x"]
    n, length, heads, width = x.shape
    d = heads * width
    if x.dtype == np.float32:
        scale = float(rng.choice([0.5, 1.0])) / np.sqrt(d)
    else:
        scale = float(rng.choice([0.5, 1.0, 4.0]))

    def draw(*shape):
        return (scale * rng.normal(size=shape)).astype(x.dtype)

    return {
        "x": x.reshape(n, length, d),
        "w_in": draw(3 * d, d),
        "b_in": draw(3 * d),
        "w_out": draw(d, d),
        "b_out": draw(d),
        "n_heads": heads,
    }


def _error_scale(case: Case) -> float:
    """The :attr:`Contract.scale` (atol grows by 16 eps times it). A correct answer's rounding
    error grows with S = the magnitude of the terms summed into the output, max(|heads|
    |w_out|^T + |b_out|), times the largest attention score (an error of eps |score| in a
    score moves the weights, and through them the output). Five correct implementations in
    other orders (einsum, loops over heads and over tokens, the output projection per head,
    float64 inside) deviate from the reference by at most 0.30 eps S over 600 seeds
    (benchmarks/mha_spread.py); the scale S / 4 allows 4 eps S, 13 times that."""
    x, w_in, b_in, w_out, b_out, n_heads = case.args
    x, w_in, b_in = (np.asarray(a, dtype=np.float64) for a in (x, w_in, b_in))
    n, length, d = x.shape
    h = d // n_heads
    q, k, v = (
        a.reshape(n, length, n_heads, h).transpose(0, 2, 1, 3)  # (N, heads, L, h)
        for a in np.split(x @ w_in.T + b_in, 3, axis=-1)
    )
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(h)  # (N, heads, L, L)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    heads = (weights @ np.abs(v)).transpose(0, 2, 1, 3).reshape(n, length, d)  # (N, L, d)
    terms = heads @ np.abs(np.asarray(w_out, np.float64)).T + np.abs(np.asarray(b_out))
    return float(terms.max()) * max(1.0, float(np.abs(scores).max())) / 4


_MHA = Contract(
    args=(
        ("x", Array(("N", "L", "P", "E"), normal(1.0))),
        ("w_in", None),
        ("b_in", None),
        ("w_out", None),
        ("b_out", None),
        ("n_heads", None),
    ),
    dims={"N": (1, 3), "L": (1, 6), "P": (1, 4), "E": (1, 3)},
    fix=_projections,
    scale=_error_scale,
)


def _cases(rng: np.random.Generator) -> list[Case]:
    d = 4
    eye = np.eye(d)
    cases = [
        Case(
            (
                rng.normal(size=(1, 3, d)),
                np.concatenate([eye, eye, eye]),
                np.zeros(3 * d),
                eye,
                np.zeros(d),
                2,
            ),
            label="identity projections, 2 heads of width 2: each head attends with its own "
            "2 columns",
        ),
        Case(
            (*tuple(rng.normal(size=s) for s in [(2, 5, 6), (18, 6), (18,), (6, 6), (6,)]), 3),
            label="N = 2, L = 5, d = 6, 3 heads",
        ),
        Case(
            (*tuple(rng.normal(size=s) for s in [(1, 4, 4), (12, 4), (12,), (4, 4), (4,)]), 1),
            label="one head: plain attention on the projections",
        ),
        Case(
            (
                np.array([[[50.0, 0.0], [0.0, 1.0], [30.0, 30.0]]]),
                np.concatenate([np.eye(2)] * 3),
                np.zeros(6),
                np.eye(2),
                np.zeros(2),
                1,
            ),
            label="scores up to 1768 in one row, below 1 in another: a stable softmax per row",
        ),
    ]
    return [*cases, *_MHA.draw(rng, 5)]


def _reference(x, w_in, b_in, w_out, b_out, n_heads):
    out, weights = multi_head_attention_numpy(x, w_in, b_in, w_out, b_out, n_heads)
    return out, weights.astype(out.dtype)


def _softmax(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _mha(x, w_in, b_in, w_out, b_out, n_heads, *, scale_d=False, split="heads", out_proj=True):
    n, length, d = x.shape
    h = d // n_heads
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)  # (N, L, d) each

    def heads(a):
        if split == "interleaved":  # column c goes to head c % n_heads
            return a.reshape(n, length, h, n_heads).transpose(0, 3, 1, 2)
        if split == "reshape":  # (N, L, d) read as (N, heads, L, h) without the transpose
            return a.reshape(n, n_heads, length, h)
        return a.reshape(n, length, n_heads, h).transpose(0, 2, 1, 3)

    qh, kh, vh = heads(q), heads(k), heads(v)
    weights = _softmax(qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d if scale_d else h))
    out = (weights @ vh).transpose(0, 2, 1, 3).reshape(n, length, d)
    return (out @ w_out.T + b_out if out_proj else out), weights


def _qk_swapped(x, w_in, b_in, w_out, b_out, n_heads):
    w = np.concatenate([w_in[len(w_in) // 3 : 2 * len(w_in) // 3], w_in[: len(w_in) // 3]])
    b = np.concatenate([b_in[len(b_in) // 3 : 2 * len(b_in) // 3], b_in[: len(b_in) // 3]])
    return _mha(x, np.concatenate([w, w_in[2 * len(w_in) // 3 :]]),
                np.concatenate([b, b_in[2 * len(b_in) // 3 :]]), w_out, b_out, n_heads)  # fmt: skip


MULTI_HEAD_ATTENTION = register(
    Exercise(
        id="ch8.multi_head_attention",
        chapter=8,
        title="Multi-head self-attention",
        function="multi_head_attention",
        points=3,
        reference=_reference,
        make_cases=_cases,
        contract=_MHA,
        parts=("out", "weights"),
        forbid=_FORBID,
        depends=("ch8.attention",),
        mistakes=(
            Mistake(
                "scaled by the model width",
                "each head's scores are divided by sqrt(d / n_heads), the width of ONE head's "
                "queries, not by sqrt(d).",
                lambda *a: _mha(*a, scale_d=True),
            ),
            Mistake(
                "heads interleaved",
                "head j owns a block of consecutive columns, j * h to (j + 1) * h - 1 (h = d / "
                "n_heads): reshape to (N, L, n_heads, h), then move the head axis forward.",
                lambda *a: _mha(*a, split="interleaved"),
            ),
            Mistake(
                "reshaped without the transpose",
                "(N, L, d) cannot be read directly as (N, n_heads, L, h): reshape to (N, L, "
                "n_heads, h) first, then transpose the L and head axes.",
                lambda *a: _mha(*a, split="reshape"),
            ),
            Mistake(
                "output projection missing",
                "after concatenating the heads, apply the output projection: out @ w_out.T + "
                "b_out.",
                lambda *a: _mha(*a, out_proj=False),
            ),
            Mistake(
                "queries and keys swapped",
                "w_in stacks the query, key and value weights in that order: rows 0 .. d-1 "
                "make the queries.",
                _qk_swapped,
            ),
        ),
    )
)
