"""Marks given by hand — the written parts of projects — kept in ``OUT/manual.csv``.

The grader measures a project's measurable part; its written part is read and marked by the
instructor. Those marks live in a file the instructor edits and the grader never overwrites::

    student,ch1.project written,ch4.project written
    alice,2.5,
    bob,3,1

After every run the grader adds what is missing — a row for each new student, a column for
each project of a graded chapter (``"<project id> written"``) — and keeps every cell already
there, including columns of the instructor's own (comments). The course gradebook then shows
each mark in its column and adds it to the chapter's total, and the LMS files carry the totals
(:mod:`genolearn.grading.course`, :mod:`genolearn.grading.lms`). An empty cell is "not marked
yet"; a cell that is not a number from 0 to the part's points is left out with a warning that
names the row and column. Regrading (``--regrade all``) never touches the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from genolearn.grading.records import write_atomic

__all__ = ["MANUAL_FILE", "read_manual", "update_manual"]

MANUAL_FILE = "manual.csv"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]] | None:
    """``(header, rows)`` of the file, ``None`` if it does not exist."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    return header, rows


def update_manual(out: Path, students: Iterable[str], columns: Iterable[str]) -> list[str]:
    """Create or extend ``OUT/manual.csv`` with a row per student and the given columns,
    keeping every existing cell; returns warnings (a file without a ``student`` column is
    left as it is)."""
    path = Path(out) / MANUAL_FILE
    students, columns = sorted(set(students)), list(dict.fromkeys(columns))
    found = _read(path)
    if found is None:
        if not columns:
            return []
        header, rows = ["student"], []
    else:
        header, rows = found
        if "student" not in header:
            return [
                f"{path.name} has no 'student' column (its header is {header}); the written "
                "parts' marks in it are ignored until it has one"
            ]
    new_header = header + [c for c in columns if c not in header]
    known = {row.get("student", "") for row in rows}
    new_rows = rows + [{"student": s} for s in students if s not in known]
    if found is not None and new_header == header and len(new_rows) == len(rows):
        return []  # nothing to add: the instructor's file stays byte for byte as it is
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=new_header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows({k: row.get(k, "") for k in new_header} for row in new_rows)
    write_atomic(path, buffer.getvalue())
    return []


def read_manual(
    out: Path, maxima: Mapping[str, float]
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The marks in ``OUT/manual.csv`` of the columns in ``maxima`` (column -> the part's
    points): ``(marks[student][column], problems)``. Empty cells are not marks; a mark that
    is not a number in ``[0, max]`` is left out and named in ``problems``."""
    path = Path(out) / MANUAL_FILE
    found = _read(path)
    marks: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    if found is None or "student" not in found[0]:
        return marks, problems
    for line, row in enumerate(found[1], start=2):
        student = row.get("student", "")
        for column, most in maxima.items():
            text = row.get(column, "")
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not 0 <= value <= most or not student:
                who = repr(student) if student else "no student"
                problems.append(
                    f"{path.name}, line {line} ({who}), column {column!r}: got {text!r} but "
                    f"expected a number from 0 to {most:g} and a student; left out"
                )
                continue
            marks.setdefault(student, {})[column] = value
    return marks, problems
