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

# Imported on first use (PEP 562): the sandbox's worker imports genolearn.grading.worker,
# which must not pay for the grader, jsonschema and the rest at every submission's start.
_EXPORTS = {
    "Call": "genolearn.grading.results",
    "CallResult": "genolearn.grading.results",
    "CaseResult": "genolearn.grading.results",
    "CourseRun": "genolearn.grading.grader",
    "GradeRun": "genolearn.grading.grader",
    "GradeTask": "genolearn.grading.task",
    "Isolation": "genolearn.grading.limits",
    "Limits": "genolearn.grading.limits",
    "ProtocolError": "genolearn.grading.protocol",
    "RecordError": "genolearn.grading.records",
    "STATUSES": "genolearn.grading.results",
    "SandboxError": "genolearn.grading.results",
    "Scan": "genolearn.grading.submissions",
    "SecretError": "genolearn.grading.seeds",
    "StudentError": "genolearn.grading.results",
    "Submission": "genolearn.grading.submissions",
    "SubmissionResult": "genolearn.grading.results",
    "Unsupported": "genolearn.grading.protocol",
    "checks_version": "genolearn.grading.task",
    "default_limits": "genolearn.grading.grader",
    "find_submissions": "genolearn.grading.submissions",
    "grade_class": "genolearn.grading.grader",
    "gradebook_csv": "genolearn.grading.gradebook",
    "parse_record": "genolearn.grading.records",
    "read_secret": "genolearn.grading.seeds",
    "run_submission": "genolearn.grading.sandbox",
    "run_task": "genolearn.grading.task",
    "secret_fingerprint": "genolearn.grading.seeds",
    "student_id": "genolearn.grading.submissions",
    "student_seed": "genolearn.grading.seeds",
    "write_report": "genolearn.grading.report",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
