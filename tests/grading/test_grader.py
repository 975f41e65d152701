"""End to end: a class built from Chapter 1's source notebook, graded by :func:`grade_class`.

Each bad student breaks one thing; each must get exactly the scores stated, a clear reason,
and leave every other student unaffected. The class is graded once (module fixture, two
workers, two seconds per call); the SIGKILL test grades it again through the real
``genolearn grade`` command, killed mid-batch and resumed, and compares byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from genolearn.exercises import get_exercise
from genolearn.exercises.check import describe_inputs
from genolearn.grading import Limits, grade_class, student_seed
from tests.grading.classroom import (
    IDS,
    LIMITS,
    Student,
    build_class,
    lean_notebook,
    released,
    scores,
    source_notebook,
)

pytestmark = pytest.mark.grading

SECRET = b"correct-horse-battery-staple"
NONE = dict.fromkeys(IDS, 0.0)


def fn(name: str, body: str, args: str = "x, w, b") -> dict[str, str]:
    """Replace the cell defining ``name`` by ``def name(args): body``."""
    return {name: f"def {name}({args}):\n" + "\n".join("    " + ln for ln in body.splitlines())}


FORGE = """
import json, os
fake = json.dumps({"token": "0" * 32, "kind": "result", "call": 0, "found": True, "cases": []})
print(fake)
with open("results.json", "w") as f:
    f.write(fake)
for fd in range(3, 256):
    try:
        os.write(fd, (fake + "\\n").encode())
    except OSError:
        pass
"""
PATCH = """
import builtins
import numpy
import genolearn.exercises.check
import genolearn.exercises.compare
genolearn.exercises.check.compare = lambda *a, **k: None
genolearn.exercises.compare.compare = lambda *a, **k: None
np.allclose = numpy.array_equal = lambda *a, **k: True
builtins.isinstance = lambda *a: True
def neuron_forward(x, w, b):
    return np.zeros(len(x))
def sigmoid(z):
    return np.zeros_like(z)
"""
WARNS = """
import warnings
warnings.warn("a top-level warning")
np.float64(1e308) * 10  # overflow warning at top level
"""
LATIN = nbformat.writes(lean_notebook("print('Grüße')")).encode()

STUDENTS = [
    Student("correct", source_notebook()),
    Student("stub", released(), NONE, reason="ch1.train_perceptron: not implemented"),
    Student(
        "loop",
        lean_notebook(replace=fn("neuron_forward", "while True:\n    pass")),
        scores(neuron_forward=0),
        reason="timed out after 2 s on case 1",
    ),
    Student("sysexit", lean_notebook("import sys\nsys.exit(3)"), reason="raised SystemExit"),
    Student(
        "membomb",
        lean_notebook(
            # calloc-ed 256 MiB blocks, never touched, so it reaches the limit at once
            # however busy the machine (filling the pages could outlast the 2 s call limit).
            replace=fn("neuron_forward", "hog = []\nwhile True:\n    hog.append(bytes(2**28))")
        ),
        scores(neuron_forward=0),
        reason="memory limit 768 MiB exceeded while running neuron_forward",
    ),
    Student(
        "raises",
        lean_notebook(replace=fn("sigmoid_derivative", "raise ValueError('not today')", "z")),
        scores(sigmoid_derivative=0),
        reason="ValueError: not today",
    ),
    Student(
        "deleted",
        lean_notebook("del sigmoid_derivative"),
        scores(sigmoid_derivative=0),
        reason="function sigmoid_derivative not found in the notebook",
    ),
    Student(
        "alwayseq",
        lean_notebook(
            "class Yes:\n    def __eq__(self, other):\n        return True",
            replace=fn("neuron_forward", "return Yes()"),
        ),
        scores(neuron_forward=0),
        reason="expected a numpy array",
    ),
    Student(
        "shape",
        lean_notebook(
            replace=fn("neuron_forward", "return (1 / (1 + np.exp(-(x @ w + b))))[:, None]")
        ),
        scores(neuron_forward=0),
        reason="got shape (1, 1)",
    ),
    Student(
        "nan",
        lean_notebook(replace=fn("sigmoid_derivative", "return sigmoid(z) * np.nan", "z")),
        scores(sigmoid_derivative=0),
        reason="got nan",
    ),
    Student(
        "mutates",
        lean_notebook(
            replace=fn("neuron_forward", "z = x @ w + b\nx += 1\nreturn 1 / (1 + np.exp(-z))")
        ),
        scores(neuron_forward=0),
        reason="your function changed its input in place",
    ),
    Student(
        "forger",
        lean_notebook(FORGE, replace=fn("neuron_forward", "return np.zeros(len(x))")),
        scores(neuron_forward=0),
        reason="ignored 1 line(s) on the result channel",
    ),
    Student(
        "patcher",
        lean_notebook(PATCH),
        # sigmoid_derivative is graded with the reference sigmoid in place of the broken one
        scores(neuron_forward=0, sigmoid=0),
        reason="values differ",
    ),
    Student(
        "warns",
        lean_notebook(
            WARNS,
            replace=fn(
                "neuron_forward",
                "import warnings\nwarnings.warn('careful', RuntimeWarning)\n"
                "return 1 / (1 + np.exp(-(x @ w + b)))",
            ),
        ),
    ),
    Student(
        "forbidden",
        lean_notebook(
            replace=fn("sigmoid", "import genolearn.nn\nreturn genolearn.nn.sigmoid(z)", "z")
        ),
        reason="flagged for the instructor to review",
    ),
    Student("malformed", b'{"cells": [', NONE, "invalid notebook", "it is not valid JSON"),
    Student("empty", b"", NONE, "invalid notebook", "the notebook file is empty"),
    Student(
        "twonbs",
        {"a.ipynb": lean_notebook(), "b.ipynb": lean_notebook()},
        NONE,
        "submission problem",
        "found 2 notebooks: a.ipynb, b.ipynb; submit exactly one",
    ),
    Student(
        "latin",
        LATIN.replace("Grüße".encode(), "Grüße".encode("latin-1")),
        NONE,
        "invalid notebook",
        "it is not UTF-8 text",
    ),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once: ``(submissions folder, output folder, GradeRun, records)``."""
    root = tmp_path_factory.mktemp("class")
    subs = build_class(root / "submissions", STUDENTS)
    run = grade_class(subs, root / "out", chapters=[1], secret=SECRET, limits=LIMITS, workers=2)[1]
    folder = root / "out" / "records" / "ch01"
    records = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    return subs, root / "out", run, records


