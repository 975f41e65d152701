"""The ``genolearn`` command.

genolearn release chapters -o student     # student notebooks (solutions -> stubs)
genolearn execute chapters                # re-run source notebooks, store outputs
genolearn exercises                       # list the exercise registry
genolearn grade submissions --chapter 1 -o graded --secret-file secret.txt
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]


def _cmd_release(args: argparse.Namespace) -> int:
    from genolearn.grading.release import find_notebooks, release_notebook

    for nb in find_notebooks(args.paths):
        out, ids = release_notebook(nb, args.output)
        print(f"{nb} -> {out} ({len(ids)} exercises: {', '.join(ids) or 'none'})")
    return 0


def _cmd_execute(args: argparse.Namespace) -> int:
    import nbformat
    from nbclient import NotebookClient

    from genolearn.grading.release import find_notebooks

    for path in find_notebooks(args.paths):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        seconds = time.perf_counter() - start
        nbformat.write(nb, path)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from genolearn.exercises import all_exercises

    for ex in all_exercises(args.chapter):
        print(f"{ex.id:32s} ch{ex.chapter}  {ex.points:4g} pt  {ex.function}()  {ex.title}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    import stat

    from genolearn._validation import check_int, check_number
    from genolearn.grading.grader import default_limits, grade_class
    from genolearn.grading.seeds import read_secret

    def say(text: str) -> None:
        print(f"genolearn grade: {text}", file=sys.stderr)

    if args.workers is not None:
        check_int(args.workers, "--workers", low=1)
    for name in ("call_timeout", "submission_timeout"):
        if getattr(args, name) is not None:
            check_number(
                getattr(args, name), "--" + name.replace("_", "-"), low=0, low_inclusive=False
            )
    if args.memory is not None:
        check_int(args.memory, "--memory", low=64)
    if args.regrade is not None and not args.regrade.strip():
        raise ValueError("--regrade must be a student id or 'all', but got an empty string")
    secret = read_secret(args.secret_file)
    if args.secret_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        say(f"warning: {args.secret_file} is readable by other users (chmod 600 it)")
    limits = default_limits(
        args.chapter,
        call_timeout_s=args.call_timeout,
        submission_timeout_s=args.submission_timeout,
        memory_mb=args.memory,
    )
    try:
        run = grade_class(
            args.submissions,
            args.output,
            chapters=args.chapter,
            secret=secret,
            limits=limits,
            workers=args.workers,
            scheduler=args.scheduler,
            regrade=args.regrade,
            progress=not args.quiet,
        )
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        say(f"error: {exc}")
        return 2
    for name, why in run.ignored:
        say(f"skipped {name} ({why})")
    for text in run.warnings:
        say(f"warning: {text}")
    for student, why in sorted(run.errors.items()):
        say(f"error: could not grade {student} (run again to retry): {why}")
    if run.changes:
        print("grade changes (student, exercise, old -> new):")
        for student, exercise, old, new in run.changes:
            before = "-" if old is None else f"{old:g}"
            after = "-" if new is None else f"{new:g}"
            print(f"  {student}  {exercise}  {before} -> {after}")
    elif args.regrade is not None:
        print("no grade changed")
    print(
        f"{len(run.students)} students: {len(run.graded)} graded, {len(run.reused)} up to date"
        f"{f', {len(run.errors)} not graded' if run.errors else ''} -> {run.gradebook} "
        f"(feedback in {run.out / 'feedback'}, class report {run.out / 'report.html'})"
    )
    return 1 if run.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genolearn", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="write student notebooks (solutions replaced by stubs)")
    p.add_argument("paths", nargs="+", help="source notebooks or folders (e.g. chapters)")
    p.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("execute", help="execute source notebooks in place (stores outputs)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    p.set_defaults(func=_cmd_execute)

    p = sub.add_parser("exercises", help="list the registered exercises")
    p.add_argument("--chapter", type=int, default=None)
    p.set_defaults(func=_cmd_exercises)

    p = sub.add_parser(
        "grade",
        help="grade students' notebooks in a sandbox: gradebook, feedback, class report",
        description="Grade every notebook in SUBMISSIONS (alice.ipynb or alice/*.ipynb) on "
        "hidden cases drawn per student from the secret; resumable, reruns reuse records.",
        allow_abbrev=False,  # `--secret x` must not be taken for `--secret-file x`
    )
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="submissions folder")
    p.add_argument(
        "--chapter",
        type=int,
        action="append",
        required=True,
        metavar="N",
        help="chapter whose exercises to grade (repeat for several)",
    )
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="output folder")
    p.add_argument(
        "--secret-file",
        required=True,
        type=Path,
        metavar="PATH",
        help="file holding the secret the hidden cases derive from (keep it)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local worker processes (default: number of CPUs; ignored with --scheduler)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="grade on an existing Dask cluster (e.g. tcp://10.0.0.1:8786)",
    )
    p.add_argument(
        "--regrade",
        default=None,
        metavar="STUDENT|all",
        help="grade one student, or all, again even if their record is up to date",
    )
    p.add_argument(
        "--call-timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds per exercise call (default 10)",
    )
    p.add_argument(
        "--submission-timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds per submission (default 600)",
    )
    p.add_argument(
        "--memory",
        type=int,
        default=None,
        metavar="MB",
        help="memory limit per submission (default 1024; 4096 for chapter 5)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"genolearn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
