"""Classifiers of expression tables (cells x genes) in torch, and which genes they use.

:class:`ExpressionMLP` is an MLP on ``(N, G)`` rows (with no hidden layer it is multinomial
logistic regression); :func:`fit_classifier` trains it with a class-weighted cross-entropy
and early stopping; :func:`gene_attribution` scores each gene's contribution to a class logit
(gradient x input) and :func:`marker_auroc` scores such rankings against known marker genes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import torch
from torch import nn

from genolearn._validation import check_array, check_int, check_number, describe
from genolearn.deep.device import default_device, set_seed
from genolearn.deep.history import History
from genolearn.nn.imbalance import balanced_accuracy
from genolearn.nn.metrics import roc_auc

__all__ = ["ExpressionMLP", "fit_classifier", "predict_logits", "gene_attribution", "marker_auroc"]


class ExpressionMLP(nn.Module):
    """An MLP from expression rows to class logits.

    Args:
        n_genes: G, the input width.
        n_classes: C, logits per row.
        hidden: sizes of the hidden layers, each followed by ReLU and dropout; ``()`` gives
            multinomial logistic regression (one linear layer).
        dropout: dropout probability on the input and after each hidden layer (input dropout
            drops genes, a strong regulariser for a few hundred cells).

    Shape:
        - Input: ``(N, G)`` float32 (standardised expression).
        - Output: ``(N, C)`` logits.

    Initialisation: torch's ``nn.Linear`` default, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """

    def __init__(
        self, n_genes: int, n_classes: int, hidden: Sequence[int] = (64,), *, dropout: float = 0.0
    ) -> None:
        super().__init__()
        sizes = [check_int(n_genes, "n_genes", low=1)]
        sizes += [check_int(h, "hidden size", low=1) for h in hidden]
        n_classes = check_int(n_classes, "n_classes", low=2)
        dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        layers: list[nn.Module] = [nn.Dropout(dropout)] if hidden else []
        for fan_in, fan_out in pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(sizes[-1], n_classes))
        self.n_genes = sizes[0]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.n_genes:
            raise ValueError(
                f"x has shape {tuple(x.shape)} but must be (N, {self.n_genes}): one row of "
                f"{self.n_genes} genes per cell"
            )
        return self.net(x)  # (N, G) -> (N, C)


def _xy(X: Any, y: Any, name: str, n_genes: int) -> tuple[torch.Tensor, torch.Tensor]:
    sizes: dict[str, int] = {"G": n_genes}
    X = check_array(X, f"{name} X", shape=("N", "G"), finite=True, sizes=sizes)
    y = check_array(y, f"{name} y", shape=("N",), dtype_kind="iu", sizes=sizes)
    return torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)


def predict_logits(model: nn.Module, X: Any, *, device=None) -> np.ndarray:
    """``(N, C)`` float32 logits of ``X: (N, G)`` in eval mode (no dropout, no gradients)."""
    X = check_array(X, "X", shape=("N", None), finite=True)
    device = next(model.parameters()).device if device is None else torch.device(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.as_tensor(X, dtype=torch.float32, device=device))  # (N, C)
    finally:
        model.train(was_training)
    return out.cpu().numpy()


