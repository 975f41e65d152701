"""An output folder is a course: one folder of records per chapter, one gradebook for all.

Layout of ``OUT`` (``genolearn grade … -o OUT``)::

    OUT/gradebook.csv                 the course gradebook (rebuilt after every run)
    OUT/canvas.csv, OUT/moodle.csv    the same grades laid out for LMS import (:mod:`.lms`)
    OUT/manual.csv                    marks given by hand (projects' written parts, :mod:`.manual`)
    OUT/records/ch02/<student>.json   one record per student and chapter (the durable memory)
    OUT/ch02/gradebook.csv            the chapter's gradebook
    OUT/ch02/feedback/<student>.json|.html|.md
    OUT/ch02/report.html, report.png  the chapter's class report
    OUT/ch02/roster.json              the students of the chapter's last run

Grading one chapter reads and writes only ``records/chNN`` and ``chNN/``; the course gradebook
is then rebuilt from every chapter's records (:func:`course_table`, :func:`course_csv`). A
folder written by the earlier single-chapter layout (``OUT/records/<student>.json``) is migrated
by :func:`migrate_old_layout`, or refused with the reason when it cannot be.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolearn.grading import records as rec
from genolearn.grading.locate import chapter_of_id

__all__ = [
    "CourseTable",
    "chapter_dir",
    "course_csv",
    "course_table",
    "migrate_old_layout",
    "read_roster",
    "records_dir",
    "write_roster",
]


def chapter_dir(out: Path, chapter: int) -> Path:
    """``OUT/chNN``: the chapter's gradebook, feedback and report."""
    return Path(out) / f"ch{chapter:02d}"


def records_dir(out: Path, chapter: int) -> Path:
    """``OUT/records/chNN``: the chapter's records."""
    return Path(out) / "records" / f"ch{chapter:02d}"


def write_roster(out: Path, chapter: int, students: list[str], missing: Mapping[str, str]) -> None:
    """Remember who was in the chapter's last run (``missing``: students without a record and
    the status their row shows), for the course gradebook."""
    data = {"students": sorted(students), "missing": dict(sorted(missing.items()))}
    folder = chapter_dir(out, chapter)
    folder.mkdir(parents=True, exist_ok=True)
    rec.write_atomic(folder / "roster.json", json.dumps(data, indent=1) + "\n")


def read_roster(out: Path, chapter: int) -> tuple[list[str], dict[str, str]] | None:
    """``(students, missing)`` of the chapter's last run, or ``None`` if there is no roster."""
    try:
        data = json.loads((chapter_dir(out, chapter) / "roster.json").read_text())
        missing = {str(k): str(v) for k, v in data["missing"].items()}
        return [str(s) for s in data["students"]], missing
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _record_chapters(record: Mapping[str, Any]) -> set[int | None]:
    return {chapter_of_id(e["id"]) for e in record["exercises"]}


def migrate_old_layout(out: Path) -> list[int]:
    """Move the records of the single-chapter layout (``OUT/records/<student>.json``) into
    ``OUT/records/chNN/`` and delete the outputs built from them (``OUT/feedback/``,
    ``OUT/report.*``; the gradebooks are rebuilt). Returns the chapters migrated.

    Raises:
        ValueError: a record cannot be placed (unreadable, several chapters in one record, or
            a record of that student already in the chapter's folder); nothing is moved then.
    """
    out = Path(out)
    flat = sorted((out / "records").glob("*.json")) if (out / "records").is_dir() else []
    moves: list[tuple[Path, Path]] = []
    chapters: set[int] = set()
    for path in flat:
        try:
            record = rec.parse_record(path.read_bytes())
        except (OSError, rec.RecordError) as exc:
            raise ValueError(
                f"-o: {out} holds records in the old single-chapter layout, and {path.name} "
                f"cannot be migrated ({exc}); move it away or grade into a new folder"
            ) from None
        found = _record_chapters(record)
        if len(found) != 1 or None in found:
            named = ", ".join(str(c) for c in sorted(c for c in found if c is not None))
            raise ValueError(
                f"-o: {out} holds records in the old single-chapter layout, and records/"
                f"{path.name} grades chapters {named or '(none)'} together, which cannot be "
                "split into one record per chapter; grade into a new folder"
            )
        chapter = found.pop()
        target = records_dir(out, chapter) / path.name
        if target.exists():
            raise ValueError(
                f"-o: {out} holds records in the old single-chapter layout, and records/"
                f"{path.name} would replace {target.relative_to(out)}; move one of them away"
            )
        moves.append((path, target))
        chapters.add(chapter)
    for path, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    if moves or (out / "feedback").is_dir():
        shutil.rmtree(out / "feedback", ignore_errors=True)
        for name in ("report.html", "report.png"):
            (out / name).unlink(missing_ok=True)
    return sorted(chapters)


