"""The worker's audit hook: refusals that give student code a clear error message.

Defence in depth only — code that calls libc through ``ctypes`` bypasses it, and the security
of the sandbox does not rest on it: the jail (:mod:`~genolearn.grading.jail`) holds without
it (its own uid with no capabilities, a file system that has nothing of the grader's, no
network). What the hook adds is a readable ``PermissionError`` for the common attempts.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["install_audit_hook"]

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
_SIGNALS = frozenset({"os.kill", "os.killpg"})


def install_audit_hook(workdir: str, *, allow_subprocess: bool = False) -> None:
    """Install the worker's audit hook (irremovable for the rest of the process's life).

    Refuses, with ``PermissionError``: network calls; opening for writing, creating, deleting,
    renaming, linking or changing files outside ``workdir`` (``/dev/null`` allowed); starting
    programs unless ``allow_subprocess``; signals to processes outside this session.
    """
    root = os.path.realpath(workdir)
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
        finally:
            state.busy = False

    sys.addaudithook(hook)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
