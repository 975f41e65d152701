"""Run every benchmark and print one table; write it to book/benchmarks_table.md.

    make bench        # or: .venv/bin/python benchmarks/run_all.py

Measures, on this machine:

* the book build, cold (a fresh copy of the sources, empty jupyter-cache) and cached (the same
  build again, nothing changed);
* each chapter notebook's execution time (nbclient, as the book build runs it);
* the numpy-vs-torch MLP training ratios (benchmarks/mlp_numpy_vs_torch.py);
* grading seconds per submission (benchmarks/grading.py).

Each figure comes from a run in this process's session; times vary with machine load, so the
table records the machine and the load average next to the numbers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from machine import describe
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TABLE = ROOT / "book" / "benchmarks_table.md"
SKIP = {".venv", "_build", ".git", "student", "book/student"}


def machine() -> str:
    return describe() + " at the start"


def copy_sources(dest: Path) -> None:
    def ignore(folder, names):
        rel = Path(folder).relative_to(ROOT)
        return [n for n in names if str(rel / n).lstrip("./") in SKIP or n in SKIP]

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def time_build(src: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "genolearn"), "release", "chapters", "-o", "book/student"],
        cwd=src,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", "."],
        cwd=src,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def book_builds() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "book"
        copy_sources(src)
        vendor = ROOT / "_vendor"
        if vendor.exists() and not (src / "_vendor").exists():
            shutil.copytree(vendor, src / "_vendor")
        cold = time_build(src)
        cached = time_build(src)
    return cold, cached


def notebook_times() -> list[tuple[str, float]]:
    rows = []
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        rows.append((str(path.relative_to(ROOT)), time.perf_counter() - start))
    return rows


def run_script(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def main() -> int:
    print(f"machine: {machine()}")
    rows: list[tuple[str, str]] = []
    cold, cached = book_builds()
    rows += [
        ("book build, cold (empty cache)", f"{cold:.0f} s"),
        ("book build, cached (no change)", f"{cached:.0f} s"),
    ]
    for name, seconds in notebook_times():
        rows.append((f"execute {name}", f"{seconds:.1f} s (budget 60 s)"))
    mlp = run_script("mlp_numpy_vs_torch.py")
    for label in ("genolearn / torch", "genolearn / hand-fused"):
        m = re.search(re.escape(label) + r"\s*=\s*([0-9.]+) \(([0-9.]+)\)", mlp)
        value = f"{m.group(1)} (minima: {m.group(2)})" if m else "not measured (see output)"
        rows.append((f"MLP epoch time, {label}", value))
    grading = run_script("grading.py")
    m = re.search(r"([0-9.]+) s per submission", grading)
    rows.append(("grading, seconds per submission", m.group(1) if m else "not measured"))
    m = re.search(r"overhead[^\n]*?(-?[0-9.]+) s per submission", grading)
    if m:
        rows.append(("grading overhead over bare execution", f"{m.group(1)} s per submission"))

    table = ["| measurement | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    text = "\n".join(table)
    print(text)
    TABLE.write_text(
        f"Measured with `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.\n\n{text}\n"
    )
    print(f"written to {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
