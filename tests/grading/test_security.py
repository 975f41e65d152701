"""The sandbox leaks nothing: a submission that hunts for the grader's secret by every route it
has finds nothing, holds no capability, and nothing secret reaches any output.

The hunter (:data:`HUNTER`) knows what an attacker could know: the secret's format (a prefix
and 32 hex digits), where the secret file, a root-only decoy and a classmate's notebook lie on
the grader's machine. It reads ``/proc/*/{cmdline,environ,status,maps,mem,fd/*}`` of every
process it can see, opens candidate paths with libc ``open``/``read`` through ``ctypes`` (past
the audit hook), lists and walks parent folders, scans its own memory, reads every inherited
descriptor and its environment. Tokens are written hex-encoded in its source, so a hit on the
source itself cannot count; a hit is the prefix followed by 32 hex digits.

Runs as root only: the jail is what grading as root builds (``Limits(user="auto")``).
"""

from __future__ import annotations

import html
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from genolearn.grading import Call, Limits, pool, run_submission
from tests.grading.classroom import Student, build_class, lean_notebook

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(os.geteuid() != 0, reason="the jail is built when grading as root"),
]

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = {"secret": "genolearn-secret-", "decoy": "genolearn-decoy-", "mate": "genolearn-mate-"}

HUNTER = """
import ctypes, os, select, stat, sys, time
PATHS, FOLDERS = {paths!r}, {folders!r}
NEEDLES = [bytes.fromhex(h) for h in {needles!r}]
HEX = set(b"0123456789abcdef")
libc = ctypes.CDLL(None, use_errno=True)
HITS = []

def look(where, data):
    for needle in NEEDLES:
        i = data.find(needle)
        while i >= 0 and len(HITS) < 50:
            tail = data[i + len(needle) : i + len(needle) + 32]
            if len(tail) == 32 and set(tail) <= HEX:
                HITS.append(where + ": " + (needle + tail).decode())
            i = data.find(needle, i + 1)

def c_read(path):
    fd = libc.open(path.encode(), os.O_RDONLY | os.O_NONBLOCK)
    if fd < 0:
        return "errno %d" % ctypes.get_errno()
    buf = ctypes.create_string_buffer(1 << 16)
    n = libc.read(fd, buf, len(buf))
    libc.close(fd)
    look("read " + path, buf.raw[: max(n, 0)])
    return "read %d bytes" % n

def regions(pid):
    with open("/proc/%s/maps" % pid) as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "r" in parts[1] and not line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                yield lo, hi

def scan_memory(pid, budget):
    with open("/proc/%s/mem" % pid, "rb", buffering=0) as mem:
        for lo, hi in list(regions(pid)):
            while lo < hi and time.monotonic() < budget:
                n = min(hi - lo, 1 << 22)
                try:
                    mem.seek(lo)
                    look("mem of %s" % pid, mem.read(n))
                except (OSError, ValueError, OverflowError):
                    break
                lo += n

def hunt(everywhere=True):
    report = {{"caps": {{}}, "procs": {{}}, "paths": {{}}, "folders": {{}}, "fds": {{}}}}
    for line in open("/proc/self/status"):
        key = line.split(":")[0]
        if key.startswith("Cap") or key in ("NoNewPrivs", "Uid", "Seccomp"):
            report["caps"][key] = line.split(":", 1)[1].strip()
    me = str(os.getpid())
    for pid in sorted(p for p in os.listdir("/proc") if p.isdigit() and everywhere):
        seen = {{}}
        for item in ("cmdline", "environ", "maps", "status"):
            try:
                with open("/proc/%s/%s" % (pid, item), "rb") as f:
                    data = f.read()
                look("/proc/%s/%s" % (pid, item), data)
                seen[item] = data.replace(b"\\0", b" ").decode("latin-1")[:300]
            except OSError as exc:
                seen[item] = type(exc).__name__
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                path = "/proc/%s/fd/%s" % (pid, fd)
                try:
                    target = os.readlink(path)
                except OSError as exc:
                    target = type(exc).__name__
                # A pipe reopened for reading would only steal this worker's own messages.
                seen["fd " + fd] = target + " " + ("" if "pipe:" in target else c_read(path))
        except OSError as exc:
            seen["fd"] = type(exc).__name__
        if pid != me:
            try:
                scan_memory(pid, time.monotonic() + 5)
                seen["mem"] = "read"
            except OSError as exc:
                seen["mem"] = type(exc).__name__
        report["procs"][pid] = seen
    scan_memory("self", time.monotonic() + 20)
    for path in PATHS:
        report["paths"][path] = c_read(path)
    for folder in FOLDERS:
        try:
            report["folders"][folder] = sorted(os.listdir(folder))
        except OSError as exc:
            report["folders"][folder] = type(exc).__name__
    package = os.path.dirname(__import__("genolearn").__file__)
    skip = {{"/proc", "/sys", "/dev", "/usr", "/etc", os.path.realpath(sys.base_prefix),
            os.path.realpath(sys.prefix), package}}
    walked = []
    for top, dirs, files in os.walk("/") if everywhere else ():
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in skip and "site-packages" != d]
        for name in files:
            path = os.path.join(top, name)
            walked.append(path)
            if os.path.isfile(path) and os.path.getsize(path) < 2**20:
                c_read(path)
    report["walked"] = walked
    for fd in range(1024):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        link = os.readlink("/proc/self/fd/%d" % fd)
        report["fds"][str(fd)] = "%o %s" % (stat.S_IFMT(info.st_mode), link)
        try:
            if select.select([fd], [], [], 0)[0]:
                look("fd %d" % fd, os.read(fd, 1 << 16))
        except (OSError, ValueError):
            pass
    look("environ", open("/proc/self/environ", "rb").read())
    look("os.environ", repr(dict(os.environ)).encode())
    report["environ"] = dict(os.environ)
    report["hits"] = HITS
    return report
"""