@dataclass
class CourseTable:
    """Every chapter's records: ``exercises[chapter]`` lists ``(id, points)`` in order,
    ``records[chapter][student]`` the record, ``missing[chapter][student]`` the status of a
    student in the chapter's roster without a record; ``written[chapter]`` lists the columns
    ``(name, points)`` of the chapter's projects' written parts, marked by hand, and
    ``manual[student][column]`` the marks (:mod:`~genolearn.grading.manual`)."""

    chapters: list[int] = field(default_factory=list)
    exercises: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    records: dict[int, dict[str, dict]] = field(default_factory=dict)
    missing: dict[int, dict[str, str]] = field(default_factory=dict)
    written: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    manual: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def students(self) -> list[str]:
        found = {s for ch in self.chapters for s in (*self.records[ch], *self.missing[ch])}
        return sorted(found)

    def chapter_max(self, chapter: int) -> float:
        written = sum(points for _, points in self.written.get(chapter, ()))
        return float(sum(points for _, points in self.exercises[chapter]) + written)

    def chapter_score(self, chapter: int, student: str) -> float | None:
        """The student's chapter total — the record's score plus the marks given by hand —
        or ``None`` when there is neither (no grade)."""
        record = self.records[chapter].get(student)
        marks = self.manual.get(student, {})
        by_hand = [marks[c] for c, _ in self.written.get(chapter, ()) if c in marks]
        if record is None and not by_hand:
            return None
        return round((record["score"] if record else 0.0) + sum(by_hand), 6)


def course_table(out: Path) -> tuple[CourseTable, list[str]]:
    """The :class:`CourseTable` of ``OUT`` and a sentence per record file that was skipped.

    A chapter with a roster contributes the students of its last run; without one (migrated
    folders), every record."""
    from genolearn.exercises import all_exercises, all_projects
    from genolearn.grading.manual import read_manual

    table, problems = CourseTable(), []
    base = Path(out) / "records"
    folders = sorted(base.glob("ch[0-9][0-9]")) if base.is_dir() else []
    for folder in folders:
        chapter = int(folder.name[2:])
        records, bad = rec.load_records(folder)
        problems += [f"records/{folder.name}/{p}" for p in bad]
        roster = read_roster(out, chapter)
        students, missing = roster if roster is not None else (sorted(records), {})
        kept = {s: records[s] for s in students if s in records}
        missing = {s: why for s, why in missing.items() if s not in kept}
        if not kept and not missing:
            continue
        registered = all_exercises(chapter, projects=True)
        order = [ex.id for ex in registered]
        points: dict[str, float] = {}
        for record in kept.values():
            for e in record["exercises"]:
                points.setdefault(e["id"], float(e["max_score"]))
        if not kept:  # only students the grader could not grade: the registry's columns
            points = {ex.id: float(ex.points) for ex in registered}
        ids = [i for i in order if i in points] + sorted(set(points) - set(order))
        table.chapters.append(chapter)
        table.exercises[chapter] = [(i, points[i]) for i in ids]
        table.records[chapter], table.missing[chapter] = kept, missing
        table.written[chapter] = [
            (p.written_column, float(p.written_points))
            for p in all_projects(chapter)
            if p.written_points and p.id in points
        ]
    maxima = {c: m for ch in table.chapters for c, m in table.written[ch]}
    table.manual, bad_marks = read_manual(out, maxima)
    problems += bad_marks
    return table, problems


def _number(x: float) -> str:
    return f"{x:g}"


def course_csv(table: CourseTable) -> str:
    """The course gradebook: one row per student; per chapter a column per exercise, one per
    project's written part (marked by hand, from ``manual.csv``), the chapter's total
    (``chN total``, marks by hand included) and status (``chN status``); then the course
    ``total``, its ``max`` (every chapter's points, so a chapter not submitted counts 0) and
    ``review``."""
    header = ["student"]
    for ch in table.chapters:
        header += [i for i, _ in table.exercises[ch]] + [c for c, _ in table.written[ch]]
        header += [f"ch{ch} total", f"ch{ch} status"]
    header += ["total", "max", "review"]
    course_max = sum(table.chapter_max(ch) for ch in table.chapters)
    rows = []
    for student in table.students:
        row, total, review = [student], 0.0, []
        for ch in table.chapters:
            record = table.records[ch].get(student)
            ids = [i for i, _ in table.exercises[ch]]
            marks = table.manual.get(student, {})
            written = [_number(marks[c]) if c in marks else "" for c, _ in table.written[ch]]
            score = table.chapter_score(ch, student)
            total += score or 0.0
            if record is None:
                status = table.missing[ch].get(student, "no submission")
                row += [""] * len(ids) + written + ["" if score is None else _number(score)]
                row.append(status)
                continue
            scores = {e["id"]: e["score"] for e in record["exercises"]}
            row += [_number(scores[i]) if i in scores else "" for i in ids] + written
            row += [_number(score), record["status"]]
            review += record["review"]
        rows.append([*row, _number(round(total, 6)), _number(course_max), "; ".join(review)])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
