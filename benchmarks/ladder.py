"""The ladder of Chapters 5-8: six methods on one task and one split, accuracy, AUROC, CPU time.

Usage (from the repository root):

    .venv/bin/python benchmarks/ladder.py                    # the chapters' setting
    .venv/bin/python benchmarks/ladder.py --n 3000 --length 200 --threads 2 --repeats 5

Task: ``synthetic_task("single_motif")`` — is a JASPAR CTCF site (MA0139.1) planted in this
random sequence? — split once 70/15/15 % with ``seed``, the task and split of Chapters 5
(``chapters/05_fnn/fnn.ipynb``) and 6 (``chapters/06_cnn/cnn.ipynb``). Methods, simplest first,
each configured as the chapter that teaches it:

1. JASPAR PWM scan (Chapter 5): the best window score of the CTCF PWM
   (``baselines.best_pwm_score``), thresholded where the training accuracy is highest
   (``baselines.best_threshold``); "training" = scanning the training set.
2. 4-mer logistic regression (Chapter 5): standardised 4-mer spectrum
   (``baselines.kmer_spectrum``), ``genolearn.nn.train_logistic_regression`` (lr 0.1,
   30 epochs, batch 64).
3. MLP ``FNN(L)`` (Chapter 5).
4. CNN ``MotifCNN()`` (Chapter 6).
5. LSTM ``SequenceRNN()`` (Chapter 7's recipe: convolution, bidirectional LSTM, max read-out;
   the chapter trains it on 50-bp sequences).
6. transformer ``KmerTransformer(max_len=L)`` (Chapter 8's model; the chapter trains it on its
   1-kb loop task).

Every torch model is seeded (``set_seed(0)`` before it is built, ``seed=0`` for batches) and
trained with ``genolearn.deep.train_model``'s recipe (Adam, lr 3e-3, 20 epochs, batch 64, the
best validation epoch kept), on the CPU, as the chapters do. Training is repeated
``--repeats`` times (the same seeded run; accuracies do not change) and the median time is
reported, with its ratio to the CNN's median measured in the same run.
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
from genolearn.dna import baselines, load_jaspar, synthetic_task


def pwm_scan(train, test, pwm) -> tuple[Callable[[], None], Callable[[], tuple]]:
    state = {}

    def fit():
        best = baselines.best_pwm_score(train.x, pwm)  # (N,) best window per sequence
        state["t"] = baselines.best_threshold(best, train.y)

    def score():
        best = baselines.best_pwm_score(test.x, pwm)
        return np.mean((best >= state["t"]) == test.y), gnn.roc_auc(test.y, best)

    return fit, score


def kmer_regression(train, test, k=4) -> tuple[Callable[[], None], Callable[[], tuple]]:
    state = {}

    def fit():
        counts = baselines.kmer_spectrum(train.x, k).astype(float)  # (N, 4**k)
        mu, sd = counts.mean(axis=0), counts.std(axis=0) + 1e-9  # training statistics only
        w, b, _ = gnn.train_logistic_regression(
            (counts - mu) / sd, train.y, lr=0.1, epochs=30, batch_size=64, seed=0
        )
        state.update(mu=mu, sd=sd, w=w, b=b)

    def score():
        counts = baselines.kmer_spectrum(test.x, k)
        z = (counts - state["mu"]) / state["sd"] @ state["w"] + state["b"]
        return np.mean((z > 0) == test.y), gnn.roc_auc(test.y, z)

    return fit, score


def torch_model(make, train, val, test) -> tuple[Callable, Callable]:
    state = {}

    def fit():
        gd.set_seed(0)  # the initial weights come from torch's generator: seed before building
        state["model"] = make()
        gd.train_model(state["model"], train, val, seed=0, device="cpu", progress=False)

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
        "JASPAR PWM scan": pwm_scan(train, test, load_jaspar("CTCF").pwm()),
        "4-mer logistic regression": kmer_regression(train, test),
        "MLP": torch_model(lambda: gd.FNN(length), train, val, test),
        "CNN": torch_model(lambda: gd.MotifCNN(), train, val, test),
        "LSTM": torch_model(lambda: gd.SequenceRNN(), train, val, test),
        "transformer": torch_model(lambda: gd.KmerTransformer(max_len=length), train, val, test),
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
