"""Run a student's notebook in a sandboxed subprocess and collect what each exercise returned.

:func:`run_submission` is the only place the grader meets student code, and it never runs it
in its own process. It

* first sweeps up what workers of an earlier, killed grader may have left
  (:func:`~genolearn.grading.lifetime.sweep`);
* reads the notebook (nothing else from the student's folder; a symlink is refused);
* runs it in one worker after another (:class:`~genolearn.grading.runner.Worker`): each a
  fresh process forked by the zygote of a jail kept for the grading process
  (:mod:`~genolearn.grading.pool`, :mod:`~genolearn.grading.zygote`; the jail,
  :mod:`~genolearn.grading.jail`: its own uid with no capabilities, its own mount, PID,
  network and IPC namespaces, rlimits per worker), read and timed by
  :class:`~genolearn.grading.reader.Reader`, killed with everything it started when done,
  and every writable place emptied before the next submission;
* after a timeout or crash in an exercise, starts a new worker for the remaining exercises
  (re-running the notebook); after one in a top-level cell, re-runs the notebook without it.
  One bad exercise costs only that exercise.

A grader that is not root builds the same jail inside a user namespace of its own
(``"userjail"``: the worker keeps the grader's uid on the host, but holds no capability and
sees none of the grader's files or processes). Where the jail cannot be built (no
namespaces, e.g. in a container without ``CAP_SYS_ADMIN``), a root grader runs workers as
their own uid without namespaces, if the Python installation is readable by any user, and
otherwise stops with a :class:`SandboxError` that says what to change; a grader that is not
root runs them as its own user, and the notes say so. Student code never runs with root's
rights unless the caller asks for it (``Limits(user="current")``).

Every :class:`CallResult` carries a ``reason`` written for the student.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolearn._validation import check_number, describe
from genolearn.grading import lifetime, protocol
from genolearn.grading.limits import Isolation, Limits, others_can_reach, runs_as_separate_user
from genolearn.grading.results import (
    STATUSES,
    Call,
    CallResult,
    CaseResult,
    SandboxError,
    StudentError,
    SubmissionResult,
)
from genolearn.grading.runner import Run, Worker

__all__ = [
    "STATUSES",
    "Call",
    "CallResult",
    "CaseResult",
    "SandboxError",
    "StudentError",
    "SubmissionResult",
    "run_submission",
]

#: Why the jail could not be built in this process (empty: it can); checked once.
_NO_JAIL: list[str] = []


# --------------------------------------------------------------------------- arguments


def _as_call(call: Any, i: int) -> Call:
    if isinstance(call, Mapping):
        try:
            call = Call(
                call["exercise"],
                call["function"],
                call["cases"],
                call.get("forbid", ()),
                tuple(tuple(p) for p in call.get("substitute", ())),
                call.get("timeout_s"),
            )
        except KeyError as exc:
            raise ValueError(f"calls[{i}] is missing the key {exc}") from None
    if not isinstance(call, Call):
        raise TypeError(f"calls[{i}] must be a Call or a mapping, but got {describe(call)}")
    for name in ("exercise", "function"):
        if not isinstance(getattr(call, name), str) or not getattr(call, name):
            raise TypeError(f"calls[{i}].{name} must be a non-empty str")
    if not call.function.isidentifier():
        raise ValueError(f"calls[{i}].function must be a Python name, got {call.function!r}")
    if isinstance(call.forbid, str) or not all(isinstance(p, str) for p in call.forbid):
        raise TypeError(f"calls[{i}].forbid must be a sequence of module names (str)")
    if call.timeout_s is not None:
        check_number(call.timeout_s, f"calls[{i}].timeout_s", low=0, low_inclusive=False)
    return call


def _encode_case(case: Any, where: str) -> dict[str, Any]:
    if isinstance(case, Mapping):
        args, kwargs = case.get("args", ()), case.get("kwargs", {})
    elif isinstance(case, tuple) and len(case) == 2 and isinstance(case[1], Mapping):
        args, kwargs = case
    else:
        args, kwargs = getattr(case, "args", None), getattr(case, "kwargs", {})
    if not isinstance(args, (tuple, list)) or not isinstance(kwargs, Mapping):
        raise TypeError(f"{where} must have args (a tuple) and kwargs (a dict): {describe(case)}")
    try:
        return {
            "args": protocol.encode(tuple(args), strict=True, max_bytes=2**31, max_items=2**31),
            "kwargs": protocol.encode(dict(kwargs), strict=True, max_bytes=2**31, max_items=2**31),
        }
    except TypeError as exc:
        raise TypeError(f"{where}: {exc}") from None


def _read_notebook(path: Path, cap: int) -> bytes:
    """The notebook's bytes; a symlink, a non-file or a file over ``cap`` is refused."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OSError(
            f"the file is larger than the {protocol.size_text(cap)} limit; clear its outputs "
            "(Kernel → Restart & Clear Output) and submit again"
        )
    return data


