"""Per-student result records: the grader's durable, verifiable memory.

A **record** (``OUT/records/<student>.json``) is everything the grader concluded about one
student. The coordinator writes it atomically (temporary file, ``fsync``, ``os.replace``, see
:func:`write_atomic`) as soon as that student is finished, so a grader killed at any moment —
even by SIGKILL — leaves only complete records behind, and a rerun skips the students they
cover. Every record is validated (:func:`parse_record`) when it arrives from a worker and when
it is read back::

    {"format": "genolearn-grade-record/1", "student": "alice", "source": "alice.ipynb",
     "submission_sha256": "…", "secret_fingerprint": "…", "checks_version": "…",
     "status": "graded", "reason": "", "score": 7.0, "max_score": 10.0,
     "review": ["forbidden: ch1.sigmoid"], "notes": ["cell 12 raised NameError: …"],
     "exercises": [{"id": "ch1.sigmoid", "status": "failed", "score": 0.0, "max_score": 2.0,
                    "case_set": "…", "case": "|z| up to 1000", "input": "…", "expected": "…",
                    "got": "…", "problem": "…", "hint": "…", "diagnosis": "…", …}, …]}

The coordinator adds where each exercise sits in the notebook as the learner sees it
(``"cell"``: its code cell, counting code cells only) and the ``"chapter"`` graded; records live
in ``OUT/records/chNN/`` (:mod:`~genolearn.grading.course`).

``submission_sha256`` is the hash of the bytes graded, ``secret_fingerprint`` names the secret
(:func:`~genolearn.grading.seeds.secret_fingerprint`) and ``checks_version`` the checks
(:func:`~genolearn.grading.task.checks_version`); the secret itself is never stored.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "EXERCISE_STATUSES",
    "RECORD_FORMAT",
    "RECORD_SCHEMA",
    "STUDENT_STATUSES",
    "RecordError",
    "dump_record",
    "load_records",
    "parse_record",
    "remove_temporary_files",
    "write_atomic",
]

RECORD_FORMAT = "genolearn-grade-record/1"
STUDENT_STATUSES = ("graded", "invalid notebook", "submission problem", "wrong chapter")
EXERCISE_STATUSES = (
    "passed",
    "failed",
    "not implemented",
    "error",
    "timeout",
    "memory",
    "too large",
    "crashed",
    "not found",
    "invalid notebook",
    "no submission",
    "wrong chapter",
)
_TEXT = {"type": "string", "maxLength": 20_000}
_SCORE = {"type": "number", "minimum": 0}
_EXERCISE = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "title",
        "status",
        "score",
        "max_score",
        "n_cases",
        "n_passed",
        "case_set",
        "case",
        "case_number",
        "input",
        "expected",
        "got",
        "reason",
        "problem",
        "hint",
        "diagnosis",
        "review",
    ],
    "properties": {
        "id": _TEXT,
        "title": _TEXT,
        "status": {"enum": list(EXERCISE_STATUSES)},
        "score": _SCORE,
        "max_score": _SCORE,
        "n_cases": {"type": "integer", "minimum": 0},
        "n_passed": {"type": "integer", "minimum": 0},
        "case_set": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
        "case_number": {"type": ["integer", "null"], "minimum": 1},
        "cell": {"type": ["integer", "null"], "minimum": 1},  # optional: the code cell
        **{k: _TEXT for k in ("case", "input", "expected", "got", "reason", "problem")},
        **{k: _TEXT for k in ("hint", "diagnosis", "review")},
    },
}
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "student",
        "source",
        "submission_sha256",
        "secret_fingerprint",
        "checks_version",
        "status",
        "reason",
        "score",
        "max_score",
        "review",
        "notes",
        "exercises",
    ],
    "properties": {
        "format": {"const": RECORD_FORMAT},
        "student": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$"},
        "source": _TEXT,
        "submission_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "secret_fingerprint": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "checks_version": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "status": {"enum": list(STUDENT_STATUSES)},
        "reason": _TEXT,
        "score": _SCORE,
        "max_score": _SCORE,
        "review": {"type": "array", "items": _TEXT, "maxItems": 1000},
        "notes": {"type": "array", "items": _TEXT, "maxItems": 100},
        "exercises": {"type": "array", "items": _EXERCISE, "maxItems": 1000},
        "chapter": {"type": "integer", "minimum": 0},  # optional: set by the coordinator
    },
}
_MAX_RECORD_BYTES = 16 * 2**20


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    """The record schema's validator, built once (``jsonschema.validate`` checks the schema
    itself at every call: 80 ms a record, most of a class's grading time in the coordinator)."""
    import jsonschema

    cls = jsonschema.validators.validator_for(RECORD_SCHEMA)
    cls.check_schema(RECORD_SCHEMA)
    return cls(RECORD_SCHEMA)


