"""The independent corpus of issue 10 (``tests/exercises/adversarial/``) as tests of ``check``.

* every wrong answer is rejected, with the notebook's seed and two more;
* a rejected wrong answer names the misconception the corpus expects, and where the corpus
  expects none, ``check`` names no catalogued misconception (the generic explanation is right);
* every correct answer written differently from the reference is accepted, with every seed;
* the corpus itself is sound: every wrong answer is wrong on one of its witness inputs (inputs
  inside the exercise's contract) and every correct answer agrees with the reference on all
  of them, judged without ``check`` (:mod:`tests.exercises.adversarial.witness`).

Cases that fail with the checks as they were before issue 10 are marked
``xfail(strict=True)``: a fixed check makes its case XPASS, which fails the run until the mark
is removed from the sets below. ``benchmarks/false_accept.py`` prints the same measurement as
a table (``benchmarks/false_accept_before.txt``: the figure before issue 10).
"""

from __future__ import annotations

import warnings

import pytest

from genolearn.exercises import all_exercises, check, get_exercise
from tests.exercises.adversarial import CORRECT, WARNING_FREE, WITNESSES, WRONG
from tests.exercises.adversarial.witness import verdict

SEEDS = (0, 1, 2)

# Wrong answers accepted by the checks before issue 10 (with at least one of SEEDS).
ACCEPTED_TODAY: set[str] = set()

# Wrong answers whose report (seed 0) named another misconception than the corpus expects, or
# none where it expects one, before issue 10.
MISNAMED_TODAY: set[str] = set()

# Correct answers rejected before issue 10 (with at least one of SEEDS).
REJECTED_TODAY: set[str] = set()


def _marks(exercise_id: str, key: str, known: set[str], reason: str) -> list:
    marks = [getattr(pytest.mark, f"ch{int(exercise_id[2:].split('.')[0]):02d}")]
    if key in known:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return marks


def _wrong(known: set[str], reason: str) -> list:
    return [
        pytest.param(
            exercise_id,
            fn,
            note,
            expected,
            id=f"{exercise_id}-{fn.__name__}",
            marks=_marks(exercise_id, f"{exercise_id}-{fn.__name__}", known, reason),
        )
        for exercise_id, answers in WRONG.items()
        for fn, note, expected in answers
    ]


def _correct() -> list:
    return [
        pytest.param(
            exercise_id,
            fn,
            id=f"{exercise_id}-{fn.__name__}",
            marks=_marks(
                exercise_id,
                f"{exercise_id}-{fn.__name__}",
                REJECTED_TODAY,
                "issue 10: rejected today",
            ),
        )
        for exercise_id, answers in CORRECT.items()
        for fn in answers
    ]


def _check(exercise_id, fn, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wrong answers' own numpy warnings
        return check(exercise_id, fn, seed=seed)


@pytest.mark.parametrize(
    ("exercise_id", "fn", "note", "expected"), _wrong(ACCEPTED_TODAY, "issue 10: accepted today")
)
def test_wrong_answer_is_rejected(exercise_id, fn, note, expected):
    for seed in SEEDS:
        report = _check(exercise_id, fn, seed)
        assert not report.passed, f"{note}: accepted with seed {seed}"


@pytest.mark.parametrize(
    ("exercise_id", "fn", "note", "expected"),
    _wrong(MISNAMED_TODAY, "issue 10: names another misconception today"),
)
def test_wrong_answer_is_diagnosed_honestly(exercise_id, fn, note, expected):
    report = _check(exercise_id, fn, 0)
    if expected is not None:
        assert not report.passed and report.diagnosis == expected, (
            f"{note}: expected the diagnosis {expected!r}\n{report.text()}"
        )
    else:
        catalogued = {m.name for m in getattr(get_exercise(exercise_id), "mistakes", ())}
        assert report.diagnosis not in catalogued, (
            f"{note}: named the catalogued {report.diagnosis!r} for another mistake\n"
            f"{report.text()}"
        )


@pytest.mark.parametrize(("exercise_id", "fn"), _correct())
def test_correct_answer_is_accepted(exercise_id, fn):
    for seed in SEEDS:
        report = _check(exercise_id, fn, seed)
        assert report.passed, f"seed {seed}:\n{report.text()}"


def test_corpus_covers_every_exercise():
    ids = {e.id for e in all_exercises()}
    assert set(WRONG) == ids and set(CORRECT) == ids and set(WITNESSES) == ids
    for exercise_id in ids:
        assert len(WRONG[exercise_id]) >= 4, exercise_id
        assert len(CORRECT[exercise_id]) >= 2, exercise_id
        names = [fn.__name__ for fn, _, _ in WRONG[exercise_id]] + [
            fn.__name__ for fn in CORRECT[exercise_id]
        ]
        assert len(names) == len(set(names)), f"{exercise_id}: duplicate answer names"


@pytest.mark.parametrize(
    "exercise_id", [pytest.param(i, marks=_marks(i, "", set(), "")) for i in sorted(WRONG)]
)
def test_corpus_is_genuine(exercise_id):
    reference = get_exercise(exercise_id).reference
    free = exercise_id in WARNING_FREE
    for fn, note, _ in WRONG[exercise_id]:
        reasons = [
            verdict(reference, fn, args, warning_free=free) for args in WITNESSES[exercise_id]
        ]
        assert any(reasons), f"{fn.__name__} ({note}) agrees with the reference on every witness"
    for fn in CORRECT[exercise_id]:
        for args in WITNESSES[exercise_id]:
            reason = verdict(reference, fn, args, warning_free=free)
            assert not reason, f"{fn.__name__} is not correct: {reason}"
