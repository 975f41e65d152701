"""Chapter 5 checks: correct variants pass, the references agree with independent computations
(JASPAR's PWM convention, the PWM scan, the string k-mer counter, brute force), and a wrong
shape is reported as such. (The catalogued mutants are tested for every exercise in
test_check.py.) The project (ch5.project): the chapter's rungs miss its goal, malformed scores
are feedback, the example solution passes more hidden splits and is the notebook's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import genolearn.nn as gnn
from genolearn.dna import kmer_counts, load_jaspar, one_hot_decode, one_hot_encode, pwm_scan
from genolearn.dna.motifs import Motif
from genolearn.exercises import check_project, evaluate, get_exercise
from genolearn.exercises.ch05_project import GOAL, KINDS, composite_task, tal1_motif
from genolearn.exercises.feedback import Outcome
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch05
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


# ---- pwm_from_sites
def sites_loops(sites, pseudocount):
    n, _, k = sites.shape
    out = np.zeros((4, k))
    for pos in range(k):
        for base in range(4):
            count = sum(float(sites[i, base, pos]) for i in range(n))
            out[base, pos] = np.log2((count + pseudocount) / (n + 4 * pseudocount) * 4)
    return out


def sites_log_difference(sites, pseudocount):
    counts = sites.sum(axis=0) + pseudocount  # (4, K)
    return np.log2(counts) - np.log2(counts.sum(axis=0, keepdims=True)) + 2.0


def test_pwm_from_sites_variants_pass():
    assert_passes("ch5.pwm_from_sites", sites_loops, SEEDS)
    assert_passes("ch5.pwm_from_sites", sites_log_difference, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_pwm_from_sites_reference_is_jaspars_convention(seed):
    """Motif.pwm shares a total pseudocount c out by the background: c / 4 per base."""
    ex = get_exercise("ch5.pwm_from_sites")
    for case in cases("ch5.pwm_from_sites", seed):
        sites, pc = case.args
        expected = Motif("x", "x", sites.sum(axis=0).astype(float)).pwm(pseudocount=4 * pc)
        np.testing.assert_allclose(ex.reference(*case.args), expected, rtol=1e-5)


# ---- best_pwm_score
def score_loops(x, pwm):
    k = pwm.shape[1]
    return np.array(
        [max(np.sum(s[:, w : w + k] * pwm) for w in range(s.shape[1] - k + 1)) for s in x]
    )


def score_matmul(x, pwm):
    n, _, length = x.shape
    k = pwm.shape[1]
    cols = np.stack([x[:, :, w : w + k].reshape(n, -1) for w in range(length - k + 1)], axis=1)
    return (cols @ pwm.reshape(-1)).max(axis=1)  # (N, W, 4K) @ (4K,) -> (N, W) -> (N,)


def test_best_pwm_score_variants_pass():
    assert_passes("ch5.best_pwm_score", score_loops, SEEDS)
    assert_passes("ch5.best_pwm_score", score_matmul, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_best_pwm_score_reference_is_the_max_of_pwm_scan(seed):
    ex = get_exercise("ch5.best_pwm_score")
    for case in cases("ch5.best_pwm_score", seed):
        x, pwm = case.args
        expected = pwm_scan(x.astype(np.float64), pwm.astype(np.float64)).max(axis=1)
        np.testing.assert_allclose(ex.reference(x, pwm), expected, rtol=1e-6)


def test_a_transposed_pwm_scan_is_a_shape_error():
    report = assert_fails("ch5.best_pwm_score", lambda x, pwm: score_loops(x, pwm)[:, None])
    assert "shape" in report.problem


# ---- best_threshold
def threshold_loops(scores, y):
    best_t, best_acc = None, -1.0
    for t in sorted(set(scores.tolist())):
        acc = np.mean([(s >= t) == (label == 1) for s, label in zip(scores, y, strict=True)])
        if acc > best_acc:
            best_t, best_acc = t, acc
    return best_t


def threshold_sweep(scores, y):
    """One pass over the sorted scores, updating the number of right calls."""
    order = np.argsort(scores, kind="stable")
    s, labels = scores[order], y[order]
    right = int(np.sum(labels == 1))  # cut at the smallest score: everything positive
    best_t, best = s[0], right
    for i in range(1, len(s)):
        right += 1 if labels[i - 1] == 0 else -1  # s[i - 1] moves to the negative side
        if s[i] != s[i - 1] and right > best:
            best_t, best = s[i], right
    return float(best_t)


def test_best_threshold_variants_pass():
    assert_passes("ch5.best_threshold", threshold_loops, SEEDS)
    assert_passes("ch5.best_threshold", threshold_sweep, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_best_threshold_reference_is_brute_force(seed):
    ex = get_exercise("ch5.best_threshold")
    for case in cases("ch5.best_threshold", seed):
        assert ex.reference(*case.args) == threshold_loops(*case.args)


# ---- kmer_spectrum
def kmer_dictionary(x, k):
    out = np.zeros((len(x), 4**k))
    for row, seq in enumerate(x):
        text = "".join("ACGT"[int(c.argmax())] if c.sum() else "N" for c in seq.T)
        for start in range(len(text) - k + 1):
            word = text[start : start + k]
            if "N" not in word:
                out[row, int(word.translate(str.maketrans("ACGT", "0123")), 4)] += 1
    return out


def kmer_sliding(x, k):
    codes = np.where(x.sum(axis=1) > 0, x.argmax(axis=1), -1)  # (N, L), -1 at an N
    out = np.zeros((len(x), 4**k))
    if x.shape[2] < k:
        return out
    win = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)  # (N, W, k)
    index = win @ (4 ** np.arange(k)[::-1])
    for row in range(len(x)):
        np.add.at(out[row], index[row][(win[row] >= 0).all(axis=1)], 1)
    return out


def test_kmer_spectrum_variants_pass():
    assert_passes("ch5.kmer_spectrum", kmer_dictionary, SEEDS)
    assert_passes("ch5.kmer_spectrum", kmer_sliding, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_kmer_spectrum_reference_is_kmer_counts_of_the_strings(seed):
    ex = get_exercise("ch5.kmer_spectrum")
    for case in cases("ch5.kmer_spectrum", seed):
        x, k = case.args
        strings = [one_hot_decode(s) for s in x]
        np.testing.assert_array_equal(ex.reference(x, k), kmer_counts(strings, k))


# ---- the project: a cooperative pair (GATA1 and the TAL1 E-box)
def gata_scanner(train_seqs, train_labels, test_seqs, seed):
    """The chapter's first rung: JASPAR's GATA1 PWM, best window on either strand."""
    pwm = load_jaspar("GATA1").pwm()
    x = one_hot_encode(test_seqs).astype(np.float64)
    return np.maximum(pwm_scan(x, pwm).max(axis=1), pwm_scan(x, pwm[::-1, ::-1]).max(axis=1))


def kmer_regression(train_seqs, train_labels, test_seqs, seed):
    """The chapter's second rung: standardised 4-mer counts, logistic regression."""
    k_train, k_test = kmer_counts(train_seqs, 4), kmer_counts(test_seqs, 4)
    mu, sd = k_train.mean(axis=0), k_train.std(axis=0) + 1e-9
    w, b, _ = gnn.train_logistic_regression(
        (k_train - mu) / sd, train_labels, lr=0.1, epochs=30, batch_size=64, seed=0
    )
    return (k_test - mu) / sd @ w + b


