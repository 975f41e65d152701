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

from genolearn.grading import Call, Limits, run_submission
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
