"""Generated DNA classification tasks whose answer is known base by base.

Each sequence is random background DNA with real JASPAR motifs planted in it (each site drawn
from the motif's PPM, sharpened by ``strength``, so no two copies are identical). Because we
planted them, we know where the answer is: ``mask`` marks the planted bases, so an
interpretation method can be scored against the truth (see
``genolearn.deep.interpretation.attribution_auroc``).

Tasks (``synthetic_task(task=...)``):

- ``"single_motif"``: y = 1 iff motif A is planted (negatives are background only, or carry a
  decoy motif). A one-filter CNN solves it.
- ``"motif_and"``: y = 1 iff both A and B are planted (negatives: none, A only or B only).
- ``"motif_xor"``: y = 1 iff exactly one of A, B is planted. No single motif is informative.
- ``"long_range"``: A and B are always both present, at least ``min_distance`` apart; y = 1 iff
  A is upstream of B. "Is A there?" says nothing, so a CNN whose receptive field is smaller than
  the distance, followed by global pooling, stays at chance; attention can compare positions.
  (Measured at L = 120, 2,100 training sequences, seed 0, ``train_model``'s defaults: MotifCNN
  49 % test accuracy, ``SequenceTransformer(max_len=120)`` 99.8 %.)

``gc_confounder`` adds a shortcut: positives get a slightly GC-richer background, so a model
can score above chance without finding the motif: a test for attribution methods and for
baselines such as GC content alone (no chapter uses it yet).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from genolearn._validation import as_rng, check_choice, check_int, check_number, describe
from genolearn.dna.datasets import random_sequences
from genolearn.dna.motifs import Motif, _as_motif, sample_motif
from genolearn.dna.onehot import one_hot_encode
from genolearn.dna.sequence import reverse_complement

__all__ = ["SequenceDataset", "SyntheticDataset", "synthetic_task", "TASKS"]

#: The task names :func:`synthetic_task` knows.
TASKS = ("single_motif", "motif_and", "motif_xor", "long_range")
_DEFAULT_MOTIFS = {
    "single_motif": ("CTCF",),
    "motif_and": ("GATA1", "CREB1"),
    "motif_xor": ("GATA1", "CREB1"),
    "long_range": ("GATA1", "CREB1"),
}


@dataclass(eq=False)
class SequenceDataset:
    """Labelled DNA sequences, ready for a model.

    Attributes:
        sequences: N strings of length L.
        x: ``(N, 4, L)`` float32 one-hot.
        y: ``(N,)`` int64 labels in {0, 1}.
        task: what the label means, in words.
    """

    sequences: list[str]
    x: np.ndarray
    y: np.ndarray
    task: str

    def __len__(self) -> int:
        return len(self.sequences)

    def subset(self, index) -> SequenceDataset:
        """The examples at ``index`` (ints or a boolean ``(N,)`` mask), every per-example field."""
        index = np.arange(len(self))[np.asarray(index)]  # validates bounds, turns bools to ints
        values = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.shape[:1] == (len(self),):
                values[f.name] = v[index]
            elif isinstance(v, list) and len(v) == len(self):
                values[f.name] = [v[i] for i in index]
            else:
                values[f.name] = v
        return dataclasses.replace(self, **values)

    def split(
        self, fractions=(0.7, 0.15, 0.15), *, seed: int | np.random.Generator
    ) -> tuple[SequenceDataset, ...]:
        """Randomly split into parts (default train/validation/test = 70/15/15 %).

        Returns:
            one dataset per fraction; the fractions must sum to 1.
        """
        fr = np.asarray(fractions, dtype=np.float64)
        if fr.ndim != 1 or fr.size < 2 or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
            raise ValueError(
                f"fractions must be two or more positive numbers summing to 1, got {fractions}"
            )
        order = as_rng(seed).permutation(len(self))
        cuts = np.round(np.cumsum(fr)[:-1] * len(self)).astype(int)
        return tuple(self.subset(part) for part in np.split(order, cuts))

    def __repr__(self) -> str:
        length = self.x.shape[-1]
        return (
            f"{type(self).__name__}(n={len(self)}, length={length}, "
            f"positives={int(self.y.sum())}, task={self.task!r})"
        )


@dataclass(eq=False, repr=False)
class SyntheticDataset(SequenceDataset):
    """A :class:`SequenceDataset` with the planted ground truth.

    Attributes:
        motif_positions: for each sequence, a list of ``(motif name, start, end, strand)`` for
            every planted site (``end`` exclusive, strand ``"+"`` or ``"-"``), decoys included.
        mask: ``(N, L)`` bool, True at bases of planted sites that determine the label
            (decoy sites are listed in ``motif_positions`` but not marked).
        motifs: the motifs used, by name.
    """

    motif_positions: list[list[tuple[str, int, int, str]]]
    mask: np.ndarray
    motifs: dict[str, Motif]


def _place(rng, length: int, widths: list[int], name: str = "length") -> list[int]:
    """Random non-overlapping starts for sites of the given widths (rejection sampling)."""
    if sum(widths) > length:
        raise ValueError(f"{name}={length} is too short for motifs of total width {sum(widths)}")
    for _ in range(1000):
        starts = [int(rng.integers(0, length - w + 1)) for w in widths]
        spans = sorted(zip(starts, widths, strict=True))
        if all(a + wa <= b for (a, wa), (b, _) in pairwise(spans)):
            return starts
    raise ValueError(f"{name}={length} is too short to place {len(widths)} motifs without overlap")


def _plant(seq: str, site: str, start: int) -> str:
    return seq[:start] + site + seq[start + len(site) :]


def synthetic_task(
    task: str = "single_motif",
    *,
    n: int = 1000,
    length: int = 200,
    seed: int | np.random.Generator,
    motifs=None,
    gc: float = 0.5,
    both_strands: bool = False,
    decoy: str | Motif | None = None,
    gc_confounder: float = 0.0,
    min_distance: int | None = None,
    strength: float = 2.0,
) -> SyntheticDataset:
    """Generate a balanced binary task with known ground truth.

    Args:
        task: one of :data:`TASKS` (see the module docstring for each rule).
        n: number of sequences (half positive, rounded down).
        length: L, bases per sequence.
        seed: int or ``numpy.random.Generator``; the same seed gives the same dataset.
        motifs: names/IDs or :class:`Motif` objects: one for ``single_motif``, two (A, B) for
            the others. Defaults: CTCF; GATA1 and CREB1.
        gc: expected GC fraction of the background.
        both_strands: plant each site on a random strand (``"-"`` = reverse complement).
        decoy: a motif planted once in half of all sequences, positives and negatives alike:
            it looks like a binding site but carries no information about the label.
        gc_confounder: GC difference between positive and negative backgrounds
            (positives get ``gc + gc_confounder / 2``); 0 = no shortcut.
        min_distance: ``long_range`` only: minimum distance between the two sites' starts
            (default: half of what is left after keeping both sites ``2 K_max`` bases from
            either end, with ``K_max`` the wider motif's width).
        strength: sites are drawn from ``ppm ** strength``, renormalised (see
            :func:`~genolearn.dna.motifs.sample_motif`). 1 draws from the JASPAR PPM itself;
            its weakest sites then look like background, so even the true PWM cannot reach
            100 %: for ``single_motif`` with CTCF at L = 200 the best PWM threshold scores
            about 97 %, with GATA1 about 84 %. The default 2 keeps the consensus and every
            zero of the PPM but makes such near-background sites rare (CTCF ~99.8 %, GATA1
            ~97 %), so what a model misses is the model's fault, not the data's.

    Returns:
        a :class:`SyntheticDataset`; ``x: (N, 4, L)`` float32, ``y: (N,)``, ``mask: (N, L)``.
    """
    check_choice(task, "task", TASKS)
    n = check_int(n, "n", low=2)
    length = check_int(length, "length", low=1)
    gc = check_number(gc, "gc", low=0.0, high=1.0)
    gc_confounder = check_number(gc_confounder, "gc_confounder", low=0.0, high=1.0)
    strength = check_number(strength, "strength", low=0.0)
    if gc - gc_confounder / 2 < 0 or gc + gc_confounder / 2 > 1:
        raise ValueError(
            f"gc +/- gc_confounder / 2 must stay in [0, 1], but gc={gc} and "
            f"gc_confounder={gc_confounder}"
        )
    rng = as_rng(seed)
    names = _DEFAULT_MOTIFS[task] if motifs is None else motifs
    if isinstance(names, (str, Motif)):
        names = (names,)
    want = 1 if task == "single_motif" else 2
    if not isinstance(names, (list, tuple)) or len(names) != want:
        raise ValueError(f"task {task!r} needs {want} motif(s), but motifs is {describe(names)}")
    used = [_as_motif(m, "motifs") for m in names]
    decoy_motif = None if decoy is None else _as_motif(decoy, "decoy")
    names_used = [m.name for m in used] + ([decoy_motif.name] if decoy_motif else [])
    if len(set(names_used)) != len(names_used):
        raise ValueError(
            f"the task's motifs and decoy must all differ (sites are told apart by name), "
            f"but got {names_used}"
        )
    if task == "long_range":
        widest = max(m.length for m in used)
        margin = 2 * widest  # see _place_far: no site near an end, or edges reveal the order
        if min_distance is None:
            min_distance = max(widest, (length - 2 * margin) // 2)
        min_distance = check_int(min_distance, "min_distance", low=widest)
        if 2 * margin + min_distance + widest > length:
            raise ValueError(
                f"length={length} is too short for two sites {min_distance} bases apart, "
                f"{margin} bases from either end; need length >= "
                f"{2 * margin + min_distance + widest}"
            )
    elif min_distance is not None:
        raise ValueError("min_distance is only used by task='long_range'")

    y = np.zeros(n, dtype=np.int64)
    y[: n // 2] = 1
    y = rng.permutation(y)  # (N,)
    groups = _groups(task, y, rng)  # (N,) which motifs each sequence gets
    sequences, positions = [], []
    mask = np.zeros((n, length), dtype=bool)  # (N, L)
    for i in range(n):
        bg_gc = gc + (gc_confounder / 2 if y[i] else -gc_confounder / 2)
        seq = random_sequences(1, length, gc=bg_gc, seed=rng)[0]
        planted = [used[j] for j in groups[i]]
        has_decoy = decoy_motif is not None and rng.random() < 0.5
        widths = [m.length for m in planted] + ([decoy_motif.length] if has_decoy else [])
        if task == "long_range":
            starts = _place_far(rng, length, widths, min_distance, margin)
        else:
            starts = _place(rng, length, widths)
        sites = []
        for k, (start, width) in enumerate(zip(starts, widths, strict=True)):
            m = planted[k] if k < len(planted) else decoy_motif
            site = sample_motif(m, rng, strength=strength)
            strand = "-" if both_strands and rng.random() < 0.5 else "+"
            seq = _plant(seq, site if strand == "+" else reverse_complement(site), start)
            sites.append((m.name, start, start + width, strand))
            if k < len(planted):
                mask[i, start : start + width] = True
        sequences.append(seq)
        positions.append(sorted(sites, key=lambda s: s[1]))
    rule = _describe(task, used, length, gc, gc_confounder, decoy_motif, min_distance, strength)
    return SyntheticDataset(
        sequences=sequences,
        x=one_hot_encode(sequences),
        y=y,
        task=rule,
        motif_positions=positions,
        mask=mask,
        motifs={m.name: m for m in used + ([decoy_motif] if decoy_motif else [])},
    )


def _groups(task: str, y: np.ndarray, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """For each sequence, the indices (into the task's motifs) of the motifs it carries."""
    if task == "single_motif":
        return [(0,) if label else () for label in y]
    if task == "long_range":  # (A, B) means A is upstream
        return [(0, 1) if label else (1, 0) for label in y]
    if task == "motif_and":
        pos, neg = [(0, 1)], [(), (0,), (1,)]
    else:  # motif_xor
        pos, neg = [(0,), (1,)], [(), (0, 1)]
    return [(pos if label else neg)[rng.integers(len(pos if label else neg))] for label in y]


def _place_far(rng, length: int, widths: list[int], min_distance: int, margin: int) -> list[int]:
    """Starts for two ordered sites (first upstream), ``>= min_distance`` apart, plus decoy.

    Both sites stay ``margin`` bases away from the ends. Without that, the order leaks through
    an edge effect: a site flush with the left end lacks the windows that would overlap its
    left flank, and the upstream site is more often near the left end, so even a
    convolution + global max pool model beats chance (we measured ~70 % at L = 120).
    """
    last = length - margin - min_distance - widths[1]
    first = int(rng.integers(margin, last + 1))
    second = int(rng.integers(first + min_distance, length - margin - widths[1] + 1))
    if len(widths) == 2:
        return [first, second]
    for _ in range(1000):  # a decoy goes anywhere it does not overlap the two sites
        d = int(rng.integers(0, length - widths[2] + 1))
        sites = zip((first, second), widths[:2], strict=True)
        if all(d + widths[2] <= s or s + w <= d for s, w in sites):
            return [first, second, d]
    raise ValueError(f"length={length} is too short to add a decoy to this long-range task")


def _describe(task, used, length, gc, gc_confounder, decoy, min_distance, strength) -> str:
    a = f"{used[0].name} ({used[0].id})"
    b = f"{used[1].name} ({used[1].id})" if len(used) > 1 else ""
    rule = {
        "single_motif": f"y = 1 iff a {a} site is planted",
        "motif_and": f"y = 1 iff both {a} and {b} are planted",
        "motif_xor": f"y = 1 iff exactly one of {a} and {b} is planted",
        "long_range": f"both {a} and {b} are planted >= {min_distance} bp apart; "
        f"y = 1 iff {used[0].name} is upstream",
    }[task]
    extra = f"; sites ~ PPM^{strength:g}; background GC {gc:.2f}, L = {length}"
    if gc_confounder:
        extra += f"; positives' background is {gc_confounder:.2f} GC-richer (a shortcut)"
    if decoy is not None:
        extra += f"; decoy {decoy.name} in half of all sequences"
    return f"{task}: {rule}{extra}"
