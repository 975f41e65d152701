"""What :func:`genolearn.deep.train_model` measured, epoch by epoch, and a plot of it.

The plot matches :meth:`genolearn.nn.History.plot` on the numpy side: losses against the epoch,
the best epoch marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["History"]


@dataclass
class History:
    """What happened during :func:`~genolearn.deep.train_model`, one entry per epoch.

    ``train_loss`` / ``train_accuracy`` are averaged over the epoch's mini-batches while the
    weights were still changing (and with dropout on); ``val_*`` are measured after the epoch
    in eval mode (``nan`` when there is no validation set). Times are in seconds.

    Attributes:
        restored_epoch: index (0-based) of the epoch whose weights the model holds after
            training (the best validation loss when ``restore_best`` was on), else None.
        stopped_early: True when ``patience`` ended training before ``epochs``.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    wall_time: float = 0.0
    restored_epoch: int | None = None
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def best_epoch(self) -> int | None:
        """Index (0-based) of the lowest ``val_loss`` (``train_loss`` without validation
        data); None before the first epoch."""
        has_val = any(not math.isnan(v) for v in self.val_loss)
        losses = self.val_loss if has_val else self.train_loss
        return int(np.nanargmin(losses)) if losses else None

    def plot(self, ax: Any = None, keys: list[str] | None = None) -> Any:
        """Plot the losses (or ``keys``, e.g. ``["train_accuracy", "val_accuracy"]``) against
        the epoch, marking the best epoch; series that are all ``nan`` are left out.

        Returns the matplotlib ``Axes`` (a new figure when ``ax`` is None).
        """
        import matplotlib.pyplot as plt

        series = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_time")
        if keys is None:
            keys = [k for k in ("train_loss", "val_loss") if not np.isnan(getattr(self, k)).all()]
        for key in keys:
            if key not in series:
                raise KeyError(f"no {key!r} in this history; it has {list(series)}")
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        epochs = np.arange(1, len(self) + 1)
        for key in keys:
            ax.plot(epochs, getattr(self, key), marker="o", ms=3, label=key)
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch + 1, color="grey", ls="--", lw=1, label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if all(k.endswith("loss") for k in keys) else "value")
        ax.legend()
        return ax
