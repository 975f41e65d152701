"""The course gradebook laid out for Canvas and Moodle grade import."""

from __future__ import annotations

import csv
import io
import json

import pytest

from genolearn.grading import course as crs
from genolearn.grading.lms import canvas_csv, moodle_csv, read_class_list
from tests.grading.classroom import make_record

pytestmark = pytest.mark.grading


@pytest.fixture
def table(tmp_path):
    """Chapter 1 records for amy (5 points), bob (0) and a roster where cid was not graded."""
    folder = crs.records_dir(tmp_path, 1)
    folder.mkdir(parents=True)
    amy = make_record("amy", passed=["ch1.sigmoid", "ch1.train_perceptron"])
    for record in (amy, make_record("bob")):
        (folder / f"{record['student']}.json").write_text(json.dumps(record))
    crs.write_roster(tmp_path, 1, ["amy", "bob", "cid"], {"cid": "not graded"})
    table, problems = crs.course_table(tmp_path)
    assert not problems
    return table


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_canvas_layout_without_and_with_a_class_list(table, tmp_path):
    got = rows(canvas_csv(table))
    assert got == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "genolearn chapter 1"],
        ["Points Possible", "", "", "", "", "10"],
        ["amy", "", "", "amy", "", "5"],
        ["bob", "", "", "bob", "", "0"],
        ["cid", "", "", "cid", "", ""],  # not graded: no grade, the LMS keeps what it has
    ]
    path = tmp_path / "class.csv"
    path.write_text(
        "\ufeffstudent,name,canvas_id,sis_user_id,sis_login_id,section,email\n"
        'amy,"Smith, Amy",101,S1,asmith,A,amy@uni.edu\n'
    )
    people = read_class_list(path)
    assert rows(canvas_csv(table, people))[2] == ["Smith, Amy", "101", "S1", "asmith", "A", "5"]
    moodle = rows(moodle_csv(table, people))
    assert moodle[0] == ["Username", "Email address", "genolearn chapter 1"]
    assert moodle[1:] == [["amy", "amy@uni.edu", "5"], ["bob", "", "0"], ["cid", "", ""]]
    assert rows(moodle_csv(table)) == [
        ["Username", "genolearn chapter 1"],
        ["amy", "5"],
        ["bob", "0"],
        ["cid", ""],
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,email\nx,y\n", "must be a CSV whose header has a 'student' column"),
        ("student,phone\namy,1\n", "unknown column(s) ['phone']"),
        ("student\namy\namy\n", "line 3: student 'amy' twice"),
        ("student,name\n,Amy\n", "line 2: the student column is empty"),
    ],
)
def test_bad_class_lists_are_refused_naming_the_argument(tmp_path, text, message):
    path = tmp_path / "class.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match="--class-list: ") as err:
        read_class_list(path)
    assert message in str(err.value)
    with pytest.raises(FileNotFoundError, match="--class-list: no file at"):
        read_class_list(tmp_path / "none.csv")


def test_course_gradebook_columns(table):
    text = crs.course_csv(table)
    header, *body = rows(text)
    assert header[0] == "student" and header[-5:] == [
        "ch1 total",
        "ch1 status",
        "total",
        "max",
        "review",
    ]
    assert [r[0] for r in body] == ["amy", "bob", "cid"]
    assert body[0][-5:] == ["5", "graded", "5", "10", ""]
    assert body[2][-5:] == ["", "not graded", "0", "10", ""]
