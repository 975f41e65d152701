"""The jail: the process that starts the sandbox's zygote, and the namespaces it builds.

The grader runs this file as a script, ``python -I -S jail.py SPEC`` (``SPEC`` is JSON, see
:func:`launch_command`): a fresh interpreter that imports only the standard library — not
``genolearn``, not numpy — and holds nothing of the grader's memory. It starts as the grader's
user (root) and, in ``"jail"`` mode:

1. sets ``PR_SET_PDEATHSIG`` (SIGKILL) and re-checks ``getppid()`` against the grader's pid,
   which closes the race where the grader died before the signal was armed;
2. ``unshare``-s new mount, PID, network, IPC and UTS namespaces and forks **init** (pid 1 of
   the new PID namespace). The launcher stays outside as the **warden**: it drops to the
   sandbox uid, waits for init and ends with init's exit status or signal;
3. init builds the file system the sandbox sees: a small read-only tmpfs root with, bound
   read-only at their own paths, ``/usr``, ``/etc``, the lib folders, the Python installation
   and the packages (``binds``: a pyenv under ``/root`` appears with nothing else of
   ``/root``), a writable tmpfs of its own as the working folder (``work``), a minimal
   ``/dev`` (with its own ``/dev/shm`` and ``/dev/mqueue``) and a fresh ``/proc`` that shows
   only this namespace's processes. ``pivot_root`` and a detached unmount make the old root
   unreachable: the submissions folder, the secret's folder, ``/root``, ``/home`` and the
   grader's temporary files do not exist in there;
4. init drops every capability (bounding and ambient sets cleared, then ``setresuid`` to a
   fresh uid, then effective, permitted and inheritable zeroed with ``capset``), sets
   ``no_new_privs``, makes itself non-dumpable, arms its own parent-death signal, checks that
   the warden is still there, and verifies in ``/proc/self/status`` that all five capability
   sets are empty;
5. init ``exec``-s ``argv`` — the zygote (:mod:`~genolearn.grading.zygote`), which stays pid 1,
   makes itself non-dumpable again at once, and forks one worker per submission. When it
   exits, the kernel kills every process left in the namespace (a daemon that called
   ``setsid`` included).

If the grader dies (even by SIGKILL), the warden gets SIGKILL, then init, then the whole
namespace: no sandbox process outlives its grader.

``"userjail"`` mode is the same for a grader that is not root: it first makes a user
namespace of its own (the only uid in it is the grader's, seen as uid 1000), and everything
else follows, minus the change of uid: the sandbox runs as the grader's uid on the host, with
no capabilities in any namespace, in a file system without the grader's files.

``"plain"`` mode (where namespaces cannot be made, e.g. a container without
``CAP_SYS_ADMIN``) drops to the uid the same way and ``exec``-s the worker directly; files any
user may read stay visible. ``"current"`` mode keeps the grader's user (rlimits, a user and
network namespace where possible). Failures before student code runs are reported on stderr
as ``genolearn sandbox: …`` with exit code :data:`SETUP_FAILED`.
"""

import ctypes
import json
import os
import select
import signal
import sys

__all__ = ["SETUP_FAILED", "launch_command", "main"]

SETUP_FAILED = 71
_NS_FLAGS = 0x00020000 | 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000  # mnt pid net ipc uts
_NEWUSER, _NEWNET = 0x10000000, 0x40000000
_RDONLY, _NOSUID, _NODEV, _NOEXEC, _REMOUNT = 1, 2, 4, 8, 32
_BIND, _REC, _PRIVATE, _DETACH = 4096, 16384, 1 << 18, 2
_PDEATHSIG, _DUMPABLE, _BSET_DROP, _NO_NEW_PRIVS, _AMBIENT, _AMBIENT_CLEAR = 1, 4, 24, 38, 47, 4
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
_SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
_INNER_UID = 1000  # the grader's uid as seen inside a "userjail"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


class _Setup(Exception):
    """The sandbox could not be set up (reported before any student code runs)."""