def fit_classifier(
    model: ExpressionMLP,
    X: Any,
    y: Any,
    *,
    seed: int,
    class_weight: Any = None,
    X_val: Any = None,
    y_val: Any = None,
    epochs: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int = 20,
    device=None,
) -> History:
    """Train ``model`` in place with Adam on a (class-weighted) cross-entropy.

    With validation data, training stops after ``patience`` epochs without a better
    validation balanced accuracy (ties: lower validation loss) and the best epoch's weights
    are restored; ``history.val_accuracy`` holds the balanced accuracy.

    Args:
        model: an :class:`ExpressionMLP` (any module mapping ``(B, G)`` to ``(B, C)``).
        X, y: ``(N, G)`` standardised expression and ``(N,)`` int labels in ``0 .. C-1``.
        seed: int >= 0 (batch order, dropout); build the model after :func:`set_seed`.
        class_weight: ``(C,)`` loss weight of each class (e.g.
            :func:`genolearn.nn.imbalance.class_weights`), or None for equal weights.
        X_val, y_val: validation data for early stopping, or None (run every epoch).
        epochs, batch_size, lr, weight_decay, patience: the usual (Adam's weight decay is L2).
        device: default :func:`default_device` (the model is moved there).
    """
    X = check_array(X, "train X", shape=("N", None), finite=True)
    x_t, y_t = _xy(X, y, "train", int(getattr(model, "n_genes", X.shape[1])))
    n_genes = x_t.shape[1]
    has_val = X_val is not None or y_val is not None
    if has_val and (X_val is None or y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    epochs, patience = check_int(epochs, "epochs", low=1), check_int(patience, "patience", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    generator = set_seed(seed)
    device = default_device() if device is None else torch.device(device)
    model.to(device)
    n_classes = model(x_t[:1].to(device)).shape[1]
    if int(y_t.max()) >= n_classes or int(y_t.min()) < 0:
        raise ValueError(f"train y must be in [0, {n_classes - 1}], but holds {int(y_t.max())}")
    weight = None
    if class_weight is not None:
        weight = check_array(class_weight, "class_weight", shape=(n_classes,), finite=True)
        weight = torch.as_tensor(weight, dtype=torch.float32, device=device)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    val = _xy(X_val, y_val, "val", n_genes) if has_val else None
    history, best, best_state, waited = History(), (-1.0, np.inf), None, 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_t), generator=generator)
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = loss_fn(model(x_t[idx].to(device)), y_t[idx].to(device))  # (B, C) -> ()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history.train_loss.append(total / len(x_t))
        history.train_accuracy.append(float("nan"))
        if val is None:
            history.val_loss.append(float("nan"))
            history.val_accuracy.append(float("nan"))
            continue
        logits = torch.as_tensor(predict_logits(model, val[0].numpy()), device=device)
        val_loss = float(loss_fn(logits, val[1].to(device)))
        score = balanced_accuracy(val[1].numpy(), logits.argmax(1).cpu().numpy(), n_classes)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(score)
        if (score, -val_loss) > (best[0], -best[1]):
            best, waited, history.restored_epoch = (score, val_loss), 0, epoch
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                history.stopped_early = epoch + 1 < epochs
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def gene_attribution(model: nn.Module, X: Any, output: int, *, device=None) -> np.ndarray:
    """Gradient x input for one class logit: ``d z_output / d x[n, g] * x[n, g]``.

    On standardised input, ``x = 0`` is the average training cell, so the score says how
    much gene g's deviation from average moves the logit, to first order (Shrikumar et al.
    2016). Averaged over the cells of one class it ranks the genes the model uses for it.

    Args:
        model: maps ``(B, G)`` to ``(B, C)`` logits; used in eval mode.
        X: ``(N, G)`` standardised expression.
        output: which logit (class) to explain, ``0 .. C-1``.

    Returns:
        ``(N, G)`` float32.
    """
    X = check_array(X, "X", shape=("N", None), finite=True)
    output = check_int(output, "output", low=0)
    device = next(model.parameters()).device if device is None else torch.device(device)
    was_training = model.training
    model.eval()
    try:
        x = torch.as_tensor(X, dtype=torch.float32, device=device).requires_grad_(True)
        logits = model(x)  # (N, C)
        if output >= logits.shape[1]:
            raise ValueError(f"output={output} but the model has {logits.shape[1]} outputs")
        (grad,) = torch.autograd.grad(logits[:, output].sum(), x)  # (N, G)
    finally:
        model.train(was_training)
    return (grad * x).detach().cpu().numpy()


def marker_auroc(
    scores: Any, genes: Sequence[str], classes: Sequence[str], markers: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """How well per-class gene scores find the known markers: one AUROC per class.

    For class c, the genes are ranked by ``scores[c]``; the AUROC is the probability that a
    known marker of c outranks a gene that is not one (1.0: every marker above every other
    gene; 0.5: chance). Classes without markers in ``genes`` are left out.

    Args:
        scores: ``(C, G)`` a score per class and gene (e.g. mean attribution over the class).
        genes: the G gene names; classes: the C class names.
        markers: ``{class name: marker gene names}``; names not in ``genes`` are ignored.

    Returns:
        ``{class name: AUROC}`` in the order of ``classes``.
    """
    scores = check_array(scores, "scores", shape=(len(classes), len(genes)), finite=True)
    if not isinstance(markers, Mapping):
        raise TypeError(f"markers must be a dict {{class: genes}}, got {describe(markers)}")
    out = {}
    for c, name in enumerate(classes):
        mask = np.isin(np.asarray(genes), list(markers.get(name, ())))  # (G,)
        if mask.any() and not mask.all():
            out[name] = roc_auc(mask, scores[c])
    return out
