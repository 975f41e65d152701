"""MyST -> plain Jupyter Markdown for the student notebooks (genolearn/grading/myst.py, book.py)."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from genolearn.grading.book import Book, BookError, find_book, term_anchor
from genolearn.grading.myst import MystError, Page

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[2]
BOOK = find_book(ROOT / "chapters")
URL = BOOK.base_url


def convert(source: str, directory: Path = ROOT / "chapters" / "01_neuron", **kw):
    page = Page(BOOK, kw.pop("doc", "chapters/01_neuron/neuron"), directory)
    page.scan([textwrap.dedent(source)])
    text, attachments = page.convert(textwrap.dedent(source))
    return text, attachments, page


def test_the_book_is_read_from_its_config_and_toc():
    assert URL == "https://genolearn.github.io/genolearn/"
    assert "chapters/01_neuron/neuron" in BOOK.pages and "book/glossary" in BOOK.pages
    assert BOOK.title("chapters/01_neuron/neuron") == "The neuron"


def test_term_anchor_is_sphinx_own_id_for_every_glossary_term():
    from sphinx.util.nodes import _make_id

    terms = [term for term, _ in BOOK.glossary.values()]
    assert len(terms) > 20
    for term in terms:
        assert term_anchor(term) == _make_id(f"term-{term}")
    assert term_anchor("Hidden layer") == "term-Hidden-layer"


def test_figure_becomes_an_embedded_image_with_its_caption(tmp_path):
    (tmp_path / "net.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    text, attachments, _ = convert(
        """\
        Before.
        ```{figure} net.svg
        :name: fig-net
        :width: 60%

        A network. Follow the *arrows* from $x$ to $y$.
        ```
        After.""",
        tmp_path,
    )
    assert text == (
        "Before.\n\n![A network.](attachment:net.svg)\n\n**Figure.** A network. Follow the "
        "*arrows* from $x$ to $y$.\n\nAfter."
    )
    svg = base64.b64decode(attachments["net.svg"]["image/svg+xml"])
    assert svg == (tmp_path / "net.svg").read_bytes()


def test_local_markdown_and_html_images_are_embedded_but_urls_are_not(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    text, attachments, _ = convert(
        '![A](a.png) <img src="a.png" width="50%"> ![web](https://x.org/b.png)', tmp_path
    )
    assert text == (
        '![A](attachment:a.png) <img src="attachment:a.png" width="50%"> '
        "![web](https://x.org/b.png)"
    )
    assert set(attachments) == {"a.png"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("```{figure} missing.svg\nCaption.\n```", "missing.svg' not found"),
        ("![x](data.csv)", "only .svg"),
    ],
)
def test_images_that_cannot_travel_are_refused(source, message):
    with pytest.raises(MystError, match=message):
        convert(source)


def test_admonitions_become_block_quotes_with_a_bold_title():
    text, _, _ = convert(
        """\
        ```{admonition} How the checks work
        :class: tip
        `check` runs your function.

        $$
        z = 1
        $$
        ```"""
    )
    assert text == (
        "> **💡 How the checks work**\n>\n> `check` runs your function.\n>\n> $$\n> z = 1\n> $$"
    )
    note, _, _ = convert("```{note}\nRead this.\n```")
    assert note == "> **ℹ️ Note**\n>\n> Read this."


def test_colon_fence_admonition_with_backticks_in_its_title_is_converted():
    text, _, _ = convert(":::{admonition} Why `x.T` is a trap\n:class: warning\nBecause.\n:::")
    assert text == "> **⚠️ Why `x.T` is a trap**\n>\n> Because."


def test_backtick_fence_with_a_backtick_in_its_title_is_refused():
    with pytest.raises(MystError, match="opens no fence in CommonMark"):
        convert("```{admonition} Why `x.T` is a trap\n:class: warning\nBecause.\n```")


def test_dropdown_becomes_details_and_nested_directives_are_converted():
    text, _, _ = convert(
        "::::{admonition} Hint\n:class: dropdown\nSee {term}`bias`.\n:::{note}\nInner.\n:::\n::::"
    )
    assert text.startswith("<details>\n<summary><b>📌 Hint</b></summary>\n\nSee [bias](")
    assert "> **ℹ️ Note**\n>\n> Inner." in text and text.endswith("</details>")


def test_doc_links_to_the_book_page_titled_with_its_first_heading():
    text, _, _ = convert(
        "In {doc}`../01_neuron/neuron`, {doc}`Chapter 2 <../02_layers/layers>`.",
        doc="chapters/03_backprop/backprop",
    )
    assert text == (
        f"In [The neuron]({URL}chapters/01_neuron/neuron.html), "
        f"[Chapter 2]({URL}chapters/02_layers/layers.html)."
    )


def test_term_links_to_the_glossary_entry_case_insensitively():
    text, _, _ = convert("A {term}`weight` and {term}`hidden layers <hidden layer>`.")
    assert text == (
        f"A [weight]({URL}book/glossary.html#term-Weight) and "
        f"[hidden layers]({URL}book/glossary.html#term-Hidden-layer)."
    )


def test_cite_gives_author_year_and_collects_the_keys():
    text, _, page = convert(
        "As shown {cite}`rosenblatt1958,minsky1969`; {cite:t}`zou2019primer` and "
        "{cite:p}`minsky1969`."
    )
    assert text == (
        "As shown (Rosenblatt, 1958; Minsky & Papert, 1969); Zou et al. (2019) and "
        "(Minsky & Papert, 1969)."
    )
    assert page.cited == ["rosenblatt1958", "minsky1969", "zou2019primer"]
    references = BOOK.references(page.cited).splitlines()
    assert [r.split()[1] for r in references] == ["Marvin", "Frank", "James"]
    assert "1958" in references[1] and "\\" not in references[1]


def test_ref_numref_math_and_eq():
    text, _, _ = convert(
        """\
        (sec-why)=
        ## Why it works

        See {ref}`sec-why`, {numref}`the figure <fig-neuron>` and {eq}`eq-z`.
        ```{math}
        :label: eq-z
        z = w x
        ```
        And {math}`a^2`, H{sub}`2`O."""
    )
    assert "(sec-why)=" not in text
    assert f"See [Why it works]({URL}chapters/01_neuron/neuron.html#sec-why)" in text
    assert f"[the figure]({URL}chapters/01_neuron/neuron.html#fig-neuron) and (1)." in text
    assert "$$\nz = w x \\tag{1}\n$$" in text and "And $a^2$, H<sub>2</sub>O." in text


def test_exercise_becomes_a_heading_and_code_stays_verbatim():
    text, _, _ = convert(
        ":::{exercise} Stable {term}`sigmoid <activation function>`\n:label: ex-1\n\n"
        "Write it:\n```python\nx = {'a': 1}  # {term}`not a role`\n```\n:::"
    )
    assert text.startswith("### ✏️ Exercise: Stable [sigmoid](")
    assert text.endswith("Write it:\n```python\nx = {'a': 1}  # {term}`not a role`\n```")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("```{glossary}\nA\n  b\n```", r"directive \{glossary\} has no plain-Jupyter form"),
        ("See {download}`data <x.csv>`.", r"role \{download\} has no plain-Jupyter form"),
        ("{term}`no such term`", "not a term of the book's glossary"),
        ("{cite}`nobody2099`", "'nobody2099' is not in"),
        ("{doc}`../99_missing/missing`", "is not in the book's _toc.yml"),
        ("{ref}`no-label`", "'no-label' is not a label"),
        ("{eq}`no-eq`", "not a labelled"),
        ("Hello {{ name }}.", "MyST markup left"),
        ("Term\n: its definition", "definition list"),
        ("```{admonition}\nNo title.\n```", "needs a title"),
    ],
)
def test_what_cannot_be_converted_fails_loudly(source, message):
    with pytest.raises(MystError, match=message):
        convert(source)


def test_comments_targets_and_block_breaks_are_dropped_and_latex_braces_kept():
    text, _, _ = convert("(intro)=\n% a comment for authors\n# Intro\n+++\nSo $x^{{2}}$.")
    assert text == "# Intro\nSo $x^{{2}}$."


def test_roles_that_need_the_book_fail_without_one():
    page = Page(None)
    with pytest.raises(MystError, match="needs the book"):
        page.convert("{term}`bias`")
    assert page.convert("Only $x$, *text* and `code`.\n") == ("Only $x$, *text* and `code`.", {})


def test_a_book_without_its_public_url_is_refused(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    with pytest.raises(BookError, match="html: baseurl: None but must give the book's public URL"):
        Book.load(tmp_path)
