"""Checks for Chapter 5 — the PWM baseline: a position weight matrix from known sites, its best
window score in each sequence, and the threshold that makes it a classifier."""

from __future__ import annotations

import numpy as np

from genolearn.dna.baselines import best_pwm_score, best_threshold, pwm_from_sites
from genolearn.exercises.contract import Array, Choice, Contract, Number, integers, normal, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["BEST_PWM_SCORE", "BEST_THRESHOLD", "PWM_FROM_SITES"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _encode(*seqs: str) -> np.ndarray:
    """``(N, 4, L)`` float64 one-hot of ``ACGT`` strings of one length."""
    return np.stack([np.eye(4)[["ACGT".index(b) for b in s]].T for s in seqs])


# --------------------------------------------------------------------------- pwm_from_sites

_SITES = Contract(
    args=(
        ("sites", Array(("N", 4, "K"), one_hot(1))),
        ("pseudocount", Number(0.05, 5.0, log=True)),
    ),
    dims={"N": (1, 12), "K": (1, 10)},
)


def _sites_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_encode("AC", "AG", "AT", "AA"), 1.0), label="4 sites AC AG AT AA, pseudocount 1"),
        Case((_encode("TATAAT"), 0.5), label="one site: every unseen base gets the pseudocount"),
        Case((_encode("GGG", "GGG", "CCC"), 0.01), label="a tiny pseudocount: large negatives"),
        Case((_encode("ACGT", "ACGA").astype(np.float32), 2.0), label="float32 sites"),
        *_SITES.draw(rng, 4),
    ]


def _sites_probabilities(sites, pseudocount):
    counts = sites.sum(axis=0)
    return (counts + pseudocount) / (len(sites) + 4 * pseudocount)


def _sites_natural_log(sites, pseudocount):
    return np.log(_sites_probabilities(sites, pseudocount) / 0.25)


def _sites_no_background(sites, pseudocount):
    return np.log2(_sites_probabilities(sites, pseudocount))


def _sites_pseudocount_not_in_total(sites, pseudocount):
    return np.log2((sites.sum(axis=0) + pseudocount) / len(sites) / 0.25)


def _sites_no_pseudocount(sites, pseudocount):
    with np.errstate(divide="ignore"):
        return np.log2(sites.sum(axis=0) / len(sites) / 0.25)


def _sites_counts_over_bases(sites, pseudocount):
    counts = sites.sum(axis=0)
    return np.log2(
        (counts + pseudocount) / (counts.sum(axis=1, keepdims=True) + 4 * pseudocount) / 0.25
    )


PWM_FROM_SITES = register(
    Exercise(
        id="ch5.pwm_from_sites",
        chapter=5,
        title="A PWM from known sites",
        function="pwm_from_sites",
        points=2,
        reference=pwm_from_sites,
        make_cases=_sites_cases,
        contract=_SITES,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "natural logarithm",
                "these are natural-log odds; a PWM in bits uses log2 (np.log2).",
                _sites_natural_log,
            ),
            Mistake(
                "background not divided out",
                "you returned log2 of the probabilities; the log-odds divide by the background "
                "probability 0.25 first: log2(p / 0.25).",
                _sites_no_background,
            ),
            Mistake(
                "pseudocounts missing from the total",
                "the pseudocount was added to each count but not to the total: with 4 bases "
                "the column total is N + 4 * pseudocount, so each column sums to 1 again.",
                _sites_pseudocount_not_in_total,
            ),
            Mistake(
                "no pseudocount",
                "an unseen base got log2(0) = -inf: add the pseudocount to every count.",
                _sites_no_pseudocount,
            ),
            Mistake(
                "normalised over positions",
                "you normalised each base's row over the positions; a PWM column (one position) "
                "is a distribution over the 4 bases: count over the sites, one column at a time.",
                _sites_counts_over_bases,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- best_pwm_score

_SCORE = Contract(
    args=(
        ("x", Array(("N", 4, "L"), one_hot(1))),
        ("pwm", Choice((Array((4, "K"), normal(1.0)), Array((4, "K"), integers(-2, 3))))),
    ),
    dims={"N": (1, 5), "L": (1, 16), "K": (1, "L")},
)


_TATA = np.array([[0.0, 2, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [2, 0, 2, 0]]) - 0.5  # TATA


def _score_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_encode("GGTATAGG", "GGGGGGGG"), _TATA), label="a TATA site, and none"),
        Case((_encode("TATA"), _TATA), label="K = L: one window"),
        Case((_encode("CCCCCTATA"), _TATA), label="the site is the last window"),
        Case((_encode("ACGTT", "TTTTT"), np.array([[1.0], [-1.0], [0.5], [2.0]])), label="K = 1"),
        Case((_encode("CCCCCC"), -np.ones((4, 3))), label="all scores negative"),
        *_SCORE.draw(rng, 4),
    ]


def _all_scores(x, pwm):
    win = np.lib.stride_tricks.sliding_window_view(x, pwm.shape[1], axis=2)  # (N, 4, W, K)
    return np.einsum("nawk,ak->nw", win, pwm)  # (N, W)


