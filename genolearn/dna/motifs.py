"""Transcription-factor motifs: real JASPAR matrices, read offline, and scanning.

A motif of width K is stored as a position frequency matrix (PFM) of counts, shape ``(4, K)``,
rows in ``ACGT`` order. From it:

- the position probability matrix (PPM) divides each column by its total;
- the position weight matrix (PWM) is the log-odds ``log2(p / background)`` in bits, with a
  pseudocount so that a base never seen in the sites does not score minus infinity.

The matrices come from JASPAR 2022 CORE (CC BY 4.0; cite Castro-Mondragon et al. 2022,
*Nucleic Acids Research* 50:D165), read from the SQLite database that the ``pyjaspar`` package
ships inside its wheel (nothing is downloaded at run time). genolearn uses the six profiles in
:data:`MOTIFS`; :func:`list_motifs` shows them.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from genolearn._validation import as_rng, check_array, check_int, check_number, describe
from genolearn.dna.alphabet import ALPHABET

__all__ = [
    "Motif",
    "load_jaspar",
    "list_motifs",
    "sample_motif",
    "pwm_scan",
    "ppm_correlation",
    "jaspar_database",
    "MOTIFS",
    "JASPAR_SOURCE",
]

#: The JASPAR 2022 CORE profiles used in the course: (matrix ID, species, aliases).
MOTIFS = (
    ("MA0139.1", "Homo sapiens", ()),
    ("MA0080.6", "Mus musculus", ("SPI1", "PU.1")),
    ("MA0035.4", "Homo sapiens", ()),
    ("MA0108.2", "Homo sapiens", ("TATA", "TATA-box")),
    ("MA0018.4", "Homo sapiens", ("CREB",)),
    ("MA0148.4", "Homo sapiens", ("HNF3A",)),
)

#: Where the matrices come from, their licence and the citation.
JASPAR_SOURCE = (
    "JASPAR 2022 CORE, read from the JASPAR2022.sqlite database shipped in the pyjaspar wheel. "
    "Licence: CC BY 4.0. Cite: Castro-Mondragon JA et al. (2022) JASPAR 2022: the 9th release "
    "of the open-access database of transcription factor binding profiles. Nucleic Acids "
    "Research 50(D1):D165-D173. doi:10.1093/nar/gkab1113"
)

_UNIFORM = (0.25, 0.25, 0.25, 0.25)


@dataclass(frozen=True, eq=False)
class Motif:
    """A binding-site motif as a matrix of counts.

    Attributes:
        id: JASPAR matrix ID with version, e.g. ``"MA0139.1"``.
        name: the factor's name, e.g. ``"CTCF"``.
        counts: ``(4, K)`` float64 PFM, rows ``ACGT``: how many aligned sites had each base.
        species, source: where the matrix comes from (free text).
    """

    id: str
    name: str
    counts: np.ndarray
    species: str = ""
    source: str = ""
    aliases: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        counts = check_array(self.counts, "counts", shape=(4, "K"), finite=True)
        if counts.shape[1] == 0 or np.any(counts < 0) or np.any(counts.sum(axis=0) <= 0):
            raise ValueError(
                f"counts of motif {self.id!r} must be non-negative with a positive total in every "
                f"column, but got {describe(counts)}"
            )
        counts = counts.astype(np.float64)
        counts.setflags(write=False)  # a Motif is a value: nobody edits the shared matrix
        object.__setattr__(self, "counts", counts)

    @property
    def length(self) -> int:
        """Width K of the motif."""
        return int(self.counts.shape[1])

    @property
    def ppm(self) -> np.ndarray:
        """``(4, K)`` position probability matrix: each column of ``counts`` divided by its sum."""
        return self.counts / self.counts.sum(axis=0, keepdims=True)

    def pwm(self, background=_UNIFORM, pseudocount: float = 0.8) -> np.ndarray:
        """``(4, K)`` log-odds weights in bits: ``log2(p_smoothed[b, k] / background[b])``.

        ``p_smoothed = (counts + pseudocount * background) / (n_sites + pseudocount)``, the
        JASPAR/TFBSTools convention (pseudocount 0.8 shared out by the background), so an unseen
        base gets a large negative weight instead of ``-inf``.

        Args:
            background: ``(4,)`` base probabilities of the genome, ``ACGT``; uniform by default.
            pseudocount: total pseudocount per column, >= 0.
        """
        bg = check_array(background, "background", shape=(4,), finite=True).astype(np.float64)
        if np.any(bg <= 0) or not np.isclose(bg.sum(), 1.0):
            raise ValueError(f"background must be 4 positive probabilities summing to 1, got {bg}")
        pseudocount = check_number(pseudocount, "pseudocount", low=0.0)
        n_sites = self.counts.sum(axis=0, keepdims=True)  # (1, K)
        p = (self.counts + pseudocount * bg[:, None]) / (n_sites + pseudocount)  # (4, K)
        with np.errstate(divide="ignore"):  # pseudocount=0 may give log2(0) = -inf on purpose
            return np.log2(p / bg[:, None])

    @property
    def consensus(self) -> str:
        """The most frequent base at each position (ties go to the first in ``ACGT``)."""
        return "".join(ALPHABET[i] for i in self.counts.argmax(axis=0))

    def reverse_complement(self) -> Motif:
        """The same motif read on the other strand (rows and columns reversed)."""
        return Motif(
            self.id, self.name, self.counts[::-1, ::-1], self.species, self.source, self.aliases
        )

    def __repr__(self) -> str:
        return f"Motif({self.id} {self.name}, K={self.length}, consensus={self.consensus})"


def jaspar_database() -> Path:
    """Path of the JASPAR 2022 SQLite file inside the installed ``pyjaspar`` package.

    Raises:
        FileNotFoundError: pyjaspar is not installed (``pip install pyjaspar``; the course's
            ``make`` targets install it) or its database file is missing.
    """
    spec = importlib.util.find_spec("pyjaspar")  # located without importing it (or Biopython)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the JASPAR motifs are read from the pyjaspar package, which is not installed; "
            "install it with `pip install pyjaspar` (genolearn never downloads at run time)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "JASPAR2022.sqlite"
    if not path.is_file():
        raise FileNotFoundError(f"pyjaspar is installed but {path} is missing; reinstall pyjaspar")
    return path


@lru_cache(maxsize=1)
def _jaspar_table() -> tuple[Motif, ...]:
    db = sqlite3.connect(f"file:{jaspar_database()}?mode=ro", uri=True)
    try:
        motifs = []
        for matrix_id, species, aliases in MOTIFS:
            base_id, version = matrix_id.split(".")
            row = db.execute(
                "SELECT ID, NAME FROM MATRIX WHERE BASE_ID = ? AND VERSION = ?",
                (base_id, int(version)),
            ).fetchone()
            if row is None:
                raise FileNotFoundError(f"{matrix_id} is not in {jaspar_database()}")
            cells = db.execute(
                "SELECT row, col, val FROM MATRIX_DATA WHERE ID = ? ORDER BY col", (row[0],)
            ).fetchall()
            width = max(col for _, col, _ in cells)
            counts = np.zeros((4, width))  # (4, K), rows ACGT
            for base, col, val in cells:
                counts[ALPHABET.index(base.upper()), col - 1] = val
            motifs.append(Motif(matrix_id, row[1], counts, species, JASPAR_SOURCE, aliases))
        return tuple(motifs)
    finally:
        db.close()


def list_motifs() -> list[tuple[str, str]]:
    """The shipped motifs as ``(id, name)`` pairs, e.g. ``("MA0139.1", "CTCF")``."""
    return [(m.id, m.name) for m in _jaspar_table()]


def load_jaspar(name_or_id: str) -> Motif:
    """One of the shipped JASPAR motifs, by ID (``"MA0139.1"`` or ``"MA0139"``) or by name.

    Names are case-insensitive and include common aliases (``"PU.1"`` for Spi1, ``"TATA"`` for
    TBP). Only the profiles in :data:`MOTIFS` are offered: nothing is downloaded.

    Raises:
        TypeError: ``name_or_id`` is not a string.
        ValueError: no shipped motif matches; the message lists those that exist.
    """
    if not isinstance(name_or_id, str):
        raise TypeError(f"name_or_id must be a motif name or JASPAR ID, got {describe(name_or_id)}")
    key = name_or_id.strip().upper()
    for m in _jaspar_table():
        names = {m.id.upper(), m.id.split(".")[0].upper(), m.name.upper()}
        names |= {a.upper() for a in m.aliases}
        if key in names:
            return m
    known = ", ".join(f"{i} ({n})" for i, n in list_motifs())
    raise ValueError(
        f"no shipped JASPAR motif called {name_or_id!r}; available: {known}. genolearn ships "
        "only these (it never downloads); build other motifs with Motif(id, name, counts)"
    )


def _as_motif(motif: Motif | str, name: str = "motif") -> Motif:
    if isinstance(motif, Motif):
        return motif
    if isinstance(motif, str):
        return load_jaspar(motif)
    raise TypeError(f"{name} must be a Motif or a motif name, but got {describe(motif)}")


def sample_motif(
    motif: Motif | str,
    seed: int | np.random.Generator,
    n: int | None = None,
    *,
    strength: float = 1.0,
) -> str | list[str]:
    """Draw binding sites from the motif: base ``k`` is drawn from column ``k`` of its PPM.

    Args:
        motif: a :class:`Motif` or the name/ID of a shipped one.
        seed: int or ``numpy.random.Generator``.
        n: how many sites; ``None`` returns one string.
        strength: draw from ``ppm ** strength`` (renormalised per column). 1 = the PPM
            itself; > 1 favours the consensus and makes weak sites rarer, 0 = uniform over the
            bases the PPM allows. A base with probability 0 is never drawn.

    Returns:
        a string of length K, or a list of ``n`` such strings.
    """
    motif = _as_motif(motif)
    rng = as_rng(seed)
    count = 1 if n is None else check_int(n, "n", low=0)
    strength = check_number(strength, "strength", low=0.0)
    p = (motif.ppm > 0) * motif.ppm**strength  # the mask keeps 0 ** 0 = 1 from reviving a base
    p = p / p.sum(axis=0, keepdims=True)  # (4, K)
    cdf = np.cumsum(p, axis=0)  # (4, K)
    last = 3 - np.argmax(p[::-1] > 0, axis=0)  # (K,) the last base with p > 0 in each column
    cdf[np.arange(4)[:, None] >= last] = 1.0  # so rounding in cumsum can never pick past it
    u = rng.random((count, 1, motif.length))  # (n, 1, K), uniform in [0, 1)
    codes = (u >= cdf[None]).sum(axis=1)  # (n, K): the base whose cdf interval holds u
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    sites = [letters[row].tobytes().decode("ascii") for row in codes]
    return sites[0] if n is None else sites


def pwm_scan(onehot: np.ndarray, pwm: np.ndarray, *, both_strands: bool = False) -> np.ndarray:
    """Score every window of width K with a PWM: ``score[n, l] = sum_{a,k} x[n, a, l+k] pwm[a, k]``.

    This is exactly a 1-D convolution (cross-correlation) of the one-hot input with one filter,
    the operation a CNN's first layer learns. An ``N`` (all-zero column) contributes 0.

    Args:
        onehot: ``(N, 4, L)`` one-hot DNA.
        pwm: ``(4, K)`` finite weights, e.g. ``motif.pwm()``, with ``K <= L``.
        both_strands: if True, also score the reverse-complement PWM on the same window and keep
            the larger of the two scores.

    Returns:
        ``(N, L - K + 1)`` float64 scores; window ``l`` covers positions ``l .. l+K-1``.
    """
    sizes: dict[str, int] = {}
    x = check_array(onehot, "onehot", shape=("N", 4, "L"), finite=True, sizes=sizes)
    w = check_array(pwm, "pwm", shape=(4, "K"), finite=True, sizes=sizes)
    if sizes["K"] > sizes["L"] or sizes["K"] == 0:
        raise ValueError(
            f"pwm has width K = {sizes['K']} but the sequences have length L = {sizes['L']}; "
            "need 1 <= K <= L"
        )
    windows = np.lib.stride_tricks.sliding_window_view(x, sizes["K"], axis=2)  # (N, 4, L-K+1, K)
    scores = np.einsum("nalk,ak->nl", windows, w, dtype=np.float64)  # (N, L-K+1)
    if both_strands:
        reverse = np.einsum("nalk,ak->nl", windows, w[::-1, ::-1], dtype=np.float64)
        scores = np.maximum(scores, reverse)
    return scores


def _as_ppm(matrix, name: str) -> np.ndarray:
    if isinstance(matrix, Motif):
        return matrix.ppm
    m = check_array(matrix, name, shape=(4, None), finite=True).astype(np.float64)
    total = m.sum(axis=0, keepdims=True)  # (1, K)
    if m.shape[1] == 0 or np.any(m < 0) or np.any(total <= 0):
        raise ValueError(
            f"{name} must be a (4, K) matrix of non-negative counts or probabilities with a "
            f"positive total in every column, but got {describe(m)}"
        )
    return m / total  # (4, K)


def ppm_correlation(a, b, *, min_overlap: int | None = None) -> tuple[float, int]:
    """How alike two motifs are: the best Pearson correlation of their PPMs over all offsets.

    ``b`` slides along ``a``; at offset ``s`` column ``i`` of ``a`` faces column ``i + s`` of
    ``b``. For every offset whose overlap has at least ``min_overlap`` columns, the ``4 x
    overlap`` probabilities of the two are correlated; the largest correlation wins. Used to
    compare a learned CNN filter with the JASPAR motif it should have found (1 = same shape,
    0 = unrelated). Only the given strands are compared.

    Args:
        a, b: :class:`Motif` objects or ``(4, K)`` count/probability matrices (rows ``ACGT``;
            columns are normalised to sum to 1).
        min_overlap: fewest overlapping columns an offset needs (default: half the shorter
            motif, rounded up, and at least 2).

    Returns:
        ``(r, offset)``: the best correlation and the offset ``s`` where it occurs.
    """
    pa, pb = _as_ppm(a, "a"), _as_ppm(b, "b")  # (4, Ka), (4, Kb)
    ka, kb = pa.shape[1], pb.shape[1]
    shortest = min(ka, kb)
    default = max(2, -(-shortest // 2))
    need = default if min_overlap is None else check_int(min_overlap, "min_overlap", low=2)
    if need > shortest:
        raise ValueError(
            f"min_overlap={need} is longer than the shorter motif ({shortest} columns)"
        )
    best, best_offset = -np.inf, 0
    for offset in range(-(ka - 1), kb):
        lo, hi = max(0, -offset), min(ka, kb - offset)  # columns of a that face a column of b
        if hi - lo < need:
            continue
        x = pa[:, lo:hi].ravel()  # (4 overlap,)
        y = pb[:, lo + offset : hi + offset].ravel()  # (4 overlap,)
        if x.std() == 0 or y.std() == 0:  # uniform columns: correlation undefined, skip
            continue
        r = float(np.corrcoef(x, y)[0, 1])
        if r > best:
            best, best_offset = r, offset
    if best == -np.inf:
        raise ValueError("no offset gives two non-constant overlaps to correlate")
    return best, best_offset
