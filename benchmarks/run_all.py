"""Run every benchmark and print one table; write it to book/benchmarks_table.md.

    make bench        # or: .venv/bin/python benchmarks/run_all.py
    .venv/bin/python benchmarks/run_all.py --only notebooks     # re-measure one part

Measures, on this machine:

* the book build, cold (a fresh copy of the sources, empty jupyter-cache) and cached (the same
  build again, nothing changed);
* each chapter notebook's execution time (nbclient, as the book build runs it; budget 60 s,
  120 s for the capstone);
* the numpy-vs-torch MLP training ratios (benchmarks/mlp_numpy_vs_torch.py);
* grading seconds per submission (benchmarks/grading.py).

Every row of the table says when and on what machine (load average included) it was measured.
``--only`` re-measures the named parts and keeps the other rows of the existing table as they
were measured, except rows about a notebook that no longer exists, which are dropped.
"""

from __future__ import annotations

import argparse
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
PARTS = ("build", "notebooks", "mlp", "grading")


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


def budget(path: Path) -> int:
    """Seconds a chapter notebook may take on 2 cores (the capstone gets 120)."""
    return 120 if "capstone" in path.parent.name else 60


def notebook_times() -> list[tuple[str, float, int]]:
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
        rows.append((str(path.relative_to(ROOT)), time.perf_counter() - start, budget(path)))
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


def part_of(measurement: str) -> str:
    """Which part of the benchmark a table row belongs to."""
    if measurement.startswith("book build"):
        return "build"
    if measurement.startswith("execute "):
        return "notebooks"
    return "mlp" if measurement.startswith("MLP") else "grading"


def kept_rows(parts: set[str]) -> list[tuple[str, str, str]]:
    """The existing table's rows of the parts not re-measured, without notebooks that are
    gone."""
    rows = []
    if not TABLE.exists():
        return rows
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("measurement", "---"):
            continue
        if part_of(cells[0]) in parts:
            continue
        if cells[0].startswith("execute ") and not (ROOT / cells[0].split()[1]).exists():
            continue
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def measure(parts: set[str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if "build" in parts:
        cold, cached = book_builds()
        rows += [
            ("book build, cold (empty cache)", f"{cold:.0f} s"),
            ("book build, cached (no change)", f"{cached:.0f} s"),
        ]
    if "notebooks" in parts:
        for name, seconds, limit in notebook_times():
            rows.append((f"execute {name}", f"{seconds:.1f} s (budget {limit} s)"))
    if "mlp" in parts:
        mlp = run_script("mlp_numpy_vs_torch.py")
        for label in ("genolearn / torch", "genolearn / hand-fused"):
            m = re.search(re.escape(label) + r"\s*=\s*([0-9.]+) \(([0-9.]+)\)", mlp)
            value = f"{m.group(1)} (minima: {m.group(2)})" if m else "not measured (see output)"
            rows.append((f"MLP epoch time, {label}", value))
    if "grading" in parts:
        grading = run_script("grading.py")
        m = re.search(r"([0-9.]+) s per submission", grading)
        rows.append(("grading, seconds per submission", m.group(1) if m else "not measured"))
        m = re.search(r"overhead[^\n]*?(-?[0-9.]+) s per submission", grading)
        if m:
            rows.append(("grading overhead over bare execution", f"{m.group(1)} s per submission"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=PARTS, help="re-measure these parts only")
    args = parser.parse_args(argv)
    parts = set(args.only or PARTS)
    where = f"{time.strftime('%Y-%m-%d')}, {machine()}"
    print(f"machine: {machine()}")
    rows = [(a, b, where) for a, b in measure(parts)] + kept_rows(parts)
    rows.sort(key=lambda row: PARTS.index(part_of(row[0])))
    table = ["| measurement | value | measured |", "|---|---|---|"]
    table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(table)
    print(text)
    TABLE.write_text(
        "Measured with `make bench` (`benchmarks/run_all.py`); each row says when and on what "
        f"machine.\n\n{text}\n"
    )
    print(f"written to {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