def token(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_hex(16)


@pytest.fixture
def planted(tmp_path):
    """A 0600 secret in a 0700 folder, root-only decoys under ``/root`` and the test's tmp
    folder, and a classmate's notebook holding a token: ``(tokens, paths, folders)``."""
    tokens = {kind: token(kind) for kind in PREFIXES}
    private = tmp_path / "instructor"
    private.mkdir(mode=0o700)
    secret = private / "secret.txt"
    secret.write_text(tokens["secret"] + "\n")
    secret.chmod(0o600)
    decoys = [Path("/root") / f".genolearn-decoy-{secrets.token_hex(4)}", tmp_path / "decoy.txt"]
    for decoy in decoys:
        decoy.write_text(tokens["decoy"])
        decoy.chmod(0o600)
    subs = tmp_path / "subs"
    mate = f"import numpy as np\n# {tokens['mate']}\ndef double(x):\n    return 2 * x"
    build_class(subs, [Student("mate", v4.new_notebook(cells=[v4.new_code_cell(mate)]))])
    paths = [str(secret), *map(str, decoys), str(subs / "mate.ipynb"), "/root/.bash_history"]
    folders = [str(private), str(tmp_path), str(subs), "/root", "/tmp", "/work", "/home", "/"]
    try:
        yield tokens, paths, folders, subs, secret
    finally:
        decoys[0].unlink()


def hunter_source(tokens: dict, paths: list, folders: list) -> str:
    needles = [PREFIXES[kind].encode().hex() for kind in tokens]
    return HUNTER.format(paths=paths, folders=folders, needles=needles)


def assert_clean(text: str, tokens: dict, where: str) -> None:
    for kind, value in tokens.items():
        assert value not in text, f"the {kind} token leaked into {where}"
        assert value[len(PREFIXES[kind]) :] not in text, f"the {kind} token leaked into {where}"


@pytest.mark.parametrize("mode", ["jail", "userjail"])
def test_the_worker_holds_no_capability_and_finds_nothing(planted, mode, monkeypatch):
    """``userjail`` is what a grader that is not root builds (forced here, as root)."""
    if mode == "userjail":
        monkeypatch.setattr("genolearn.grading.sandbox.runs_as_separate_user", lambda lim: False)
    tokens, paths, folders, _, _ = planted
    source = hunter_source(tokens, paths, folders) + "\ndef bad(x):\n    return hunt()\n"
    nb = v4.new_notebook(cells=[v4.new_code_cell(source)])
    path = Path(folders[1]) / "hunter.ipynb"
    nbformat.write(nb, path)
    limits = Limits(call_timeout_s=120, submission_timeout_s=300)
    result = run_submission(path, [Call("t.bad", "bad", [((0,), {})])], limits=limits)
    call = result["t.bad"]
    assert call.status == "ok", (call.reason, result.cell_errors, result.notes)
    report = call.outputs[0]
    caps = report["caps"]
    for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(caps[name], 16) == 0, (name, caps[name])
    assert caps["NoNewPrivs"] == "1" and int(caps["Uid"].split()[0]) != 0
    iso = result.isolation
    assert iso.capabilities == () and iso.mode == mode and iso.pid_namespace
    # Only the sandbox's own processes are visible: the zygote (pid 1, unreadable) and the
    # worker it forked (the same command line).
    cmdlines = [p["cmdline"] for p in report["procs"].values()]
    assert len(cmdlines) == 2 and all("genolearn.grading.zygote" in c for c in cmdlines), cmdlines
    init = report["procs"]["1"]
    assert init["environ"] == "PermissionError" and init["mem"] == "PermissionError"
    # Candidate paths do not exist in there, parent folders show nothing of the grader's.
    for p in paths:
        assert report["paths"][p] in ("errno 2", "errno 13"), (p, report["paths"][p])
    for folder in folders[:3]:
        assert report["folders"][folder] == "FileNotFoundError"
    assert report["folders"]["/root"] == [".pyenv"] or "/root" not in sys.base_prefix
    assert not [f for f in report["walked"] if "work/notebook.ipynb" not in f], report["walked"]
    assert report["hits"] == []
    assert_clean(repr(report) + result.output + repr(result.notes), tokens, "the result")


def test_without_the_jail_the_hunter_finds_the_secret(planted):
    """The hunter works: run with the grader's own user (``user="current"``, as root), the
    same libc reads find the secret, the decoy and the classmate's token."""
    tokens, paths, folders, _, _ = planted
    source = hunter_source(tokens, paths, folders)
    source += "\ndef bad(x):\n    return hunt(everywhere=False)['hits']\n"
    path = Path(folders[1]) / "hunter.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(source)]), path)
    limits = Limits(user="current", call_timeout_s=120, submission_timeout_s=300)
    result = run_submission(path, [Call("t.bad", "bad", [((0,), {})])], limits=limits)
    hits = "\n".join(result["t.bad"].outputs[0])
    for value in tokens.values():
        assert value in hits


def test_a_grader_run_leaks_nothing_into_any_output(planted, tmp_path):
    """``genolearn grade`` as an instructor runs it: the hunter's findings go into a cell error
    that lands in its record and feedback (the canary proves that channel works)."""
    tokens, paths, folders, subs, secret = planted
    canary = "canary-" + secrets.token_hex(8)
    raise_hits = f"raise RuntimeError('{canary} hits=' + repr(hunt()['hits']))"
    hunter = hunter_source(tokens, paths, folders) + "\n" + raise_hits
    build_class(subs, [Student("hunter", lean_notebook(textwrap.dedent(hunter)))])
    out = tmp_path / "out"
    cmd = [str(ROOT / ".venv" / "bin" / "genolearn"), "grade", str(subs), "--chapter", "1"]
    cmd += ["-o", str(out), "--secret-file", str(secret), "--workers", "1", "--quiet"]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    assert done.returncode in (0, 3), done.stderr
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    for f in out.rglob("*"):
        if f.is_file():
            texts[str(f)] = f.read_bytes().decode("utf-8", "replace")
    assert len(texts) > 5
    for where, text in texts.items():
        assert_clean(text, tokens, where)
    reached = [w for w, t in texts.items() if canary in t]
    assert any("hunter" in w for w in reached), sorted(texts)
    for where in reached:  # as the page shows it: Markdown escapes, HTML entities undone
        text = html.unescape(texts[where]).replace("\\", "")
        i = text.index(canary)
        assert f"{canary} hits=[]" in text, (where, text[i : i + 400])


# ------------------------------------------------------------------ one jail, many students

LEAVER = """
import ctypes, os, signal, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
SYS = {{"x86_64": (248, 250, 310, 438), "aarch64": (217, 219, 270, 438)}}[os.uname().machine]
ADD_KEY, KEYCTL, VM_READV, PIDFD_GETFD = SYS
TOKEN = bytes.fromhex({token_hex!r})
WORK = os.getcwd()

def c_write(path, data):  # libc, past the audit hook: security must not rest on it
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    libc.write(fd, data, len(data))
    libc.close(fd)

for folder in (WORK, "/dev/shm"):
    c_write(os.path.join(folder, "left-behind"), TOKEN)
os.makedirs(os.path.join(WORK, "locked", "deeper"))
c_write(os.path.join(WORK, "locked", "deeper", "note"), TOKEN)
os.chmod(os.path.join(WORK, "locked"), 0)
os.mkfifo(os.path.join(WORK, "fifo"))
shm = libc.shmget(0x6E11, 4096, 0o1000 | 0o666)  # IPC_CREAT
ctypes.memmove(libc.shmat(shm, None, 0), TOKEN, len(TOKEN))
msq = libc.msgget(0x6E12, 0o1000 | 0o666)
libc.msgsnd(msq, struct.pack("l", 1) + TOKEN, len(TOKEN), 0)
libc.semget(0x6E13, 1, 0o1000 | 0o666)
mq = libc.mq_open(b"/genolearn-mq", os.O_CREAT | os.O_RDWR, 0o666, None)
libc.mq_send(mq, TOKEN, len(TOKEN), 0)
persistent = libc.syscall(KEYCTL, 22, -1, -3)  # KEYCTL_GET_PERSISTENT, into @s
for ring in (-4, -5, -3, persistent):  # user, user session, session, persistent keyrings
    libc.syscall(ADD_KEY, b"user", b"genolearn-leak", TOKEN, len(TOKEN), ring)

ready_r, ready_w = os.pipe()
if os.fork() == 0:  # a daemon that waits for the next student's notebook
    os.setsid()
    if os.fork() == 0:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        os.write(ready_w, b"x")
        while True:
            for name in os.listdir(WORK):
                if name.endswith(".ipynb"):
                    with open(os.path.join(WORK, name), "rb") as f:
                        c_write("/dev/shm/stolen-" + name, f.read())
            time.sleep(0.005)
    os._exit(0)
os.read(ready_r, 1)

def attack(x):
    out = {{}}
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGSTOP, signal.SIGKILL):
        libc.kill(1, s)  # pid 1 of the namespace: the zygote
    time.sleep(0.2)
    out["state"] = [ln for ln in open("/proc/1/status") if ln.startswith("State")][0].split()[1]
    out["ptrace"] = (libc.ptrace(16, 1, None, None), ctypes.get_errno())  # PTRACE_ATTACH
    buf = ctypes.create_string_buffer(64)
    local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 64)
    remote = (ctypes.c_void_p * 2)(0x400000, 64)
    out["vm_readv"] = (libc.syscall(VM_READV, 1, local, 1, remote, 1, 0), ctypes.get_errno())
    pidfd = os.pidfd_open(1)
    out["getfd"] = [
        (libc.syscall(PIDFD_GETFD, pidfd, fd, 0), ctypes.get_errno()) for fd in range(3, 8)
    ]
    for item in ("mem", "environ", *("fd/%d" % fd for fd in range(8))):
        try:
            out[item] = open("/proc/1/" + item, "rb").read(64).hex()
        except OSError as exc:
            out[item] = type(exc).__name__
    return out
"""

PATCHER = """
import sys, numpy, nbformat
numpy.linalg.norm = lambda *a, **k: 42.0
nbformat.reader.reads = lambda *a, **k: 1 / 0
sys.modules["genolearn.grading.worker"]._python_source = lambda source: "raise SystemExit"
"""

LOOKER = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
KEYCTL = {{"x86_64": 250, "aarch64": 219}}[os.uname().machine]
PREFIXES = [bytes.fromhex(h) for h in {prefix_hex!r}]
HEX = set(b"0123456789abcdef")
# the scan works: this notebook's own canary is found: {canary}

def in_memory(PREFIX):
    hits = 0
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in list(maps):
            lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
            if "r" not in line.split()[1] or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            i = data.find(PREFIX)
            while i >= 0:  # the prefix alone is this function's own; a token has 32 hex after it
                hits += set(data[i + len(PREFIX) : i + len(PREFIX) + 32]) <= HEX
                i = data.find(PREFIX, i + 1)
    return hits

def look(x):
    def errno(result):
        return ctypes.get_errno() if result < 0 else result
    out = {{"procs": sorted(p for p in os.listdir("/proc") if p.isdigit())}}
    out["me"] = str(os.getpid())
    for name, folder in (("work", os.getcwd()), ("shm", "/dev/shm"), ("mqueue", "/dev/mqueue")):
        out[name] = sorted(os.listdir(folder))
    out["sysvipc"] = [
        len(open("/proc/sysvipc/" + k).readlines()) - 1 for k in ("shm", "msg", "sem")
    ]
    out["shmget"] = errno(libc.shmget(0x6E11, 0, 0))
    out["msgget"] = errno(libc.msgget(0x6E12, 0))
    out["semget"] = errno(libc.semget(0x6E13, 0, 0))
    out["mq_open"] = errno(libc.mq_open(b"/genolearn-mq", os.O_RDWR))
    persistent = libc.syscall(KEYCTL, 22, -1, -3)
    out["keys"] = [
        errno(libc.syscall(KEYCTL, 10, ring, b"user", b"genolearn-leak", 0))  # KEYCTL_SEARCH
        for ring in (-4, -5, -3, persistent)
    ]
    out["norm"] = float(__import__("numpy").linalg.norm([3.0, 4.0]))
    out["memory"] = [in_memory(prefix) for prefix in PREFIXES]
    return out
"""


def _two_students(tmp_path: Path, first: str, second: str, limits: Limits):
    """Grade two notebooks one after the other (the second also defines ``double``), with
    the pool's jails before, between and after."""
    pool.close_all()
    results, jails = [], [pool.supervisor_pids()]
    for i, (source, call) in enumerate(((first, "attack"), (second, "look"))):
        cells = ["def double(x):\n    return 2 * x", source]
        path = tmp_path / f"student{i}.ipynb"
        nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells]), path)
        calls = [Call(f"t.{call}", call, [((0,), {})]), Call("t.double", "double", [((3,), {})])]
        results.append(run_submission(path, calls, limits=limits))
        jails.append(pool.supervisor_pids())
    return results, jails


