"""Where torch runs, and how to make a run repeatable."""

from __future__ import annotations

import random

import numpy as np
import torch

from genolearn._validation import check_int

__all__ = ["default_device", "set_seed"]


def default_device() -> torch.device:
    """``cuda`` when a GPU is available, else ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_seed(seed: int) -> torch.Generator:
    """Seed torch (CPU and every GPU) and ask cuDNN for deterministic kernels.

    Call it before building a model: the initial weights come from torch's global generator.
    Python's ``random`` and numpy's legacy global generator are seeded too, for third-party code
    that uses them (genolearn itself never does: its numpy code takes ``seed=`` arguments).

    Returns:
        a fresh ``torch.Generator`` seeded with ``seed``, for data shuffling that must not
        depend on how many random numbers the model used.
    """
    seed = check_int(seed, "seed", low=0, high=2**63 - 1)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - only for third-party code; see docstring
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True  # pick deterministic convolution algorithms
    torch.backends.cudnn.benchmark = False  # autotuning may choose differently run to run
    return torch.Generator().manual_seed(seed)
