"""The instructor's grader: a class's submissions in, gradebooks, feedback and reports out.

:func:`grade_class` is what ``genolearn grade`` runs. The output folder is a course
(:mod:`~genolearn.grading.course`): one folder of records per chapter. For each chapter it

1. finds the submissions (:func:`~genolearn.grading.submissions.find_submissions`), hashes each
   notebook's bytes and reads its layout without running it (:mod:`~genolearn.grading.locate`):
   a notebook that looks like another chapter is not run ("wrong chapter"), and a run where
   most do is refused before anything is written;
2. reuses every record in ``OUT/records/chNN`` that is up to date — same submission hash, same
   secret, same exercises — and grades the rest (or everyone, or one student, with
   ``regrade``), each student as one task (:mod:`~genolearn.grading.task`) on local worker
   processes or a Dask cluster (:mod:`~genolearn.grading.distributed`);
3. validates each record as it arrives and writes it atomically before taking the next
   (:mod:`~genolearn.grading.batch`), so a grader killed at any point (even by SIGKILL) resumes
   where it stopped: finished students are skipped, none is lost or counted twice;
4. rebuilds the chapter's gradebook, feedback (JSON, HTML, Markdown) and class report from its
   records, and lists every score that changed for students graded again.

Then the course gradebook and the LMS import files (:mod:`~genolearn.grading.lms`) are rebuilt
from every chapter's records. The secret stays in this process: tasks carry per-exercise seeds
(:func:`~genolearn.grading.seeds.student_seed`), records only the secret's fingerprint.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolearn._validation import check_int, describe
from genolearn.exercises import Exercise, all_exercises, notebook_name
from genolearn.grading import course, lms
from genolearn.grading import gradebook as gb
from genolearn.grading import records as rec
from genolearn.grading.batch import Batch, GradeRun
from genolearn.grading.limits import Limits
from genolearn.grading.lms import read_class_list
from genolearn.grading.locate import Layout, read_layout, registry_functions
from genolearn.grading.seeds import secret_fingerprint, student_seed
from genolearn.grading.submissions import Submission, find_submissions, read_notebook_bytes
from genolearn.grading.task import GradeTask, checks_version

__all__ = ["CourseRun", "GradeRun", "default_limits", "grade_class", "released_notebook_names"]

#: Chapters whose checks and notebooks import torch, which reserves ~600 MB of address space.
TORCH_CHAPTERS = frozenset({5, 6, 7, 8, 9})
DEFAULT_MEMORY_MB, TORCH_MEMORY_MB = 1024, 4096


def default_limits(
    chapters: Iterable[int],
    *,
    call_timeout_s: float | None = None,
    submission_timeout_s: float | None = None,
    memory_mb: int | None = None,
) -> Limits:
    """Sandbox limits for grading ``chapters``: :class:`Limits` defaults, with the memory limit
    raised to 4 GiB for the torch chapters; any argument given overrides."""
    chapters = set(chapters)
    memory = TORCH_MEMORY_MB if chapters & TORCH_CHAPTERS else DEFAULT_MEMORY_MB
    memory = memory if memory_mb is None else check_int(memory_mb, "--memory", low=64)
    fields: dict[str, Any] = {"memory_bytes": memory * 2**20}
    if call_timeout_s is not None:
        fields["call_timeout_s"] = call_timeout_s
    if submission_timeout_s is not None:
        fields["submission_timeout_s"] = submission_timeout_s
    return Limits(**fields)


def released_notebook_names(exercises: Iterable[Exercise]) -> list[str]:
    """The released notebooks' file names: Chapter 1's exercises belong to
    ``chapters/01_neuron/neuron.ipynb`` (the table :data:`genolearn.exercises.NOTEBOOKS`)."""
    return sorted({notebook_name(ex.chapter) for ex in exercises})


@dataclass
class CourseRun:
    """What :func:`grade_class` did: one :class:`~genolearn.grading.batch.GradeRun` per chapter
    graded (``run[2]`` is chapter 2's), and the course-level ``warnings`` (migration, records
    that could not be read)."""

    out: Path
    runs: dict[int, GradeRun] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, chapter: int) -> GradeRun:
        return self.runs[chapter]

    @property
    def gradebook(self) -> Path:
        """``OUT/gradebook.csv``: the course gradebook."""
        return self.out / "gradebook.csv"


def _check_chapters(chapters: Any) -> list[int]:
    if isinstance(chapters, int) or not isinstance(chapters, Sequence) or not chapters:
        raise ValueError(
            f"--chapter must be given at least once, e.g. --chapter 1, got {chapters!r}"
        )
    return sorted({check_int(c, "--chapter", low=0) for c in chapters})


def _task(
    sub: Submission,
    exercises: list[Exercise],
    secret: bytes,
    version: str,
    limits: Limits,
) -> GradeTask:
    notebook, problem = None, sub.problem
    if sub.path is not None:
        try:
            notebook = read_notebook_bytes(sub.path, limits.max_notebook_bytes)
        except OSError as exc:
            problem = f"{sub.source}: {exc.strerror or exc}"
    data = notebook if notebook is not None else f"problem: {problem}".encode()
    return GradeTask(
        student=sub.student,
        source=sub.source,
        sha256=hashlib.sha256(data).hexdigest(),
        seeds=tuple((ex.id, student_seed(secret, sub.student, ex.id)) for ex in exercises),
        checks_version=version,
        secret_fingerprint=secret_fingerprint(secret),
        limits=limits,
        notebook=notebook,
        problem=problem,
        note=sub.note,
    )


def _runner(tasks: list[tuple[str, str]], workers: int, scheduler: str | None):
    from genolearn.grading.distributed import run_dask, run_local

    return run_dask(tasks, scheduler) if scheduler else run_local(tasks, workers)


def _lock(out: Path) -> int:
    """Hold ``out/.lock`` for this run: a second grader on the same folder is refused (the
    kernel releases the lock when this process ends, even by SIGKILL)."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ValueError(f"-o: another genolearn grade is writing to {out}; wait for it") from None
    return fd


