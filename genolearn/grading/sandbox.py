"""Run a student's notebook in a sandboxed subprocess and collect what each exercise returned.

:func:`run_submission` is the only place the grader meets student code, and it never runs it
in its own process. For each worker it

* copies the notebook (nothing else from the student's folder; a symlink is refused) into a
  fresh temporary working directory;
* starts ``python -I -m genolearn.grading.worker`` in its own session, with rlimits, its own
  unprivileged uid and network namespace where possible (:mod:`~genolearn.grading.limits`);
* reads one JSON message per line from a dedicated pipe, checking size, token and schema
  (:func:`~genolearn.grading.protocol.parse_message`) before decoding anything;
* enforces wall-time limits per cell, per exercise call and per submission by killing the
  whole process group, then every leftover process of the worker's user;
* after a timeout or crash in an exercise, starts a new worker for the remaining exercises
  (re-running the notebook); after one in a top-level cell, re-runs the notebook without it.
  One bad exercise costs only that exercise.

Every :class:`CallResult` carries a ``reason`` written for the student.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import genolearn
from genolearn._validation import describe
from genolearn.grading import limits as _limits
from genolearn.grading import protocol
from genolearn.grading.limits import Isolation, Limits
from genolearn.grading.results import (
    STATUSES,
    Call,
    CallResult,
    CaseResult,
    SandboxError,
    StudentError,
    SubmissionResult,
)

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

_NOTEBOOK = "notebook.ipynb"


# --------------------------------------------------------------------------- arguments


def _as_call(call: Any, i: int) -> Call:
    if isinstance(call, Mapping):
        try:
            call = Call(call["exercise"], call["function"], call["cases"], call.get("forbid", ()))
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


@dataclass
class _Run:
    """What one worker process did."""

    results: dict[int, CallResult] = dataclasses.field(default_factory=dict)
    notebook: dict[str, Any] | None = None
    fatal: str | None = None
    skip_cell: int | None = None
    note: str = ""
    forged: int = 0
    isolation: Isolation | None = None


def _how_it_died(rc: int, stderr: str, limits: Limits) -> tuple[str, str, str]:
    """``(status, reason start for a call, words for a cell)`` from the worker's return code
    and the tail of its stderr."""
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr or "bad_alloc" in stderr:
        limit = f"memory limit {protocol.size_text(limits.memory_bytes)} exceeded"
        return "memory", limit, f"ran out of memory ({limit})"
    fatal = next((ln for ln in stderr.splitlines() if ln.startswith("Fatal Python error")), "")
    fatal = f": {fatal[:200]}" if fatal else ""
    if rc < 0:
        sig = -rc
        name = signal.Signals(sig).name if sig in signal.valid_signals() else "?"
        if sig == signal.SIGXCPU:
            limit = f"CPU time limit of {limits.rlimits()['RLIMIT_CPU'][0]} s exceeded"
            return "timeout", limit, f"used too much CPU time ({limit})"
        killed = f"killed by signal {sig} ({name}){fatal}"
        return "crashed", f"the process was {killed}", f"ended the Python process ({killed})"
    code = f"exit code {rc}{fatal}"
    return "crashed", f"the process exited ({code})", f"ended the Python process ({code})"


class _Worker:
    def __init__(self, limits: Limits, source: bytes, calls: list[tuple[int, Call, list]]):
        self.limits, self.source, self.calls = limits, source, calls
        self.token = secrets.token_hex(16)
        self.marker = secrets.token_hex(8)
        self.separate = _limits.runs_as_separate_user(limits)
        self.uid = _limits.pick_uid() if self.separate else None
        paths = [sys.executable, os.__file__, np.__file__, genolearn.__file__]
        self.need_cap = self.separate and _limits.needs_read_capability(paths)

    def run(self, skip: Iterable[int], deadline: float) -> _Run:
        workdir = tempfile.mkdtemp(prefix="genolearn-sandbox-")
        try:
            return self._run(workdir, sorted(skip), deadline)
        finally:
            shutil.rmtree(workdir, onerror=_force_remove)

    def _spawn(self, workdir: str) -> tuple[subprocess.Popen, int]:
        path = os.path.join(workdir, _NOTEBOOK)
        with open(path, "wb") as f:
            f.write(self.source)
        if self.uid is not None:
            try:
                for p in (workdir, path):
                    os.chown(p, self.uid, self.uid)
            except OSError as exc:
                msg = f"could not hand the working folder to the worker: {exc}"
                raise SandboxError(msg) from exc
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": workdir,
            _limits.MARKER_ENV: self.marker,
        }
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        read_fd, write_fd = os.pipe()
        rlimits = self.limits.rlimits()
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-m",
                    "genolearn.grading.worker",
                    "--result-fd",
                    str(write_fd),
                ],
                cwd=workdir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
                preexec_fn=lambda: _limits._preexec(
                    self.uid, self.need_cap, self.limits.isolate_network, rlimits
                ),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(read_fd)
            raise SandboxError(f"could not start the sandbox worker: {exc}") from exc
        finally:
            os.close(write_fd)
        return proc, read_fd

    def _job(self, skip: list[int]) -> bytes:
        lim = self.limits
        calls = [
            {"index": i, "exercise": c.exercise, "function": c.function}
            | {"forbid": list(c.forbid), "cases": cases}
            for i, c, cases in self.calls
        ]
        job = {
            "token": self.token,
            "notebook": _NOTEBOOK,
            "calls": calls,
            "skip_cells": skip,
            "max_output_bytes": lim.max_output_bytes,
            "max_output_items": lim.max_output_items,
            "max_captured_output": lim.max_captured_output,
            "allow_subprocess": lim.allow_subprocess,
            "restrict_reads": self.need_cap,
        }
        return json.dumps(job, allow_nan=False).encode()

    def _run(self, workdir: str, skip: list[int], deadline: float) -> _Run:
        proc, read_fd = self._spawn(workdir)
        out = _Run()
        out.isolation = _limits.observe(
            proc.pid, self.uid, self.need_cap, tuple(self.limits.rlimits())
        )
        feeder = threading.Thread(target=_feed, args=(proc.stdin, self._job(skip)), daemon=True)
        feeder.start()
        try:
            _Reader(self, proc, read_fd, out, deadline).loop()
        finally:
            _kill_group(proc.pid)
            proc.wait()
            _limits.kill_leftovers(self.uid, self.marker)
            os.close(read_fd)
            proc.stderr.close()
            feeder.join(timeout=5)
        return out


def _feed(pipe: Any, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except OSError:
        pass  # the worker died before reading its job; the reader reports that


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def _force_remove(func: Any, path: str, _exc: Any) -> None:
    """``rmtree`` error handler for folders the student made unwritable. Only real folders
    are chmod-ed (never through a symlink, which could point anywhere)."""
    try:
        for p in (os.path.dirname(path), path):
            if stat.S_ISDIR(os.lstat(p).st_mode):
                os.chmod(p, 0o700)
        func(path)
    except OSError:
        pass


class _Reader:
    """Reads the worker's messages and enforces the time limits of each phase."""

    def __init__(
        self, worker: _Worker, proc: subprocess.Popen, fd: int, out: _Run, deadline: float
    ):
        self.w, self.proc, self.fd, self.out, self.deadline = worker, proc, fd, out, deadline
        self.lim = worker.limits
        self.by_index = {i: c for i, c, _ in worker.calls}
        self.phase, self.cell, self.call, self.case = "starting", None, None, None
        self.phase_end = time.monotonic() + self.lim.startup_timeout_s
        self.buffer, self.stderr, self.fatal = bytearray(), bytearray(), b""
        # The worker caps each case's output; a result line holds all cases of one call.
        most_cases = max((len(cases) for _, _, cases in worker.calls), default=0)
        self.max_line = most_cases * (self.lim.max_output_bytes + 2**16) + 2**20

    def loop(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.fd, selectors.EVENT_READ, "result")
        sel.register(self.proc.stderr.fileno(), selectors.EVENT_READ, "stderr")
        os.set_blocking(self.fd, False)
        os.set_blocking(self.proc.stderr.fileno(), False)
        try:
            while True:
                now = time.monotonic()
                if now >= min(self.phase_end, self.deadline):
                    self._timed_out(now >= self.deadline)
                    return
                for key, _ in sel.select(min(0.05, min(self.phase_end, self.deadline) - now)):
                    self._drain(key.fileobj, key.data)
                if self.phase == "done":
                    return
                if self.proc.poll() is not None:
                    for key in list(sel.get_map().values()):
                        self._drain(key.fileobj, key.data)
                    if self.phase != "done":
                        self._died()
                    return
        finally:
            sel.close()

    def _drain(self, fd: Any, what: str) -> None:
        fd = fd if isinstance(fd, int) else fd.fileno()
        for _ in range(64):  # bounded, so a flood cannot starve the timers
            try:
                data = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not data:
                return
            if what == "stderr":  # kept for diagnosing a crash: the tail, and the fatal error
                joined = bytes(self.stderr[-256:]) + data
                if (k := joined.rfind(b"Fatal Python error")) >= 0:
                    self.fatal = joined[k : k + 300].split(b"\n")[0]
                self.stderr = (self.stderr + data)[-8192:]
                continue
            self.buffer += data
            while (end := self.buffer.find(b"\n")) >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                self._message(line)
                if self.phase == "done":
                    return
            if len(self.buffer) > self.max_line:
                self.buffer.clear()
                self._blame("crashed", "it sent a result larger than the grader accepts")

    def _message(self, line: bytes) -> None:
        try:
            msg = protocol.parse_message(line, self.w.token, max_bytes=self.max_line)
        except protocol.ForgedMessage:
            self.out.forged += 1
            return
        except protocol.ProtocolError as exc:
            self._blame("crashed", f"the grader received a malformed result ({exc})")
            return
        kind, now = msg["kind"], time.monotonic()
        if kind == "ready" and self.phase == "starting":
            self.out.isolation = dataclasses.replace(self.out.isolation, audit_hook=True)
            # Reading the notebook runs no student code: it shares the start-up time limit.
            self.phase, self.phase_end = "loading", now + self.lim.startup_timeout_s
        elif kind == "fatal" and self.phase == "loading":
            self.out.fatal, self.phase = msg["reason"], "done"
        elif kind == "cell" and self.phase in ("loading", "cells"):
            self.phase, self.cell, self.phase_end = (
                "cells",
                msg["cell"],
                now + self.lim.cell_timeout_s,
            )
        elif kind == "notebook" and self.phase in ("loading", "cells"):
            self.out.notebook, self.phase = msg, "between"
            self.phase_end = now + self.lim.call_timeout_s
        elif kind == "start" and self.phase == "between" and msg["call"] in self.by_index:
            self.phase, self.call, self.case = "call", msg["call"], None
            self.phase_end = now + self.lim.call_timeout_s
        elif kind == "case" and self.phase == "call" and msg["call"] == self.call:
            self.case = msg["case"]
        elif kind == "result" and self.phase == "call" and msg["call"] == self.call:
            self.out.results[self.call] = _call_result(self.by_index[self.call], msg, self)
            self.phase, self.call, self.phase_end = "between", None, now + self.lim.call_timeout_s
        elif kind == "done" and self.phase == "between":
            missing = [i for i in self.by_index if i not in self.out.results]
            if missing:
                self.call = missing[0]
                self._blame("crashed", "the sandbox finished without reporting a result")
            self.phase = "done"

    def _pending(self) -> int | None:
        """The call to blame for trouble outside a call: the next one without a result."""
        if self.call is not None:
            return self.call
        return next((i for i in self.by_index if i not in self.out.results), None)

    def _blame(self, status: str, what: str, in_cell: str = "") -> None:
        """Record trouble: skip the running cell (``in_cell`` says why, as a sentence's end),
        or give the running call ``status`` with ``what`` as the reason's start."""
        if self.phase == "starting":
            raise SandboxError(f"the sandbox worker failed to start: {what}\n{self._tail()}")
        if self.phase == "loading":
            self.out.fatal = f"reading it failed: {what}"
        elif self.phase == "cells":
            self.out.skip_cell = self.cell
            self.out.note = f"cell {self.cell} {in_cell or f'failed ({what})'}"
            self.out.note += ", so the grader skipped it"
        elif (i := self._pending()) is not None:
            call = self.by_index[i]
            case = f" on case {self.case + 1}" if self.case is not None and self.call == i else ""
            self.out.results[i] = CallResult(
                call.exercise, call.function, status, f"{what} while running {call.function}{case}"
            )
        self.phase = "done"

    def _timed_out(self, whole: bool) -> None:
        if whole:
            total = self.lim.submission_timeout_s
            limit = f"the submission used up its total time limit of {total:g} s"
            if self.phase == "cells":
                self.out.note = f"{limit} while running cell {self.cell}"
                self.phase = "done"
                return
            self._blame("timeout", limit)
        elif self.phase == "call":
            call = self.by_index[self.call]
            case = f" on case {self.case + 1}" if self.case is not None else ""
            reason = f"timed out after {self.lim.call_timeout_s:g} s{case}"
            self.out.results[self.call] = CallResult(
                call.exercise, call.function, "timeout", reason, duration_s=self.lim.call_timeout_s
            )
            self.phase = "done"
        else:
            limit = self.lim.cell_timeout_s
            self._blame("timeout", "the worker stopped responding", f"ran longer than {limit:g} s")

    def _died(self) -> None:
        self._blame(*_how_it_died(self.proc.returncode, self._tail(), self.lim))

    def _tail(self) -> str:
        tail = bytes(self.stderr[-2000:])
        return (self.fatal + b"\n" + tail).decode("utf-8", "replace")


