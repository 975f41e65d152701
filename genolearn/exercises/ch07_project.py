"""Chapter 7's project: which site comes first? The order of two sites in an enhancer.

Enhancers have a grammar: some pairs of transcription factors act together only when their
sites come in one order. Here every task draws two factors, A and B, whose motifs the learner
is not told (a random 10-bp consensus each, different in every split; each planted site keeps
each consensus base with probability 0.9). Sequences are 150 bp of random DNA. Positives carry
A's site upstream of B's, 20 to 60 bp between them; half the negatives carry the same two sites
in the other order (B upstream of A), the other half only one of the two sites, placed as it
would be in a pair. Both sites stay 20 bp from either end (a site flush with an end lacks the
windows that overlap its outer flank, an edge effect through which an order-blind model could
tell the order, see :mod:`genolearn.dna.synthetic`).

An order-blind model — a bag of k-mers, or a CNN whose small filters are summarised by global
max pooling — can at best learn that a positive needs both sites: that separates the
single-site negatives and leaves the swapped ones at chance, an AUROC of at most
``0.5 * 1 + 0.5 * 0.5 = 0.75``. Reading the order is the rest: a recurrent network over the
sequence (here over a convolution's motif scores, DanQ's design) can.

The learner writes ``score_order(train_seqs, train_labels, test_seqs, seed)`` returning one
score per test sequence (higher = more likely A upstream of B); the measurement is the held-out
AUROC. Goal: AUROC >= 0.90. Measured on hidden splits (seeds 10,000 + s): the example solution
reaches 0.966-0.987 on s = 0-19 (median 0.973; about 4 s of CPU time, one thread). On s = 0-3
the order-blind baselines stay far below: 4-mer counts with logistic regression 0.55-0.61,
Chapter 6's ``MotifCNN`` trained by ``train_model``'s defaults 0.66-0.74, and even the true
motifs' best matches ("both sites present") 0.70-0.77; adding "A's best match upstream of
B's" gives 0.97-0.98 (a site with 3 or more of its 10 bases changed, 7 % of them, looks like
background, so no model reaches 1).
"""

from __future__ import annotations

import numpy as np

from genolearn.dna.datasets import plant_motif, random_sequences
from genolearn.dna.onehot import one_hot_encode
from genolearn.exercises.project import Project, ProjectCase, auroc_measure, heldout_cases
from genolearn.exercises.registry import register

__all__ = ["KINDS", "draw_motifs", "motif_order_task", "reference_score_order"]

GOAL, N_TRAIN, N_TEST = 0.90, 2000, 500
LENGTH, WIDTH, GAP_MIN, GAP_MAX, MARGIN, P_CONSENSUS = 150, 10, 20, 60, 20, 0.9
#: What a sequence carries: the positives ("A then B") and the three kinds of negatives.
KINDS = ("A then B", "B then A", "A only", "B only")


def draw_motifs(seed: np.random.Generator) -> tuple[str, str]:
    """Two random consensus sites of :data:`WIDTH` bases, A and B: each uses at least three of
    the four bases, and they differ at 7 or more positions."""
    while True:
        a, b = ("".join(seed.choice(list("ACGT"), size=WIDTH)) for _ in range(2))
        varied = len(set(a)) >= 3 and len(set(b)) >= 3
        if varied and sum(x != y for x, y in zip(a, b, strict=True)) >= 7:
            return a, b


def _site(consensus: str, seed: np.random.Generator) -> str:
    """One site: each consensus base kept with probability :data:`P_CONSENSUS`, else another."""
    keep = seed.random(len(consensus)) < P_CONSENSUS
    other = seed.integers(1, 4, size=len(consensus))  # a shift to one of the 3 other bases
    return "".join(
        c if k else "ACGT"[("ACGT".index(c) + o) % 4]
        for c, k, o in zip(consensus, keep, other, strict=True)
    )