def _check_regrade(regrade: str | None, students: list[str], where: Any) -> str | None:
    if regrade in (None, "all"):
        return regrade
    from genolearn.grading.submissions import student_id

    sid = regrade if regrade in students else student_id(str(regrade))
    if sid not in students:
        more = " …" if len(students) > 10 else ""
        raise ValueError(
            f"--regrade: no student {regrade!r} in {where} (students: "
            f"{', '.join(students[:10])}{more})"
        )
    return sid


def _scan(submissions, out: Path, chapter: int, exercises, limits: Limits):
    """The chapter's submissions, the layout of each notebook (read, never run) and the
    notebook names released for the chapter."""
    names = released_notebook_names(exercises)
    scan = find_submissions(submissions, notebook_names=names, exclude=[out])
    layouts: dict[str, Layout | None] = {}
    for sub in scan.submissions:
        if sub.path is not None:
            try:
                layouts[sub.student] = read_layout(
                    read_notebook_bytes(sub.path, limits.max_notebook_bytes)
                )
            except OSError:
                layouts[sub.student] = None
    return scan, layouts, names


def _refuse_wrong_chapter(
    chapter: int, own: set[str], layouts: dict[str, Layout | None], where: Any
) -> None:
    """Refuse a run where most notebooks look like another chapter: --chapter is wrong."""
    wrong = {
        s: lay.looks_like(chapter, own, registry_functions)
        for s, lay in layouts.items()
        if lay is not None
    }
    wrong = {s: c for s, c in wrong.items() if c is not None}
    readable = sum(lay is not None for lay in layouts.values())
    if wrong and 2 * len(wrong) > readable:
        common = Counter(wrong.values()).most_common(1)[0][0]
        shown = ", ".join(f"{s}: chapter {c}" for s, c in sorted(wrong.items())[:5])
        raise ValueError(
            f"--chapter {chapter}: {len(wrong)} of {readable} notebooks in {where} look like "
            f"another chapter ({shown}{' …' if len(wrong) > 5 else ''}); did you mean "
            f"--chapter {common}? Nothing was graded."
        )