def _call_result(call: Call, msg: dict[str, Any], reader: _Reader) -> CallResult:
    """Turn a worker's ``result`` message into a :class:`CallResult` with a student reason."""
    fn = call.function
    if not msg["found"]:
        if msg["found_type"] is not None:
            kind = msg["found_type"]
            article = "an" if kind[:1].lower() in "aeiou" else "a"
            reason = f"{fn} is defined in the notebook but is {article} {kind}, not a function"
        else:
            reason = f"function {fn} not found in the notebook"
            errors = (reader.out.notebook or {}).get("errors", [])
            if msg["similar"]:
                reason += f" (it defines {', '.join(msg['similar'])}: was it renamed?)"
            elif errors:
                first = errors[0]
                reason += (
                    f" (cell {first['cell']} raised {first['type']}, so the cell that defines it"
                    " may not have run to the end)"
                )
        return CallResult(call.exercise, fn, "not_found", reason)
    try:
        cases = tuple(_case_result(j, c) for j, c in enumerate(msg["cases"]))
    except protocol.ProtocolError as exc:
        return CallResult(
            call.exercise, fn, "crashed", f"the grader received a malformed result ({exc})"
        )
    status, reason = "ok", ""
    for case in cases:
        if case.status == "ok":
            continue
        n = case.index + 1
        if case.status == "too_large":
            status, reason = (
                "too_large",
                f"the output of {fn} on case {n} is too large to grade: {case.detail}",
            )
        elif case.error.type == "SystemExit":
            status = "crashed"
            code = case.error.message
            reason = f"the process exited (sys.exit({code})) while running {fn} on case {n}"
        elif case.error.type in ("MemoryError", "_ArrayMemoryError"):  # numpy's is a subclass
            status = "memory"
            size = protocol.size_text(reader.lim.memory_bytes)
            reason = f"memory limit {size} exceeded while running {fn} on case {n}"
        else:
            where = f" at {case.error.where()}" if case.error.where() else ""
            status = "error"
            reason = f"{fn} raised {case.error.type} on case {n}{where}: {case.error.message}"
        break
    forbidden = tuple(msg["forbidden"])
    if status == "ok" and (forbidden or msg["tracing_disabled"]):
        status = "forbidden_flag"
        if forbidden:
            reason = (
                f"{fn} uses {', '.join(forbidden[:5])}, which this exercise asks you to write "
                "yourself; flagged for the instructor to review"
            )
        else:
            reason = (
                f"{fn} turned off the grader's call tracing (sys.setprofile), so its calls could "
                "not be checked; flagged for the instructor to review"
            )
    notes = tuple(
        f"{fn} changed its input ({', '.join(c.mutated)}) on case {c.index + 1}; the grader passed "
        "a copy, but a function should not modify its arguments"
        for c in cases
        if c.mutated
    )
    return CallResult(call.exercise, fn, status, reason, cases, forbidden, notes, msg["duration"])