def test_project_the_chapters_rungs_do_not_reach_the_goal():
    for baseline in (gata_scanner, kmer_regression):
        report = check_project("ch5.project", baseline)
        assert report.status == "failed" and report.points == 0, report.text()
        assert "held-out AUROC" in report.problem and f"{GOAL:.2f}" in report.problem
        assert report.measure.value < 0.80  # far from the goal, not just below it
    constant = check_project("ch5.project", lambda tr, y, te, seed: np.zeros(len(te)))
    assert constant.status == "failed" and constant.measure.value == 0.5


def test_project_malformed_scores_are_feedback_not_crashes():
    bad = [
        (lambda tr, y, te, seed: np.zeros(3), "scores has shape (3,)"),
        (lambda tr, y, te, seed: np.zeros((len(te), 2)), "scores has shape"),
        (lambda tr, y, te, seed: np.full(len(te), np.nan), "scores"),
        (lambda tr, y, te, seed: ["high"] * len(te), "scores"),
        (lambda tr, y, te, seed: None, "scores"),
    ]
    for fn, message in bad:
        report = check_project("ch5.project", fn)
        assert report.status == "failed" and report.points == 0, report.text()
        assert message in report.problem and "cannot be measured" in report.problem
    report = check_project("ch5.project", lambda tr, y, te, seed: {}["model"])
    assert report.status == "error" and "KeyError" in report.text()
    scores = check_project("ch5.project", lambda tr, y, te, seed: list(range(len(te))))
    assert scores.status == "failed" and "held-out AUROC" in scores.problem  # a list is fine


def test_project_example_solution_passes_more_hidden_splits():
    project = get_exercise("ch5.project")
    for seed in range(5, 10):  # test_project.py covers 0-4
        case = project.make_cases(np.random.default_rng(10_000 + seed))[0]
        report = evaluate(
            project, [case], [Outcome(value=project.reference(*case.args, **case.kwargs))]
        )
        assert report.passed and report.measure.value >= GOAL + 0.03, (seed, report.text())


def test_project_task_holds_the_kinds_it_says():
    seqs, y, kinds = composite_task(600, np.random.default_rng(0))
    assert len(seqs) == 600 and {len(s) for s in seqs} == {100}
    assert y.sum() == 300 and set(kinds[y == 1]) == {0} and set(kinds[y == 0]) == {1, 2, 3, 4, 5}
    assert KINDS[0] == "both" and len(KINDS) == 6
    ebox = tal1_motif()
    assert ebox.consensus == "CGACCATCTGTT" and ebox.id == "MA0091.1"
    # both motifs are planted where the kinds say: the best window of each PWM is far higher
    x = one_hot_encode(seqs).astype(np.float64)
    for motif, has in [(load_jaspar("GATA1"), (0, 2, 4)), (ebox, (0, 3, 5))]:
        pwm = motif.pwm()
        best = np.maximum(pwm_scan(x, pwm).max(axis=1), pwm_scan(x, pwm[::-1, ::-1]).max(axis=1))
        carries = np.isin(kinds, has)
        assert np.median(best[carries]) > np.median(best[~carries]) + 4


def test_project_the_chapters_example_solution_is_the_reference():
    """The notebook shows the example solution: it must score exactly as the package's."""
    import nbformat

    path = Path(__file__).resolve().parents[2] / "chapters" / "05_fnn" / "fnn.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    (source,) = [c.source for c in cells if "# BEGIN SOLUTION ch5.project" in c.source]
    namespace = {"np": np, "gnn": gnn, "one_hot_encode": one_hot_encode, "load_jaspar": load_jaspar}
    exec(source, namespace)  # defines score_sequences
    case = get_exercise("ch5.project").make_cases(np.random.default_rng(3))[0]
    np.testing.assert_allclose(
        namespace["score_sequences"](*case.args, **case.kwargs),
        get_exercise("ch5.project").reference(*case.args, **case.kwargs),
        rtol=1e-6,
        atol=1e-6,
    )
