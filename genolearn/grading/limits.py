"""Resource limits and isolation for the sandboxed worker: what student code may do.

Layers, from outside in (what works on a given machine is recorded in :class:`Isolation`):

1. **Its own user.** When the grader runs as root, every worker runs as a fresh, random,
   unprivileged uid/gid (no passwd entry, no supplementary groups). It can write only to its
   working directory (and world-writable places, which the audit hook closes), cannot signal
   or trace the grader, ``RLIMIT_NPROC`` counts only its own processes (root ignores that
   limit), and every process it leaves behind — even a daemon that called ``setsid()`` —
   is found by uid and killed. If the Python installation is only reachable through a private
   directory (e.g. ``/root/.pyenv``), the worker gets the one capability
   ``CAP_DAC_READ_SEARCH`` (read anything, write nothing more) and the audit hook limits its
   reads to what any user could read plus the Python installation. ``no_new_privs`` is set.
   Not root: the worker keeps the grader's user; leftovers are found by an environment marker.
2. **No network.** A new network namespace (only a downed loopback): ``unshare(CLONE_NEWNET)``
   as root, ``unshare(CLONE_NEWUSER | CLONE_NEWNET)`` otherwise, through ``ctypes`` because
   Python 3.11 has no ``os.unshare``. The grader checks ``/proc/<pid>/ns/net`` afterwards.
3. **rlimits**: address space (memory), CPU seconds, file size, open files, processes, no
   core dumps.
4. **An audit hook** (:func:`install_audit_hook`, ``sys.addaudithook``; student code cannot
   remove it) that refuses network calls, writes outside the working directory, starting other
   programs, and signals to processes outside the worker's session. It is defence in depth:
   code that calls libc directly through ``ctypes`` bypasses it, and layers 1–3 still hold.
5. **Process groups**: the worker leads its own session; the grader kills the whole group and
   then every leftover process (layer 1) after each worker.

cgroups are not used: this machine mounts cgroup v1 controllers (``pids``, ``memory``) but the
per-run uid already gives per-run process accounting and leftover tracking without root-only
cgroup management.
"""

from __future__ import annotations

import ctypes
import os
import resource
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from genolearn._validation import check_choice, check_int, check_number

__all__ = [
    "MARKER_ENV",
    "Isolation",
    "Limits",
    "install_audit_hook",
    "kill_leftovers",
    "needs_read_capability",
    "observe",
    "pick_uid",
    "runs_as_separate_user",
]

MARKER_ENV = "GENOLEARN_SANDBOX"
_UID_BASE, _UID_SPAN = 1_500_000_000, 400_000_000  # far from system, user and subuid ranges
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000
_PR_SET_KEEPCAPS, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE = 8, 38, 47, 2
_CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


@dataclass(frozen=True)
class Limits:
    """Limits for one :func:`~genolearn.grading.sandbox.run_submission`.

    Attributes:
        call_timeout_s: wall-clock seconds for one exercise call (all its cases).
        cell_timeout_s: seconds for one top-level notebook cell; a cell over it is skipped and
            the notebook re-run without it.
        submission_timeout_s: seconds for everything, restarts included.
        startup_timeout_s: seconds to start the worker and read the notebook (no student code
            runs then).
        memory_bytes: address-space limit (``RLIMIT_AS``). Importing torch alone reserves
            about 600 MB: raise it for the torch chapters.
        max_processes: processes and threads of the worker's user (``RLIMIT_NPROC``).
        max_file_bytes, max_open_files: ``RLIMIT_FSIZE`` and ``RLIMIT_NOFILE``.
        max_output_bytes, max_output_items: caps on one case's returned value.
        max_captured_output: characters of the notebook's printed output kept for feedback.
        max_notebook_bytes: a larger notebook file is refused unread.
        user: ``"auto"`` (a fresh unprivileged uid when the grader runs as root) or
            ``"current"`` (the grader's user, in a user namespace when possible; as root this
            protects files only through the audit hook).
        isolate_network: put the worker in its own, empty network namespace when possible.
        allow_subprocess: let student code start other programs.
    """

    call_timeout_s: float = 10.0
    cell_timeout_s: float = 60.0
    submission_timeout_s: float = 600.0
    startup_timeout_s: float = 60.0
    memory_bytes: int = 2**30
    max_processes: int = 64
    max_file_bytes: int = 64 * 2**20
    max_open_files: int = 256
    max_output_bytes: int = 16 * 2**20
    max_output_items: int = 20_000
    max_captured_output: int = 64 * 2**10
    max_notebook_bytes: int = 64 * 2**20
    user: str = "auto"
    isolate_network: bool = True
    allow_subprocess: bool = False

    def __post_init__(self) -> None:
        for name in ("call_timeout_s", "cell_timeout_s", "submission_timeout_s"):
            check_number(getattr(self, name), name, low=0, low_inclusive=False)
        check_number(self.startup_timeout_s, "startup_timeout_s", low=1)
        check_int(self.memory_bytes, "memory_bytes", low=64 * 2**20)
        check_int(self.max_processes, "max_processes", low=1)
        check_int(self.max_file_bytes, "max_file_bytes", low=1)
        check_int(self.max_open_files, "max_open_files", low=64)
        check_int(self.max_output_bytes, "max_output_bytes", low=1024)
        check_int(self.max_output_items, "max_output_items", low=1)
        check_int(self.max_captured_output, "max_captured_output", low=0)
        check_int(self.max_notebook_bytes, "max_notebook_bytes", low=1)
        check_choice(self.user, "user", ("auto", "current"))
        for name in ("isolate_network", "allow_subprocess"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, but got {getattr(self, name)!r}")

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """The rlimits set on the worker, by ``resource`` name."""
        cpu = int(self.submission_timeout_s) + 2
        return {
            "RLIMIT_AS": (self.memory_bytes, self.memory_bytes),
            "RLIMIT_CPU": (cpu, cpu + 1),
            "RLIMIT_FSIZE": (self.max_file_bytes, self.max_file_bytes),
            "RLIMIT_NOFILE": (self.max_open_files, self.max_open_files),
            "RLIMIT_NPROC": (self.max_processes, self.max_processes),
            "RLIMIT_CORE": (0, 0),
        }


@dataclass(frozen=True)
class Isolation:
    """Which isolation mechanisms were actually in force for a worker (checked, not assumed).

    ``uid`` is the unprivileged uid the worker ran as (``None``: the grader's own user);
    ``read_capability`` whether it needed ``CAP_DAC_READ_SEARCH`` to reach the interpreter.
    """

    uid: int | None
    read_capability: bool
    user_namespace: bool
    network_namespace: bool
    audit_hook: bool
    rlimits: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"uid {self.uid}" if self.uid is not None else "the grader's own user"]
        if self.read_capability:
            parts.append("CAP_DAC_READ_SEARCH (reads limited by the audit hook)")
        if self.network_namespace:
            parts.append("user+network namespace" if self.user_namespace else "network namespace")
        else:
            parts.append("no network namespace (network blocked by the audit hook only)")
        parts.append("audit hook" if self.audit_hook else "NO audit hook")
        parts.append("rlimits " + "/".join(r.removeprefix("RLIMIT_") for r in self.rlimits))
        return ", ".join(parts)


