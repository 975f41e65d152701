"""The zygote: pid 1 of a persistent jail, which forks one sandbox worker per submission.

The jail (:mod:`~genolearn.grading.jail`) ``exec``-s it as pid 1 of its namespaces, already as
the jail's uid with no capabilities and ``no_new_privs``::

    python -I -m genolearn.grading.zygote --control-fd N [--preload torch,matplotlib.pyplot]

It then

1. makes itself **non-dumpable** before anything else (no process of its uid can ptrace it,
   read or write its memory, take its descriptors or read ``/proc/1/environ``), leaves every
   signal at its default action (as pid 1 of a PID namespace, the kernel then drops every
   signal sent from inside it: a student cannot kill, stop or interrupt it) and joins a fresh
   session keyring of its own;
2. imports the worker (numpy, nbformat, the result codec, the audit hook) and the preloads
   once, and refuses to serve if it maps shared writable memory (a child's writes there would
   reach the next child) or holds a capability;
3. records what a process of its uid could still change from outside (rlimits through
   ``prlimit``, nice, scheduling, CPU affinity, I/O priority, ``oom_score_adj``);
4. serves the grader on its control socket. For ``run`` (with the submission's stdin, result
   and stderr pipes as ``SCM_RIGHTS``) it forks a child that keeps only those pipes, starts a
   new session and keyring, sets the submission's rlimits and runs
   :func:`genolearn.grading.worker.run_job`; the job and the notebook go from the grader
   straight into the child's stdin, so no student's data is ever in the memory later children
   inherit. When the child ends, or the grader says ``end``, it kills every other process of
   the namespace, empties every writable place, removes System V IPC objects and clears the
   uid's keyrings, then checks that all of it is gone and its own attributes unchanged
   (:func:`genolearn.grading.cleanup.clean`), and answers ``clean`` — with the problems, if
   any, after which it exits, so that the grader starts a new jail.

When the control socket closes (the grader is done, or dead), it exits and the kernel kills
whatever is left in the namespace.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import ctypes  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

from genolearn.grading import cleanup  # noqa: E402
from genolearn.grading.cleanup import WORK  # noqa: E402

__all__ = ["WORK", "main"]

_SETUP_FAILED = 71
_PR_SET_DUMPABLE = 4
_MAX_MESSAGE = 1 << 16
_KEYCTL_JOIN = 1  # KEYCTL_JOIN_SESSION_KEYRING (no name: a new, anonymous one)

_libc = ctypes.CDLL(None, use_errno=True)


# --------------------------------------------------------------------------- the control socket


def _send(sock: socket.socket, **message: object) -> None:
    sock.send(json.dumps(message).encode())


def _receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """One message and the descriptors it carried; ``(None, [])`` when the grader is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 4)
    except OSError:
        return None, []
    if not data:
        return None, fds
    try:
        message = json.loads(data)
    except ValueError:
        message = {}
    return (message if isinstance(message, dict) else {}), fds


# --------------------------------------------------------------------------- the child


