"""Small generated DNA datasets with a known answer (used from Chapter 1 on).

Everything is generated from a ``seed``: nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from genolearn._validation import as_rng, check_int, check_number
from genolearn.dna.alphabet import ALPHABET
from genolearn.dna.onehot import validate_sequence
from genolearn.dna.sequence import gc_content

__all__ = [
    "random_sequences",
    "plant_motif",
    "count_motif",
    "MotifFeatureData",
    "motif_feature_dataset",
]


def random_sequences(
    n: int, length: int, *, gc: float = 0.5, seed: int | np.random.Generator
) -> list[str]:
    """``n`` random DNA strings of ``length`` bases with expected GC fraction ``gc``."""
    n = check_int(n, "n", low=0)
    length = check_int(length, "length", low=0)
    gc = check_number(gc, "gc", low=0.0, high=1.0)
    rng = as_rng(seed)
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])  # A C G T
    codes = rng.choice(4, size=(n, length), p=p)  # (N, L)
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    return [letters[row].tobytes().decode("ascii") for row in codes]


def plant_motif(seq: str, motif: str, position: int) -> str:
    """Return ``seq`` with ``motif`` written over it starting at ``position``."""
    seq = validate_sequence(seq, "seq")
    motif = validate_sequence(motif, "motif")
    position = check_int(position, "position", low=0)
    if position + len(motif) > len(seq):
        raise ValueError(
            f"position={position} with a motif of length {len(motif)} runs past the end of a "
            f"sequence of length {len(seq)}; position must be <= {len(seq) - len(motif)}"
        )
    return seq[:position] + motif + seq[position + len(motif) :]


def count_motif(seq: str, motif: str) -> int:
    """Number of (possibly overlapping) exact occurrences of ``motif`` in ``seq``."""
    seq = validate_sequence(seq, "seq")
    motif = validate_sequence(motif, "motif")
    if not motif:
        raise ValueError("motif is empty; expected at least one base")
    return sum(1 for i in range(len(seq) - len(motif) + 1) if seq.startswith(motif, i))


class MotifFeatureData:
    """Sequences with two hand-made features and a label from a known linear rule.

    Attributes:
        sequences: list of N DNA strings.
        features: ``(N, 2)`` float64 — column 0 the number of motif occurrences, column 1 the
            GC fraction.
        labels: ``(N,)`` int64 in {0, 1}.
        motif: the motif that was planted.
        rule: the true rule in words.
        true_weights: ``(2,)`` and ``true_bias``: the separating line used to label the data.
    """

    def __init__(self, sequences, features, labels, motif, rule, true_weights, true_bias):
        self.sequences = sequences
        self.features = features
        self.labels = labels
        self.motif = motif
        self.rule = rule
        self.true_weights = true_weights
        self.true_bias = true_bias

    def __len__(self) -> int:
        return len(self.sequences)

    def __repr__(self) -> str:
        pos = int(self.labels.sum())
        return (
            f"MotifFeatureData(n={len(self)}, positives={pos}, motif={self.motif!r}, "
            f"rule={self.rule!r})"
        )


def motif_feature_dataset(
    n: int = 200,
    length: int = 100,
    *,
    motif: str = "TATAAT",
    seed: int | np.random.Generator = 0,
) -> MotifFeatureData:
    """A linearly separable toy task: "is this an active promoter?".

    Each sequence gets 0–3 planted copies of ``motif`` (default: the bacterial -10 box TATAAT)
    and a random GC fraction in [0.3, 0.7]. The label is 1 when
    ``motif_count - 5 * (gc - 0.5) >= 0.75``, i.e. at least one motif copy helps, and an
    AT-rich background helps too. The rule is linear in the two features, so a single
    perceptron can learn it exactly.

    Returns:
        a :class:`MotifFeatureData` with ``features: (N, 2)`` and ``labels: (N,)``.
    """
    n = check_int(n, "n", low=1)
    length = check_int(length, "length", low=4 * len(motif))
    rng = as_rng(seed)
    seqs, feats = [], []
    for _ in range(n):
        gc = rng.uniform(0.3, 0.7)
        s = random_sequences(1, length, gc=gc, seed=rng)[0]
        k = int(rng.integers(0, 4))
        slots = rng.choice(length // len(motif), size=k, replace=False) * len(motif)
        for pos in slots:
            s = plant_motif(s, motif, int(pos))
        seqs.append(s)
        feats.append((count_motif(s, motif), gc_content(s)))
    features = np.asarray(feats, dtype=np.float64)  # (N, 2)
    # count - 5 (gc - 0.5) >= 0.75  <=>  [1, -5] . [count, gc] + 1.75 >= 0. Evaluated in exact
    # integer arithmetic (gc = n_gc / length) so points on the line get a well-defined label:
    # multiply by 4 * length:  4 length count - 20 n_gc + 7 length >= 0.
    n_gc = np.rint(features[:, 1] * length).astype(np.int64)
    score = 4 * length * features[:, 0].astype(np.int64) - 20 * n_gc + 7 * length
    labels = (score >= 0).astype(np.int64)  # (N,)
    w, b = np.array([1.0, -5.0]), 1.75
    return MotifFeatureData(
        sequences=seqs,
        features=features,
        labels=labels,
        motif=motif,
        rule="motif_count - 5 * (gc - 0.5) >= 0.75",
        true_weights=w,
        true_bias=b,
    )
