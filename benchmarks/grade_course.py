"""How long does ``genolearn grade`` take for a whole course, against running the notebooks bare?

Generates a course — ``--n`` submissions (default 200) for every chapter with exercises — and
grades each chapter into one course folder with :func:`genolearn.grading.grade_class` (sandbox,
seeded hidden cases, checks, records, gradebooks, feedback pages, class reports, course
gradebook and LMS files), on ``--workers`` local workers. Each submission holds the chapter's
exercise cells after ``import numpy as np`` (the answers a student writes; the chapters'
plotting and training cells are left out) and is one of

* **correct** (about half): the chapter's solutions;
* **partly wrong** (about a quarter): one exercise returns its first argument unchanged;
* **unanswered** (the rest): the released stubs, ``raise NotImplementedError("chN.x: …")``;
* **one per chapter runs into its time limit**: an exercise loops forever (``--call-timeout``
  seconds, default 10, are spent on it).

Every grade is checked (correct: full marks; unanswered: 0; the loop: "timeout"). In the same
run it executes ``--bare`` of each chapter's correct submissions with ``nbclient`` in fresh
``python`` processes, ``--workers`` at a time (the usual way to run a notebook
non-interactively), and prints per chapter the wall time, the time per submission and its
ratio to the bare execution, with the load average (1 minute) at the end of each chapter: the
machine is shared, so a number means little without it. The goal is the whole course within
10 minutes on the 2-core machine of ``benchmarks/README.md``.

Run from the repository root::

    .venv/bin/python benchmarks/grade_course.py            # 200 per chapter, one worker per CPU
    .venv/bin/python benchmarks/grade_course.py --small    # 12 per chapter, a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from machine import describe
from nbformat import v4

from genolearn.exercises import all_exercises
from genolearn.grading import grade_class
from genolearn.grading.grader import default_limits

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 600.0
_BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION (\S+)\n.*?^[ \t]*# END SOLUTION[^\n]*", re.S | re.M)
_FIRST_ARG = re.compile(r"def\s+\w+\(\s*(\w+)")
_EXECUTE = textwrap.dedent(
    """
    import sys, nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    """
)


def source_cells(chapter: int) -> list[str]:
    """The chapter's exercise cells (solutions between markers), from whichever chapter
    notebook holds them; empty if none does."""
    marker = f"# BEGIN SOLUTION ch{chapter}."
    cells = []
    for path in sorted((ROOT / "chapters").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells += [c.source for c in nb.cells if c.cell_type == "code" and marker in c.source]
    return cells


def _replace(cell: str, body: str) -> str:
    """``cell`` with its solution replaced by ``body`` (``{arg}``: the first parameter)."""
    arg = (_FIRST_ARG.search(cell) or [None, "None"])[1]

    def one(m: re.Match) -> str:
        return textwrap.indent(body.format(arg=arg, id=m[2]), m[1])

    return _BLOCK.sub(one, cell)


STUB = 'raise NotImplementedError("{id}: replace this line with your code")'
WRONG = "return {arg}"
LOOP = "while True:\n    pass"


def submission(cells: list[str], kind: str, which: int) -> nbformat.NotebookNode:
    """One generated submission: ``kind`` is correct, wrong (exercise ``which`` returns its
    first argument), stub, or loop (exercise ``which`` never returns)."""
    out = []
    for i, cell in enumerate(cells):
        if kind == "stub":
            cell = _replace(cell, STUB)
        elif kind in ("wrong", "loop") and i == which:
            cell = _replace(cell, WRONG if kind == "wrong" else LOOP)
        out.append(v4.new_code_cell(cell))
    return v4.new_notebook(cells=[v4.new_code_cell("import numpy as np"), *out])


def kinds(n: int) -> list[str]:
    """The mix of ``n`` submissions: one loop, then half correct, a quarter wrong, the rest
    unanswered."""
    plan = ["loop"]
    for i in range(1, n):
        plan.append("correct" if i % 4 in (0, 2) else "wrong" if i % 4 == 1 else "stub")
    return plan


def bare(paths: list[Path], workers: int) -> float:
    """Seconds per notebook to execute ``paths`` with nbclient, ``workers`` at a time."""
    import subprocess

    def one(path: Path) -> None:
        for _ in range(3):  # a kernel that fails to start under load is started again
            done = subprocess.run([sys.executable, "-c", _EXECUTE, str(path)], capture_output=True)
            if done.returncode == 0:
                return
        raise RuntimeError(f"nbclient failed on {path}: {done.stderr.decode()[-300:]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    return (time.perf_counter() - start) / len(paths)


def check(out: Path, chapter: int, plan: list[str]) -> list[str]:
    """The generated submissions that did not get the grade their kind deserves."""
    folder, wrong = out / "records" / f"ch{chapter:02d}", []
    for i, kind in enumerate(plan):
        record = json.loads((folder / f"s{i:03d}.json").read_text())
        statuses = [e["status"] for e in record["exercises"]]
        ok = {
            "correct": record["score"] == record["max_score"],
            "stub": record["score"] == 0 and set(statuses) == {"not implemented"},
            "wrong": 0 < record["max_score"] - record["score"] and "failed" in statuses,
            "loop": "timeout" in statuses,
        }[kind]
        if not ok:
            failed = [e["problem"] or e["reason"] for e in record["exercises"] if e["score"] == 0]
            wrong.append(f"chapter {chapter}, s{i:03d} ({kind}): {statuses} {failed[:1]}")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions per chapter")
    parser.add_argument("--small", action="store_true", help="12 per chapter, 2 bare runs")
    parser.add_argument("--bare", type=int, default=8, help="notebooks run bare per chapter")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--call-timeout", type=float, default=10.0)
    parser.add_argument("--chapters", type=int, nargs="*", default=None)
    args = parser.parse_args()
    n, n_bare = (12, 2) if args.small else (args.n, args.bare)
    chapters = args.chapters or sorted({ex.chapter for ex in all_exercises()})
    command = "benchmarks/grade_course.py" + (" --small" if args.small else f" --n {n}")
    print(f"genolearn course grading benchmark: {n} submissions x chapters {chapters}")
    print(f"machine: {describe()}; {args.workers} workers")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    print(f"command: .venv/bin/python {command}")
    rows, total, wrong = [], 0.0, []
    with tempfile.TemporaryDirectory(prefix="genolearn-course-") as tmp:
        tmp, out = Path(tmp), Path(tmp) / "course"
        for chapter in chapters:
            cells, plan = source_cells(chapter), kinds(n)
            if not cells:
                print(f"chapter {chapter}: skipped (no chapter notebook holds its solutions)")
                continue
            subs = tmp / f"ch{chapter}"
            subs.mkdir()
            for i, kind in enumerate(plan):
                nb = submission(cells, kind, which=i % len(cells))
                nbformat.write(nb, subs / f"s{i:03d}.ipynb")
            limits = default_limits([chapter], call_timeout_s=args.call_timeout)
            start = time.perf_counter()
            course = grade_class(
                subs, out, chapters=[chapter], secret=b"bench", limits=limits, workers=args.workers
            )
            wall = time.perf_counter() - start
            run = course[chapter]
            if run.errors:
                raise RuntimeError(f"chapter {chapter}: not graded: {run.errors}")
            wrong += check(out, chapter, plan)
            correct = [subs / f"s{i:03d}.ipynb" for i, k in enumerate(plan) if k == "correct"]
            per_bare = bare(correct[:n_bare], args.workers)
            load = os.getloadavg()[0]
            rows.append((chapter, n, wall, wall / n, per_bare, load))
            total += wall
            print(
                f"chapter {chapter}: {n} graded in {wall:6.1f} s = {wall / n:5.2f} s per "
                f"submission; nbclient bare {per_bare:5.2f} s per notebook "
                f"({wall / n / per_bare:4.2f}x); load average {load:.1f}",
                flush=True,
            )
    print()
    print(
        "| chapter | submissions | wall (s) | s per submission | bare nbclient (s) | ratio "
        "| load average |"
    )
    print("|---|---|---|---|---|---|---|")
    for ch, count, wall, per, per_bare, load in rows:
        print(
            f"| {ch} | {count} | {wall:.1f} | {per:.3f} | {per_bare:.2f} | {per / per_bare:.3f} "
            f"| {load:.1f} |"
        )
    goal = "meets" if total <= GOAL_S * n / 200 else "misses"
    print(
        f"\nwhole course: {total:.1f} s for {n * len(rows)} submissions ({goal} the goal of "
        f"{GOAL_S:.0f} s for 200 per chapter, scaled to {n})"
    )
    if wrong:
        print(f"\n{len(wrong)} submission(s) not graded as their kind deserves:", *wrong, sep="\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