class RecordError(ValueError):
    """A record is malformed or does not belong to the submission it claims to grade."""


def dump_record(record: Mapping[str, Any]) -> str:
    """The canonical JSON text of a record (sorted keys, ASCII, no NaN): equal records give
    equal bytes."""
    return json.dumps(record, sort_keys=True, indent=1, ensure_ascii=True, allow_nan=False) + "\n"


def _no_constant(name: str) -> Any:
    raise RecordError(f"a record may not contain {name}")


def parse_record(text: str | bytes, *, expect: Mapping[str, Any] | None = None) -> dict:
    """Parse and validate a record.

    Checks the JSON schema (:data:`RECORD_SCHEMA`), that scores add up and stay within their
    maximum, and, for each key in ``expect`` (``student``, ``submission_sha256``,
    ``secret_fingerprint``, ``checks_version``, ``exercises`` as ``[(id, max_score)]``), that
    the record matches it.

    Raises:
        RecordError: anything is off; the message says what.
    """
    import jsonschema

    if not isinstance(text, (str, bytes)):
        raise RecordError(f"a record must arrive as JSON text, not {type(text).__name__}")
    if len(text) > _MAX_RECORD_BYTES:
        raise RecordError(f"the record is larger than {_MAX_RECORD_BYTES} bytes")
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"the record is not valid JSON: {exc}") from None
    try:
        _validator().validate(record)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the record"
        raise RecordError(f"the record is malformed at {where}: {exc.message}") from None
    for ex in record["exercises"]:
        if ex["score"] > ex["max_score"] or ex["n_passed"] > ex["n_cases"]:
            raise RecordError(f"{ex['id']}: score or cases passed over the maximum")
    for key, parts in (("score", "score"), ("max_score", "max_score")):
        if not math.isclose(record[key], sum(e[parts] for e in record["exercises"]), abs_tol=1e-6):
            raise RecordError(f"the record's {key} is not the sum over its exercises")
    for key, want in (expect or {}).items():
        got = record[key]
        if key == "exercises":
            got = [(e["id"], e["max_score"]) for e in got]
            want = [(i, float(m)) for i, m in want]
        if got != want:
            raise RecordError(f"the record's {key} is {got!r}, but {want!r} was expected")
    return record


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that a reader (or a rerun after a crash) sees either the
    old file or the whole new one: temporary file in the same folder, ``fsync``,
    ``os.replace``, then ``fsync`` of the folder so the rename itself is durable.

    ``durable=False`` skips both ``fsync`` calls (still atomic for readers and after a killed
    process, not after a power cut): for files rebuilt from the records at every run."""
    path = Path(path)
    data = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if not durable:
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def remove_temporary_files(folder: str | os.PathLike[str]) -> int:
    """Delete temporary files a killed :func:`write_atomic` left in ``folder``; their count."""
    removed = 0
    for p in Path(folder).glob(".*.tmp"):
        p.unlink(missing_ok=True)
        removed += 1
    return removed


def load_records(folder: str | os.PathLike[str]) -> tuple[dict[str, dict], list[str]]:
    """Every valid record in ``folder`` by student, and a sentence for each file that is not
    one (those students are graded again)."""
    records: dict[str, dict] = {}
    problems: list[str] = []
    for p in sorted(Path(folder).glob("*.json")):
        try:
            record = parse_record(p.read_bytes())
            if p.stem != record["student"]:
                raise RecordError(f"it holds the record of {record['student']!r}")
        except (OSError, RecordError) as exc:
            problems.append(f"{p.name}: {exc}")
            continue
        records[record["student"]] = record
    return records, problems
