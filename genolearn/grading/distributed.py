"""Where grading tasks run: local worker processes, or an existing Dask cluster.

Both runners take ``(key, payload)`` pairs — a payload is a
:class:`~genolearn.grading.task.GradeTask` as JSON — and yield ``(key, record JSON or
exception)`` as each task finishes, in completion order. Only strings cross process and
machine boundaries: the coordinator validates every record it receives
(:func:`~genolearn.grading.records.parse_record`) and is the only one that writes files.

* :func:`run_local` starts ``workers`` processes ``python -m genolearn.grading.distributed``
  and feeds them one task per line (no ``multiprocessing``, so a script calling
  :func:`~genolearn.grading.grader.grade_class` needs no ``if __name__ == "__main__"`` guard,
  and nothing is pickled). Each is single-threaded, so the sandbox can safely fork its workers
  from it, and exits as soon as it notices the coordinator is gone: a killed grader leaves no
  workers behind.
* :func:`run_dask` submits one task per student to the scheduler at ``address`` with
  ``distributed.Client``; each Dask worker needs the same genolearn installed (a worker with
  other checks refuses the task, see :func:`~genolearn.grading.task.checks_version`).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import TypeVar

from genolearn._validation import check_int

__all__ = ["run_dask", "run_local"]

K = TypeVar("K")


def _children() -> list[int]:
    """Process ids whose parent is this process (the sandbox workers it started)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _exit_with_parent(parent: int) -> None:
    """End this process, and the sandbox it is running, as soon as the coordinator is gone
    (even killed by SIGKILL), so a killed grader leaves nothing running."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        for pid in _children():  # each sandbox worker leads its own process group
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        os._exit(1)

    threading.Thread(target=watch, name="genolearn-parent-watch", daemon=True).start()


def _serve() -> None:
    """A local grading worker: one task per line on stdin, one JSON reply per line
    (``{"record": …}`` or ``{"error": …}``) on the original stdout, until stdin closes."""
    _exit_with_parent(os.getppid())
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the replies
    from genolearn.grading.task import run_task

    for line in sys.stdin:
        try:
            reply = {"record": run_task(line)}
        except Exception as exc:  # reported to the coordinator, which records no grade
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


class _LocalWorker:
    """One ``python -m genolearn.grading.distributed`` process, restarted if it dies."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def run(self, payload: str) -> str | BaseException:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(  # -I: files in the working folder shadow nothing
                [sys.executable, "-I", "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        try:
            self.proc.stdin.write(payload.replace("\n", " ") + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError:
            line = ""
        if not line:
            code = self.proc.wait()
            return RuntimeError(f"the local grading worker ended unexpectedly (exit code {code})")
        reply = json.loads(line)
        return reply["record"] if "record" in reply else RuntimeError(reply["error"])

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait()


def run_local(
    tasks: Sequence[tuple[K, str]], workers: int
) -> Iterator[tuple[K, str | BaseException]]:
    """Run ``tasks`` on ``workers`` local worker processes; yield ``(key, record JSON or
    error)`` as each finishes."""
    workers = check_int(workers, "workers", low=1)
    if not tasks:
        return
    pending: queue.SimpleQueue = queue.SimpleQueue()
    done: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        pending.put(task)
    stop = threading.Event()

    def serve() -> None:
        worker = _LocalWorker()
        try:
            while not stop.is_set():
                try:
                    key, payload = pending.get_nowait()
                except queue.Empty:
                    return
                done.put((key, worker.run(payload)))
        finally:
            worker.close()

    threads = [
        threading.Thread(target=serve, name=f"genolearn-grade-{i}", daemon=True)
        for i in range(min(workers, len(tasks)))
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in tasks:
            yield done.get()
    finally:
        stop.set()


def run_dask(
    tasks: Sequence[tuple[K, str]], address: str, *, connect_timeout_s: float = 30.0
) -> Iterator[tuple[K, str | BaseException]]:
    """Run ``tasks`` on the Dask cluster whose scheduler is at ``address``; yield
    ``(key, record JSON or error)`` as they finish.

    Raises:
        ValueError: ``address`` is not a usable scheduler address.
        OSError: the scheduler cannot be reached within ``connect_timeout_s``.
    """
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"--scheduler must be an address like tcp://host:8786, got {address!r}")
    if not tasks:
        return
    from distributed import Client
    from distributed import as_completed as dask_completed

    from genolearn.grading.task import run_task

    try:
        client = Client(address, timeout=connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise OSError(f"--scheduler: cannot reach a Dask scheduler at {address}: {exc}") from None
    run = uuid.uuid4().hex[:12]  # keys unique to this run on a long-lived cluster
    with client:
        futures = {
            client.submit(run_task, payload, pure=False, key=f"genolearn-grade-{run}-{i}"): key
            for i, (key, payload) in enumerate(tasks)
        }
        try:
            for future in dask_completed(futures, loop=client.loop):
                try:
                    yield futures[future], future.result()
                except Exception as exc:  # the task's own error, re-raised by Dask
                    yield futures[future], exc
        finally:
            client.cancel(list(futures))


if __name__ == "__main__":
    _serve()
