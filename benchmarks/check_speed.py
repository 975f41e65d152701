"""How long does the learner wait for ``check``? Per-exercise medians, against a reference.

For every registered exercise, ``check(id, reference)`` (a passing answer: every case runs,
nothing to diagnose) and ``check(id, first catalogued mistake)`` (a failing answer: the
diagnosis runs every mutant on every case) are timed ``--repeats`` times, with a new seed each
time. The reference measured in the same process is ``REF``: calling the exercise's reference
implementation once on each of its cases — the least any check could cost. The script prints
each exercise's median time and its ratio to ``REF``, and the median over exercises; the
course's target is a median ``check`` of at most 50 ms.

Reproduce with::

    .venv/bin/python benchmarks/check_speed.py            # 15 repeats
    .venv/bin/python benchmarks/check_speed.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from genolearn.exercises import all_exercises, check


def _median_ms(fn, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        fn(seed)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _reference_calls(ex, seed: int) -> None:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for case in ex.make_cases(np.random.default_rng(seed)):
            ex.reference(*case.args, **case.kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    exercises = all_exercises()  # imports every chapter (torch for Chapter 5) before timing
    for ex in exercises:
        check(ex.id, ex.reference)  # warm-up
    print(f"{'exercise':40s} {'REF ms':>7s} {'pass ms':>8s} {'x REF':>6s} {'fail ms':>8s}")
    passing, failing = [], []
    for ex in exercises:
        ref = _median_ms(lambda s, ex=ex: _reference_calls(ex, s), args.repeats)
        ok = _median_ms(lambda s, ex=ex: check(ex.id, ex.reference, seed=s), args.repeats)
        wrong = ex.mistakes[0].implementation
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            bad = _median_ms(lambda s, ex=ex, w=wrong: check(ex.id, w, seed=s), args.repeats)
        passing.append(ok)
        failing.append(bad)
        print(f"{ex.id:40s} {ref:7.2f} {ok:8.2f} {ok / ref:6.1f} {bad:8.2f}")
    print(
        f"\nmedian over {len(exercises)} exercises: passing check {statistics.median(passing):.1f}"
        f" ms (max {max(passing):.1f}), failing check with diagnosis "
        f"{statistics.median(failing):.1f} ms (max {max(failing):.1f}); target: median <= 50 ms"
    )


if __name__ == "__main__":
    main()
