"""MyST Markdown -> plain Jupyter Markdown, for the student notebooks.

The book's notebooks are written in MyST; JupyterLab, VS Code and Colab show its directives and
roles as raw text. :meth:`Page.convert` rewrites one Markdown cell into Markdown they render:

- ``{figure}``/``{image}`` and local images (``![..](f.svg)``, ``<img src="f.svg">``) ->
  ``![alt](attachment:f.svg)`` with the file embedded as a cell attachment, so one downloaded
  ``.ipynb`` is self-contained; a figure's caption follows as text;
- admonitions (``note``, ``tip``, ``warning``..., ``admonition`` with a title) -> a block quote
  with an icon and a bold title; class or directive ``dropdown`` -> a ``<details>`` block;
- ``{exercise}`` -> a heading; ``{math}`` -> a ``$$`` block; ``{code-block}`` -> a code fence;
- roles: ``{doc}`` -> a link to the book's page titled with its first heading; ``{term}`` -> a
  link to the glossary entry; ``{cite}`` -> author–year (keys kept in :attr:`Page.cited` for a
  reference list); ``{ref}``/``{numref}`` -> a link into the book; ``{eq}`` -> ``(n)``;
  ``{math}`` -> ``$..$``; ``{sub}``/``{sup}`` -> HTML; ``{abbr}`` -> its text;
- ``(label)=`` targets, ``%`` comments and ``+++`` breaks are dropped.

Anything else in MyST syntax raises :class:`MystError`: a construct we cannot convert must
stop the release rather than reach a student as raw text. Fenced code is left alone.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

from genolearn.grading.book import Book, BookError, labels_in

__all__ = ["MystError", "Page"]

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<body>[^`]+)`")
_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_DROP = re.compile(r"^(?:\([^()\s]+\)=|%.*|\+\+\+.*)$")
_MD_IMAGE = re.compile(r"(!\[[^\]]*\]\()(?P<src>[^)\s]+)((?:\s+\"[^\"]*\")?\))")
_HTML_IMAGE = re.compile(r"(<img\b[^>]*?\bsrc=)([\"'])(?P<src>[^\"']+)\2")
_LEAK = re.compile(r"\{[\w:-]+\}`|^[ \t]*(?:`{3,}|:{3,})\{|\{\{\s*[\w.]+\s*\}\}", re.M)
_MIME = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
_CALLOUTS = {
    "note": ("ℹ️", "Note"), "tip": ("💡", "Tip"), "hint": ("💡", "Hint"),
    "important": ("❗", "Important"), "seealso": ("👉", "See also"), "warning": ("⚠️", "Warning"),
    "caution": ("⚠️", "Caution"), "attention": ("⚠️", "Attention"), "danger": ("⛔", "Danger"),
    "error": ("⛔", "Error"), "admonition": ("📌", ""), "dropdown": ("📌", ""),
}  # fmt: skip


def _extend(out: list[str], text: str) -> None:
    """Append ``text``'s lines to ``out`` without doubling the blank line after a block."""
    lines = text.split("\n")
    if out and not out[-1] and lines and not lines[0].strip():
        lines = lines[1:]
    out += lines


class MystError(ValueError):
    """A MyST construct that cannot be turned into plain Jupyter Markdown."""


