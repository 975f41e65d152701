"""How fast are genolearn's numpy layers? One epoch of an MLP, three ways, in one process.

Model 800 -> 256 -> 256 -> 2 (ReLU), float32, cross-entropy, SGD (lr 0.01, momentum 0.9),
batch 256, one epoch over 8192 generated one-hot DNA sequences of length 200 (flattened from
(N, 4, L) to (N, 800)) labelled by whether the motif TATAAT was planted:

  (a)  genolearn's Linear / ReLU / Sequential / CrossEntropyLoss / SGD, in the training loop
       that ``genolearn.nn.fit`` runs (``backward(..., input_grad=False)``: no gradient for
       the data, as torch does for inputs without ``requires_grad``);
  (a') the same with the plain ``model.backward(grad)``, which also computes dL/d input;
  (b)  the same model hand-fused into one plain numpy loop (preallocated buffers, ``out=``);
  (c)  torch on the CPU, with as many threads as numpy's BLAS.

All start from the same weights and see the same batches, so they compute the same thing (the
script checks the final weights agree). Each is warmed up once, then timed ``--repeats`` times
in rotating order with a short pause between runs (so one run's spinning BLAS/OpenMP threads do
not slow the next); the median and the minimum are reported. Run from the repository root:

    .venv/bin/python benchmarks/mlp_numpy_vs_torch.py
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import statistics
import time

import numpy as np
import torch
from machine import cpu_model

from genolearn.dna.alphabet import ALPHABET
from genolearn.nn import SGD, CrossEntropyLoss, Linear, ReLU, Sequential, minibatches

N, L, H, C = 8192, 200, 256, 2
D = 4 * L
BATCH, LR, MOMENTUM = 256, 0.01, 0.9
MOTIF = "TATAAT"
SHUFFLE_SEED = 1
PAUSE = 0.3  # seconds between timed runs


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``X: (N, 800)`` float32 one-hot and ``y: (N,)`` int64, half with a planted motif."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(N, L))  # (N, L) base indices into ACGT
    y = rng.integers(0, 2, size=N)  # (N,)
    motif = np.array([ALPHABET.index(b) for b in MOTIF])  # (6,)
    pos = rng.integers(0, L - len(motif) + 1, size=N)  # (N,)
    rows = np.flatnonzero(y)
    codes[rows[:, None], pos[rows, None] + np.arange(len(motif))] = motif  # plant in positives
    onehot = np.zeros((N, 4, L), dtype=np.float32)  # (N, 4, L), channel-first
    onehot[np.arange(N)[:, None], codes, np.arange(L)] = 1
    return onehot.reshape(N, D), y  # (N, 4, L) -> (N, 800)


def genolearn_model() -> Sequential:
    return Sequential(
        Linear(D, H, seed=10), ReLU(), Linear(H, H, seed=11), ReLU(), Linear(H, C, seed=12)
    )


def run_genolearn(X, y, init, *, input_grad: bool) -> tuple[float, list[np.ndarray]]:
    model = genolearn_model()
    for p, w in zip(model.parameters(), init, strict=True):
        np.copyto(p.data, w)
    loss_fn = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = time.perf_counter()
    for xb, yb in minibatches(X, y, BATCH, shuffle=True, seed=SHUFFLE_SEED):
        logits = model(xb)  # (B, C)
        loss_fn(logits, yb)
        optimizer.zero_grad()
        if input_grad:
            model.backward(loss_fn.backward())
        else:
            model.backward(loss_fn.backward(), input_grad=False)
        optimizer.step()
    return time.perf_counter() - start, [p.data for p in model.parameters()]


def run_fused(X, y, init, *, time_matmuls: bool = False):
    """The same epoch as one plain numpy loop. Returns (seconds, weights, seconds in matmul)."""
    w1, b1, w2, b2, w3, b3 = (w.copy() for w in init)
    params = [w1, b1, w2, b2, w3, b3]
    grads = [np.empty_like(p) for p in params]
    gw1, gb1, gw2, gb2, gw3, gb3 = grads
    velocity = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    h1, h2 = np.empty((BATCH, H), np.float32), np.empty((BATCH, H), np.float32)
    d1, d2 = np.empty((BATCH, H), np.float32), np.empty((BATCH, H), np.float32)
    z3 = np.empty((BATCH, C), np.float32)
    spent = [0.0]

    def timed(a, b, out):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        spent[0] += time.perf_counter() - t

    mm = timed if time_matmuls else np.matmul
    order = np.random.default_rng(SHUFFLE_SEED).permutation(N)  # as minibatches draws it
    start = time.perf_counter()
    for s in range(0, N, BATCH):
        idx = order[s : s + BATCH]
        xb, yb, n = X[idx], y[idx], len(idx)
        a1, a2, o, e1, e2 = h1[:n], h2[:n], z3[:n], d1[:n], d2[:n]
        rows = np.arange(n)
        mm(xb, w1.T, out=a1)  # (n, D) @ (D, H) -> (n, H)
        a1 += b1
        np.maximum(a1, 0, out=a1)
        mm(a1, w2.T, out=a2)  # (n, H) @ (H, H) -> (n, H)
        a2 += b2
        np.maximum(a2, 0, out=a2)
        mm(a2, w3.T, out=o)  # (n, H) @ (H, C) -> (n, C)
        o += b3
        o -= o.max(axis=1, keepdims=True)  # softmax cross-entropy, stable
        np.exp(o, out=o)
        o /= o.sum(axis=1, keepdims=True)  # probabilities (n, C)
        _loss = -np.log(o[rows, yb]).mean()
        o[rows, yb] -= 1
        o /= n  # dL/dz3 (n, C)
        mm(o.T, a2, out=gw3)  # (C, n) @ (n, H) -> (C, H)
        o.sum(axis=0, out=gb3)
        mm(o, w3, out=e2)  # (n, C) @ (C, H) -> (n, H)
        e2 *= a2 > 0
        mm(e2.T, a1, out=gw2)  # (H, n) @ (n, H) -> (H, H)
        e2.sum(axis=0, out=gb2)
        mm(e2, w2, out=e1)  # (n, H) @ (H, H) -> (n, H)
        e1 *= a1 > 0
        mm(e1.T, xb, out=gw1)  # (H, n) @ (n, D) -> (H, D)
        e1.sum(axis=0, out=gb1)
        for p, g, v, tmp in zip(params, grads, velocity, scratch, strict=True):
            v *= MOMENTUM
            v += g
            np.multiply(v, LR, out=tmp)
            p -= tmp
    return time.perf_counter() - start, params, spent[0]


def run_torch(X, y, init):
    model = torch.nn.Sequential(
        torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(),
        torch.nn.Linear(H, C),
    )  # fmt: skip
    with torch.no_grad():
        for p, w in zip(model.parameters(), init, strict=True):
            p.copy_(torch.from_numpy(w))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    order = torch.from_numpy(np.random.default_rng(SHUFFLE_SEED).permutation(N))
    start = time.perf_counter()
    for s in range(0, N, BATCH):
        idx = order[s : s + BATCH]
        loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start, [p.detach().numpy() for p in model.parameters()]


def blas_threads() -> str:
    """numpy's OpenBLAS thread count (scipy-openblas wheels), or 'unknown'."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")
    for path in glob.glob(libs):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return str(getattr(lib, name)())
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    threads = blas_threads()
    if threads.isdigit():
        torch.set_num_threads(int(threads))
    print(
        f"CPU: {cpu_model()} | nproc {os.cpu_count()} | numpy {np.__version__} "
        f"(BLAS threads {threads}) | torch {torch.__version__} "
        f"(threads {torch.get_num_threads()}) | load average {os.getloadavg()[0]:.2f}"
    )
    X, y = make_data()
    init = [p.data.copy() for p in genolearn_model().parameters()]
    print(
        f"data X {X.shape} {X.dtype}, y {y.shape}; MLP {D}-{H}-{H}-{C}; batch {BATCH}; "
        f"{N // BATCH} steps per epoch; median of {args.repeats} epochs after 1 warm-up"
    )

    runs = {
        "a": lambda: run_genolearn(X, y, init, input_grad=False)[0],
        "a2": lambda: run_genolearn(X, y, init, input_grad=True)[0],
        "b": lambda: run_fused(X, y, init)[0],
        "c": lambda: run_torch(X, y, init)[0],
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for f in runs.values():  # warm-up
        f()
    keys = list(runs)
    for r in range(args.repeats):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:  # rotate who goes first
            # Let the previous run's BLAS/OpenMP worker threads stop spinning: on a machine
            # with few cores they would otherwise steal time from the next run.
            time.sleep(PAUSE)
            times[k].append(runs[k]())
    med = {k: statistics.median(v) for k, v in times.items()}
    shares = []
    for _ in range(args.repeats):
        time.sleep(PAUSE)
        total, _, in_matmul = run_fused(X, y, init, time_matmuls=True)
        shares.append(in_matmul / total)  # within one run, so load changes cancel
    share = statistics.median(shares)

    # Same computation? Compare the weights after one epoch.
    w_a = run_genolearn(X, y, init, input_grad=False)[1]
    w_b = run_fused(X, y, init)[1]
    w_c = run_torch(X, y, init)[1]
    diff_b = max(float(np.abs(p - q).max()) for p, q in zip(w_a, w_b, strict=True))
    diff_c = max(float(np.abs(p - q).max()) for p, q in zip(w_a, w_c, strict=True))

    labels = {
        "a": "(a)  genolearn modules, fit()'s loop",
        "a2": "(a') genolearn modules, plain backward()",
        "b": "(b)  hand-fused numpy loop",
        "c": "(c)  torch CPU",
    }
    for k, label in labels.items():
        spread = f"(min {min(times[k]):.3f}, max {max(times[k]):.3f})"
        print(f"{label:<44s} {med[k]:.3f} s per epoch {spread}")
    low = {k: min(v) for k, v in times.items()}
    print("ratios of medians (of minima, less sensitive to other load on the machine):")
    for name, top, bottom, goal in [
        ("genolearn / torch     ", "a", "c", "  goal < 1"),
        ("genolearn / hand-fused", "a", "b", "  goal <= 1.15"),
        ("(a') / hand-fused     ", "a2", "b", ""),
    ]:
        print(f"  {name} = {med[top] / med[bottom]:.2f} ({low[top] / low[bottom]:.2f}){goal}")
    print(f"matrix products: {share:.0%} of the hand-fused epoch (timed around each np.matmul)")
    print(
        f"max |weight difference| after one epoch: genolearn vs hand-fused {diff_b:.1e}, "
        f"vs torch {diff_c:.1e}"
    )


if __name__ == "__main__":
    main()