# --------------------------------------------------------------------------- one worker


# --------------------------------------------------------------------------- the submission


def run_submission(
    notebook_path: str | os.PathLike[str],
    calls: Sequence[Call | Mapping[str, Any]],
    *,
    limits: Limits | None = None,
) -> SubmissionResult:
    """Run the student's notebook in a sandbox and call each exercise function on its cases.

    Args:
        notebook_path: the submitted ``.ipynb`` (read once; a symlink is refused).
        calls: what to run, as :class:`Call` objects or mappings with the same keys.
        limits: time, memory and size limits; ``Limits()`` by default.

    Returns:
        A :class:`SubmissionResult` with one :class:`CallResult` per call, in order. Student
        mistakes never raise: they become statuses and reasons.

    Raises:
        TypeError, ValueError: ``calls`` or ``limits`` are malformed (the caller's mistake).
        SandboxError: the worker itself could not be started.
    """
    start = time.monotonic()
    lifetime.sweep()
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, but got {describe(limits)}")
    if not isinstance(notebook_path, (str, os.PathLike)):
        raise TypeError(f"notebook_path must be a path, but got {describe(notebook_path)}")
    if isinstance(calls, (str, Mapping)) or not isinstance(calls, Sequence):
        raise TypeError(f"calls must be a sequence of Call, but got {describe(calls)}")
    checked = [_as_call(c, i) for i, c in enumerate(calls)]
    encoded = [
        [_encode_case(case, f"calls[{i}].cases[{j}]") for j, case in enumerate(c.cases)]
        for i, c in enumerate(checked)
    ]
    path = Path(notebook_path)
    results: dict[int, CallResult] = {}

    def finish(**fields: Any) -> SubmissionResult:
        ordered = tuple(results[i] for i in range(len(checked)))
        return SubmissionResult(str(path), ordered, duration_s=time.monotonic() - start, **fields)

    try:
        source = _read_notebook(path, limits.max_notebook_bytes)
    except OSError as exc:
        reason = exc.strerror if exc.strerror and exc.filename else str(exc)
        if isinstance(exc, FileNotFoundError):
            reason = f"there is no file at {path}"
        return _unreadable(checked, results, f"the notebook could not be read: {reason}", finish)

    state = _Session(limits, source, checked, encoded, start + limits.submission_timeout_s)
    state.run_all()
    results.update(state.results)
    if state.fatal is not None:
        reason = f"the notebook could not be read: {state.fatal}"
        return _unreadable(
            checked, results, reason, finish, isolation=state.isolation, workers=state.workers
        )
    notebook = state.notebook or {}
    return finish(
        cell_errors=tuple(StudentError(**e) for e in notebook.get("errors", ())),
        notes=tuple(state.notes),
        output=notebook.get("stdout", ""),
        isolation=state.isolation,
        workers=state.workers,
    )


