"""One student's grading task: plain JSON in, one result record (JSON) out.

A :class:`GradeTask` carries what grading one student needs — the notebook's bytes, one seed
per exercise, the limits — and no secret. :func:`run_task` runs wherever the coordinator sends
it (a local worker process or a Dask worker): it draws each exercise's hidden cases from its
seed, computes the expected values with the reference implementations *in its own process*,
runs the notebook in the sandbox (:func:`~genolearn.grading.sandbox.run_submission`, a further
subprocess), compares outputs with :func:`~genolearn.exercises.evaluate` and returns the
student's record as a JSON string, which the coordinator validates
(:func:`~genolearn.grading.records.parse_record`) before writing it.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import inspect
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import genolearn
from genolearn.exercises import Exercise, evaluate, expected_outputs, get_exercise
from genolearn.grading.limits import Limits
from genolearn.grading.records import RECORD_FORMAT, dump_record
from genolearn.grading.results import Call, CallResult, SubmissionResult
from genolearn.grading.sandbox import run_submission
from genolearn.grading.seeds import case_set_label

__all__ = ["TASK_FORMAT", "GradeTask", "checks_version", "grade", "run_task"]

TASK_FORMAT = "genolearn-grade-task/1"
_CHECK_MODULES = (
    "genolearn.exercises.check",
    "genolearn.exercises.compare",
    "genolearn.exercises.contract",
    "genolearn.exercises.diagnose",
    "genolearn.exercises.feedback",
    "genolearn.exercises.registry",
    __name__,
)
_SANDBOX_STATUS = {  # sandbox status -> what the student reads
    "timeout": "timeout",
    "memory": "memory",
    "too_large": "too large",
    "crashed": "crashed",
    "not_found": "not found",
    "invalid_notebook": "invalid notebook",
}
_MAX_NOTES = 12


@functools.lru_cache(maxsize=32)
def _version_of(ids: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"genolearn {genolearn.__version__}\n".encode())
    modules = set(_CHECK_MODULES)
    for exercise_id in ids:
        ex = get_exercise(exercise_id)
        fields = (ex.id, ex.chapter, ex.function, float(ex.points), ex.rtol, ex.atol)
        digest.update(repr((*fields, ex.forbid, ex.warnings_fail)).encode() + b"\n")
        for fn in (ex.reference, ex.make_cases, *(m.implementation for m in ex.mistakes)):
            module = inspect.getmodule(fn)
            if module is not None and module.__name__.startswith("genolearn."):
                modules.add(module.__name__)
    for name in sorted(modules):
        digest.update(name.encode() + b"\n" + Path(sys.modules[name].__file__).read_bytes())
    return digest.hexdigest()[:16]


def checks_version(exercises: Sequence[Exercise]) -> str:
    """A fingerprint (16 hex digits) of everything that decides these exercises' grades: their
    definitions, the source of the modules holding their cases, references and mistakes, and
    the checking code. Records made under another version are reported as out of date."""
    return _version_of(tuple(ex.id for ex in exercises))


@dataclass(frozen=True)
class GradeTask:
    """What grading one student needs (no secret: seeds are derived by the coordinator).

    Exactly one of ``notebook`` (the submitted bytes) and ``problem`` (why there is nothing to
    grade) is set. ``seeds`` pairs each exercise id with the seed of its hidden cases.
    ``sha256`` is the submission's hash (of ``notebook``, or of ``problem``).
    """

    student: str
    source: str
    sha256: str
    seeds: tuple[tuple[str, int], ...]
    checks_version: str
    secret_fingerprint: str
    limits: Limits
    notebook: bytes | None = None
    problem: str = ""
    note: str = ""

    def to_json(self) -> str:
        """The task as JSON (the notebook base64-encoded)."""
        data = dataclasses.asdict(self)
        data["format"] = TASK_FORMAT
        data["limits"] = dataclasses.asdict(self.limits)
        data["seeds"] = [list(s) for s in self.seeds]
        if self.notebook is not None:
            data["notebook"] = base64.b64encode(self.notebook).decode("ascii")
        return json.dumps(data, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> GradeTask:
        """Parse :meth:`to_json`'s output (``ValueError`` if it is not a task)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.pop("format", None) != TASK_FORMAT:
            raise ValueError(f"not a grading task (format {TASK_FORMAT!r} expected)")
        data["limits"] = Limits(**data["limits"])
        data["seeds"] = tuple((str(i), int(s)) for i, s in data["seeds"])
        if data["notebook"] is not None:
            data["notebook"] = base64.b64decode(data["notebook"], validate=True)
        return cls(**data)


def _entry(ex: Exercise, seed: int, version: str, n_cases: int) -> dict[str, Any]:
    return {
        "id": ex.id,
        "title": ex.title,
        "status": "",
        "score": 0.0,
        "max_score": float(ex.points),
        "n_cases": n_cases,
        "n_passed": 0,
        "case_set": case_set_label(seed, version),
        "case": "",
        "case_number": None,
        "input": "",
        "expected": "",
        "got": "",
        "reason": "",
        "problem": "",
        "hint": "",
        "diagnosis": "",
        "review": "",
    }


