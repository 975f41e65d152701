"""A sandbox never outlives its grader, and a new run sweeps up what an earlier one left.

Runs as root only (the sandbox gets its own uids and namespaces there).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from genolearn.grading import Call, Limits, run_submission
from genolearn.grading.lifetime import UID_RANGE, Lease, lease_folder, pick_uid, sweep
from tests.grading.classroom import Student, build_class, lean_notebook

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids exist when grading as root"),
]

ROOT = Path(__file__).resolve().parents[2]
LOOP = "def sigmoid(z):\n    while True:\n        pass"


def processes() -> dict[int, dict]:
    """Every live process: ``{pid: {ppid, uid, comm, cmdline}}`` (zombies left out)."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{entry}/status").read_text().splitlines()
            )
            if status["State"].strip()[0] in "ZX":
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            found[int(entry)] = {
                "ppid": int(status["PPid"]),
                "uid": int(status["Uid"].split()[0]),
                "comm": status["Name"].strip(),
                "cmdline": cmdline.decode("utf-8", "replace"),
            }
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return found


def descendants(root: int, table: dict[int, dict]) -> set[int]:
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, info in table.items() if info["ppid"] in frontier} - found
        found |= frontier
    return found


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_kill_9_to_the_grader_leaves_no_sandbox_process(tmp_path):
    """SIGKILL to the grader's process group while a submission loops (and has left a daemon
    that called ``setsid`` and ignores signals): every sandbox process is gone within
    seconds. While it runs, no process of the grader shows the secret in its command line,
    environment or open files."""
    name = f"gld{secrets.token_hex(5)}"
    daemon = f"""
    import ctypes, os, signal, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(s, signal.SIG_IGN)
            ctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)  # PR_SET_NAME
            while True:
                time.sleep(0.2)
        os._exit(0)
    """
    subs = build_class(
        tmp_path / "subs", [Student("looper", lean_notebook(daemon, replace={"sigmoid": LOOP}))]
    )
    secret_value = "genolearn-secret-" + secrets.token_hex(16)
    secret = tmp_path / "secret.txt"
    secret.write_text(secret_value)
    secret.chmod(0o600)
    cmd = [str(ROOT / ".venv" / "bin" / "genolearn"), "grade", str(subs), "--chapter", "1"]
    cmd += ["-o", str(tmp_path / "out"), "--secret-file", str(secret), "--workers", "1"]
    cmd += ["--call-timeout", "300", "--quiet"]
    grader = subprocess.Popen(
        cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:

        def looping() -> dict[int, dict] | None:
            table = processes()
            tree = {p: table[p] for p in descendants(grader.pid, table)}
            worker = [i for i in tree.values() if "genolearn.grading.zygote" in i["cmdline"]]
            busy = [p for p, i in table.items() if i["comm"] == name]
            return tree if worker and busy else None

        tree = wait_for(looping, timeout=120)
        assert tree, f"the looping submission never started: {grader.stderr.read1().decode()}"
        time.sleep(1)  # the exercise call is now spinning
        tree = looping() or tree
        sandbox_uids = {i["uid"] for i in tree.values() if i["uid"] in UID_RANGE}
        assert sandbox_uids, tree
        for pid in [grader.pid, *tree]:
            info = tree.get(pid, {"uid": 0})
            if info["uid"] != 0:
                continue  # sandbox processes: the grader's own are the ones that know the secret
            for item in ("cmdline", "environ"):
                assert secret_value.encode() not in Path(f"/proc/{pid}/{item}").read_bytes()
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    assert os.readlink(f"/proc/{pid}/fd/{fd}") != str(secret)
                except FileNotFoundError:
                    continue
    finally:
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait()
        grader.stderr.close()

    def survivors() -> list[dict]:
        table = processes()
        return [i for i in table.values() if i["uid"] in sandbox_uids or i["comm"] == name]

    assert wait_for(lambda: not survivors(), timeout=5), survivors()


def test_a_new_run_sweeps_up_what_a_dead_grader_left(tmp_path):
    """A process of a sandbox uid whose lease nobody holds (its grader was killed before it
    could clean up) is killed by the next ``run_submission``; its lease is removed."""
    uid, marker = pick_uid(), secrets.token_hex(8)
    seconds = f"300.{secrets.randbelow(10**9)}"
    orphan = subprocess.Popen(
        ["sleep", seconds], user=uid, group=uid, extra_groups=[], start_new_session=True
    )
    stale = lease_folder() / f"{marker}.lease"
    stale.write_text(json.dumps({"uid": uid, "marker": marker, "pid": 1}))
    try:
        path = tmp_path / "nb.ipynb"
        nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("def f(x):\n    return x")]), path)
        result = run_submission(path, [Call("t.f", "f", [((1,), {})])], limits=Limits())
        assert result["t.f"].outputs == [1]
        assert wait_for(lambda: orphan.poll() is not None, timeout=5)
        assert orphan.returncode == -signal.SIGKILL and not stale.exists()
    finally:
        orphan.kill()
        orphan.wait()
        stale.unlink(missing_ok=True)


