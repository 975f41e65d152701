"""One small, explicit training loop for every Chapter 5 model, plus predict and evaluate.

Binary models have one output (a logit, trained with ``BCEWithLogitsLoss``); models with
C > 1 outputs are trained with cross-entropy on class indices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_int, check_number, describe
from genolearn.deep.device import default_device, set_seed
from genolearn.nn.metrics import accuracy, roc_auc

__all__ = ["History", "train_model", "predict", "evaluate"]


@dataclass
class History:
    """What happened during :func:`train_model`, one entry per epoch.

    ``train_loss`` / ``train_accuracy`` are averaged over the epoch's mini-batches while the
    weights were still changing (and with dropout on); ``val_*`` are measured after the epoch
    in eval mode (``nan`` when there is no validation set). Times are in seconds.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    wall_time: float = 0.0

    def __len__(self) -> int:
        return len(self.train_loss)


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
    y = check_array(y, f"{name} y", shape=("N",), dtype_kind="iub", sizes=sizes)
    if sizes["N"] == 0:
        raise ValueError(f"{name} is empty")
    return x, y


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
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int,
    weight_decay: float = 0.0,
    device=None,
    progress: bool = False,
) -> History:
    """Train ``model`` in place with Adam on mini-batches; return the per-epoch history.

    Reproducibility: ``seed`` fixes the batch order and dropout. The initial weights come from
    when the model was built, so call :func:`genolearn.deep.set_seed` before building it too.

    Args:
        model: maps ``(B, 4, L)`` float32 to ``(B, C)`` logits.
        train_data, val_data: ``(x, y)`` pairs or datasets with ``.x: (N, 4, L)`` and
            ``.y: (N,)`` integer labels (0/1 for one output, class indices for C > 1).
        epochs, batch_size, lr, weight_decay: the usual; Adam's ``weight_decay`` is L2.
        seed: int >= 0.
        device: where to train; default :func:`default_device` (the model is moved there).
        progress: show a tqdm progress bar over epochs.
    """
    x, y = _as_xy(train_data, "train_data")
    val = None if val_data is None else _as_xy(val_data, "val_data")
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
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
    epoch_range = range(epochs)
    if progress:  # imported only when asked: tqdm.auto warns on stderr without ipywidgets
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="epochs")
    for _ in epoch_range:
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
