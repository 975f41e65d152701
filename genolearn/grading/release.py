"""Release student notebooks from the single-source chapter notebooks.

A source notebook holds each solution between markers inside a code cell::

    def sigmoid(z):
        \"\"\"...\"\"\"
        # BEGIN SOLUTION ch1.sigmoid
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        # END SOLUTION

The student version keeps everything outside the markers and replaces the solution with
``raise NotImplementedError("ch1.sigmoid: ...")`` at the marker's indentation. The book's
``{solution-start}`` / ``{solution-end}`` marker cells are dropped and ``{exercise}`` directives
become plain Markdown so the notebook reads well in Jupyter, as do MyST roles such as
``{term}`` and ``{cite}``. Outputs are cleared.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from genolearn.exercises.registry import get_exercise

__all__ = ["ReleaseError", "release_notebook", "release_source", "find_notebooks"]

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?: (?P<id>\S+))?\s*$")
_END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
_GATE = re.compile(r"^\s*```\{solution-(start|end)\}")
_EXERCISE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.S | re.M,
)


_ROLE = re.compile(r"\{(term|doc|ref|numref|download)\}`([^`<]*?)(?:\s*<[^`>]*>)?`")
_CITE = re.compile(r"\{cite(?::[pt])?\}`([^`]*)`")


def _roles_to_text(source: str) -> str:
    """MyST roles that Jupyter cannot render become their plain text (``{term}`weight <Weight>```
    -> ``weight``; ``{cite}`a,b``` -> ``[a, b]``)."""
    source = _ROLE.sub(lambda m: m.group(2).strip() or "(see the book)", source)
    return _CITE.sub(
        lambda m: "[" + ", ".join(k.strip() for k in m.group(1).split(",")) + "]", source
    )


class ReleaseError(ValueError):
    """A source notebook's solution markers are malformed."""


def _strip_solution(source: str, where: str) -> tuple[str, list[str]]:
    out: list[str] = []
    ids: list[str] = []
    inside = False
    for lineno, line in enumerate(source.splitlines(), start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if inside:
                raise ReleaseError(f"{where}, line {lineno}: BEGIN SOLUTION inside another one")
            exercise_id = begin.group("id")
            if not exercise_id:
                raise ReleaseError(
                    f"{where}, line {lineno}: '# BEGIN SOLUTION' must name the exercise, "
                    "e.g. '# BEGIN SOLUTION ch1.sigmoid'"
                )
            get_exercise(exercise_id)  # unknown ids fail loudly
            ids.append(exercise_id)
            out.append(
                f'{begin.group("indent")}raise NotImplementedError("{exercise_id}: '
                'replace this line with your code")'
            )
            inside = True
        elif end:
            if not inside:
                raise ReleaseError(f"{where}, line {lineno}: END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out), ids


def _exercise_to_markdown(source: str) -> str:
    def repl(m: re.Match) -> str:
        body = "\n".join(
            line for line in m.group("body").splitlines() if not re.match(r"^:\w[\w-]*:", line)
        ).strip()
        title = m.group("title").strip() or "Exercise"
        return f"### ✏️ Exercise: {title}\n\n{body}\n"

    return _EXERCISE.sub(repl, source)


def release_source(
    nb: nbformat.NotebookNode, name: str = "notebook"
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Return ``(student notebook, exercise ids)`` for a source notebook (not modified)."""
    student = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    ids: list[str] = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type == "markdown":
            if _GATE.match(cell.source):
                continue
            new = nbformat.v4.new_markdown_cell(_roles_to_text(_exercise_to_markdown(cell.source)))
        elif cell.cell_type == "code":
            source, found = _strip_solution(cell.source, where)
            ids += found
            new = nbformat.v4.new_code_cell(source)
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if not t.startswith("nbval")]
        if tags:
            new.metadata["tags"] = tags
        student.cells.append(new)
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ReleaseError(f"{name}: exercise ids used twice: {', '.join(dup)}")
    return student, ids


def release_notebook(source: str | Path, out_dir: str | Path) -> tuple[Path, list[str]]:
    """Write the student version of ``source`` into ``out_dir`` (same file name)."""
    source = Path(source)
    nb = nbformat.read(source, as_version=4)
    student, ids = release_source(nb, source.name)
    out = Path(out_dir) / source.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(student)
    nbformat.write(student, out)
    return out, ids


def find_notebooks(paths: list[str | Path]) -> list[Path]:
    """Notebook files named directly or found under directories (skipping ``_build`` and
    checkpoints), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [
                q
                for q in p.rglob("*.ipynb")
                if not any(part.startswith((".", "_build")) for part in q.parts)
            ]
        elif p.suffix == ".ipynb" and p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"no notebook or folder at {p}")
    return sorted(found)
