"""Reading a submission's layout without running it: code cells as the learner counts them,
the chapter it belongs to, and records rewritten in the learner's terms."""

from __future__ import annotations

import nbformat
import pytest
from nbformat import v4

from genolearn.grading.locate import chapter_of_id, localize, read_layout
from tests.grading.classroom import make_record

pytestmark = pytest.mark.grading


def notebook(*cells, chapter=None) -> bytes:
    nb = v4.new_notebook(cells=list(cells))
    if chapter is not None:
        nb.metadata["genolearn"] = {"chapter": chapter}
    return nbformat.writes(nb).encode()


MD, CODE = v4.new_markdown_cell, v4.new_code_cell


def test_code_cells_are_counted_without_markdown_and_functions_found():
    layout = read_layout(
        notebook(
            MD("# title"),
            CODE("import numpy as np"),
            MD("text"),
            CODE("def sigmoid(z):\n    return z\n\n  def  inner (x): pass"),
            CODE('check("ch1.sigmoid", sigmoid)'),
        )
    )
    assert layout.code_number == {2: 1, 4: 2, 5: 3}
    assert layout.defines == {"sigmoid": 2, "inner": 2}
    assert layout.id_chapters == {1: 1} and layout.metadata_chapter is None


@pytest.mark.parametrize("data", [b"", b"{", b"[1, 2]", b'{"cells": 3}', b"\xff\xfe", b"[" * 10**5])
def test_what_is_not_a_notebook_has_no_layout(data):
    assert read_layout(data) is None


def test_the_chapter_a_notebook_looks_like():
    stub = CODE('def relu(z):\n    raise NotImplementedError("ch2.relu: replace this line")')
    ch2 = read_layout(notebook(stub, CODE('check("ch2.dense_forward", dense_forward)')))
    assert ch2.looks_like(2) is None and ch2.looks_like(4) == 2
    assert ch2.evidence() == "its code cells name exercises of chapter 2"
    released = read_layout(notebook(CODE("x = 1"), chapter=2))
    assert released.looks_like(2) is None and released.looks_like(4) == 2
    assert released.evidence() == "its metadata says chapter 2"
    both = read_layout(notebook(CODE('check("ch4.sgd_step", f)'), chapter=2))
    assert both.looks_like(4) is None  # a chapter-4 exercise in it: graded as chapter 4
    blank = read_layout(notebook(CODE("import numpy as np")))
    assert blank.looks_like(4, {"sgd_step"}, lambda: {2: {"relu"}, 4: {"sgd_step"}}) is None


def test_a_solved_notebook_without_ids_is_told_by_the_functions_it_defines():
    solved = read_layout(notebook(CODE("def relu(z):\n    return z"), CODE("def dense(x): pass")))
    table = {2: {"relu", "dense"}, 4: {"sgd_step"}}
    asked = []

    def others():
        asked.append(1)
        return table

    assert solved.looks_like(4, table[4], others) == 2
    assert solved.evidence() == "it defines dense, relu (chapter 2's exercises)"
    assert solved.looks_like(2, table[2], others) is None and len(asked) == 1  # asked once
    assert solved.looks_like(4) is None  # without the registry: no sign


def test_localize_rewrites_cells_and_reports_a_syntax_error():
    layout = read_layout(
        notebook(
            MD("intro"),
            CODE("import numpy as np"),
            MD("more"),
            CODE("def sigmoid(z)\n    return z"),
            CODE("def neuron_forward(x, w, b):\n    return x"),
        )
    )
    record = make_record("sam")
    record["notes"] = [
        "cell 4 raised SyntaxError (line 1): expected ':'",
        "memory limit exceeded while running cell 5",
        "cell 5 failed (it printed 'cell 4 is odd')",
    ]
    entries = {e["id"]: e for e in record["exercises"]}
    entries["ch1.sigmoid"].update(
        status="not found", reason="function sigmoid not found in the notebook (it defines x)"
    )
    entries["ch1.neuron_forward"].update(status="error", reason="ValueError at cell 5, line 2")
    functions = {"ch1.sigmoid": "sigmoid", "ch1.neuron_forward": "neuron_forward"}
    localize(record, layout, functions)
    assert record["notes"] == [
        "code cell 2 raised SyntaxError (line 1): expected ':'",
        "memory limit exceeded while running code cell 3",
        "code cell 3 failed (it printed 'cell 4 is odd')",
    ]
    sigmoid, forward = entries["ch1.sigmoid"], entries["ch1.neuron_forward"]
    assert (sigmoid["status"], sigmoid["cell"]) == ("error", 2)
    assert sigmoid["reason"].startswith(
        "SyntaxError in code cell 2, line 1: expected ':' — the cell that defines sigmoid could "
        "not run"
    )
    assert (forward["cell"], forward["reason"]) == (3, "ValueError at code cell 3, line 2")
    assert entries["ch1.sigmoid_derivative"]["cell"] is None


def test_a_missing_function_elsewhere_points_at_the_syntax_error():
    layout = read_layout(notebook(CODE("x = (")))
    record = make_record("sam")
    record["notes"] = ["cell 1 raised SyntaxError (line 1): '(' was never closed"]
    entry = record["exercises"][1]
    entry.update(status="not found", reason="function sigmoid not found in the notebook")
    localize(record, layout, {entry["id"]: "sigmoid"})
    assert entry["status"] == "not found"
    assert entry["reason"].endswith("(code cell 1 has a SyntaxError, line 1: '(' was never closed)")


def test_chapter_of_id():
    assert (chapter_of_id("ch12.relu"), chapter_of_id("relu"), chapter_of_id("ch.x")) == (
        12,
        None,
        None,
    )