def motif_order_task(
    n: int, motifs: tuple[str, str], seed: np.random.Generator
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``n`` sequences of :data:`LENGTH` bp, labels ``(n,)`` (1 = A's site upstream of B's)
    and kinds ``(n,)`` (indices into :data:`KINDS`): half positives; the negatives half
    swapped ("B then A"), half one site only (A or B, in the first or second slot of a pair).
    A pair spans ``2 WIDTH + gap`` bases, gap drawn from ``GAP_MIN..GAP_MAX``, and starts at
    least :data:`MARGIN` bases from either end."""
    a, b = motifs
    y = seed.permutation(np.arange(n) % 2)  # (n,) balanced
    single = seed.random(n) < 0.5
    kinds = np.where(y == 1, 0, np.where(single, 2 + seed.integers(0, 2, size=n), 1))
    seqs = []
    for s, kind in zip(random_sequences(n, LENGTH, seed=seed), kinds, strict=True):
        gap = int(seed.integers(GAP_MIN, GAP_MAX + 1))
        start = int(seed.integers(MARGIN, LENGTH - MARGIN - 2 * WIDTH - gap + 1))
        pair = {0: (a, b), 1: (b, a), 2: (a, None), 3: (b, None)}[int(kind)]
        if kind >= 2 and seed.random() < 0.5:
            pair = pair[::-1]  # the single site in the second slot
        for consensus, where in zip(pair, (start, start + WIDTH + gap), strict=True):
            if consensus is not None:
                s = plant_motif(s, _site(consensus, seed), where)
        seqs.append(s)
    return seqs, y.astype(np.int64), kinds.astype(np.int64)


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    motifs = draw_motifs(rng)
    train_seqs, train_y, _ = motif_order_task(N_TRAIN, motifs, rng)
    test_seqs, test_y, _ = motif_order_task(N_TEST, motifs, rng)
    label = f"{N_TRAIN} training sequences of {LENGTH} bp; {N_TEST} held out"
    return heldout_cases(train_seqs, train_y, test_seqs, test_y, rng, label)


_measure = auroc_measure(GOAL)


def reference_score_order(
    train_seqs: list[str], train_labels: np.ndarray, test_seqs: list[str], seed: int
) -> np.ndarray:
    """An example solution, DanQ's design at a small scale: 32 convolution filters of width 10
    (motif detectors), ReLU, max pooling by 8 (one step per 8 bases), an LSTM of 32 units that
    reads the pooled steps left to right, the maximum of its outputs over the steps, a linear
    read-out. Adam (lr 3e-3), 10 epochs of batches of 64, on the CPU. -> (N_test,) logits."""
    import torch
    from torch import nn

    class ConvLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(4, 32, WIDTH)
            self.lstm = nn.LSTM(32, 32, batch_first=True)
            self.linear = nn.Linear(32, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, 4, L)
            h = torch.relu(self.conv(x))  # (N, 32, L - 9)
            h = nn.functional.max_pool1d(h, 8)  # (N, 32, T), T = (L - 9) // 8
            out, _ = self.lstm(h.transpose(1, 2))  # (N, T, 32): the state after every step
            return self.linear(out.amax(dim=1))[:, 0]  # (N,): the max over steps, read out

    with torch.random.fork_rng(devices=[]):  # leave the caller's torch generator as it was
        torch.manual_seed(seed)
        model = ConvLSTM()
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        x = torch.as_tensor(one_hot_encode(train_seqs))  # (N, 4, L) float32
        y = torch.as_tensor(np.asarray(train_labels), dtype=torch.float32)  # (N,)
        order = torch.Generator().manual_seed(seed)
        for _ in range(10):  # epochs
            for idx in torch.randperm(len(x), generator=order).split(64):
                loss = nn.functional.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(one_hot_encode(test_seqs))).numpy()  # (N_test,)


PROJECT = register(
    Project(
        id="ch7.project",
        chapter=7,
        title="Which site comes first? Motif order in an enhancer",
        function="score_order",
        points=3.0,
        reference=reference_score_order,
        make_cases=_make_cases,
        goal=f"held-out AUROC >= {GOAL:.2f}",
        measure=_measure,
        written_points=3.0,
        written=(
            "What did you try, and what AUROC did each attempt reach on validation sequences "
            "you split off the public training set yourself? What does an order-blind model "
            "(the CNN of Chapter 6, or a bag of k-mers) reach, and why can it not go higher? "
            "What are the two factors' motifs (read them from your filters, or from enriched "
            "k-mers), and does your model really read their order: how do its scores change "
            "when you swap the two sites of held-out positives? Which sequences does it get "
            "wrong?"
        ),
        public_seed=7,
        time_limit_s=30.0,
    )
)
