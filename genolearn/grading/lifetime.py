"""How long sandbox processes live: fresh uids, leases, and the sweep after a killed grader.

Normally nothing outlives a worker: the jail (:mod:`~genolearn.grading.jail`) ties the whole
sandbox to the grader with parent-death signals and a PID namespace; in it, the zygote kills
every process a submission started before the next one runs (:mod:`~genolearn.grading.zygote`),
and the grader kills every process of the jail's uid or marker (:func:`kill_leftovers`) when it
ends the jail; without the jail, the grader kills the worker's process group and every process
of its uid after each run. For whatever could still escape that (a grader killed in the instant
between two of those steps, a kernel without PID namespaces, the ``"plain"`` and ``"current"``
modes), every jail and every worker started without one holds a **lease**: a file named after
its uid and marker in a root-only folder, locked with ``flock`` by the grader process for as
long as it may run. The kernel drops the lock
when the grader dies, however it dies. :func:`sweep`, run at the start of every
:func:`~genolearn.grading.sandbox.run_submission`, finds leases nobody holds any more, kills
what is left of their workers and removes them; leases of graders still running (another
course, another test) are locked, so they are left alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import tempfile
import time
from pathlib import Path

__all__ = [
    "MARKER_ENV",
    "UID_RANGE",
    "Lease",
    "kill_leftovers",
    "lease_folder",
    "pick_uid",
    "sweep",
]

MARKER_ENV = "GENOLEARN_SANDBOX"
#: Sandbox uids are drawn from here: far from system, user and subuid ranges.
UID_RANGE = range(1_500_000_000, 1_900_000_000)
_SUFFIX = ".lease"


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def _uid_in_use(uid: int) -> bool:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if int(_proc_status(int(name))["Uid"].split()[0]) == uid:
                    return True
            except (OSError, KeyError, ValueError, IndexError):
                continue
    return False


def pick_uid() -> int:
    """A random uid from :data:`UID_RANGE` that no process uses and no passwd entry names."""
    import pwd

    for _ in range(20):
        uid = UID_RANGE.start + secrets.randbelow(len(UID_RANGE))
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if not _uid_in_use(uid):
                return uid
    raise RuntimeError("could not find a free uid for the sandbox")


def kill_leftovers(uid: int | None, marker: str, *, timeout_s: float = 5.0) -> int:
    """SIGKILL every live process running as ``uid`` (if given) or carrying the environment
    marker ``MARKER_ENV=marker``; repeat until none is left. Returns how many were killed."""
    needle = f"{MARKER_ENV}={marker}".encode()
    me, killed = os.getpid(), 0
    deadline = time.monotonic() + timeout_s
    while True:
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            pid = int(name)
            try:
                status = _proc_status(pid)
                if status.get("State", "").strip().startswith(("Z", "X")):
                    continue  # already dead, waiting to be reaped
                if uid is not None and int(status["Uid"].split()[0]) == uid:
                    found.append(pid)
                    continue
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(pid)
            except (OSError, KeyError, ValueError, IndexError):
                continue
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        if not found or time.monotonic() > deadline:
            return killed
        time.sleep(0.01)


def lease_folder() -> Path:
    """Where leases live: ``/run/genolearn-sandbox`` for root, else a folder of this user's
    in the temporary directory (created ``0700``; one owned by someone else is refused)."""
    if os.geteuid() == 0 and os.access("/run", os.W_OK):
        folder = Path("/run/genolearn-sandbox")
    else:
        folder = Path(tempfile.gettempdir()) / f"genolearn-sandbox-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.geteuid() or not folder.is_dir() or folder.is_symlink():
        raise PermissionError(f"{folder} is not a folder of this user's; remove it")
    return folder


class Lease:
    """The grader's claim on one worker's uid and marker, held (locked) until :meth:`release`.

    The file is written and locked under a temporary name, then renamed: a sweeper never sees
    a lease that is not yet locked.
    """

    def __init__(self, uid: int | None, marker: str, folder: Path | None = None):
        self.folder = lease_folder() if folder is None else folder
        self.path = self.folder / f"{marker}{_SUFFIX}"
        tmp = self.folder / f".{marker}.tmp"
        self.fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.write(self.fd, json.dumps({"uid": uid, "marker": marker, "pid": os.getpid()}).encode())
        os.rename(tmp, self.path)

    def release(self) -> None:
        """Forget the lease (after the worker's processes are gone)."""
        if self.fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None


def sweep(folder: Path | None = None) -> int:
    """Kill what workers of dead graders left behind and remove their leases; returns how many
    processes were killed. Leases still locked by a live grader are not touched."""
    folder = lease_folder() if folder is None else folder
    killed = 0
    for path in folder.glob(f"*{_SUFFIX}"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live grader holds it
            try:
                lease = json.loads(os.read(fd, 4096) or b"{}")
                uid, marker = lease.get("uid"), str(lease.get("marker", ""))
            except ValueError:
                uid, marker = None, ""
            uid = uid if isinstance(uid, int) and uid in UID_RANGE else None  # never root's
            if uid is not None or marker:
                killed += kill_leftovers(uid, marker or "-")
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return killed