# --------------------------------------------------------------------------- grader side

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what} failed: {os.strerror(err)}")


def _preexec(uid: int | None, need_cap: bool, net: bool, rlimits: dict) -> None:
    """Runs in the forked child before ``exec`` (single-threaded, so ``unshare`` may work).
    It imports nothing: another grader thread may hold the import lock at ``fork`` time."""
    libc = _libc
    if libc is not None and net and uid is not None:
        libc.unshare(_CLONE_NEWNET)  # failure tolerated: the grader checks /proc/<pid>/ns/net
    for name, value in rlimits.items():
        resource.setrlimit(getattr(resource, name), value)
    if uid is not None:
        _check(libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)")
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if need_cap:
            bit = 1 << _CAP_DAC_READ_SEARCH
            data = (_CapData * 2)((bit, bit, bit), (0, 0, 0))
            header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
            _check(libc.capset(ctypes.byref(header), data), "capset")
            _check(
                libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, _CAP_DAC_READ_SEARCH, 0, 0),
                "prctl(PR_CAP_AMBIENT)",
            )
    elif libc is not None and net:
        libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET)  # failure tolerated, as above
    if libc is not None:
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _others_can_reach(path: str) -> bool:
    """True if a user with no special rights can read ``path`` (every parent searchable)."""
    path = os.path.realpath(path)
    try:
        mode = os.stat(path).st_mode
        if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
            return False
        parent = os.path.dirname(path)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            if parent == os.path.dirname(parent):
                return True
            parent = os.path.dirname(parent)
    except OSError:
        return False


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
    """A random uid no process uses and no passwd entry names."""
    import pwd

    for _ in range(20):
        uid = _UID_BASE + secrets.randbelow(_UID_SPAN)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if not _uid_in_use(uid):
                return uid
    raise RuntimeError("could not find a free uid for the sandbox")


def runs_as_separate_user(limits: Limits) -> bool:
    """Whether workers get their own uid: ``user="auto"`` and the grader is root on Linux."""
    return limits.user == "auto" and sys.platform.startswith("linux") and os.geteuid() == 0


def needs_read_capability(paths: Sequence[str]) -> bool:
    """Whether an unprivileged uid would fail to read one of ``paths`` (the interpreter,
    the standard library, numpy, genolearn)."""
    return not all(_others_can_reach(p) for p in paths)