@pytest.mark.parametrize("mode", ["jail", "userjail"])
def test_nothing_of_one_student_reaches_the_next_in_the_same_jail(tmp_path, mode, monkeypatch):
    """A student leaves a daemon waiting for the next notebook, files in every writable place
    (one in a folder made unreadable, a FIFO), System V shared memory, a message queue and a
    semaphore, a POSIX message queue, keys in the user, session and persistent keyrings,
    patched numpy, nbformat and worker modules, and signals, ptraces and reads the zygote
    (pid 1). The next student, forked by the same zygote, finds none of it — not even the
    first one's token anywhere in its own memory — and is graded normally."""
    if mode == "userjail":
        monkeypatch.setattr("genolearn.grading.sandbox.runs_as_separate_user", lambda lim: False)
    mate = token("mate")
    first = LEAVER.format(token_hex=mate.encode().hex()) + PATCHER
    prefixes = [PREFIXES[kind].encode().hex() for kind in ("mate", "decoy")]
    second = LOOKER.format(prefix_hex=prefixes, canary=token("decoy"))
    limits = Limits(call_timeout_s=30, submission_timeout_s=120)
    (a, b), jails = _two_students(tmp_path, first, second, limits)
    assert a.isolation.mode == b.isolation.mode == mode
    assert a["t.double"].outputs == [6] and a["t.attack"].status == "ok", a["t.attack"].reason
    attack = a["t.attack"].outputs[0]
    assert attack["state"] == "S"  # neither killed nor stopped
    assert attack["ptrace"] == (-1, 1) and attack["vm_readv"] == (-1, 1)  # EPERM
    assert all(got == (-1, 1) for got in attack["getfd"]), attack["getfd"]
    assert attack["mem"] == attack["environ"] == "PermissionError"
    assert all(attack[f"fd/{fd}"] in ("PermissionError", "FileNotFoundError") for fd in range(8))
    assert jails[1] and jails[1] == jails[2], "the second student ran in another jail"
    assert b["t.double"].outputs == [6] and not b.cell_errors, (b.cell_errors, b.notes)
    look = b["t.look"].outputs[0]
    assert look["procs"] == sorted(["1", look["me"]])
    assert look["work"] == ["notebook.ipynb"] and look["shm"] == look["mqueue"] == []
    assert look["sysvipc"] == [0, 0, 0]
    assert look["shmget"] == look["msgget"] == look["semget"] == look["mq_open"] == 2  # ENOENT
    assert all(k in (126, 1) for k in look["keys"]), look["keys"]  # ENOKEY (EPERM: no ring)
    assert look["norm"] == 5.0 and look["memory"][0] == 0 and look["memory"][1] > 0
    assert mate not in repr(b) and mate not in b.output