def _child(fds: list[int], rlimits: dict, control: int) -> None:
    """In the forked child: keep the three pipes only, then become the worker (never returns)."""
    try:
        stdin, result, stderr = fds
        os.dup2(stdin, 0)
        os.dup2(stderr, 2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        for fd in {stdin, stderr, null, control}:
            if fd > 2 and fd != result:
                os.close(fd)
        os.closerange(3, result)  # whatever else the zygote held (libraries' descriptors)
        os.closerange(result + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        os.setsid()
        cleanup.keyctl(_KEYCTL_JOIN, 0)  # a fresh session keyring: nothing shared with the zygote
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as a fresh Python has it
        _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # as a fresh exec would be
        _check_memory(rlimits.get("RLIMIT_AS", (resource.RLIM_INFINITY,))[0])
        for name, value in rlimits.items():
            resource.setrlimit(getattr(resource, name), tuple(value))
        os.chdir(WORK)
        from genolearn.grading.worker import run_job

        run_job(result)
    except BaseException:
        try:
            os.write(2, f"genolearn sandbox: {traceback.format_exc()[-2000:]}".encode())
        finally:
            os._exit(_SETUP_FAILED)
    os._exit(0)


def _check_memory(limit: int) -> None:
    """A memory limit below what the worker already maps leaves it unable to run anything."""
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    if limit != resource.RLIM_INFINITY and limit < size + 16 * 2**20:
        os.write(
            2,
            f"genolearn sandbox: the memory limit ({limit / 2**20:.0f} MiB) leaves no room "
            f"for the worker, which maps {size / 2**20:.0f} MiB at start: raise it\n".encode(),
        )
        os._exit(_SETUP_FAILED)


# --------------------------------------------------------------------------- between children


# --------------------------------------------------------------------------- the loop


def _watch(control: socket.socket, child: int, seq: int) -> tuple[int | None, bool]:
    """Wait for the child to end or the grader to say ``end``; ``(status or None, grader gone)``."""
    pidfd = os.pidfd_open(child)
    try:
        while True:
            ended = cleanup.reap()
            if child in ended:
                return ended[child], False
            ready, _, _ = select.select([control, pidfd], [], [], 0.2)
            if control in ready:
                message, fds = _receive(control)
                for fd in fds:
                    os.close(fd)
                if message is None:
                    return None, True
                if message.get("op") == "end" and message.get("seq") == seq:
                    return None, False
    finally:
        os.close(pidfd)


def _serve(control: socket.socket, before: dict) -> None:
    _send(control, event="ready", pid=os.getpid())
    while True:
        message, fds = _receive(control)
        if message is None:
            return
        if message.get("op") != "run" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue  # an "end" for a submission that already ended
        seq = message.get("seq")
        child = os.fork()
        if child == 0:
            _child(fds, message.get("rlimits", {}), control.fileno())
        for fd in fds:
            os.close(fd)
        _send(control, event="started", seq=seq, pid=child)
        status, gone = _watch(control, child, seq)
        if gone:
            return
        if status is not None:
            _send(control, event="exit", seq=seq, status=status)
        ended, _ = cleanup.kill_all()
        if status is None:
            _send(control, event="exit", seq=seq, status=ended.get(child, signal.SIGKILL))
        problems = cleanup.clean(before)
        _send(control, event="clean", seq=seq, problems=problems)
        if problems:
            return  # tainted: the grader starts a new jail


def _check_start() -> None:
    """No capability, and no shared writable memory a child could use to reach the next."""
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    held = [k for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb") if int(status[k], 16)]
    if held:
        raise RuntimeError(f"the zygote holds capabilities: {', '.join(held)}")
    with open("/proc/self/maps") as f:
        shared = [line.strip() for line in f if line.split()[1][1:4:2] == "ws"]
    if shared:
        raise RuntimeError(f"the zygote maps shared writable memory: {shared[0]}")


def main(argv: list[str] | None = None) -> None:
    """Start the zygote (see the module docstring); never returns."""
    if _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        os._exit(_SETUP_FAILED)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)
    argv = sys.argv[1:] if argv is None else argv
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    control = socket.socket(fileno=int(options["--control-fd"]))
    cleanup.keyctl(_KEYCTL_JOIN, 0)
    try:
        importlib.import_module("genolearn.grading.worker")
        for name in filter(None, options.get("--preload", "").split(",")):
            try:
                importlib.import_module(name)
            except Exception:
                pass  # only an optimisation: the child imports it itself if it can
        _check_start()
        before = cleanup.attributes()
    except BaseException:
        os.write(2, f"genolearn sandbox: {traceback.format_exc()[-2000:]}".encode())
        os._exit(_SETUP_FAILED)
    _serve(control, before)
    os._exit(0)


if __name__ == "__main__":
    main()
