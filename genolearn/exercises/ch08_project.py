"""Chapter 8's project: is the enhancer insulated from its promoter?

1,500 sequences of 800 bp (:func:`genolearn.dna.insulator.insulator_task`): each carries an
enhancer (GATA1), a promoter (TBP) and an insulator (CTCF) site, at least 150 bp apart in a
random order; a sequence is *active* (y = 1) when the insulator is outside the
enhancer-promoter interval and *blocked* (y = 0) when it lies between them. 1,000 sequences
train, 500 are held out. The learner writes ``score_insulation(train_seqs, train_labels,
test_seqs, seed)`` returning one score per held-out sequence (higher = active); the
measurement is the held-out AUROC. Goal: AUROC >= 0.80. Every sequence has the same three
sites, so the chapter's CNN (12-base filters, global max pooling) stays at chance (about
0.5); the example solution, a one-layer transformer over 4-mer-count tokens with a max
read-out, reaches 0.88 to 0.94 on hidden splits.

The insulator's absolute position is a shortcut: the middle of three slots and the outer
ones overlap only in part, so the insulator's position alone separates the classes with an
AUROC of about 0.95 (Bayes, from a histogram of 20,000 sequences; the best CTCF match's
position, binned against the training labels, reaches 0.93 to 0.96 and passes the goal); the
enhancer's alone about 0.73. The written part asks the learner to find out what their model
uses.
"""

from __future__ import annotations

import numpy as np

from genolearn.dna.alphabet import ALPHABET
from genolearn.dna.insulator import insulator_task
from genolearn.exercises.project import Project, ProjectCase, auroc_measure, heldout_cases
from genolearn.exercises.registry import register

__all__ = ["kmer_window_counts", "reference_score_insulation"]

GOAL, N_TRAIN, N_TEST, LENGTH, MIN_GAP = 0.80, 1000, 500, 800, 150


def _make_cases(rng: np.random.Generator) -> list[ProjectCase]:
    data = insulator_task(N_TRAIN + N_TEST, LENGTH, min_gap=MIN_GAP, seed=rng)
    train_seqs, test_seqs = data.sequences[:N_TRAIN], data.sequences[N_TRAIN:]
    label = (
        f"{N_TRAIN} training sequences of {LENGTH} bp (enhancer, promoter and insulator sites "
        f">= {MIN_GAP} bp apart); {N_TEST} held out"
    )
    return heldout_cases(train_seqs, data.y[:N_TRAIN], test_seqs, data.y[N_TRAIN:], rng, label)


_measure = auroc_measure(GOAL)


def kmer_window_counts(seqs: list[str], k: int, window: int) -> np.ndarray:
    """How often each k-mer starts in each window of ``window`` bases: ``(N, T, 4^k)``
    float32, ``T = ceil((L - k + 1) / window)`` (k-mer codes as in
    :func:`genolearn.deep.kmer_codes`: A = 0, C = 1, G = 2, T = 3, first base most
    significant). Sequences of one length L, letters ACGT."""
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    raw = np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(len(seqs), -1)
    bases = np.searchsorted(letters, raw)  # (N, L) in 0..3
    n, length = bases.shape
    n_kmers = length - k + 1
    codes = np.zeros((n, n_kmers), dtype=np.int64)
    for j in range(k):
        codes = codes * 4 + bases[:, j : j + n_kmers]  # (N, L - k + 1)
    n_tokens = -(-n_kmers // window)
    token = np.arange(n_kmers) // window  # (L - k + 1,): the window each k-mer starts in
    flat = (np.arange(n)[:, None] * n_tokens + token) * 4**k + codes  # (N, L - k + 1)
    counts = np.bincount(flat.ravel(), minlength=n * n_tokens * 4**k)
    return counts.reshape(n, n_tokens, 4**k).astype(np.float32)


def reference_score_insulation(
    train_seqs: list[str], train_labels: np.ndarray, test_seqs: list[str], seed: int
) -> np.ndarray:
    """An example solution: tokens of 4-mer counts in windows of 20 bases (40 tokens for
    800 bp), a linear embedding (the same as averaging learned 4-mer embeddings, as
    ``gd.KmerTransformer`` does), sinusoidal positions, one pre-norm transformer layer
    (d = 32, 4 heads), the **maximum** over tokens and a linear read-out; Adam (lr 3e-3),
    batches of 64, 8 epochs. -> (N_test,) logits."""
    import torch
    from torch import nn

    from genolearn.deep.transformer import sinusoidal_positional_encoding

    k, window, d = 4, 20, 32
    x_train = torch.as_tensor(kmer_window_counts(train_seqs, k, window))  # (N, T, 256)
    x_test = torch.as_tensor(kmer_window_counts(test_seqs, k, window))
    y = torch.as_tensor(np.asarray(train_labels), dtype=torch.float32)  # (N,)
    torch.manual_seed(seed)
    embed = nn.Linear(4**k, d)
    block = nn.TransformerEncoderLayer(
        d, nhead=4, dim_feedforward=4 * d, dropout=0.0, batch_first=True, norm_first=True
    )
    norm, readout = nn.LayerNorm(d), nn.Linear(d, 1)
    positions = torch.as_tensor(
        sinusoidal_positional_encoding(x_train.shape[1], d), dtype=torch.float32
    )  # (T, d)

    def logits(tokens):  # (B, T, 256) -> (B,)
        h = block(embed(tokens) + positions)  # (B, T, d)
        return readout(norm(h).max(dim=1).values)[:, 0]  # max over tokens: (B, d) -> (B,)

    modules = nn.ModuleList([embed, block, norm, readout])
    optimizer = torch.optim.Adam(modules.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(8):
        for batch in torch.randperm(len(y), generator=generator).split(64):
            loss = nn.functional.binary_cross_entropy_with_logits(logits(x_train[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    modules.eval()
    with torch.no_grad():
        return logits(x_test).numpy().astype(np.float64)  # (N_test,)


PROJECT = register(
    Project(
        id="ch8.project",
        chapter=8,
        title="Is the enhancer insulated from its promoter?",
        function="score_insulation",
        points=3.0,
        reference=reference_score_insulation,
        make_cases=_make_cases,
        goal=f"held-out AUROC >= {GOAL:.2f}",
        measure=_measure,
        written_points=3.0,
        written=(
            "What did you try, and what AUROC did each attempt reach on validation sequences "
            "you split off the public training set yourself? Show that a model that only "
            "detects which sites are present cannot solve the task, and explain why. Score "
            "where your model looks (its attention, or what it scans) against the three sites: "
            "does it find the insulator, the enhancer and the promoter, and does it use their "
            "order or a shortcut such as the insulator's absolute position?"
        ),
        public_seed=8,
        time_limit_s=30.0,
    )
)
