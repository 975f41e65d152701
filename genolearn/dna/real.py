"""Small real-data tasks built from files that ship inside the ``logomaker`` package.

Nothing is downloaded: logomaker (MIT licence, installed with ``genolearn[deep]``) carries
example data files, and these functions read them from its installed package folder without
importing logomaker itself. See :data:`DATA_CARD` for sources, citations and sizes.
"""

from __future__ import annotations

import importlib.util
from itertools import product
from pathlib import Path

import numpy as np

from genolearn._validation import as_rng, check_int
from genolearn.dna.datasets import random_sequences
from genolearn.dna.onehot import one_hot_encode, validate_sequence
from genolearn.dna.shuffle import dinucleotide_shuffle
from genolearn.dna.synthetic import SequenceDataset

__all__ = [
    "DATA_CARD",
    "logomaker_datafile",
    "load_crp_sites",
    "load_splice_sites",
    "crp_binding_task",
    "splice_site_task",
]

DATA_CARD = """\
Data card: genolearn.dna.real
=============================

Both files are example data shipped in the logomaker package (logomaker/examples/datafiles/,
logomaker 0.8.7, MIT licence; Tareen A, Kinney JB (2020) Logomaker: beautiful sequence logos
in Python. Bioinformatics 36(7):2272-2274). The original sources below are those stated in the
files' own headers.

crp_sites.fa -> load_crp_sites(), crp_binding_task()
  What: binding sites of the E. coli cAMP receptor protein (CRP), one aligned 26-bp site
    per record, FASTA header = record number, promoter, position.
  Original source: RegulonDB. Salgado H, et al. (2013) RegulonDB v8.0: omics data sets,
    evolutionary conservation, regulatory phrases, cross-validated gold standards and more.
    Nucleic Acids Res 41(Database issue):D203-13. RegulonDB data are free for academic use;
    cite the paper.
  Size: 358 records of length 26; 308 distinct sequences (some sites are listed more than
    once, e.g. for two promoters). load_crp_sites() de-duplicates by default so that no
    sequence can be in both a training and a test split.
  Task: positives = sites; negatives = dinucleotide shuffles of the sites (same composition
    and neighbour statistics, motif destroyed). Balanced, N = 2 x 308 = 616 by default.
  Caveats: sites are aligned (the centre of the palindrome is at the same column), so a model
    can use absolute position unless length= embeds them at random offsets.

ss_sequences.txt -> load_splice_sites(), splice_site_task()
  What: every distinct human 5' splice site (donor) 9-mer, 3 exonic + 6 intronic bases, of the
    form NNNGYNNNN (the intron starts GU or GC), with the number of times it occurs in the
    genome. Stored as RNA (U), converted here to DNA (T).
  Original source: hg38 with GENCODE annotation. Frankish A, et al. (2019) GENCODE reference
    annotation for the human and mouse genomes. Nucleic Acids Res 47(D1):D766-73. GENCODE data
    are freely available without restriction.
  Size: 10,227 distinct 9-mers (6,762 GT, 3,465 GC) seen 298,479 times in all; counts
    column: occurrences as a donor in the annotation.
  Task: positives = 9-mers seen as a 5'ss; negatives = 9-mers of the same form (same GT/GC)
    never seen as one: the file lists every observed donor 9-mer, so these are true negatives
    of the annotation. A model must learn the exon/intron consensus (CAG|GTRAGT) around the
    invariant GT. Balanced, N = 2 x 10,227 by default.
  Caveats: many positives are seen only once (weak or mis-annotated donors); min_count= keeps
    well-used sites only. Negatives are 9-mers, not genomic GT sites with their context, so
    accuracy here says little about finding donors in a genome.
"""


def logomaker_datafile(name: str) -> Path:
    """Path to one of logomaker's example data files, e.g. ``"crp_sites.fa"``.

    Raises:
        FileNotFoundError: logomaker is not installed, or the file is missing from it.
    """
    spec = importlib.util.find_spec("logomaker")  # locate without importing matplotlib etc.
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the real-data tasks read {name!r} from the logomaker package, which is not "
            "installed; install the course extras with `pip install genolearn[deep]`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "examples" / "datafiles" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"logomaker is installed but its example file {path} is missing; reinstall "
            "logomaker (the course pins logomaker 0.8.7, which ships it)"
        )
    return path


def load_crp_sites(*, unique: bool = True) -> list[str]:
    """The E. coli CRP binding sites (26 bp each) from logomaker's ``crp_sites.fa``.

    Args:
        unique: drop repeated sequences, keeping first occurrences in file order.

    Returns:
        308 distinct sites (358 with ``unique=False``), upper-case DNA.
    """
    lines = logomaker_datafile("crp_sites.fa").read_text(encoding="utf-8").splitlines()
    sites = [
        validate_sequence(line.strip(), "crp_sites.fa record")
        for line in lines
        if line.strip() and not line.startswith(("#", ">"))
    ]
    return list(dict.fromkeys(sites)) if unique else sites


