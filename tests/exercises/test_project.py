"""Projects: measured against a goal on a split the learner's function never sees labelled."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from genolearn.exercises import (
    Project,
    all_exercises,
    all_projects,
    check_project,
    evaluate,
    expected_outputs,
    get_exercise,
    project_data,
)
from genolearn.exercises.ch01_project import BOX_10
from genolearn.exercises.ch04_project import creb_ppm
from genolearn.exercises.feedback import Outcome
from genolearn.exercises.networks import as_network, network_logits

PROJECTS = all_projects()
IDS = [p.id for p in PROJECTS]


def test_every_chapter_has_a_project_outside_the_exercise_lists():
    assert IDS == [f"ch{n}.project" for n in range(1, 10)]
    assert not any(isinstance(e, Project) for e in all_exercises())
    assert {e.id for e in all_exercises(4, projects=True)} - {e.id for e in all_exercises(4)} == {
        "ch4.project"
    }
    for project in PROJECTS:
        assert project.goal and project.written and project.written_points > 0
        assert project.written_column == f"{project.id} written"


@pytest.mark.parametrize("project", PROJECTS, ids=IDS)
def test_the_example_solution_reaches_the_goal_on_the_public_and_hidden_splits(project):
    report = check_project(project.id, project.reference)
    assert report.passed and report.points == project.points, report.text()
    assert "public split" in report.text() and report.seconds < project.time_limit_s
    for seed in range(5):  # hidden splits, as the grader draws them
        cases = project.make_cases(np.random.default_rng(10_000 + seed))
        outcomes = [Outcome(value=project.reference(*c.args, **c.kwargs)) for c in cases]
        result = evaluate(project, cases, outcomes)
        assert result.passed, (seed, result.text())


def test_the_goals_are_not_reached_by_the_chapters_baselines():
    # Chapter 1's two features (exact TATAAT count, GC fraction)
    def chapter_features(seqs):
        return np.array([[s.count(BOX_10), (s.count("G") + s.count("C")) / len(s)] for s in seqs])

    report = check_project("ch1.project", chapter_features)
    assert report.status == "failed" and "2 features" in report.problem
    # Chapter 2: an accurate network with too many parameters
    ch2 = get_exercise("ch2.project")
    case = project_data("ch2.project")
    net = ch2.reference(*case.args, **case.kwargs)
    net["params"][0] = np.where(net["params"][0] == 0, 1e-6, net["params"][0])
    report = check_project("ch2.project", lambda X, y, seed: net)
    assert report.status == "failed" and "parameters" in report.problem
    # Chapter 4: the chapter's 3-mer frequencies, scored by their distance to the positives'
    from genolearn.dna import kmer_counts

    def kmer_scores(train_seqs, train_labels, families, test_seqs, seed):
        profile = kmer_counts(train_seqs, 3, normalize=True)
        direction = profile[train_labels == 1].mean(0) - profile[train_labels == 0].mean(0)
        return kmer_counts(test_seqs, 3, normalize=True) @ direction

    assert check_project("ch4.project", kmer_scores).status == "failed"
    # A constant score is at chance everywhere
    assert check_project("ch4.project", lambda *a, seed: np.zeros(len(a[3]))).status == "failed"
    zero_net = {"activation": "tanh", "params": [np.zeros((160, 2)), np.zeros(2)]}
    assert check_project("ch3.project", lambda X, y, seed: zero_net).status == "failed"


@pytest.mark.parametrize("project", PROJECTS, ids=IDS)
def test_held_out_answers_never_reach_the_learners_function(project):
    case = project.make_cases(np.random.default_rng(7))[0]
    answer = case.answer
    held_out = answer["labels"][~answer["train"]] if isinstance(answer, dict) else answer
    labels = held_out[1] if isinstance(held_out, tuple) else held_out
    sent = [*case.args, *case.kwargs.values()]
    for value in sent:
        if isinstance(value, np.ndarray):
            assert not (value.shape == labels.shape and np.array_equal(value, labels))
    assert expected_outputs(project, [case]) == [answer]  # the grader keeps the answers


@pytest.mark.parametrize("project", PROJECTS, ids=IDS)
def test_public_split_is_fixed_and_hidden_splits_differ_by_seed(project):
    a, b = project_data(project.id), project_data(project.id)
    c = project.make_cases(np.random.default_rng(123))[0]
    assert repr(a.args) == repr(b.args) and repr(a.args) != repr(c.args)


def _stub(*args, **kwargs):
    raise NotImplementedError("ch1.project: replace this line with your code")


def test_stub_error_and_malformed_outputs_are_feedback_not_crashes():
    report = check_project("ch1.project", _stub)
    assert report.status == "not implemented"
    assert "ch1.project — " in report.text() and "not implemented yet" in report.text()
    report = check_project("ch1.project", lambda seqs: 1 / 0)
    assert report.status == "error" and "ZeroDivisionError" in report.text()
    report = check_project("ch1.project", lambda seqs: np.zeros((len(seqs), 11)))
    assert report.status == "failed" and "11 columns but must have 1 to 10" in report.problem
    report = check_project("ch1.project", lambda seqs: np.full((len(seqs), 2), np.nan))
    assert report.status == "failed" and "features" in report.problem
    report = check_project("ch4.project", lambda *a, seed: np.zeros(3))
    assert "scores has shape (3,)" in report.problem
    report = check_project("ch2.project", lambda X, y, seed: "a network")
    assert report.status == "failed" and "must be a dict" in report.problem
    assert report.points == 0


def test_check_project_refuses_exercises_and_non_functions():
    with pytest.raises(ValueError, match="is an exercise: use check"):
        check_project("ch1.sigmoid", _stub)
    with pytest.raises(TypeError, match="promoter_features"):
        check_project("ch1.project", "promoter_features")
    with pytest.raises(KeyError):
        check_project("ch1.no_such_project", _stub)


def test_report_warns_when_the_function_is_over_the_grader_limit():
    report = check_project("ch1.project", get_exercise("ch1.project").reference)
    report.seconds = 11.0
    assert "over the grader's limit of 10 s" in report.text()


def test_networks_round_trip_a_sequential_and_reject_malformed_ones():
    import genolearn.nn as gnn

    model = gnn.Sequential(
        gnn.Linear(5, 3, seed=0, dtype=np.float64),
        gnn.ReLU(),
        gnn.Linear(3, 2, seed=1, dtype=np.float64),
    )
    X = np.random.default_rng(0).normal(size=(7, 5))
    scores, nonzero = network_logits(as_network(model), X)
    logits = model(X)
    np.testing.assert_allclose(scores, logits[:, 1] - logits[:, 0])
    assert nonzero == gnn.count_parameters(model)
    bad = [
        ({"activation": "gelu", "params": []}, "activation is 'gelu'"),
        ({"activation": "relu", "params": [np.zeros((5, 3))]}, "even length"),
        ({"activation": "relu", "params": [np.zeros((4, 1)), np.zeros(1)]}, "W1 has shape"),
        ({"activation": "relu", "params": [np.zeros((5, 3)), np.zeros(3)]}, "3 outputs"),
        ([np.zeros((5, 1))], "must be a dict"),
    ]
    for network, message in bad:
        with pytest.raises((TypeError, ValueError), match=message):
            network_logits(network, X)
    with pytest.raises(TypeError, match="Sequential"):
        as_network("model")
    mixed = gnn.Sequential(
        gnn.Linear(5, 3, seed=0), gnn.ReLU(), gnn.Linear(3, 3, seed=0), gnn.Tanh()
    )
    with pytest.raises(ValueError, match="mixes activations"):
        as_network(mixed)


def test_chapter_4_sites_come_from_the_chapters_matrix():
    ppm = creb_ppm()
    assert ppm.shape == (4, 8)
    np.testing.assert_allclose(ppm.sum(axis=0), 1.0)
    assert "".join("ACGT"[i] for i in ppm.argmax(axis=0)) == "TGACGTCA"


def test_answers_learned_from_the_public_split_do_not_pass_the_hidden_one():
    public = project_data("ch4.project")

    def memorised(train_seqs, train_labels, train_families, test_seqs, seed):
        return public.answer.astype(float)  # the public held-out labels, copied

    assert check_project("ch4.project", memorised).passed  # AUPRC 1 where it was copied from
    project = get_exercise("ch4.project")
    hidden = project.make_cases(np.random.default_rng(2024))
    outcome = Outcome(value=memorised(*hidden[0].args, **hidden[0].kwargs))
    report = evaluate(project, hidden, [outcome])
    assert report.status == "failed" and report.points == 0


@pytest.mark.parametrize("project", PROJECTS, ids=IDS)
def test_the_sandbox_payload_carries_the_args_and_never_the_answer(project):
    from genolearn.grading.results import Call
    from genolearn.grading.sandbox import _encode_case

    case = project.make_cases(np.random.default_rng(99))[0]
    call = Call.from_exercise(project, [case])
    assert call.function == project.function and call.forbid == project.forbid
    payload = _encode_case(call.cases[0], "case")
    assert set(payload) == {"args", "kwargs"}
    text = repr(payload)
    answer = case.answer
    parts = answer.values() if isinstance(answer, dict) else answer
    parts = parts if isinstance(answer, (dict, tuple)) else [answer]
    held_out = [p for p in parts if isinstance(p, np.ndarray) and p.size > 20]
    assert held_out
    for part in held_out:
        encoded = base64.b64encode(np.ascontiguousarray(part).tobytes()).decode()
        assert encoded not in text


def test_heldout_cases_pass_the_split_and_a_seed_from_rng():
    from genolearn.exercises.project import heldout_cases

    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    (case,) = heldout_cases(["AC"], np.array([1]), ["GT", "TT"], np.array([0, 1]), rng, "split")
    assert case.args[0] == ["AC"] and case.args[2] == ["GT", "TT"] and case.label == "split"
    np.testing.assert_array_equal(case.answer, [0, 1])
    assert case.kwargs == {"seed": int(twin.integers(0, 2**31))}