def words(record: dict) -> str:
    """Everything a record says in words."""
    parts = [record["reason"], *record["notes"], *record["review"]]
    for e in record["exercises"]:
        parts += [f"{e['id']}: {e['status']}", e["reason"], e["problem"], e["hint"], e["review"]]
    return "\n".join(parts)


@pytest.mark.parametrize("student", STUDENTS, ids=[s.name for s in STUDENTS])
def test_each_student_gets_the_right_scores_and_a_clear_reason(graded, student):
    record = graded[3][student.name]
    assert {e["id"]: e["score"] for e in record["exercises"]} == student.expect, words(record)
    assert record["status"] == student.status
    assert record["score"] == sum(student.expect.values())
    assert record["max_score"] == 13  # the exercises' 10 and the project's 3
    assert student.reason in words(record)


def test_the_batch_finished_with_every_student(graded):
    _, out, run, records = graded
    assert not run.errors and not run.reused and not run.changes
    assert sorted(records) == sorted(s.name for s in STUDENTS) == run.students == run.graded
    lines = (out / "ch01" / "gradebook.csv").read_text().splitlines()
    assert lines[0] == "student," + ",".join(IDS) + ",total,max,status,review"
    assert [ln.split(",")[0] for ln in lines[1:]] == sorted(records)


def test_review_flags(graded):
    records = graded[3]
    # sigmoid_derivative calls sigmoid, but is graded with the reference one in its place
    assert records["forbidden"]["review"] == ["forbidden: ch1.sigmoid"]
    assert records["forger"]["review"] == ["forged result lines"]
    flagged = {s for s, r in records.items() if r["review"]}
    assert flagged == {"forbidden", "forger"}
    row = next(
        ln
        for ln in (graded[1] / "ch01" / "gradebook.csv").read_text().splitlines()
        if "forbidden" in ln
    )
    assert row.endswith(",3,13,13,graded,forbidden: ch1.sigmoid")


def test_monkeypatching_in_a_notebook_does_not_reach_the_grader(graded):
    check_module = sys.modules["genolearn.exercises.check"]
    assert graded[3]["patcher"]["score"] == 9
    assert not np.allclose([1.0], [2.0]) and check_module.compare.__name__ == "compare"