def test_the_sweep_leaves_live_graders_alone(tmp_path):
    """Leases still locked belong to running graders (another course, another test): their
    processes and leases stay; stale ones go, and a lease naming no sandbox uid kills
    nothing by uid."""
    live_uid, stale_uid = pick_uid(), pick_uid()
    procs = {
        uid: subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[])
        for uid in (live_uid, stale_uid)
    }
    live = Lease(live_uid, secrets.token_hex(8), folder=tmp_path)
    (tmp_path / "stale.lease").write_text(json.dumps({"uid": stale_uid, "marker": "m"}))
    (tmp_path / "bogus.lease").write_text(json.dumps({"uid": 0, "marker": ""}))
    try:
        assert sweep(tmp_path) >= 1
        assert wait_for(lambda: procs[stale_uid].poll() is not None, timeout=5)
        assert procs[live_uid].poll() is None and live.path.exists()
        assert sorted(p.name for p in tmp_path.glob("*.lease")) == [live.path.name]
    finally:
        live.release()
        for proc in procs.values():
            proc.kill()
            proc.wait()
    assert not live.path.exists()


@pytest.mark.parametrize("mode", ["jail", "userjail"])
def test_a_worker_dies_with_the_process_that_started_it(tmp_path, mode):
    """The same one level down: SIGKILL to the process calling ``run_submission`` (no process
    group kill) ends its looping worker and the daemon the submission left; ``userjail`` is
    what a grader that is not root builds (forced here, as root)."""
    name = f"gld{secrets.token_hex(5)}"
    cells = [
        "import ctypes, os, time\nif os.fork() == 0:\n    os.setsid()\n"
        f"    ctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)\n"
        "    while True:\n        time.sleep(0.2)",
        LOOP,
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells]), path)
    force = "sandbox.runs_as_separate_user = lambda lim: False\n" if mode == "userjail" else ""
    script = (
        "from genolearn.grading import Call, Limits, sandbox, run_submission\n"
        + force
        + f"run_submission({str(path)!r}, [Call('t.s', 'sigmoid', [((0.0,), {{}})])], "
        + "limits=Limits(call_timeout_s=300))\n"
    )
    caller = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c", script], cwd=ROOT)
    try:

        def looping() -> set[int]:
            table = processes()
            tree = descendants(caller.pid, table)
            named = {p for p, i in table.items() if i["comm"] == name}
            busy = any("genolearn.grading.zygote" in table[p]["cmdline"] for p in tree)
            return tree | named if named and busy else set()

        started = wait_for(looping, timeout=60)
        assert started, "the looping submission never started"
    finally:
        caller.kill()
        caller.wait()
    assert wait_for(lambda: not (started & set(processes())), timeout=5)


def test_an_idle_jail_dies_with_its_grader_and_its_lease_is_swept(tmp_path):
    """Between submissions the jail waits with its zygote alive; SIGKILL to the process that
    holds it ends the warden and the zygote, and the next run removes the jail's lease."""
    path = tmp_path / "nb.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("def f(x):\n    return x")]), path)
    script = (
        "import json, sys, time\n"
        "from genolearn.grading import Call, Limits, pool, run_submission\n"
        f"run_submission({str(path)!r}, [Call('t.f', 'f', [((1,), {{}})])], limits=Limits())\n"
        "held = pool._idle[0]\n"
        "print(json.dumps([sorted(pool.supervisor_pids()), held.lease.path.name]), flush=True)\n"
        "time.sleep(300)\n"
    )
    holder = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pids, lease = json.loads(holder.stdout.readline())
        assert len(pids) == 2 and all(str(p) in os.listdir("/proc") for p in pids)
        assert (lease_folder() / lease).exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert wait_for(lambda: not set(pids) & set(processes()), timeout=5)
    result = run_submission(path, [Call("t.f", "f", [((1,), {})])], limits=Limits())
    assert result["t.f"].outputs == [1] and not (lease_folder() / lease).exists()
