"""Checks for Chapter 8 — transformers: scaled dot-product attention with a mask."""

from __future__ import annotations

import numpy as np

from genolearn.deep.transformer import scaled_dot_product_attention
from genolearn.exercises.contract import Array, Contract, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["ATTENTION"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _attention_inputs(values, rng, dims):
    """q, k, v with or without a batch axis, scores small or up to ~1e4 (float64: where -1e4
    and -inf differ), a mask (or None) of a broadcastable shape, every query seeing a key."""
    q, k = values["q"], values["k"]
    scale = 1.0 if q.dtype == np.float32 else float(rng.choice([1.0, 10.0, 120.0]))
    values["q"], values["k"] = (q * scale).astype(q.dtype), (k * scale).astype(k.dtype)
    if rng.random() < 0.4:  # no batch axis
        values = {n: (v[0] if n in "qkv" else v) for n, v in values.items()}
    lead = values["q"].shape[:-2]
    lq, lk = dims["Lq"], dims["Lk"]
    shape = [None, (lk,), (lq, lk), (*lead, lq, lk)][int(rng.integers(4))]
    if shape is None:
        values["mask"] = None
        return values
    mask = rng.random(shape) < 0.6
    mask[..., int(rng.integers(lk))] = True  # every query sees at least one key
    values["mask"] = mask
    return values


_ATTENTION = Contract(
    args=(
        ("q", Array(("B", "Lq", "d"), normal(1.0))),
        ("k", Array(("B", "Lk", "d"), normal(1.0))),
        ("v", Array(("B", "Lk", "dv"), normal(1.0))),
        ("mask", None),
    ),
    dims={"B": (1, 3), "Lq": (1, 6), "Lk": (1, 6), "d": (1, 8), "dv": (1, 4)},
    fix=_attention_inputs,
)


# --------------------------------------------------------------------------- attention


def _attention_cases(rng: np.random.Generator) -> list[Case]:
    causal = np.tril(np.ones((4, 4), dtype=bool))
    padding = np.array([True, True, True, False, False])  # (Lk,): the last 2 keys are padding
    cases = [
        Case(
            (
                np.array([[1.0, 0.0]]),
                np.array([[1.0, 0.0], [0.0, 1.0]]),
                np.array([[1.0, 2.0], [3.0, 4.0]]),
                None,
            ),
            label="one query, two keys, no mask",
        ),
        Case(
            (np.ones((2, 3)), np.ones((3, 3)), np.arange(6.0).reshape(3, 2), None),
            label="identical keys: equal weights",
        ),
        Case(
            (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), causal),
            label="causal mask: query i sees keys 0..i",
        ),
        Case(
            (
                rng.normal(size=(2, 3, 4)),
                rng.normal(size=(2, 5, 4)),
                rng.normal(size=(2, 5, 2)),
                padding,
            ),
            label="batch of 2, key-padding mask of shape (5,)",
        ),
        Case(
            (
                np.array([[40.0, 0, 0, 0], [0, 40, 0, 0], [30, 30, 0, 0]]),
                np.array([[50.0, 0, 0, 0], [0, 50, 0, 0], [0, 0, 50, 0], [-50, 0, 0, 0], [25] * 4]),
                np.arange(10.0).reshape(5, 2),
                None,
            ),
            label="large scores (q . k / sqrt(d) up to 1000)",
        ),
        Case(
            (
                np.array([[100.0, 0.0]]),
                np.array([[-400.0, 0.0], [50.0, 0.0]]),
                np.array([[1.0, 2.0], [3.0, 4.0]]),
                np.array([True, False]),
            ),
            label="the only allowed score is -28284: a blocked key must still get weight 0",
        ),
    ]
    return [*cases, *_ATTENTION.draw(rng, 5)]


def _attention_reference(q, k, v, mask=None):
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    dtype = np.result_type(q, k, v)  # float32 inputs: a float32 answer, float32 tolerance
    return out.astype(dtype), weights.astype(dtype)


def _attn(
    q,
    k,
    v,
    mask,
    *,
    scale=None,
    axis=-1,
    fill=-1e9,
    use_mask=True,
    invert=False,
    after=False,
    stable=True,
):
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(d) if scale is None else scale)
    allowed = None if mask is None or not use_mask else np.broadcast_to(mask, scores.shape)
    if allowed is not None and invert:
        allowed = ~allowed
    if allowed is not None and not after:
        scores = np.where(allowed, scores, fill)
    with np.errstate(over="ignore", invalid="ignore"):
        if stable:
            scores = scores - scores.max(axis=axis, keepdims=True)
        weights = np.exp(scores)
        weights = weights / weights.sum(axis=axis, keepdims=True)
    if allowed is not None and after:
        weights = weights * allowed
    return weights @ v, weights


ATTENTION = register(
    Exercise(
        id="ch8.attention",
        chapter=8,
        title="Scaled dot-product attention with a mask",
        function="attention",
        points=3,
        reference=_attention_reference,
        make_cases=_attention_cases,
        contract=_ATTENTION,
        parts=("out", "weights"),
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no 1/sqrt(d) scaling",
                "divide the scores q k^T by sqrt(d) before the softmax; unscaled, they grow "
                "with d and the softmax saturates.",
                lambda q, k, v, mask: _attn(q, k, v, mask, scale=1.0),
            ),
            Mistake(
                "scaled by 1/d",
                "the scores are divided by sqrt(d), not by d.",
                lambda q, k, v, mask: _attn(q, k, v, mask, scale=q.shape[-1]),
            ),
            Mistake(
                "softmax over the queries",
                "the softmax ran over the wrong axis: each QUERY's weights over the keys must "
                "sum to 1, so normalise along the last axis (keys).",
                lambda q, k, v, mask: _attn(q, k, v, mask, axis=-2),
            ),
            Mistake(
                "mask ignored",
                "the mask was not applied: where mask is False the weight must be exactly 0 "
                "(set those scores to -inf before the softmax).",
                lambda q, k, v, mask: _attn(q, k, v, mask, use_mask=False),
            ),
            Mistake(
                "mask inverted",
                "the mask was used the wrong way round: True means 'may attend', False means "
                "'blocked' (torch's boolean attn_mask convention).",
                lambda q, k, v, mask: _attn(q, k, v, mask, invert=True),
            ),
            Mistake(
                "mask applied after the softmax",
                "the blocked weights were zeroed after the softmax, so the rows no longer sum "
                "to 1: mask the scores (with -inf) BEFORE the softmax.",
                lambda q, k, v, mask: _attn(q, k, v, mask, after=True),
            ),
            Mistake(
                "softmax without subtracting the maximum",
                "exp of a large score overflows to inf and inf / inf is nan: subtract each "
                "row's maximum score before exp (the softmax does not change).",
                lambda q, k, v, mask: _attn(q, k, v, mask, fill=-np.inf, stable=False),
            ),
        ),
    )
)
