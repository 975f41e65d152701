"""What a check tells the learner: a :class:`Report` with the first failing case explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome", "Report"]

PASSED, FAILED, NOT_IMPLEMENTED, ERROR = "passed", "failed", "not implemented", "error"


@dataclass
class Outcome:
    """What happened when the learner's function ran on one case.

    Exactly one of ``value`` (the returned value) or ``error`` (``"TypeError: ..."``) is
    meaningful, as told by ``raised``. ``warnings`` lists numerical warnings raised during the
    call; ``mutated`` names arguments the function changed in place.
    """

    value: Any = None
    raised: bool = False
    error_type: str = ""
    error: str = ""
    where: str = ""
    warnings: list[str] = field(default_factory=list)
    mutated: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The result of checking one exercise.

    ``status`` is ``"passed"``, ``"failed"``, ``"not implemented"`` or ``"error"`` (the learner's
    code raised). For a failure: ``case_label``, ``inputs``, ``expected``, ``got`` (short
    descriptions), ``problem`` (what differs) and ``hint`` (the diagnosed misconception, if
    any). ``diagnosis`` is the name of the matched catalogued mistake ("" if none). ``note``
    says which of the learner's other functions were replaced by references for this check.
    """

    exercise_id: str
    title: str
    status: str
    n_cases: int
    n_passed: int
    points: float
    max_points: float
    case_index: int | None = None
    case_label: str = ""
    inputs: str = ""
    expected: str = ""
    got: str = ""
    problem: str = ""
    hint: str = ""
    diagnosis: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for the gradebook and the student's JSON feedback file)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def text(self) -> str:
        head = f"{self.exercise_id} — {self.title}"
        note = f"\n  note:     {self.note}" if self.note else ""
        if self.status == PASSED:
            return f"✔ {head}: all {self.n_cases} test cases passed.{note}"
        if self.status == NOT_IMPLEMENTED:
            return (
                f"… {head}: not implemented yet. Replace the `raise NotImplementedError(...)` "
                f"line with your code, run the cell, then run this check again."
            )
        verb = "raised an exception" if self.status == ERROR else "failed"
        lines = [
            f"✘ {head}: {verb} on test case {self.case_index + 1} of {self.n_cases}"
            + (f" ({self.case_label})" if self.case_label else "")
            + f"; {self.n_passed} of {self.n_cases} cases passed.",
            f"  input:    {self.inputs}",
        ]
        if self.status == ERROR:
            lines.append(f"  error:    {self.problem}")
        else:
            lines += [
                f"  expected: {self.expected}",
                f"  got:      {self.got}",
                f"  problem:  {self.problem}",
            ]
        if self.hint:
            lines.append(f"  hint:     {self.hint}")
        return "\n".join(lines) + note

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__
