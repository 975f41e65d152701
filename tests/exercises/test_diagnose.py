"""Hints only when sure: a misconception is named only when exactly one catalogued mutant
reproduces the answer on every case; tuple answers name their wrong part; structural hints
(ratio, offset, sign) only where they are certain; a warning alone fails only where the
exercise's text asks for warning-free code."""

from __future__ import annotations

import dataclasses

import numpy as np

from genolearn.exercises import Mistake, check, get_exercise
from genolearn.exercises.check import evaluate, run_case
from genolearn.exercises.compare import Mismatch
from genolearn.exercises.diagnose import generic_hint
from tests.exercises.conftest import assert_fails, assert_passes


def test_an_answer_that_coincides_with_a_mutant_on_one_case_is_not_named():
    # zeros equal "no activation" where z = 0 (the first case), but nowhere else
    report = assert_fails("ch1.neuron_forward", lambda x, w, b: np.zeros(len(x)))
    assert report.diagnosis == "" and "input:" in report.text() and "got:" in report.text()


def test_a_sign_error_in_the_sigmoid_is_not_called_a_subtracted_bias():
    report = assert_fails("ch1.neuron_forward", lambda x, w, b: 1 / (1 + np.exp(x @ w + b)))
    assert report.diagnosis == ""


def test_two_mutants_that_agree_on_every_case_name_neither():
    ex = get_exercise("ch3.relu_backward")
    twin = Mistake("twin", "the same as 'gradient passed everywhere'", lambda z, g: g + 0.0)
    doubled = dataclasses.replace(ex, mistakes=(*ex.mistakes, twin))
    cases = ex.make_cases(np.random.default_rng(0))
    answer = next(m for m in ex.mistakes if m.name == "gradient passed everywhere")
    outcomes = [run_case(answer.implementation, c) for c in cases]
    assert evaluate(ex, cases, outcomes).diagnosis == "gradient passed everywhere"
    assert evaluate(doubled, cases, outcomes).diagnosis == ""


def test_tuple_answers_name_the_wrong_part():
    ex = get_exercise("ch3.dense_backward")

    def wrong_db(x, W, g):
        dx, dW, db = ex.reference(x, W, g)
        return dx, dW, db + 1.0

    def wrong_dw(x, W, g):
        dx, dW, db = ex.reference(x, W, g)
        return dx, dW * 1.5 + 0.1, db

    assert assert_fails("ch3.dense_backward", wrong_db).problem.startswith("db differs")
    assert assert_fails("ch3.dense_backward", wrong_dw).problem.startswith("dW differs")
    report = assert_fails(
        "ch4.adam_step", lambda *a: get_exercise("ch4.adam_step").reference(*a)[::-1]
    )
    assert report.problem.startswith(("param differs", "v differs"))


def test_no_ratio_hint_for_a_single_number_or_a_ratio_of_one():
    value = Mismatch("value", "", max_error=1.0)
    assert generic_hint(np.array(2.0), np.array(4.0), value) == ""
    assert generic_hint(2.0, 4.0, value) == ""
    e = np.array([1.0, 2.0, 3.0])
    assert "times 2" in generic_hint(e, 2 * e, value)
    assert generic_hint(e, e * (1 + 1e-9) + np.array([0, 0, 1e-3]), value) == ""
    # the ratio is undefined where the expected value is 0: no factor is claimed
    assert "times" not in generic_hint(np.array([0.0, 1.0, 2.0]), np.array([5.0, 2.0, 4.0]), value)


def test_ratio_hint_needs_nonzero_expected_values_and_one_constant_ratio():
    report = assert_fails("ch1.sigmoid", lambda z: 2 * get_exercise("ch1.sigmoid").reference(z))
    assert "times 2" in report.hint
    relu = get_exercise("ch3.relu_backward").reference
    report = assert_fails("ch3.relu_backward", lambda z, g: 3 * relu(z, g) + (z == 0) * 1.0)
    assert "times" not in report.hint


def test_hint_is_about_the_part_that_differs():
    def wrong(X, y, lr, epochs, batch_size, seed):
        w, b, losses = get_exercise("ch4.train_logistic_regression").reference(
            X, y, lr, epochs, batch_size, seed
        )
        return w, b, 2 * losses

    report = assert_fails("ch4.train_logistic_regression", wrong)
    assert report.problem.startswith("losses differs") and "times 2" in report.hint


def test_a_correct_formula_that_warns_is_not_rejected_for_the_warning():
    def via_cosh(z):
        return 0.25 / np.cosh(np.asarray(z) / 2) ** 2  # cosh overflows for |z| > 1420 -> 0

    with np.errstate(all="warn"):
        assert_passes("ch1.sigmoid_derivative", via_cosh)


def test_where_the_text_asks_for_warning_free_code_a_warning_fails():
    def naive_but_right(z):
        z = np.asarray(z)
        with np.errstate(over="warn"):
            return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    report = check("ch1.sigmoid", naive_but_right)
    assert report.status == "failed" and report.diagnosis == "numerical warning"
