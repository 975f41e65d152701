"""The ``genolearn`` command: version, help, and one-line errors with exit code 2."""

import re

import pytest

import genolearn
from genolearn.cli import build_parser, main


def test_exercises_lists_the_registry(capsys):
    assert main(["exercises", "--chapter", "1"]) == 0
    out = capsys.readouterr().out
    assert "ch1.sigmoid" in out and "ch1.neuron_forward" in out


@pytest.mark.parametrize("chapter", ["99", "-1"])
def test_exercises_of_a_chapter_without_exercises_fail_like_grade(capsys, chapter):
    assert main(["exercises", "--chapter", chapter]) == 2
    out, err = capsys.readouterr()
    assert not out and err.startswith("genolearn exercises: error: --chapter")
    assert len(err.strip().splitlines()) == 1
    if chapter == "99":
        assert "no exercises are registered for chapter 99 (chapters with exercises: 1" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"genolearn {genolearn.__version__}\n"


def test_help_has_no_leftover_markup():
    texts = [build_parser().format_help()]
    texts += [
        p.format_help() for p in build_parser()._subparsers._group_actions[0].choices.values()
    ]
    for text in texts:
        assert "``" not in text and not re.search(r":(func|mod|class|data|meth):", text), text
    assert "exit codes:" in texts[0] and "genolearn grade submissions" in texts[0]


@pytest.mark.parametrize(
    "content", ["{not json", '{"cells": 3, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}']
)
def test_release_of_an_invalid_notebook_is_a_one_line_error(tmp_path, capsys, content):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(content)
    assert main(["release", str(bad), "-o", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert not out and len(err.strip().splitlines()) == 1
    assert err.startswith(f"genolearn release: error: {bad}") and "Traceback" not in err
