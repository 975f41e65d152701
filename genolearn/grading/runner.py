"""One sandbox worker process: start it, feed it its job, read it, and end it.

:class:`Worker` runs one student's notebook once. In the jail (``"jail"``, ``"userjail"``) it
borrows a persistent jail from :mod:`~genolearn.grading.pool`, whose zygote forks a fresh
worker for it (numpy and the worker already imported, so a submission no longer pays for a
Python start), and gives the jail back only once the zygote has killed everything the
submission started and emptied every writable place. Without the jail (``"plain"``,
``"current"``) it starts ``python -I -m genolearn.grading.worker`` for each run, in a fresh
folder, with a lease on a fresh uid (:mod:`~genolearn.grading.lifetime`), and kills the
process group and every process left with the worker's uid or marker afterwards.

Either way the worker's only input is its stdin: a line of JSON — the notebook's file name
and size, this student's case inputs; no seed, no secret, no expected value — then the
notebook's bytes (nothing else from the student's folder). Its environment is built from
scratch (no variable of the grader's is passed on).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from genolearn.grading import jail, lifetime, pool
from genolearn.grading.limits import Isolation, Limits, observe, python_paths
from genolearn.grading.reader import Reader
from genolearn.grading.results import Call, CallResult, SandboxError

__all__ = ["NOTEBOOK", "Run", "Worker"]

NOTEBOOK = "notebook.ipynb"
_EXTRA_PROCESSES = {"jail": 2, "userjail": 2, "plain": 0, "current": 0}  # warden and zygote
_JAILS = ("jail", "userjail")
_IMPORTS = re.compile(rb"\b(?:import|from)\s+(torch|matplotlib)\b")


@dataclass
class Run:
    """What one worker process did."""

    results: dict[int, CallResult] = dataclasses.field(default_factory=dict)
    notebook: dict[str, Any] | None = None
    fatal: str | None = None
    skip_cell: int | None = None
    note: str = ""
    forged: int = 0
    isolation: Isolation | None = None


class Worker:
    """One worker for ``calls`` (``(index, Call, encoded cases)``), started in ``mode``:
    ``"jail"`` (root grader), ``"userjail"`` (the same for a grader that is not root),
    ``"plain"`` (own uid, no namespaces) or ``"current"`` (the grader's user)."""

    def __init__(
        self,
        limits: Limits,
        source: bytes,
        calls: list[tuple[int, Call, list]],
        mode: str,
        every_call: list[Call] | None = None,
    ):
        self.limits, self.source, self.calls, self.mode = limits, source, calls, mode
        self.every_call = [c for _, c, _ in calls] if every_call is None else every_call
        self.token = secrets.token_hex(16)
        self.marker = secrets.token_hex(8)
        self.uid = lifetime.pick_uid() if mode == "plain" else None
        self.pid: int | None = None

    def run(self, skip: Iterable[int], deadline: float) -> Run:
        if self.mode in _JAILS:
            return self._run_in_jail(sorted(skip), deadline)
        base = tempfile.mkdtemp(prefix="genolearn-sandbox-")
        lease = lifetime.Lease(self.uid, self.marker)
        try:
            return self._run(base, sorted(skip), deadline)
        finally:
            lifetime.kill_leftovers(self.uid, self.marker)
            lease.release()
            shutil.rmtree(base, onerror=_force_remove)

    def _folders(self, base: str) -> str:
        work = os.path.join(base, "work")
        os.mkdir(work, 0o700)
        os.mkdir(os.path.join(base, "root"), 0o700)  # where the jail mounts its root
        os.chmod(base, 0o711)  # the worker's uid may pass through, not list
        if self.uid is not None:
            try:
                os.chown(work, self.uid, self.uid)  # the worker writes the notebook there
            except OSError as exc:
                msg = f"could not hand the working folder to the worker: {exc}"
                raise SandboxError(msg) from exc
        return work

    def _spawn(self, base: str) -> tuple[subprocess.Popen, int]:
        work = self._folders(base)
        read_fd, write_fd = os.pipe()
        spec = {
            "mode": self.mode,
            "parent": os.getpid(),
            "uid": self.uid,
            "root": os.path.join(base, "root"),
            "work": work,
            "binds": python_paths(),
            "net": self.limits.isolate_network,
            "rlimits": self._rlimits(),
            "pass_fd": write_fd,
            "argv": [sys.executable, "-I", "-m", "genolearn.grading.worker", "--result-fd"],
        }
        spec["argv"].append(str(write_fd))
        try:
            proc = subprocess.Popen(
                jail.launch_command(spec),
                cwd=work,
                env=pool.environment(work, self.marker),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(read_fd)
            raise SandboxError(f"could not start the sandbox worker: {exc}") from exc
        finally:
            os.close(write_fd)
        return proc, read_fd

    def _rlimits(self) -> dict[str, tuple[int, int]]:
        rlimits = self.limits.rlimits()
        soft, hard = rlimits["RLIMIT_NPROC"]
        extra = _EXTRA_PROCESSES[self.mode]
        rlimits["RLIMIT_NPROC"] = (soft + extra, hard + extra)
        return rlimits

    def preload(self) -> tuple[str, ...]:
        """What the zygote imports: the worker's needs, the reference functions that the
        submission's calls substitute (the worker imports them anyway), and matplotlib and
        torch when the notebook imports them (then it would map them anyway; torch only
        under a memory limit made for it). From every call of the submission, so that the
        worker started after a timeout finds the same jail."""
        found = {m.decode() for m in _IMPORTS.findall(self.source)}
        extra = ("matplotlib.pyplot",) if "matplotlib" in found else ()
        if "torch" in found and self.limits.memory_bytes >= 2 * 2**30:
            extra += ("torch", "genolearn.deep")
        used = {where.partition(":")[0] for c in self.every_call for _, where in c.substitute}
        return pool.PRELOAD + extra + tuple(sorted(used - set(extra)))

    def _job(self, skip: list[int]) -> bytes:
        lim = self.limits
        calls = [
            {"index": i, "exercise": c.exercise, "function": c.function}
            | {"forbid": list(c.forbid), "cases": cases}
            | {"substitute": [list(pair) for pair in c.substitute]}
            for i, c, cases in self.calls
        ]
        job = {
            "token": self.token,
            "notebook": NOTEBOOK,
            "calls": calls,
            "skip_cells": skip,
            "max_output_bytes": lim.max_output_bytes,
            "max_output_items": lim.max_output_items,
            "max_captured_output": lim.max_captured_output,
            "allow_subprocess": lim.allow_subprocess,
            "notebook_bytes": len(self.source),
        }
        return json.dumps(job, allow_nan=False).encode() + b"\n" + self.source

    def observe(self) -> Isolation:
        """The isolation of the running worker (called when it reports ready, before any
        student code runs): in the jail, the worker is the warden's grandchild."""
        pid = self.pid
        if self.mode in ("jail", "userjail"):
            for _ in range(2):
                pid = next(iter(_children(pid)), pid)
        return observe(pid, self.uid, tuple(self.limits.rlimits()), self.mode)

    def _run_in_jail(self, skip: list[int], deadline: float) -> Run:
        lim = self.limits
        work_bytes = max(64 * 2**20, 2 * lim.max_file_bytes)
        held = pool.acquire(self.mode, self.preload(), work_bytes, lim.startup_timeout_s)
        try:
            self.uid = held.uid
            child = held.start(self._rlimits())
            self.pid = held.launcher.pid
            out = Run(isolation=observe(self.pid, self.uid, tuple(lim.rlimits()), self.mode))
            job = self._job(skip)
            feeder = threading.Thread(target=_feed, args=(child.stdin, job), daemon=True)
            feeder.start()
            try:
                Reader(self, child, child.result_fd, out, deadline).loop()
            finally:
                child.finish()
                feeder.join(timeout=5)
                child.close()
        finally:
            pool.release(held)
        return out

    def _run(self, base: str, skip: list[int], deadline: float) -> Run:
        proc, read_fd = self._spawn(base)
        self.pid = proc.pid
        out = Run(isolation=observe(proc.pid, self.uid, tuple(self.limits.rlimits()), self.mode))
        feeder = threading.Thread(target=_feed, args=(proc.stdin, self._job(skip)), daemon=True)
        feeder.start()
        try:
            Reader(self, proc, read_fd, out, deadline).loop()
        finally:
            _kill_group(proc.pid)
            proc.wait()
            os.close(read_fd)
            proc.stderr.close()
            feeder.join(timeout=5)
        return out


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


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
