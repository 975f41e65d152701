"""Real single-cell expression: the 10x PBMC cells that ship inside the ``scanpy`` package.

Nothing is downloaded and scanpy is never imported: the ``.h5ad`` file it ships is an HDF5 file,
read here with ``h5py``. See :data:`PBMC_DATA_CARD` for the source, licence and contents.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genolearn._validation import check_choice

__all__ = [
    "PBMC_DATA_CARD",
    "PBMC_COARSE",
    "PBMC_MARKERS",
    "PBMCData",
    "pbmc_datafile",
    "load_pbmc",
]

PBMC_DATA_CARD = """\
Data card: genolearn.dna.pbmc
=============================

10x_pbmc68k_reduced.h5ad -> load_pbmc()
  Where: shipped in the scanpy wheel (scanpy/datasets/, scanpy 1.11.5, BSD-3-Clause licence;
    Wolf FA, Angerer P, Theis FJ (2018) SCANPY: large-scale single-cell gene expression data
    analysis. Genome Biol 19:15). Installed without scanpy's dependencies
    (requirements/nodeps.txt); read with h5py.
  Original source: 10x Genomics' "Fresh 68k PBMCs (Donor A)", peripheral blood mononuclear
    cells of one healthy donor; Zheng GXY, et al. (2017) Massively parallel digital
    transcriptional profiling of single cells. Nat Commun 8:14049. Published by 10x Genomics
    under CC BY 4.0.
  What X holds: 700 cells (a random subsample by scanpy's authors) x 765 genes. load_pbmc()
    returns the file's raw.X: counts normalised per cell (before the gene selection) and
    log-transformed, log(1 + x), 0 for an undetected gene (67 % of entries). The file's own
    X (scaled over all 700 cells) is not used: scaling must be fitted on training cells only.
  Genes: the 765 highly variable genes kept by scanpy's authors, chosen on the full 68k data
    set (not on any split made here: no gene selection uses our test cells, but the list is
    the authors' choice, made with all cells).
  Labels: "bulk_labels", 10 types assigned by Zheng et al. by correlating each cell with the
    expression of FACS-purified bulk populations (not by sorting each cell): 5 T-cell subsets,
    CD14+ monocytes, CD19+ B, CD34+ progenitors, CD56+ NK and dendritic cells. The five T-cell
    subsets are hard to tell apart even for the original authors; coarse="lineage" merges them
    (PBMC_COARSE).
  Imbalance: 8 to 240 cells per fine type; 13 (CD34+) to 240 (dendritic) per lineage.
"""

#: Lineage of each of the 10 bulk labels (``coarse="lineage"``).
PBMC_COARSE: dict[str, str] = {
    "CD4+/CD25 T Reg": "T cell",
    "CD4+/CD45RA+/CD25- Naive T": "T cell",
    "CD4+/CD45RO+ Memory": "T cell",
    "CD8+ Cytotoxic T": "T cell",
    "CD8+/CD45RA+ Naive Cytotoxic": "T cell",
    "CD14+ Monocyte": "monocyte",
    "CD19+ B": "B cell",
    "CD34+": "CD34+ progenitor",
    "CD56+ NK": "NK cell",
    "Dendritic": "dendritic",
}

#: Known marker genes of each lineage that are among the data set's 765 genes (CD19, CD14, CD34,
#: PPBP are not). Sources: Zheng et al. 2017 (Fig. 3), the Seurat and scanpy PBMC tutorials;
#: SPINK2 and PRSS57 for CD34+ cells: Hay SB, et al. (2018) Exp Hematol 68:51-61.
PBMC_MARKERS: dict[str, tuple[str, ...]] = {
    "T cell": ("CD3D", "CD3E", "IL7R"),
    "monocyte": ("LYZ", "S100A8", "S100A9", "FCN1"),
    "B cell": ("CD79A", "CD79B", "MS4A1"),
    "CD34+ progenitor": ("SOX4", "PRSS57", "SPINK2"),
    "NK cell": ("NKG7", "GNLY", "PRF1"),
    "dendritic": ("FCER1A", "CLEC10A", "CST3"),
}


@dataclass
class PBMCData:
    """The PBMC cells, their genes and their cell types.

    Attributes:
        X: ``(N, G)`` float32 log-normalised expression, N = 700 cells, G = 765 genes.
        y: ``(N,)`` int64 cell type in ``0 .. C-1``.
        classes: the C type names, ``classes[y[i]]`` is cell i's type.
        genes: the G gene symbols (columns of ``X``).
        cells: the N 10x cell barcodes (rows of ``X``).
        markers: ``{type: known marker genes}`` for the types that have them here.
    """

    X: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    genes: tuple[str, ...]
    cells: tuple[str, ...]
    markers: dict[str, tuple[str, ...]]


def pbmc_datafile() -> Path:
    """Path to ``10x_pbmc68k_reduced.h5ad`` inside the installed scanpy package.

    Raises:
        FileNotFoundError: scanpy is not installed, or its data file is missing.
    """
    spec = importlib.util.find_spec("scanpy")  # locate without importing scanpy's dependencies
    install = "pip install --no-deps scanpy==1.11.5 (only its data file is used)"
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the PBMC cells are read from a file shipped in the scanpy package, which is not "
            f"installed; install it with `{install}`"
        )
    path = Path(next(iter(spec.submodule_search_locations)))
    path = path / "datasets" / "10x_pbmc68k_reduced.h5ad"
    if not path.is_file():
        raise FileNotFoundError(
            f"scanpy is installed but its data file {path} is missing; `{install}` ships it"
        )
    return path


def _h5py():
    try:
        import h5py
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "load_pbmc reads the .h5ad file with h5py, which is not installed; install it "
            "with `pip install h5py==3.16.0`"
        ) from None
    return h5py


def _decode(values) -> tuple[str, ...]:
    return tuple(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values)


def load_pbmc(*, coarse: str = "lineage") -> PBMCData:
    """The 700 PBMC cells with log-normalised expression of 765 genes and their cell types.

    Args:
        coarse: ``"lineage"`` (default): 6 lineages (:data:`PBMC_COARSE`), the 5 T-cell
            subsets merged; ``"bulk"``: the 10 original bulk labels.

    Returns:
        a :class:`PBMCData`; ``X: (700, 765)`` float32, ``y: (700,)`` int64. Classes are in
        the order of :data:`PBMC_MARKERS` for lineages, of the file for bulk labels.
        Source, licence and caveats: :data:`PBMC_DATA_CARD`.
    """
    coarse = check_choice(coarse, "coarse", ("lineage", "bulk"))
    h5py = _h5py()
    with h5py.File(pbmc_datafile(), "r") as f:
        raw = f["raw.X"]
        shape = tuple(int(s) for s in raw.attrs["h5sparse_shape"])  # (N, G), stored as CSR
        data, indices, indptr = raw["data"][:], raw["indices"][:], raw["indptr"][:]
        genes = _decode(f["raw.var"]["index"])
        cells = _decode(f["obs"]["index"])
        bulk = f["obs"]["bulk_labels"].astype(np.int64)  # (N,) codes into the categories
        names = _decode(f["uns"]["bulk_labels_categories"][:])
    X = np.zeros(shape, dtype=np.float32)  # (N, G) dense: 700 x 765 is small
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))  # (nnz,) row of each stored value
    X[rows, indices] = data
    if coarse == "bulk":
        classes, y = names, bulk
    else:
        classes = tuple(PBMC_MARKERS)
        lookup = np.array([classes.index(PBMC_COARSE[n]) for n in names])  # (10,)
        y = lookup[bulk]
    markers = {c: PBMC_MARKERS[c] for c in classes if c in PBMC_MARKERS}
    return PBMCData(X, y.astype(np.int64), tuple(classes), genes, cells, markers)
