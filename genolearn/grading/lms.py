"""The course gradebook laid out for a learning management system's grade import.

Each chapter is one assignment (one grade column, the chapter's total); the LMS adds up the
course total itself. A student's id in genolearn is the name of their submission (file or
folder, :func:`~genolearn.grading.submissions.student_id`); the LMS needs its own identity for
them. Either name the submissions after the LMS login, or give a **class list**
(``--class-list FILE``): a CSV with a ``student`` column (the genolearn id) and any of ``name``,
``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``, ``username``, ``email``,
``id_number``.

``canvas.csv`` — Canvas *Grades → Import* layout: the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per chapter named
``genolearn chapter N`` (a name Canvas does not know creates that assignment); the second row is
``Points Possible`` with each chapter's points. ``Student`` is the class list's ``name`` (else
the student id), ``ID``/``SIS User ID``/``Section`` come from the class list (else empty),
``SIS Login ID`` is the class list's ``sis_login_id`` (else the student id), so Canvas matches
rows whose submissions were named by login id.

``moodle.csv`` — Moodle *Grades → Import → CSV file* layout: identifier columns, then one grade
column per chapter. ``Username`` is the class list's ``username`` (else the student id);
``Email address`` and ``ID number`` appear when the class list has them. On import, map
*Username* to *username* (or *Email address* to *email address*, *ID number* to *ID number*)
and each chapter column to a new or existing grade item.

An empty cell means "no grade" (not submitted, or the grader could not grade it: an LMS leaves
the grade it has); a student graded 0 — a problem with their submission included — gets 0.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from pathlib import Path

from genolearn.grading.course import CourseTable

__all__ = ["CLASS_LIST_COLUMNS", "canvas_csv", "moodle_csv", "read_class_list"]

CLASS_LIST_COLUMNS = (
    "student",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "username",
    "email",
    "id_number",
)


def read_class_list(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """The class list at ``path`` by student id (see the module docstring).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a CSV with a ``student`` column, an unknown column, or a student twice.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--class-list: no file at {path}")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "student" not in columns:
            raise ValueError(
                f"--class-list: {path} must be a CSV whose header has a 'student' column, but "
                f"its header is {columns}"
            )
        unknown = sorted(set(columns) - set(CLASS_LIST_COLUMNS))
        if unknown:
            raise ValueError(
                f"--class-list: {path} has unknown column(s) {unknown}; expected some of "
                f"{list(CLASS_LIST_COLUMNS)}"
            )
        people: dict[str, dict[str, str]] = {}
        for n, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            student = row["student"]
            if not student:
                raise ValueError(f"--class-list: {path}, line {n}: the student column is empty")
            if student in people:
                raise ValueError(f"--class-list: {path}, line {n}: student {student!r} twice")
            people[student] = row
    return people


def _grades(table: CourseTable, student: str) -> list[str]:
    """Each chapter's total (marks given by hand for written parts included), "" for none."""
    out = []
    for ch in table.chapters:
        score = table.chapter_score(ch, student)
        out.append("" if score is None else f"{score:g}")
    return out


def _write(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _column(chapter: int) -> str:
    return f"genolearn chapter {chapter}"


def canvas_csv(table: CourseTable, people: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The Canvas import CSV of ``table`` (``people``: the class list, optional)."""
    people = people or {}
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]]
    rows[0] += [_column(ch) for ch in table.chapters]
    rows.append(["Points Possible", "", "", "", ""])
    rows[1] += [f"{table.chapter_max(ch):g}" for ch in table.chapters]
    for student in table.students:
        who = people.get(student, {})
        rows.append(
            [
                who.get("name") or student,
                who.get("canvas_id", ""),
                who.get("sis_user_id", ""),
                who.get("sis_login_id") or student,
                who.get("section", ""),
                *_grades(table, student),
            ]
        )
    return _write(rows)


def moodle_csv(table: CourseTable, people: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The Moodle grade-import CSV of ``table`` (``people``: the class list, optional)."""
    people = people or {}
    extra = [
        (key, label)
        for key, label in (("email", "Email address"), ("id_number", "ID number"))
        if any(p.get(key) for p in people.values())
    ]
    rows = [["Username", *(label for _, label in extra), *map(_column, table.chapters)]]
    for student in table.students:
        who = people.get(student, {})
        ids = [who.get("username") or student, *(who.get(key, "") for key, _ in extra)]
        rows.append([*ids, *_grades(table, student)])
    return _write(rows)