def test_a_student_who_changes_the_zygote_gets_it_replaced(tmp_path):
    """A process of the jail's uid may lower the zygote's rlimits (``prlimit``) and nice it;
    the zygote notices after the submission and exits, and the next student gets a new jail
    (new uid) with the limits and priority of an untouched one."""
    tamper = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
limit = (ctypes.c_uint64 * 2)(100, 100)
PRLIMIT = libc.prlimit(1, 7, limit, None)  # RLIMIT_NOFILE of pid 1
NICE = libc.setpriority(0, 1, 19)  # PRIO_PROCESS, pid 1
def attack(x):
    return PRLIMIT, NICE
"""
    looker = """
import os, resource
def look(x):
    return os.getpriority(os.PRIO_PROCESS, 0), resource.getrlimit(resource.RLIMIT_NOFILE)
"""
    limits = Limits(call_timeout_s=30, submission_timeout_s=120)
    (a, b), jails = _two_students(tmp_path, tamper, looker, limits)
    assert a["t.attack"].outputs[0] == (0, 0)  # both allowed by the kernel
    assert jails[1] == set() and jails[2], jails  # the tampered jail was not kept
    assert a.isolation.uid != b.isolation.uid
    nice, nofile = b["t.look"].outputs[0]
    assert nice == 0 and nofile == (limits.max_open_files,) * 2
    assert b["t.double"].outputs == [6]
    left = [p for p in os.listdir("/proc") if p.isdigit() and _uid_of(p) == a.isolation.uid]
    assert not left, [Path(f"/proc/{p}/status").read_text()[:300] for p in left]


def _uid_of(pid: str) -> int | None:
    """The real uid of a live process (``None`` for a zombie or a process gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    if status.split("\nState:")[1].split()[0] in ("Z", "X"):
        return None
    return int(status.split("\nUid:")[1].split()[0])
