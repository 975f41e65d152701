"""The built book shows what its source says (issue 9): for every page of ``_toc.yml``,

1. every Markdown heading of the source is a heading (h1–h6) of the page, with the same words;
2. no MyST markup (```` ```{…} ````, ``:::{…}``, ``{doc}`…```, ``:class:``, …) shows as text;
3. no Markdown is swallowed into a code block: each literal block outside code cells is one of
   the source's code blocks;
4. every math span is typeset: none is left as ``$…$`` text or lost, and in a browser every
   ``.math`` element holds MathJax's output.

The source is read as its author meant it (``mdsource.py``), the HTML with BeautifulSoup
(``structure.py``). Each rule is first tested on hand-made pairs, so the checker itself can be
seen to fail. Build the book first (``make test`` does); ``GENOLEARN_BOOK_HTML`` points the test
at another build (``pages.py``).
"""

from __future__ import annotations

import functools
import subprocess
import sys
from urllib.parse import urljoin

import pytest
from markdown_it import MarkdownIt

from tests.book.mdsource import load_source, parse_markdown
from tests.book.pages import HTML, PAGES, ROOT, require_book, source_of
from tests.book.structure import (
    RULES,
    check_headings,
    check_literal_blocks,
    check_markup,
    check_math,
    parse_page,
)
from tests.book.test_mdsource import CH2_BUG


def article(body: str):
    """A built page's article holding ``body``, after a sidebar that must not count."""
    return parse_page(
        "<html><body><nav><h2>Contents</h2></nav>"
        f"<article class='bd-article'>{body}</article></body></html>"
    )


def sphinx_heading(level: int, number: str, text: str) -> str:
    return (
        f"<h{level}><span class='section-number'>{number} </span>{text}"
        f"<a class='headerlink' href='#x' title='Link to this heading'>#</a></h{level}>"
    )


CELL = (
    "<div class='cell docutils container'><div class='cell_input docutils container'>"
    "<div class='highlight-ipython3'><div class='highlight'><pre>{code}</pre></div></div></div>"
    "<div class='cell_output docutils container'><pre>{output}</pre></div></div>"
)


# --- rule 1: headings -------------------------------------------------------------------------


def test_headings_match_with_numbers_code_and_math():
    source = parse_markdown("# Layers\n\n## How `Linear` stores $W$: `(H, D)`\n")
    page = article(
        sphinx_heading(1, "2.", "Layers")
        + sphinx_heading(
            2,
            "2.1.",
            "How <code class='docutils literal'><span class='pre'>Linear</span></code> stores "
            "<span class='math notranslate nohighlight'>\\(W\\)</span>: <code>(H, D)</code>",
        )
    )
    assert check_headings(source, page) == []


def test_a_heading_swallowed_into_a_code_block_is_reported():
    source = parse_markdown("# Layers\n\n## A dense layer\n\n## A dense layer\n")
    page = article(
        sphinx_heading(1, "2.", "Layers")
        + sphinx_heading(2, "2.1.", "A dense layer")
        + "<div class='highlight-default'><pre>## A dense layer</pre></div>"
    )
    # the same text twice in the source needs two headings; one in a <pre> does not count
    assert check_headings(source, page) == [
        "heading 'A dense layer' of the source is not a heading on the page"
    ]
    # the sidebar's "Contents" is outside the article
    assert check_headings(parse_markdown("## Contents"), page) != []


# --- rule 2: no MyST markup as text -----------------------------------------------------------


def test_myst_markup_shown_as_text_is_reported():
    source = parse_markdown("text")
    page = article(
        "<p>```{admonition} Why <code>x.T</code> is a trap\n:class: warning\nIt is.</p>"
        "<p>See {doc}`the neuron &lt;../01_neuron/neuron&gt;` and {term}<code>softmax</code>.</p>"
        "<div><p>:::{note}</p></div><p>(my-label)=</p>"
    )
    assert check_markup(source, page) == [
        "directive fence shown as text: '```{admonition} Why x.T is a trap'",
        "directive option shown as text: ':class: warning'",
        "role shown as text: '{doc}`the neuron <../01_neuron/neuron>`'",
        "role shown as text: '{term}softmax'",
        "colon fence shown as text: ':::{note}'",
        "target shown as text: '(my-label)='",
    ]


