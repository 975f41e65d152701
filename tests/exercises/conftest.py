"""Shared assertions for check-vs-mutant tests of every chapter's exercises."""

from __future__ import annotations

import pytest

from genolearn.exercises import check


def assert_passes(exercise_id, fn, seeds=(0, 1, 2)):
    for seed in seeds:
        report = check(exercise_id, fn, seed=seed)
        assert report.passed, f"seed {seed}:\n{report.text()}"


def assert_fails(exercise_id, fn, *, diagnosis=None, status="failed", seed=0):
    report = check(exercise_id, fn, seed=seed)
    assert report.status == status, report.text()
    assert report.points == 0
    if diagnosis is not None:
        assert report.diagnosis == diagnosis, report.text()
    return report


@pytest.fixture
def passes():
    return assert_passes


@pytest.fixture
def fails():
    return assert_fails
