"""The instructor's grader: a class's submissions in, gradebook, feedback and report out.

:func:`grade_class` is what ``genolearn grade`` runs. It

1. finds the submissions (:func:`~genolearn.grading.submissions.find_submissions`) and hashes
   each notebook's bytes;
2. reuses every record in ``OUT/records`` that is up to date — same submission hash, same
   secret, same exercises — and grades the rest (or everyone, or one student, with
   ``regrade``), each student as one task (:mod:`~genolearn.grading.task`) on local worker
   processes or a Dask cluster (:mod:`~genolearn.grading.distributed`);
3. validates each record as it arrives and writes it atomically before taking the next, so a
   grader killed at any point (even by SIGKILL) resumes where it stopped: finished students are
   skipped, none is lost or counted twice;
4. rebuilds ``gradebook.csv``, ``feedback/<student>.json`` and the class report from the
   records, and lists every score that changed for students graded again.

The secret stays in this process: tasks carry per-exercise seeds
(:func:`~genolearn.grading.seeds.student_seed`), records only the secret's fingerprint.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolearn._validation import check_int, describe
from genolearn.exercises import Exercise, all_exercises
from genolearn.grading import gradebook as gb
from genolearn.grading import records as rec
from genolearn.grading.limits import Limits
from genolearn.grading.seeds import secret_fingerprint, student_seed
from genolearn.grading.submissions import Submission, find_submissions, read_notebook_bytes
from genolearn.grading.task import GradeTask, checks_version, grade

__all__ = ["GradeRun", "default_limits", "grade_class", "released_notebook_names"]

#: Chapters whose checks and notebooks import torch, which reserves ~600 MB of address space.
TORCH_CHAPTERS = frozenset({5})
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
    """The released notebooks' file names, by the house layout: the checks of
    ``genolearn/exercises/ch01_neuron.py`` belong to ``chapters/01_neuron/neuron.ipynb``."""
    names = set()
    for ex in exercises:
        module = getattr(ex.make_cases, "__module__", "") or ""
        last = module.rsplit(".", 1)[-1]
        if last[:2] == "ch" and last[2:4].isdigit() and last[4:5] == "_":
            names.add(last[5:] + ".ipynb")
    return sorted(names)


@dataclass
class GradeRun:
    """What :func:`grade_class` did.

    ``graded`` and ``reused`` are student ids; ``changes`` lists ``(student, exercise, old,
    new)`` for students graded again whose score changed; ``errors`` maps students the grader
    could not grade (not their fault: they have no record and are retried next run) to why;
    ``warnings`` and ``ignored`` are for the instructor.
    """

    out: Path
    students: list[str] = field(default_factory=list)
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    @property
    def gradebook(self) -> Path:
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
) -> GradeRun:
    """Grade every submission in ``submissions`` on the exercises of ``chapters`` into ``out``.

    Args:
        regrade: ``None`` (reuse up-to-date records), ``"all"``, or one student's id or name.
        workers: local worker processes (default: the CPUs this process may use).
        scheduler: a Dask scheduler address; tasks then run on that cluster instead.
        progress: show a progress bar on stderr.

    Raises:
        ValueError, FileNotFoundError: bad arguments (the message names the argument).
    """
    chapters = _check_chapters(chapters)
    exercises = [ex for ch in chapters for ex in all_exercises(ch)]
    empty = [ch for ch in chapters if not any(ex.chapter == ch for ex in exercises)]
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
    out = Path(out)
    scan = find_submissions(
        submissions, notebook_names=released_notebook_names(exercises), exclude=[out]
    )
    if not scan.submissions:
        skipped = "".join(f"; skipped {n} ({why})" for n, why in scan.ignored)
        raise ValueError(f"SUBMISSIONS: found no submissions in {submissions}{skipped}")
    students = [s.student for s in scan.submissions]
    regrade = _check_regrade(regrade, students, submissions)
    secret = secret.encode() if isinstance(secret, str) else secret
    lock = _lock(out)
    try:
        run = GradeRun(out, students=students, ignored=list(scan.ignored))
        runner = functools.partial(_runner, workers=workers, scheduler=scheduler)
        _Batch(run, exercises, limits).grade(scan.submissions, secret, regrade, progress, runner)
    finally:
        os.close(lock)
    return run


class _Batch:
    """One run's bookkeeping: which records are reused, which arrive, what is written."""

    def __init__(self, run: GradeRun, exercises: list[Exercise], limits: Limits):
        self.run, self.exercises, self.limits = run, exercises, limits
        self.version = checks_version(exercises)
        self.records_dir = run.out / "records"
        self.records_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.records_dir, run.out, run.out / "feedback"):  # left by a kill
            rec.remove_temporary_files(folder)
        self.old, problems = rec.load_records(self.records_dir)
        run.warnings += [f"ignored the unreadable record {p}" for p in problems]
        self.current: dict[str, dict] = {}
        self.expects: dict[str, dict] = {}

    def grade(self, submissions, secret, regrade, progress, runner) -> None:
        from tqdm import tqdm

        run, tasks = self.run, []
        for sub in submissions:
            task = _task(sub, self.exercises, secret, self.version, self.limits)
            expect = _expect(task, self.exercises)
            self.expects[sub.student] = expect | {"checks_version": self.version}
            record = self.old.get(sub.student)
            forced = regrade in ("all", sub.student)
            if record is not None and not forced and _matches(record, expect):
                self.current[sub.student] = record
                run.reused.append(sub.student)
            else:
                tasks.append(task)
        self._warn_stale()
        with tqdm(total=len(tasks), unit="student", file=sys.stderr, disable=not progress) as bar:
            remote = []
            for task in tasks:
                if task.notebook is None:  # no student code to run: graded right here
                    try:
                        self.accept(task.student, rec.dump_record(grade(task)))
                    except Exception as exc:  # a bug in a check; not the student's fault
                        self.accept(task.student, exc)
                    bar.update()
                else:
                    remote.append((task.student, task.to_json()))
            for student, result in runner(remote):
                self.accept(student, result)
                bar.update()
        self.finish()

    def accept(self, student: str, result: str | BaseException) -> None:
        """Validate one student's record and write it atomically, before taking the next."""
        if isinstance(result, BaseException):
            self.run.errors[student] = f"{type(result).__name__}: {result}"
            return
        try:
            record = rec.parse_record(result, expect=self.expects[student])
        except rec.RecordError as exc:
            self.run.errors[student] = f"rejected the record sent back: {exc}"
            return
        rec.write_atomic(self.records_dir / f"{student}.json", rec.dump_record(record))
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
        gb.write_outputs(run.out, self.current, run.students, ids, missing)
        write_report(
            [self.current[s] for s in run.students if s in self.current], self.exercises, run.out
        )
        absent = sorted(set(self.old) - set(run.students))
        if absent:
            run.warnings.append(
                f"kept the records of {len(absent)} student(s) no longer in SUBMISSIONS, left "
                f"out of the gradebook: {', '.join(absent[:10])}"
            )
