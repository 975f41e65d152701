"""genolearn: reference implementations, offline genomic data and the grader for the course
*Neural Network Fundamentals for Genomics*.

Subpackages: :mod:`genolearn.dna` (DNA utilities and generated data), :mod:`genolearn.nn`
(numpy from scratch), :mod:`genolearn.exercises` (checks with feedback).
torch-based code lives in :mod:`genolearn.deep` and is never imported from here.
"""

from genolearn import dna, nn
from genolearn.quoted import QuotedNumberError, quote

__version__ = "0.1.0"

__all__ = ["QuotedNumberError", "__version__", "dna", "nn", "quote"]
