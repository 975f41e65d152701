"""Does a built page show what its source says? Four rules, each a function returning problems.

Each check takes the page's :class:`~tests.book.mdsource.Source` and its parsed HTML (``page``,
from :func:`parse_page`) and returns a list of problems, one line each, quoting the offending
text; an empty list means the rule holds.

1. :func:`check_headings`: every source heading is a heading element with the same words.
2. :func:`check_markup`: no MyST markup shows as text outside code cells.
3. :func:`check_literal_blocks`: every literal block outside code cells is a code block of
   the source (Markdown swallowed into a code block is not).
4. :func:`check_math`: no ``$`` math is left as text and no source math span is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, Tag

from tests.book.mdsource import Source, words

__all__ = [
    "RULES",
    "check_headings",
    "check_literal_blocks",
    "check_markup",
    "check_math",
    "parse_page",
]

# Roles that MyST knows here; "{name}" right before a <code> element is one left as text.
ROLES = "abbr|cite|cite:[a-z]+|doc|download|eq|math|numref|prf:[a-z]+|ref|sub|sup|term"
# MyST syntax that must never reach a reader as text.
MARKUP = [
    (re.compile(r"`{3,}\s*\{[\w:+-]+\}[^\n]*"), "directive fence"),
    (re.compile(r"~{3,}\s*\{[\w:+-]+\}[^\n]*"), "directive fence"),
    (re.compile(r":{3,}\s*\{[\w:+-]+\}[^\n]*"), "colon fence"),
    (re.compile(r"\{[a-z][\w:+-]*\}`[^`\n]*`?"), "role"),
    # A role whose backticks became a <code> element (plain CommonMark): "{term}softmax".
    (re.compile(r"\{(?:" + ROLES + r")\}(?!`)[\w-]*"), "role"),
    (re.compile(r"(?m)^[ \t]*:[a-z][\w-]*:(?:[ \t][^\n]*)?$"), "directive option"),
    (re.compile(r"(?m)^[ \t]*\([\w.-]+\)=[ \t]*$"), "target"),
]
_SWALLOWED = [
    (re.compile(r"(?m)^ {0,3}#{1,6} \S[^\n]*"), "a Markdown heading"),
    (re.compile(r"\$\$"), "display math `$$`"),
    (re.compile(r"(?m)^ {0,3}(?:`{3,}|:{3,})\{[^\n]*"), "a MyST fence"),
]
_DOLLAR_MATH = re.compile(r"\$\$|(?<![\\$\w])\$(?![\s$\d])[^$\n]+?(?<![\s\\])\$(?![\w$])")
# What each rule leaves out: tag names and class names.
HEADING_EXTRAS = frozenset({"section-number", "headerlink"})
NOT_MARKDOWN_TEXT = frozenset({"cell_input", "script", "style"})
CODE_CELLS = frozenset({"cell"})
NOT_PROSE = frozenset({"pre", "code", "math", "script", "style", "cell"})


def parse_page(html: str) -> Tag:
    """The article of a built page (the page content, without navigation and sidebars)."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup.select_one("[role=main]")
    if article is None:
        raise ValueError(
            f"html ({len(html)} characters, starting {html[:60]!r}) has no "
            "<article class='bd-article'> or [role=main] element: expected a Jupyter Book page"
        )
    return article


def _walk(tag: Tag, skip: frozenset[str]) -> Iterator[Tag | NavigableString]:
    """The elements and text nodes inside ``tag``, in document order, leaving out every element
    (with all it holds) whose tag name or one of whose classes is in ``skip``."""
    for child in tag.children:
        if isinstance(child, Tag):
            if child.name in skip or skip.intersection(child.get("class") or ()):
                continue
            yield child
            yield from _walk(child, skip)
        elif type(child) is NavigableString:  # not a comment, doctype, ...
            yield child