@dataclass
class _Session:
    """Workers, one after another, until every call has a result."""

    limits: Limits
    source: bytes
    calls: list[Call]
    encoded: list[list[dict[str, Any]]]
    deadline: float
    results: dict[int, CallResult] = dataclasses.field(default_factory=dict)
    skip: set[int] = dataclasses.field(default_factory=set)
    notes: list[str] = dataclasses.field(default_factory=list)
    notebook: dict[str, Any] | None = None
    isolation: Isolation | None = None
    fatal: str | None = None
    workers: int = 0

    def run_all(self) -> None:
        forged = 0
        while len(self.results) < len(self.calls) and self.fatal is None:
            pending = [(i, c, self.encoded[i]) for i, c in enumerate(self.calls)]
            pending = [p for p in pending if p[0] not in self.results]
            if time.monotonic() >= self.deadline:
                total = f"{self.limits.submission_timeout_s:g} s"
                for i, call, _ in pending:
                    reason = f"not run: the submission used up its total time limit of {total}"
                    self.results[i] = CallResult(call.exercise, call.function, "timeout", reason)
                break
            run = self._start(pending)
            self.workers += 1
            if not (run.results or run.skip_cell or run.fatal or run.note):
                i, call, _ = pending[0]  # guarantees progress even if the worker skipped a call
                reason = f"the sandbox finished without a result for {call.function}"
                run.results[i] = CallResult(call.exercise, call.function, "crashed", reason)
            self.isolation = run.isolation or self.isolation
            self.notebook = run.notebook or self.notebook
            self.results.update(run.results)
            self.notes += [run.note] if run.note else []
            self.fatal = run.fatal
            if run.skip_cell is not None:
                self.skip.add(run.skip_cell)
            forged += run.forged
        if forged:
            self.notes.append(
                f"ignored {forged} line(s) on the result channel without this job's token "
                "(printed or forged results never count)"
            )

    def _start(self, pending: list[tuple[int, Call, list]]) -> Run:
        mode = "current"
        if runs_as_separate_user(self.limits):
            mode = "plain" if _NO_JAIL else "jail"
        elif self.limits.user == "auto" and sys.platform.startswith("linux"):
            mode = "current" if _NO_JAIL else "userjail"
            if _NO_JAIL:
                self._note(
                    f"the jail could not be built ({_NO_JAIL[0]}), so the worker ran as the "
                    "grader's own user: it could read what the grader can"
                )
        if mode == "plain":
            self._check_plain()
        try:
            worker = Worker(self.limits, self.source, pending, mode, self.calls)
            return worker.run(self.skip, self.deadline)
        except SandboxError as exc:
            why = [ln for ln in str(exc).splitlines() if "cannot build the jail" in ln]
            if mode not in ("jail", "userjail") or not why:
                raise
            _NO_JAIL.append(why[0].removeprefix("genolearn sandbox: "))
            return self._start(pending)

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _check_plain(self) -> None:
        """Without the jail, the worker's uid must reach Python by ordinary permissions."""
        import numpy

        import genolearn

        paths = [sys.executable, os.__file__, numpy.__file__, genolearn.__file__]
        if not all(others_can_reach(p) for p in paths):
            raise SandboxError(
                f"cannot isolate student code here: {_NO_JAIL[0]}; and without the jail an "
                f"unprivileged user cannot read the Python installation ({sys.base_prefix}). "
                "Allow namespaces (run the grader with CAP_SYS_ADMIN, e.g. docker run "
                "--cap-add SYS_ADMIN), or install Python where any user may read it"
            )
        self._note(
            f"the jail could not be built ({_NO_JAIL[0]}), so the worker ran as its own "
            "user without namespaces: files any user may read were visible to it"
        )


def _unreadable(
    calls: list[Call], results: dict, reason: str, finish: Any, **fields: Any
) -> SubmissionResult:
    for i, call in enumerate(calls):
        results.setdefault(i, CallResult(call.exercise, call.function, "invalid_notebook", reason))
    return finish(notebook_error=reason, **fields)