def test_feedback_files_hold_no_secret_and_no_more_than_shown(graded):
    _, out, _, records = graded
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET not in data and SECRET.hex().encode() not in data, path
    feedback = json.loads((out / "ch01" / "feedback" / "shape.json").read_text())
    assert "secret_fingerprint" not in feedback and "checks_version" not in feedback
    forward = feedback["exercises"][0]
    assert forward["status"] == "failed" and forward["case_number"] == 1
    assert forward["case"] == "one example, no bias"
    assert "expected shape (1,), got shape (1, 1)" in forward["text"]
    assert forward["hint"].startswith("an extra axis of length 1")
    assert sorted(p.stem for p in (out / "ch01" / "feedback").glob("*.json")) == sorted(records)


def test_hidden_cases_differ_between_students_and_replay_on_appeal(graded):
    records = graded[3]
    sets = {r["exercises"][1]["case_set"] for r in records.values()}
    assert len(sets) == len(records)  # one case set per student
    # Appeal: the instructor replays the failing case of "shape" from the secret alone.
    entry = records["shape"]["exercises"][0]
    exercise = get_exercise(entry["id"])
    cases = exercise.make_cases(np.random.default_rng(student_seed(SECRET, "shape", entry["id"])))
    assert len(cases) == entry["n_cases"]
    assert describe_inputs(cases[entry["case_number"] - 1]) == entry["input"]


