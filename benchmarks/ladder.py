"""The Chapter 5 ladder: six methods on one task and one split, accuracy, AUROC and CPU time.

Usage (from the repository root):

    .venv/bin/python benchmarks/ladder.py                    # the notebook's setting
    .venv/bin/python benchmarks/ladder.py --n 3000 --length 200 --threads 2 --repeats 5

Task: ``synthetic_task("single_motif")`` — is a JASPAR CTCF site (MA0139.1) planted in this
random sequence? — split once 70/15/15 % with ``seed``. Methods, simplest first:

1. PWM scan (oracle): the best window score of the true CTCF PWM, thresholded where the
   training accuracy is highest; "training" = scanning the training set.
2. 4-mer logistic regression: standardised counts of the 256 4-mers,
   ``genolearn.nn.train_logistic_regression`` (lr 0.1, 30 epochs, batch 64).
3. MLP ``FNN(L, (32,), dropout=0.2)``, 15 epochs, lr 1e-3.
4. CNN ``MotifCNN(8, 19)``, 10 epochs, lr 3e-3.
5. LSTM ``SequenceRNN("lstm", 16, readout="max")``, 15 epochs, lr 5e-3.
6. transformer ``SequenceTransformer(16, 2, 1, embed_kernel=9)``, 8 epochs, lr 3e-3.

Every torch model is seeded (``set_seed(0)`` before it is built, ``seed=0`` for batches) and
trained with Adam, batch 64, on the CPU, exactly as in the notebook
``chapters/05_architectures/architectures.ipynb``, whose table this reproduces at the default
setting. Training is repeated ``--repeats`` times (the same seeded run; accuracies do not
change) and the median time is reported, with its ratio to the CNN's median measured in the
same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from machine import cpu_model

import genolearn.deep as gd
import genolearn.nn as gnn
from genolearn.dna import kmer_counts, load_jaspar, pwm_scan, synthetic_task


def pwm_oracle(train, test, pwm) -> tuple[Callable[[], None], Callable[[], tuple]]:
    state = {}

    def fit():
        best = pwm_scan(train.x, pwm).max(axis=1)  # (N,) best window per sequence
        cuts = np.sort(best)
        state["t"] = cuts[np.argmax([np.mean((best >= t) == train.y) for t in cuts])]

    def score():
        best = pwm_scan(test.x, pwm).max(axis=1)
        return np.mean((best >= state["t"]) == test.y), gnn.roc_auc(test.y, best)

    return fit, score


def kmer_regression(train, test, k=4) -> tuple[Callable[[], None], Callable[[], tuple]]:
    state = {}

    def fit():
        counts = kmer_counts(train.sequences, k).astype(float)  # (N, 4**k)
        mu, sd = counts.mean(axis=0), counts.std(axis=0) + 1e-9
        w, b, _ = gnn.train_logistic_regression(
            (counts - mu) / sd, train.y, lr=0.1, epochs=30, batch_size=64, seed=0
        )
        state.update(mu=mu, sd=sd, w=w, b=b)

    def score():
        z = (kmer_counts(test.sequences, k) - state["mu"]) / state["sd"] @ state["w"] + state["b"]
        return np.mean((z > 0) == test.y), gnn.roc_auc(test.y, z)

    return fit, score


def torch_model(make, train, val, test, epochs, lr) -> tuple[Callable, Callable]:
    state = {}

    def fit():
        gd.set_seed(0)
        state["model"] = make()
        gd.train_model(
            state["model"], train, val, epochs=epochs, batch_size=64, lr=lr, seed=0, device="cpu"
        )

    def score():
        result = gd.evaluate(state["model"], test.x, test.y)
        return result["accuracy"], result["auroc"]

    return fit, score


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1500, help="sequences (default 1500)")
    parser.add_argument("--length", type=int, default=100, help="bases per sequence (100)")
    parser.add_argument("--seed", type=int, default=0, help="data and split seed (0)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed trainings per method (3)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    data = synthetic_task("single_motif", n=args.n, length=args.length, seed=args.seed)
    train, val, test = data.split(seed=args.seed)
    length = args.length
    methods = {
        "PWM scan (oracle)": pwm_oracle(train, test, load_jaspar("CTCF").pwm()),
        "4-mer logistic regression": kmer_regression(train, test),
        "MLP": torch_model(
            lambda: gd.FNN(length, (32,), dropout=0.2), train, val, test, epochs=15, lr=1e-3
        ),
        "CNN": torch_model(lambda: gd.MotifCNN(8, 19), train, val, test, epochs=10, lr=3e-3),
        "LSTM": torch_model(
            lambda: gd.SequenceRNN("lstm", 16, readout="max"), train, val, test, 15, 5e-3
        ),
        "transformer": torch_model(
            lambda: gd.SequenceTransformer(16, 2, 1, max_len=length, embed_kernel=9),
            train,
            val,
            test,
            epochs=8,
            lr=3e-3,
        ),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"CPU: {cpu_model()} | nproc {os.cpu_count()} | torch {torch.__version__} "
        f"(threads {torch.get_num_threads()}) | load average {load:.2f}"
    )
    print(f"task: {data.task}; train {len(train)}, validation {len(val)}, test {len(test)}")
    print(f"time = median of {args.repeats} trainings; ratio = time / CNN time (same run)")
    rows = {}
    for name, (fit, score) in methods.items():
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fit()
            times.append(time.perf_counter() - start)
        rows[name] = (*score(), statistics.median(times))
    cnn_time = rows["CNN"][2]
    print(f"{'method':28s} {'accuracy':>8s} {'AUROC':>6s} {'train s':>8s} {'ratio':>6s}")
    for name, (acc, auc, seconds) in rows.items():
        print(f"{name:28s} {acc:8.2f} {auc:6.2f} {seconds:8.3f} {seconds / cnn_time:6.2f}")


if __name__ == "__main__":
    main()
