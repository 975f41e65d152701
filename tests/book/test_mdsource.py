"""The source reader of the structure test (``mdsource.py``) on hand-made MyST snippets."""

from __future__ import annotations

import json

from tests.book.mdsource import load_source, parse_markdown, words

# The Chapter 2 cell of issue 9: a backtick in a backtick fence's title opens no fence in
# CommonMark; its author meant an admonition followed by a section.
CH2_BUG = """```{admonition} Why `x.reshape(-1)` is a trap
:class: warning
It flattens the *whole batch*.
```

## A dense layer is a matrix product

Neuron $h$ computes $z = w x + b$:

$$
Z = X W + \\mathbf{b}
$$
"""


def test_reads_the_source_as_its_author_meant_it():
    source = parse_markdown(CH2_BUG)
    assert source.headings == ["A dense layer is a matrix product"]
    assert source.fences == []  # an admonition, not a code block
    assert source.math == 3
    assert "x.reshape(-1)" in source.literals  # the title's code span


def test_literal_blocks_nested_in_directives_and_their_options():
    source = parse_markdown(
        "````{exercise} Forward pass\n:label: ex-forward\n\nWrite it:\n\n```python\n"
        "def f(x):\n    return x  # (N, H)\n```\n````\n\n"
        "```{code-block} bash\n:caption: install\nmake book\n```\n\n"
        ":::{note}\n:class: tip\n~~~\nraw ```{text}\n~~~\n:::\n"
    )
    assert source.fences == ["def f(x):\n    return x  # (N, H)", "make book", "raw ```{text}"]
    assert source.headings == []


def test_headings_outside_fences_only():
    source = parse_markdown(
        "# Title #\n\n```bash\n# a comment, not a heading\n```\n\n"
        "    ## indented code, not a heading\n\n"
        "### With `code` and $x^2$\n\n% a MyST comment, $y$ not shown\n\n#hashtag is text\n"
    )
    assert source.headings == ["Title", "With `code` and $x^2$"]
    assert source.math == 1


def test_counts_each_math_span_once():
    source = parse_markdown(
        "Inline $a$, $b_{i}$ and $$c$$ in one paragraph; $5 and $6 are money, "
        "\\$7 is escaped, `$x$` is code.\n\n"
        "$$\nA = B\n\nC = D\n$$\n\n"
        "\\begin{align}\nx &= 1\n\\end{align}\n\n"
        "```{math}\n:label: eq-a\ny = 2\n```\n\n"
        "A role {math}`z` and a term {term}`softmax` with `literal`.\n"
    )
    # $a$, $b_{i}$, $$c$$, the $$ block, align, the math directive, the {math} role
    assert source.math == 7
    assert "literal" in source.literals
    assert "softmax" not in source.literals  # a role's content is not literal text


def test_an_unclosed_fence_runs_to_the_end_of_the_cell():
    source = parse_markdown("Text\n\n```python\nx = 1\n\n## not a heading\n")
    assert source.fences == ["x = 1\n\n## not a heading"]
    assert source.headings == []


def test_include_and_notebook_cells(tmp_path):
    (tmp_path / "table.md").write_text("## Included\n\n```text\nfrom the include\n```\n")
    page = tmp_path / "page.md"
    page.write_text("---\ntitle: x\n---\n# Page\n\n```{include} table.md\n```\n")
    source = load_source(page)
    assert source.headings == ["Page", "Included"]
    assert source.fences == ["from the include"]

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Notebook\n", "\n", "```python\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["## a code comment"], "outputs": []},
        {"cell_type": "markdown", "metadata": {"tags": ["remove-cell"]}, "source": ["## Hidden"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["## Next $x$"]},
    ]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    source = load_source(notebook)
    # a fence left open ends with its cell; removed cells are not on the page
    assert source.headings == ["Notebook", "Next $x$"]
    assert source.math == 1


def test_words_ignore_markup_and_numbering():
    assert words("How `Linear` stores its weight: `(H, D)`") == words(
        "How Linear stores its weight: (H, D)"
    )
    assert words("The {term}`softmax <Softmax function>` and [links](https://x.org)") == [
        "the",
        "softmax",
        "and",
        "links",
    ]
    assert words("One neuron: $\\sigma(z)$") == words("One neuron: \\(\\sigma(z)\\)")
    assert words("A dense layer") != words("A sparse layer")
