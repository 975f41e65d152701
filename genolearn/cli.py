"""The ``genolearn`` command.

genolearn release chapters -o student     # student notebooks (solutions -> stubs)
genolearn execute chapters                # re-run source notebooks, store outputs
genolearn exercises                       # list the exercise registry
genolearn grade submissions --chapter 1 -o graded --secret-file secret.txt

Exit codes: 0 done; 1 ``grade`` could not grade some students (run again to retry); 2 a bad
argument or input (one line on stderr names it); 3 ``grade`` finished, but some notebooks look
like another chapter (they are not graded: status "wrong chapter").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["EXIT_WRONG_CHAPTER", "main"]

#: ``genolearn grade`` graded everyone it could, but some notebooks look like another chapter.
EXIT_WRONG_CHAPTER = 3
_DESCRIPTION = "Neural Network Fundamentals for Genomics: course notebooks and the grader."
_EPILOG = """examples:
  genolearn release chapters -o student       write the student notebooks
  genolearn exercises --chapter 1             list chapter 1's exercises
  genolearn grade submissions --chapter 1 -o graded --secret-file secret.txt

exit codes: 0 done; 1 some students could not be graded (run again to retry); 2 a bad
argument or input; 3 graded, but some notebooks look like another chapter."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _cmd_release(args: argparse.Namespace) -> int:
    from genolearn.grading.release import find_notebooks, release_notebook

    for nb in find_notebooks(args.paths):
        try:
            out, ids = release_notebook(nb, args.output)
        except (OSError, KeyError) as exc:
            raise ValueError(f"{nb}: {_one_line(exc)}") from None
        except Exception as exc:  # an invalid notebook: nbformat's errors are many and long
            raise ValueError(
                f"{nb} is not a valid notebook ({type(exc).__name__}: {_one_line(exc)})"
            ) from None
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
    from genolearn._validation import check_int
    from genolearn.exercises import all_exercises

    if args.chapter is not None:
        check_int(args.chapter, "--chapter", low=0)
        if not all_exercises(args.chapter):
            have = ", ".join(str(c) for c in sorted({ex.chapter for ex in all_exercises()}))
            raise ValueError(
                f"--chapter: no exercises are registered for chapter {args.chapter} "
                f"(chapters with exercises: {have})"
            )
    for ex in all_exercises(args.chapter, projects=True):
        print(f"{ex.id:32s} ch{ex.chapter}  {ex.points:4g} pt  {ex.function}()  {ex.title}")
        if getattr(ex, "is_project", False):  # a project: a goal, and a part marked by hand
            print(f"{'':32s}      goal: {ex.goal}; written part {ex.written_points:g} pt by hand")
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
        course = grade_class(
            args.submissions,
            args.output,
            chapters=args.chapter,
            secret=secret,
            limits=limits,
            workers=args.workers,
            scheduler=args.scheduler,
            regrade=args.regrade,
            progress=not args.quiet,
            class_list=args.class_list,
        )
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        say(f"error: {exc}")
        return 2
    for text in course.warnings:
        say(f"warning: {text}")
    errors = wrong = 0
    for run in course.runs.values():
        errors, wrong = errors + len(run.errors), wrong + len(run.wrong_chapter)
        _report_chapter(run, args.regrade is not None, say)
    print(f"course gradebook: {course.gradebook} (LMS import: canvas.csv, moodle.csv)")
    if wrong:
        say(
            f"warning: {wrong} notebook(s) look like another chapter and were not graded "
            f"(status 'wrong chapter'); exit code {EXIT_WRONG_CHAPTER}"
        )
    return 1 if errors else EXIT_WRONG_CHAPTER if wrong else 0


def _report_chapter(run, regrading: bool, say) -> None:
    """Print what grading one chapter did (warnings on stderr, the summary on stdout)."""
    from genolearn.grading.submissions import NOT_A_NOTEBOOK

    ch = run.chapter
    for name, why in run.ignored:
        if why == NOT_A_NOTEBOOK:
            say(f"warning: chapter {ch}: skipped {name}: {why}")
        else:
            say(f"chapter {ch}: skipped {name} ({why})")
    for text in run.warnings:
        say(f"warning: chapter {ch}: {text}")
    for student, other in sorted(run.wrong_chapter.items()):
        say(
            f"warning: chapter {ch}: {student}'s notebook looks like chapter {other}; not "
            "graded (status 'wrong chapter')"
        )
    for student, why in sorted(run.errors.items()):
        say(f"error: chapter {ch}: could not grade {student} (run again to retry): {why}")
    if run.changes:
        print(f"chapter {ch}: grade changes (student, exercise, old -> new):")
        for student, exercise, old, new in run.changes:
            before = "-" if old is None else f"{old:g}"
            after = "-" if new is None else f"{new:g}"
            print(f"  {student}  {exercise}  {before} -> {after}")
    elif regrading:
        print(f"chapter {ch}: no grade changed")
    extra = f", {len(run.errors)} not graded" if run.errors else ""
    extra += f", {len(run.wrong_chapter)} wrong chapter" if run.wrong_chapter else ""
    print(
        f"chapter {ch}: {len(run.students)} students: {len(run.graded)} graded, "
        f"{len(run.reused)} up to date{extra} -> {run.gradebook} (feedback in "
        f"{run.folder / 'feedback'}, class report {run.folder / 'report.html'})"
    )


def build_parser() -> argparse.ArgumentParser:
    import genolearn

    parser = argparse.ArgumentParser(
        prog="genolearn",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"genolearn {genolearn.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        help="grade students' notebooks in a sandbox: gradebooks, feedback, class report",
        description="Grade every notebook in SUBMISSIONS (alice.ipynb or alice/*.ipynb) on "
        "hidden cases drawn per student from the secret; resumable, reruns reuse records. "
        "OUT is a course folder: records/chNN/ per chapter, chNN/ with the chapter's "
        "gradebook, feedback and report, and the course gradebook.csv, canvas.csv and "
        "moodle.csv. Exit code 3: some notebooks look like another chapter.",
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
        help="memory limit per submission (default 1024; 4096 for chapters 5-9)",
    )
    p.add_argument(
        "--class-list",
        type=Path,
        default=None,
        metavar="CSV",
        help="CSV mapping each student id (column 'student') to LMS identities (name, "
        "sis_login_id, section, username, email, …) for canvas.csv and moodle.csv",
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
