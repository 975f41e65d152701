"""Student notebooks are generated from the single-source chapter notebooks."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from genolearn.cli import main
from genolearn.exercises import all_exercises
from genolearn.grading.book import find_book
from genolearn.grading.release import ReleaseError, find_notebooks, release_notebook, release_source

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = find_notebooks([ROOT / "chapters"])
CHAPTER_NUMBER = re.compile(r"^(\d\d)_")


def chapter_of(path: Path) -> int:
    return int(CHAPTER_NUMBER.match(path.parent.name).group(1))


def executed_text(nb: nbformat.NotebookNode, directory: Path, *, timeout: int) -> str:
    """Execute ``nb`` in ``directory`` (nbclient, in place) and return its code cells' printed
    and displayed text, joined."""
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(directory)}}
    ).execute()
    return "\n".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )


def test_chapters_are_found_and_build_outputs_are_skipped():
    assert CHAPTERS, "no chapter notebooks found"
    assert all("_build" not in p.parts for p in CHAPTERS)


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.parent.name)
def test_every_registered_exercise_is_in_its_chapter_with_a_check(source):
    nb = nbformat.read(source, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    book = find_book(source.parent)
    doc = source.relative_to(book.root).with_suffix("").as_posix()
    _, ids = release_source(nb, source.name, book=book, doc=doc, directory=source.parent)
    expected = {e.id for e in all_exercises(chapter_of(source), projects=True)}
    assert set(ids) == expected
    for exercise in all_exercises(chapter_of(source), projects=True):
        checker = "check_project" if getattr(exercise, "is_project", False) else "check"
        assert f'{checker}("{exercise.id}", {exercise.function})' in code
        assert re.search(rf"^def {exercise.function}\(", code, re.M)


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.parent.name)
def test_student_notebook_has_stubs_and_runs_top_to_bottom(source, tmp_path):
    out, ids = release_notebook(source, tmp_path)
    student = nbformat.read(out, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "{solution-start}" not in text and "{exercise}" not in text
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    for exercise_id in ids:
        assert f'raise NotImplementedError("{exercise_id}: replace this line' in text
    outputs = executed_text(student, source.parent, timeout=120)
    for exercise_id in ids:
        assert f"{exercise_id} — " in outputs and "not implemented yet" in outputs


def _nb(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_stub_keeps_signature_and_docstring_at_the_marker_indentation():
    nb = _nb(
        'def sigmoid(z):\n    """Doc."""\n    # BEGIN SOLUTION ch1.sigmoid\n    return z\n'
        "    # END SOLUTION\n"
    )
    student, ids = release_source(nb)
    assert ids == ["ch1.sigmoid"]
    assert student.cells[0].source == (
        'def sigmoid(z):\n    """Doc."""\n'
        '    raise NotImplementedError("ch1.sigmoid: replace this line with your code")'
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# BEGIN SOLUTION ch1.sigmoid\nx = 1\n", "without END SOLUTION"),
        ("x = 1\n# END SOLUTION\n", "END SOLUTION without BEGIN"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "must name the exercise"),
        ("# BEGIN SOLUTION ch1.sigmoid\n# BEGIN SOLUTION ch1.sigmoid\n", "inside another"),
    ],
)
def test_malformed_markers_are_refused(source, message):
    with pytest.raises(ReleaseError, match=message):
        release_source(_nb(source))


def test_unknown_or_duplicate_exercise_ids_are_refused():
    with pytest.raises(KeyError, match=r"no exercise 'ch1\.nope'"):
        release_source(_nb("# BEGIN SOLUTION ch1.nope\n# END SOLUTION\n"))
    block = "# BEGIN SOLUTION ch1.sigmoid\n# END SOLUTION\n"
    with pytest.raises(ReleaseError, match="used twice"):
        release_source(_nb(block, block))


def test_exercise_directive_becomes_plain_markdown():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "```{exercise} Stable sigmoid\n:label: ex-1\n\nWrite it.\n```"
            ),
            nbformat.v4.new_markdown_cell("```{solution-start} ex-1\n:class: dropdown\n```"),
        ]
    )
    student, _ = release_source(nb)
    assert len(student.cells) == 1
    assert student.cells[0].source == "### ✏️ Exercise: Stable sigmoid\n\nWrite it."


def test_cli_release_writes_student_notebooks(tmp_path, capsys):
    assert main(["release", str(ROOT / "chapters" / "01_neuron"), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "neuron.ipynb").exists()
    assert "ch1.sigmoid" in capsys.readouterr().out
    assert main(["release", str(tmp_path / "missing.ipynb"), "-o", str(tmp_path)]) == 2


def test_myst_becomes_plain_jupyter_markdown_with_a_reference_list():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "A {term}`weight <Weight>`, see {doc}`../01_neuron/neuron` "
                "{cite}`rosenblatt1958,minsky1969`."
            )
        ]
    )
    book = find_book(ROOT)
    student, _ = release_source(nb, book=book, doc="chapters/02_layers/layers")
    url = book.base_url
    assert student.cells[0].source == (
        f"A [weight]({url}book/glossary.html#term-Weight), see "
        f"[The neuron]({url}chapters/01_neuron/neuron.html) "
        "(Rosenblatt, 1958; Minsky & Papert, 1969)."
    )
    references = student.cells[-1].source.splitlines()
    assert references[0] == "## References" and len(references) == 4
    assert references[2].startswith("- Marvin Minsky and Seymour Papert.")


def test_figures_travel_as_attachments_of_the_released_notebook(tmp_path):
    out, _ = release_notebook(ROOT / "chapters" / "01_neuron" / "neuron.ipynb", tmp_path)
    student = nbformat.read(out, as_version=4)
    attached = [c for c in student.cells if c.get("attachments")]
    assert [list(c.attachments) for c in attached] == [["neuron.svg"]]
    assert "![A neuron.](attachment:neuron.svg)" in attached[0].source
    assert list(tmp_path.iterdir()) == [out]  # one self-contained file


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("```{glossary}\nA\n  b\n```", r"nb\.ipynb, cell 1: directive \{glossary\}"),
        ("{term}`bias`", r"nb\.ipynb, cell 1: role \{term\}`bias` needs the book"),
    ],
)
def test_unconvertible_myst_stops_the_release_naming_notebook_and_cell(source, message):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell(source)]
    )
    with pytest.raises(ReleaseError, match=message):
        release_source(nb, "nb.ipynb")


def test_quoted_number_cells_stay_in_the_book_only():
    nb = nbformat.v4.new_notebook()
    kept = nbformat.v4.new_code_cell("x = 1")
    hidden = nbformat.v4.new_code_cell('quote("ch1.x", x, 1)')
    hidden.metadata["tags"] = ["remove-cell", "quoted"]
    nb.cells = [kept, hidden]
    student, _ = release_source(nb, "t.ipynb")
    assert [c.source for c in student.cells] == ["x = 1"]
