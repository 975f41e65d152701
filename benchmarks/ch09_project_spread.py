"""Chapter 9's project: the example solution and the chapter's models on hidden PBMC splits.

    nice -n 5 .venv/bin/python benchmarks/ch09_project_spread.py --seeds 50

The goal (held-out balanced accuracy >= 0.87) must be cleared by the example solution on every
hidden split with a margin, and missed by the chapter's unweighted logistic regression on most.
This script draws the splits as the project tests do (``make_cases(default_rng(10_000 + s))``)
plus the public one, and prints, for the example solution and the chapter's four models
(:func:`genolearn.exercises.ch09_project.chapter_recipe`: logistic regression and MLP, with and
without class weights), the public score, the worst, 5th percentile, median and best hidden
score, and how many hidden splits pass the goal.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from genolearn.exercises import get_exercise
from genolearn.exercises.ch09_project import GOAL, chapter_recipe

MODELS = {
    "logistic regression, unweighted": functools.partial(chapter_recipe, hidden=(), weighted=False),
    "logistic regression, weighted": functools.partial(chapter_recipe, hidden=(), weighted=True),
    "MLP, unweighted": functools.partial(chapter_recipe, weighted=False),
    "MLP, weighted": functools.partial(chapter_recipe, weighted=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="hidden splits 10_000 + s")
    args = parser.parse_args()
    project = get_exercise("ch9.project")
    seeds = [project.public_seed] + [10_000 + s for s in range(args.seeds)]
    functions = {"example solution": project.reference, **MODELS}
    scores = {name: [] for name in functions}
    seconds = {name: 0.0 for name in functions}
    for seed in seeds:
        (case,) = project.make_cases(np.random.default_rng(seed))
        for name, fn in functions.items():
            start = time.perf_counter()
            labels = fn(*case.args, **case.kwargs)
            seconds[name] += time.perf_counter() - start
            scores[name].append(project.measure(labels, case.answer).value)
    print(f"ch9.project: goal {project.goal}; {args.seeds} hidden splits and the public one")
    print("| function | public | worst hidden | 5 % | median | best | passed | s per call |")
    print("|---|---|---|---|---|---|---|---|")
    for name, values in scores.items():
        public, hidden = values[0], np.array(values[1:])
        print(
            f"| {name} | {public:.3f} | {hidden.min():.3f} | {np.percentile(hidden, 5):.3f} | "
            f"{np.median(hidden):.3f} | {hidden.max():.3f} | {int((hidden >= GOAL).sum())}/"
            f"{len(hidden)} | {seconds[name] / len(seeds):.1f} |"
        )
    worst = min(scores["example solution"][1:])
    print(f"example solution: worst hidden split {worst:.3f}, margin {worst - GOAL:+.3f}")


if __name__ == "__main__":
    main()
