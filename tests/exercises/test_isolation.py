"""Exercises graded in isolation: a function that calls another exercise's function is run with
the reference dependency in its place — in the notebook's ``check`` and in the grader's
sandbox — so a mistake costs points once, and the feedback says what was substituted."""

from __future__ import annotations

import textwrap

import nbformat
import numpy as np
from nbformat import v4

from genolearn.exercises import all_exercises, check, evaluate, get_exercise
from genolearn.grading import Limits, run_submission
from genolearn.grading.results import Call

WRONG_BATCHES = """
import numpy as np

def make_minibatches(X, y, batch_size, seed):
    # wrong: no shuffling
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]
"""
RIGHT_TRAIN = """
def train_logistic_regression(X, y, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in make_minibatches(X, y, batch_size, rng):
            z = xb @ w + b
            total += np.sum(np.maximum(z, 0) - z * yb + np.log1p(np.exp(-np.abs(z))))
            dz = (0.5 * (1 + np.tanh(z / 2)) - yb) / len(yb)
            w, b = w - lr * xb.T @ dz, b - lr * dz.sum()
        losses.append(total / len(X))
    return w, b, np.array(losses)
"""


def _notebook_namespace() -> dict:
    ns: dict = {"__name__": "__main__"}
    exec(WRONG_BATCHES + RIGHT_TRAIN, ns)
    return ns


def test_every_dependency_names_a_registered_exercise_of_the_same_chapter():
    for ex in all_exercises():
        for dep in ex.depends:
            assert get_exercise(dep).chapter == ex.chapter, (ex.id, dep)
    assert get_exercise("ch4.train_logistic_regression").depends == ("ch4.make_minibatches",)


def test_a_mistake_in_the_dependency_costs_points_once_in_check():
    ns = _notebook_namespace()
    assert check("ch4.make_minibatches", ns["make_minibatches"]).status == "failed"
    report = check("ch4.train_logistic_regression", ns["train_logistic_regression"])
    assert report.passed, report.text()
    assert "make_minibatches (ch4.make_minibatches)" in report.note
    assert "note:" in report.text() and "in place of yours" in report.text()


def test_check_restores_the_learners_globals():
    ns = _notebook_namespace()
    mine = ns["make_minibatches"]
    check("ch4.train_logistic_regression", ns["train_logistic_regression"])
    assert ns["make_minibatches"] is mine
    ns.pop("make_minibatches")  # a name the notebook never defined is not left behind
    check("ch4.train_logistic_regression", ns["train_logistic_regression"])
    assert "make_minibatches" not in ns


def test_a_mistake_in_the_function_itself_still_fails_and_says_what_was_substituted():
    ns = _notebook_namespace()
    exec(RIGHT_TRAIN.replace("w - lr *", "w + lr *"), ns)  # gradient ascent on w
    report = check("ch4.train_logistic_regression", ns["train_logistic_regression"])
    assert report.status == "failed" and "in place of yours" in report.text()


def test_the_sigmoid_derivative_may_call_a_broken_sigmoid():
    ns: dict = {"np": np}
    exec("def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n", ns)  # wrong sign
    exec("def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n", ns)
    assert not check("ch1.sigmoid", ns["sigmoid"]).passed
    report = check("ch1.sigmoid_derivative", ns["sigmoid_derivative"])
    assert report.passed, report.text()


def test_the_grader_substitutes_the_reference_in_the_sandbox(tmp_path):
    nb = v4.new_notebook(cells=[v4.new_code_cell(textwrap.dedent(WRONG_BATCHES + RIGHT_TRAIN))])
    path = tmp_path / "training.ipynb"
    nbformat.write(nb, path)
    exercises = [
        get_exercise("ch4.make_minibatches"),
        get_exercise("ch4.train_logistic_regression"),
    ]
    cases = [ex.make_cases(np.random.default_rng(7)) for ex in exercises]
    assert any(  # the hidden cases carry seeds as Generators across the process boundary
        isinstance(a, np.random.Generator) for c in cases[1] for a in c.args
    )
    calls = [Call.from_exercise(ex, c) for ex, c in zip(exercises, cases, strict=True)]
    assert calls[1].substitute == (
        ("make_minibatches", "genolearn.exercises.ch04_train:make_minibatches"),
    )
    result = run_submission(path, calls, limits=Limits(submission_timeout_s=120))
    reports = [
        evaluate(ex, c, [r.to_outcome() for r in call.cases])
        for ex, c, call in zip(exercises, cases, result.calls, strict=True)
    ]
    assert reports[0].status == "failed", reports[0].text()
    assert reports[1].passed, reports[1].text()
    assert result.calls[1].status == "ok", result.calls[1]  # the reference is not "forbidden"
    assert not any("mutated" in n for n in result.calls[1].notes)
