"""Where things are in a submitted notebook, as the learner sees it, read without running it.

The sandbox numbers cells over *all* cells (Markdown included), which is not what a learner
sees. :func:`read_layout` reads a submission's JSON in the coordinator — text only, nothing is
executed or compiled — and returns a :class:`Layout`: the code-cell number of every cell (the
first code cell is code cell 1, which Jupyter shows as ``In [1]`` after *Restart & Run All*),
the cell defining each function, and the chapter the notebook belongs to: released notebooks
carry ``metadata.genolearn.chapter``, every exercise id in a code cell
(``raise NotImplementedError("ch2.dense_forward: …")``, ``check("ch2.dense_forward", …)``)
names its chapter, and failing both, the functions it defines do (:meth:`Layout.looks_like`).

:func:`localize` then rewrites a record arriving from the sandbox into the learner's terms: cell
numbers become code-cell numbers, each exercise gets the code cell that defines its function,
and an exercise whose function is missing because its cell has a syntax error is reported as
that ``SyntaxError`` (cell and line), not as "function not found".
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Layout", "chapter_of_id", "localize", "read_layout", "registry_functions"]

_ID = r"ch(\d+)\.[A-Za-z_]\w*"
_STUB = re.compile(r"NotImplementedError\(\s*[\"']" + _ID)
_CHECK = re.compile(r"\bcheck\(\s*[\"']" + _ID + r"[\"']")
_CHAPTER_OF_ID = re.compile(r"^ch(\d+)\.")
# The grader's own phrases that carry a cell number (sandbox notes and reasons, task notes).
_CELL_PHRASES = re.compile(
    r"(?P<pre>^|while running |at |\()cell (?P<n>\d+)(?P<post>(?:,| raised| failed| timed|$| \(|"
    r" was| exceeded))",
    re.M,
)
_SYNTAX_NOTE = re.compile(
    r"^cell (?P<cell>\d+) raised (?P<type>SyntaxError|IndentationError|TabError)"
    r"(?: \(line (?P<line>\d+)\))?: (?P<message>.*)$",
    re.S,
)


def chapter_of_id(exercise_id: str) -> int | None:
    """The chapter an exercise id names (``"ch2.relu"`` -> 2), or ``None``."""
    m = _CHAPTER_OF_ID.match(exercise_id)
    return int(m.group(1)) if m else None


@dataclass
class Layout:
    """A notebook's code cells and what they reveal.

    ``code_number`` maps a cell's number over all cells (from 1, as the sandbox counts) to its
    number among code cells (from 1, as the learner counts); ``defines`` maps a function name
    to the code cell defining it; ``metadata_chapter`` is the chapter the release wrote (or
    ``None``); ``id_chapters`` counts the chapters named by exercise ids in code cells.
    """

    code_number: dict[int, int] = field(default_factory=dict)
    defines: dict[str, int] = field(default_factory=dict)
    metadata_chapter: int | None = None
    id_chapters: Counter = field(default_factory=Counter)
    functions_seen: tuple[int, list[str]] | None = None

    def looks_like(
        self,
        chapter: int,
        own: Collection[str] = (),
        others: Callable[[], Mapping[int, Collection[str]]] | None = None,
    ) -> int | None:
        """The chapter this notebook looks like when it is *not* ``chapter``; ``None`` when it
        may be ``chapter`` (or shows no sign either way).

        The signs, strongest first: exercise ids in code cells, the release's metadata, and —
        when the notebook shows neither and defines none of ``own`` (``chapter``'s functions)
        — the chapter whose functions it defines (``others()``: every chapter's function
        names, asked for only then).
        """
        if chapter in self.id_chapters:
            return None
        if self.metadata_chapter is not None:
            return None if self.metadata_chapter == chapter else self.metadata_chapter
        if self.id_chapters:
            return self.id_chapters.most_common(1)[0][0]
        if others is None or set(self.defines) & set(own):
            return None
        counts = {
            ch: sorted(set(self.defines) & set(names))
            for ch, names in others().items()
            if ch != chapter
        }
        best = max(sorted(counts), key=lambda ch: len(counts[ch]), default=None)
        if best is None or not counts[best]:
            return None
        self.functions_seen = (best, counts[best])
        return best

    def evidence(self) -> str:
        """Why :meth:`looks_like` said so, in words."""
        parts = []
        if self.metadata_chapter is not None:
            parts.append(f"its metadata says chapter {self.metadata_chapter}")
        if self.id_chapters:
            named = ", ".join(f"chapter {c}" for c in sorted(self.id_chapters))
            parts.append(f"its code cells name exercises of {named}")
        if not parts and self.functions_seen is not None:
            ch, names = self.functions_seen
            shown = ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
            parts.append(f"it defines {shown} (chapter {ch}'s exercises)")
        return " and ".join(parts)


@functools.lru_cache(maxsize=1)
def registry_functions() -> dict[int, frozenset[str]]:
    """Every registered chapter's exercise function names (imports every chapter's checks,
    torch's included: ask only when needed)."""
    from genolearn.exercises import all_exercises

    table: dict[int, set[str]] = {}
    for ex in all_exercises():
        table.setdefault(ex.chapter, set()).add(ex.function)
    return {ch: frozenset(names) for ch, names in table.items()}


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def read_layout(notebook: bytes) -> Layout | None:
    """The :class:`Layout` of a notebook's bytes, or ``None`` if they are not a notebook (the
    sandbox then reports why)."""
    try:
        data = json.loads(notebook)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None
    layout = Layout()
    meta = data.get("metadata")
    meta = meta.get("genolearn") if isinstance(meta, dict) else None
    chapter = meta.get("chapter") if isinstance(meta, dict) else None
    if isinstance(chapter, int) and not isinstance(chapter, bool) and chapter >= 0:
        layout.metadata_chapter = chapter
    code = 0
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code += 1
        layout.code_number[number] = code
        text = _source(cell)
        for m in re.finditer(r"^[ \t]*def[ \t]+([A-Za-z_]\w*)[ \t]*\(", text, re.M):
            layout.defines.setdefault(m.group(1), code)
        for m in [*_STUB.finditer(text), *_CHECK.finditer(text)]:
            layout.id_chapters[int(m.group(1))] += 1
    return layout


def _code_cells(text: str, layout: Layout) -> str:
    """``text`` with the grader's "cell N" (all cells) turned into "code cell K"."""

    def repl(m: re.Match) -> str:
        k = layout.code_number.get(int(m.group("n")))
        if k is None:
            return m.group(0)
        return f"{m.group('pre')}code cell {k}{m.group('post')}"

    return _CELL_PHRASES.sub(repl, text)


def _syntax_errors(notes: list[str], layout: Layout) -> dict[int, tuple[str, str, str]]:
    """``{code cell: (error type, line or "", message)}`` from the sandbox's cell notes."""
    found: dict[int, tuple[str, str, str]] = {}
    for note in notes:
        m = _SYNTAX_NOTE.match(note)
        if m and int(m.group("cell")) in layout.code_number:
            cell = layout.code_number[int(m.group("cell"))]
            found.setdefault(cell, (m.group("type"), m.group("line") or "", m.group("message")))
    return found


def localize(record: dict[str, Any], layout: Layout | None, functions: Mapping[str, str]) -> None:
    """Rewrite ``record`` (in place) in the learner's terms; ``functions`` maps exercise ids to
    the function each asks for. Without a layout only the ``cell`` fields are set (to None)."""
    for entry in record["exercises"]:
        entry.setdefault("cell", None)
    if layout is None:
        return
    syntax = _syntax_errors(record["notes"], layout)
    record["notes"] = [_code_cells(n, layout) for n in record["notes"]]
    record["reason"] = _code_cells(record["reason"], layout)
    for entry in record["exercises"]:
        function = functions.get(entry["id"], "")
        cell = layout.defines.get(function)
        entry["cell"] = cell
        entry["reason"] = _code_cells(entry["reason"], layout)
        entry["problem"] = _code_cells(entry["problem"], layout)
        if entry["status"] != "not found" or not syntax:
            continue
        where = cell if cell in syntax else min(syntax)
        kind, line, message = syntax[where]
        at = f", line {line}" if line else ""
        if where == cell:
            entry["status"] = "error"
            entry["reason"] = (
                f"{kind} in code cell {where}{at}: {message} — the cell that defines {function} "
                f"could not run, so {function} was never defined. Fix the syntax error (run "
                "that cell in Jupyter to see it) and submit again."
            )
        else:
            entry["reason"] += f" (code cell {where} has a {kind}{at}: {message})"
