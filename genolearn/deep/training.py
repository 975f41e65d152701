"""One small, explicit training loop for every Chapter 5 model, plus predict and evaluate.

Binary models have one output (a logit, trained with ``BCEWithLogitsLoss``); models with
C > 1 outputs are trained with cross-entropy on class indices.

Progress bars: :func:`train_model` shows one (``tqdm.auto``: a widget in a notebook with
ipywidgets, text otherwise) once training has run for two seconds. Set the environment
variable ``GENOLEARN_PROGRESS=0`` to turn it off everywhere (the test suite and ``make book``
do, so stored notebook outputs stay reproducible), or pass ``progress=False``.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_int, check_number, describe
from genolearn.deep.device import default_device, set_seed
from genolearn.deep.history import History
from genolearn.nn.metrics import accuracy, roc_auc

__all__ = ["History", "train_model", "predict", "evaluate"]  # History is defined in .history


def _as_xy(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from a pair or from any object with ``.x`` and ``.y`` (a SequenceDataset)."""
    if hasattr(data, "x") and hasattr(data, "y"):
        x, y = data.x, data.y
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise TypeError(
            f"{name} must be a pair (x, y) or a dataset with .x and .y, got {describe(data)}"
        )
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    sizes: dict[str, int] = {}
    x = check_array(x, f"{name} x", shape=("N", 4, "L"), finite=True, sizes=sizes)
    y = check_array(y, f"{name} y", shape=("N",), dtype_kind="fiub", sizes=sizes)
    if sizes["N"] == 0:
        raise ValueError(f"{name} is empty")
    return x, _whole_labels(y, f"{name} y")


def _whole_labels(y: np.ndarray, name: str) -> np.ndarray:
    """Float labels such as 0.0 / 1.0 are accepted as the class indices they spell."""
    if y.dtype.kind != "f":
        return y
    bad = y[~np.isfinite(y) | (y != np.round(y))]
    if bad.size:
        raise ValueError(
            f"{name} holds {float(bad[0])!r}, but labels must be class numbers: 0 or 1 for a model "
            f"with one output, 0 .. C-1 for C outputs (floats such as 1.0 are fine). "
            f"For soft targets or regression write your own loop"
        )
    return y.astype(np.int64)


def _show_progress(progress: bool | None) -> bool:
    """``progress`` if given, else on unless the environment says ``GENOLEARN_PROGRESS=0``."""
    if progress is not None:
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {describe(progress)}")
        return progress
    value = os.environ.get("GENOLEARN_PROGRESS", "1").strip().lower()
    if value not in {"0", "1", "false", "true", "no", "yes", "off", "on", ""}:
        raise ValueError(
            f"the environment variable GENOLEARN_PROGRESS is {value!r} but must be 0 (no "
            f"progress bars) or 1"
        )
    return value not in {"0", "false", "no", "off"}


_PROGRESS_DELAY = 2.0  # seconds of training before a bar appears: quick runs stay silent


def _progress_bar(total: int):
    with warnings.catch_warnings():  # tqdm.auto warns when a notebook lacks ipywidgets
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm(total=total, desc="training", unit="batch", delay=_PROGRESS_DELAY, leave=False)


