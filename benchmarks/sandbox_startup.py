"""What the jail costs: one small submission run in the jail vs. without it, same process.

    .venv/bin/python benchmarks/sandbox_startup.py [--repeats 9]

Must run as root (the jail is what grading as root builds). Each repeat runs, in rotating
order, ``run_submission`` on a two-cell notebook (numpy imported, one exercise, one case) with
``Limits(user="auto")`` — the jail: launcher, warden, init, mount/PID/network namespaces, a
fresh uid — and with ``Limits(user="current")`` — the worker exec-ed directly as the grader's
user, the reference. Prints median and minimum wall time of each and their ratio, and the
extra time per worker.
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

from genolearn.grading import Call, Limits, run_submission

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
    variants = {"jail": Limits(user="auto"), "no jail": Limits(user="current")}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for limits in variants.values():  # warm-up: page cache, pyc files
        assert run_submission(path, calls, limits=limits)["t.double"].outputs == [6]
    for i in range(args.repeats):
        order = list(variants)[i % 2 :] + list(variants)[: i % 2]
        for name in order:
            start = time.perf_counter()
            result = run_submission(path, calls, limits=variants[name])
            times[name].append(time.perf_counter() - start)
            assert result["t.double"].outputs == [6]
            if name == "jail":
                assert result.isolation.mode == "jail" and result.isolation.capabilities == ()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'variant':10} {'median s':>9} {'min s':>7}")
    for name, ts in times.items():
        print(f"{name:10} {statistics.median(ts):9.3f} {min(ts):7.3f}")
    med = {n: statistics.median(ts) for n, ts in times.items()}
    low = {n: min(ts) for n, ts in times.items()}
    print(
        f"jail / no jail: {med['jail'] / med['no jail']:.2f}x (medians), "
        f"{low['jail'] / low['no jail']:.2f}x (minima); extra per worker: "
        f"{(med['jail'] - med['no jail']) * 1000:.0f} ms (medians)"
    )


if __name__ == "__main__":
    main()
