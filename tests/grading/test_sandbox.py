"""The sandbox against bad submissions: each test's notebook holds one misbehaving exercise
(``bad``) next to a correct ``double(x) = 2 * x``, and checks that the bad one gets the right
status and reason while ``double`` is still graded.

Limits are short (two seconds per call where a test needs a timeout) so the suite stays fast;
fork bombs are bounded by ``max_processes``, and every test checks that nothing the worker
started is left running.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat import v3, v4

from genolearn.grading import (
    Call,
    Limits,
    SandboxError,
    SubmissionResult,
    Unsupported,
    pool,
    run_submission,
)
from genolearn.grading import limits as limits_module
from genolearn.grading import sandbox as sandbox_module

pytestmark = pytest.mark.grading

DOUBLE = """
def double(x):
    return 2 * x
"""
INPUTS = [np.arange(4.0), np.array([[1, -2], [3, 4]], dtype=np.int32), np.float32(1.5)]
LIMITS = Limits(call_timeout_s=20, cell_timeout_s=30, submission_timeout_s=120)
SHORT = Limits(call_timeout_s=2, cell_timeout_s=2, submission_timeout_s=60)


def write_notebook(tmp_path: Path, *cells: str, name: str = "submission.ipynb") -> Path:
    nb = v4.new_notebook(cells=[v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells])
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def calls(*names: str, forbid=()) -> list[Call]:
    """``double`` on :data:`INPUTS`, after a call of each of ``names`` on one small array."""
    bad = [Call(f"t.{n}", n, [((np.arange(3.0),), {})], forbid) for n in names]
    return [*bad, Call("t.double", "double", [((x,), {}) for x in INPUTS], forbid)]


def assert_double_graded(result: SubmissionResult) -> None:
    call = result["t.double"]
    assert call.status == "ok", call.reason
    for x, out in zip(INPUTS, call.outputs, strict=True):
        assert type(out) is type(2 * x) and out.dtype == (2 * x).dtype
        np.testing.assert_array_equal(out, 2 * x)


def uid_processes(uid: int) -> list[int]:
    """Live processes whose real uid is ``uid``."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid and fields["State"].split()[0] not in "ZX":
            found.append(int(entry))
    return found


