"""One chapter's grading run: which records are reused, which arrive, what is written.

:func:`~genolearn.grading.grader.grade_class` makes one :class:`Batch` per chapter. A batch
reads and writes only that chapter's folders (``OUT/records/chNN``, ``OUT/chNN``,
:mod:`~genolearn.grading.course`). Each student's task either reuses an up-to-date record, is
graded here without a sandbox (nothing to run: a submission problem, or a notebook that looks
like another chapter — status ``"wrong chapter"``), or is sent to the workers. Every record is
validated as it arrives, put in the learner's terms (:func:`~genolearn.grading.locate.localize`)
and written atomically before the next is taken.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolearn.exercises import Exercise
from genolearn.grading import course
from genolearn.grading import gradebook as gb
from genolearn.grading import records as rec
from genolearn.grading.limits import Limits
from genolearn.grading.locate import Layout, localize, registry_functions
from genolearn.grading.task import GradeTask, checks_version, grade

__all__ = ["Batch", "GradeRun"]

Runner = Callable[[list[tuple[str, str]]], Iterable[tuple[str, str | BaseException]]]


@dataclass
class GradeRun:
    """What grading one chapter did.

    ``graded`` and ``reused`` are student ids; ``changes`` lists ``(student, exercise, old,
    new)`` for students graded again whose score changed; ``errors`` maps students the grader
    could not grade (not their fault: they have no record and are retried next run) to why;
    ``wrong_chapter`` maps students whose notebook looks like another chapter to that chapter;
    ``warnings`` and ``ignored`` are for the instructor.
    """

    out: Path
    chapter: int
    students: list[str] = field(default_factory=list)
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    wrong_chapter: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """``OUT/chNN``: the chapter's gradebook, feedback and report."""
        return course.chapter_dir(self.out, self.chapter)

    @property
    def gradebook(self) -> Path:
        return self.folder / "gradebook.csv"


def _expect(task: GradeTask, exercises: list[Exercise]) -> dict[str, Any]:
    return {
        "student": task.student,
        "submission_sha256": task.sha256,
        "secret_fingerprint": task.secret_fingerprint,
        "exercises": [(ex.id, ex.points) for ex in exercises],
    }


def _matches(record: dict, expect: dict[str, Any]) -> bool:
    try:
        rec.parse_record(rec.dump_record(record), expect=expect)
    except rec.RecordError:
        return False
    return True


def wrong_chapter_message(
    layout: Layout, chapter: int, other: int, notebook_names: list[str]
) -> str:
    """What a student reads when their notebook looks like chapter ``other``."""
    name = f" ({', '.join(notebook_names)})" if notebook_names else ""
    return (
        f"this looks like chapter {other}, not chapter {chapter}: {layout.evidence()}. It was "
        f"not graded; submit your chapter {chapter} notebook{name}."
    )


class Batch:
    """One chapter's run (see the module docstring)."""

    def __init__(
        self,
        run: GradeRun,
        exercises: list[Exercise],
        limits: Limits,
        layouts: dict[str, Layout | None],
        notebook_names: list[str],
    ):
        self.run, self.exercises, self.limits = run, exercises, limits
        self.layouts, self.names = layouts, notebook_names
        self.functions = {ex.id: ex.function for ex in exercises}
        self.version = checks_version(exercises)
        self.records_dir = course.records_dir(run.out, run.chapter)
        self.records_dir.mkdir(parents=True, exist_ok=True)
        folder = run.folder
        for path in (self.records_dir, run.out, folder, folder / "feedback"):  # left by a kill
            if path.is_dir():
                rec.remove_temporary_files(path)
        self.old, problems = rec.load_records(self.records_dir)
        run.warnings += [f"ignored the unreadable record {p}" for p in problems]
        self.current: dict[str, dict] = {}
        self.expects: dict[str, dict] = {}

    def _local(self, task: GradeTask) -> str | BaseException:
        """Grade a task that runs no student code (no notebook, or the wrong chapter)."""
        try:
            record = grade(task)
        except Exception as exc:  # a bug in a check; not the student's fault
            return exc
        if task.student in self.run.wrong_chapter:
            record["status"] = "wrong chapter"
            for entry in record["exercises"]:
                entry["status"] = "wrong chapter"
        return rec.dump_record(record)

    def grade(self, tasks: list[GradeTask], regrade: str | None, progress: bool, runner: Runner):
        from tqdm import tqdm

        run, todo = self.run, []
        own = set(self.functions.values())
        for task in tasks:
            layout = self.layouts.get(task.student)
            if task.notebook is not None and layout is not None:
                other = layout.looks_like(run.chapter, own, registry_functions)
                if other is not None:
                    run.wrong_chapter[task.student] = other
                    message = wrong_chapter_message(layout, run.chapter, other, self.names)
                    task = dataclasses.replace(task, notebook=None, problem=message)
            expect = _expect(task, self.exercises)
            self.expects[task.student] = expect | {"checks_version": self.version}
            record = self.old.get(task.student)
            forced = regrade in ("all", task.student)
            if record is not None and not forced and _matches(record, expect):
                self.current[task.student] = record
                run.reused.append(task.student)
            else:
                todo.append(task)
        self._warn_stale()
        bar = tqdm(total=len(todo), unit="student", file=sys.stderr, disable=not progress)
        with bar:
            remote = []
            for task in todo:
                if task.notebook is None:
                    self.accept(task.student, self._local(task))
                    bar.update()
                else:
                    remote.append((task.student, task.to_json()))
            for student, result in runner(remote):
                self.accept(student, result)
                bar.update()
        self.finish()

    def accept(self, student: str, result: str | BaseException) -> None:
        """Validate one student's record, put it in the learner's terms and write it
        atomically, before taking the next."""
        if isinstance(result, BaseException):
            self.run.errors[student] = f"{type(result).__name__}: {result}"
            return
        try:
            record = rec.parse_record(result, expect=self.expects[student])
            localize(record, self.layouts.get(student), self.functions)
            record["chapter"] = self.run.chapter
            text = rec.dump_record(record)
            rec.parse_record(text)
        except rec.RecordError as exc:
            self.run.errors[student] = f"rejected the record sent back: {exc}"
            return
        rec.write_atomic(self.records_dir / f"{student}.json", text)
        self.current[student] = record
        self.run.graded.append(student)

    def _warn_stale(self) -> None:
        stale = sorted(
            s for s in self.run.reused if self.current[s]["checks_version"] != self.version
        )
        if stale:
            more = " …" if len(stale) > 5 else ""
            self.run.warnings.append(
                f"{len(stale)} record(s) were made by another version of the checks "
                f"({', '.join(stale[:5])}{more}); run with --regrade all to grade them again"
            )

    def finish(self) -> None:
        from genolearn.grading.report import write_report

        run = self.run
        run.graded.sort()
        regraded = {s: self.old[s] for s in run.graded if s in self.old}
        run.changes = gb.grade_changes(regraded, self.current)
        ids = [ex.id for ex in self.exercises]
        missing = dict.fromkeys(run.errors, "not graded")
        course.write_roster(run.out, run.chapter, run.students, missing)
        gb.write_outputs(run.folder, self.current, run.students, ids, missing)
        write_report(
            [self.current[s] for s in run.students if s in self.current], self.exercises, run.folder
        )
        absent = sorted(set(self.old) - set(run.students))
        if absent:
            run.warnings.append(
                f"kept the records of {len(absent)} student(s) no longer in SUBMISSIONS, left "
                f"out of the gradebook: {', '.join(absent[:10])}"
            )
