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
``{solution-start}`` / ``{solution-end}`` marker cells are dropped and every Markdown cell is
turned from MyST into plain Jupyter Markdown (:mod:`genolearn.grading.myst`): figures become
images embedded as cell attachments, admonitions callouts, ``{doc}``/``{term}`` links to the
online book, ``{cite}`` author–year with a "References" cell appended. A construct that cannot be
converted stops the release with a :class:`ReleaseError` naming the notebook and the cell.
Cells tagged ``quoted`` (the book's hidden checks of the numbers its prose quotes, see
:mod:`genolearn.quoted`) are left out. Outputs are cleared.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from genolearn.exercises.registry import get_exercise
from genolearn.grading.book import Book, find_book
from genolearn.grading.myst import MystError, Page

__all__ = ["ReleaseError", "release_notebook", "release_source", "find_notebooks"]

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?: (?P<id>\S+))?\s*$")
_END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
_GATE = re.compile(r"^\s*(?:`{3,}|:{3,})\{solution-(start|end)\}")


class ReleaseError(ValueError):
    """A source notebook's solution markers are malformed, or its MyST cannot be converted."""


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


def release_source(
    nb: nbformat.NotebookNode,
    name: str = "notebook",
    *,
    book: Book | None = None,
    doc: str = "notebook",
    directory: str | Path = ".",
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Return ``(student notebook, exercise ids)`` for a source notebook (not modified).

    ``book`` resolves ``{doc}``, ``{term}``, ``{ref}`` and ``{cite}`` (``None``: those roles
    raise); ``doc`` is the notebook's docname in the book and ``directory`` the folder its
    figure files are read from.
    """
    student = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    page = Page(book, doc, Path(directory))
    page.scan([c.source for c in nb.cells if c.cell_type == "markdown"])
    ids: list[str] = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if "quoted" in cell.get("metadata", {}).get("tags", []):
            continue  # the book's own test of the numbers its prose quotes (genolearn.quote)
        if cell.cell_type == "markdown":
            if _GATE.match(cell.source):
                continue
            try:
                source, attachments = page.convert(cell.source)
            except MystError as error:
                raise ReleaseError(f"{where}: {error}") from error
            new = nbformat.v4.new_markdown_cell(source)
            if attachments:
                new.attachments = attachments
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
    if page.cited:
        references = page.book.references(page.cited)
        student.cells.append(nbformat.v4.new_markdown_cell(f"## References\n\n{references}"))
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ReleaseError(f"{name}: exercise ids used twice: {', '.join(dup)}")
    chapters = sorted({get_exercise(i).chapter for i in ids})
    if len(chapters) == 1:  # the grader tells a notebook graded as another chapter by this
        student.metadata["genolearn"] = {"chapter": chapters[0]}
    return student, ids


def release_notebook(source: str | Path, out_dir: str | Path) -> tuple[Path, list[str]]:
    """Write the student version of ``source`` into ``out_dir`` (same file name), converting
    its MyST against the book whose ``_config.yml`` is in a folder above it, if any."""
    source = Path(source).resolve()
    nb = nbformat.read(source, as_version=4)
    book = find_book(source.parent)
    doc = source.relative_to(book.root).with_suffix("").as_posix() if book else source.stem
    student, ids = release_source(nb, source.name, book=book, doc=doc, directory=source.parent)
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
