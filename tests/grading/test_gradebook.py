"""The gradebook CSV, the students' feedback files, and the list of changed grades."""

from __future__ import annotations

import copy
import json

import pytest

from genolearn.exercises import all_exercises
from genolearn.grading.gradebook import (
    dump_feedback,
    feedback,
    grade_changes,
    gradebook_csv,
    write_outputs,
)
from tests.grading.classroom import make_record as record

pytestmark = pytest.mark.grading

IDS = [ex.id for ex in all_exercises(1)]


def test_gradebook_csv():
    rows = [
        record("zoe", passed=IDS),
        record("bob", passed=["ch1.sigmoid", "ch1.train_perceptron"], review=["ch1.sigmoid"]),
        record("amy"),
    ]
    text = gradebook_csv(rows, IDS, missing={"cid": "not graded"})
    assert text.splitlines() == [
        "student," + ",".join(IDS) + ",total,max,status,review",
        "amy,0,0,0,0,0,0,10,submission problem,",
        "bob,0,2,0,0,3,5,10,graded,forbidden: ch1.sigmoid",
        "cid,,,,,,,,not graded,grader error",
        "zoe,2,2,1,2,3,10,10,graded,",
    ]
    assert gradebook_csv(reversed(rows), IDS) == gradebook_csv(rows, IDS)


def test_feedback_is_for_the_student():
    rec = record(passed=["ch1.sigmoid"], review=["ch1.sigmoid"])
    data = feedback(rec)
    assert "secret_fingerprint" not in data and "checks_version" not in data
    assert list(data)[:5] == ["student", "chapter", "source", "submission_sha256", "status"]
    sigmoid, forward = data["exercises"][1], data["exercises"][0]
    assert sigmoid["text"].startswith("✔ ch1.sigmoid") and "review:" in sigmoid["text"]
    assert forward["text"].startswith("✘ ch1.neuron_forward") and "no submission" in forward["text"]
    assert len(forward["case_set"]) == 12
    text = dump_feedback(rec)
    assert "✔" in text and json.loads(text) == data
    odd = copy.deepcopy(rec)
    odd["exercises"][0]["got"] = "\ud800"  # a lone surrogate from a student's output
    assert "\\ud800" in dump_feedback(odd)


def test_grade_changes():
    old = {"amy": record("amy"), "bob": record("bob")}
    new = {"amy": record("amy", passed=["ch1.sigmoid"]), "bob": record("bob"), "cid": record("cid")}
    assert grade_changes(old, new) == [("amy", "ch1.sigmoid", 0.0, 2.0)]
    trimmed = copy.deepcopy(new["bob"])
    trimmed["exercises"] = trimmed["exercises"][:1]
    assert ("bob", "ch1.sigmoid", 0.0, None) in grade_changes(old, {"bob": trimmed})


def test_write_outputs_keeps_the_feedback_folder_in_step(tmp_path):
    (tmp_path / "feedback").mkdir()
    for name in ("gone.json", "gone.html", "gone.md"):  # a student no longer graded
        (tmp_path / "feedback" / name).write_text("{}")
    records = {"amy": record("amy"), "bob": record("bob")}
    write_outputs(tmp_path, records, ["amy", "bob", "cid"], IDS, {"cid": "not graded"})
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == [
        f"{s}.{x}" for s in ("amy", "bob") for x in ("html", "json", "md")
    ]
    assert (tmp_path / "gradebook.csv").read_text() == gradebook_csv(
        records.values(), IDS, missing={"cid": "not graded"}
    )
    assert json.loads((tmp_path / "feedback" / "amy.json").read_text()) == feedback(records["amy"])
