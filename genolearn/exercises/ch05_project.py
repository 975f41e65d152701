"""Chapter 5's project: a cooperative pair, the GATA1:TAL1 composite of erythroid enhancers.

In red-cell precursors GATA1 and the TAL1 complex bind together: an enhancer is active when it
holds **both** a GATA site and an E-box. Here, 100-bp random sequences are positive when they
carry both a GATA1 site (JASPAR MA0035.4, shipped with genolearn) and a TAL1::TCF3 E-box
(JASPAR MA0091.1, read from the same pyjaspar database but *not* offered by ``load_jaspar``:
the learner finds it in the data), each drawn from its motif's position probability matrix and
planted on a random strand at a random position. The negatives carry, in equal shares, neither
site, only a GATA site, only an E-box, two GATA sites or two E-boxes (the last two are decoys
for a model that adds up motif counts). The learner writes
``score_sequences(train_seqs, train_labels, test_seqs, seed)`` returning one score per test
sequence; the measurement is the held-out AUROC. Goal: AUROC >= 0.90. On 20 hidden splits
(seeds 10,000-10,019), a single PWM scanner on both strands (the chapter's first rung) reaches
0.68-0.76 with GATA1's matrix and 0.74-0.80 with the E-box's, the chapter's bag of 4-mers
0.59-0.68; the example solution (GATA1's PWM, an E-box PWM learned from the training
positives, both strands, a 2-8-1 network on the two best-window scores) 0.935-0.963.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from genolearn.dna.datasets import random_sequences
from genolearn.dna.motifs import JASPAR_SOURCE, Motif, jaspar_database, load_jaspar, sample_motif
from genolearn.dna.onehot import one_hot_encode
from genolearn.exercises.project import Project, ProjectCase, auroc_measure, heldout_cases
from genolearn.exercises.registry import register

__all__ = ["KINDS", "composite_task", "reference_score_sequences", "tal1_motif"]

GOAL, N_TRAIN, N_TEST, LENGTH = 0.90, 1500, 600, 100
#: What a sequence carries: the positives ("both") and the five kinds of negatives.
KINDS = ("both", "neither", "GATA only", "E-box only", "two GATA", "two E-boxes")
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


@lru_cache(maxsize=1)
def tal1_motif() -> Motif:
    """TAL1::TCF3, JASPAR 2022 MA0091.1 (consensus ``CGACCATCTGTT``, width 12), read from the
    pyjaspar database like the shipped motifs (:func:`genolearn.dna.load_jaspar` does not
    offer it: the project's E-box is for the learner to find)."""
    db = sqlite3.connect(f"file:{jaspar_database()}?mode=ro", uri=True)
    try:
        (matrix,) = db.execute(
            "SELECT ID FROM MATRIX WHERE BASE_ID = 'MA0091' AND VERSION = 1"
        ).fetchone()
        cells = db.execute("SELECT row, col, val FROM MATRIX_DATA WHERE ID = ?", (matrix,))
        counts = np.zeros((4, 12))  # (4, K), rows ACGT
        for base, col, val in cells.fetchall():
            counts["ACGT".index(base.upper()), col - 1] = val
    finally:
        db.close()
    return Motif("MA0091.1", "TAL1::TCF3", counts, "Mus musculus", JASPAR_SOURCE)


def _sites(motif: Motif, n: int, rng: np.random.Generator) -> list[str]:
    """``n`` sites drawn from the motif's PPM, each on a random strand."""
    sites = sample_motif(motif, rng, n)
    flip = rng.random(n) < 0.5
    return [s[::-1].translate(_COMPLEMENT) if f else s for s, f in zip(sites, flip, strict=True)]


def composite_task(n: int, seed: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``n`` sequences of 100 bp, labels ``(n,)`` (1 = both a GATA1 site and an E-box) and
    kinds ``(n,)`` (indices into :data:`KINDS`): half positives, the negatives split evenly
    over the five other kinds. Sites do not overlap."""
    gata, ebox = load_jaspar("GATA1"), tal1_motif()
    planted = {0: "GE", 1: "", 2: "G", 3: "E", 4: "GG", 5: "EE"}  # kind -> the sites it holds
    y = seed.permutation(np.arange(n) % 2)
    kinds = np.where(y == 1, 0, seed.integers(1, 6, size=n))
    letters = "".join(planted[int(k)] for k in kinds)
    pools = {
        "G": iter(_sites(gata, letters.count("G"), seed)),
        "E": iter(_sites(ebox, letters.count("E"), seed)),
    }
    seqs = []
    for s, kind in zip(random_sequences(n, LENGTH, seed=seed), kinds, strict=True):
        taken: list[tuple[int, int]] = []
        for letter in planted[int(kind)]:
            site = next(pools[letter])
            while True:
                start = int(seed.integers(0, LENGTH - len(site) + 1))
                end = start + len(site)
                if all(end <= a or b <= start for a, b in taken):
                    break
            taken.append((start, end))
            s = s[:start] + site + s[end:]
        seqs.append(s)
    return seqs, y.astype(np.int64), kinds.astype(np.int64)


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    train_seqs, train_y, _ = composite_task(N_TRAIN, rng)
    test_seqs, test_y, _ = composite_task(N_TEST, rng)
    label = f"{N_TRAIN} training sequences of {LENGTH} bp; {N_TEST} held out"
    return heldout_cases(train_seqs, train_y, test_seqs, test_y, rng, label)


_measure = auroc_measure(GOAL)


def _best_both_strands(x: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """Best window score on either strand. x: (N, 4, L), pwm: (4, K) -> (N,)."""
    windows = sliding_window_view(x, pwm.shape[1], axis=2)  # (N, 4, W, K)
    forward = np.einsum("nawk,ak->nw", windows, pwm)  # (N, W)
    reverse = np.einsum("nawk,ak->nw", windows, pwm[::-1, ::-1])  # the reverse complement's
    return np.maximum(forward, reverse).max(axis=1)


def reference_score_sequences(
    train_seqs: list[str], train_labels: np.ndarray, test_seqs: list[str], seed: int
) -> np.ndarray:
    """An example solution: two features per sequence — the best GATA1 window (JASPAR's PWM)
    and the best E-box window, under a 12-bp PWM learned from the training positives (aligned
    on their best ``CATCTG``, either strand, widened by 3 bp each side) — both strands; then a
    2-8-1 ReLU network (Adam, 60 epochs) on the standardised features. -> (N_test,)"""
    import genolearn.nn as gnn

    x_train = one_hot_encode(train_seqs).astype(np.float64)  # (N, 4, L)
    x_test = one_hot_encode(test_seqs).astype(np.float64)
    core = np.full((4, 6), 0.05)
    core[["ACGT".index(b) for b in "CATCTG"], np.arange(6)] = 0.85
    core = np.log2(core / 0.25)  # (4, 6) consensus log-odds
    positives = np.pad(x_train[train_labels == 1], ((0, 0), (0, 0), (3, 3)))  # (P, 4, L + 6)
    windows = sliding_window_view(positives, 6, axis=2)[:, :, 3:-3]  # (P, 4, L - 5, 6)
    forward = np.einsum("nawk,ak->nw", windows, core)  # (P, L - 5)
    reverse = np.einsum("nawk,ak->nw", windows, core[::-1, ::-1])
    best = np.concatenate([forward, reverse], axis=1).argmax(axis=1)  # (P,)
    width = forward.shape[1]
    sites = []
    for seq, b in zip(positives, best, strict=True):
        start = b % width  # the core starts at start + 3 in the padded sequence
        site = seq[:, start : start + 12]  # (4, 12): 3 bp, the core, 3 bp
        sites.append(site if b < width else site[::-1, ::-1])
    counts = np.sum(sites, axis=0)  # (4, 12)
    ebox = np.log2((counts + 0.5) / (len(sites) + 2.0) / 0.25)
    gata = load_jaspar("GATA1").pwm()  # (4, 11)

    def features(x: np.ndarray) -> np.ndarray:
        return np.stack([_best_both_strands(x, gata), _best_both_strands(x, ebox)], axis=1)

    f_train, f_test = features(x_train), features(x_test)  # (N, 2)
    mu, sd = f_train.mean(axis=0), f_train.std(axis=0) + 1e-9
    net = gnn.Sequential(gnn.Linear(2, 8, seed=seed), gnn.ReLU(), gnn.Linear(8, 1, seed=seed + 1))
    gnn.fit(
        net,
        gnn.BCEWithLogitsLoss(),
        gnn.Adam(net.parameters(), lr=1e-2),
        ((f_train - mu) / sd).astype(np.float32),
        train_labels.astype(np.float32)[:, None],
        epochs=60,
        batch_size=64,
        seed=seed,
    )
    return gnn.predict(net, ((f_test - mu) / sd).astype(np.float32))[:, 0]  # (N_test,) logits


PROJECT = register(
    Project(
        id="ch5.project",
        chapter=5,
        title="A cooperative pair: GATA1 and TAL1",
        function="score_sequences",
        points=3.0,
        reference=reference_score_sequences,
        make_cases=_make_cases,
        goal=f"held-out AUROC >= {GOAL:.2f}",
        measure=_measure,
        written_points=3.0,
        written=(
            "What did you try, and what AUROC did each attempt reach on validation sequences "
            "you split off the public training set yourself? Why can a single PWM scanner not "
            "reach the goal, and why does adding up motif counts fail on the decoys? Which "
            "held-out sequences does your model get wrong (which kinds of negatives, how "
            "strong their sites), and what would the spacing or orientation of GATA1 and TAL1 "
            "sites in real erythroid enhancers add?"
        ),
        public_seed=5,
        time_limit_s=20.0,
    )
)
