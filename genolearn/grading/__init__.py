"""Instructor tools: release student notebooks, run submissions in a sandbox, grade them.

The sandbox (:func:`run_submission`) is the only place the grader meets student code, and it
never runs it in the grader's own process; results come back as validated JSON
(:mod:`genolearn.grading.protocol`), never pickle. Isolation and limits live in
:mod:`genolearn.grading.limits`, the program that runs in the sandbox in
:mod:`genolearn.grading.worker`.

The instructor workflow (``genolearn grade``) is :func:`grade_class`: submissions are found
(:mod:`~genolearn.grading.submissions`), each student's hidden cases are seeded from a secret
(:mod:`~genolearn.grading.seeds`), each student is one task (:mod:`~genolearn.grading.task`)
run locally or on a Dask cluster (:mod:`~genolearn.grading.distributed`), records are written
atomically (:mod:`~genolearn.grading.records`) per chapter of a course folder
(:mod:`~genolearn.grading.course`) and assembled into gradebooks, feedback
(:mod:`~genolearn.grading.gradebook`, :mod:`~genolearn.grading.pages`), a class report
(:mod:`~genolearn.grading.report`) and LMS import files (:mod:`~genolearn.grading.lms`).
"""

from genolearn.grading.gradebook import gradebook_csv
from genolearn.grading.grader import CourseRun, GradeRun, default_limits, grade_class
from genolearn.grading.limits import Isolation, Limits
from genolearn.grading.protocol import ProtocolError, Unsupported
from genolearn.grading.records import RecordError, parse_record
from genolearn.grading.report import write_report
from genolearn.grading.results import (
    STATUSES,
    Call,
    CallResult,
    CaseResult,
    SandboxError,
    StudentError,
    SubmissionResult,
)
from genolearn.grading.sandbox import run_submission
from genolearn.grading.seeds import SecretError, read_secret, secret_fingerprint, student_seed
from genolearn.grading.submissions import Scan, Submission, find_submissions, student_id
from genolearn.grading.task import GradeTask, checks_version, run_task

__all__ = [
    "STATUSES",
    "Call",
    "CallResult",
    "CaseResult",
    "CourseRun",
    "GradeRun",
    "GradeTask",
    "Isolation",
    "Limits",
    "ProtocolError",
    "RecordError",
    "SandboxError",
    "Scan",
    "SecretError",
    "StudentError",
    "Submission",
    "SubmissionResult",
    "Unsupported",
    "checks_version",
    "default_limits",
    "find_submissions",
    "grade_class",
    "gradebook_csv",
    "parse_record",
    "read_secret",
    "run_submission",
    "run_task",
    "secret_fingerprint",
    "student_id",
    "student_seed",
    "write_report",
]
