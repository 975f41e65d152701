"""Feedback a student can read: one HTML page and one Markdown file per student.

Both are made from the student's feedback (:func:`~genolearn.grading.gradebook.feedback`, the
record without the grader's bookkeeping) and say, per exercise: the status, the points, where
it is in the notebook (its id and its code cell, counting code cells only — the number Jupyter
shows as ``In [k]`` after *Kernel → Restart & Run All*), and for a wrong answer the failing
case's input, the expected value and what the function returned (arrays as numpy prints them,
with commas), the problem and the hint.

Everything a student's code produced is untrusted: in HTML it is escaped
(:func:`html.escape`, quotes included); in Markdown it is backslash-escaped or put in a code
fence longer than any run of backticks it holds, so it shows as text and never as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["CELL_NOTE", "feedback_html", "feedback_markdown"]

CELL_NOTE = (
    "Code cells are counted from the top of your notebook, code cells only (Markdown cells are "
    "not counted): code cell 3 is the third code cell, the one Jupyter shows as In [3] after "
    "Kernel → Restart & Run All."
)
_STATUS_MARK = {"passed": "✔", "not implemented": "…"}
_DETAILS = (
    ("case", "failing case"),
    ("input", "input"),
    ("expected", "expected"),
    ("got", "your function returned"),
    ("problem", "problem"),
    ("reason", "why"),
    ("diagnosis", "likely misconception"),
    ("hint", "hint"),
    ("review", "for review"),
)
_BLOCK = ("input", "expected", "got")  # shown as code
# Inline text never starts a line here, so only these can make markup (a link needs "[").
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&$])")


def _where(entry: Mapping[str, Any]) -> str:
    cell = entry.get("cell")
    where = f"{entry['id']}, code cell {cell} (In [{cell}])" if cell else entry["id"]
    return where


def _points(entry: Mapping[str, Any]) -> str:
    return f"{entry['score']:g} / {entry['max_score']:g}"


def _mark(status: str) -> str:
    return _STATUS_MARK.get(status, "✘")


def _details(entry: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(key, label, text)`` of the fields worth showing for ``entry``."""
    out = []
    for key, label in _DETAILS:
        text = str(entry.get(key) or "")
        if key == "case" and entry.get("case_number"):
            text = f"case {entry['case_number']} of {entry['n_cases']}" + (
                f": {text}" if text else ""
            )
        if key == "case" and entry["status"] == "passed":
            label = "case"  # a passed project still names its task; nothing failed
        if text and not (key == "reason" and entry["status"] == "passed"):
            out.append((key, label, text))
    return out


# --------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    """Inline Markdown that shows ``text`` literally (one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _where_md(entry: Mapping[str, Any]) -> str:
    """Where the exercise is, in Markdown: its id (one of ours, validated against the
    registry when the record arrived) as code, the cell as escaped text."""
    cell = entry.get("cell")
    return f"`{entry['id']}`" + (f", code cell {cell} (In \\[{cell}\\])" if cell else "")


def _fence(text: str) -> str:
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def feedback_markdown(feedback: Mapping[str, Any], chapter: int | None = None) -> str:
    """The Markdown feedback file for one student's feedback (see the module docstring)."""
    title = f"Feedback for {feedback['student']}"
    title += f", chapter {chapter}" if chapter is not None else ""
    lines = [f"# {_md(title)}", ""]
    score = f"{feedback['score']:g} / {feedback['max_score']:g}"
    lines.append(f"**Score: {score}** — {_md(feedback['status'])}")
    if feedback["reason"]:
        lines += ["", f"**Why:** {_md(feedback['reason'])}"]
    lines += ["", f"*{_md(CELL_NOTE)}*", ""]
    lines += ["| exercise | where | status | points |", "|---|---|---|---|"]
    for e in feedback["exercises"]:
        lines.append(
            f"| {_md(e['title'])} | {_where_md(e)} | {_mark(e['status'])} {_md(e['status'])} "
            f"| {_points(e)} |"
        )
    for e in feedback["exercises"]:
        lines += ["", f"## {_mark(e['status'])} `{e['id']}` — {_md(e['title'])}", ""]
        lines.append(f"- **where:** {_where_md(e)}")
        lines.append(f"- **status:** {_md(e['status'])}, {_points(e)} points")
        for key, label, text in _details(e):
            if key in _BLOCK:
                lines += [f"- **{label}:**", "", _fence(text), ""]
            else:
                lines.append(f"- **{label}:** {_md(text)}")
    if feedback["notes"]:
        lines += ["", "## Notes from the grader", ""]
        lines += [f"- {_md(n)}" for n in feedback["notes"]]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;line-height:1.45}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#eee}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;
white-space:pre-wrap}.passed{color:#1a7f37}.failed,.error,.timeout,.memory,.crashed{color:#b3261e}
section{border-top:1px solid #ddd;margin-top:1.5em}dt{font-weight:bold}.note{color:#555}"""


def feedback_html(feedback: Mapping[str, Any], chapter: int | None = None) -> str:
    """The HTML feedback page for one student's feedback: self-contained, every string that
    came from the submission escaped."""
    e = html.escape
    title = f"Feedback for {feedback['student']}"
    title += f", chapter {chapter}" if chapter is not None else ""
    rows, sections = [], []
    for x in feedback["exercises"]:
        anchor = e(re.sub(r"[^A-Za-z0-9_-]", "-", x["id"]))
        css = e(x["status"].replace(" ", "-"))
        rows.append(
            f'<tr><td><a href="#{anchor}">{e(x["title"])}</a></td><td>{e(_where(x))}</td>'
            f'<td class="{css}">{_mark(x["status"])} {e(x["status"])}</td>'
            f"<td>{_points(x)}</td></tr>"
        )
        items = [
            f"<dt>where</dt><dd>{e(_where(x))}</dd>",
            f'<dt>status</dt><dd class="{css}">{e(x["status"])}, {_points(x)} points</dd>',
        ]
        for key, label, text in _details(x):
            body = f"<pre>{e(text)}</pre>" if key in _BLOCK else e(text)
            items.append(f"<dt>{e(label)}</dt><dd>{body}</dd>")
        sections.append(
            f'<section id="{anchor}"><h2>{_mark(x["status"])} <code>{e(x["id"])}</code> — '
            f"{e(x['title'])}</h2><dl>{''.join(items)}</dl></section>"
        )
    score = f"{feedback['score']:g} / {feedback['max_score']:g}"
    why = f"<p><strong>Why:</strong> {e(feedback['reason'])}</p>" if feedback["reason"] else ""
    notes = ""
    if feedback["notes"]:
        notes = (
            "<h2>Notes from the grader</h2><ul>"
            + "".join(f"<li>{e(n)}</li>" for n in feedback["notes"])
            + "</ul>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_CSS}</style></head><body>
<h1>{e(title)}</h1>
<p><strong>Score: {score}</strong> — {e(feedback["status"])}</p>
{why}<p class="note">{e(CELL_NOTE)}</p>
<table><tr><th>exercise</th><th>where</th><th>status</th><th>points</th></tr>
{chr(10).join(rows)}
</table>
{chr(10).join(sections)}
{notes}
</body></html>
"""
