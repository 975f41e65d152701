"""What the student release needs to know about the book it comes from.

A :class:`Book` is read from the book's own files: the public URL (``html: baseurl:`` in
``_config.yml``), its pages (``_toc.yml``), the page titles (each page's first heading), the
glossary (the ``{glossary}`` directive of a page in the table of contents), the labels that
``{ref}`` can point at, and the bibliography (``bibtex_bibfiles``, parsed with pybtex). Nothing
is downloaded; a student notebook links to the online book instead.
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import yaml

__all__ = ["Book", "BookError", "find_book", "labels_in", "term_anchor"]

_HEADING = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$", re.M)
_ROLE_TEXT = re.compile(r"\{[\w:-]+\}`(?P<text>[^`<]*?)\s*(?:<[^`>]*>)?`")
_SECTION_LABEL = re.compile(
    r"^\((?P<label>[^()\s]+)\)=[ \t]*\n(?:[ \t]*\n)*#+[ \t]+(?P<title>.+)$", re.M
)
_DIRECTIVE = re.compile(
    r"^[ \t]*(?:`{3,}|:{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<arg>.*)\n"
    r"(?P<opts>(?:[ \t]*:[\w-]+:.*\n)*)",
    re.M,
)
_LABEL_OPTION = re.compile(r"^[ \t]*:(?:name|label):[ \t]*(?P<label>\S+)", re.M)


class BookError(ValueError):
    """The book lacks what a conversion needs (a page, a glossary term, a citation key...)."""


def term_anchor(term: str) -> str:
    """Sphinx's HTML id of a glossary term, as ``sphinx.util.nodes.make_id`` builds it.

    ``"Hidden layer"`` -> ``"term-Hidden-layer"`` (case kept, runs of other characters -> ``-``).
    """
    text = unicodedata.normalize("NFKD", f"term-{term}").encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(text.split()))
    return re.sub(r"^[-0-9._]+|-+$", "", text)


def plain_title(markdown: str) -> str:
    """A heading without MyST roles (``{term}`bias <Bias>``` -> ``bias``)."""
    return _ROLE_TEXT.sub(lambda m: m["text"], markdown).strip()


def labels_in(text: str, doc: str) -> dict[str, tuple[str, str]]:
    """``{label: (doc, link text)}`` for the targets ``(label)=`` before a heading and the
    ``:name:``/``:label:`` options of directives found in MyST ``text``."""
    found = {m["label"]: (doc, plain_title(m["title"])) for m in _SECTION_LABEL.finditer(text)}
    for m in _DIRECTIVE.finditer(text):
        for option in _LABEL_OPTION.finditer(m["opts"]):
            name = m["name"]
            what = {"figure": "figure", "image": "figure", "math": "equation"}.get(name)
            found[option["label"]] = (doc, what or plain_title(m["arg"]) or name)
    return found


def _markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c["cell_type"] == "markdown"
        )
    return path.read_text(encoding="utf-8")


def _toc_files(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node[k] for k in ("root", "file") if isinstance(node.get(k), str)]
        return own + [f for v in node.values() for f in _toc_files(v)]
    if isinstance(node, list):
        return [f for v in node for f in _toc_files(v)]
    return []


@dataclass(frozen=True)
class Book:
    """A Jupyter Book on disk. Build one with :meth:`load` or :func:`find_book`."""

    root: Path
    base_url: str
    pages: dict[str, Path]  # docname ("chapters/01_neuron/neuron") -> source file
    bibfiles: tuple[Path, ...]

    @classmethod
    def load(cls, root: str | Path) -> Book:
        """Read ``_config.yml`` and ``_toc.yml`` in ``root``."""
        root = Path(root).resolve()
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
        base_url = (config.get("html") or {}).get("baseurl")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise BookError(
                f"_config.yml in {root} has html: baseurl: {base_url!r} but must give the "
                "book's public URL (e.g. https://genolearn.github.io/genolearn/)"
            )
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
        pages: dict[str, Path] = {}
        for name in _toc_files(toc):
            doc = re.sub(r"\.(ipynb|md)$", "", name)
            for suffix in (".ipynb", ".md"):
                if (root / (doc + suffix)).exists():
                    pages[doc] = root / (doc + suffix)
                    break
        bibfiles = tuple(root / f for f in config.get("bibtex_bibfiles") or [])
        return cls(root, base_url.rstrip("/") + "/", pages, bibfiles)

    def url(self, doc: str, anchor: str = "") -> str:
        """The public URL of page ``doc`` (``#anchor`` appended when given)."""
        return f"{self.base_url}{doc}.html" + (f"#{anchor}" if anchor else "")

    def resolve(self, target: str, page: str) -> str:
        """The docname ``{doc}`target``` means on page ``page`` (relative or ``/``-rooted)."""
        name = re.sub(r"\.(ipynb|md)$", "", target.strip())
        doc = name[1:] if name.startswith("/") else posixpath.join(posixpath.dirname(page), name)
        doc = posixpath.normpath(doc)
        if doc not in self.pages:
            raise BookError(
                f"{{doc}} target {target!r} (page {doc!r}) is not in the book's _toc.yml"
            )
        return doc

    def title(self, doc: str) -> str:
        """The first ``#`` heading of page ``doc``, without MyST roles."""
        match = _HEADING.search(_markdown_of(self.pages[doc]))
        if not match:
            raise BookError(f"page {doc!r} has no '# Title' heading to name links by")
        return plain_title(match["title"])

    @cached_property
    def glossary(self) -> dict[str, tuple[str, str]]:
        """``{term in lower case: (term, docname of the glossary page)}``."""
        terms: dict[str, tuple[str, str]] = {}
        block = re.compile(
            r"^(`{3,}|:{3,})\{glossary\}[^\n]*\n(?P<body>.*?)^\1[ \t]*$", re.S | re.M
        )
        for doc, path in self.pages.items():
            for m in block.finditer(_markdown_of(path)):
                for line in m["body"].splitlines():
                    if line.strip() and not line[0].isspace() and not line.startswith(":"):
                        terms[line.strip().lower()] = (line.strip(), doc)
        return terms

    def term_url(self, target: str) -> str:
        """URL of the glossary entry that ``{term}`target``` points at (case-insensitive)."""
        if target.strip().lower() not in self.glossary:
            raise BookError(f"{{term}} {target!r} is not a term of the book's glossary")
        term, doc = self.glossary[target.strip().lower()]
        return self.url(doc, term_anchor(term))

    @cached_property
    def labels(self) -> dict[str, tuple[str, str]]:
        """``{label: (docname, link text)}`` over every page of the book."""
        found: dict[str, tuple[str, str]] = {}
        for doc, path in self.pages.items():
            found.update(labels_in(_markdown_of(path), doc))
        return found

    @cached_property
    def bibliography(self):
        """The book's bibliography (``pybtex.database.BibliographyData``)."""
        from pybtex.database import BibliographyData, parse_file

        data = BibliographyData()
        for path in self.bibfiles:
            for key, entry in parse_file(str(path)).entries.items():
                data.add_entry(key, entry)
        return data

    def _entry(self, key: str):
        if key not in self.bibliography.entries:
            raise BookError(f"{{cite}} key {key!r} is not in {', '.join(map(str, self.bibfiles))}")
        return self.bibliography.entries[key]

    def cite(self, keys: list[str], textual: bool = False) -> str:
        """Author–year text: ``(Minsky & Papert, 1969; Zou et al., 2019)``, or with
        ``textual`` (``{cite:t}``) ``Minsky & Papert (1969)``."""
        from pybtex.backends.plaintext import Backend

        plain, parts = Backend(), []  # one backend: render_as() looks its plugin up every call
        for key in keys:
            entry = self._entry(key)
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [
                " ".join(n.render(plain) for n in p.rich_prelast_names + p.rich_last_names)
                for p in people
            ] or [entry.fields.get("title", key)]
            if len(names) > 2:
                who = f"{names[0]} et al."
            else:
                who = " & ".join(names)
            year = entry.fields.get("year", "n.d.")
            parts.append(f"{who} ({year})" if textual else f"{who}, {year}")
        return "; ".join(parts) if textual else f"({'; '.join(parts)})"

    def references(self, keys: list[str]) -> str:
        """A Markdown list of the works cited by ``keys``, sorted by author and year."""
        from pybtex.backends.markdown import Backend
        from pybtex.style.formatting.plain import Style

        for key in keys:
            self._entry(key)
        formatted = Style().format_bibliography(self.bibliography, list(dict.fromkeys(keys)))
        items = []
        for entry in formatted:
            text = " ".join(entry.text.render(Backend()).split())
            # The Markdown backend escapes every punctuation mark; keep only the escapes that
            # Markdown needs, so that "\(" cannot be mistaken for a MathJax delimiter.
            items.append("- " + re.sub(r"\\([^\\`*_\[\]<>$])", r"\1", text))
        return "\n".join(items)


@cache
def _load(root: Path) -> Book:
    return Book.load(root)


def find_book(path: str | Path) -> Book | None:
    """The book whose ``_config.yml`` and ``_toc.yml`` sit in ``path`` or a folder above it."""
    for folder in [Path(path).resolve(), *Path(path).resolve().parents]:
        if (folder / "_config.yml").is_file() and (folder / "_toc.yml").is_file():
            return _load(folder)
    return None
