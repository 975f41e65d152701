"""How often does ``check`` accept a wrong answer, or reject a correct one? (issue 10)

Runs every answer of the independent corpus in ``tests/exercises/adversarial/`` (plausible wrong
implementations of every registered exercise, none taken from the mistake catalogue, and
correct ones written differently from the reference) through the public API a notebook uses,
``genolearn.exercises.check(exercise_id, fn, seed=...)``, with the notebook's seed 0 and two
more seeds (the grader draws per-student cases). It prints, per exercise and in total:

* **FA**: wrong answers accepted (false accepts) — with seed 0, and with at least one seed;
* **FR**: correct answers rejected (false rejects) — with seed 0, and with at least one seed;
* for the wrong answers rejected with seed 0, whether the report named the misconception the
  corpus expects (**right**), named another one (**wrong name**: a catalogued mistake where the
  corpus expects none, or a different one), or gave the generic input / expected / got
  explanation (**generic**);
* the median wall time of one ``check`` call, and as a reference measured in the same run, the
  median time of checking the reference implementation itself (every case passes, so no
  diagnosis is attempted).

Then it lists every false accept and false reject. Reproduce from the repository root::

    .venv/bin/python benchmarks/false_accept.py
    .venv/bin/python benchmarks/false_accept.py --seeds 0 1 2 --chapter 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests/

from machine import describe

from genolearn.exercises import all_exercises, check, get_exercise
from tests.exercises.adversarial import CORRECT, WRONG

__all__ = ["Tally", "measure", "main"]


@dataclass
class Tally:
    """What happened to one exercise's corpus."""

    n_wrong: int = 0
    fa_first: list[str] = field(default_factory=list)  # accepted with the first seed
    fa_any: list[str] = field(default_factory=list)  # accepted with at least one seed
    n_correct: int = 0
    fr_first: list[str] = field(default_factory=list)
    fr_any: list[str] = field(default_factory=list)
    right: int = 0
    wrong_name: list[str] = field(default_factory=list)
    generic: int = 0
    seconds: list[float] = field(default_factory=list)
    reference_seconds: list[float] = field(default_factory=list)