def test_class_report(graded):
    out = graded[1]
    html = (out / "ch01" / "report.html").read_text()
    # answers of zeros coincide with "no activation" on a case with z = 0, but not on every
    # case: no misconception is named for them
    assert "19 students" in html and "no activation" not in html
    assert (out / "ch01" / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_and_regrade(tmp_path):
    """Up-to-date records are reused; a changed notebook is regraded automatically; a record
    from an older check is kept until ``regrade`` names its student (or ``all``)."""
    subs = build_class(
        tmp_path / "subs",
        [
            Student("amy", lean_notebook()),
            Student("bob", lean_notebook(replace=fn("sigmoid", "return z", "z"))),
        ],
    )
    out = tmp_path / "out"

    def grade(**kw):
        return grade_class(subs, out, chapters=[1], secret=SECRET, limits=LIMITS, **kw)[1]

    first = grade()
    assert first.graded == ["amy", "bob"]
    again = grade()
    assert (again.graded, again.reused, again.changes) == ([], ["amy", "bob"], [])
    nbformat.write(lean_notebook(), subs / "bob.ipynb")  # bob fixes his sigmoid
    fixed = grade()
    assert fixed.graded == ["bob"] and fixed.reused == ["amy"]
    assert fixed.changes == [("bob", "ch1.sigmoid", 0.0, 2.0)]  # the derivative: isolated
    # A record made by an older, stricter check: same submission, lower score.
    path = out / "records" / "ch01" / "amy.json"
    record = json.loads(path.read_text())
    record["exercises"][1].update(score=0.0, status="failed", case_number=1, problem="strict")
    record["score"] = 11.0
    path.write_text(json.dumps(record))
    kept = grade()
    assert kept.graded == [] and "amy,2,0,1,2,3,3,11,13" in kept.gradebook.read_text()
    regraded = grade(regrade="amy")
    assert regraded.graded == ["amy"] and regraded.changes == [("amy", "ch1.sigmoid", 0.0, 2.0)]
    everyone = grade(regrade="all")
    assert everyone.graded == ["amy", "bob"] and everyone.changes == []
    with pytest.raises(ValueError, match="--regrade: no student 'zed'"):
        grade(regrade="zed")


def test_a_sandbox_that_cannot_start_records_nothing_and_is_retried(tmp_path):
    subs = build_class(tmp_path / "subs", [Student("amy", lean_notebook())])
    broken = Limits(memory_bytes=2**26)  # too little for Python itself to start
    run = grade_class(subs, tmp_path / "out", chapters=[1], secret=SECRET, limits=broken)[1]
    assert list(run.errors) == ["amy"] and "failed to start" in run.errors["amy"]
    assert not list((tmp_path / "out" / "records" / "ch01").iterdir())
    assert "amy,,,,,,,,,not graded,grader error" in run.gradebook.read_text()
    course = (tmp_path / "out" / "gradebook.csv").read_text()
    assert "amy,,,,,,,,,not graded,0,16," in course  # 13 + 3 written
    retry = grade_class(subs, tmp_path / "out", chapters=[1], secret=SECRET, limits=LIMITS)[1]
    assert retry.graded == ["amy"]
    assert "amy,2,2,1,2,3,3,13,13,graded," in retry.gradebook.read_text()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(stat.rsplit(b")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def test_sigkill_mid_batch_then_resume_gives_the_same_gradebook(graded, tmp_path):
    subs, reference, _, _ = graded
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET + b"\n")
    secret.chmod(0o600)
    exe = Path(sys.executable).with_name("genolearn")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "genolearn.cli"]
    out = tmp_path / "out"
    command += ["grade", str(subs), "--chapter", "1", "-o", str(out), "--secret-file", str(secret)]
    command += ["--call-timeout", "2", "--memory", "768", "--submission-timeout", "60", "--quiet"]
    records = out / "records" / "ch01"

    killed = subprocess.Popen([*command, "--workers", "1"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not records.is_dir() or len(list(records.glob("*.json"))) < 4:
        assert killed.poll() is None, "the grader finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    workers = _children(killed.pid)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    done = len(list(records.glob("*.json")))
    assert 4 <= done < len(STUDENTS) and not (out / "gradebook.csv").exists()
    end = time.monotonic() + 10
    while any(_alive(p) for p in workers):  # its worker noticed and quit
        assert time.monotonic() < end, "a grading worker outlived the killed grader"
        time.sleep(0.1)

    resumed = subprocess.run(
        [*command, "--workers", "2"], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(STUDENTS) - done} graded, {done} up to date" in resumed.stdout
    for name in ("gradebook.csv", "ch01/gradebook.csv", "canvas.csv", "moodle.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    for path in sorted((reference / "records").glob("*.json")):
        assert (records / path.name).read_bytes() == path.read_bytes(), path.name
    assert not [p for p in records.iterdir() if p.name.startswith(".")]
    shutil.rmtree(out)


def test_a_second_grader_on_the_same_output_folder_is_refused(tmp_path):
    from genolearn.grading.grader import _lock

    subs = build_class(tmp_path / "subs", [Student("amy", b"")])
    held = _lock(tmp_path / "out")
    try:
        with pytest.raises(ValueError, match="-o: another genolearn grade is writing to"):
            grade_class(subs, tmp_path / "out", chapters=[1], secret=SECRET, limits=LIMITS)
    finally:
        os.close(held)
    run = grade_class(subs, tmp_path / "out", chapters=[1], secret=SECRET, limits=LIMITS)
    assert run[1].graded == ["amy"]


def test_limits_and_notebook_names_per_chapter():
    from genolearn.exercises import all_exercises
    from genolearn.grading.grader import default_limits, released_notebook_names

    assert default_limits([1]).memory_bytes == 1024 * 2**20
    assert default_limits([1, 5]).memory_bytes == 4096 * 2**20  # torch reserves ~600 MB
    custom = default_limits([5], call_timeout_s=3, submission_timeout_s=30, memory_mb=512)
    assert (custom.memory_bytes, custom.call_timeout_s, custom.submission_timeout_s) == (
        512 * 2**20,
        3,
        30,
    )
    assert "neuron.ipynb" in released_notebook_names(all_exercises(1))


def test_records_from_other_checks_are_kept_with_a_warning_and_a_new_secret_regrades(tmp_path):
    subs = tmp_path / "subs"
    (subs / "eve").mkdir(parents=True)
    (subs / "eve" / "answer.py").write_text("print('no notebook')")  # graded without a sandbox
    out = tmp_path / "out"

    def grade(secret=SECRET):
        return grade_class(subs, out, chapters=[1], secret=secret)[1]

    assert grade().graded == ["eve"]
    path = out / "records" / "ch01" / "eve.json"
    record = json.loads(path.read_text())
    record["checks_version"] = "0" * 16
    path.write_text(json.dumps(record))
    kept = grade()
    assert kept.reused == ["eve"] and "made by another version of the checks (eve)" in str(
        kept.warnings
    )
    assert grade(b"new secret").graded == ["eve"]
    (out / "records" / "ch01" / ".eve.json.abc.tmp").write_text("{")  # left by a killed writer
    shutil.rmtree(subs / "eve")
    (subs / "fay").mkdir()
    moved = grade()
    assert moved.graded == ["fay"] and "no longer in SUBMISSIONS" in str(moved.warnings)
    assert sorted(p.name for p in (out / "records" / "ch01").iterdir()) == ["eve.json", "fay.json"]
    feedback = sorted(p.name for p in (out / "ch01" / "feedback").iterdir())
    assert feedback == ["fay.html", "fay.json", "fay.md"]
    assert [ln.split(",")[0] for ln in (out / "gradebook.csv").read_text().splitlines()] == [
        "student",
        "fay",
    ]
