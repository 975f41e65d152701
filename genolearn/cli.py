"""The ``genolearn`` command.

genolearn release chapters -o student     # student notebooks (solutions -> stubs)
genolearn execute chapters                # re-run source notebooks, store outputs
genolearn exercises                       # list the exercise registry
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
