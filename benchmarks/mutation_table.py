"""The kill table: how many generated mutants of each exercise's reference its check rejects.

Every exercise's mutants (:mod:`genolearn.exercises.mutate`: operator swaps, constants, axis
and keepdims, off-by-one, dropped terms, stable -> naive formulas, dtype casts, in-place edits)
are run through ``check`` as a notebook runs it, on ``--seeds`` seeds; a mutant is killed when
it is rejected on every seed. Mutants listed in ``tests/exercises/equivalent_mutants.json``
(shown equal to the reference by ``tests/exercises/test_mutation.py``) count as equivalent.
Not a timing benchmark: the kill rate is the figure, and the run's wall time is printed.

Run from the repository root::

    .venv/bin/python benchmarks/mutation_table.py                  # all exercises
    .venv/bin/python benchmarks/mutation_table.py --chapter 1 --survivors
    .venv/bin/python benchmarks/mutation_table.py --limit 40 --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from machine import describe

from genolearn.exercises import all_exercises
from genolearn.exercises.mutate_kill import kill_row, kill_table

EQUIVALENT = Path(__file__).resolve().parent.parent / "tests/exercises/equivalent_mutants.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", type=int, default=None, help="one chapter only")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--limit", type=int, default=None, help="mutants per exercise at most")
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    args = parser.parse_args(argv)
    equivalent = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    start = time.perf_counter()
    rows = [
        kill_row(e, equivalent, seeds=args.seeds, limit=args.limit)
        for e in all_exercises(args.chapter)
    ]
    seconds = time.perf_counter() - start
    print(f"# {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"# {describe()}; seeds {args.seeds}; {seconds:.1f} s")
    print(kill_table(rows))
    if args.survivors:
        for row in rows:
            for m, seeds in row.survivors:
                print(f"{m.id}  passed on seeds {list(seeds)}: {m.description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
