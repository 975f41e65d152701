"""Resource limits and isolation for the sandboxed worker: what student code may do.

Layers, from outside in (what held for a given worker is recorded in :class:`Isolation`):

1. **The jail** (:mod:`~genolearn.grading.jail`), when the grader runs as root: the worker
   runs as a fresh, random, unprivileged uid (one per jail, whose submissions run one after
   another) with **no capabilities** in any set and ``no_new_privs``, in its own mount, PID,
   network, IPC and UTS namespaces. Its file system
   holds the system folders, the Python installation and packages (read-only, at their own
   paths, so a pyenv under ``/root`` works without giving the worker any right to read
   ``/root``) and its own working folder — nothing else: no submissions, no secret, no grader
   files. Its ``/proc`` shows only its own processes. Where namespaces cannot be made the
   worker still gets its own uid without capabilities (``"plain"``), or the grader refuses to
   run student code if the Python installation is not readable by other users.
   Not root (or ``user="current"``): the worker keeps the grader's user, in a user and
   network namespace where possible.
2. **No network**: the network namespace has only a downed loopback.
3. **rlimits**: address space (memory), CPU seconds, file size, open files, processes, no
   core dumps.
4. **Lifetime** (:mod:`~genolearn.grading.lifetime`): parent-death signals tie the jail to
   its grader; when a submission ends, the jail's zygote kills every process it started and
   empties every writable place (:mod:`~genolearn.grading.zygote`); when the jail ends, its
   PID namespace ends with everything in it; leases let a later run sweep up after a grader
   that was killed.
5. **An audit hook** (:mod:`~genolearn.grading.audit`): clear error messages for network
   calls, writes outside the working folder, starting programs and signals. Defence in depth:
   security does not rest on it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from genolearn._validation import check_choice, check_int, check_number

__all__ = [
    "Isolation",
    "Limits",
    "observe",
    "others_can_reach",
    "python_paths",
    "runs_as_separate_user",
]

_CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


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
        max_processes: processes and threads of the worker's user (``RLIMIT_NPROC``; the
            jail's two supervising processes come on top).
        max_file_bytes, max_open_files: ``RLIMIT_FSIZE`` and ``RLIMIT_NOFILE``.
        max_output_bytes, max_output_items: caps on one case's returned value.
        max_captured_output: characters of the notebook's printed output kept for feedback.
        max_notebook_bytes: a larger notebook file is refused unread.
        user: ``"auto"`` (the jail, with a fresh unprivileged uid, when the grader runs as
            root) or ``"current"`` (the grader's user, in a user namespace when possible:
            student code can then read whatever the grader can, the secret file included —
            for trusted code and tests only).
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
    """Which isolation mechanisms were actually in force for a worker (read from ``/proc``
    while it ran, not assumed).

    ``uid`` is the unprivileged uid the worker ran as (``None``: the grader's own user);
    ``capabilities`` names the capability sets that were not empty (``CapEff`` …), so ``()``
    means none at all; ``mode`` is how it was started (``"jail"``, ``"plain"``, ``"current"``).
    """

    uid: int | None
    capabilities: tuple[str, ...]
    user_namespace: bool
    network_namespace: bool
    mount_namespace: bool
    pid_namespace: bool
    audit_hook: bool
    rlimits: tuple[str, ...]
    mode: str = "current"

    def summary(self) -> str:
        parts = [f"uid {self.uid}" if self.uid is not None else "the grader's own user"]
        held = ", ".join(self.capabilities)
        parts.append(f"capabilities held: {held}" if held else "no capabilities")
        spaces = [
            name
            for name, on in (
                ("user", self.user_namespace),
                ("mount", self.mount_namespace),
                ("pid", self.pid_namespace),
                ("network", self.network_namespace),
            )
            if on
        ]
        parts.append(f"{'+'.join(spaces)} namespaces" if spaces else "no namespaces")
        if not self.network_namespace:
            parts.append("network blocked by the audit hook only")
        parts.append("audit hook" if self.audit_hook else "NO audit hook")
        parts.append("rlimits " + "/".join(r.removeprefix("RLIMIT_") for r in self.rlimits))
        return ", ".join(parts)


def others_can_reach(path: str) -> bool:
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


def python_paths() -> list[str]:
    """The folders the worker needs besides the system's: the Python installation (base and
    virtual environment), the site-packages on ``sys.path`` and the ``genolearn`` package —
    real paths, outermost only, never ``/`` and never a folder holding the current one."""
    import genolearn

    found = [sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix]
    packages = ("site-packages", "dist-packages")
    found += [p for p in sys.path if p and os.path.basename(p) in packages]
    found.append(os.path.dirname(genolearn.__file__))
    real = {os.path.realpath(p) for p in found if os.path.isdir(p)}
    system = tuple(f"/{n}/" for n in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "etc"))
    here = os.path.realpath(os.getcwd())
    keep = []
    for p in sorted(real):
        if p == "/" or (p + "/").startswith(system) or (here + "/").startswith(p + "/"):
            continue
        if not any(p.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(p)
    return keep


def runs_as_separate_user(limits: Limits) -> bool:
    """Whether workers get their own uid: ``user="auto"`` and the grader is root on Linux."""
    return limits.user == "auto" and sys.platform.startswith("linux") and os.geteuid() == 0


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def observe(pid: int, uid: int | None, rlimits: Sequence[str], mode: str) -> Isolation:
    """What the worker process ``pid`` really runs under, read from ``/proc``."""

    def ns(kind: str, who: str) -> str | None:
        try:
            return os.readlink(f"/proc/{who}/ns/{kind}")
        except OSError:
            return None

    try:
        status = _proc_status(pid)
        real_uid = int(status["Uid"].split()[0])
        held = tuple(k for k in _CAP_FIELDS if int(status.get(k, "0").strip(), 16))
    except (OSError, KeyError, ValueError):
        real_uid, held = -1, _CAP_FIELDS  # unknown: never claim what was not seen

    def own(kind: str) -> bool:
        mine = ns(kind, str(pid))
        return mine is not None and mine != ns(kind, "self")

    return Isolation(
        uid=real_uid if uid is not None and real_uid == uid else None,
        capabilities=held,
        user_namespace=own("user"),
        network_namespace=own("net"),
        mount_namespace=own("mnt"),
        pid_namespace=own("pid"),
        audit_hook=False,
        rlimits=tuple(rlimits),
        mode=mode,
    )
