"""Generated gene-expression matrices with a known rule linking marker genes to the label.

Rows are samples, columns are genes, values are log2(1 + counts)-like expression levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genolearn._validation import as_rng, check_choice, check_int, check_number

__all__ = ["ExpressionData", "expression_dataset"]


@dataclass
class ExpressionData:
    """A generated expression dataset.

    Attributes:
        X: ``(N, G)`` float64 log-expression, samples × genes.
        y: ``(N,)`` int64 labels in {0, 1}.
        genes: ``G`` gene names; ``markers`` the two genes the rule uses.
        rule: the labelling rule in words.
    """

    X: np.ndarray
    y: np.ndarray
    genes: list[str]
    markers: tuple[str, str]
    rule: str


_RULES = {
    "linear": "label 1 when marker A + marker B is above its median",
    "and": "label 1 when marker A AND marker B are both high",
    "xor": "label 1 when exactly one of marker A and marker B is high",
}


def expression_dataset(
    n_samples: int = 400,
    n_genes: int = 20,
    *,
    rule: str = "xor",
    noise: float = 0.3,
    seed: int | np.random.Generator = 0,
) -> ExpressionData:
    """Samples whose class depends on two marker genes (``GENE00`` and ``GENE01``).

    Each marker is "high" (mean 6) or "low" (mean 2) independently with probability 1/2; the
    other genes are background noise around gene-specific means. With ``rule="xor"`` the label
    is 1 when exactly one marker is high — an interaction no single linear boundary can
    capture (Chapter 2); ``"and"`` needs both; ``"linear"`` thresholds their sum.

    Returns:
        :class:`ExpressionData` with ``X: (n_samples, n_genes)`` and ``y: (n_samples,)``.
    """
    n = check_int(n_samples, "n_samples", low=1)
    g = check_int(n_genes, "n_genes", low=2)
    check_choice(rule, "rule", list(_RULES))
    noise = check_number(noise, "noise", low=0.0)
    rng = as_rng(seed)
    high = rng.integers(0, 2, size=(n, 2))  # (N, 2) marker states
    base = rng.uniform(1.0, 8.0, size=g)  # (G,) gene-specific mean level
    X = base + rng.normal(scale=1.0, size=(n, g))  # (N, G)
    X[:, :2] = 2.0 + 4.0 * high + rng.normal(scale=noise * 2, size=(n, 2))
    if rule == "xor":
        y = high[:, 0] ^ high[:, 1]
    elif rule == "and":
        y = high[:, 0] & high[:, 1]
    else:
        s = X[:, 0] + X[:, 1]
        y = (s > np.median(s)).astype(np.int64)
    X = np.clip(X, 0.0, None)
    genes = [f"GENE{i:02d}" for i in range(g)]
    return ExpressionData(
        X=X, y=y.astype(np.int64), genes=genes, markers=(genes[0], genes[1]), rule=_RULES[rule]
    )
