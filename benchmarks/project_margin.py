"""How far above its goal does a project's example solution land on hidden splits?

    .venv/bin/python benchmarks/project_margin.py ch4.project --seeds 50 --students 200

A project is graded on a split drawn for each student, so its goal is honest only when a correct
answer clears it on *every* split, not just on the public one. This script measures the
example solution (``project.reference``) on ``--seeds`` hidden splits drawn as the project tests
draw them (``make_cases(default_rng(10_000 + s))``) and on the splits ``grade_course.py`` gives
its ``--students`` generated students (secret ``b"bench"``, students ``s000`` ...), and prints
the worst, the 1st and 5th percentiles, the median and the margin of the worst split over the
goal. For ``ch4.project`` it also measures the chapter's 3-mer baseline (the one
tests/exercises/test_project.py requires to fail) and scanning with the true site matrix, the
best a per-sequence scanner can do.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from genolearn.exercises import get_exercise
from genolearn.grading.seeds import student_seed
from genolearn.grading.submissions import student_id


def kmer_baseline(train_seqs, train_labels, train_families, test_seqs, seed):
    """The chapter's 3-mer frequencies, scored along the positives' mean direction."""
    from genolearn.dna import kmer_counts

    profile = kmer_counts(train_seqs, 3, normalize=True)  # (N_train, 64)
    direction = profile[train_labels == 1].mean(0) - profile[train_labels == 0].mean(0)
    return kmer_counts(test_seqs, 3, normalize=True) @ direction  # (N_test,)


def true_matrix_scan(train_seqs, train_labels, train_families, test_seqs, seed):
    """Best window under the matrix the sites were drawn from (no learning at all)."""
    from numpy.lib.stride_tricks import sliding_window_view

    from genolearn.dna.onehot import one_hot_encode
    from genolearn.exercises.ch04_project import creb_ppm

    ppm = creb_ppm()  # (4, K)
    windows = sliding_window_view(one_hot_encode(test_seqs).astype(float), ppm.shape[1], axis=2)
    return np.einsum("nawk,ak->nw", windows, np.log2(ppm / 0.25)).max(axis=1)  # (N_test,)


EXTRA = {"ch4.project": {"3-mer baseline": kmer_baseline, "true matrix scan": true_matrix_scan}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default="ch4.project")
    parser.add_argument("--seeds", type=int, default=50, help="splits 10_000 + s")
    parser.add_argument("--students", type=int, default=200, help="grade_course.py's students")
    args = parser.parse_args()
    project = get_exercise(args.project)
    seeds = [("public", project.public_seed)]
    seeds += [(f"seed {10_000 + s}", 10_000 + s) for s in range(args.seeds)]
    seeds += [
        (f"student s{i:03d}", student_seed(b"bench", student_id(f"s{i:03d}"), project.id))
        for i in range(args.students)
    ]
    functions = {"example solution": project.reference, **EXTRA.get(project.id, {})}
    measured: dict[str, list] = {name: [] for name in functions}
    start = time.perf_counter()
    for _, seed in seeds:
        (case,) = project.make_cases(np.random.default_rng(seed))
        for name, fn in functions.items():
            measured[name].append(project.measure(fn(*case.args, **case.kwargs), case.answer))
    print(f"{project.id}: goal {project.goal}")
    print(
        f"{len(seeds) - 1} hidden splits ({args.seeds} seeds 10_000 + s, {args.students} "
        f"grade_course students) and the public one, {time.perf_counter() - start:.0f} s"
    )
    print("| function | public | worst hidden (split) | 1 % | 5 % | median | best | passed |")
    print("|---|---|---|---|---|---|---|---|")
    for name, results in measured.items():
        public, hidden = results[0].value, np.array([m.value for m in results[1:]])
        worst = seeds[1 + int(hidden.argmin())][0]
        passed = sum(m.passed for m in results[1:])
        print(
            f"| {name} | {public:.3f} | {hidden.min():.3f} ({worst}) | "
            f"{np.percentile(hidden, 1):.3f} | {np.percentile(hidden, 5):.3f} | "
            f"{np.median(hidden):.3f} | {hidden.max():.3f} | {passed}/{len(hidden)} |"
        )


if __name__ == "__main__":
    main()