def grade_class(
    submissions: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    chapters: Sequence[int],
    secret: bytes | str,
    limits: Limits | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    regrade: str | None = None,
    progress: bool = False,
    class_list: str | os.PathLike[str] | None = None,
) -> CourseRun:
    """Grade every submission in ``submissions`` on the exercises of each of ``chapters``
    into the course folder ``out`` (layout: :mod:`~genolearn.grading.course`).

    Each chapter is graded on its own records; a notebook that looks like another chapter is
    not run and gets the status ``"wrong chapter"``, and a run where most do is refused.
    Afterwards the course gradebook and the LMS files are rebuilt from every chapter's records.

    Args:
        regrade: ``None`` (reuse up-to-date records), ``"all"``, or one student's id or name.
        workers: local worker processes (default: the CPUs this process may use).
        scheduler: a Dask scheduler address; tasks then run on that cluster instead.
        progress: show a progress bar on stderr.
        class_list: a CSV mapping student ids to LMS identities (:mod:`~genolearn.grading.lms`).

    Raises:
        ValueError, FileNotFoundError: bad arguments (the message names the argument).
    """
    chapters = _check_chapters(chapters)
    by_chapter = {ch: all_exercises(ch, projects=True) for ch in chapters}
    empty = [ch for ch, exs in by_chapter.items() if not exs]
    if empty:
        have = sorted({ex.chapter for ex in all_exercises()})
        raise ValueError(
            f"--chapter: no exercises are registered for chapter {', '.join(map(str, empty))} "
            f"(chapters with exercises: {', '.join(map(str, have))})"
        )
    limits = default_limits(chapters) if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, but got {describe(limits)}")
    workers = len(os.sched_getaffinity(0)) if workers is None else workers
    workers = check_int(workers, "--workers", low=1)
    people = None if class_list is None else read_class_list(class_list)
    out = Path(out)
    scans = {ch: _scan(submissions, out, ch, by_chapter[ch], limits) for ch in chapters}
    for ch, (scan, layouts, _) in scans.items():
        if not scan.submissions:
            skipped = "".join(f"; skipped {n} ({why})" for n, why in scan.ignored)
            raise ValueError(f"SUBMISSIONS: found no submissions in {submissions}{skipped}")
        _refuse_wrong_chapter(ch, {ex.function for ex in by_chapter[ch]}, layouts, submissions)
    everyone = sorted({s.student for scan, _, _ in scans.values() for s in scan.submissions})
    regrade = _check_regrade(regrade, everyone, submissions)
    secret = secret.encode() if isinstance(secret, str) else secret
    lock = _lock(out)
    try:
        result = CourseRun(out)
        migrated = course.migrate_old_layout(out)
        if migrated:
            result.warnings.append(
                f"moved the records of the single-chapter layout into records/chNN/ "
                f"(chapter {', '.join(map(str, migrated))}); their feedback is rebuilt there"
            )
            for ch in migrated:
                if ch not in chapters:
                    _rebuild_chapter(out, ch)
        runner = functools.partial(_runner, workers=workers, scheduler=scheduler)
        for ch, (scan, layouts, names) in scans.items():
            exercises = by_chapter[ch]
            students = [s.student for s in scan.submissions]
            run = GradeRun(out, ch, students=students, ignored=list(scan.ignored))
            version = checks_version(exercises)
            tasks = [_task(s, exercises, secret, version, limits) for s in scan.submissions]
            batch = Batch(run, exercises, limits, layouts, names)
            batch.grade(tasks, regrade, progress, runner)
            result.runs[ch] = run
        _write_course(out, people, result)
    finally:
        os.close(lock)
    return result


def _rebuild_chapter(out: Path, chapter: int) -> None:
    """Rebuild a chapter's outputs from its records alone (after a migration)."""
    from genolearn.grading.report import write_report

    records, _ = rec.load_records(course.records_dir(out, chapter))
    exercises = all_exercises(chapter, projects=True)
    for record in records.values():
        record.setdefault("chapter", chapter)
    students = sorted(records)
    course.write_roster(out, chapter, students, {})
    folder = course.chapter_dir(out, chapter)
    gb.write_outputs(folder, records, students, [ex.id for ex in exercises], {})
    write_report([records[s] for s in students], exercises, folder)


def _write_course(out: Path, people, result: CourseRun) -> None:
    """The course gradebook and the LMS files, from every chapter's records and the marks
    given by hand in ``manual.csv`` (to which a row per student and a column per project's
    written part are added; the instructor's cells are kept)."""
    from genolearn.grading.manual import update_manual

    table, problems = course.course_table(out)
    written = [column for ch in table.chapters for column, _ in table.written[ch]]
    result.warnings += update_manual(out, table.students, written)
    result.warnings += [f"left out of the course gradebook: {p}" for p in problems]
    rec.write_atomic(out / "gradebook.csv", course.course_csv(table))
    rec.write_atomic(out / "canvas.csv", lms.canvas_csv(table, people))
    rec.write_atomic(out / "moodle.csv", lms.moodle_csv(table, people))
