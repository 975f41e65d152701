"""``genolearn grade``: arguments, errors (exit 2, naming the argument) and what it prints."""

from __future__ import annotations

import json

import nbformat
import pytest

from genolearn.cli import main
from tests.grading.classroom import Student, build_class, lean_notebook

pytestmark = pytest.mark.grading


@pytest.fixture
def setup(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "eve").mkdir()
    (subs / "eve" / "answer.py").write_text("print(1)")  # a problem: graded without a sandbox
    (subs / "README.txt").write_text("chapter 1 submissions")  # not a student
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    base = ["grade", str(subs), "--chapter", "1", "-o", str(tmp_path / "out")]
    return tmp_path, [*base, "--secret-file", str(secret), "--quiet"]


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--workers", "0"], "--workers must be >= 1, but got 0"),
        (["--call-timeout", "0"], "--call-timeout must be > 0"),
        (["--submission-timeout", "-1"], "--submission-timeout must be > 0"),
        (["--memory", "10"], "--memory must be >= 64, but got 10"),
        (
            ["--chapter", "99"],
            "--chapter: no exercises are registered for chapter 99 (chapters with exercises: 1",
        ),
        (["--chapter", "-1"], "--chapter must be >= 0"),
        (["--regrade", "zed"], "--regrade: no student 'zed'"),
        (["--regrade", " "], "--regrade must be a student id or 'all'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(setup, capsys, extra, message):
    _, argv = setup
    code, out, err = run([*argv, *extra], capsys)
    assert code == 2 and message in err and not out


def test_secret_file_problems(setup, capsys):
    tmp_path, argv = setup
    i = argv.index("--secret-file") + 1
    argv[i] = str(tmp_path / "missing")
    code, _, err = run(argv, capsys)
    assert code == 2 and "--secret-file: no file at" in err
    (tmp_path / "empty").write_text("\n")
    argv[i] = str(tmp_path / "empty")
    code, _, err = run(argv, capsys)
    assert code == 2 and "is empty" in err
    assert not (tmp_path / "out").exists()


def test_the_secret_is_never_a_command_line_argument(setup, capsys):
    _, argv = setup
    i = argv.index("--secret-file")
    with pytest.raises(SystemExit) as exc:
        main([*argv[:i], "--secret", "s3cret", *argv[i + 2 :]])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: --secret-file" in err


def test_missing_or_empty_submissions_folder(setup, capsys):
    tmp_path, argv = setup
    code, _, err = run([argv[0], str(tmp_path / "nope"), *argv[2:]], capsys)
    assert code == 2 and "SUBMISSIONS: no folder at" in err
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / ".DS_Store").write_text("")
    code, _, err = run([argv[0], str(tmp_path / "none"), *argv[2:]], capsys)
    assert code == 2 and "found no submissions" in err and "skipped .DS_Store (hidden)" in err


def test_a_run_prints_a_summary_and_writes_the_outputs(setup, capsys):
    tmp_path, argv = setup
    (tmp_path / "secret.txt").chmod(0o644)
    code, out, err = run(argv, capsys)
    assert code == 0
    assert "chapter 1: 1 students: 1 graded, 0 up to date ->" in out
    assert f"course gradebook: {tmp_path / 'out' / 'gradebook.csv'}" in out
    assert "readable by other users" in err
    assert "warning: chapter 1: skipped README.txt: not a Jupyter notebook (.ipynb)" in err
    gradebook = (tmp_path / "out" / "ch01" / "gradebook.csv").read_text().splitlines()
    assert len(gradebook) == 2  # README.txt is no student
    assert gradebook[1] == "eve,0,0,0,0,0,0,0,13,submission problem,"
    feedback = json.loads((tmp_path / "out" / "ch01" / "feedback" / "eve.json").read_text())
    assert feedback["reason"] == (
        "found no notebook (.ipynb) in eve/ (it holds answer.py); submit your Jupyter notebook"
    )
    for name in ("ch01/report.html", "ch01/report.png", "records/ch01/eve.json", "canvas.csv"):
        assert (tmp_path / "out" / name).is_file()
    code, out, _ = run([*argv, "--regrade", "eve"], capsys)
    assert code == 0 and "chapter 1: no grade changed" in out and "1 graded, 0 up to" in out


def test_regrade_prints_what_changed(tmp_path, capsys):
    subs = build_class(
        tmp_path / "subs",
        [Student("amy", lean_notebook(replace={"sigmoid": "def sigmoid(z):\n    return z"}))],
    )
    secret = tmp_path / "secret"
    secret.write_text("k")
    secret.chmod(0o600)
    argv = ["grade", str(subs), "--chapter", "1", "-o", str(tmp_path / "out")]
    argv += ["--secret-file", str(secret), "--quiet", "--workers", "1", "--call-timeout", "5"]
    assert run(argv, capsys)[0] == 0
    nbformat.write(lean_notebook(), subs / "amy.ipynb")
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert out.splitlines()[:2] == [
        "chapter 1: grade changes (student, exercise, old -> new):",
        "  amy  ch1.sigmoid  0 -> 2",
    ]
