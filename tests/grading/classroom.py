"""A class of Chapter 1 submissions built from the chapter's source notebook, for the grader's
end-to-end tests.

``correct`` is the source notebook itself (solutions present) and ``stub`` the released
notebook. The other students are *lean* copies of the source notebook — its exercise cells
only, after ``import numpy as np`` (the plotting cells are left out to keep the suite fast) —
with one thing broken. Each :class:`Student` states the scores the grader must give.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import v4

from genolearn.exercises import all_exercises
from genolearn.grading import Limits
from genolearn.grading.release import release_source
from genolearn.grading.seeds import secret_fingerprint, student_seed
from genolearn.grading.task import GradeTask, checks_version, grade

__all__ = [
    "FULL",
    "IDS",
    "LIMITS",
    "SOURCE",
    "Student",
    "build_class",
    "lean_notebook",
    "make_record",
    "released",
    "scores",
    "source_notebook",
]

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "chapters" / "01_neuron" / "neuron.ipynb"
IDS = (
    "ch1.neuron_forward",
    "ch1.sigmoid",
    "ch1.sigmoid_derivative",
    "ch1.perceptron_update",
    "ch1.train_perceptron",
    "ch1.project",  # the chapter's project: its measurable part (exercises.project)
)
FULL = dict(zip(IDS, (2.0, 2.0, 1.0, 2.0, 3.0, 3.0), strict=True))
# Short limits: two seconds per exercise call, so a timeout costs little.
LIMITS = Limits(
    call_timeout_s=2, cell_timeout_s=15, submission_timeout_s=60, memory_bytes=768 * 2**20
)


def scores(**zero: float) -> dict[str, float]:
    """Full marks except the exercises named (``neuron_forward=0``)."""
    out = dict(FULL)
    for name, value in zero.items():
        out[f"ch1.{name}"] = value
    return out


def lean_notebook(*extra: str, replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The source notebook's exercise cells after ``import numpy as np``; ``replace`` swaps
    the cell defining a function for other code, ``extra`` cells are appended."""
    source = nbformat.read(SOURCE, as_version=4)
    cells = [v4.new_code_cell("import numpy as np")]
    for cell in source.cells:
        if cell.cell_type != "code" or "# BEGIN SOLUTION" not in cell.source:
            continue
        name = cell.source.split("def ", 1)[1].split("(", 1)[0]
        code = (replace or {}).get(name, cell.source)
        cells.append(v4.new_code_cell(textwrap.dedent(code).strip()))
    cells += [v4.new_code_cell(textwrap.dedent(c).strip()) for c in extra]
    return v4.new_notebook(cells=cells)


@dataclass
class Student:
    """A student to put in the class: ``content`` is a notebook, raw bytes, or a mapping of
    file names to either (a folder submission). ``expect`` is their scores by exercise."""

    name: str
    content: object
    expect: dict[str, float] = field(default_factory=lambda: dict(FULL))
    status: str = "graded"
    reason: str = ""  # a phrase the record must contain (its reason, notes or an exercise's)


def _write(path: Path, content: object) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)


def build_class(folder: Path, students: list[Student]) -> Path:
    """Write each student's submission into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for student in students:
        if isinstance(student.content, dict) and "cells" not in student.content:
            sub = folder / student.name
            sub.mkdir()
            for name, content in student.content.items():
                _write(sub / name, content)
        else:
            _write(folder / f"{student.name}.ipynb", student.content)
    return folder


def released() -> nbformat.NotebookNode:
    """The student notebook released from the source notebook (stubs only)."""
    from genolearn.grading.book import find_book

    book = find_book(SOURCE.parent)
    doc = SOURCE.relative_to(book.root).with_suffix("").as_posix()
    nb = nbformat.read(SOURCE, as_version=4)
    return release_source(nb, SOURCE.name, book=book, doc=doc, directory=SOURCE.parent)[0]


def source_notebook() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE, as_version=4)


def make_record(student="alice", passed=(), review=()):
    """A real record (an unsubmitted student's, graded without a sandbox), with the exercises
    in ``passed`` turned into passes."""
    task = GradeTask(
        student=student,
        source=f"{student}.py",
        sha256="ab" * 32,
        seeds=tuple((ex.id, student_seed(b"k", student, ex.id)) for ex in all_exercises(1)),
        checks_version=checks_version(all_exercises(1)),
        secret_fingerprint=secret_fingerprint(b"k"),
        limits=Limits(),
        problem=f"{student}.py is not a Jupyter notebook (.ipynb); submit your notebook",
    )
    rec = grade(task)
    for entry in rec["exercises"]:
        if entry["id"] in passed:
            entry.update(status="passed", score=entry["max_score"], reason="")
            entry["n_passed"] = entry["n_cases"]
        if entry["id"] in review:
            entry["review"] = "uses genolearn.nn.sigmoid"
            rec["review"].append(f"forbidden: {entry['id']}")
    rec["score"] = sum(e["score"] for e in rec["exercises"])
    rec["status"] = "graded" if passed else rec["status"]
    return rec