def _timed_check(exercise_id, fn, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a wrong answer's warnings are part of the measurement
        start = time.perf_counter()
        report = check(exercise_id, fn, seed=seed)
        return report, time.perf_counter() - start


def measure(exercise_id: str, seeds: tuple[int, ...]) -> Tally:
    """Check every corpus answer for ``exercise_id`` with every seed."""
    tally = Tally()
    reference = get_exercise(exercise_id).reference
    for seed in seeds:
        tally.reference_seconds.append(_timed_check(exercise_id, reference, seed)[1])
    for fn, note, expected in WRONG[exercise_id]:
        tally.n_wrong += 1
        reports = []
        for seed in seeds:
            report, seconds = _timed_check(exercise_id, fn, seed)
            tally.seconds.append(seconds)
            reports.append(report)
        label = f"{fn.__name__}: {note}"
        if reports[0].passed:
            tally.fa_first.append(label)
        if any(r.passed for r in reports):
            tally.fa_any.append(label)
        first = reports[0]
        if not first.passed:
            named = first.diagnosis or ""
            if named and named == expected:
                tally.right += 1
            elif named:
                tally.wrong_name.append(f"{fn.__name__}: named {named!r}, expected {expected!r}")
            else:
                tally.generic += 1
    for fn in CORRECT[exercise_id]:
        tally.n_correct += 1
        reports = []
        for seed in seeds:
            report, seconds = _timed_check(exercise_id, fn, seed)
            tally.seconds.append(seconds)
            reports.append(report)
        failing = [r for r in reports if not r.passed]
        if failing:
            why = f"{fn.__name__}: {failing[0].problem} {failing[0].hint}".strip()
            tally.fr_any.append(why)
            if not reports[0].passed:
                tally.fr_first.append(why)
    return tally


def _pct(k: int, n: int) -> str:
    return f"{k:3d}/{n:<3d} {100 * k / n:5.1f} %" if n else "  -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--chapter", type=int, default=None)
    args = parser.parse_args(argv)
    seeds = tuple(args.seeds)
    command = "benchmarks/false_accept.py" + " ".join(f" {a}" for a in (argv or sys.argv[1:]))
    print(f"$ .venv/bin/python {command.strip()}")
    print(f"machine: {describe()}")
    print(f"seeds: {seeds} (the first is the notebook's); the corpus: tests/exercises/adversarial/")
    print()
    header = (
        f"{'exercise':36s} {'FA seed ' + str(seeds[0]):>15s} {'FA any seed':>15s} "
        f"{'FR seed ' + str(seeds[0]):>15s} {'FR any seed':>15s} {'right':>5s} "
        f"{'wrong name':>10s} {'generic':>7s} {'median ms':>9s}"
    )
    print(header)
    print("-" * len(header))
    tallies: dict[str, Tally] = {}
    for exercise in all_exercises(args.chapter):
        if exercise.id not in WRONG:
            print(f"{exercise.id:36s} (no corpus)")
            continue
        t = tallies[exercise.id] = measure(exercise.id, seeds)
        print(
            f"{exercise.id:36s} {_pct(len(t.fa_first), t.n_wrong):>15s} "
            f"{_pct(len(t.fa_any), t.n_wrong):>15s} {_pct(len(t.fr_first), t.n_correct):>15s} "
            f"{_pct(len(t.fr_any), t.n_correct):>15s} {t.right:5d} {len(t.wrong_name):10d} "
            f"{t.generic:7d} {1000 * statistics.median(t.seconds):9.1f}"
        )
    all_t = list(tallies.values())
    n_wrong = sum(t.n_wrong for t in all_t)
    n_correct = sum(t.n_correct for t in all_t)
    seconds = [s for t in all_t for s in t.seconds]
    ref_seconds = [s for t in all_t for s in t.reference_seconds]
    print("-" * len(header))
    print(
        f"{'total (' + str(len(all_t)) + ' exercises)':36s} "
        f"{_pct(sum(len(t.fa_first) for t in all_t), n_wrong):>15s} "
        f"{_pct(sum(len(t.fa_any) for t in all_t), n_wrong):>15s} "
        f"{_pct(sum(len(t.fr_first) for t in all_t), n_correct):>15s} "
        f"{_pct(sum(len(t.fr_any) for t in all_t), n_correct):>15s} "
        f"{sum(t.right for t in all_t):5d} {sum(len(t.wrong_name) for t in all_t):10d} "
        f"{sum(t.generic for t in all_t):7d} {1000 * statistics.median(seconds):9.1f}"
    )
    rejected = n_wrong - sum(len(t.fa_first) for t in all_t)
    print()
    print(
        f"{n_wrong} wrong and {n_correct} correct answers; {len(seconds)} check calls, median "
        f"{1000 * statistics.median(seconds):.1f} ms (max {1000 * max(seconds):.0f} ms); checking "
        f"the references themselves: median {1000 * statistics.median(ref_seconds):.1f} ms, "
        f"ratio {statistics.median(seconds) / statistics.median(ref_seconds):.2f}"
    )
    print(
        f"of the {rejected} wrong answers rejected with seed {seeds[0]}: "
        f"{sum(t.right for t in all_t)} named the expected misconception, "
        f"{sum(len(t.wrong_name) for t in all_t)} named another, "
        f"{sum(t.generic for t in all_t)} gave the generic explanation"
    )
    for title, attr in [
        ("wrong answers accepted with at least one seed (* = also with the first)", "fa_any"),
        ("correct answers rejected with at least one seed (* = also with the first)", "fr_any"),
        ("rejected wrong answers that named another misconception", "wrong_name"),
    ]:
        print()
        print(title + ":")
        first_attr = {"fa_any": "fa_first", "fr_any": "fr_first"}.get(attr)
        for exercise_id, t in tallies.items():
            for line in getattr(t, attr):
                star = "*" if first_attr and line in getattr(t, first_attr) else " "
                print(f"  {star} {exercise_id}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
