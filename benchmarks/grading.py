"""How fast does ``genolearn grade`` grade a class, against running the notebooks bare?

Grades ``--n`` copies (default 20) of Chapter 1's source notebook (a correct submission) with
:func:`genolearn.grading.grade_class` — sandbox, seeded hidden cases, checks, records,
gradebook, feedback, report — on ``--workers`` local workers, and measures in the same run:

* **nbclient, bare**: each copy executed with ``nbclient`` in a fresh ``python`` process (the
  usual way to run a notebook non-interactively), ``--workers`` at a time. The overhead of
  grading is the difference per submission.
* **otter-grader** (``otter run``, its non-container mode; ``otter grade`` needs Docker), if an
  ``otter`` executable is found (``--otter``, default ``/tmp/otter/bin/otter``): an equivalent
  assignment — the same functions and points, each checked against genolearn's reference
  on the exercise's cases — graded ``--workers`` submissions at a time. The ratio of
  throughputs is printed; if otter cannot run here the script says why.

Run from the repository root (each line prints the command that reproduces it)::

    .venv/bin/python benchmarks/grading.py               # 20 copies, one worker per CPU
    .venv/bin/python benchmarks/grading.py --n 5 --workers 1
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from machine import cpu_model

from genolearn.exercises import all_exercises
from genolearn.grading import grade_class

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "01_neuron" / "neuron.ipynb"
GOAL_S = 1.5
_EXECUTE = textwrap.dedent(
    """
    import sys, nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    """
)
_OTTER_TEST = """OK_FORMAT = True
test = {{
    "name": "{name}",
    "points": {points},
    "suites": [{{"type": "doctest", "scored": True, "setup": "", "teardown": "", "cases": [{{
        "hidden": False, "locked": False, "code": {code!r},
    }}]}}],
}}
"""
_OTTER_CODE = """>>> import numpy as np
>>> from genolearn.exercises import get_exercise
>>> ex = get_exercise({id!r})
>>> def same(a, b):
...     if isinstance(b, tuple):
...         return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
...     return bool(np.allclose(a, b))
>>> cases = ex.make_cases(np.random.default_rng(0))
>>> all(same({fn}(*c.args, **c.kwargs), ex.reference(*c.args, **c.kwargs)) for c in cases)
True"""


def machine() -> str:
    cpus = f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))})"
    return f"{cpus}, {cpu_model()}, Python {platform.python_version()}"


def parallel(commands: list[list[str]], workers: int, env: dict | None = None) -> float:
    """Run ``commands`` ``workers`` at a time; the wall time. Raises if one fails."""

    def one(cmd: list[str]) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"{' '.join(cmd[:3])} … failed: {' | '.join(tail)}")

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, commands))
    return time.perf_counter() - start


def otter_assignment(folder: Path, otter: str) -> Path:
    """Write the equivalent otter tests and build ``autograder.zip`` with ``otter generate``."""
    tests = folder / "tests"
    tests.mkdir(parents=True)
    for ex in all_exercises(1):
        code = _OTTER_CODE.format(id=ex.id, fn=ex.function)
        text = _OTTER_TEST.format(name=ex.function, points=ex.points, code=code)
        (tests / f"{ex.function}.py").write_text(text)
    zip_path = folder / "autograder.zip"
    cmd = [otter, "generate", "-t", str(tests), "-o", str(zip_path), "--no-requirements"]
    cmd += ["--no-environment", "--no-config"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=folder)
    if done.returncode != 0 or not zip_path.exists():
        raise RuntimeError(f"otter generate failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return zip_path


def otter_total(results: Path) -> float:
    """The total score in one ``otter run`` results file."""
    tests = json.loads(results.read_text())["tests"]
    return sum(t.get("score") or 0.0 for t in tests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="copies of the notebook to grade")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--otter", default="/tmp/otter/bin/otter", help="otter executable")
    args = parser.parse_args()
    n, w = args.n, args.workers
    print(f"genolearn grading benchmark: {n} copies of {NOTEBOOK.relative_to(ROOT)}, {w} at a time")
    print(f"machine: {machine()}")
    print(f"command: .venv/bin/python benchmarks/grading.py --n {n} --workers {w}")
    with tempfile.TemporaryDirectory(prefix="genolearn-bench-") as tmp:
        tmp = Path(tmp)
        subs = tmp / "submissions"
        subs.mkdir()
        for i in range(n):
            shutil.copy(NOTEBOOK, subs / f"student{i:03d}.ipynb")

        start = time.perf_counter()
        run = grade_class(subs, tmp / "out", chapters=[1], secret=b"benchmark", workers=w)[1]
        grade_s = (time.perf_counter() - start) / n
        rows = list(csv.DictReader(run.gradebook.read_text().splitlines()))
        scores = {(row["total"], row["max"]) for row in rows}  # exercises and project
        full = rows[0]["max"]
        assert not run.errors and len(rows) == n and scores == {(full, full)}, (run.errors, scores)

        commands = [[sys.executable, "-c", _EXECUTE, str(p)] for p in sorted(subs.iterdir())]
        bare_s = parallel(commands, w) / n

        print(f"nbclient, bare execution   : {bare_s:6.2f} s per notebook")
        goal = "meets" if grade_s <= GOAL_S else "misses"
        print(
            f"genolearn grade            : {grade_s:6.2f} s per submission "
            f"({goal} the {GOAL_S} s goal; all {n} scored {full}/{full})"
        )
        print(
            f"overhead over bare nbclient: {grade_s - bare_s:+6.2f} s per submission "
            f"(genolearn grade takes {grade_s / bare_s:.2f}x the bare execution time)"
        )

        otter = shutil.which(args.otter) or (args.otter if os.access(args.otter, os.X_OK) else None)
        if otter is None:
            print(
                f"otter-grader               : not measured: no otter executable at {args.otter} "
                "(python3 -m venv /tmp/otter && /tmp/otter/bin/pip install otter-grader "
                "ipykernel matplotlib)"
            )
            return
        try:
            autograder = otter_assignment(tmp / "otter", otter)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}  # otter's tests import the references
            commands = []
            for p in sorted(subs.iterdir()):
                out = tmp / "otter" / p.stem
                out.mkdir()
                commands.append([otter, "run", "-a", str(autograder), "-o", str(out), str(p)])
            otter_s = parallel(commands, w, env) / n
            totals = {otter_total(Path(cmd[5]) / "results.json") for cmd in commands}
            if totals != {10.0}:
                raise RuntimeError(f"otter's scores were {sorted(totals)}, not all 10")
        except RuntimeError as exc:
            print(f"otter-grader               : not measured: {exc}")
            return
        print(f"otter run (no container)   : {otter_s:6.2f} s per submission")
        print(f"throughput, genolearn/otter: {otter_s / grade_s:.2f}x")


if __name__ == "__main__":
    main()
