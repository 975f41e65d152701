"""Chapter 6's project: the task has its traps, the chapter's recipe falls into them, the
measure scores only the sequences with a site and turns malformed maps into feedback. (The
example solution on the public and 5 hidden splits: tests/exercises/test_project.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genolearn.dna import load_jaspar, one_hot_encode
from genolearn.exercises import check_project, get_exercise, project_data
from genolearn.exercises.ch06_project import GOAL, N_TEST, N_TRAIN, site_finding_task

pytestmark = pytest.mark.ch06
torch.set_num_threads(1)
PROJECT = get_exercise("ch6.project")


def test_the_task_plants_one_site_per_positive_on_gc_richer_dna_and_half_sites_everywhere():
    task = site_finding_task(np.random.default_rng(0))
    assert task.x.shape == (N_TRAIN + N_TEST, 4, 100) and task.y.mean() == 0.5
    factor = load_jaspar("FOXA1")
    sites = [[s for s in found if s[0] == factor.name] for found in task.motif_positions]
    assert all(len(s) == y for s, y in zip(sites, task.y, strict=True))
    assert {s[0][3] for s in sites if s} == {"+", "-"}  # both strands
    np.testing.assert_array_equal(task.mask.sum(axis=1), task.y * factor.length)
    gc = task.x[:, 1:3].sum(axis=(1, 2)) / 100  # (N,) C + G
    assert gc[task.y == 1].mean() - gc[task.y == 0].mean() > 0.1  # the shortcut (sites: AT-rich)
    half = np.array(
        [any(s[0].endswith("half site") for s in found) for found in task.motif_positions]
    )
    assert 0.35 < half[task.y == 1].mean() < 0.65 and 0.35 < half[task.y == 0].mean() < 0.65


def test_the_public_split_hides_the_answers_and_sends_plain_data():
    case = project_data("ch6.project")
    train_seqs, train_labels, test_seqs = case.args
    assert len(train_seqs) == N_TRAIN == len(train_labels) and len(test_seqs) == N_TEST
    labels, mask = case.answer
    assert labels.shape == (N_TEST,) and mask.shape == (N_TEST, 100) and mask.dtype == bool
    assert set(case.kwargs) == {"seed"}


def _chapter_recipe(train_seqs, train_labels, test_seqs, seed):
    """The chapter's baseline: MotifCNN, train_model's defaults on the labels, gradient x input."""
    import genolearn.deep as gd

    gd.set_seed(0)
    model = gd.MotifCNN()
    gd.train_model(model, (one_hot_encode(train_seqs), train_labels), seed=0, progress=False)
    return gd.saliency(model, one_hot_encode(test_seqs)).sum(axis=1)  # (N_test, L)


def test_the_chapters_recipe_learns_the_shortcut_and_misses_the_goal():
    report = check_project("ch6.project", _chapter_recipe)
    assert report.status == "failed" and report.points == 0, report.text()
    assert report.measure.value < GOAL - 0.05, report.text()


def test_gc_bases_alone_and_a_constant_map_are_far_from_the_goal():
    def gc_map(train_seqs, train_labels, test_seqs, seed):
        return one_hot_encode(test_seqs)[:, 1:3].sum(axis=1)  # 1 at C and G

    report = check_project("ch6.project", gc_map)
    assert report.status == "failed" and report.measure.value < 0.5
    report = check_project("ch6.project", lambda *a, seed: np.zeros((N_TEST, 100)))
    assert report.status == "failed" and report.measure.value == 0.5  # ties count as 1/2


def test_the_measure_scores_sequences_with_a_site_and_ignores_the_others():
    labels, mask = project_data("ch6.project").answer
    perfect = mask.astype(float)
    assert PROJECT.measure(perfect, (labels, mask)).value == 1.0
    assert PROJECT.measure(-perfect, (labels, mask)).value == 1.0  # |importance| is scored
    noisy = perfect.copy()
    noisy[labels == 0] = np.random.default_rng(0).normal(size=(int((labels == 0).sum()), 100))
    assert PROJECT.measure(noisy, (labels, mask)).value == 1.0
    measured = PROJECT.measure(np.float32(perfect), (labels, mask))
    assert measured.passed and f"{int(labels.sum())} test sequences with a site" in measured.text


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (lambda n: np.zeros((n, 99)), "importance has shape"),
        (lambda n: np.zeros((100, n)), "importance has shape"),
        (lambda n: np.zeros(n), "importance has shape"),
        (lambda n: np.full((n, 100), np.nan), "importance must be finite"),
        (lambda n: "the sites", "importance must be an array"),
        (lambda n: {"importance": np.zeros((n, 100))}, "importance must be an array"),
        (lambda n: np.zeros((n, 100), dtype=complex), "importance has dtype complex128"),
    ],
)
def test_malformed_maps_are_feedback_not_crashes(output, message):
    report = check_project(
        "ch6.project", lambda train_seqs, y, test_seqs, seed: output(len(test_seqs))
    )
    assert report.status == "failed" and report.points == 0
    assert "cannot be measured" in report.problem and message in report.problem, report.problem


def test_a_map_as_nested_lists_is_accepted():
    _, mask = project_data("ch6.project").answer
    report = check_project("ch6.project", lambda *a, seed: mask.astype(float).tolist())
    assert report.passed, report.text()
