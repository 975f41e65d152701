"""The feedback a student reads: an HTML page and a Markdown file, with every string from the
submission shown as text, never as markup."""

from __future__ import annotations

import html.parser
import re

import numpy as np
import pytest

from genolearn.exercises.compare import summarize
from genolearn.grading.gradebook import feedback
from genolearn.grading.pages import CELL_NOTE, feedback_html, feedback_markdown
from tests.grading.classroom import make_record

pytestmark = pytest.mark.grading

EVIL = "<script>alert('x')</script> & `rm -rf` **bold** [link](http://evil) ```"


def failing_record():
    record = make_record("amy", passed=["ch1.sigmoid"])
    entry = record["exercises"][0]
    entry.update(
        status="failed",
        cell=2,
        case_number=2,
        case="one example, no bias",
        input=summarize(np.array([[1.0, 2.0], [3.0, 4.0]])),
        expected=summarize(np.array([0.5, 0.25])),
        got=EVIL,
        problem="values differ",
        hint="apply the activation",
        reason="",
    )
    record["notes"] = [f"code cell 4 raised ValueError: {EVIL}"]
    return record


class Text(html.parser.HTMLParser):
    """The text a browser shows, and every tag it would build."""

    def __init__(self):
        super().__init__()
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_page_shows_everything_and_escapes_the_student_strings():
    page = feedback_html(feedback(failing_record()), chapter=1)
    parser = Text()
    parser.feed(page)
    shown = "".join(parser.text)
    assert "script" not in parser.tags and "<script>" not in page
    assert EVIL in shown  # shown literally, twice (got and the note)
    assert shown.count(EVIL) == 2
    for text in (
        "Feedback for amy, chapter 1",
        "ch1.neuron_forward, code cell 2 (In [2])",
        "case 2 of",
        "one example, no bias",
        "array([[1., 2.], [3., 4.]]) (shape (2, 2), dtype float64)",
        "array([0.5 , 0.25])",
        "values differ",
        "apply the activation",
        "2 / 2",  # the sigmoid passed
        CELL_NOTE,
    ):
        assert text in shown, text


def test_markdown_file_shows_the_student_strings_as_text():
    text = feedback_markdown(feedback(failing_record()), chapter=1)
    fence = "````text"  # the answer held ```: its fence is longer, so the block holds it all
    assert f"{fence}\n{EVIL}\n````" in text
    outside = re.sub(r"^(`{3,})text\n.*?^\1$", "", text, flags=re.S | re.M)
    assert "<" not in outside.replace("\\<", "") and "\\<script\\>" in outside  # the note
    assert "\\[link\\](http://evil)" in outside  # no link
    assert (
        "array([[1., 2.], [3., 4.]])" in text
        and "`ch1.neuron_forward`, code cell 2 (In \\[2\\])" in text
    )
    assert text.startswith("# Feedback for amy, chapter 1\n")
    assert "| Neuron" in text or "| " in text.splitlines()[8]


def test_statuses_without_a_failing_case_read_well():
    record = make_record("bob")  # no submission: every exercise says why
    page = feedback_html(feedback(record))
    assert "no submission" in page and "Why:" in page
    assert "bob.py is not a Jupyter notebook" in feedback_markdown(feedback(record))


def test_a_passed_project_names_its_task_without_calling_it_failing():
    record = make_record("amy", passed=["ch1.sigmoid"])
    record["exercises"] = [e for e in record["exercises"] if e["id"] == "ch1.sigmoid"]
    record["exercises"][0].update(
        case="1200 training sequences in 300 families",
        expected="held-out AUPRC >= 0.65 on families absent from training",
        got="held-out AUPRC 0.870 (positive fraction 0.15)",
    )
    fb = feedback(record)
    for page in (feedback_html(fb, chapter=4), feedback_markdown(fb, chapter=4)):
        assert "1200 training sequences" in page and "AUPRC 0.870" in page
        assert "failing case" not in page and "case" in page
    assert "failing case" in feedback_markdown(feedback(failing_record()), chapter=1)
