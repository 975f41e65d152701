"""The training loop (Chapter 4): :func:`fit` and the :class:`History` it returns.

``fit`` runs the five lines every chapter repeats — forward, loss, ``zero_grad``, backward,
``step`` — over shuffled mini-batches, and records one number per epoch for each loss and
metric.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from genolearn._validation import as_rng, check_array, check_int, describe
from genolearn.nn.data import minibatches
from genolearn.nn.layers import _takes_input_grad

__all__ = ["History", "fit", "predict"]

Metric = Callable[[np.ndarray, np.ndarray], float]


class History(dict):
    """What :func:`fit` measured, one entry per epoch: a dict of lists.

    Keys: ``"train_loss"`` (mean loss over the epoch's batches), and when validation data is
    given ``"val_loss"``; for every metric ``name``, ``"train_<name>"`` (on the outputs seen
    during the epoch, while the weights were changing) and ``"val_<name>"``.

    Attributes:
        best_epoch: index (0-based) of the epoch with the lowest ``val_loss`` (or ``train_loss``
            without validation data); None before the first epoch.
        stopped_early: True when early stopping ended training before ``epochs``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stopped_early = False

    def append(self, **values: float) -> None:
        """Record one epoch's values, e.g. ``history.append(train_loss=0.3)``."""
        for key, value in values.items():
            self.setdefault(key, []).append(float(value))

    @property
    def epochs(self) -> int:
        return len(self.get("train_loss", []))

    @property
    def best_epoch(self) -> int | None:
        losses = self.get("val_loss") or self.get("train_loss")
        return int(np.argmin(losses)) if losses else None

    def plot(self, ax: Any = None, keys: list[str] | None = None) -> Any:
        """Plot the losses (or ``keys``) against the epoch, marking the best epoch.

        Returns the matplotlib ``Axes`` (a new figure when ``ax`` is None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        keys = keys if keys is not None else [k for k in self if k.endswith("loss")]
        epochs = np.arange(1, self.epochs + 1)
        for key in keys:
            if key not in self:
                raise KeyError(f"no {key!r} in this history; it has {sorted(self)}")
            ax.plot(epochs[: len(self[key])], self[key], marker="o", ms=3, label=key)
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch + 1, color="grey", ls="--", lw=1, label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if all(k.endswith("loss") for k in keys) else "value")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History(epochs={self.epochs}, best_epoch={self.best_epoch}, last: {last})"


def predict(model: Any, X: Any, *, batch_size: int = 1024) -> np.ndarray:
    """``model(X)`` in eval mode, in batches of ``batch_size``; restores the previous mode.

    ``X: (N, *)`` -> the model's output ``(N, *)``, e.g. logits ``(N, C)``.
    """
    batch_size = check_int(batch_size, "batch_size", low=1)
    X = check_array(X, "X", dtype_kind=None)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        outs = [model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs)


def _check_finite(loss: Any, epoch: int, batch: int) -> None:
    if not isinstance(loss, (float, np.floating)):
        raise TypeError(
            f"loss_fn must return one number per batch, but returned {describe(loss)}; "
            f"use reduction='mean'"
        )
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"the loss became {loss} at epoch {epoch + 1}, batch {batch + 1}: the learning rate "
            f"is probably too high (or the inputs contain nan/inf)"
        )


def fit(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    X: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    seed: int | np.random.Generator,
    X_val: Any = None,
    y_val: Any = None,
    metrics: dict[str, Metric] | None = None,
    early_stopping_patience: int | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    Each epoch shuffles ``X: (N, *)`` and ``y: (N, *)`` (from ``seed``) and, per batch, runs
    ``out = model(xb); loss_fn(out, yb); optimizer.zero_grad(); model.backward(loss_fn.backward());
    optimizer.step()``. The backward pass skips ``dL/d input`` (the data needs no gradient).

    Args:
        model: a :class:`~genolearn.nn.layers.Module` (``forward``, ``backward``,
            ``parameters``, ``train``/``eval``).
        loss_fn: e.g. :class:`~genolearn.nn.losses.CrossEntropyLoss` (reduction ``"mean"``).
        optimizer: e.g. :class:`~genolearn.nn.optim.SGD` over ``model.parameters()``.
        X_val, y_val: validation data, evaluated in eval mode after every epoch.
        metrics: ``{name: f(y_true, output)}``, e.g. ``{"accuracy": accuracy}``. For two-class
            logits ``(N, 2)`` use ``lambda y, z: roc_auc(y, z[:, 1] - z[:, 0])``.
        early_stopping_patience: stop after this many epochs without a lower ``val_loss``,
            then restore the weights of the best epoch (needs validation data). The best
            weights are restored even when all epochs run.
        progress: show a tqdm progress bar (off by default, so notebook outputs are
            reproducible).
    """
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    rng = as_rng(seed)
    metrics = dict(metrics or {})
    for name, f in metrics.items():
        if not callable(f):
            raise TypeError(f"metrics[{name!r}] must be a function f(y_true, output)")
    has_val = X_val is not None or y_val is not None
    if has_val and (X_val is None or y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    patience = None
    if early_stopping_patience is not None:
        patience = check_int(early_stopping_patience, "early_stopping_patience", low=1)
        if not has_val:
            raise ValueError("early_stopping_patience needs validation data (X_val, y_val)")
    params = model.parameters()
    if not params:
        raise ValueError(f"model has no parameters to train: {describe(model)}")

    skip_input_grad = _takes_input_grad(type(model))
    history = History()
    best_loss, best_weights, waited = np.inf, None, 0
    bar = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc="epochs", unit="epoch")
    for epoch in bar:
        model.train()
        total, seen, outs, targets = 0.0, 0, [], []
        for b, (xb, yb) in enumerate(minibatches(X, y, batch_size, shuffle=True, seed=rng)):
            out = model(xb)
            loss = loss_fn(out, yb)
            _check_finite(loss, epoch, b)
            optimizer.zero_grad()
            if skip_input_grad:
                model.backward(loss_fn.backward(), input_grad=False)
            else:  # a hand-written module whose backward has no input_grad option
                model.backward(loss_fn.backward())
            optimizer.step()
            total += loss * len(xb)
            seen += len(xb)
            if metrics:
                outs.append(out)
                targets.append(yb)
        record = {"train_loss": total / seen}
        if metrics:
            out_all, y_all = np.concatenate(outs), np.concatenate(targets)
            record.update({f"train_{k}": f(y_all, out_all) for k, f in metrics.items()})
        if has_val:
            out_val = predict(model, X_val, batch_size=max(batch_size, 1024))
            record["val_loss"] = loss_fn(out_val, y_val)
            record.update({f"val_{k}": f(y_val, out_val) for k, f in metrics.items()})
        history.append(**record)
        if progress:
            bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()})
        if patience is not None:
            if record["val_loss"] < best_loss:
                best_loss, waited = record["val_loss"], 0
                best_weights = [p.data.copy() for p in params]
            else:
                waited += 1
                if waited >= patience:
                    history.stopped_early = epoch + 1 < epochs
                    break
    if best_weights is not None:
        for p, w in zip(params, best_weights, strict=True):
            np.copyto(p.data, w)  # in place: the optimizer keeps pointing at the same arrays
    if progress:
        bar.close()
    return history
