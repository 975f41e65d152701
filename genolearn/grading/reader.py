"""Reading one sandbox worker: its messages, its time limits, and what each result means.

:class:`Reader` reads one JSON message per line from the worker's result pipe, checking size,
token and schema (:func:`~genolearn.grading.protocol.parse_message`) before decoding anything,
and enforces the wall-time limits per cell, per exercise call and per submission. Trouble is
blamed on the running cell or call with a reason written for the student.
"""

from __future__ import annotations

import dataclasses
import os
import selectors
import signal
import time
from typing import Any

from genolearn.grading import protocol
from genolearn.grading.limits import Limits
from genolearn.grading.results import Call, CallResult, CaseResult, SandboxError, StudentError

__all__ = ["Reader", "how_it_died"]


def how_it_died(rc: int, stderr: str, limits: Limits) -> tuple[str, str, str]:
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


class Reader:
    """Reads the worker's messages and enforces the time limits of each phase."""

    def __init__(self, worker: Any, proc: Any, fd: int, out: Any, deadline: float):
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
            self.out.isolation = dataclasses.replace(self.w.observe(), audit_hook=True)
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
            self.phase_end = now + self._call_limit(self.call)
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

    def _call_limit(self, i: int) -> float:
        """Seconds call ``i`` may run: the grader's limit, or the call's own if longer."""
        own = self.by_index[i].timeout_s
        return max(self.lim.call_timeout_s, own) if own is not None else self.lim.call_timeout_s

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
            limit = self._call_limit(self.call)
            reason = f"timed out after {limit:g} s{case}"
            self.out.results[self.call] = CallResult(
                call.exercise, call.function, "timeout", reason, duration_s=limit
            )
            self.phase = "done"
        else:
            limit = self.lim.cell_timeout_s
            self._blame("timeout", "the worker stopped responding", f"ran longer than {limit:g} s")

    def _died(self) -> None:
        self._blame(*how_it_died(self.proc.returncode, self._tail(), self.lim))

    def _tail(self) -> str:
        tail = bytes(self.stderr[-2000:])
        return (self.fatal + b"\n" + tail).decode("utf-8", "replace")


def _call_result(call: Call, msg: dict[str, Any], reader: Reader) -> CallResult:
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