def launch_command(spec: dict) -> list[str]:
    """``argv`` that starts the jail described by ``spec`` (grader side; no secret in it).

    ``spec`` keys: ``mode`` ("jail", "userjail", "plain" or "current"), ``parent`` (the
    grader's pid), ``uid``, ``root`` (an empty folder to mount the new root on), ``work`` (the
    working folder: in the jails, where its tmpfs goes), ``work_bytes`` (that tmpfs's size),
    ``binds`` (folders shown read-only), ``net`` (own network namespace), ``rlimits``
    (``resource`` name -> (soft, hard)), ``pass_fd`` (the descriptor ``argv`` is given: the
    zygote's control socket, or the worker's result pipe), ``argv`` (what is ``exec``-ed).
    """
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), json.dumps(spec)]


def _os_error(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int = 0, what: str = "prctl") -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        raise _os_error(what)


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    if _libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data or None)) != 0:
        raise _os_error(f"mount {src or fstype} on {target}")


def _die_with(parent: int) -> None:
    """Arm SIGKILL on parent death, then make sure the parent did not die before that."""
    _prctl(_PDEATHSIG, signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


def _drop_privileges(uid: int | None) -> None:
    """Become ``uid`` (``None``: keep the uid) with no capabilities in any set, no way to gain
    one, no core dumps."""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _prctl(_BSET_DROP, cap, "prctl(PR_CAPBSET_DROP)")
    _prctl(_AMBIENT, _AMBIENT_CLEAR, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # no KEEPCAPS: permitted and effective sets are cleared
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2): all zero
    if _libc.capset(header, data) != 0:
        raise _os_error("capset")
    _prctl(_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
    _prctl(_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")


def _check_no_capabilities(uid: int | None) -> None:
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    held = [k for k in _CAP_FIELDS if int(status[k].strip(), 16) != 0]
    if held or int(status["Uid"].split()[0]) != (_INNER_UID if uid is None else uid):
        raise _Setup(f"capabilities still held after dropping them: {', '.join(held)}")


def _bind(path: str, root: str, writable: bool = False) -> None:
    target = root + path
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(path, target, None, _BIND)
    flags = _REMOUNT | _BIND | _NOSUID | _NODEV | (0 if writable else _RDONLY)
    _mount(None, target, None, flags)


def _build_root(spec: dict) -> None:
    """Mount the worker's file system on ``spec["root"]`` and ``pivot_root`` into it."""
    root = spec["root"]
    os.umask(0o022)  # the folders made on the way to the binds must be searchable
    _mount(None, "/", None, _REC | _PRIVATE)  # nothing below propagates back to the host
    _mount("tmpfs", root, "tmpfs", _NOSUID | _NODEV, "size=4m,nr_inodes=4096,mode=755")
    for name in _SYSTEM:
        src = "/" + name
        if os.path.islink(src):
            os.symlink(os.readlink(src), os.path.join(root, name))
        elif os.path.isdir(src):
            _bind(src, root)
    for path in spec["binds"]:
        _bind(path, root)
    work = root + spec["work"]
    os.makedirs(work)
    size = f"size={int(spec['work_bytes'])},nr_inodes=4096,mode=1777"
    _mount("tmpfs", work, "tmpfs", _NOSUID | _NODEV, size)
    dev = os.path.join(root, "dev")
    os.mkdir(dev)
    _mount("tmpfs", dev, "tmpfs", _NOSUID | _NOEXEC, "size=64k,nr_inodes=64,mode=755")
    for name in _DEVICES:
        open(os.path.join(dev, name), "a").close()
        _mount("/dev/" + name, os.path.join(dev, name), None, _BIND)
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", os.path.join(dev, name))
    os.symlink("/proc/self/fd", os.path.join(dev, "fd"))
    os.mkdir(os.path.join(dev, "shm"))
    shm = "size=16m,nr_inodes=256,mode=1777"
    _mount("tmpfs", os.path.join(dev, "shm"), "tmpfs", _NOSUID | _NODEV | _NOEXEC, shm)
    os.mkdir(os.path.join(dev, "mqueue"))  # this IPC namespace's queues, for the zygote to empty
    _mount("mqueue", os.path.join(dev, "mqueue"), "mqueue", _NOSUID | _NODEV | _NOEXEC)
    os.mkdir(os.path.join(root, "proc"))  # a new proc: this PID namespace's processes only
    _mount("proc", os.path.join(root, "proc"), "proc", _NOSUID | _NODEV | _NOEXEC)
    os.chdir(root)
    number = _PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise _Setup(f"pivot_root is not known on {os.uname().machine}")
    if _libc.syscall(number, b".", b".") != 0:
        raise _os_error("pivot_root")
    if _libc.umount2(b".", _DETACH) != 0:  # the old root: gone from this namespace
        raise _os_error("umount2(old root)")
    os.chdir("/")
    _mount(None, "/", None, _REMOUNT | _BIND | _RDONLY | _NOSUID | _NODEV)


def _exec_worker(spec: dict) -> None:
    import resource

    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), tuple(value))
    os.chdir(spec["work"])
    argv = spec["argv"]
    os.execve(argv[0], argv, dict(os.environ))


def _mirror(status: int) -> None:
    """End this process the way the worker ended (``status`` from ``waitpid``)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _init(spec: dict, lifeline: int) -> None:
    """pid 1 of the new namespace: build the root, drop privileges, become the zygote."""
    _build_root(spec)
    _drop_privileges(spec["uid"])
    _prctl(_PDEATHSIG, signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
    if select.select([lifeline], [], [], 0)[0]:  # EOF: the warden died before the signal
        os._exit(1)
    _check_no_capabilities(spec["uid"])
    _exec_worker(spec)  # stays pid 1; the parent-death signal survives exec


def _warden(spec: dict, init: int) -> None:
    os.close(spec["pass_fd"])
    _drop_privileges(spec["uid"])
    _die_with(spec["parent"])
    _, status = os.waitpid(init, 0)
    _mirror(status)


def _enter_user_namespace(parent: int) -> None:
    """``"userjail"``: a grader that is not root makes the namespaces inside a user namespace
    of its own, where it appears as uid :data:`_INNER_UID` (never 0, so the worker it
    ``exec``-s holds no capability even there)."""
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    if _libc.unshare(_NEWUSER | _NS_FLAGS) != 0:
        raise _os_error("unshare(user, mount, pid, net, ipc, uts namespaces)")
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{_INNER_UID} {outer_uid} 1"),
        ("gid_map", f"{_INNER_UID} {outer_gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    _die_with(parent)  # new credentials clear the parent-death signal


def _jail(spec: dict) -> None:
    try:
        if spec["mode"] == "userjail":
            _enter_user_namespace(spec["parent"])
        elif _libc.unshare(_NS_FLAGS) != 0:
            raise _os_error("unshare(mount, pid, net, ipc, uts namespaces)")
        lifeline, alive = os.pipe()
        init = os.fork()
    except OSError as exc:
        raise _Setup(f"cannot build the jail: {exc}") from None
    if init == 0:
        os.close(alive)
        try:
            _init(spec, lifeline)
        except (OSError, _Setup) as exc:
            _fail(f"cannot build the jail: {exc}")
        os._exit(SETUP_FAILED)
    os.close(lifeline)
    _warden(spec, init)


def _fail(message: str) -> None:
    os.write(2, f"genolearn sandbox: {message}\n".encode())
    os._exit(SETUP_FAILED)


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    _die_with(spec["parent"])
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        if spec["mode"] in ("jail", "userjail"):
            _jail(spec)
        elif spec["mode"] == "plain":
            if spec["net"] and _libc.unshare(_NEWNET) != 0:
                pass  # tolerated: the grader checks /proc/<pid>/ns/net
            _drop_privileges(spec["uid"])
            _die_with(spec["parent"])
            _check_no_capabilities(spec["uid"])
            _exec_worker(spec)
        else:
            if spec["net"]:
                _libc.unshare(_NEWUSER | _NEWNET)  # failure tolerated, as above
                _die_with(spec["parent"])  # new credentials clear the parent-death signal
            _prctl(_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
            _exec_worker(spec)
    except (OSError, _Setup) as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main(sys.argv)
