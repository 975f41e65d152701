"""A chapter's gradebook and the students' feedback files, assembled from the records.

``OUT/chNN/gradebook.csv`` has one row per student (sorted, no timestamps: the same
submissions and secret give the same bytes) and ``OUT/chNN/feedback/<student>.json`` is each
student's record without the grader's bookkeeping, plus the feedback in words; beside it the
same feedback as a page (``.html``) and a Markdown file (``.md``, :mod:`~genolearn.grading.pages`).
All are rebuilt from the records (:mod:`~genolearn.grading.records`) at the end of every run by
:func:`write_outputs`. The course gradebook is :mod:`~genolearn.grading.course`'s.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from genolearn.grading.records import write_atomic

__all__ = [
    "dump_feedback",
    "feedback",
    "grade_changes",
    "gradebook_csv",
    "write_outputs",
]


def _number(x: float) -> str:
    return f"{x:g}"


def gradebook_csv(
    records: Iterable[Mapping[str, Any]],
    exercise_ids: Sequence[str],
    *,
    missing: Mapping[str, str] | None = None,
) -> str:
    """The gradebook as CSV text: ``student``, one score column per exercise, ``total``,
    ``max``, ``status``, ``review``; one row per student, sorted by student.

    ``missing`` maps students without a record to the status their (empty) row shows.
    """
    rows = []
    for rec in records:
        scores = {e["id"]: e["score"] for e in rec["exercises"]}
        row = [rec["student"]]
        row += [_number(scores[i]) if i in scores else "" for i in exercise_ids]
        row += [_number(rec["score"]), _number(rec["max_score"]), rec["status"]]
        rows.append([*row, "; ".join(rec["review"])])
    for student, status in (missing or {}).items():
        rows.append([student, *[""] * len(exercise_ids), "", "", status, "grader error"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *exercise_ids, "total", "max", "status", "review"])
    writer.writerows(sorted(rows, key=lambda r: r[0]))
    return out.getvalue()


_STUDENT_KEYS = ("student", "chapter", "source", "submission_sha256", "status", "reason")
_STUDENT_KEYS += ("score",)
_STUDENT_KEYS += ("max_score", "review", "notes")
_EXERCISE_KEYS = ("id", "title", "cell", "status", "score", "max_score", "text", "n_cases")
_EXERCISE_KEYS += ("n_passed",)
_EXERCISE_KEYS += ("case_set", "case_number", "case", "input", "expected", "got", "reason")
_EXERCISE_KEYS += ("problem", "hint", "diagnosis", "review")


def _text(entry: Mapping[str, Any]) -> str:
    """The exercise's feedback in words, as the learner's own ``check`` would print it."""
    from genolearn.exercises import Report

    shown = entry["status"] in ("passed", "not implemented") or entry["case_number"] is not None
    if entry["status"] in ("passed", "failed", "not implemented", "error") and shown:
        index = entry["case_number"] - 1 if entry["case_number"] is not None else None
        report = Report(
            entry["id"], entry["title"], entry["status"], entry["n_cases"], entry["n_passed"],
            entry["score"], entry["max_score"], index, entry["case"], entry["input"],
            entry["expected"], entry["got"], entry["problem"], entry["hint"], entry["diagnosis"],
            entry["reason"],  # for a graded exercise: the note on substituted references
        )  # fmt: skip
        text = report.text()
    else:
        why = entry["reason"] or entry["problem"]
        text = f"✘ {entry['id']} — {entry['title']}: {entry['status']}: {why}"
    if entry.get("cell"):
        text += f"\n  where:    code cell {entry['cell']} (In [{entry['cell']}])"
    if entry["review"]:
        text += f"\n  review:   {entry['review']}"
    return text


def feedback(record: Mapping[str, Any]) -> dict[str, Any]:
    """The student-readable part of a record, summary first: their status, scores, reasons,
    notes and, per exercise, a ``text`` like their own ``check`` prints plus the fields it is
    made of (the one failing case shown, the case set's label). No secret, no fingerprints."""
    out = {k: record.get(k) for k in _STUDENT_KEYS}
    out["exercises"] = [
        {k: (_text(e) if k == "text" else e.get(k)) for k in _EXERCISE_KEYS}
        for e in record["exercises"]
    ]
    return out


def dump_feedback(record: Mapping[str, Any]) -> str:
    """The feedback file's text for ``record``: fields in reading order, UTF-8 JSON (ASCII
    escapes only if a student's output holds text that UTF-8 cannot encode)."""
    data = feedback(record)
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate decoded from the student's output
        text = json.dumps(data, indent=1, ensure_ascii=True, allow_nan=False) + "\n"
    return text


def grade_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str, float | None, float | None]]:
    """``(student, exercise, old score, new score)`` for every score that differs between two
    sets of records (``None``: the exercise was not in that record). Students missing from
    ``old`` are new, not changed."""
    changes = []
    for student in sorted(set(old) & set(new)):
        before = {e["id"]: e["score"] for e in old[student]["exercises"]}
        after = {e["id"]: e["score"] for e in new[student]["exercises"]}
        for ex in [*after, *(e for e in before if e not in after)]:
            if before.get(ex) != after.get(ex):
                changes.append((student, ex, before.get(ex), after.get(ex)))
    return changes


def write_outputs(
    out: Path,
    records: Mapping[str, Mapping[str, Any]],
    students: Sequence[str],
    exercise_ids: Sequence[str],
    missing: Mapping[str, str],
) -> None:
    """Write ``out/gradebook.csv`` and ``out/feedback/<student>.json|.html|.md`` for
    ``students`` (those in ``missing`` have no record: their row shows that status), and delete
    feedback files of students who are no longer graded, so the folder never shows stale
    feedback. ``out`` is the chapter's folder (``OUT/chNN``)."""
    from genolearn.grading.pages import feedback_html, feedback_markdown

    out.mkdir(parents=True, exist_ok=True)
    rows = [records[s] for s in students if s in records]
    write_atomic(out / "gradebook.csv", gradebook_csv(rows, exercise_ids, missing=missing))
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    for record in rows:
        student, data = record["student"], feedback(record)
        chapter = record.get("chapter")
        # Rebuilt from the durable records at every run: atomic, without fsync (600 fsyncs
        # for a class of 200 took seconds).
        write_atomic(folder / f"{student}.json", dump_feedback(record), durable=False)
        write_atomic(folder / f"{student}.html", feedback_html(data, chapter), durable=False)
        write_atomic(folder / f"{student}.md", feedback_markdown(data, chapter), durable=False)
    current = {r["student"] for r in rows}
    for path in folder.iterdir():
        if path.suffix in (".json", ".html", ".md") and path.stem not in current:
            path.unlink()