def load_splice_sites() -> tuple[list[str], np.ndarray]:
    """The human 5' splice-site 9-mers from logomaker's ``ss_sequences.txt``, as DNA.

    Returns:
        ``(sequences, counts)``: 10,227 strings of length 9 (``U`` read as ``T``) and an
        ``(N,)`` int64 array of how often each occurs in hg38.
    """
    seqs, counts = [], []
    text = logomaker_datafile("ss_sequences.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("sequence"):
            continue
        seq, count = line.split()
        seqs.append(validate_sequence(seq.replace("U", "T"), "ss_sequences.txt record"))
        counts.append(int(count))
    return seqs, np.asarray(counts, dtype=np.int64)


def _embed(sequences: list[str], length: int | None, rng: np.random.Generator) -> list[str]:
    """Put each sequence at a random offset in uniform random background of ``length`` bases."""
    if length is None:
        return sequences
    width = len(sequences[0])
    length = check_int(length, "length", low=width)
    out = []
    for s in sequences:
        start = int(rng.integers(0, length - width + 1))
        bg = random_sequences(1, length, seed=rng)[0]
        out.append(bg[:start] + s + bg[start + width :])
    return out


def _balanced(pos: list[str], neg: list[str], task: str, rng) -> SequenceDataset:
    seqs = pos + neg
    y = np.r_[np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)]  # (N,)
    order = rng.permutation(len(seqs))
    seqs = [seqs[i] for i in order]
    return SequenceDataset(sequences=seqs, x=one_hot_encode(seqs), y=y[order], task=task)


def crp_binding_task(
    seed: int | np.random.Generator, *, length: int | None = None, negatives_per_site: int = 1
) -> SequenceDataset:
    """Real E. coli CRP sites (y = 1) vs their dinucleotide shuffles (y = 0).

    Args:
        seed: int or ``numpy.random.Generator`` (shuffles, order, offsets).
        length: if given (>= 26), every sequence is placed at a random offset in random
            background of this length, so position alone gives nothing away.
        negatives_per_site: shuffled copies per site (1 gives a balanced set).

    Returns:
        a :class:`SequenceDataset`, ``x: (N, 4, L)`` with N = 308 (1 + negatives_per_site),
        L = 26 or ``length``. Source and licence: :data:`DATA_CARD`.
    """
    rng = as_rng(seed)
    k = check_int(negatives_per_site, "negatives_per_site", low=1)
    sites = load_crp_sites()
    shuffled = [dinucleotide_shuffle(s, rng) for s in sites for _ in range(k)]
    pos, neg = _embed(sites, length, rng), _embed(shuffled, length, rng)
    task = "crp_binding: y = 1 for an E. coli CRP site (RegulonDB via logomaker), 0 for its "
    task += "dinucleotide shuffle" + ("" if length is None else f", embedded in L = {length}")
    return _balanced(pos, neg, task, rng)


def splice_site_task(
    seed: int | np.random.Generator, *, n: int | None = None, min_count: int = 1
) -> SequenceDataset:
    """Human 5' splice-site 9-mers (y = 1) vs 9-mers never used as one (y = 0).

    The file lists every ``NNNGYNNNN`` 9-mer seen at an annotated donor, so every other 9-mer
    of that form is a true negative: it never occurs as a GENCODE 5' splice site in hg38. Each
    positive is paired with a negative drawn uniformly (without replacement) from the unused
    9-mers with the same ``GT`` or ``GC``, so positions 3-4 carry no information.

    Args:
        seed: int or ``numpy.random.Generator``.
        n: use a random subset of ``n`` positives (default: all that pass ``min_count``).
        min_count: keep only sites seen at least this often (higher = cleaner, fewer sites).

    Returns:
        a balanced :class:`SequenceDataset` of 2n 9-mers, ``x: (2n, 4, 9)``.
        Source and licence: :data:`DATA_CARD`.
    """
    rng = as_rng(seed)
    min_count = check_int(min_count, "min_count", low=1)
    all_sites, counts = load_splice_sites()
    sites = [s for s, c in zip(all_sites, counts, strict=True) if c >= min_count]
    if n is not None:
        n = check_int(n, "n", low=1, high=len(sites))
        sites = [sites[i] for i in sorted(rng.choice(len(sites), size=n, replace=False))]
    observed = set(all_sites)
    decoys = [""] * len(sites)
    for y_base in "TC":
        rows = [i for i, s in enumerate(sites) if s[4] == y_base]
        unused = [
            f"{a}G{y_base}{b}"
            for a in map("".join, product("ACGT", repeat=3))
            for b in map("".join, product("ACGT", repeat=4))
            if f"{a}G{y_base}{b}" not in observed
        ]  # every NNNGYNNNN with this Y that is never a donor
        for i, j in zip(rows, rng.choice(len(unused), len(rows), replace=False), strict=True):
            decoys[i] = unused[j]
    task = "splice_site: y = 1 for a human 5' splice site 9-mer (GENCODE/hg38 via logomaker), "
    task += "0 for a 9-mer with the same GT/GC never used as a donor"
    return _balanced(sites, decoys, task, rng)
