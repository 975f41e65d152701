"""Chapter 6's project: find the binding sites of an unknown factor behind a GC shortcut.

1,180 sequences of 100 bp (1,000 to train on, 180 held out), half of them positives carrying
one site of a JASPAR motif the chapter does not use (FOXA1, on either strand; the learner is
not told which factor). Two distractors: the positives' background is GC-richer than the
negatives' (GC 0.6 against 0.4, a shortcut a model can score well with), and half of all
sequences, positives and negatives alike, carry a decoy half site (the motif's first 7
columns). The learner writes ``find_sites(train_seqs, train_labels, test_seqs, seed)``,
trains whatever they like and returns a per-base importance map ``(N_test, L)`` of the test
sequences. The measurement is the mean, over the positive test sequences (the grader knows
which), of the AUROC of ``|importance|`` against the planted site's bases. Goal: >= 0.90.

Measured on hidden splits drawn as the project tests draw them, ``make_cases(default_rng(10_000
+ s))``: the chapter's recipe (``MotifCNN``, ``train_model``'s defaults on the labels) learns the
shortcut; on 8 hidden splits
its gradient x input scores 0.55 to 0.74, its plain gradient, corrected gradient or ISM at most
0.85, and its corrected map smoothed over 9 bases 0.57 to 0.94 (above the goal on 1 of 8). The
example solution (the positives against dinucleotide shuffles of themselves, the corrected
gradient, smoothed) scores 0.984 to 0.999 on 24 hidden splits (mean 0.993).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genolearn._validation import check_array
from genolearn.dna.motifs import Motif, load_jaspar
from genolearn.dna.synthetic import synthetic_task
from genolearn.exercises.project import Measure, Project, ProjectCase, heldout_cases
from genolearn.exercises.registry import register
from genolearn.nn.metrics import roc_auc

__all__ = ["reference_find_sites", "site_finding_task"]

GOAL, N_TRAIN, N_TEST, LENGTH, GC_SHORTCUT = 0.90, 1000, 180, 100, 0.2
FACTOR, HALF_SITE = "FOXA1", 7


def site_finding_task(seed: np.random.Generator):
    """The project's sequences: a :class:`~genolearn.dna.synthetic.SyntheticDataset` of
    ``N_TRAIN + N_TEST`` sequences, ``x: (N, 4, L)``, ``y: (N,)``, ``mask: (N, L)`` (True at
    the planted site's bases; the decoy half sites are not marked)."""
    factor = load_jaspar(FACTOR)
    half = Motif("half-site", f"{FACTOR} half site", factor.counts[:, :HALF_SITE])
    return synthetic_task(
        "single_motif",
        n=N_TRAIN + N_TEST,
        length=LENGTH,
        seed=seed,
        motifs=(factor,),
        both_strands=True,
        decoy=half,
        gc_confounder=GC_SHORTCUT,
    )


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    task = site_finding_task(rng)
    train, test = np.arange(N_TRAIN), np.arange(N_TRAIN, N_TRAIN + N_TEST)
    label = (
        f"{N_TRAIN} labelled training sequences of {LENGTH} bp; {N_TEST} test sequences "
        "(an importance per base is measured against the planted sites)"
    )
    answer = (task.y[test], task.mask[test])  # (N_test,) labels, (N_test, L) planted bases
    train_seqs, test_seqs = [task.sequences[i] for i in train], [task.sequences[i] for i in test]
    return heldout_cases(train_seqs, task.y[train], test_seqs, answer, rng, label)


def _measure(importance: Any, answer: tuple[np.ndarray, np.ndarray]) -> Measure:
    labels, mask = answer
    imp = check_array(importance, "importance", shape=mask.shape, finite=True)
    score = np.abs(imp.astype(np.float64))  # (N_test, L)
    positive = np.flatnonzero(labels == 1)
    per_sequence = [roc_auc(mask[i], score[i]) for i in positive]  # (P,)
    value = float(np.mean(per_sequence))
    text = (
        f"mean per-sequence AUROC {value:.3f} for the planted sites' bases "
        f"({len(positive)} test sequences with a site; 0.5 = chance)"
    )
    return Measure(value, text, value >= GOAL)


def reference_find_sites(
    train_seqs: list[str], train_labels: np.ndarray, test_seqs: list[str], seed: int
) -> np.ndarray:
    """An example solution: a ``MotifCNN`` without a hidden layer, trained (10 epochs; again
    from another start if it did not fit the training set) to tell the training positives
    from dinucleotide shuffles of themselves (same composition, no site: only the site tells
    them apart, so the GC shortcut cannot pay; the original negatives are left out), then the
    corrected gradient x input of the test sequences, its absolute value smoothed over 9 bases
    (a site is a run of neighbouring bases). -> ``(N_test, L)``"""
    import torch

    import genolearn.deep as gd
    from genolearn.deep.attribution import corrected_saliency
    from genolearn.dna import dinucleotide_shuffle, one_hot_encode

    rng = np.random.default_rng(seed)
    positives = [s for s, y in zip(train_seqs, train_labels, strict=True) if y == 1]
    shuffled = [dinucleotide_shuffle(s, rng) for s in positives]
    x = one_hot_encode(positives + shuffled)  # (2 P, 4, L)
    y = np.r_[np.ones(len(positives)), np.zeros(len(shuffled))].astype(np.int64)  # (2 P,)
    for attempt in range(3):  # a start whose units all die stays at chance: start again
        gd.set_seed(seed + attempt)
        model = gd.MotifCNN(hidden=0)  # one motif: a weighted sum of filter scores suffices
        history = gd.train_model(model, (x, y), epochs=10, seed=seed + attempt, progress=False)
        if history.train_accuracy[-1] > 0.9:
            break
    model.eval()
    device = next(model.parameters()).device
    x_test = torch.tensor(one_hot_encode(test_seqs), device=device, requires_grad=True)
    model(x_test)[:, 0].sum().backward()  # d logit / d x for every test sequence
    grad = x_test.grad.cpu().numpy()  # (N_test, 4, L)
    corrected = np.abs(corrected_saliency(grad, x_test.detach().cpu().numpy()).sum(axis=1))
    window = np.ones(9) / 9
    return np.stack([np.convolve(row, window, mode="same") for row in corrected])  # (N_test, L)


PROJECT = register(
    Project(
        id="ch6.project",
        chapter=6,
        title="Find the sites behind a shortcut",
        function="find_sites",
        points=3.0,
        reference=reference_find_sites,
        make_cases=_make_cases,
        goal=(
            f"mean per-sequence AUROC >= {GOAL:.2f} of |importance| for the planted sites' "
            "bases, over the held-out sequences that carry a site"
        ),
        measure=_measure,
        written_points=3.0,
        written=(
            "What did you try, and how did each attempt score? Score them yourself on "
            "sequences you hold out of the public training set, with a mask you build from "
            "your own site calls or from the public split's answer (never the hidden one). "
            "Which factor is it (compare your filters or sites with the JASPAR motifs the "
            "course ships), and how did you find out? Why does a model that classifies the "
            "sequences well still point at the wrong bases, and what in your training made it "
            "look at the sites instead?"
        ),
        public_seed=6,
        time_limit_s=30.0,
    )
)
