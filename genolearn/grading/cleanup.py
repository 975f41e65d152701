"""What the zygote does between two submissions: kill, empty, clear, check.

Run by the zygote (:mod:`~genolearn.grading.zygote`, pid 1 of the jail's namespaces) after
each submission, as the jail's uid with no capabilities. :func:`clean` kills every other
process of the namespace (``kill(-1, SIGKILL)`` until none is left, reaping each), empties
every writable place (:data:`WIPED`), removes System V IPC objects and clears the keyrings
every process of the uid reaches (user, user session, persistent), then checks that all of it
is gone and that the zygote's own attributes are those it started with (a process of the same
uid may lower its rlimits with ``prlimit``, nice it, change its CPU affinity or I/O priority).
It returns the problems: any at all, and the grader replaces the jail.

Standard library only (the zygote's children inherit whatever it imports).
"""

import ctypes
import os
import resource
import shutil
import signal
import stat
import time

__all__ = ["WIPED", "WORK", "attributes", "clean", "keyctl", "kill_all", "reap"]

#: The worker's folder inside the jail: a tmpfs of its own, emptied after every submission.
WORK = "/genolearn-work"
#: Every place a submission can write to.
WIPED = (WORK, "/dev/shm", "/dev/mqueue")
# keyctl(2) and ioprio_get(2) have no libc wrapper: syscall numbers per machine
_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "ppc64le": 271, "s390x": 280}
_IOPRIO_GET = {"x86_64": 252, "aarch64": 31, "riscv64": 31, "ppc64le": 274, "s390x": 283}
_KEYCTL_CLEAR, _KEYCTL_READ, _KEYCTL_PERSISTENT = 7, 11, 22
_USER_KEYRINGS = (-4, -5)  # KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING
_PROCESS_KEYRING = -2

_libc = ctypes.CDLL(None, use_errno=True)


def _syscall(table: dict[str, int], *args: int) -> int:
    number = table.get(os.uname().machine)
    if number is None:
        return -1
    return _libc.syscall(number, *(ctypes.c_long(a) for a in args))


def keyctl(*args: int) -> int:
    return _syscall(_KEYCTL, *args)


def reap() -> dict[int, int]:
    """Reap every child that has ended: ``{pid: wait status}``."""
    ended = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended[pid] = status


def _others() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]


def kill_all(timeout_s: float = 10.0) -> tuple[dict[int, int], bool]:
    """SIGKILL every other process in the namespace until none is left (reaping each)."""
    ended, deadline = {}, time.monotonic() + timeout_s
    while True:
        try:
            os.kill(-1, signal.SIGKILL)  # every process but this one (pid 1)
        except ProcessLookupError:
            pass
        ended.update(reap())
        if not _others():
            return ended, True
        if time.monotonic() > deadline:
            return ended, False
        time.sleep(0.002)


def _remove(path: str) -> None:
    def unlock(func, name, _exc):  # a folder the student made unreadable: it is ours again
        parent = os.path.dirname(name)
        for p in (parent, name):
            if stat.S_ISDIR(os.lstat(p).st_mode):
                os.chmod(p, 0o700)
        func(name)

    if stat.S_ISDIR(os.lstat(path).st_mode):
        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=unlock)
    else:
        os.unlink(path)


def _wipe() -> list[str]:
    """Empty every writable place; returns what could not be removed."""
    problems = []
    for top in WIPED:
        if not os.path.isdir(top):
            continue
        try:
            if os.stat(top).st_uid == os.getuid():
                os.chmod(top, 0o1777)
            for name in os.listdir(top):
                try:
                    _remove(os.path.join(top, name))
                except (OSError, RecursionError) as exc:
                    problems.append(f"{top}/{name}: {exc}")
            if os.listdir(top):
                problems.append(f"{top} is not empty")
        except OSError as exc:
            problems.append(f"{top}: {exc}")
    return problems


def _remove_ipc() -> list[str]:
    """Remove every System V shared memory segment, message queue and semaphore set."""
    problems = []
    for kind, ctl in (("shm", _libc.shmctl), ("msg", _libc.msgctl), ("sem", _libc.semctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
        except (OSError, ValueError, IndexError) as exc:
            problems.append(f"/proc/sysvipc/{kind}: {exc}")
            continue
        for ipc_id in ids:
            ctl(ipc_id, 0, 0, 0)  # IPC_RMID (semctl's semnum and the pointer ignored)
        with open(f"/proc/sysvipc/{kind}") as f:
            if len(f.readlines()) > 1:
                problems.append(f"System V {kind} objects are left")
    return problems


def _keyrings() -> list[int]:
    """The keyrings every process of this uid reaches: user, user session, persistent."""
    rings = list(_USER_KEYRINGS)
    persistent = keyctl(_KEYCTL_PERSISTENT, -1, _PROCESS_KEYRING)
    if persistent > 0:
        rings.append(persistent)
    return rings


def _clear_keyrings() -> list[str]:
    if os.uname().machine not in _KEYCTL:
        return []
    problems = []
    for ring in _keyrings():
        keyctl(_KEYCTL_CLEAR, ring)
        size = keyctl(_KEYCTL_READ, ring, 0, 0)
        if size > 0:
            problems.append(f"keyring {ring} still holds {size // 4} key(s)")
    return problems


def attributes() -> dict:
    """What a process of this uid may change in another one of its processes."""
    limits = {
        name: resource.getrlimit(getattr(resource, name))
        for name in dir(resource)
        if name.startswith("RLIMIT_")
    }
    with open("/proc/self/oom_score_adj") as f:
        oom = f.read().strip()
    return {
        "rlimits": limits,
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "scheduler": (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority),
        "affinity": sorted(os.sched_getaffinity(0)),
        "ioprio": _syscall(_IOPRIO_GET, 1, 0),  # IOPRIO_WHO_PROCESS, this process
        "oom_score_adj": oom,
    }


def clean(before: dict) -> list[str]:
    """Kill, wipe, clear and check (see the module docstring); returns the problems."""
    _, gone = kill_all()
    problems = [] if gone else [f"processes left: {', '.join(_others()[:10])}"]
    problems += _wipe() + _remove_ipc() + _clear_keyrings()
    now = attributes()
    problems += [f"{key} changed" for key in before if now[key] != before[key]]
    return problems
