"""How far apart are correct answers to ``ch8.multi_head_attention``? The check's tolerance.

    .venv/bin/python benchmarks/mha_spread.py --seeds 600

Five correct implementations that order the float operations differently (einsum instead of
matmul, a loop over heads with the queries scaled first, the output projection summed head by
head with a log-sum-exp softmax, a loop over tokens, float64 inside and a float32 answer) run on
the exercise's cases for ``--seeds`` seeds; for each precision the script prints their largest
deviation from the reference, that deviation over ``eps * scale`` (the check's
:attr:`Contract.scale`, ``_error_scale``: the atol grows by ``16 eps scale``) and over the
allowed error, and how many cases the check would fail. A tolerance is honest when every
correct implementation passes with room to spare: the ratio to ``eps * scale`` must stay well
below 16.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from genolearn.exercises import get_exercise
from genolearn.exercises.contract import case_itemsize


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mha_einsum(x, w_in, b_in, w_out, b_out, n_heads):
    """einsum throughout, the scale a Python float (the scores stay float32)."""
    n, length, d = x.shape
    h = d // n_heads
    qkv = np.einsum("nld,ed->nle", x, w_in) + b_in  # (N, L, 3d)
    q, k, v = (qkv[..., i * d : (i + 1) * d].reshape(n, length, n_heads, h) for i in range(3))
    weights = _softmax(np.einsum("nqhc,nkhc->nhqk", q, k) / math.sqrt(h))  # (N, heads, L, L)
    heads = np.einsum("nhqk,nkhc->nqhc", weights, v).reshape(n, length, d)  # (N, L, d)
    return np.einsum("nle,oe->nlo", heads, w_out) + b_out, weights


def mha_heads_loop(x, w_in, b_in, w_out, b_out, n_heads):
    """One head at a time from slices of the weights, the queries scaled first (as torch)."""
    d = x.shape[-1]
    h = d // n_heads
    w_q, w_k, w_v = np.split(w_in, 3)
    b_q, b_k, b_v = np.split(b_in, 3)
    outs, maps = [], []
    for j in range(n_heads):
        cols = slice(j * h, (j + 1) * h)
        q = (x @ w_q[cols].T + b_q[cols]) / math.sqrt(h)  # (N, L, h)
        k, v = x @ w_k[cols].T + b_k[cols], x @ w_v[cols].T + b_v[cols]
        weights = _softmax(q @ k.transpose(0, 2, 1))  # (N, L, L)
        outs.append(weights @ v)
        maps.append(weights)
    return np.concatenate(outs, axis=-1) @ w_out.T + b_out, np.stack(maps, axis=1)


def mha_out_per_head(x, w_in, b_in, w_out, b_out, n_heads):
    """The output projection summed head by head; softmax as exp(s - logsumexp(s))."""
    n, length, d = x.shape
    h = d // n_heads
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)  # (N, L, d) each
    out = np.broadcast_to(b_out, (n, length, d)).copy()
    maps = []
    for j in range(n_heads):
        cols = slice(j * h, (j + 1) * h)
        s = q[..., cols] @ (k[..., cols] / math.sqrt(h)).transpose(0, 2, 1)
        top = s.max(axis=-1, keepdims=True)
        weights = np.exp(s - (top + np.log(np.exp(s - top).sum(axis=-1, keepdims=True))))
        maps.append(weights)
        out += (weights @ v[..., cols]) @ w_out[:, cols].T  # this head's share of out
    return out, np.stack(maps, axis=1)


def mha_tokens(x, w_in, b_in, w_out, b_out, n_heads):
    """Loops over sequences, heads and tokens, dot products one by one."""
    n, length, d = x.shape
    h = d // n_heads
    out = np.zeros((n, length, d), x.dtype)
    maps = np.zeros((n, n_heads, length, length), x.dtype)
    for b in range(n):
        qkv = np.stack([w_in @ x[b, t] + b_in for t in range(length)])  # (L, 3d)
        for j in range(n_heads):
            q, k, v = (qkv[:, i * d + j * h : i * d + (j + 1) * h] for i in range(3))
            for t in range(length):
                s = np.array([np.dot(q[t], k[u]) for u in range(length)]) / math.sqrt(h)
                e = np.exp(s - s.max())
                maps[b, j, t] = e / e.sum()
                out[b, t, j * h : (j + 1) * h] = maps[b, j, t] @ v
        out[b] = out[b] @ w_out.T + b_out
    return out, maps


def mha_float64_inside(x, w_in, b_in, w_out, b_out, n_heads):
    """Computed in float64, answered in the input's precision."""
    args = [np.asarray(a, np.float64) for a in (x, w_in, b_in, w_out, b_out)]
    out, weights = mha_einsum(*args, n_heads)
    return out.astype(x.dtype), weights.astype(x.dtype)


CORRECT = {
    "einsum": mha_einsum,
    "heads loop, q scaled": mha_heads_loop,
    "out per head, lse": mha_out_per_head,
    "token loops": mha_tokens,
    "float64 inside": mha_float64_inside,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=600)
    args = parser.parse_args()
    exercise = get_exercise("ch8.multi_head_attention")
    contract = exercise.contract
    # (precision, implementation) -> [max |error|, max error / (eps scale), max error / allowed,
    # failed cases, cases]
    rows: dict[tuple[int, str], list[float]] = {}
    start = time.perf_counter()
    for seed in range(args.seeds):
        for case in exercise.make_cases(np.random.default_rng(seed)):
            size = case_itemsize(case)
            eps = float(np.finfo(np.float32 if size == 4 else np.float64).eps)
            rtol, atol = contract.tolerance(size, case)
            scale = contract.scale(case)
            expected = exercise.reference(*case.args)
            for name, fn in CORRECT.items():
                got = fn(*case.args)
                row = rows.setdefault((size, name), [0.0, 0.0, 0.0, 0, 0])
                failed = False
                for e, g in zip(expected, got, strict=True):
                    e, g = np.asarray(e, np.float64), np.asarray(g, np.float64)
                    err = np.abs(g - e)
                    row[0] = max(row[0], float(err.max()))
                    row[1] = max(row[1], float((err - rtol * np.abs(e)).max()) / (eps * scale))
                    row[2] = max(row[2], float((err / (atol + rtol * np.abs(e))).max()))
                    failed |= bool(np.any(err > atol + rtol * np.abs(e)))
                row[3] += failed
                row[4] += 1
    print(f"ch8.multi_head_attention, {args.seeds} seeds, {time.perf_counter() - start:.0f} s")
    print("| precision | implementation | max abs error | / (eps scale) | / allowed | failed |")
    print("|---|---|---|---|---|---|")
    for (size, name), (err, c, ratio, failed, n) in sorted(rows.items()):
        print(f"| float{8 * size} | {name} | {err:.2e} | {c:.3f} | {ratio:.3f} | {failed}/{n} |")


if __name__ == "__main__":
    main()
