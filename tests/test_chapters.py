"""Every chapter notebook follows the course's conventions."""

from __future__ import annotations

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