def _texts(tag: Tag, skip: frozenset[str]) -> list[NavigableString]:
    return [node for node in _walk(tag, skip) if isinstance(node, NavigableString)]


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def check_headings(source: Source, page: Tag) -> list[str]:
    """Rule 1: every source heading is an h1–h6 with the same words (section numbers dropped)."""
    rendered = Counter()
    for heading in page.select("h1, h2, h3, h4, h5, h6"):
        text = " ".join(_texts(heading, HEADING_EXTRAS))
        rendered[tuple(words(text))] += 1
    problems = []
    for text in source.headings:
        key = tuple(words(text))
        if rendered[key] > 0:
            rendered[key] -= 1
        else:
            problems.append(f"heading {_short(text)} of the source is not a heading on the page")
    return problems


INLINE = {
    "a",
    "abbr",
    "b",
    "cite",
    "code",
    "em",
    "i",
    "kbd",
    "mark",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "var",
}


def _blocks(page: Tag) -> list[tuple[str, list[tuple[int, NavigableString]]]]:
    """The text of each block element (its own text nodes and those of its inline children),
    with where each text node starts in it."""
    blocks: dict[int, tuple[list[str], list[tuple[int, NavigableString]]]] = {}
    order: list[int] = []
    for node in _texts(page, NOT_MARKDOWN_TEXT):
        block = node.parent
        while block.parent is not None and block.name in INLINE:
            block = block.parent
        if id(block) not in blocks:
            blocks[id(block)] = ([], [])
            order.append(id(block))
        texts, starts = blocks[id(block)]
        starts.append((sum(map(len, texts)), node))
        texts.append(str(node))
    return [("".join(blocks[key][0]), blocks[key][1]) for key in order]


def _legitimate(element: Tag | None, source: Source) -> bool:
    """Markup inside a code span or block that the source writes literally is content."""
    while element is not None and element.name not in ("code", "pre"):
        element = element.parent
    if element is None:
        return False
    shown = " ".join(element.get_text().split())
    return any(shown in " ".join(literal.split()) for literal in source.literals)


def check_markup(source: Source, page: Tag) -> list[str]:
    """Rule 2: no MyST markup shows as text, outside the input of code cells."""
    problems = []
    for text, starts in _blocks(page):
        for pattern, what in MARKUP:
            for match in pattern.finditer(text):
                offset = match.start() + len(match.group()) - len(match.group().lstrip())
                node = next(n for start, n in reversed(starts) if start <= offset)
                if not _legitimate(node.parent, source):
                    problems.append(f"{what} shown as text: {_short(match.group())}")
    return problems


def check_literal_blocks(source: Source, page: Tag) -> list[str]:
    """Rule 3: each <pre> outside code cells is one of the source's literal code blocks."""
    unused = Counter(_block_key(fence) for fence in source.fences)
    problems = []
    for pre in [node for node in _walk(page, CODE_CELLS) if getattr(node, "name", "") == "pre"]:
        text = pre.get_text()
        key = _block_key(text)
        if unused[key] > 0:
            unused[key] -= 1
            continue
        found = [
            f"{what} {_short(m.group(), 60)}"
            for p, what in _SWALLOWED
            for m in [p.search(text)]
            if m
        ]
        why = f"; it holds {', '.join(found)}" if found else ""
        problems.append(
            f"literal block {_short(text, 80)} is not a code block of the source: Markdown "
            f"swallowed into a code block{why}"
        )
    return problems


def _block_key(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def check_math(source: Source, page: Tag) -> list[str]:
    """Rule 4: no ``$``/``$$`` math left in prose, and at least as many math elements as the
    source has math spans (outside code cells)."""
    problems = []
    for node in _texts(page, NOT_PROSE):
        for match in _DOLLAR_MATH.finditer(str(node)):
            problems.append(f"math left as text: {_short(match.group(), 80)}")
    rendered = sum(
        1
        for node in _walk(page, CODE_CELLS)
        if isinstance(node, Tag) and "math" in (node.get("class") or ())
    )
    if rendered < source.math:
        problems.append(
            f"the source has {source.math} math spans but the page shows {rendered} math "
            f"elements (span.math, div.math): {source.math - rendered} lost"
        )
    return problems


RULES = {
    "headings": check_headings,
    "markup": check_markup,
    "literal-blocks": check_literal_blocks,
    "math": check_math,
}