def observe(pid: int, uid: int | None, need_cap: bool, rlimits: Sequence[str]) -> Isolation:
    """What the worker process ``pid`` really runs under, read from ``/proc``."""

    def ns(kind: str, who: str) -> str | None:
        try:
            return os.readlink(f"/proc/{who}/ns/{kind}")
        except OSError:
            return None

    try:
        status = _proc_status(pid)
        real_uid = int(status["Uid"].split()[0])
        amb = int(status.get("CapAmb", "0").strip(), 16)
    except (OSError, KeyError, ValueError):
        real_uid, amb = -1, 0
    net, user = ns("net", str(pid)), ns("user", str(pid))
    return Isolation(
        uid=real_uid if uid is not None and real_uid == uid else None,
        read_capability=bool(need_cap and amb & (1 << _CAP_DAC_READ_SEARCH)),
        user_namespace=user is not None and user != ns("user", "self"),
        network_namespace=net is not None and net != ns("net", "self"),
        audit_hook=False,
        rlimits=tuple(rlimits),
    )


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


# --------------------------------------------------------------------------- worker side

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_NETWORK = frozenset(
    "socket.connect socket.bind socket.getaddrinfo socket.gethostbyname socket.gethostbyname_ex "
    "socket.gethostbyaddr socket.getnameinfo socket.sendto socket.sendmsg".split()
)
_PROCESS = frozenset(
    "subprocess.Popen os.system os.exec os.posix_spawn os.spawn os.startfile pty.spawn".split()
)
# event -> positions of the path arguments it writes to (and the dir_fd argument, if any)
_WRITES = {
    "os.remove": ((0,), 1),
    "os.rmdir": ((0,), 1),
    "os.mkdir": ((0,), 2),
    "os.rename": ((0, 1), 2),
    "os.replace": ((0, 1), 2),
    "os.link": ((0, 1), 2),
    "os.symlink": ((1,), 2),
    "os.chmod": ((0,), 2),
    "os.chown": ((0,), 3),
    "os.truncate": ((0,), None),
    "os.utime": ((0,), 3),
    "os.mkfifo": ((0,), 2),
    "os.mknod": ((0,), 3),
}
_READS = frozenset({"os.listdir", "os.scandir"})
_SIGNALS = frozenset({"os.kill", "os.killpg"})


def install_audit_hook(
    workdir: str,
    *,
    allow_subprocess: bool = False,
    restrict_reads: bool = False,
    read_roots: Sequence[str] = (),
) -> None:
    """Install the worker's audit hook (irremovable for the rest of the process's life).

    Refuses, with ``PermissionError``: network calls; opening for writing, creating, deleting,
    renaming, linking or changing files outside ``workdir`` (``/dev/null`` allowed); starting
    programs unless ``allow_subprocess``; signals to processes outside this session. With
    ``restrict_reads`` (the worker holds ``CAP_DAC_READ_SEARCH``), reading a file outside
    ``read_roots`` and ``workdir`` is allowed only if any user could read it.
    """
    root = os.path.realpath(workdir)
    roots = tuple(os.path.realpath(r) for r in (*read_roots, root, "/dev", f"/proc/{os.getpid()}"))
    session = os.getsid(0)
    state = threading.local()

    def inside(path: str, base: tuple[str, ...]) -> bool:
        return any(path == b or path.startswith(b.rstrip("/") + "/") for b in base)

    def resolve(path: object, dir_fd: object = None) -> str | None:
        if isinstance(path, int):
            return None  # an already-open file descriptor
        p = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
        if not os.path.isabs(p) and isinstance(dir_fd, int):
            p = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), p)
        return os.path.realpath(p)

    def deny_write(path: object, dir_fd: object = None) -> None:
        real = resolve(path, dir_fd)
        if real is not None and real != "/dev/null" and not inside(real, (root,)):
            raise PermissionError(
                f"the grader's sandbox does not allow changing {os.fsdecode(path)!s} "
                "(only files in the notebook's own folder)"
            )

    def deny_read(path: object) -> None:
        real = resolve(path)
        if real is not None and not inside(real, roots) and not _others_can_reach(real):
            raise PermissionError(f"the grader's sandbox does not allow reading {real}")

    def hook(event: str, args: tuple) -> None:
        if getattr(state, "busy", False):
            return
        state.busy = True
        try:
            if event == "open":
                path, mode, flags = args
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                    isinstance(flags, int) and flags & _WRITE_FLAGS
                )
                if writing:
                    deny_write(path)
                elif restrict_reads:
                    deny_read(path)
            elif event in _WRITES:
                positions, fd_at = _WRITES[event]
                dir_fd = args[fd_at] if fd_at is not None and len(args) > fd_at else None
                for i in positions:
                    deny_write(args[i], dir_fd)
            elif event in _NETWORK:
                raise PermissionError("the grader's sandbox has no network access")
            elif event in _PROCESS and not allow_subprocess:
                raise PermissionError("the grader's sandbox does not allow starting programs")
            elif event in _SIGNALS:
                target = args[0]
                pid = -target if event == "os.kill" and target < -1 else target
                if target == -1 or (pid > 0 and _session_of(pid) != session):
                    raise PermissionError("the grader's sandbox only lets code signal itself")
            elif event in _READS and restrict_reads and args and args[0] is not None:
                deny_read(args[0])
        finally:
            state.busy = False

    sys.addaudithook(hook)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