def _graded(entry: dict, ex: Exercise, cases: list, expected: list, call: CallResult) -> None:
    """Fill ``entry`` from the sandbox's result for one exercise."""
    evaluable = call.ran or (call.status == "error" and len(call.cases) == len(cases))
    if not evaluable:
        entry["status"] = _SANDBOX_STATUS.get(call.status, "crashed")
        entry["reason"] = call.reason
        return
    report = evaluate(ex, cases, [c.to_outcome() for c in call.cases], expected)
    entry.update(
        status=report.status,
        score=float(report.points),
        n_passed=report.n_passed,
        case=report.case_label,
        case_number=None if report.case_index is None else report.case_index + 1,
        input=report.inputs,
        expected=report.expected,
        got=report.got,
        problem=report.problem,
        hint=report.hint,
        diagnosis=report.diagnosis,
        reason=report.note,  # which reference functions replaced the student's own
    )
    if call.status == "forbidden_flag":
        entry["review"] = call.reason


def _notes(task: GradeTask, result: SubmissionResult | None) -> list[str]:
    notes = [task.note] if task.note else []
    if result is not None:
        notes += list(result.notes)
        for err in result.cell_errors:
            where = f" (line {err.line})" if err.line else ""
            notes.append(f"cell {err.cell} raised {err.type}{where}: {err.message[:300]}")
        for call in result.calls:
            notes += list(call.notes)
    if len(notes) > _MAX_NOTES:
        notes = [*notes[: _MAX_NOTES - 1], f"... and {len(notes) - _MAX_NOTES + 1} more notes"]
    return notes


def _run_sandbox(task: GradeTask, calls: list[Call]) -> SubmissionResult:
    folder = tempfile.mkdtemp(prefix="genolearn-grade-")
    try:
        path = Path(folder) / "submission.ipynb"
        path.write_bytes(task.notebook)
        return run_submission(path, calls, limits=task.limits)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade(task: GradeTask) -> dict[str, Any]:
    """Grade one student: the record (plain data) described in
    :mod:`genolearn.grading.records`.

    Raises:
        RuntimeError: this process's checks differ from the coordinator's (``checks_version``).
        genolearn.grading.SandboxError: the sandbox could not start (not the student's fault).
    """
    exercises = [get_exercise(i) for i, _ in task.seeds]
    mine = checks_version(exercises)
    if mine != task.checks_version:
        raise RuntimeError(
            f"this worker's checks (version {mine}) differ from the coordinator's "
            f"({task.checks_version}): install the same genolearn on every worker"
        )
    seeds = [s for _, s in task.seeds]
    cases = [
        ex.make_cases(np.random.default_rng(s)) for ex, s in zip(exercises, seeds, strict=True)
    ]
    entries = [
        _entry(ex, s, mine, len(c)) for ex, s, c in zip(exercises, seeds, cases, strict=True)
    ]
    result, status, reason = None, "graded", ""
    if task.notebook is None:
        status, reason = "submission problem", task.problem
        for entry in entries:
            entry.update(status="no submission", reason=task.problem)
    else:
        expected = [expected_outputs(ex, c) for ex, c in zip(exercises, cases, strict=True)]
        calls = [Call.from_exercise(ex, c) for ex, c in zip(exercises, cases, strict=True)]
        result = _run_sandbox(task, calls)
        if result.notebook_error is not None:
            status, reason = "invalid notebook", result.notebook_error
        for entry, ex, c, exp, call in zip(
            entries, exercises, cases, expected, result.calls, strict=True
        ):
            _graded(entry, ex, c, exp, call)
    review = [f"forbidden: {e['id']}" for e in entries if e["review"]]
    if result is not None and any("result channel" in n for n in result.notes):
        review.append("forged result lines")
    return {
        "format": RECORD_FORMAT,
        "student": task.student,
        "source": task.source,
        "submission_sha256": task.sha256,
        "secret_fingerprint": task.secret_fingerprint,
        "checks_version": mine,
        "status": status,
        "reason": reason,
        "score": round(sum(e["score"] for e in entries), 6),
        "max_score": round(sum(e["max_score"] for e in entries), 6),
        "review": review,
        "notes": _notes(task, result),
        "exercises": entries,
    }


def run_task(payload: str) -> str:
    """Grade the task in ``payload`` (:meth:`GradeTask.to_json`) and return the record as JSON.

    This is the function the coordinator sends to local workers and to Dask workers; only
    strings cross the process boundary.
    """
    if not isinstance(payload, str):
        raise TypeError(f"payload must be a JSON str, but got {type(payload).__name__}")
    return dump_record(grade(GradeTask.from_json(payload)))
