"""Checks for Chapter 6 — interpretation: in-silico mutagenesis of a max-PWM-score model."""

from __future__ import annotations

import numpy as np

from genolearn.deep.cnn import conv1d_numpy
from genolearn.deep.interpretation import pwm_ism_numpy
from genolearn.exercises.contract import Array, Choice, Contract, integers, normal, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["ISM_SCORES"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _encode(seq: str) -> np.ndarray:
    """``(4, L)`` float64 one-hot of an ``ACGT`` string."""
    return np.eye(4)[["ACGT".index(b) for b in seq]].T


_ISM = Contract(
    args=(
        ("x", Array((4, "L"), one_hot(0))),
        # real-valued PWMs, and small-integer ones whose window scores tie
        ("pwm", Choice((Array((4, "K"), normal(1.0)), Array((4, "K"), integers(-2, 3))))),
    ),
    dims={"L": (1, 16), "K": (1, "L")},
)

# --------------------------------------------------------------------------- ISM of a PWM


def _ism_reference(x, pwm):
    return pwm_ism_numpy(x[None], pwm)[0]


def _ism_cases(rng: np.random.Generator) -> list[Case]:
    tata = np.array([[0.0, 2, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [2, 0, 2, 0]]) - 0.5  # TATA
    cases = [
        Case((_encode("GGTATAGG"), tata), label="a perfect TATA site in GGTATAGG"),
        Case((_encode("TATA"), tata), label="K = L: one window"),
        Case((_encode("ACGTT"), np.array([[1.0], [-1.0], [0.5], [2.0]])), label="K = 1"),
        Case(
            (_encode("TATACCTATA"), tata),
            label="two equally good sites: breaking one leaves the other",
        ),
    ]
    return [*cases, *_ISM.draw(rng, 4)]


def _ism_generic(x, pwm, score, substitute):
    """Every substitution of every base, scored with ``score``; ``substitute`` edits a copy."""
    out = np.zeros(x.shape)
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] == 1:
                continue
            variant = substitute(x.copy(), base, pos)
            out[base, pos] = score(variant, pwm) - score(x, pwm)
    return out


def _window_scores(x, pwm):
    return conv1d_numpy(x[None], pwm[None])[0, 0]  # (W,)


def _replace(v, base, pos):
    v[:, pos] = 0.0
    v[base, pos] = 1.0
    return v


def _add(v, base, pos):
    v[base, pos] = 1.0
    return v


def _ism_no_subtraction(x, pwm):
    best = _window_scores(x, pwm).max()
    return np.where(x == 1, best, _ism_reference(x, pwm) + best)


def _ism_column_not_cleared(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).max(), _add)


def _ism_best_window_only(x, pwm):
    scores = _window_scores(x, pwm)
    start, k = int(np.argmax(scores)), pwm.shape[1]
    out = np.zeros(x.shape)
    observed = (x[:, start : start + k] * pwm).sum(axis=0)  # (K,)
    out[:, start : start + k] = pwm - observed
    return out


def _ism_sum_of_windows(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).sum(), _replace)


def _ism_sign_flipped(x, pwm):
    return -_ism_reference(x, pwm)


def _blank(v, base, pos):
    v[:, pos] = 0.0
    return v


def _ism_deletion(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).max(), _blank)


ISM_SCORES = register(
    Exercise(
        id="ch6.ism_scores",
        chapter=6,
        title="In-silico mutagenesis of a PWM",
        function="ism_scores",
        points=3,
        reference=_ism_reference,
        make_cases=_ism_cases,
        contract=_ISM,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "reference score not subtracted",
                "these are the mutated sequences' scores; ISM reports the change, "
                "score(mutant) - score(original), so the observed base gets 0.",
                _ism_no_subtraction,
            ),
            Mistake(
                "old base not cleared",
                "the new base was added without removing the old one (the column had two 1s): "
                "a substitution sets the whole column to the new base's one-hot vector.",
                _ism_column_not_cleared,
            ),
            Mistake(
                "only the best window rescored",
                "only the original best window was rescored. After a mutation another window "
                "can become the best (or the damaged site may have a twin): recompute the "
                "maximum over every window.",
                _ism_best_window_only,
            ),
            Mistake(
                "sum instead of max",
                "you used the sum of all window scores; the model's output is the best window's "
                "score (the maximum).",
                _ism_sum_of_windows,
            ),
            Mistake(
                "sign flipped",
                "the sign is flipped: a mutation that weakens the site must get a negative "
                "score (score(mutant) - score(original)).",
                _ism_sign_flipped,
            ),
            Mistake(
                "deletion instead of substitution",
                "every base at a position got the same value: the position was blanked (all "
                "zeros, like an N) instead of being set to each of the other bases in turn.",
                _ism_deletion,
            ),
        ),
    )
)