def test_markup_the_source_writes_as_code_is_content():
    source = parse_markdown(
        "Write ``{term}`x` `` for a glossary link.\n\n```text\n```{admonition} Title\n"
        ":class: tip\n```\n"
    )
    page = article(
        "<p>Write <code>{term}`x`</code> for a glossary link.</p>"
        "<div class='highlight-text'><pre>```{admonition} Title\n:class: tip\n</pre></div>"
        + CELL.format(code="print('{doc}`a`')", output="ok")
    )
    assert check_markup(source, page) == []
    # the same markup in a code cell's *output* is not code of the source
    page = article(CELL.format(code="print(x)", output="```{note} printed\n"))
    assert check_markup(source, page) == ["directive fence shown as text: '```{note} printed'"]


# --- rule 3: no Markdown swallowed into a code block ------------------------------------------


def test_literal_blocks_must_be_code_blocks_of_the_source():
    source = parse_markdown("```bash\n# install\nmake book\n```\n")
    fine = article(
        "<div class='highlight-bash'><pre># install\nmake book\n</pre></div>"
        + CELL.format(code="## a comment", output="## printed")
    )
    assert check_literal_blocks(source, fine) == []
    twice = article("<pre># install\nmake book\n</pre><pre># install\nmake book\n</pre>")
    assert len(check_literal_blocks(source, twice)) == 1


def test_commonmark_swallowing_the_chapter_2_section_is_reported():
    # What CommonMark (markdown-it, MyST's parser) makes of the Chapter 2 cell of issue 9.
    html = MarkdownIt("commonmark").render(CH2_BUG)
    page = article(html)
    source = parse_markdown(CH2_BUG)
    problems = check_literal_blocks(source, page)
    assert len(problems) == 1
    assert "Markdown swallowed into a code block" in problems[0]
    assert "a Markdown heading '## A dense layer is a matrix product'" in problems[0]
    assert "display math `$$`" in problems[0]
    assert check_headings(source, page) == [
        "heading 'A dense layer is a matrix product' of the source is not a heading on the page"
    ]
    assert "directive fence shown as text" in check_markup(source, page)[0]
    assert check_math(source, page)[-1].startswith("the source has 3 math spans but the page")


# --- rule 4: math typeset ---------------------------------------------------------------------


def test_math_left_as_dollars_or_lost_is_reported():
    source = parse_markdown("Neuron $h$ computes $z$.\n\n$$\nZ = XW\n$$\n")
    typeset = article(
        "<p>Neuron <span class='math notranslate nohighlight'>\\(h\\)</span> computes "
        "<span class='math'>\\(z\\)</span>. It costs <code>$5</code>.</p>"
        "<div class='math notranslate nohighlight'>\\[Z = XW\\]</div>"
    )
    assert check_math(source, typeset) == []
    raw = article("<p>Neuron $h$ computes <span class='math'>\\(z\\)</span>.</p><p>$$</p>")
    assert check_math(source, raw) == [
        "math left as text: '$h$'",
        "math left as text: '$$'",
        "the source has 3 math spans but the page shows 1 math elements (span.math, div.math): "
        "2 lost",
    ]


# --- the built book ---------------------------------------------------------------------------