@dataclass
class Page:
    """Conversion state for one notebook.

    book: the book the notebook belongs to (``None``: roles that need it raise); doc: its
    docname, e.g. ``"chapters/01_neuron/neuron"``; directory: where its figure files are.
    """

    book: Book | None
    doc: str = "notebook"
    directory: Path = Path(".")
    cited: list[str] = field(default_factory=list)
    equations: dict[str, int] = field(default_factory=dict)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def scan(self, sources: list[str]) -> None:
        """Number the labelled ``{math}`` blocks and learn the labels of the whole notebook
        first, so that ``{eq}`` and ``{ref}`` may point forward."""
        text = "\n\n".join(sources)
        self.labels = {**(self.book.labels if self.book else {}), **labels_in(text, self.doc)}
        math = re.finditer(r"^[ \t]*(?:`{3,}|:{3,})\{math\}.*\n(?:[ \t]*:[\w-]+:.*\n)*", text, re.M)
        for m in math:
            label = re.search(r":label:[ \t]*(\S+)", m[0])
            if label:
                self.equations.setdefault(label[1], len(self.equations) + 1)

    def convert(self, source: str) -> tuple[str, dict[str, dict[str, str]]]:
        """``(plain Markdown, cell attachments)`` for the MyST Markdown cell ``source``."""
        attachments: dict[str, dict[str, str]] = {}
        try:
            text = self._blocks(source.splitlines(), attachments)
        except BookError as error:
            raise MystError(str(error)) from error
        outside_code = re.sub(  # fenced code and math may hold anything
            r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$|\$\$.*?\$\$|\$[^$\n]+\$",
            "",
            text,
            flags=re.S | re.M,
        )
        leak = _LEAK.search(outside_code)
        if leak:
            line = outside_code[leak.start() :].splitlines()[0]
            raise MystError(f"MyST markup left after conversion: {line.strip()!r}")
        return text, attachments

    # -- blocks -------------------------------------------------------------------------------
    def _blocks(self, lines: list[str], attachments: dict) -> str:
        out: list[str] = []
        buffer: list[str] = []
        i = 0
        while i < len(lines):
            opened = _OPEN.match(lines[i])
            if not opened or (opened["fence"][0] == ":" and not opened["info"].startswith("{")):
                buffer.append(lines[i])
                i += 1
                continue
            fence = opened["fence"]
            close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), len(lines))
            if buffer:
                _extend(out, self._inline("\n".join(buffer), attachments))
            buffer = []
            directive = _DIRECTIVE.match(opened["info"].strip())
            if directive and fence[0] == "`" and "`" in opened["info"]:
                raise MystError(
                    f"{lines[i].strip()!r}: a backtick fence whose first line holds a backtick "
                    "opens no fence in CommonMark (the book shows it as text); write the "
                    "directive with a colon fence ':::{...}' or drop the backticks"
                )
            if directive:
                block = self._directive(
                    directive["name"], directive["arg"], lines[i + 1 : end], attachments
                )
                if out and out[-1].strip():
                    out.append("")
                out += [*block.split("\n"), ""]
            else:
                out += lines[i : end + 1]  # fenced code: verbatim
            i = end + 1
        if buffer:
            _extend(out, self._inline("\n".join(buffer), attachments))
        return "\n".join(out).strip("\n")

    def _directive(self, name: str, arg: str, body: list[str], attachments: dict) -> str:
        options: dict[str, str] = {}
        while body and _OPTION.match(body[0].strip()):
            m = _OPTION.match(body[0].strip())
            options[m["key"]] = m["value"].strip()
            body = body[1:]
        content = (
            self._blocks(body, attachments)
            if name not in ("math", "code-block", "code")
            else "\n".join(body).strip("\n")
        )
        classes = options.get("class", "").split()
        if name in ("solution-start", "solution-end"):
            return ""  # the book's hidden-solution gates; solutions live in code cells
        if name in ("figure", "image"):
            caption = re.sub(r"[$*_`\\]", "", content).strip()
            alt = options.get("alt") or re.split(r"(?<=\.)\s", caption)[0] or Path(arg).stem
            image = self._image(arg.strip(), alt, attachments)
            return image + (f"\n\n**Figure.** {content}" if name == "figure" and content else "")
        if name == "exercise":
            title = self._inline(arg.strip(), attachments) or "Exercise"
            return f"### ✏️ Exercise: {title}\n\n{content}".rstrip()
        if name == "math":
            label = options.get("label")
            tag = f" \\tag{{{self.equations[label]}}}" if label in self.equations else ""
            return f"$$\n{content}{tag}\n$$"
        if name in ("code-block", "code"):
            return f"```{arg.strip()}\n{content}\n```"
        if name in _CALLOUTS:
            return self._callout(name, self._inline(arg.strip(), attachments), classes, content)
        raise MystError(
            f"directive {{{name}}} has no plain-Jupyter form (release knows: figure, image, "
            f"exercise, math, code-block and the admonitions {', '.join(_CALLOUTS)})"
        )

    def _callout(self, name: str, title: str, classes: list[str], content: str) -> str:
        kind = next((c for c in classes if c in _CALLOUTS and c != "dropdown"), name)
        if name in ("admonition", "dropdown") and not title:
            raise MystError(f"{{{name}}} needs a title")
        if name not in ("admonition", "dropdown") and title:
            content, title = f"{title}\n{content}".strip(), ""
        icon, default = _CALLOUTS[kind]
        heading = f"{icon} {title or default or kind.title()}"
        if name == "dropdown" or "dropdown" in classes:
            return f"<details>\n<summary><b>{heading}</b></summary>\n\n{content}\n\n</details>"
        quoted = "\n".join(f"> {line}".rstrip() for line in content.split("\n"))
        return f"> **{heading}**\n>\n{quoted}"

    def _image(self, src: str, alt: str, attachments: dict) -> str:
        name = self._attach(src, attachments)
        alt = re.sub(r"[\[\]]", "", alt)
        return f"![{alt}](attachment:{name})"

    def _attach(self, src: str, attachments: dict) -> str:
        """Embed the local image file ``src`` as an attachment; return its attachment name."""
        path = self.directory / src
        if path.suffix.lower() not in _MIME:
            raise MystError(f"image {src!r}: only {', '.join(_MIME)} files can be embedded")
        if not path.is_file():
            raise MystError(f"image {src!r} not found at {path}")
        attachments[path.name] = {
            _MIME[path.suffix.lower()]: base64.b64encode(path.read_bytes()).decode()
        }
        return path.name

    # -- inline -------------------------------------------------------------------------------
    def _inline(self, text: str, attachments: dict) -> str:
        lines = [line for line in text.split("\n") if not _DROP.match(line.strip())]
        for before, line in zip(["", *lines], lines, strict=False):
            if line.startswith(": ") and before.strip():
                raise MystError(
                    f"definition list {before.strip()!r} / {line!r} has no plain-Jupyter form"
                )
        text = _ROLE.sub(self._role, "\n".join(lines))

        def local(m: re.Match) -> str:
            src = m["src"]
            if re.match(r"^([a-z][\w+.-]*:|//|#)", src, re.I):
                return m[0]
            return m[0].replace(src, "attachment:" + self._attach(src, attachments))

        return _HTML_IMAGE.sub(local, _MD_IMAGE.sub(local, text))

    def _role(self, m: re.Match) -> str:
        name, body = m["name"], m["body"]
        explicit = _TARGET.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else ("", body)
        if name in ("math", "sub", "sup", "abbr"):
            return {
                "math": f"${body}$",
                "sub": f"<sub>{body}</sub>",
                "sup": f"<sup>{body}</sup>",
            }.get(name, body)
        if name == "eq":
            if target not in self.equations:
                raise MystError(
                    f"{{eq}} {target!r} is not a labelled {{math}} block of this notebook"
                )
            return f"({self.equations[target]})"
        if name not in ("term", "doc", "ref", "numref", "cite", "cite:p", "cite:t"):
            raise MystError(f"role {{{name}}} has no plain-Jupyter form in the release")
        if self.book is None:
            raise MystError(f"role {{{name}}}`{body}` needs the book, but no _config.yml was found")
        if name == "term":
            return f"[{text or target}]({self.book.term_url(target)})"
        if name == "doc":
            doc = self.book.resolve(target, self.doc)
            return f"[{text or self.book.title(doc)}]({self.book.url(doc)})"
        if name in ("ref", "numref"):
            if target not in self.labels:
                raise MystError(f"{{{name}}} target {target!r} is not a label of the book")
            doc, title = self.labels[target]
            anchor = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-")
            return f"[{text or title}]({self.book.url(doc, anchor)})"
        keys = [k.strip() for k in body.split(",") if k.strip()]
        cited = self.book.cite(keys, textual=name == "cite:t")
        self.cited += [k for k in keys if k not in self.cited]
        return cited
