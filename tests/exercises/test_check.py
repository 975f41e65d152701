"""The check machinery, and answers that must fail for EVERY registered exercise."""

from __future__ import annotations

import numpy as np
import pytest

from genolearn.exercises import all_exercises, check, get_exercise
from genolearn.exercises.check import expected_outputs

EXERCISES = all_exercises()
IDS = [e.id for e in EXERCISES]


class AlwaysEqual:
    """An answer whose ``__eq__`` claims to equal anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def _map_arrays(value, fn):
    if isinstance(value, tuple):
        return tuple(_map_arrays(v, fn) for v in value)
    return fn(value)


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_with_several_seeds(exercise_id):
    ex = get_exercise(exercise_id)
    for seed in range(5):
        assert check(exercise_id, ex.reference, seed=seed).passed


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_catalogued_mistake_is_caught_and_named(exercise_id):
    ex = get_exercise(exercise_id)
    assert len(ex.mistakes) >= 4, "each exercise needs at least 4 catalogued mutants"
    for mistake in ex.mistakes:
        report = check(exercise_id, mistake.implementation)
        assert report.status == "failed", f"{mistake.name} passed:\n{report.text()}"
        assert report.diagnosis == mistake.name, f"{mistake.name}:\n{report.text()}"
        assert mistake.message in report.text()


@pytest.mark.parametrize("exercise_id", IDS)
def test_always_equal_object_fails(exercise_id):
    report = check(exercise_id, lambda *a, **k: AlwaysEqual())
    assert report.status == "failed"
    assert "AlwaysEqual" in report.problem


@pytest.mark.parametrize("exercise_id", IDS)
def test_nan_and_inf_answers_fail(exercise_id):
    ex = get_exercise(exercise_id)

    def poison(value, bad):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out = value.copy()
            out.flat[-1] = bad
            return out
        if isinstance(value, float):
            return bad
        return value

    for bad in (np.nan, np.inf):
        report = check(
            exercise_id,
            lambda *a, bad=bad, **k: _map_arrays(ex.reference(*a, **k), lambda v: poison(v, bad)),
        )
        assert report.status == "failed", report.text()
        assert "nan" in report.problem or "inf" in report.problem, report.text()


@pytest.mark.parametrize("exercise_id", IDS)
def test_broadcastable_shape_fails(exercise_id):
    ex = get_exercise(exercise_id)

    def add_axis(v):
        return v[..., None] if isinstance(v, np.ndarray) else v

    report = check(exercise_id, lambda *a, **k: _map_arrays(ex.reference(*a, **k), add_axis))
    assert report.status == "failed"
    assert "shape" in report.problem


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_reports_not_implemented(exercise_id):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"{exercise_id}: write your code here")

    report = check(exercise_id, stub)
    assert report.status == "not implemented"
    assert "not implemented yet" in report.text()


@pytest.mark.parametrize("exercise_id", IDS)
def test_exception_in_student_code_becomes_feedback(exercise_id):
    def broken(*args, **kwargs):
        return args[0].nonexistent_attribute

    report = check(exercise_id, broken)
    assert report.status == "error"
    assert "AttributeError" in report.problem
    assert "line" in report.problem  # where in the learner's code


@pytest.mark.parametrize("exercise_id", IDS)
def test_mutating_the_input_fails(exercise_id):
    ex = get_exercise(exercise_id)

    def mutate(*args, **kwargs):
        out = ex.reference(*args, **kwargs)
        for a in args:
            if isinstance(a, np.ndarray) and a.dtype.kind in "fiu" and a.size:
                if a.dtype.kind == "f":
                    a *= 2.0
                else:
                    a += 1  # integer inputs (labels) too
                break
        return out

    report = check(exercise_id, mutate)
    assert report.status == "failed"
    assert report.diagnosis == "mutated input"


def test_cases_are_reproducible_and_seed_dependent():
    ex = get_exercise("ch1.sigmoid")
    a = ex.make_cases(np.random.default_rng(7))
    b = ex.make_cases(np.random.default_rng(7))
    c = ex.make_cases(np.random.default_rng(8))
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b, strict=True))
    assert not all(
        x.args[0].shape == y.args[0].shape and np.array_equal(x.args[0], y.args[0])
        for x, y in zip(a, c, strict=True)
    )


def test_expected_outputs_come_from_reference():
    ex = get_exercise("ch1.sigmoid")
    cases = ex.make_cases(np.random.default_rng(0))
    for case, exp in zip(cases, expected_outputs(ex, cases), strict=True):
        np.testing.assert_array_equal(exp, ex.reference(*case.args))


def test_unknown_exercise_id_lists_known_ones():
    with pytest.raises(KeyError, match=r"ch1\.sigmoid"):
        get_exercise("ch1.sigmoidd")


def test_check_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn must be your function 'sigmoid'"):
        check("ch1.sigmoid", 3.0)


def test_report_text_shows_input_expected_got_and_hint():
    report = check("ch1.sigmoid", lambda z: 1.0 / (1.0 + np.exp(np.clip(z, -500, 500))))
    text = report.text()
    for part in ("input:", "expected:", "got:", "problem:", "hint:", "sign of z is flipped"):
        assert part in text
    assert report.to_dict()["diagnosis"] == "sign flipped"


def test_every_exercise_has_unique_id_and_function_and_points():
    ids = [e.id for e in EXERCISES]
    assert len(ids) == len(set(ids))
    for e in EXERCISES:
        assert e.id.startswith(f"ch{e.chapter}.")
        assert e.function.isidentifier()
        assert e.points > 0
