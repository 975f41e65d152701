"""Checks for Chapter 9 — the capstone: class weights and recall for imbalanced cell types."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Contract, Number, labels
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.imbalance import class_weights, per_class_recall

__all__ = ["CLASS_WEIGHTS", "PER_CLASS_RECALL"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn")


def _ints(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# --------------------------------------------------------------------------- class weights

_WEIGHTS = Contract(
    args=(("y", Array(("N",), labels("C"), kind="int")), ("n_classes", Number(dim="C"))),
    dims={"C": (1, 8), "N": (1, 40)},
    precisions=(np.float64,),
)


def _weights_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_ints(0, 0, 0, 1), 2), label="3 cells of class 0, 1 of class 1"),
        Case((_ints(0, 2, 2, 0, 2, 2), 3), label="class 1 absent"),
        Case((_ints(1, 1, 1), 2), label="one class only (class 0 absent)"),
        Case((_ints(4), 5), label="one label, five classes"),
        Case((np.repeat(_ints(0, 1, 2, 3), [24, 8, 2, 6]), 4), label="24 / 8 / 2 / 6 cells"),
        *_WEIGHTS.draw(rng, 5),
    ]


def _counts(y, n_classes):
    return np.bincount(y, minlength=n_classes).astype(np.float64)


def _weights_inverse_count(y, n_classes):
    counts = _counts(y, n_classes)
    return np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)


def _weights_frequency(y, n_classes):
    return _counts(y, n_classes) / len(y)


def _weights_sum_to_one(y, n_classes):
    w = class_weights(y, n_classes)
    return w / w.sum()


def _weights_present_classes(y, n_classes):
    counts = _counts(y, n_classes)
    present = counts > 0
    return np.where(present, len(y) / (present.sum() * np.maximum(counts, 1)), 0.0)


def _weights_absent_divides(y, n_classes):
    with np.errstate(divide="ignore"):
        return len(y) / (n_classes * _counts(y, n_classes))


CLASS_WEIGHTS = register(
    Exercise(
        id="ch9.class_weights",
        chapter=9,
        title="Balanced class weights",
        function="class_weights",
        points=2,
        reference=class_weights,
        make_cases=_weights_cases,
        contract=_WEIGHTS,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "inverse counts",
                "these are 1 / n_c: right in proportion, but the loss's scale changed. Multiply "
                "by N / C so that every class weighs N / C in total (the cells average 1).",
                _weights_inverse_count,
            ),
            Mistake(
                "class frequencies",
                "these are the class frequencies n_c / N: large classes got the LARGE weights. "
                "A balanced weight is inversely proportional to the count: N / (C n_c).",
                _weights_frequency,
            ),
            Mistake(
                "normalised to sum 1",
                "the weights were divided by their sum. The balanced weights are N / (C n_c): "
                "every class then weighs N / C in total and the cells average weight 1.",
                _weights_sum_to_one,
            ),
            Mistake(
                "C counted from the labels",
                "C was taken as the number of classes present in y; use n_classes (an absent "
                "class still counts in N / (C n_c), and gets weight 0).",
                _weights_present_classes,
            ),
            Mistake(
                "absent class divided by zero",
                "a class absent from y got N / 0 = inf; give it weight 0 (it has no cells).",
                _weights_absent_divides,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- per-class recall

_RECALL = Contract(
    args=(
        ("y_true", Array(("N",), labels("C"), kind="int")),
        ("y_pred", Array(("N",), labels("C"), kind="int")),
        ("n_classes", Number(dim="C")),
    ),
    dims={"C": (1, 6), "N": (1, 30)},
    precisions=(np.float64,),
)


def _recall_cases(rng: np.random.Generator) -> list[Case]:
    majority = np.repeat(_ints(0, 1, 2), [18, 4, 2])
    return [
        Case((majority, np.zeros(24, np.int64), 3), label="always the majority class"),
        Case((majority, majority.copy(), 3), label="every cell right"),
        Case((_ints(0, 0, 1, 1, 2), _ints(0, 1, 1, 1, 0), 4), label="class 3 never occurs"),
        Case((_ints(0, 0, 0, 2), _ints(1, 0, 0, 2), 3), label="class 1 predicted, never true"),
        Case((_ints(1, 1, 1, 0), _ints(1, 0, 1, 0), 2), label="3 cells of class 1, one of 0"),
        *_RECALL.draw(rng, 5),
    ]


def _recall_parts(y_true, y_pred, n_classes):
    support = np.bincount(y_true, minlength=n_classes).astype(np.float64)
    hits = np.bincount(y_true[y_true == y_pred], minlength=n_classes).astype(np.float64)
    return hits, support


def _recall_plain_accuracy(y_true, y_pred, n_classes):
    return np.full(n_classes, np.mean(y_true == y_pred))


def _recall_absent_as_zero(y_true, y_pred, n_classes):
    hits, support = _recall_parts(y_true, y_pred, n_classes)
    return hits / np.maximum(support, 1)


def _recall_precision(y_true, y_pred, n_classes):
    return per_class_recall(y_pred, y_true, n_classes)


def _recall_share_of_all(y_true, y_pred, n_classes):
    hits, support = _recall_parts(y_true, y_pred, n_classes)
    return np.where(support > 0, hits / len(y_true), np.nan)


def _recall_counts(y_true, y_pred, n_classes):
    hits, support = _recall_parts(y_true, y_pred, n_classes)
    return np.where(support > 0, hits, np.nan)


PER_CLASS_RECALL = register(
    Exercise(
        id="ch9.per_class_recall",
        chapter=9,
        title="Recall of every class",
        function="per_class_recall",
        points=2,
        reference=per_class_recall,
        make_cases=_recall_cases,
        contract=_RECALL,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "plain accuracy",
                "every class got the overall accuracy, which large classes dominate. Recall "
                "of class c: the share of the cells that ARE c which were predicted as c.",
                _recall_plain_accuracy,
            ),
            Mistake(
                "absent classes as 0",
                "a class with no cell in y_true got recall 0; its recall is undefined (nan), "
                "so that a mean with np.nanmean leaves it out.",
                _recall_absent_as_zero,
            ),
            Mistake(
                "precision instead of recall",
                "you computed precision (the share of cells PREDICTED as c that are c); recall "
                "divides by the number of cells that ARE c.",
                _recall_precision,
            ),
            Mistake(
                "divided by all cells",
                "the hits of class c were divided by all N cells; divide by the cells of class c.",
                _recall_share_of_all,
            ),
            Mistake(
                "counts, not shares",
                "these are counts of correctly predicted cells; divide each by its class's size.",
                _recall_counts,
            ),
        ),
    )
)