def assert_nothing_left(result: SubmissionResult) -> None:
    """No process of the worker's uid survives (when it ran as its own user), but the warden
    and the zygote of the jail it ran in, now idle."""
    uid = result.isolation.uid if result.isolation is not None else None
    if uid is not None:
        left = set(uid_processes(uid)) - pool.supervisor_pids()
        assert not left, [Path(f"/proc/{p}/cmdline").read_bytes() for p in left]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def named(name: str, argv: list[str] | None = None) -> list[int]:
    """Live processes called ``name`` (their ``comm``), with command line ``argv`` if given."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() != name or not alive(int(entry)):
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[:-1]
            if argv is None or [a.decode() for a in cmdline] == argv:
                found.append(int(entry))
        except OSError:
            continue
    return found


def run(path: Path, call_list: list[Call], limits: Limits = LIMITS) -> SubmissionResult:
    result = run_submission(path, call_list, limits=limits)
    assert_nothing_left(result)
    return result


# --------------------------------------------------------------------------- good notebooks


def test_a_correct_notebook_is_graded_in_isolation(tmp_path):
    path = write_notebook(tmp_path, "import numpy as np\n%matplotlib inline\n!ls", DOUBLE)
    result = run(path, calls())
    assert_double_graded(result)
    assert result.workers == 1 and result.notebook_error is None and not result.cell_errors
    iso = result.isolation
    assert iso.audit_hook and "RLIMIT_AS" in iso.rlimits and "audit hook" in iso.summary()
    if os.geteuid() == 0:
        assert iso.uid is not None and iso.uid != 0 and iso.capabilities == ()
        assert "no capabilities" in iso.summary()
    namespaces = ["unshare", "--mount", "--pid", "--fork", "--net", "true"]
    if shutil.which("unshare") and subprocess.run(namespaces).returncode == 0:
        assert iso.network_namespace  # namespaces work here, so the worker must be in them
        if os.geteuid() == 0:
            assert iso.mode == "jail" and iso.mount_namespace and iso.pid_namespace
    assert result.duration_s < 30


@pytest.mark.skipif(os.geteuid() != 0, reason="the jail is built only when grading as root")
def test_without_the_jail_grading_stops_or_says_what_was_weaker(tmp_path, monkeypatch):
    """Where namespaces cannot be made, student code never runs with the grader's rights: it
    runs as its own uid if Python is readable by any user (and the notes say what was
    weaker), otherwise the grader stops with a message that says what to change."""
    monkeypatch.setattr(sandbox_module, "_NO_JAIL", [])
    pool.close_all()  # no jail built earlier may be reused
    monkeypatch.setattr(
        "genolearn.grading.pool.python_paths", lambda: ["/nonexistent/genolearn-python"]
    )
    path = write_notebook(tmp_path, DOUBLE)
    import genolearn

    paths = [sys.executable, os.__file__, np.__file__, genolearn.__file__]
    if all(limits_module.others_can_reach(p) for p in paths):
        result = run(path, calls())
        assert_double_graded(result)
        assert result.isolation.mode == "plain" and result.isolation.capabilities == ()
        assert any("the jail could not be built" in n for n in result.notes)
    else:
        with pytest.raises(SandboxError, match="cannot isolate student code here: cannot build"):
            run_submission(path, calls(), limits=LIMITS)
    assert sandbox_module._NO_JAIL and "cannot build the jail" in sandbox_module._NO_JAIL[0]


def test_exercises_out_of_order_and_redefined_last_definition_wins(tmp_path):
    path = write_notebook(
        tmp_path,
        "print(double(2))",  # NameError: defined further down
        "def double(x):\n    return 3 * x",
        "def triple(x):\n    return 3 * x",
        DOUBLE,
    )
    result = run(path, calls("triple"))
    assert_double_graded(result)
    np.testing.assert_array_equal(result["t.triple"].outputs[0], 3 * np.arange(3.0))
    (error,) = result.cell_errors
    assert (error.type, error.cell, error.line) == ("NameError", 1, 1)


def test_only_the_notebook_is_copied_and_nothing_shadows_numpy(tmp_path, monkeypatch):
    (tmp_path / "numpy.py").write_text("raise RuntimeError('shadowed numpy')")
    (tmp_path / "genolearn").mkdir()
    (tmp_path / "genolearn" / "__init__.py").write_text("raise RuntimeError('shadowed')")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    look = """
    import os, numpy, genolearn
    def bad(x):
        return sorted(os.listdir(".")), numpy.__file__, genolearn.__file__
    """
    result = run(write_notebook(tmp_path, look, DOUBLE), calls("bad"))
    files, numpy_file, genolearn_file = result["t.bad"].outputs[0]
    assert files == ["notebook.ipynb"]
    assert numpy_file == np.__file__ and not genolearn_file.startswith(str(tmp_path))
    assert_double_graded(result)


def test_warnings_are_recorded_not_failures(tmp_path):
    noisy = """
    import sys, warnings
    import numpy as np
    warnings.warn("a top-level warning")
    print("to stderr", file=sys.stderr)
    def bad(x):
        return np.exp(x * 1000)
    """
    result = run(write_notebook(tmp_path, noisy, DOUBLE), calls("bad"))
    call = result["t.bad"]
    assert call.status == "ok" and not result.cell_errors
    assert call.cases[0].warnings == ("RuntimeWarning: overflow encountered in exp",)
    assert "a top-level warning" in result.output and "to stderr" in result.output
    assert_double_graded(result)


def test_registry_exercise_end_to_end(tmp_path):
    from genolearn.exercises import evaluate, get_exercise

    exercise = get_exercise("ch1.sigmoid")
    cases = exercise.make_cases(np.random.default_rng(7))
    stable = """
    import numpy as np
    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    """
    path = write_notebook(tmp_path, stable)
    result = run(path, [Call.from_exercise(exercise, cases)])
    call = result["ch1.sigmoid"]
    assert call.status == "ok", call.reason
    report = evaluate(exercise, cases, [c.to_outcome() for c in call.cases])
    assert report.passed, report.text()


def test_worker_that_cannot_start_is_a_sandbox_error(tmp_path):
    with pytest.raises(SandboxError, match="failed to start"):
        run_submission(write_notebook(tmp_path, DOUBLE), calls(), limits=Limits(memory_bytes=2**26))


def test_nbformat_v3_notebook(tmp_path):
    cells = [v3.new_code_cell(input=DOUBLE), v3.new_code_cell(input="def bad(x):\n  return -x")]
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells)])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(nb), encoding="utf-8")
    result = run(path, calls("bad"))
    assert_double_graded(result)
    np.testing.assert_array_equal(result["t.bad"].outputs[0], -np.arange(3.0))


# --------------------------------------------------------------------------- time


def test_infinite_loop_times_out_and_the_next_exercise_is_graded(tmp_path):
    path = write_notebook(tmp_path, "def bad(x):\n    while True:\n        pass", DOUBLE)
    result = run(path, calls("bad"), SHORT)
    assert result["t.bad"].status == "timeout"
    assert result["t.bad"].reason == "timed out after 2 s on case 1"
    assert_double_graded(result)
    assert result.workers == 2


def test_a_call_with_its_own_longer_limit_gets_it_and_is_stopped_after_it(tmp_path):
    # A project that trains a network declares time_limit_s; the grader's limit stays for
    # every other call.
    slow = """
    import time
    def slow(x):
        time.sleep(3)
        return x
    def bad(x):
        while True:
            pass
    """
    path = write_notebook(tmp_path, slow, DOUBLE)
    own = [
        Call("t.slow", "slow", [((np.arange(3.0),), {})], timeout_s=6),
        Call("t.bad", "bad", [((np.arange(3.0),), {})], timeout_s=4),
        Call("t.double", "double", [((x,), {}) for x in INPUTS]),
    ]
    result = run(path, own, SHORT)
    assert result["t.slow"].status == "ok", result["t.slow"].reason
    assert result["t.bad"].status == "timeout"
    assert result["t.bad"].reason == "timed out after 4 s on case 1"
    assert_double_graded(result)
    with pytest.raises(ValueError, match=r"calls\[0\]\.timeout_s must be > 0"):
        run(path, [Call("t.slow", "slow", [], timeout_s=0)], SHORT)


def test_loop_that_swallows_interrupts_and_signals_still_dies(tmp_path):
    bad = """
    import signal, time
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    def bad(x):
        while True:
            try:
                time.sleep(0.01)
            except BaseException:
                pass
    """
    result = run(write_notebook(tmp_path, bad, DOUBLE), calls("bad"), SHORT)
    assert result["t.bad"].status == "timeout"
    assert_double_graded(result)


def test_a_top_level_infinite_loop_is_skipped(tmp_path):
    path = write_notebook(tmp_path, DOUBLE, "while True:\n    pass", "def bad(x):\n    return x")
    result = run(path, calls("bad"), SHORT)
    assert_double_graded(result)
    assert result["t.bad"].status == "ok"
    assert "cell 2 ran longer than 2 s, so the grader skipped it" in result.notes


def test_the_whole_submission_has_a_time_limit(tmp_path):
    loops = "def bad(x):\n    while True:\n        pass\nbad2 = bad"
    limits = Limits(call_timeout_s=1.5, cell_timeout_s=5, submission_timeout_s=2.5)
    result = run(write_notebook(tmp_path, loops, DOUBLE), calls("bad", "bad2"), limits)
    assert result["t.bad"].status == "timeout"
    for name in ("t.bad2", "t.double"):
        assert result[name].status == "timeout"
        assert "total time limit of 2.5 s" in result[name].reason


# --------------------------------------------------------------------------- processes


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("sys.exit(3)", "crashed", "the process exited (sys.exit(3)) while running bad on case 1"),
        ("os._exit(3)", "crashed", "the process exited (exit code 3) while running bad on case 1"),
        (
            "os.kill(os.getpid(), 9)",
            "crashed",
            "the process was killed by signal 9 (SIGKILL) while running bad on case 1",
        ),
        ("raise KeyboardInterrupt", "error", "bad raised KeyboardInterrupt on case 1 at cell 2"),
    ],
    ids=["sys.exit", "os._exit", "kill-self", "KeyboardInterrupt"],
)
def test_exits_and_kills(tmp_path, body, status, reason):
    exits = "import os, sys\nsys.exit(0)"  # in a top-level cell: recorded, the next cell runs
    path = write_notebook(tmp_path, exits, f"def bad(x):\n    {body}", DOUBLE)
    result = run(path, calls("bad"))
    assert result["t.bad"].status == status
    assert result["t.bad"].reason.startswith(reason)
    assert_double_graded(result)
    assert result.cell_errors[0].type == "SystemExit"


def test_memory_bomb(tmp_path):
    bomb = "def bad(x):\n    hog = []\n    while True:\n        hog.append(bytearray(2**20))"
    limits = Limits(memory_bytes=512 * 2**20, call_timeout_s=20)
    result = run(write_notebook(tmp_path, bomb, DOUBLE), calls("bad"), limits)
    assert result["t.bad"].status == "memory"
    assert result["t.bad"].reason == "memory limit 512 MiB exceeded while running bad on case 1"
    assert_double_graded(result)


def test_fork_bomb_is_bounded_and_cleaned_up(tmp_path):
    bomb = """
    import os
    def bad(x):
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """
    limits = Limits(max_processes=12, call_timeout_s=2)
    result = run(write_notebook(tmp_path, bomb, DOUBLE), calls("bad"), limits)
    assert result["t.bad"].status == "timeout"
    assert_double_graded(result)  # run() also checks that no process of the bomb survives


@pytest.mark.parametrize("user", ["auto", "current"])
def test_daemon_left_behind_is_killed(tmp_path, user):
    name = f"gld{os.urandom(5).hex()}"  # the daemon's process name (pids in the jail are its own)
    daemon = f"""
    import ctypes, os, signal, time
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()  # leaves the worker's process group
        if os.fork() == 0:
            for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(s, signal.SIG_IGN)
            ctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)  # PR_SET_NAME
            os.write(w, str(os.getpid()).encode())
            while True:
                time.sleep(1)
        os._exit(0)
    DAEMON = int(os.read(r, 32))
    def bad(x):
        return DAEMON
    """
    limits = Limits(user=user, call_timeout_s=20)
    result = run(write_notebook(tmp_path, daemon, DOUBLE), calls("bad"), limits)
    pid = result["t.bad"].outputs[0]
    assert isinstance(pid, int) and pid > 1
    assert not named(name)
    if not result.isolation.pid_namespace:
        assert not alive(pid)
    assert_double_graded(result)


def test_subprocess_daemon_is_killed_and_subprocesses_are_off_by_default(tmp_path):
    seconds = f"300.{int.from_bytes(os.urandom(4), 'big')}"  # names this sleep on the host
    spawn = f"""
    import subprocess
    def bad(x):
        return subprocess.Popen(["sleep", "{seconds}"], start_new_session=True).pid
    """
    path = write_notebook(tmp_path, spawn, DOUBLE)
    result = run(path, calls("bad"))
    assert result["t.bad"].status == "error"
    assert "does not allow starting programs" in result["t.bad"].reason
    limits = Limits(allow_subprocess=True, call_timeout_s=20)
    result = run(path, calls("bad"), limits)
    pid = result["t.bad"].outputs[0]
    assert isinstance(pid, int) and not named("sleep", ["sleep", seconds])
    if not result.isolation.pid_namespace:
        assert not alive(pid)
    assert_double_graded(result)


# --------------------------------------------------------------------------- output


def test_output_flood(tmp_path):
    flood = """
    import os, sys
    print("x" * 100_000_000)
    os.write(1, b"y" * 5_000_000)
    for _ in range(4):
        os.write(2, b"z" * 5_000_000)
    def bad(x):
        for _ in range(100):
            sys.stdout.write("w" * 100_000)
        sys.stdout.buffer.write(b"v" * 1_000_000)
        return x
    """
    result = run(write_notebook(tmp_path, flood, DOUBLE), calls("bad"))
    assert result["t.bad"].status == "ok"
    assert_double_graded(result)
    assert 0 < len(result.output) <= LIMITS.max_captured_output


def test_huge_image_output(tmp_path):
    png = base64.b64encode(b"\x89PNG" + os.urandom(3 * 2**20)).decode() * 8  # about 32 MB
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(DOUBLE, outputs=[v4.new_output("display_data", {"image/png": png})]),
            v4.new_code_cell(f"def bad(x):\n    display('{png[:1000]}' * 20000)\n    return x"),
        ]
    )
    path = tmp_path / "images.ipynb"
    nbformat.write(nb, path)
    result = run(path, calls("bad"))
    assert result["t.bad"].status == "ok"
    assert_double_graded(result)
    small = Limits(max_notebook_bytes=2**20)
    result = run(path, calls("bad"), small)
    assert result["t.double"].status == "invalid_notebook"
    assert "larger than the 1 MiB limit" in result["t.double"].reason


def test_output_over_the_size_cap(tmp_path):
    path = write_notebook(
        tmp_path, "import numpy as np\ndef bad(x):\n    return np.zeros(10**6)", DOUBLE
    )
    result = run(path, calls("bad"), Limits(max_output_bytes=2**20))
    assert result["t.bad"].status == "too_large"
    assert "1 MiB limit" in result["t.bad"].reason
    assert_double_graded(result)


# --------------------------------------------------------------------------- student mistakes


def test_exception_in_one_exercise(tmp_path):
    bad = "def bad(x):\n    y = x + 1\n    return y / 0 if isinstance(y, int) else 1 / 0"
    result = run(write_notebook(tmp_path, DOUBLE, bad), calls("bad"))
    assert result["t.bad"].status == "error"
    assert result["t.bad"].reason == (
        "bad raised ZeroDivisionError on case 1 at cell 2, line 3 "
        "(`return y / 0 if isinstance(y, int) else 1 / 0`): division by zero"
    )
    assert_double_graded(result)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("def baad(x):\n    return x", "function bad not found in the notebook (it defines baad"),
        ("def bad(x):\n    return x\ndel bad", "function bad not found in the notebook"),
        ("bad = 5", "bad is defined in the notebook but is an int, not a function"),
    ],
    ids=["renamed", "deleted", "not-a-function"],
)
def test_missing_function(tmp_path, cell, reason):
    result = run(write_notebook(tmp_path, DOUBLE, cell), calls("bad"))
    assert result["t.bad"].status == "not_found"
    assert result["t.bad"].reason.startswith(reason)
    assert_double_graded(result)


def test_function_that_mutates_its_input_is_reported(tmp_path):
    path = write_notebook(tmp_path, "def double(x):\n    x *= 2\n    return x")
    result = run(path, calls())
    assert_double_graded(result)
    call = result["t.double"]
    assert [c.mutated for c in call.cases] == [("argument 1",), ("argument 1",), ()]
    assert "double changed its input (argument 1) on case 1" in call.notes[0]
    outcome = call.cases[0].to_outcome()
    assert outcome.mutated == ["argument 1"] and not outcome.raised


def test_eq_that_always_returns_true_comes_back_unsupported(tmp_path):
    evil = """
    class EvilObject:
        def __eq__(self, other):
            return True
    class EvilFloat(float):
        def __eq__(self, other):
            return True
    def bad(x):
        return EvilObject()
    def bad2(x):
        return EvilFloat(2.0)
    """
    result = run(write_notebook(tmp_path, evil, DOUBLE), calls("bad", "bad2"))
    for name, type_name in (("t.bad", "EvilObject"), ("t.bad2", "EvilFloat")):
        (out,) = result[name].outputs
        assert isinstance(out, Unsupported) and out.type_name == type_name
    assert_double_graded(result)


def test_nan_and_inf_round_trip_exactly(tmp_path):
    special = """
    import numpy as np, struct
    def bad(x):
        payload = struct.unpack(">d", bytes.fromhex("7ff8000000000123"))[0]
        arr = np.array([np.nan, -np.inf, np.inf, -0.0, payload])
        return arr, float("-inf"), payload, np.float32("nan"), -0.0, [float("nan")]
    """
    result = run(write_notebook(tmp_path, special, DOUBLE), calls("bad"))
    arr, neg_inf, payload, f32, zero, (nan,) = result["t.bad"].outputs[0]
    bits = struct.unpack(">d", bytes.fromhex("7ff8000000000123"))[0]
    expected = np.array([np.nan, -np.inf, np.inf, -0.0, bits])
    assert arr.tobytes() == expected.tobytes()
    assert neg_inf == -np.inf and struct.pack(">d", payload).hex() == "7ff8000000000123"
    assert type(f32) is np.float32 and np.isnan(f32)
    assert str(zero) == "-0.0" and np.isnan(nan)
    assert_double_graded(result)


def test_forbidden_modules_are_flagged_not_failed(tmp_path):
    cheat = """
    import genolearn
    from genolearn.nn import sigmoid
    def bad(x):
        return sigmoid(x)
    def bad2(x):
        return genolearn.nn.relu(x)
    """
    result = run(
        write_notebook(tmp_path, cheat, DOUBLE), calls("bad", "bad2", forbid=("genolearn",))
    )
    for name in ("t.bad", "t.bad2"):
        call = result[name]
        assert call.status == "forbidden_flag", call.reason
        assert "flagged for the instructor to review" in call.reason
        assert isinstance(call.outputs[0], np.ndarray)
    assert any("genolearn.nn" in f for f in result["t.bad"].forbidden)
    assert_double_graded(result)


# --------------------------------------------------------------------------- notebooks


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the notebook could not be read: the notebook file is empty (0 bytes)"),
        (b'{"cells": [', "the notebook could not be read: it is not valid JSON"),
        (b"[1, 2, 3]", "the notebook could not be read: it is JSON but not a Jupyter notebook"),
        (
            nbformat.writes(v4.new_notebook()).encode(),
            "the notebook could not be read: the notebook has no code cells",
        ),
        (
            nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell("s = 'caf\u00e9'")]))
            .encode()
            .replace("\u00e9".encode(), b"\xe9"),
            "the notebook could not be read: it is not UTF-8 text: byte 0xe9 at position",
        ),
        (b'{"nbformat": 9, "cells": []}', "the notebook could not be read: nbformat cannot"),
    ],
    ids=["empty", "malformed-json", "not-a-notebook", "no-cells", "not-utf8", "version-9"],
)
def test_unreadable_notebooks(tmp_path, content, reason):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    result = run_submission(path, calls("bad"), limits=LIMITS)
    assert result.notebook_error.startswith(reason)
    assert all(c.status == "invalid_notebook" and c.reason == result.notebook_error for c in result)


def test_missing_notebook_and_symlinks(tmp_path):
    result = run_submission(tmp_path / "nope.ipynb", calls(), limits=LIMITS)
    assert result["t.double"].reason.startswith("the notebook could not be read: there is no file")
    (tmp_path / "link.ipynb").symlink_to(write_notebook(tmp_path, DOUBLE))
    result = run_submission(tmp_path / "link.ipynb", calls(), limits=LIMITS)
    assert result["t.double"].status == "invalid_notebook"


# --------------------------------------------------------------------------- escapes


def test_network_access_is_blocked(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    port = server.getsockname()[1]
    net = f"""
    import ctypes, socket, struct
    def bad(x):
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            return "connected"
        except OSError as exc:
            return str(exc)
    def bad2(x):  # straight to libc: the audit hook does not see this, the namespace does
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(2, 1, 0)
        addr = struct.pack("=HH4s8x", 2, socket.htons({port}), bytes([127, 0, 0, 1]))
        ok = libc.connect(fd, addr, len(addr))
        return ok, ctypes.get_errno()
    """
    try:
        result = run(write_notebook(tmp_path, net, DOUBLE), calls("bad", "bad2"))
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody ever reached the socket
    finally:
        server.close()
    assert "no network access" in result["t.bad"].outputs[0]
    if result.isolation.network_namespace:
        assert result["t.bad2"].outputs[0] == (-1, 101)  # ENETUNREACH: no interface is up
    assert_double_graded(result)


def test_writes_outside_the_working_directory_fail(tmp_path):
    target = tmp_path / "pwned.txt"
    writes = f"""
    import ctypes, os
    def bad(x):
        with open("scratch.txt", "w") as f:  # its own folder: allowed
            f.write("ok")
        results = [open("scratch.txt").read()]
        for attempt in (lambda: open({str(target)!r}, "w"), lambda: os.remove({str(tmp_path)!r})):
            try:
                attempt()
                results.append("done")
            except OSError as exc:
                results.append(type(exc).__name__)
        libc = ctypes.CDLL(None, use_errno=True)  # bypasses the audit hook: the uid still holds
        results.append(libc.open({str(target).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644))
        try:
            open({str(tmp_path / "submission.ipynb")!r}).read()  # the grader's private files
            results.append("read")
        except OSError as exc:
            results.append(type(exc).__name__)
        return results
    """
    result = run(write_notebook(tmp_path, writes, DOUBLE), calls("bad"))
    out = result["t.bad"].outputs[0]
    assert out[:3] == ["ok", "PermissionError", "PermissionError"]
    if result.isolation.uid is not None:
        assert out[3] == -1
        # its own uid cannot open them; in the jail they do not even exist
        assert out[4] in ("PermissionError", "FileNotFoundError")
    assert not target.exists() and tmp_path.exists()
    assert_double_graded(result)


def test_forged_result_lines_do_not_count(tmp_path):
    fake = {"token": "0" * 32, "kind": "result", "call": 0, "found": True, "cases": []}
    forge = f"""
    import json, os
    line = json.dumps({fake!r}) + "\\n"
    print(line)
    with open("results.jsonl", "w") as f:
        f.write(line * 3)
    for fd in range(3, 1024):
        try:
            os.write(fd, line.encode())
        except OSError:
            pass
    def bad(x):
        return "real"
    """
    result = run(write_notebook(tmp_path, forge, DOUBLE), calls("bad"))
    assert result["t.bad"].outputs == ["real"]
    assert_double_graded(result)
    assert any("ignored 1 line" in n for n in result.notes)


def test_monkeypatching_numpy_and_builtins_stays_in_the_sandbox(tmp_path):
    allclose, array_equal = np.allclose, np.array_equal
    patch = """
    import builtins, numpy
    numpy.allclose = numpy.array_equal = lambda *a, **k: True
    numpy.ndarray_backup = numpy.ndarray
    builtins.isinstance = lambda *a: True
    builtins.len = lambda x: 0
    json_dumps = __import__("json").dumps
    __import__("json").dumps = lambda *a, **k: "{}"
    """
    result = run(write_notebook(tmp_path, patch, DOUBLE), calls())
    assert_double_graded(result)
    assert np.allclose is allclose and np.array_equal is array_equal
    assert not np.allclose([1.0], [2.0]) and len([1, 2]) == 2
    assert json.dumps({"a": 1}) == '{"a": 1}'


def test_bad_arguments_are_caller_errors(tmp_path):
    path = write_notebook(tmp_path, DOUBLE)
    with pytest.raises(TypeError, match=r"calls\[0\].cases\[0\]: cannot send a value of type"):
        run_submission(path, [Call("t.x", "double", [((lambda: 1,), {})])])
    with pytest.raises(ValueError, match=r"calls\[0\] is missing the key 'function'"):
        run_submission(path, [{"exercise": "t.x", "cases": []}])
    with pytest.raises(TypeError, match="limits must be a Limits"):
        run_submission(path, calls(), limits={"memory_bytes": 1})
    with pytest.raises(ValueError, match="call_timeout_s must be > 0"):
        Limits(call_timeout_s=0)