def _model_device(model: nn.Module, device) -> torch.device:
    if device is not None:
        return torch.device(device)
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if logits.shape[1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
    return nn.functional.cross_entropy(logits, y.long())


def _correct(logits: torch.Tensor, y: torch.Tensor) -> int:
    pred = (logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(dim=1)
    return int((pred == y.long()).sum())


def _check_labels(y: np.ndarray, n_outputs: int, name: str) -> None:
    top = 1 if n_outputs == 1 else n_outputs - 1
    if y.min() < 0 or y.max() > top:
        raise ValueError(
            f"{name} y has labels in [{y.min()}, {y.max()}] but a model with {n_outputs} "
            f"output(s) needs labels in [0, {top}]"
        )


@torch.no_grad()
def _logits(model: nn.Module, x: np.ndarray, batch_size: int, device) -> torch.Tensor:
    was_training = model.training
    model.eval()
    try:
        chunks = [
            model(torch.as_tensor(x[i : i + batch_size], dtype=torch.float32, device=device))
            for i in range(0, len(x), batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(chunks).cpu()  # (N, C)


def train_model(
    model: nn.Module,
    train_data,
    val_data=None,
    *,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int,
    weight_decay: float = 0.0,
    patience: int | None = None,
    restore_best: bool = True,
    device=None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` in place with Adam on mini-batches; return the per-epoch history.

    The defaults are the course's recipe for every Chapter 5 model (measured on tasks the
    chapter does not use by ``benchmarks/recipes.py``): Adam at ``lr = 3e-3``, batches of 64,
    20 epochs; with validation data, end with the weights of the epoch of lowest validation
    loss. (Early stopping with ``patience`` saves time, but on small or hard sets the
    validation loss can sit still for several epochs before the model finds the motif.)

    Reproducibility: ``seed`` fixes the batch order and dropout. The initial weights come from
    when the model was built, so call :func:`genolearn.deep.set_seed` before building it too.

    Args:
        model: maps ``(B, 4, L)`` float32 to ``(B, C)`` logits.
        train_data, val_data: ``(x, y)`` pairs or datasets with ``.x: (N, 4, L)`` and
            ``.y: (N,)`` labels: 0/1 for a model with one output, class indices 0 .. C-1 for
            C > 1 outputs. Integer, boolean or float labels are accepted; floats must be whole
            numbers (``1.0``, not ``0.7``).
        epochs, batch_size, lr, weight_decay: the usual; Adam's ``weight_decay`` is L2.
        seed: int >= 0.
        patience: with validation data, stop after this many epochs without a lower
            validation loss (None: run every epoch). Ignored without validation data.
        restore_best: with validation data, end with the weights of the epoch of lowest
            validation loss (``history.restored_epoch``) instead of the last epoch's.
        device: where to train; default :func:`default_device` (the model is moved there).
        progress: show a progress bar; None (default) shows one once training has taken two
            seconds, unless the environment variable ``GENOLEARN_PROGRESS`` is ``0``.
    """
    x, y = _as_xy(train_data, "train_data")
    val = None if val_data is None else _as_xy(val_data, "val_data")
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    patience = None if patience is None else check_int(patience, "patience", low=1)
    if not isinstance(restore_best, bool):
        raise TypeError(f"restore_best must be True or False, got {describe(restore_best)}")
    show = _show_progress(progress)
    generator = set_seed(seed)
    device = default_device() if device is None else torch.device(device)
    model.to(device)
    x_t = torch.as_tensor(x, dtype=torch.float32)  # (N, 4, L), moved batch by batch
    y_t = torch.as_tensor(y)
    n_outputs = _logits(model, x[:1], 1, device).shape[1]
    _check_labels(y, n_outputs, "train_data")
    if val is not None:
        _check_labels(val[1], n_outputs, "val_data")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, start = History(), time.perf_counter()
    best_loss, best_state, waited = float("inf"), None, 0
    n_batches = -(-len(x_t) // batch_size)
    bar = _progress_bar(epochs * n_batches) if show else None
    try:
        for epoch in range(epochs):
            t0 = time.perf_counter()
            model.train()
            total_loss, correct = 0.0, 0
            order = torch.randperm(len(x_t), generator=generator)
            for i in range(0, len(order), batch_size):
                idx = order[i : i + batch_size]
                xb, yb = x_t[idx].to(device), y_t[idx].to(device)
                logits = model(xb)  # (B, C)
                loss = _loss(logits, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total_loss += loss.item() * len(idx)
                correct += _correct(logits.detach(), yb)
                if bar is not None:
                    bar.update(1)
            history.train_loss.append(total_loss / len(x_t))
            history.train_accuracy.append(correct / len(x_t))
            if val is not None:
                val_logits = _logits(model, val[0], 1024, device)
                val_y = torch.as_tensor(val[1])
                history.val_loss.append(float(_loss(val_logits, val_y)))
                history.val_accuracy.append(_correct(val_logits, val_y) / len(val_y))
            else:
                history.val_loss.append(float("nan"))
                history.val_accuracy.append(float("nan"))
            history.epoch_time.append(time.perf_counter() - t0)
            if bar is not None:
                # refresh=False: a refresh now would draw the bar before its 2-second delay
                bar.set_postfix(
                    epoch=f"{epoch + 1}/{epochs}",
                    loss=f"{history.train_loss[-1]:.3f}",
                    refresh=False,
                )
            if val is None:
                continue
            if history.val_loss[-1] < best_loss:
                best_loss, waited = history.val_loss[-1], 0
                if restore_best:  # copied to the CPU: no second model on the GPU
                    best_state = {
                        k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()
                    }
                    history.restored_epoch = epoch
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    history.stopped_early = epoch + 1 < epochs
                    break
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    history.wall_time = time.perf_counter() - start
    return history


def predict(model: nn.Module, x, *, batch_size: int = 256, device=None) -> np.ndarray:
    """Probabilities in eval mode (no dropout, no gradients).

    Args:
        x: ``(N, 4, L)`` one-hot (numpy or torch).

    Returns:
        ``(N,)`` P(y = 1) for a one-output model, else ``(N, C)`` softmax probabilities.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = check_array(x, "x", shape=("N", 4, "L"), finite=True)
    batch_size = check_int(batch_size, "batch_size", low=1)
    logits = _logits(model, x, batch_size, _model_device(model, device))  # (N, C)
    if logits.shape[1] == 1:
        return torch.sigmoid(logits[:, 0]).numpy()
    return torch.softmax(logits, dim=1).numpy()


def evaluate(model: nn.Module, x, y, *, batch_size: int = 256, device=None) -> dict[str, float]:
    """Accuracy and AUROC on ``(x, y)``.

    Returns:
        ``{"accuracy": ..., "auroc": ...}`` from :mod:`genolearn.nn.metrics` (a sequence is
        called positive when P(y = 1) >= 0.5). For C > 1 outputs the AUROC is the mean of the
        one-vs-rest AUROCs over the classes that occur (and do not fill) ``y``.
    """
    x, y = _as_xy((x, y), "data")
    probs = predict(model, x, batch_size=batch_size, device=device)
    _check_labels(y, 1 if probs.ndim == 1 else probs.shape[1], "data")
    if probs.ndim == 1:
        auroc = roc_auc(y, probs)
    else:
        per_class = [
            roc_auc(y == c, probs[:, c])
            for c in range(probs.shape[1])
            if 0 < np.sum(y == c) < len(y)
        ]
        auroc = float(np.mean(per_class)) if per_class else float("nan")
    return {"accuracy": accuracy(y, probs), "auroc": auroc}
