"""Contracts as data: every exercise declares one, and its cases span it — precisions, seeds
given as ints and as Generators, optional arguments present and absent, the extremes where
naive numerics break — while answers are held to the precision of the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genolearn.exercises import all_exercises, check, get_exercise
from genolearn.exercises.contract import OMIT, Contract, case_itemsize
from genolearn.exercises.registry import Case

EXERCISES = all_exercises()
IDS = [e.id for e in EXERCISES]
SEEDS = range(12)


def _cases(exercise_id: str) -> list[Case]:
    ex = get_exercise(exercise_id)
    return [c for s in SEEDS for c in ex.make_cases(np.random.default_rng(s))]


def _map(value, fn):
    if isinstance(value, (tuple, list)):
        return type(value)(_map(v, fn) for v in value)
    return fn(value)


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_declares_a_contract_and_draws_every_precision(exercise_id):
    ex = get_exercise(exercise_id)
    assert isinstance(ex.contract, Contract)
    sizes = {case_itemsize(c) for c in _cases(exercise_id)}
    assert sizes >= {np.dtype(p).itemsize for p in ex.contract.precisions}


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_lower_precision_answer_fails(exercise_id):
    """A float32 answer to a float64 problem, a float16 one to a float32 problem."""
    ex = get_exercise(exercise_id)

    def lower(*args, **kwargs):
        half = min(case_itemsize(Case(args, kwargs)), 8) // 2
        cast = {4: np.float32, 2: np.float16}[half]

        def down(v):
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                return v.astype(cast)
            return cast(v) if isinstance(v, float) else v

        return _map(ex.reference(*args, **kwargs), down)

    report = check(exercise_id, lower)
    assert report.status == "failed", report.text()
    assert "lower precision" in report.problem or "integer" in report.problem


@pytest.mark.parametrize("exercise_id", ["ch1.sigmoid", "ch2.dense_forward", "ch4.sgd_step"])
def test_float32_digits_in_a_float64_array_fail(exercise_id):
    ex = get_exercise(exercise_id)

    def roundtrip(*args):
        return _map(
            ex.reference(*args),
            lambda v: v.astype(np.float32).astype(v.dtype) if isinstance(v, np.ndarray) else v,
        )

    assert check(exercise_id, roundtrip).status == "failed"


def test_seeds_are_drawn_as_ints_and_as_generators():
    for exercise_id in ("ch4.make_minibatches", "ch4.train_logistic_regression"):
        seeds = [c.args[-1] for c in _cases(exercise_id)]
        assert any(isinstance(s, np.random.Generator) for s in seeds)
        assert any(isinstance(s, int) for s in seeds)


def test_optional_arguments_are_drawn_present_and_absent():
    strides = [c.kwargs.get("stride", OMIT) for c in _cases("ch6.max_pool1d")]
    assert OMIT in strides and None in strides and any(isinstance(s, int) for s in strides)
    lrs = [len(c.args) == 4 or "lr" in c.kwargs for c in _cases("ch1.train_perceptron")]
    assert True in lrs and False in lrs
    eps = {c.args[8] for c in _cases("ch4.adam_step")}
    assert 1e-8 in eps and len(eps) > 3
    assert any(c.args[0].shape[1] != 4 for c in _cases("ch6.conv1d"))


def test_cases_reach_the_extremes_where_naive_numerics_break():
    z = [np.abs(c.args[0]).max() for c in _cases("ch1.sigmoid") if np.size(c.args[0])]
    assert max(z) > 709  # exp overflows in float64
    z32 = [np.abs(c.args[0]).max() for c in _cases("ch1.sigmoid") if case_itemsize(c) == 4]
    assert max(z32) > 88  # ... and in float32
    gaps = []
    for c in _cases("ch4.cross_entropy_loss_and_grad"):
        rows = c.args[0].max(axis=1)
        gaps.append(rows.max() - rows.min())
    assert max(gaps) > 500  # row maxima far below the global one
    tiny = [np.abs(c.args[0]).min() for c in _cases("ch3.relative_error")]
    assert min(tiny) < 1e-12  # the floor of the denominator matters
    blocked = [
        c.args[3] is not None and not np.all(c.args[3])
        for c in _cases("ch8.attention")
        if np.abs(c.args[0]).max() > 100
    ]
    assert any(blocked)  # masks over scores large enough to tell -inf from -1e4


def test_exercise_modules_are_about_one_page():
    folder = Path(get_exercise("ch1.sigmoid").make_cases.__code__.co_filename).parent
    for path in folder.glob("ch0*_*.py"):
        assert len(path.read_text().splitlines()) <= 320, path.name