@functools.cache
def built_page(doc: str):
    return parse_page((HTML / f"{doc}.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("doc", PAGES)
def test_the_page_shows_its_source(doc, rule):
    require_book()
    source = source_of(doc)
    problems = RULES[rule](load_source(source), built_page(doc))
    html = HTML / f"{doc}.html"
    stale = (
        f"\n(the source is newer than {html}: rebuild the book before believing this)"
        if source.stat().st_mtime > html.stat().st_mtime
        else ""
    )
    assert not problems, (
        f"{doc}.html breaks rule {rule!r} (source: {source.relative_to(ROOT)}):\n  "
        + "\n  ".join(problems)
        + stale
    )


MATH_PAGES = [doc for doc in PAGES if load_source(source_of(doc)).math]


def untypeset_math(browser, url: str, inject: str = "") -> tuple[int, list[str]]:
    """Open ``url``, wait for MathJax, run ``inject`` (JavaScript), and return the number of
    ``.math`` elements in the article and the text of those without MathJax output."""
    page = browser.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise")
        if inject:
            page.evaluate(inject)
        return page.locator("article .math").count(), page.evaluate(
            "Array.from(document.querySelectorAll('article .math'))"
            ".filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.trim())"
        )
    finally:
        page.close()


@pytest.mark.parametrize("doc", MATH_PAGES)
def test_every_math_element_is_typeset_in_the_browser(browser, server, doc):
    total, untypeset = untypeset_math(browser, urljoin(server, doc + ".html"))
    assert total, f"{doc}.html: the source has math but the page has no .math element"
    assert not untypeset, (
        f"{doc}.html breaks rule 'math' in the browser: {len(untypeset)} of {total} .math "
        f"elements have no MathJax output (mjx-container), e.g. {untypeset[:3]}"
    )


def test_the_browser_check_sees_math_that_mathjax_did_not_typeset(browser, server):
    add = (
        "const s = document.createElement('span'); s.className = 'math'; "
        "s.textContent = '\\\\(x_{lost}\\\\)'; document.querySelector('article').append(s)"
    )
    total, untypeset = untypeset_math(browser, urljoin(server, MATH_PAGES[0] + ".html"), add)
    assert untypeset == ["\\(x_{lost}\\)"], (total, untypeset)


# --- the checker on real MyST + Sphinx output -------------------------------------------------


@pytest.mark.slow
def test_the_rules_on_pages_built_by_sphinx_and_myst(tmp_path):
    """The Chapter 2 bug, the same with a four-backtick fence (still no fence: the info string
    of a backtick fence cannot hold a backtick) and the colon-fence fix, built by Sphinx."""
    fixed = CH2_BUG.replace("```{admonition}", ":::{admonition}").replace("\n```\n", "\n:::\n", 1)
    pages = {
        "bug": CH2_BUG,
        "four": CH2_BUG.replace("```{admonition}", "````{admonition}").replace(
            "\n```\n", "\n````\n", 1
        ),
        "fixed": fixed,
    }
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser"]\n'
        'myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath"]\n'
        'html_theme = "sphinx_book_theme"\n'
    )
    (tmp_path / "index.md").write_text("# Pages\n\n```{toctree}\nbug\nfour\nfixed\n```\n")
    code = "```bash\n# install\nmake book\n```\n"
    for name, text in pages.items():
        (tmp_path / f"{name}.md").write_text(f"# Page {name}\n\n{text}\n{code}")
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(tmp_path), str(tmp_path / "out")],
        check=True,
        capture_output=True,
    )
    found = {}
    for name in pages:
        source = load_source(tmp_path / f"{name}.md")
        page = parse_page((tmp_path / "out" / f"{name}.html").read_text(encoding="utf-8"))
        found[name] = {rule: check(source, page) for rule, check in RULES.items()}
    assert found["fixed"] == {rule: [] for rule in RULES}
    for name in ("bug", "four"):
        assert found[name]["headings"] == [
            "heading 'A dense layer is a matrix product' of the source is not a heading on the page"
        ]
        assert "{admonition} Why x.reshape(-1) is a trap" in found[name]["markup"][0]
        assert "a Markdown heading '## A dense layer" in found[name]["literal-blocks"][0]
        assert found[name]["math"] == [
            "the source has 3 math spans but the page shows 0 math elements (span.math, "
            "div.math): 3 lost"
        ]