BEST_PWM_SCORE = register(
    Exercise(
        id="ch5.best_pwm_score",
        chapter=5,
        title="The best site in each sequence",
        function="best_pwm_score",
        points=2,
        reference=best_pwm_score,
        make_cases=_score_cases,
        contract=_SCORE,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "last window missing",
                "the last window was never scored: window starts run 0 .. L - K, so there are "
                "L - K + 1 of them.",
                lambda x, pwm: _all_scores(x, pwm)[:, :-1].max(axis=1, initial=-np.inf),
            ),
            Mistake(
                "sum over windows",
                "you added the scores of all windows; the scanner reports the best window "
                "(the maximum), wherever it is.",
                lambda x, pwm: _all_scores(x, pwm).sum(axis=1),
            ),
            Mistake(
                "all window scores returned",
                "you returned every window's score (N, L - K + 1); return only the best one "
                "per sequence, (N,).",
                _all_scores,
            ),
            Mistake(
                "PWM read backwards",
                "the PWM was read from its last column to its first; window position k meets "
                "column k.",
                lambda x, pwm: _all_scores(x, pwm[:, ::-1]).max(axis=1),
            ),
            Mistake(
                "start position returned",
                "you returned where the best window starts (argmax); return its score (max).",
                lambda x, pwm: _all_scores(x, pwm).argmax(axis=1).astype(float),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- best_threshold


def _scores_with_ties(rng, shape, dims):
    return np.round(rng.normal(size=shape), 1)  # one decimal: ties are common


_THRESHOLD = Contract(
    args=(
        ("scores", Choice((Array(("N",), normal(2.0)), Array(("N",), _scores_with_ties)))),
        ("y", Array(("N",), integers(0, 2), kind="int")),
    ),
    dims={"N": (1, 20)},
    rtol=0.0,
    atol=0.0,
    rtol32=0.0,
    atol32=0.0,
)


def _threshold_reference(scores, y):
    # a 0-d array (not a scalar): the generic checks can then poison it or add an axis
    return np.asarray(best_threshold(scores, y), dtype=np.asarray(scores).dtype)


def _threshold_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            (np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])), label="a tie: 0.35 and 0.8"
        ),
        Case(
            (np.array([0.8, 0.1, 0.4, 0.35]), np.array([1, 0, 0, 1])),
            label="a tie listed largest first: 0.8, then 0.35",
        ),
        Case((np.array([1.0, 2.0]), np.array([1, 0])), label="labels against the scores"),
        Case((np.array([3.0, 3.0, 5.0]), np.array([0, 0, 1])), label="repeated scores"),
        Case((np.array([0.5, -1.0, 2.0]), np.array([1, 1, 1])), label="every label 1"),
        Case((np.array([0.2, 0.9, 0.7, 0.1]), np.array([0, 0, 0, 0])), label="every label 0"),
        Case((np.array([-2.0, -1.0, 4.0, 6.0]), np.array([0, 1, 1, 1])), label="perfect cut at -1"),
        *_THRESHOLD.draw(rng, 4),
    ]


def _accuracies(scores, y):
    cuts = np.unique(scores)
    return cuts, np.array([np.mean((scores >= t) == (y == 1)) for t in cuts])


def _threshold_largest_tie(scores, y):
    cuts, acc = _accuracies(scores, y)
    return cuts[np.flatnonzero(acc == acc.max())[-1]]


def _threshold_greater(scores, y):
    cuts = np.unique(scores)
    acc = np.array([np.mean((scores > t) == (y == 1)) for t in cuts])
    return cuts[np.argmax(acc)]


def _threshold_midpoint(scores, y):
    cuts, acc = _accuracies(scores, y)
    i = int(np.argmax(acc))
    return cuts[i] if i == 0 else (cuts[i - 1] + cuts[i]) / 2


def _threshold_positive_mean(scores, y):
    return scores[y == 1].mean() if np.any(y == 1) else scores.max()


BEST_THRESHOLD = register(
    Exercise(
        id="ch5.best_threshold",
        chapter=5,
        title="The most accurate threshold",
        function="best_threshold",
        points=2,
        reference=_threshold_reference,
        make_cases=_threshold_cases,
        contract=_THRESHOLD,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "largest of the tied cuts",
                "among equally accurate cuts you kept the largest; the exercise asks for the "
                "smallest (the first best one in sorted order).",
                _threshold_largest_tie,
            ),
            Mistake(
                "strict inequality",
                "you called scores > t positive; the rule is scores >= t, so the sequence whose "
                "score is the threshold itself is called positive.",
                _threshold_greater,
            ),
            Mistake(
                "midpoint between scores",
                "you returned a midpoint between two scores; the threshold must be one of the "
                "scores.",
                _threshold_midpoint,
            ),
            Mistake(
                "mean of the positives",
                "you used the positives' mean score; try every score as a cut and keep the "
                "most accurate one.",
                _threshold_positive_mean,
            ),
        ),
    )
)
