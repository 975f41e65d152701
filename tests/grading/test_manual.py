"""Marks given by hand (projects' written parts): OUT/manual.csv, merged into the course
gradebook and the LMS files, kept across regrades."""

from __future__ import annotations

import csv
import io
import textwrap

from genolearn.grading import grade_class
from genolearn.grading.manual import read_manual, update_manual
from tests.grading.classroom import LIMITS, Student, build_class, lean_notebook

GOOD = textwrap.dedent(
    '''
    import numpy as np

    def promoter_features(seqs):
        """(N,) sequences -> (N, 3): both boxes within one mismatch, and GC."""
        def best(s, m):
            return min(sum(a != b for a, b in zip(s[i : i + 6], m)) for i in range(len(s) - 5))
        return np.array(
            [[best(s, "TATAAT") <= 1, best(s, "TTGACA") <= 1,
              (s.count("G") + s.count("C")) / len(s)] for s in seqs], dtype=float)
    '''
)
WEAK = (
    "import numpy as np\n"
    "def promoter_features(seqs):\n"
    "    return np.array([[s.count('TATAAT'), (s.count('G') + s.count('C')) / len(s)]"
    " for s in seqs])\n"
)


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_update_creates_extends_and_never_rewrites_the_instructors_cells(tmp_path):
    assert update_manual(tmp_path, ["bob", "alice"], []) == []
    assert not (tmp_path / "manual.csv").exists()  # no project: no file
    update_manual(tmp_path, ["bob", "alice"], ["ch1.project written"])
    path = tmp_path / "manual.csv"
    assert path.read_text() == "student,ch1.project written\nalice,\nbob,\n"
    path.write_text("student,ch1.project written,comment\nalice,2,late\nbob,,\n")
    before = path.read_bytes()
    assert update_manual(tmp_path, ["alice", "bob"], ["ch1.project written"]) == []
    assert path.read_bytes() == before  # nothing to add: untouched
    update_manual(
        tmp_path, ["alice", "bob", "carol"], ["ch1.project written", "ch4.project written"]
    )
    assert path.read_text() == (
        "student,ch1.project written,comment,ch4.project written\nalice,2,late,\nbob,,,\ncarol,,,\n"
    )
    path.write_text("name,mark\nalice,3\n")
    warnings = update_manual(tmp_path, ["alice"], ["ch1.project written"])
    assert "no 'student' column" in warnings[0] and path.read_text() == "name,mark\nalice,3\n"


def test_read_keeps_valid_marks_and_names_every_bad_cell(tmp_path):
    (tmp_path / "manual.csv").write_text(
        "student,ch1.project written\nalice,2.5\nbob,ten\ncarol,4\ndave,\n,1\n"
    )
    marks, problems = read_manual(tmp_path, {"ch1.project written": 3.0})
    assert marks == {"alice": {"ch1.project written": 2.5}}
    assert len(problems) == 3
    assert "line 3 ('bob'), column 'ch1.project written': got 'ten'" in problems[0]
    assert "got '4' but expected a number from 0 to 3" in problems[1]
    assert "no student" in problems[2]


def test_grading_a_project_then_marking_its_written_part_by_hand(tmp_path):
    subs = build_class(
        tmp_path / "ch1",
        [Student("alice", lean_notebook(GOOD)), Student("bob", lean_notebook(WEAK))],
    )
    out = tmp_path / "course"
    grade_class(subs, out, chapters=[1], secret=b"k", limits=LIMITS, workers=2)
    rows = {r["student"]: r for r in _rows((out / "gradebook.csv").read_text())}
    assert rows["alice"]["ch1.project"] == "3" and rows["bob"]["ch1.project"] == "0"
    assert rows["alice"]["ch1.project written"] == "" and rows["alice"]["max"] == "16"
    feedback = (out / "ch01" / "feedback" / "bob.md").read_text()
    assert "held-out accuracy" in feedback and "with 2 features" in feedback
    manual = out / "manual.csv"
    assert manual.read_text() == "student,ch1.project written\nalice,\nbob,\n"
    manual.write_text("student,ch1.project written\nalice,2.5\nbob,oops\n")
    run = grade_class(subs, out, chapters=[1], secret=b"k", limits=LIMITS, workers=2, regrade="all")
    assert any("'bob'" in w and "oops" in w for w in run.warnings)
    assert manual.read_text() == "student,ch1.project written\nalice,2.5\nbob,oops\n"
    rows = {r["student"]: r for r in _rows((out / "gradebook.csv").read_text())}
    assert rows["alice"]["ch1.project written"] == "2.5"
    assert rows["alice"]["ch1 total"] == "15.5" and rows["alice"]["total"] == "15.5"
    assert rows["bob"]["ch1.project written"] == "" and rows["bob"]["ch1 total"] == "10"
    canvas = list(csv.reader(io.StringIO((out / "canvas.csv").read_text())))
    assert canvas[1][-1] == "16" and canvas[2][-1] == "15.5"
    chapter = _rows((out / "ch01" / "gradebook.csv").read_text())
    assert chapter[0]["total"] == "13"  # the chapter's own gradebook: what the grader measured
