"""An output folder is a course: chapters graded into one folder keep each other's results,
a notebook of another chapter is caught, the old single-chapter layout is migrated (or refused),
and a syntax error is reported as one, where the learner can find it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from genolearn.cli import EXIT_WRONG_CHAPTER, main
from genolearn.exercises import all_exercises, all_projects
from genolearn.grading import grade_class
from tests.grading.classroom import LIMITS, ROOT, lean_notebook, make_record

pytestmark = pytest.mark.grading

SECRET = b"course-secret"
SOURCES = {2: "02_layers/layers.ipynb", 4: "04_training/training.ipynb"}
STUB = re.compile(r"^([ \t]*)# BEGIN SOLUTION (\S+)\n.*?^[ \t]*# END SOLUTION[^\n]*", re.S | re.M)
POINTS = {ch: sum(ex.points for ex in all_exercises(ch, projects=True)) for ch in (2, 4)}
WRITTEN = {ch: sum(p.written_points for p in all_projects(ch)) for ch in (2, 4)}  # by hand


def lean(chapter: int, *, stubs: bool = False) -> nbformat.NotebookNode:
    """A chapter's exercise cells after ``import numpy as np``: its solutions (or, with
    ``stubs``, the ``raise NotImplementedError("chN.x: …")`` a released notebook holds)."""
    source = nbformat.read(ROOT / "chapters" / SOURCES[chapter], as_version=4)
    cells = [v4.new_code_cell("import numpy as np")]
    for cell in source.cells:
        if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
            code = STUB.sub(r'\1raise NotImplementedError("\2: your code")', cell.source)
            cells.append(v4.new_code_cell(code if stubs else cell.source))
    return v4.new_notebook(cells=cells)


def folder(path: Path, notebooks: dict[str, object]) -> Path:
    path.mkdir(parents=True)
    for name, nb in notebooks.items():
        if nb is None:
            (path / name).mkdir()  # an empty folder: a submission problem, no sandbox
        else:
            nbformat.write(nb, path / f"{name}.ipynb")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_grading_chapter_2_then_4_into_one_folder_keeps_chapter_2(tmp_path, capsys):
    out = tmp_path / "course"
    ch2 = folder(tmp_path / "ch2", {"amy": lean(2), "bob": lean(2, stubs=True), "cid": None})
    run = grade_class(ch2, out, chapters=[2], secret=SECRET, limits=LIMITS, workers=2)[2]
    assert run.graded == ["amy", "bob", "cid"] and not run.errors
    before = {k: v for k, v in snapshot(out).items() if k.startswith(("ch02/", "records/ch02/"))}
    assert {"ch02/gradebook.csv", "ch02/report.html", "ch02/feedback/amy.html"} <= set(before)

    ch4 = folder(tmp_path / "ch4", {"amy": lean(4), "dan": lean(4), "bob": lean(2)})
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    argv = ["grade", str(ch4), "--chapter", "4", "-o", str(out), "--secret-file", str(secret)]
    code = main([*argv, "--quiet", "--workers", "2", "--memory", "768", "--call-timeout", "5"])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_WRONG_CHAPTER, stderr
    assert "chapter 4: bob's notebook looks like chapter 2; not graded" in stderr
    assert "1 wrong chapter" in stdout

    after = snapshot(out)
    assert {k: after[k] for k in before} == before  # chapter 2 untouched, byte for byte
    bob = json.loads(after["records/ch04/bob.json"])
    assert bob["status"] == "wrong chapter" and bob["score"] == 0
    assert bob["reason"].startswith("this looks like chapter 2, not chapter 4")
    assert {e["status"] for e in bob["exercises"]} == {"wrong chapter"}
    assert "this looks like chapter 2" in after["ch04/feedback/bob.md"].decode()
    assert "this looks like chapter 2" in after["ch04/feedback/bob.html"].decode()
    amy4 = json.loads(after["records/ch04/amy.json"])
    assert amy4["status"] == "graded" and amy4["score"] == amy4["max_score"] == POINTS[4]

    lines = after["gradebook.csv"].decode().splitlines()
    header = lines[0].split(",")
    assert header[0] == "student" and header[-3:] == ["total", "max", "review"]
    assert ["ch2 total", "ch2 status"] == header[header.index("ch2 total") :][:2]
    assert header.index("ch2 status") < header.index("ch4 total")
    rows = {ln.split(",")[0]: dict(zip(header, ln.split(","), strict=True)) for ln in lines[1:]}
    assert sorted(rows) == ["amy", "bob", "cid", "dan"]
    full = [f"{POINTS[2]:g}", f"{POINTS[4]:g}", f"{POINTS[2] + POINTS[4]:g}"]
    assert [rows["amy"][k] for k in ("ch2 total", "ch4 total", "total")] == full
    course_max = POINTS[2] + POINTS[4] + WRITTEN[2] + WRITTEN[4]
    assert rows["amy"]["max"] == rows["dan"]["max"] == f"{course_max:g}"
    assert (rows["cid"]["ch4 total"], rows["cid"]["ch4 status"]) == ("", "no submission")
    assert (rows["bob"]["ch4 status"], rows["dan"]["ch2 status"]) == (
        "wrong chapter",
        "no submission",
    )
    canvas = after["canvas.csv"].decode().splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,genolearn chapter 2")
    possible = [f"{POINTS[ch] + WRITTEN[ch]:g}" for ch in (2, 4)]
    assert canvas[1] == "Points Possible,,,,," + ",".join(possible)


def test_a_run_where_most_notebooks_look_like_another_chapter_is_refused(tmp_path):
    subs = folder(tmp_path / "subs", {"amy": lean(2), "bob": lean(2, stubs=True), "cid": lean(4)})
    with pytest.raises(
        ValueError, match=r"--chapter 4: 2 of 3 notebooks .* did you mean --chapter 2"
    ):
        grade_class(subs, tmp_path / "out", chapters=[4], secret=SECRET, limits=LIMITS)
    assert not (tmp_path / "out").exists()


def _old_layout(out: Path, *records: dict) -> None:
    (out / "records").mkdir(parents=True)
    (out / "feedback").mkdir()
    for record in records:
        (out / "records" / f"{record['student']}.json").write_text(json.dumps(record))
        (out / "feedback" / f"{record['student']}.json").write_text("{}")
    (out / "report.html").write_text("old")
    (out / "gradebook.csv").write_text("old")


def test_an_old_single_chapter_folder_is_migrated(tmp_path):
    out = tmp_path / "out"
    _old_layout(out, make_record("alice", passed=["ch1.sigmoid"]))
    subs = folder(tmp_path / "subs", {"zed": None})
    course = grade_class(subs, out, chapters=[2], secret=SECRET, limits=LIMITS)
    assert "moved the records of the single-chapter layout" in course.warnings[0]
    assert sorted(p.name for p in (out / "records").iterdir()) == ["ch01", "ch02"]
    assert (out / "records" / "ch01" / "alice.json").is_file()
    assert not (out / "feedback").exists() and not (out / "report.html").exists()
    assert {p.name for p in (out / "ch01" / "feedback").iterdir()} == {
        "alice.json",
        "alice.html",
        "alice.md",
    }
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows] == ["student", "alice", "zed"]
    assert "ch1 total" in rows[0] and "ch2 total" in rows[0]


def test_an_old_folder_that_cannot_be_migrated_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "out"
    mixed = make_record("bea")
    mixed["exercises"].append(dict(mixed["exercises"][0], id="ch2.relu", max_score=0.0))
    _old_layout(out, make_record("alice"), mixed)
    before = snapshot(out)
    subs = folder(tmp_path / "subs", {"zed": None})
    with pytest.raises(ValueError, match=r"records/bea.json grades chapters 1, 2 together"):
        grade_class(subs, out, chapters=[1], secret=SECRET, limits=LIMITS)
    after = snapshot(out)
    assert {k: after[k] for k in before} == before


BROKEN = "def sigmoid(z)\n    return 1 / (1 + np.exp(-z))"  # the colon is missing


def test_a_syntax_error_is_reported_as_one_with_its_code_cell_and_line(tmp_path):
    nb = lean_notebook(replace={"sigmoid": BROKEN})
    nb.cells.insert(1, v4.new_markdown_cell("# Markdown cells are not counted"))
    subs = folder(tmp_path / "subs", {"sam": nb})
    run = grade_class(subs, tmp_path / "out", chapters=[1], secret=SECRET, limits=LIMITS)[1]
    assert run.graded == ["sam"]
    record = json.loads((tmp_path / "out" / "records" / "ch01" / "sam.json").read_text())
    entry = {e["id"]: e for e in record["exercises"]}
    sigmoid = entry["ch1.sigmoid"]
    assert sigmoid["status"] == "error" and sigmoid["cell"] == 3
    assert sigmoid["reason"].startswith("SyntaxError in code cell 3, line 1:")
    assert "not found" not in sigmoid["reason"] and "renamed" not in sigmoid["reason"]
    assert entry["ch1.neuron_forward"]["cell"] == 2
    assert any(n.startswith("code cell 3 raised SyntaxError (line 1)") for n in record["notes"])
    page = (tmp_path / "out" / "ch01" / "feedback" / "sam.html").read_text()
    assert "SyntaxError in code cell 3, line 1" in page and "In [3]" in page
    assert "Markdown cells are" in page  # the page explains how cells are counted
    shutil.rmtree(tmp_path / "out")
