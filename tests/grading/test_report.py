"""The class report: pass rates, misconception counts, score histogram."""

from __future__ import annotations

import pytest

from genolearn.exercises import all_exercises
from genolearn.grading.report import class_summary, write_report
from tests.grading.classroom import make_record as record

pytestmark = pytest.mark.grading

EXERCISES = all_exercises(1)


def with_diagnosis(rec, exercise_id, diagnosis):
    for entry in rec["exercises"]:
        if entry["id"] == exercise_id:
            entry.update(status="failed", diagnosis=diagnosis, reason="")
    return rec


def klass():
    ids = [ex.id for ex in EXERCISES]
    return [
        record("amy", passed=ids),
        with_diagnosis(record("bob", passed=ids[1:]), "ch1.neuron_forward", "missing bias"),
        with_diagnosis(record("cid", passed=ids[2:]), "ch1.neuron_forward", "missing bias"),
        with_diagnosis(record("dan"), "ch1.neuron_forward", "no activation <b>"),
    ]


def test_class_summary_counts():
    summaries, totals, maximum = class_summary(klass(), EXERCISES)
    forward, sigmoid = summaries[0], summaries[1]
    assert (forward.students, forward.passed, forward.pass_rate) == (4, 1, 0.25)
    assert forward.misconceptions == [("missing bias", 2), ("no activation <b>", 1)]
    assert forward.statuses == {"passed": 1, "failed": 3}
    assert (sigmoid.passed, sigmoid.misconceptions) == (2, [])
    assert totals == [10.0, 8.0, 6.0, 0.0] and maximum == 10.0


def test_write_report(tmp_path):
    png, page = write_report(klass(), EXERCISES, tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = page.read_text()
    assert '<img src="report.png"' in html and "4 students; mean total 6.00 of 10" in html
    assert "25% (1/4)" in html and "missing bias (2)" in html
    assert "no activation &lt;b&gt; (1)" in html and "<b>" not in html  # escaped
    assert "amy" not in html  # aggregate only
    first = png.read_bytes()
    write_report(klass(), EXERCISES, tmp_path)
    assert png.read_bytes() == first  # reproducible, no timestamps


def test_empty_class(tmp_path):
    png, page = write_report([], EXERCISES, tmp_path)
    assert png.exists() and "0 students" in page.read_text()
