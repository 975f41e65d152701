"""What a book page's source says: headings, literal code blocks, code spans and math spans.

The source is read the way its author meant it, not the way CommonMark happens to parse it: a
line that starts with three backticks (or tildes, or colons) opens a fence even when its info
string holds backticks (CommonMark opens none there, the bug of issue 9). Comparing this reading
with the built HTML (``structure.py``) shows where the two disagree.

Directives (```` ```{name} ```` or ``:::{name}``) are split by what their body is: Markdown
(admonitions, exercises, figure captions, glossary, ...), a literal block (``code-block``), math
(``math``), a file to read (``include``), or nothing shown as text (``bibliography``, ...).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Source", "load_source", "parse_markdown", "words"]

LITERAL_DIRECTIVES = {"code-block", "code", "sourcecode"}
OPAQUE_DIRECTIVES = {
    "raw",
    "eval-rst",
    "bibliography",
    "tableofcontents",
    "toctree",
    "mermaid",
    "csv-table",
    "literalinclude",
    "include",
    "math",
}
PATH_ARGUMENT = {"figure", "image", "include", "literalinclude", "bibliography", "code-block"}

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_OPTION = re.compile(r"^\s*:[\w-]+:(\s|$)")
_BEGIN_ENV = re.compile(r"^\s*\\begin\{([a-zA-Z*]+)\}")
_BACKTICKS = re.compile(r"`+")
_ROLE_BEFORE = re.compile(r"\{([\w:+-]+)\}$")
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<![\s\\$])\$(?![\d$])", re.S)


@dataclass
class Source:
    """The parts of a page's source that must survive into its HTML."""

    headings: list[str] = field(default_factory=list)  # heading text, Markdown, in order
    fences: list[str] = field(default_factory=list)  # content of each literal code block
    literals: list[str] = field(default_factory=list)  # code spans and fence contents
    math: int = 0  # number of math spans (inline, display, math directives, amsmath)

    def extend(self, other: Source) -> None:
        self.headings += other.headings
        self.fences += other.fences
        self.literals += other.literals
        self.math += other.math


@dataclass
class _Frame:
    char: str  # "`", "~" or ":"
    length: int
    kind: str  # "markdown", "literal", "opaque", "math", "env", "dollars"
    name: str = ""
    argument: str = ""
    lines: list[str] = field(default_factory=list)
    options_done: bool = False

    def closes(self, line: str) -> bool:
        if self.kind == "env":
            return bool(re.search(r"\\end\{" + re.escape(self.name) + r"\}", line))
        if self.kind == "dollars":
            return line.rstrip().endswith("$$")
        stripped = line.strip()
        return (
            len(line) - len(line.lstrip(" ")) <= 3
            and len(stripped) >= self.length
            and set(stripped) == {self.char}
        )


def words(text: str) -> list[str]:
    """The words of a heading, Markdown or rendered, with markup and punctuation dropped."""
    text = re.sub(r"\{[\w:+-]+\}`([^`<]*?)\s*<[^`>]*>`", r"\1", text)  # {term}`label <target>`
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url), ![alt](src)
    return re.findall(r"\w+", text.casefold())


