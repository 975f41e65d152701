"""The class report: how the class did on each exercise, and which misconceptions were common.

:func:`class_summary` computes, from the students' records, each exercise's pass rate and
status counts, the diagnosed misconceptions (the names of catalogued mistakes, see
:class:`~genolearn.exercises.Mistake`) counted per exercise, and the distribution of total
scores. :func:`write_report` draws them with matplotlib into ``report.png`` and writes
``report.html``, a self-contained page with the figure and the tables. Only aggregate numbers
appear: no student names.
"""

from __future__ import annotations

import html
import io
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genolearn.exercises import Exercise
from genolearn.grading.records import write_atomic

__all__ = ["ExerciseSummary", "class_summary", "write_report"]


@dataclass
class ExerciseSummary:
    """One exercise across the class: ``statuses`` counts each status, ``misconceptions``
    counts each diagnosis (most common first)."""

    id: str
    title: str
    points: float
    students: int = 0
    passed: int = 0
    statuses: Counter = field(default_factory=Counter)
    misconceptions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


def class_summary(
    records: Sequence[Mapping[str, Any]], exercises: Sequence[Exercise]
) -> tuple[list[ExerciseSummary], list[float], float]:
    """``(per-exercise summaries, every student's total, the maximum total)``."""
    out = [ExerciseSummary(ex.id, ex.title, float(ex.points)) for ex in exercises]
    by_id = {s.id: s for s in out}
    diagnoses: dict[str, Counter] = {s.id: Counter() for s in out}
    for rec in records:
        for entry in rec["exercises"]:
            summary = by_id.get(entry["id"])
            if summary is None:
                continue
            summary.students += 1
            summary.passed += entry["status"] == "passed"
            summary.statuses[entry["status"]] += 1
            if entry["diagnosis"]:
                diagnoses[entry["id"]][entry["diagnosis"]] += 1
    for s in out:  # most common first; ties by name so the report is reproducible
        s.misconceptions = sorted(diagnoses[s.id].items(), key=lambda kv: (-kv[1], kv[0]))
    totals = [float(r["score"]) for r in records]
    return out, totals, float(sum(ex.points for ex in exercises))


def _figure(summaries: list[ExerciseSummary], totals: list[float], maximum: float) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(14, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax_pass, ax_hist, ax_mis = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})
    names = [s.id for s in summaries][::-1]
    rates = [100 * s.pass_rate for s in summaries][::-1]
    ax_pass.barh(names, rates, color="tab:green")
    ax_pass.set_xlim(0, 100)
    ax_pass.set_xlabel("students who passed (%)")
    ax_pass.set_title("Pass rate per exercise")
    for y, rate in enumerate(rates):
        ax_pass.text(min(rate + 2, 85), y, f"{rate:.0f}%", va="center", fontsize=8)
    top = int(maximum) + 1 if maximum == int(maximum) else int(maximum) + 2
    ax_hist.hist(totals, bins=[b - 0.5 for b in range(top + 1)], color="tab:blue", rwidth=0.9)
    ax_hist.set_xlabel(f"total score (out of {maximum:g})")
    ax_hist.set_ylabel("students")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.set_title("Score distribution")
    pairs = [(f"{s.id}:\n{name}", n) for s in summaries for name, n in s.misconceptions]
    pairs = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))[:10][::-1]
    if pairs:
        ax_mis.barh([p for p, _ in pairs], [n for _, n in pairs], color="tab:red")
        ax_mis.set_xlabel("students")
        ax_mis.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax_mis.text(0.5, 0.5, "no catalogued mistake was diagnosed", ha="center", va="center")
        ax_mis.set_axis_off()
    ax_mis.set_title("Most common misconceptions")
    for ax in (ax_pass, ax_mis):
        ax.tick_params(axis="y", labelsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _html(summaries: list[ExerciseSummary], totals: list[float], maximum: float) -> str:
    e = html.escape
    mean = sum(totals) / len(totals) if totals else 0.0
    rows = []
    for s in summaries:
        statuses = ", ".join(f"{e(k)}: {v}" for k, v in sorted(s.statuses.items()))
        mis = "<br>".join(f"{e(name)} ({n})" for name, n in s.misconceptions[:3]) or "—"
        rows.append(
            f"<tr><td><code>{e(s.id)}</code></td><td>{e(s.title)}</td><td>{s.points:g}</td>"
            f"<td>{100 * s.pass_rate:.0f}% ({s.passed}/{s.students})</td><td>{statuses}</td>"
            f"<td>{mis}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}th{{background:#eee}}
figcaption{{color:#444;max-width:60em}}</style></head><body>
<h1>Class report</h1>
<p>{len(totals)} students; mean total {mean:.2f} of {maximum:g}.</p>
<figure><img src="report.png" alt="pass rate per exercise, score histogram and most common
misconceptions" width="100%">
<figcaption>Left: the share of students who passed each exercise — the shortest bars are the
exercises to revisit in class. Middle: how total scores are spread. Right: the catalogued
mistakes diagnosed most often, by exercise — each is a misconception worth addressing.
</figcaption></figure>
<h2>Exercises</h2>
<table><tr><th>exercise</th><th>title</th><th>points</th><th>passed</th><th>statuses</th>
<th>most common misconceptions (students)</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""


def write_report(
    records: Sequence[Mapping[str, Any]],
    exercises: Sequence[Exercise],
    out: str | os.PathLike[str],
) -> tuple[Path, Path]:
    """Write ``report.png`` and ``report.html`` into ``out``; return their paths."""
    out = Path(out)
    summaries, totals, maximum = class_summary(records, exercises)
    png, page = out / "report.png", out / "report.html"
    write_atomic(png, _figure(summaries, totals, maximum))
    write_atomic(page, _html(summaries, totals, maximum))
    return png, page
