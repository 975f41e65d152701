"""What the sandbox returns: plain, frozen data about one run of a student's notebook.

:func:`~genolearn.grading.sandbox.run_submission` takes :class:`Call` objects and returns a
:class:`SubmissionResult` holding one :class:`CallResult` per call, each with one
:class:`CaseResult` per case. These classes hold no process state, so the grader can keep,
compare and serialize them without touching the sandbox's machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genolearn.grading.limits import Isolation

__all__ = [
    "STATUSES",
    "Call",
    "CallResult",
    "CaseResult",
    "SandboxError",
    "StudentError",
    "SubmissionResult",
]

#: Every status a :class:`CallResult` can have.
STATUSES = (
    "ok",  # every case ran and returned (the grader compares the outputs)
    "forbidden_flag",  # ran, but used a forbidden module: flagged for review, not failed
    "error",  # a case raised an exception
    "timeout",  # over the wall-time (or CPU-time) limit
    "memory",  # over the memory limit
    "too_large",  # an output over the size cap
    "crashed",  # the process exited or was killed, or the result was malformed
    "not_found",  # the function is not defined (or not a function)
    "invalid_notebook",  # the notebook could not be read at all
)


class SandboxError(RuntimeError):
    """The sandbox itself failed (the worker could not start): not the student's fault."""


@dataclass(frozen=True)
class Call:
    """One exercise to run: ``function(*args, **kwargs)`` for each case.

    ``cases`` holds ``(args, kwargs)`` pairs, mappings with ``args``/``kwargs`` keys, or objects
    with ``args``/``kwargs`` attributes such as :class:`genolearn.exercises.Case`. Inputs must be
    plain data (numbers, strings, numpy arrays, lists, tuples, dicts with string keys).
    ``forbid`` lists module prefixes (``"genolearn"``, ``"torch"``) whose use is flagged.
    ``substitute`` pairs a global name with a reference function (``"module:qualname"``) put
    in its place while the function runs (the exercise is graded in isolation).
    ``timeout_s``, when set, is this call's own wall-clock limit if it is longer than the
    grader's ``call_timeout_s`` (a project that trains a network declares what it needs).
    """

    exercise: str
    function: str
    cases: Sequence[Any]
    forbid: Sequence[str] = ()
    substitute: Sequence[tuple[str, str]] = ()
    timeout_s: float | None = None

    @classmethod
    def from_exercise(cls, exercise: Any, cases: Sequence[Any]) -> Call:
        """From a registry :class:`~genolearn.exercises.Exercise` and its cases."""
        substitute = tuple(getattr(exercise, "substitutes", ()))
        is_project = getattr(exercise, "is_project", False)
        timeout = getattr(exercise, "time_limit_s", None) if is_project else None
        return cls(
            exercise.id, exercise.function, tuple(cases), tuple(exercise.forbid), substitute,
            timeout,
        )  # fmt: skip


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, and where: ``cell`` counts all cells from 1."""

    type: str
    message: str
    cell: int | None = None
    line: int | None = None
    source: str | None = None

    def where(self) -> str:
        if self.cell is None:
            return ""
        code = f" (`{self.source.strip()}`)" if self.source and self.source.strip() else ""
        return f"cell {self.cell}, line {self.line}{code}"


@dataclass(frozen=True)
class CaseResult:
    """What one case returned: ``status`` is ``"ok"``, ``"error"`` or ``"too_large"``.

    ``output`` is the decoded value (numpy arrays, plain data, or
    :class:`~genolearn.grading.protocol.Unsupported`); ``mutated`` names changed inputs
    (``"argument 1"``); ``warnings`` the numerical warnings raised during the call.
    """

    index: int
    status: str
    output: Any = None
    error: StudentError | None = None
    mutated: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    duration_s: float = 0.0
    detail: str = ""

    def to_outcome(self) -> Any:
        """As a :class:`genolearn.exercises.Outcome`, for ``exercises.evaluate``."""
        from genolearn.exercises.feedback import Outcome

        if self.error is not None:
            where = f"line {self.error.line}: {self.error.source}" if self.error.line else ""
            return Outcome(
                raised=True, error_type=self.error.type, error=self.error.message, where=where
            )
        if self.status == "too_large":
            return Outcome(raised=True, error_type="OutputTooLarge", error=self.detail)
        return Outcome(value=self.output, warnings=list(self.warnings), mutated=list(self.mutated))


@dataclass(frozen=True)
class CallResult:
    """The result of one exercise call: ``status`` from :data:`STATUSES`, a ``reason`` a
    student understands (empty when ok), per-case results, and ``notes`` (e.g. a mutated
    input). ``forbidden`` lists forbidden functions/modules the code used."""

    exercise: str
    function: str
    status: str
    reason: str = ""
    cases: tuple[CaseResult, ...] = ()
    forbidden: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    duration_s: float = 0.0

    @property
    def outputs(self) -> list[Any]:
        return [c.output for c in self.cases]

    @property
    def ran(self) -> bool:
        """Every case returned a value (the outputs can be compared)."""
        return self.status in ("ok", "forbidden_flag")


@dataclass(frozen=True)
class SubmissionResult:
    """Everything :func:`run_submission` learned about one notebook.

    ``calls`` follow the order given; ``result["ch1.sigmoid"]`` finds one by exercise id.
    ``notebook_error`` is set when the notebook could not be read at all. ``cell_errors``
    are exceptions raised by top-level cells; ``notes`` say what the grader did about
    misbehaving cells or forged result lines; ``output`` is the start of what the notebook
    printed. ``workers`` counts the worker processes started (restarts included).
    """

    notebook: str
    calls: tuple[CallResult, ...]
    notebook_error: str | None = None
    cell_errors: tuple[StudentError, ...] = ()
    notes: tuple[str, ...] = ()
    output: str = ""
    isolation: Isolation | None = None
    workers: int = 0
    duration_s: float = 0.0

    def __getitem__(self, exercise: str) -> CallResult:
        for call in self.calls:
            if call.exercise == exercise:
                return call
        raise KeyError(f"no call for exercise {exercise!r}; have {[c.exercise for c in self]}")

    def __iter__(self):
        return iter(self.calls)
