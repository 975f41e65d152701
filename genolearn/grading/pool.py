"""The grader's side of the jails: start one, run submissions in it one after another, end it.

A :class:`Jail` is one persistent jail (:mod:`~genolearn.grading.jail`) whose pid 1 is the
zygote (:mod:`~genolearn.grading.zygote`): it imports numpy and the worker once, then forks a
fresh worker per submission. :func:`acquire` lends a jail of the right kind (same preloaded
modules, same working-folder size) to one :class:`~genolearn.grading.runner.Worker` at a time;
:func:`release` keeps it for the next submission (a local grading process runs one submission
at a time, so it keeps one or two jails; a Dask worker one per thread); :func:`close_all` ends
them (also at exit).

Per submission, :meth:`Jail.start` hands the zygote three new pipes (the child's stdin,
result and stderr) over the control socket and returns a :class:`Child`, which looks to the
:class:`~genolearn.grading.reader.Reader` like a ``Popen``. :meth:`Child.finish` then waits
for the zygote's ``clean``: every process of the submission killed, every writable place
emptied, its own attributes unchanged, and — seen from here — no process left under the
zygote. Anything else (no answer in time, a problem reported, the zygote gone) ends the jail
for good; the next submission gets a new one.

Each jail has its own uid (as root) and holds a :class:`~genolearn.grading.lifetime.Lease`
for its whole life, so that :func:`~genolearn.grading.lifetime.sweep` cleans up after a
grader that was killed; the parent-death signals of the warden and the zygote end it with the
process that started it.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from genolearn.grading import jail, lifetime
from genolearn.grading.cleanup import WORK
from genolearn.grading.limits import python_paths
from genolearn.grading.results import SandboxError

__all__ = ["PRELOAD", "Child", "Jail", "acquire", "close_all", "release", "supervisor_pids"]

#: What every zygote imports besides the worker (numpy, the codec, the audit hook).
PRELOAD = ("nbformat", "genolearn.exercises", "genolearn.dna", "genolearn.nn")
_ANSWER_S = 15.0  # how long the zygote may take to fork, or to clean up after a submission
_IDLE_MAX = max(2, len(os.sched_getaffinity(0)))  # a Dask worker may grade on every core
_lock = threading.Lock()
_idle: list[Jail] = []
_owner = os.getpid()


def environment(work: str, marker: str) -> dict[str, str]:
    """The sandbox's whole environment (nothing of the grader's is passed on)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": work,
        "TMPDIR": work,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": work,
        lifetime.MARKER_ENV: marker,
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


class Child:
    """One submission's worker in a jail, as the reader sees a process: ``poll()``,
    ``returncode``, ``stderr``, ``stdin``; ``result_fd`` is the result pipe's read end."""

    def __init__(self, owner: Jail, seq: int, stdin: int, result: int, stderr: int):
        self.jail, self.seq, self.pid = owner, seq, owner.launcher.pid
        self.stdin = os.fdopen(stdin, "wb")
        self.stderr = os.fdopen(stderr, "rb", buffering=0)
        self.result_fd = result
        self.returncode: int | None = None
        self.problems: list[str] | None = None  # set by the zygote's "clean"

    def _event(self, message: dict) -> None:
        if message.get("seq") != self.seq:
            return
        if message.get("event") == "exit" and self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(int(message["status"]))
        elif message.get("event") == "clean":
            self.problems = list(message.get("problems", ["no answer"]))

    def poll(self) -> int | None:
        """The worker's return code (``Popen`` style), or ``None`` while it runs."""
        while self.returncode is None:
            message = self.jail.receive(timeout=0)
            if message is None:
                if self.jail.closed:  # the zygote is gone, and its namespace with the worker
                    self.returncode = -signal.SIGKILL
                break
            self._event(message)
        return self.returncode

    def close(self) -> None:
        """Close this side's pipes (after :meth:`finish`)."""
        for f in (self.stdin, self.stderr):
            try:
                f.close()
            except OSError:
                pass
        os.close(self.result_fd)

    def finish(self) -> None:
        """Kill what is left of the submission and wait until the jail is clean; a jail that
        does not say so in time is ended."""
        if self.problems is None and not self.jail.send(op="end", seq=self.seq):
            self.jail.close()
        deadline = time.monotonic() + _ANSWER_S
        while self.problems is None and not self.jail.closed:
            message = self.jail.receive(timeout=max(0.0, deadline - time.monotonic()))
            if message is None:
                self.jail.close()
                break
            self._event(message)
        if self.problems or not self.jail.quiet():
            self.jail.close()


