"""The built book under test and the source of each of its pages.

The book is read from ``_build/html`` (what ``make book`` writes), or from the folder named by
the environment variable ``GENOLEARN_BOOK_HTML``, e.g. a book built with
``jupyter-book build --path-output /tmp/x .`` is tested with
``GENOLEARN_BOOK_HTML=/tmp/x/_build/html``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

__all__ = ["HTML", "PAGES", "ROOT", "require_book", "source_of", "toc_files"]

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("GENOLEARN_BOOK_HTML") or ROOT / "_build" / "html").resolve()


def toc_files() -> list[str]:
    """Every page of ``_toc.yml``, as its path without suffix (``chapters/02_layers/layers``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files += [s["file"] for s in chapter.get("sections", [])]
    return files


PAGES = toc_files()


def source_of(doc: str) -> Path:
    """The source file (``.ipynb`` or ``.md``) of the page ``doc`` of ``_toc.yml``."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / (doc + suffix)
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {doc!r} but neither {doc}.ipynb nor {doc}.md exists")


def require_book() -> None:
    """Fail (never skip: a missing book would hide every check) unless the book is built."""
    if not (HTML / "index.html").exists():
        pytest.fail(
            f"{HTML} has no index.html: build the book first (`make book`; `make test` does), "
            "or point GENOLEARN_BOOK_HTML at a built book's _build/html"
        )
