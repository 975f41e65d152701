"""Measure the spread of every number the prose quotes, and test the notebooks under other CPUs.

    .venv/bin/python benchmarks/quoted_spread.py                 # kernels x threads, then seeds
    .venv/bin/python benchmarks/quoted_spread.py --chapters 02 04 --seeds 3
    .venv/bin/python benchmarks/quoted_spread.py --no-nbval      # seeds only

1. **Kernels and threads.** nbval runs the chapter notebooks once per variation: OpenBLAS
   kernels (``OPENBLAS_CORETYPE``), 1 and 2 threads (``OPENBLAS_NUM_THREADS``,
   ``OMP_NUM_THREADS``), and torch's kernel level (``ATEN_CPU_CAPABILITY``). Each run must pass:
   this is what another machine's CPU does to the book. These variables are set for those child
   processes only; never in CI or the tests.
2. **Seeds.** Each notebook is executed (nbclient) with a first cell that shifts every integer
   seed given to ``numpy.random.default_rng``, ``genolearn.deep.set_seed`` and
   ``torch.manual_seed`` by k, and that records :func:`genolearn.quote` calls without raising.

Every :func:`genolearn.quote` call is logged (``GENOLEARN_QUOTE_LOG``); the table printed at the
end gives, for each quoted number, the text's value, the allowed deviation, and the largest
deviation seen across kernels/threads and across seeds. A tolerance is justified when it covers
the kernel/thread deviation with room to spare; where training is chaotic the seed column shows
how far the number can move, and the prose should quote it no more precisely than that.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

VARIATIONS = [
    {"OPENBLAS_CORETYPE": kernel, "OPENBLAS_NUM_THREADS": t, "OMP_NUM_THREADS": t}
    for kernel in ("SkylakeX", "Haswell", "Sandybridge", "Prescott")
    for t in ("1", "2")
] + [
    {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"},
]

SEED_SHIFT = """\
import numpy as _np, genolearn as _gl, genolearn.quoted as _q
_shift = {shift}
_rng = _np.random.default_rng
def _shifted(seed=None, *a, **k):
    if isinstance(seed, (int, _np.integer)) and not isinstance(seed, bool):
        seed = int(seed) + _shift
    return _rng(seed, *a, **k)
_np.random.default_rng = _shifted
_quote = _q.quote
def _record(name, value, expected, **tol):
    try:
        return _quote(name, value, expected, **tol)
    except _q.QuotedNumberError:
        return float(value)
_q.quote = _gl.quote = _record
try:
    import torch as _torch, genolearn.deep as _gd
    _ms = _torch.manual_seed
    _torch.manual_seed = lambda s: _ms(int(s) + _shift)
    _ss = _gd.set_seed
    _gd.set_seed = lambda s: _ss(int(s) + _shift)
except ImportError:
    pass
"""


def notebooks(chapters: list[str]) -> list[Path]:
    found = sorted((ROOT / "chapters").glob("[0-9][0-9]_*/*.ipynb"))
    return [p for p in found if not chapters or p.parent.name[:2] in chapters]


def label(env: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in env.items())


def run_nbval(paths: list[Path], env: dict[str, str], log: Path) -> tuple[bool, str]:
    full = {**os.environ, **env, "GENOLEARN_QUOTE_LOG": str(log)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, paths)]
    proc = subprocess.run(cmd, cwd=ROOT, env=full, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    failed = [ln for ln in lines if ln.startswith("FAILED")]
    return proc.returncode == 0, (lines[-1] if lines else "") + "".join(
        "\n    " + f for f in failed
    )


def run_seed(path: Path, shift: int, log: Path, env: dict[str, str] | None = None) -> None:
    """Execute ``path`` with every integer seed shifted by ``shift`` (0: as written), recording
    each quoted number without raising, under the extra environment ``env``."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SEED_SHIFT.format(shift=shift)))
    saved = dict(os.environ)
    os.environ.update({**(env or {}), "GENOLEARN_QUOTE_LOG": str(log)})
    try:
        resources = {"metadata": {"path": str(path.parent)}}
        NotebookClient(nb, timeout=600, resources=resources).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", default=[], help="two-digit chapter numbers")
    parser.add_argument("--seeds", type=int, default=4, help="seed shifts 1..K (0: none)")
    parser.add_argument("--no-nbval", action="store_true", help="skip the kernel/thread runs")
    parser.add_argument(
        "--log-only",
        action="store_true",
        help="kernel/thread runs execute the notebooks without nbval, recording every quoted "
        "number even past one that leaves its tolerance",
    )
    args = parser.parse_args()
    paths = notebooks(args.chapters)
    tmp = Path(tempfile.mkdtemp(prefix="quoted-"))
    kernel_logs, seed_logs = [], []
    ok_all = True
    if not args.no_nbval:
        print("nbval under kernel and thread variations:")
        for i, env in enumerate(VARIATIONS):
            log = tmp / f"kernel{i}.jsonl"
            start = time.perf_counter()
            if args.log_only:
                for path in paths:
                    run_seed(path, 0, log, env)
                ok, summary = True, "(executed without nbval; values recorded)"
            else:
                ok, summary = run_nbval(paths, env, log)
            ok_all &= ok
            seconds = time.perf_counter() - start
            print(f"  {'PASS' if ok else 'FAIL'}  {label(env):75s} {seconds:5.0f} s")
            print(f"        {summary}")
            kernel_logs.append(log)
    for shift in range(1, args.seeds + 1):
        for path in paths:
            log = tmp / f"seed{shift}.jsonl"
            run_seed(path, shift, log)
        seed_logs.append(log)
    table: dict[str, dict] = defaultdict(lambda: {"k": [], "s": []})
    for logs, key in ((kernel_logs, "k"), (seed_logs, "s")):
        for log in logs:
            for rec in read_log(log):
                row = table[rec["name"]]
                row["expected"], row["allowed"] = rec["expected"], rec["allowed"]
                row[key].append(rec["value"])
    print(f"\n{'quoted number':45s} {'text':>9s} {'allowed':>8s} {'kernels':>19s} {'seeds':>19s}")
    for name in sorted(table):
        row = table[name]

        def span(values: list[float], row=row) -> str:
            if not values:
                return "-"
            dev = max(abs(v - row["expected"]) for v in values)
            return f"{min(values):.4g}..{max(values):.4g} ({dev:.2g})"

        flag = ""
        if row["k"] and max(abs(v - row["expected"]) for v in row["k"]) > row["allowed"]:
            flag = "  <-- kernel run outside tolerance"
        print(
            f"{name:45s} {row['expected']:9.4g} {row['allowed']:8.2g} "
            f"{span(row['k']):>19s} {span(row['s']):>19s}{flag}"
        )
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
