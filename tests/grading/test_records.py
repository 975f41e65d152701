"""Records: validation on arrival, atomic writes, recovery after a kill."""

from __future__ import annotations

import json
import os

import pytest

from genolearn.exercises import all_exercises
from genolearn.grading import records as records_module
from genolearn.grading.records import (
    RecordError,
    dump_record,
    load_records,
    parse_record,
    remove_temporary_files,
    write_atomic,
)
from tests.grading.classroom import make_record as record

pytestmark = pytest.mark.grading

EXERCISES = all_exercises(1)


def test_a_record_round_trips_and_is_canonical():
    rec = record(passed=["ch1.sigmoid"])
    text = dump_record(rec)
    assert parse_record(text) == rec
    assert dump_record(json.loads(text)) == text  # same record, same bytes
    assert text.isascii() and "NaN" not in text


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(score=99.0), "score is not the sum"),
        (lambda r: r["exercises"][0].update(score=5.0), "over the maximum"),
        (lambda r: r.update(status="excellent"), "malformed at status"),
        (lambda r: r.update(student="../etc"), "malformed at student"),
        (lambda r: r.update(extra=1), "Additional properties"),
        (lambda r: r["exercises"][0].pop("hint"), "'hint' is a required property"),
        (lambda r: r.update(submission_sha256="x"), "malformed at submission_sha256"),
    ],
)
def test_malformed_records_are_rejected(change, message):
    rec = record()
    change(rec)
    with pytest.raises(RecordError, match=message):
        parse_record(json.dumps(rec))


def test_records_are_checked_against_what_was_asked():
    text = dump_record(record())
    with pytest.raises(RecordError, match="not valid JSON"):
        parse_record(text[:-10])
    with pytest.raises(RecordError, match="may not contain NaN"):
        parse_record(text.replace('"score": 0.0', '"score": NaN', 1))
    with pytest.raises(RecordError, match="must arrive as JSON text"):
        parse_record(record())
    with pytest.raises(RecordError, match="student is 'alice', but 'bob' was expected"):
        parse_record(text, expect={"student": "bob"})
    with pytest.raises(RecordError, match="exercises is"):
        parse_record(text, expect={"exercises": [("ch1.sigmoid", 2)]})
    expect = {"student": "alice", "exercises": [(ex.id, ex.points) for ex in EXERCISES]}
    assert parse_record(text, expect=expect)["student"] == "alice"


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "alice.json"
    write_atomic(path, "old")
    assert path.read_text() == "old"

    def crash(src, dst):
        raise OSError("disk unplugged")

    monkeypatch.setattr(records_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk unplugged"):
        write_atomic(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["alice.json"]
    monkeypatch.undo()
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["alice.json"]


def test_temporary_files_of_a_killed_writer_are_removed_and_bad_records_skipped(tmp_path):
    (tmp_path / ".alice.json.x1y2.tmp").write_text('{"half": ')
    (tmp_path / "alice.json").write_text(dump_record(record("alice")))
    (tmp_path / "bob.json").write_text(dump_record(record("alice")))  # someone else's
    (tmp_path / "carol.json").write_text("{")
    assert remove_temporary_files(tmp_path) == 1
    records, problems = load_records(tmp_path)
    assert list(records) == ["alice"]
    assert [p.split(":")[0] for p in problems] == ["bob.json", "carol.json"]
    assert "holds the record of 'alice'" in problems[0]
