"""Chapter 1's project: design promoter features for a perceptron.

The task: 60-bp bacterial-like sequences, active (label 1) by a rule the learner does not see
in full — the −10 box ``TATAAT`` and the −35 box ``TTGACA``, each tolerating one mismatch, and
an AT-rich background all count (the rule is linear in the right features). The learner writes
``promoter_features(sequences) -> (N, F)`` with at most 10 features; the measurement trains the
chapter's perceptron (:func:`genolearn.nn.train_perceptron`, 20 epochs, ``lr = 1``) on the
standardised features of the training sequences and scores its accuracy on the held-out ones.
The learner's function sees every sequence, training and held-out mixed, but no label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array
from genolearn.dna.datasets import plant_motif, random_sequences
from genolearn.dna.sequence import gc_content
from genolearn.exercises.project import Measure, Project, ProjectCase
from genolearn.exercises.registry import register
from genolearn.nn.neuron import perceptron_predict, train_perceptron

__all__ = ["BOX_10", "BOX_35", "MAX_FEATURES", "promoter_task", "reference_promoter_features"]

BOX_10, BOX_35 = "TATAAT", "TTGACA"
MAX_FEATURES, GOAL = 10, 0.95
N_TRAIN, N_TEST, LENGTH = 300, 200, 60
EPOCHS, LR = 20, 1.0


def _mutate(site: str, k: int, rng: np.random.Generator) -> str:
    """``site`` with ``k`` positions changed to another base."""
    bases = list(site)
    for i in rng.choice(len(bases), size=k, replace=False):
        bases[i] = str(rng.choice([b for b in "ACGT" if b != bases[i]]))
    return "".join(bases)


def _best_mismatches(seq: str, motif: str) -> int:
    """The fewest mismatches between ``motif`` and any window of ``seq``."""
    k = len(motif)
    windows = (seq[i : i + k] for i in range(len(seq) - k + 1))
    return min(sum(a != b for a, b in zip(w, motif, strict=True)) for w in windows)


def promoter_task(n: int, seed: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``n`` sequences of 60 bp and their labels ``(N,)`` (int64, 0/1).

    Each sequence has a GC fraction drawn from [0.3, 0.7]; with probability 0.6 a −10 box with 0
    or 1 mismatch is planted at 30–49, with probability 0.5 a −35 box at 0–19. The label is 1
    when ``2 [-10 box within 1 mismatch] + [-35 box within 1 mismatch] - 6 (GC - 0.5) >= 1.5``,
    the boxes searched anywhere in the sequence (so chance matches count too).
    """
    seqs, labels = [], []
    for _ in range(n):
        gc = seed.uniform(0.3, 0.7)
        s = random_sequences(1, LENGTH, gc=gc, seed=seed)[0]
        if seed.random() < 0.6:
            site = _mutate(BOX_10, int(seed.integers(0, 2)), seed)
            s = plant_motif(s, site, int(seed.integers(30, 50)))
        if seed.random() < 0.5:
            s = plant_motif(
                s, _mutate(BOX_35, int(seed.integers(0, 2)), seed), int(seed.integers(0, 20))
            )
        m10, m35 = _best_mismatches(s, BOX_10) <= 1, _best_mismatches(s, BOX_35) <= 1
        # integer arithmetic (GC = n_gc / L) so that no label depends on rounding
        n_gc = sum(b in "GC" for b in s)
        score = 2 * LENGTH * (2 * m10 + m35) - 12 * n_gc + 6 * LENGTH - 3 * LENGTH
        seqs.append(s)
        labels.append(int(score >= 0))
    return seqs, np.asarray(labels, dtype=np.int64)


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    seqs, labels = promoter_task(N_TRAIN + N_TEST, rng)
    is_train = np.zeros(len(seqs), dtype=bool)
    is_train[rng.permutation(len(seqs))[:N_TRAIN]] = True
    answer = {"labels": labels, "train": is_train}
    label = f"{N_TRAIN} training and {N_TEST} held-out sequences of {LENGTH} bp"
    return [ProjectCase(args=(seqs,), answer=answer, label=label)]


def _measure(features: Any, answer: dict) -> Measure:
    labels, train = answer["labels"], answer["train"]
    F = check_array(features, "features", shape=(len(labels), None), finite=True)
    if not 1 <= F.shape[1] <= MAX_FEATURES:
        raise ValueError(f"features have {F.shape[1]} columns but must have 1 to {MAX_FEATURES}")
    F = F.astype(np.float64)
    mean, std = F[train].mean(axis=0), F[train].std(axis=0)  # training statistics only
    Z = (F - mean) / np.where(std > 0, std, 1.0)  # (N, F); a constant column becomes 0
    w, b = train_perceptron(Z[train], labels[train], EPOCHS, LR)
    accuracy = float((perceptron_predict(Z[~train], w, b) == labels[~train]).mean())
    text = f"held-out accuracy {accuracy:.3f} with {F.shape[1]} features"
    return Measure(accuracy, text, accuracy >= GOAL)


def reference_promoter_features(sequences: list[str]) -> np.ndarray:
    """An example solution: both boxes within one mismatch, and the GC fraction. -> (N, 3)"""
    rows = [
        (_best_mismatches(s, BOX_10) <= 1, _best_mismatches(s, BOX_35) <= 1, gc_content(s))
        for s in sequences
    ]
    return np.asarray(rows, dtype=np.float64)  # (N, 3)


PROJECT = register(
    Project(
        id="ch1.project",
        chapter=1,
        title="Promoter features for a perceptron",
        function="promoter_features",
        points=3.0,
        reference=reference_promoter_features,
        make_cases=_make_cases,
        goal=f"held-out accuracy >= {GOAL} with at most {MAX_FEATURES} features",
        measure=_measure,
        written_points=3.0,
        written=(
            "Which features did you try, and what accuracy did each set reach on the public "
            "split? Which weights did the perceptron give them, and what does that say about "
            "what makes these promoters active? Name one thing about real promoters that "
            "your features leave out."
        ),
        time_limit_s=10.0,
    )
)