class Jail:
    """One persistent jail and its zygote (see the module docstring)."""

    def __init__(self, mode: str, preload: tuple[str, ...], work_bytes: int, timeout_s: float):
        self.key = (mode, preload, work_bytes)
        self.mode, self.closed, self.seq = mode, False, 0
        self.uid = lifetime.pick_uid() if mode == "jail" else None
        self.marker = secrets.token_hex(8)
        self.base = tempfile.mkdtemp(prefix="genolearn-jail-")
        self.lease = lifetime.Lease(self.uid, self.marker)
        try:
            self._start(preload, work_bytes, timeout_s)
        except BaseException:
            self.close()
            raise

    def _start(self, preload: tuple[str, ...], work_bytes: int, timeout_s: float) -> None:
        os.mkdir(os.path.join(self.base, "root"), 0o700)  # where the jail mounts its root
        binds = python_paths()
        clash = [b for b in binds if (b + "/").startswith(WORK + "/")]
        if clash:
            raise SandboxError(f"the sandbox's folder {WORK} would hide {clash[0]}")
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, "-I", "-m", "genolearn.grading.zygote"]
        argv += ["--control-fd", str(theirs.fileno()), "--preload", ",".join(preload)]
        spec = {
            "mode": self.mode,
            "parent": os.getpid(),
            "uid": self.uid,
            "root": os.path.join(self.base, "root"),
            "work": WORK,
            "work_bytes": work_bytes,
            "binds": binds,
            "net": True,
            "rlimits": {"RLIMIT_CORE": (0, 0)},  # each child sets the submission's own
            "pass_fd": theirs.fileno(),
            "argv": argv,
        }
        try:
            self.launcher = subprocess.Popen(
                jail.launch_command(spec),
                cwd=self.base,
                env=environment(WORK, self.marker),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxError(f"could not start the sandbox: {exc}") from exc
        finally:
            theirs.close()
        ready = self.receive(timeout=timeout_s)
        if ready is None or ready.get("event") != "ready":
            self._kill()
            tail = self.launcher.stderr.read().decode("utf-8", "replace")[-3000:]
            why = "it did not answer in time" if ready is None else "it answered wrongly"
            raise SandboxError(f"the sandbox worker failed to start: {why}\n{tail}")

    def send(self, **message: Any) -> bool:
        try:
            self.sock.send(json.dumps(message).encode())
            return True
        except OSError:
            return False

    def receive(self, timeout: float) -> dict | None:
        """The zygote's next message, or ``None`` (nothing within ``timeout``, or it is gone)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except (BlockingIOError, TimeoutError, OSError):
            return None
        if not data:
            self.closed = True
            return None
        try:
            message = json.loads(data)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def start(self, rlimits: dict[str, tuple[int, int]]) -> Child:
        """Fork a worker for one submission; its job goes into the returned child's stdin."""
        self.seq += 1
        stdin, result, stderr = os.pipe(), os.pipe(), os.pipe()  # (read end, write end)
        ours = [stdin[1], result[0], stderr[0]]
        theirs = [stdin[0], result[1], stderr[1]]
        try:
            data = json.dumps({"op": "run", "seq": self.seq, "rlimits": rlimits}).encode()
            socket.send_fds(self.sock, [data], theirs)
        except OSError as exc:
            for fd in ours:
                os.close(fd)
            self.close()
            raise SandboxError(f"the sandbox stopped answering: {exc}") from exc
        finally:
            for fd in theirs:
                os.close(fd)
        child = Child(self, self.seq, *ours)
        started = self.receive(timeout=_ANSWER_S)
        if started is None or started.get("event") != "started":
            child.close()
            self.close()
            raise SandboxError("the sandbox worker failed to start: the zygote did not fork it")
        return child

    def alive(self) -> bool:
        return not self.closed and self.launcher.poll() is None

    def quiet(self) -> bool:
        """Seen from outside: the zygote is there and has no child (nothing of a submission
        is left)."""
        zygote = _children(self.launcher.pid)
        return len(zygote) == 1 and not _children(zygote[0])

    def _kill(self) -> None:
        try:
            os.killpg(self.launcher.pid, signal.SIGKILL)
        except OSError:
            pass
        self.launcher.wait()

    def close(self) -> None:
        """End the jail and everything in it; release its lease and folder."""
        if getattr(self, "lease", None) is None:
            return
        self.closed = True
        if hasattr(self, "sock"):
            self.sock.close()
        if hasattr(self, "launcher"):
            self._kill()
            self.launcher.stderr.close()
        lifetime.kill_leftovers(self.uid, self.marker)
        self.lease.release()
        self.lease = None
        shutil.rmtree(self.base, ignore_errors=True)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def acquire(mode: str, preload: tuple[str, ...], work_bytes: int, timeout_s: float) -> Jail:
    """An idle jail of this kind, or a new one; give it back with :func:`release`."""
    global _owner
    key = (mode, preload, work_bytes)
    with _lock:
        if os.getpid() != _owner:  # a forked copy of the grader: those jails are not ours
            _idle.clear()
            _owner = os.getpid()
        for i, found in enumerate(_idle):
            if found.key == key:
                del _idle[i]
                if found.alive():
                    return found
                found.close()
                break
    return Jail(mode, preload, work_bytes, timeout_s)


def release(used: Jail) -> None:
    """Take back a jail after a submission (one that was ended is dropped)."""
    if used.closed or not used.alive():
        used.close()
        return
    with _lock:
        _idle.insert(0, used)
        extra = _idle[_IDLE_MAX:]
        del _idle[_IDLE_MAX:]
    for old in extra:
        old.close()


def close_all() -> None:
    """End every idle jail of this process."""
    with _lock:
        jails = list(_idle) if os.getpid() == _owner else []
        _idle.clear()
    for each in jails:
        each.close()


def supervisor_pids() -> set[int]:
    """Host pids of the idle jails' wardens and zygotes (for tests: everything else of a
    sandbox uid is a leftover)."""
    with _lock:
        found = set()
        for each in _idle:
            found.add(each.launcher.pid)
            found.update(_children(each.launcher.pid))
        return found


atexit.register(close_all)