def _case_result(index: int, raw: dict[str, Any]) -> CaseResult:
    error = StudentError(**raw["error"]) if raw["error"] is not None else None
    output = protocol.decode(raw["output"]) if raw["status"] == "ok" else None
    return CaseResult(
        index,
        raw["status"],
        output,
        error,
        tuple(raw["mutated"]),
        tuple(raw["warnings"]),
        raw["duration"],
        raw["detail"],
    )


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

    def _start(self, pending: list[tuple[int, Call, list]]) -> _Run:
        try:
            return _Worker(self.limits, self.source, pending).run(self.skip, self.deadline)
        except SandboxError as exc:
            # Running as a separate user can fail where the grader lacks capabilities (e.g. a
            # container without CAP_DAC_READ_SEARCH): fall back to the grader's user, and say so.
            if self.workers or not _limits.runs_as_separate_user(self.limits):
                raise
            self.limits = dataclasses.replace(self.limits, user="current")
            self.notes.append(
                f"could not run the worker as a separate user, so it ran as the "
                f"grader's own user ({str(exc).splitlines()[0]})"
            )
            return _Worker(self.limits, self.source, pending).run(self.skip, self.deadline)


def _unreadable(
    calls: list[Call], results: dict, reason: str, finish: Any, **fields: Any
) -> SubmissionResult:
    for i, call in enumerate(calls):
        results.setdefault(i, CallResult(call.exercise, call.function, "invalid_notebook", reason))
    return finish(notebook_error=reason, **fields)
