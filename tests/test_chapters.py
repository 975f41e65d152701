"""Every chapter notebook follows the course's conventions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*/*.ipynb"))


def test_every_chapter_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    files = [c["file"] for part in yaml.safe_load(toc)["parts"] for c in part["chapters"]]
    for nb in CHAPTERS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in files, f"{nb} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.parent.name)
def test_chapter_conventions(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "title first"
    install = nb.cells[1]
    assert 'find_spec("genolearn") is None' in install.source, "install cell second (Colab)"
    assert "remove-cell" in install.metadata.get("tags", [])
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"cell {i} stored an error"
            assert "Traceback" not in out.get("text", ""), f"cell {i} printed a traceback"


# A decimal or a percentage in the prose is either computed by the notebook and stated with
# genolearn.quote (in a hidden cell tagged "quoted", or in a predict-then-run cell), or declared
# in the notebook's metadata (genolearn.prose_constants) as an input or a definition that
# nothing computes.
_PROSE_NUMBER = re.compile(r"(?<![\w.^{])(\d+(?:\.\d+)?)(?:\s?%|(?=[^\w.%]|$))")
_FENCE = re.compile(r"^(`{3,}|:{3,}).*?^\1", re.S | re.M)


def _quoted_values(nb) -> set[float]:
    values = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "quote(" in cell.source:
            for node in ast.walk(ast.parse(cell.source)):
                # quote(name, value, expected, ...): the expected value is what the prose says
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "quote":
                    values |= _literal_numbers(node.args[2])
                # quote(f"...{width}", errors[width], text) in a loop over (key, text) pairs
                if isinstance(node, ast.For) and isinstance(node.iter, (ast.List, ast.Tuple)):
                    values |= _literal_numbers(node.iter)
    return values


def _literal_numbers(node: ast.AST) -> set[float]:
    return {
        float(n.value)
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and type(n.value) in (int, float)
    }


def _prose_numbers(text: str) -> list[str]:
    text = re.sub(r"^:\w[\w-]*:.*$", "", text, flags=re.M)  # directive options (:width: 60%)
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code (`lr=0.1`) shows code, not results
    found = []
    for m in _PROSE_NUMBER.finditer(text):
        if "." in m.group(1) or m.group(0).rstrip().endswith("%"):
            found.append(m.group(1))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.parent.name)
def test_every_number_in_the_prose_is_quoted_or_declared(path):
    nb = nbformat.read(path, as_version=4)
    quoted = _quoted_values(nb)
    constants = set(nb.metadata.get("genolearn", {}).get("prose_constants", []))
    unexplained = [
        (i, number)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for number in _prose_numbers(cell.source)
        if float(number) not in quoted and number not in constants
    ]
    assert not unexplained, (
        f"{path.name}: numbers in the prose that no quote() cell states and "
        f"metadata.genolearn.prose_constants does not declare (cell, number): {unexplained}"
    )


def test_prose_number_finder():
    assert _prose_numbers("falls from 0.20 to 0.12; 98 % accurate;\n:width: 60%") == [
        "0.20",
        "0.12",
        "98",
    ]
    assert _prose_numbers("layer 3 of 10, $10^{8}$, ch2.x, version 2") == []
