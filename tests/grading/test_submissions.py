"""Finding each student's notebook: layouts, clear problems, safe ids."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.grading.submissions import (
    NOT_A_NOTEBOOK,
    find_submissions,
    read_notebook_bytes,
    student_id,
)

pytestmark = pytest.mark.grading

NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def make(root, files):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        else:
            path.write_text(content)
    return root


def test_flat_and_folder_layouts_mixed_sorted_by_student(tmp_path):
    make(tmp_path, {"carol.ipynb": NB, "alice/work/neuron.ipynb": NB, "bob/x.ipynb": NB})
    scan = find_submissions(tmp_path)
    assert [s.student for s in scan.submissions] == ["alice", "bob", "carol"]
    assert scan["alice"].path == tmp_path / "alice/work/neuron.ipynb"
    assert scan["carol"].path == tmp_path / "carol.ipynb" and scan["carol"].source == "carol.ipynb"
    assert all(not s.problem for s in scan.submissions)


def test_two_notebooks_in_a_folder(tmp_path):
    make(tmp_path, {"dan/b.ipynb": NB, "dan/a.ipynb": NB})
    dan = find_submissions(tmp_path)["dan"]
    assert dan.path is None
    assert dan.problem == "found 2 notebooks: a.ipynb, b.ipynb; submit exactly one"


def test_the_one_with_the_released_name_wins(tmp_path):
    make(tmp_path, {"dan/scratch.ipynb": NB, "dan/neuron.ipynb": NB})
    dan = find_submissions(tmp_path, notebook_names=["neuron.ipynb"])["dan"]
    assert dan.path == tmp_path / "dan/neuron.ipynb" and not dan.problem
    assert "graded neuron.ipynb" in dan.note and "scratch.ipynb" in dan.note
    make(tmp_path, {"eve/neuron.ipynb": NB, "eve/old/neuron.ipynb": NB})
    eve = find_submissions(tmp_path, notebook_names=["neuron.ipynb"])["eve"]
    assert eve.problem == "found 2 notebooks: neuron.ipynb, old/neuron.ipynb; submit exactly one"


def test_empty_folder_non_notebooks_and_hidden_files(tmp_path):
    make(
        tmp_path,
        {
            "empty": None,
            "pyonly/answer.py": "x = 1",
            "pyonly/.hidden.ipynb": NB,
            "hidden/.ipynb_checkpoints/n-checkpoint.ipynb": NB,
            "frank.py": "print(1)",  # a file that is not a notebook is not a student
            "README.txt": "Submissions for chapter 1",
            ".DS_Store": "",
            "__MACOSX/alice.ipynb": NB,
        },
    )
    scan = find_submissions(tmp_path)
    assert scan["empty"].problem == (
        "the folder empty/ is empty; submit your Jupyter notebook (.ipynb)"
    )
    assert scan["hidden"].problem.startswith("the folder hidden/ is empty")
    assert scan["pyonly"].problem == (
        "found no notebook (.ipynb) in pyonly/ (it holds answer.py); submit your Jupyter notebook"
    )
    assert scan.ignored == [
        (".DS_Store", "hidden"),
        ("README.txt", NOT_A_NOTEBOOK),
        ("__MACOSX", "macOS archive metadata"),
        ("frank.py", NOT_A_NOTEBOOK),
    ]
    assert [s.student for s in scan.submissions] == ["empty", "hidden", "pyonly"]


def test_symbolic_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside.ipynb"
    outside.write_text(NB)
    subs = tmp_path / "subs"
    (subs / "gina").mkdir(parents=True)
    os.symlink(outside, subs / "hal.ipynb")
    os.symlink(outside, subs / "gina" / "nb.ipynb")
    scan = find_submissions(subs)
    assert scan["hal"].problem == "hal.ipynb is a symbolic link; submit the notebook file itself"
    assert "only symbolic links (nb.ipynb)" in scan["gina"].problem
    with pytest.raises(OSError, match="symbolic link"):
        read_notebook_bytes(subs / "hal.ipynb", 10**6)


def test_one_student_twice_is_a_problem_not_two_rows(tmp_path):
    make(tmp_path, {"ivy.ipynb": NB, "ivy/n.ipynb": NB, "Jo.ipynb": NB, "jo.ipynb": NB})
    scan = find_submissions(tmp_path)
    assert [s.student for s in scan.submissions] == ["Jo", "ivy"]
    assert scan["ivy"].problem == (
        "found several submissions for one student (ivy.ipynb, ivy/); submit exactly one"
    )
    assert "Jo.ipynb, jo.ipynb" in scan["Jo"].problem  # would collide on macOS and Windows


def test_output_folder_and_missing_folder(tmp_path):
    make(tmp_path, {"kim.ipynb": NB, "graded/gradebook.csv": "x"})
    scan = find_submissions(tmp_path, exclude=[tmp_path / "graded"])
    assert [s.student for s in scan.submissions] == ["kim"]
    assert ("graded", "the grader's output folder") in scan.ignored
    with pytest.raises(FileNotFoundError, match="SUBMISSIONS: no folder at"):
        find_submissions(tmp_path / "nope")


def test_read_notebook_bytes_caps_the_size(tmp_path):
    path = tmp_path / "big.ipynb"
    path.write_bytes(b"x" * 100)
    assert read_notebook_bytes(path, 100) == b"x" * 100
    with pytest.raises(OSError, match="larger than"):
        read_notebook_bytes(path, 99)


def test_student_ids_are_safe_file_names():
    assert student_id("alice") == "alice"
    assert student_id("j.doe_2-x") == "j.doe_2-x"
    assert re.fullmatch(r"Jose_Garcia-[0-9a-f]{6}", student_id("José García"))
    assert re.fullmatch(r"evil-[0-9a-f]{6}", student_id("../evil"))
    assert re.fullmatch(r"student-[0-9a-f]{6}", student_id("..."))
    assert student_id("a b") != student_id("a_b") == "a_b"
    with pytest.raises(ValueError, match="non-empty"):
        student_id("")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=2, max_size=2, unique=True))
def test_student_ids_are_injective_and_safe(names):
    a, b = (student_id(n) for n in names)
    for sid in (a, b):
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", sid), sid
        assert sid not in (".", "..") and "/" not in sid
    assert a != b
