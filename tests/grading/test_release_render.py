"""The released student notebooks read right in plain Jupyter, and their solutions pass.

Each chapter is released as `genolearn release chapters -o DIR` does, rendered with nbconvert
(what JupyterLab, VS Code and Colab see: CommonMark plus math, no MyST), and checked for MyST
markup shown as text, unresolved images and headings lost to a runaway code block. Then every
stub is filled with its solution from the source notebook and the notebook is executed: every
`check(...)` must pass.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from genolearn.grading.book import plain_title
from genolearn.grading.release import find_notebooks, release_notebook
from tests.grading.test_release import executed_text

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = find_notebooks([ROOT / "chapters"])
MYST = re.compile(
    r"\{[\w:-]+\}`|[`:~]{3}\s*\{[\w-]+\}|^\([\w.:-]+\)=|\{\{|"
    r"\{(?:figure|admonition|exercise|solution-start|solution-end|note|tip|warning|glossary)\}",
    re.M,
)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.S | re.M)
STUB = re.compile(r'^[ \t]*raise NotImplementedError\("(?P<id>[^:"]+): replace this line')


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """``released(source)``: the student notebook, released once per module run."""
    out = tmp_path_factory.mktemp("student")
    cache: dict[Path, Path] = {}

    def release(source: Path) -> Path:
        if source not in cache:
            cache[source] = release_notebook(source, out)[0]
        return cache[source]

    return release


def _params(slow: set[str] = frozenset({"05_fnn", "06_cnn", "07_rnn", "08_transformer"})):
    return [
        pytest.param(p, id=p.parent.name, marks=[pytest.mark.slow] if p.parent.name in slow else [])
        for p in CHAPTERS
    ]


def _words(text: str) -> str:
    return " ".join(re.sub(r"[*_`$¶#\\]", "", text).split())


@pytest.mark.parametrize("source", _params(set()))
def test_released_notebook_renders_without_myst_and_with_every_image(source, released):
    path = released(source)
    student = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(student)  # raises on a missing attachment
    soup = BeautifulSoup(html, "html.parser")
    cells = soup.select("div.jp-MarkdownCell")
    assert len(cells) == sum(c.cell_type == "markdown" for c in student.cells)
    text = "\n".join(cell.get_text("\n") for cell in cells)
    leaks = [m.group(0) for m in MYST.finditer(text)]
    assert not leaks, f"{source.name}: MyST markup shown as text: {leaks[:5]}"

    images = [img["src"] for cell in cells for img in cell.find_all("img")]
    for src in images:
        if src.startswith("data:"):
            assert base64.b64decode(src.split(",", 1)[1]), f"{source.name}: empty image"
        else:
            assert not re.match(r"^[a-z]+:|^//", src), f"{source.name}: image {src} not embedded"
            assert (path.parent / src).is_file(), f"{source.name}: image {src} missing"
    original = nbformat.read(source, as_version=4)
    markdown = [c.source for c in original.cells if c.cell_type == "markdown"]
    figures = sum(len(re.findall(r"^[`:]{3,}\{figure\}", s, re.M)) for s in markdown)
    assert len(images) >= figures

    headings = [
        _words(h.get_text()) for cell in cells for h in cell.find_all(re.compile("^h[1-6]$"))
    ]
    for source_md in markdown:
        for m in re.finditer(r"^#{1,6}\s+(.+)$", FENCE.sub("", source_md), re.M):
            title = _words(plain_title(m.group(1)))
            assert title in headings, f"{source.name}: heading {title!r} is not a heading"


@pytest.mark.parametrize("source", _params(set()))
def test_every_citation_is_listed_in_a_references_cell(source, released):
    student = nbformat.read(released(source), as_version=4)
    original = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    keys = {
        k.strip()
        for m in re.finditer(r"\{cite(?::\w+)?\}`([^`]+)`", original)
        for k in m[1].split(",")
    }
    if not keys:
        assert not any(c.source.startswith("## References") for c in student.cells)
        return
    last = student.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## References\n")
    assert len(last.source.splitlines()) == 2 + len(keys)


def _solutions(source: nbformat.NotebookNode) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for cell in source.cells:
        current = None
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            begin = re.match(r"^[ \t]*# BEGIN SOLUTION (\S+)", line)
            if begin:
                current = found.setdefault(begin.group(1), [])
            elif re.match(r"^[ \t]*# END SOLUTION", line):
                current = None
            elif current is not None:
                current.append(line)
    return found


@pytest.mark.parametrize("source", _params())
def test_filling_every_stub_with_its_solution_passes_every_check(source, released):
    path = released(source)
    student = nbformat.read(path, as_version=4)
    solutions = _solutions(nbformat.read(source, as_version=4))
    filled = set()
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        lines = []
        for line in cell.source.splitlines():
            stub = STUB.match(line)
            lines += solutions[stub["id"]] if stub else [line]
            filled |= {stub["id"]} if stub else set()
        cell.source = "\n".join(lines)
    assert filled == set(solutions)
    outputs = executed_text(student, path.parent, timeout=300)
    assert "✘" not in outputs and "not implemented yet" not in outputs, outputs[-3000:]
    for exercise_id in solutions:
        assert f"✔ {exercise_id} — " in outputs