def load_source(path: Path) -> Source:
    """Parse a source page: a notebook's Markdown cells one by one, or a ``.md`` file."""
    if path.suffix == ".ipynb":
        notebook = json.loads(path.read_text(encoding="utf-8"))
        source = Source()
        for cell in notebook["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] == "markdown" and "remove-cell" not in tags:
                text = "".join(cell["source"])
                source.extend(parse_markdown(text, base=path.parent))
        return source
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # front matter
        end = text.find("\n---", 4)
        text = text[end + 4 :] if end > 0 else text
    return parse_markdown(text, base=path.parent)


def parse_markdown(text: str, base: Path | None = None) -> Source:
    """Parse MyST Markdown as its author meant it (see the module docstring)."""
    source = Source()
    stack: list[_Frame] = []
    prose: list[str] = []

    def flush() -> None:
        _scan_prose("\n".join(prose), source)
        prose.clear()

    for line in text.splitlines():
        top = stack[-1] if stack else None
        if top is not None and top.closes(line):
            flush()
            stack.pop()
            _close(top, source, base)
            continue
        if top is not None and top.kind != "markdown":
            top.lines.append(line)
            continue
        if top is not None and not top.options_done:
            if _OPTION.match(line):
                continue
            top.options_done = True
        if line.lstrip().startswith("%"):  # MyST comment
            continue
        opened = _open(line)
        if opened is not None:
            flush()
            stack.append(opened)
            if opened.kind == "dollars" and opened.closes(line[line.index("$$") + 2 :]):
                stack.pop()
                source.math += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            source.headings.append((heading.group(2) or "").strip())
            _scan_prose(heading.group(2) or "", source)
            continue
        if not line.strip():
            flush()
        else:
            prose.append(line)
    flush()
    while stack:  # an unclosed fence runs to the end of the cell
        _close(stack.pop(), source, base)
    return source


def _open(line: str) -> _Frame | None:
    env = _BEGIN_ENV.match(line)
    if env:
        return _Frame("", 0, "env", name=env.group(1))
    if line.lstrip().startswith("$$"):
        return _Frame("$", 2, "dollars")
    match = _FENCE.match(line)
    if not match:
        return None
    marker, info = match.group(1), match.group(2).strip()
    directive = re.match(r"^\{([\w:+-]+)\}\s*(.*)$", info)
    if directive is None:
        kind = "markdown" if marker[0] == ":" else "literal"
        return _Frame(marker[0], len(marker), kind, options_done=True)
    name, argument = directive.group(1), directive.group(2)
    if name in LITERAL_DIRECTIVES:
        kind = "literal"
    elif name == "math":
        kind = "math"
    elif name in OPAQUE_DIRECTIVES:
        kind = "opaque"
    else:
        kind = "markdown"
    return _Frame(marker[0], len(marker), kind, name=name, argument=argument)


def _close(frame: _Frame, source: Source, base: Path | None) -> None:
    if frame.argument and frame.name not in PATH_ARGUMENT:
        _scan_prose(frame.argument, source)  # an admonition's or exercise's title
    if frame.kind in ("math", "env", "dollars"):
        source.math += 1
    elif frame.kind == "literal":
        body = frame.lines
        while frame.name and body and _OPTION.match(body[0]):  # a directive's options
            body = body[1:]
        content = "\n".join(body)
        source.fences.append(content)
        source.literals.append(content)
    elif frame.name == "include" and base is not None:
        target = base / frame.argument.strip()
        if not target.exists():
            raise FileNotFoundError(f"{{include}} names {frame.argument!r}: {target} not found")
        source.extend(load_source(target))
    elif frame.name == "literalinclude" and base is not None:
        target = base / frame.argument.strip()
        if target.exists():
            content = target.read_text(encoding="utf-8")
            source.fences.append(content)
            source.literals.append(content)


def _scan_prose(text: str, source: Source) -> None:
    """Code spans, roles and math spans of a paragraph (CommonMark's backtick-string rule)."""
    rest: list[str] = []
    position = 0
    while True:
        opening = _BACKTICKS.search(text, position)
        if opening is None:
            rest.append(text[position:])
            break
        closing = opening
        while True:
            closing = _BACKTICKS.search(text, closing.end())
            if closing is None or len(closing.group()) == len(opening.group()):
                break
        if closing is None:  # a lone backtick string is text
            rest.append(text[position : opening.end()])
            position = opening.end()
            continue
        before = text[position : opening.start()]
        content = text[opening.end() : closing.start()]
        role = _ROLE_BEFORE.search(before)
        if role:
            before = before[: role.start()]
            if role.group(1) == "math":
                source.math += 1
        else:
            source.literals.append(content.strip())
        rest.append(before + " ")
        position = closing.end()
    plain = re.sub(r"\\\$", "", "".join(rest))
    source.math += len(_DISPLAY_MATH.findall(plain))
    source.math += len(_INLINE_MATH.findall(_DISPLAY_MATH.sub(" ", plain)))
