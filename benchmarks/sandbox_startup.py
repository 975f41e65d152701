"""What the sandbox costs per submission: the jail's zygote vs a fresh jail vs no jail.

    .venv/bin/python benchmarks/sandbox_startup.py [--repeats 9]

Must run as root (the jail is what grading as root builds). Each repeat runs, in rotating
order, ``run_submission`` on a two-cell notebook (numpy imported, one exercise, one case) as

* **zygote**: ``Limits(user="auto")`` with the jail kept between submissions — what grading
  does: the zygote (numpy and the worker imported once) forks a worker, then kills and wipes
  everything it left;
* **new jail**: the same with every jail closed first — launcher, warden, namespaces, mounts,
  a fresh uid, and the zygote's Python start and imports, for every submission (what each
  submission paid before the zygote);
* **no jail**: ``Limits(user="current")``, the worker ``exec``-ed directly as the grader's
  user — the reference.

Prints the load average, the median and minimum wall time of each and their ratios to the
reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat import v4

from genolearn.grading import Call, Limits, pool, run_submission

CELLS = ("import numpy as np", "def double(x):\n    return 2 * x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the jail is built only when grading as root")
    folder = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    path = folder / "nb.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(c) for c in CELLS]), path)
    calls = [Call("t.double", "double", [((3,), {})])]
    variants = {
        "zygote": Limits(user="auto"),
        "new jail": Limits(user="auto"),
        "no jail": Limits(user="current"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    print(f"load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for limits in variants.values():  # warm-up: page cache, pyc files
        assert run_submission(path, calls, limits=limits)["t.double"].outputs == [6]
    names = list(variants)
    for i in range(args.repeats):
        for name in names[i % 3 :] + names[: i % 3]:
            if name == "new jail":
                pool.close_all()
            start = time.perf_counter()
            result = run_submission(path, calls, limits=variants[name])
            times[name].append(time.perf_counter() - start)
            assert result["t.double"].outputs == [6]
            if name != "no jail":
                assert result.isolation.mode == "jail" and result.isolation.capabilities == ()
    pool.close_all()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'variant':10} {'median s':>9} {'min s':>7} {'/ no jail':>10}")
    ref = statistics.median(times["no jail"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:10} {med:9.3f} {min(ts):7.3f} {med / ref:9.2f}x")


if __name__ == "__main__":
    main()
