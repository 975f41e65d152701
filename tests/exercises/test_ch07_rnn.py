"""Chapter 7 checks: correct variants pass, the references agree with torch in float64 (the
backward with ``torch.autograd``), and the references refuse bad input. (The catalogued mutants
are tested for every exercise in test_check.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import genolearn.deep as gd
import genolearn.nn as gnn
from genolearn.deep.rnn_numpy import rnn_bptt_numpy, rnn_cell_step_numpy, rnn_forward_numpy
from genolearn.dna import kmer_counts, one_hot_encode
from genolearn.exercises import ch07_project as order
from genolearn.exercises import check_project, evaluate, get_exercise
from genolearn.exercises.feedback import Outcome
from genolearn.nn.metrics import roc_auc
from tests.exercises.conftest import assert_fails, assert_passes
from tests.gradcheck import torch_forward_backward

pytestmark = pytest.mark.ch07
torch.set_num_threads(1)
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


def as64(args):
    return [np.asarray(a, dtype=np.float64) for a in args]


# ---- rnn_step
def rnn_step_loop(x, h, w_ih, w_hh, b_ih, b_hh):
    out = np.zeros((x.shape[0], h.shape[1]))
    for row in range(x.shape[0]):
        for u in range(h.shape[1]):
            z = (
                b_ih[u]
                + b_hh[u]
                + sum(float(w_ih[u, d]) * float(x[row, d]) for d in range(x.shape[1]))
            )
            z += sum(float(w_hh[u, e]) * float(h[row, e]) for e in range(h.shape[1]))
            out[row, u] = math.tanh(z)
    return out


def rnn_step_stacked(x, h, w_ih, w_hh, b_ih, b_hh):
    """One matrix product on [x, h] with [W_ih, W_hh] side by side, in the input dtype."""
    w = np.concatenate([w_ih, w_hh], axis=1)  # (H, D + H)
    return np.tanh(np.concatenate([x, h], axis=1) @ w.T + (b_ih + b_hh))


def test_rnn_step_variants_pass():
    assert_passes("ch7.rnn_step", rnn_step_loop, SEEDS)
    assert_passes("ch7.rnn_step", rnn_step_stacked, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_step_reference_is_torch_rnncell(seed):
    for case in cases("ch7.rnn_step", seed):
        x, h, w_ih, w_hh, b_ih, b_hh = as64(case.args)
        cell = torch.nn.RNNCell(x.shape[1], h.shape[1]).double()
        with torch.no_grad():
            for param, value in zip(cell.parameters(), (w_ih, w_hh, b_ih, b_hh), strict=True):
                param.copy_(torch.tensor(value))
            expected = cell(torch.tensor(x), torch.tensor(h)).numpy()
        np.testing.assert_allclose(rnn_cell_step_numpy(*case.args), expected, rtol=1e-6, atol=1e-7)


# ---- rnn_forward
def rnn_forward_with_step(x, h0, w_ih, w_hh, b_ih, b_hh):
    outs, h = [], h0
    for t in range(x.shape[1]):
        h = rnn_step_stacked(x[:, t], h, w_ih, w_hh, b_ih, b_hh)
        outs.append(h)
    return np.stack(outs, axis=1), h


def rnn_forward_preallocated_list(x, h0, w_ih, w_hh, b_ih, b_hh):
    out = np.zeros((x.shape[0], x.shape[1], h0.shape[1]), dtype=x.dtype)
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ w_ih.T + h @ w_hh.T + b_ih + b_hh)
        out[:, t] = h
    return [out, out[:, -1].copy()]


def test_rnn_forward_variants_pass():
    assert_passes("ch7.rnn_forward", rnn_forward_with_step, SEEDS)
    assert_passes("ch7.rnn_forward", rnn_forward_preallocated_list, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_forward_reference_is_torch_rnn(seed):
    for case in cases("ch7.rnn_forward", seed):
        x, h0, w_ih, w_hh, b_ih, b_hh = as64(case.args)
        rnn = torch.nn.RNN(x.shape[2], h0.shape[1], batch_first=True).double()
        with torch.no_grad():
            for param, value in zip(rnn.parameters(), (w_ih, w_hh, b_ih, b_hh), strict=True):
                param.copy_(torch.tensor(value))
            out_t, h_t = rnn(torch.tensor(x), torch.tensor(h0)[None])
        out, h_last = rnn_forward_numpy(*case.args)
        np.testing.assert_allclose(out, out_t.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(h_last, h_t[0].numpy(), rtol=1e-6, atol=1e-7)


def test_rnn_forward_refuses_an_empty_sequence():
    with pytest.raises(ValueError, match="T >= 1"):
        rnn_forward_numpy(np.zeros((1, 0, 2)), np.zeros((1, 3)), np.zeros((3, 2)), np.zeros((3, 3)))


# ---- rnn_bptt
def bptt_loop(h, w_hh, grad_out):
    n, steps, size = h.shape
    grad = np.zeros((n, steps, size))
    for row in range(n):
        g = np.zeros(size)
        for t in range(steps - 1, -1, -1):
            if t < steps - 1:
                da = g * (1 - h[row, t + 1] ** 2)
                g = np.array([sum(da[i] * w_hh[i, j] for i in range(size)) for j in range(size)])
            g = g + grad_out[row, t]
            grad[row, t] = g
    return grad


def test_rnn_bptt_variants_pass():
    assert_passes("ch7.rnn_bptt", bptt_loop, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_bptt_reference_is_torch_autograd(seed):
    """The total gradient dL/dh_t of L = sum_t <grad_out_t, h_t> through a real tanh RNN
    (autograd's h_t.grad, every path through later steps included)."""
    rng = np.random.default_rng(seed)
    for n, steps, size in [(1, 1, 1), (2, 5, 3), (3, 8, 2)]:
        x = rng.normal(size=(n, steps, 2))
        w_ih, w_hh = rng.normal(size=(size, 2)), rng.normal(scale=0.8, size=(size, size))
        b = rng.normal(size=size)
        grad_out = rng.normal(size=(n, steps, size))
        states = []

        def run(x_t, w_ih_t, w_hh_t, b_t, states=states):
            h = torch.zeros(x_t.shape[0], w_hh_t.shape[0], dtype=torch.float64)
            outs = []
            for t in range(x_t.shape[1]):
                h = torch.tanh(x_t[:, t] @ w_ih_t.T + h @ w_hh_t.T + b_t)
                h.retain_grad()
                outs.append(h)
            states[:] = outs
            return torch.stack(outs, dim=1)  # (N, T, H)

        out, _ = torch_forward_backward(run, [x, w_ih, w_hh, b], upstream=grad_out)
        expected = np.stack([s.grad.numpy() for s in states], axis=1)  # (N, T, H)
        np.testing.assert_allclose(
            rnn_bptt_numpy(out, w_hh, grad_out), expected, rtol=1e-10, atol=1e-12
        )


def test_rnn_bptt_last_state_gradient_vanishes_with_small_weights():
    """The demonstration of Chapter 7: with a last-state read-out and |W_hh| < 1 the gradient
    reaching step t shrinks geometrically with T - t."""
    rng = np.random.default_rng(0)
    h = np.tanh(rng.normal(size=(1, 30, 4)))
    grad_out = np.zeros((1, 30, 4))
    grad_out[0, -1] = 1.0
    norms = np.linalg.norm(rnn_bptt_numpy(h, 0.3 * np.eye(4), grad_out)[0], axis=1)
    assert np.all(np.diff(norms) > 0) and norms[0] < 1e-12 * norms[-1]


def test_rnn_bptt_does_not_change_its_inputs():
    g = np.ones((1, 3, 2))
    rnn_bptt_numpy(np.zeros((1, 3, 2)), np.eye(2), g)
    np.testing.assert_array_equal(g, np.ones((1, 3, 2)))


# ---- lstm_cell
def lstm_per_gate(x, h, c, w_ih, w_hh, b_ih, b_hh):
    size = h.shape[1]

    def gate(j, act):
        rows = slice(j * size, (j + 1) * size)
        return act(x @ w_ih[rows].T + b_ih[rows] + h @ w_hh[rows].T + b_hh[rows])

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    i, f, g, o = gate(0, sigmoid), gate(1, sigmoid), gate(2, np.tanh), gate(3, sigmoid)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_loop(x, h, c, w_ih, w_hh, b_ih, b_hh):
    n, size = h.shape
    h_new, c_new = np.zeros((n, size)), np.zeros((n, size))
    sig = [[0.0] * 4 for _ in range(size)]
    for row in range(n):
        for u in range(size):
            for j in range(4):
                r = j * size + u
                z = b_ih[r] + b_hh[r]
                z += sum(float(w_ih[r, d]) * float(x[row, d]) for d in range(x.shape[1]))
                z += sum(float(w_hh[r, e]) * float(h[row, e]) for e in range(size))
                sig[u][j] = math.tanh(z) if j == 2 else 0.5 * (1 + math.tanh(z / 2))
            i, f, g, o = sig[u]
            c_new[row, u] = f * c[row, u] + i * g
            h_new[row, u] = o * math.tanh(c_new[row, u])
    return h_new, c_new


def test_lstm_cell_variants_pass():
    assert_passes("ch7.lstm_cell", lstm_per_gate, SEEDS)
    assert_passes("ch7.lstm_cell", lstm_loop, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_reference_is_torch_lstmcell(seed):
    ex = get_exercise("ch7.lstm_cell")
    for case in cases("ch7.lstm_cell", seed):
        x, h, c, w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in case.args)
        cell = torch.nn.LSTMCell(x.shape[1], h.shape[1]).double()
        with torch.no_grad():
            for param, value in zip(cell.parameters(), (w_ih, w_hh, b_ih, b_hh), strict=True):
                param.copy_(torch.tensor(value))
            h_t, c_t = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        h_ref, c_ref = ex.reference(*case.args)
        np.testing.assert_allclose(h_ref, h_t.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c_ref, c_t.numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_returning_a_list_passes_but_one_state_fails():
    assert_passes("ch7.lstm_cell", lambda *a: list(lstm_per_gate(*a)))
    report = assert_fails("ch7.lstm_cell", lambda *a: lstm_per_gate(*a)[0])
    assert "tuple of 2" in report.problem


# ---- the project: which site comes first?
def kmer_regression(train_seqs, train_labels, test_seqs, seed):
    """Order-blind: standardised 4-mer counts, logistic regression."""
    k_train, k_test = kmer_counts(train_seqs, 4), kmer_counts(test_seqs, 4)
    mu, sd = k_train.mean(axis=0), k_train.std(axis=0) + 1e-9
    w, b, _ = gnn.train_logistic_regression(
        (k_train - mu) / sd, train_labels, lr=0.1, epochs=30, batch_size=64, seed=0
    )
    return (k_test - mu) / sd @ w + b


def chapter_cnn(train_seqs, train_labels, test_seqs, seed):
    """Chapter 6's recipe: gd.MotifCNN (32 filters of width 12, global max pooling, a hidden
    layer of 16) trained by gd.train_model's defaults on 80 % of the training set."""
    x = one_hot_encode(train_seqs)
    n = int(0.8 * len(x))
    gd.set_seed(0)
    model = gd.MotifCNN()
    gd.train_model(model, (x[:n], train_labels[:n]), (x[n:], train_labels[n:]), seed=0,
                   device="cpu", progress=False)  # fmt: skip
    return gd.predict(model, one_hot_encode(test_seqs), device="cpu")  # (N_test,)


def best_match(seqs, consensus):
    """For each sequence, the most bases any window shares with ``consensus``, and where."""
    x = one_hot_encode(seqs).astype(np.float64)  # (N, 4, L)
    cons = one_hot_encode(consensus).astype(np.float64)  # (4, K)
    windows = np.lib.stride_tricks.sliding_window_view(x, cons.shape[1], axis=2)  # (N, 4, W, K)
    matches = np.einsum("nawk,ak->nw", windows, cons)  # (N, W)
    return matches.max(axis=1), matches.argmax(axis=1)


def test_project_order_blind_models_do_not_reach_the_goal():
    for baseline in (kmer_regression, chapter_cnn):
        report = check_project("ch7.project", baseline)
        assert report.status == "failed" and report.points == 0, report.text()
        assert "held-out AUROC" in report.problem and f"{order.GOAL:.2f}" in report.problem
        assert report.measure.value < 0.80  # below the 0.75 ceiling of presence, plus noise
    constant = check_project("ch7.project", lambda tr, y, te, seed: np.zeros(len(te)))
    assert constant.status == "failed" and constant.measure.value == 0.5


def test_project_presence_is_worth_at_most_three_quarters_and_order_the_rest():
    """Scorers that know the two consensus sites: "both present" stays near 0.75 on every
    split (the swapped negatives hold both); "both present, A upstream" above 0.95 (a site
    with 3 or more of its 10 bases changed, 7 % of them, looks like background)."""
    for s in range(3):
        rng = np.random.default_rng(s)
        a, b = order.draw_motifs(rng)
        seqs, y, _ = order.motif_order_task(1000, (a, b), rng)
        (score_a, at_a), (score_b, at_b) = best_match(seqs, a), best_match(seqs, b)
        both = np.minimum(score_a, score_b)  # (N,) the weaker site's best match
        assert 0.70 <= roc_auc(y, both) <= 0.78
        assert roc_auc(y, both + 10 * (at_a < at_b)) >= 0.95


def test_project_task_holds_the_kinds_it_says():
    rng = np.random.default_rng(0)
    a, b = order.draw_motifs(rng)
    assert len(a) == len(b) == order.WIDTH and sum(p != q for p, q in zip(a, b, strict=True)) >= 7
    seqs, y, kinds = order.motif_order_task(800, (a, b), rng)
    assert len(seqs) == 800 and {len(s) for s in seqs} == {order.LENGTH}
    assert y.sum() == 400 and set(kinds[y == 1]) == {0} and set(kinds[y == 0]) == {1, 2, 3}
    assert order.KINDS == ("A then B", "B then A", "A only", "B only")
    assert abs(np.mean(kinds[y == 0] == 1) - 0.5) < 0.07  # half the negatives swapped
    (score_a, at_a), (score_b, at_b) = best_match(seqs, a), best_match(seqs, b)
    has_a, has_b = np.isin(kinds, (0, 1, 2)), np.isin(kinds, (0, 1, 3))
    assert np.median(score_a[has_a]) >= 9 and np.median(score_a[~has_a]) <= 6
    assert np.median(score_b[has_b]) >= 9 and np.median(score_b[~has_b]) <= 6
    strong = (score_a >= 9) & (score_b >= 9) & has_a & has_b  # both sites found where planted
    gap = np.abs(at_b - at_a)[strong] - order.WIDTH
    assert gap.min() >= order.GAP_MIN and gap.max() <= order.GAP_MAX
    assert np.all((at_a < at_b)[strong] == (kinds[strong] == 0))
    for at, score, has in ((at_a, score_a, has_a), (at_b, score_b, has_b)):
        found = has & (score >= 9)  # the best window is the planted site
        assert at[found].min() >= order.MARGIN
        assert at[found].max() <= order.LENGTH - order.MARGIN - order.WIDTH


def test_project_malformed_scores_are_feedback_not_crashes():
    bad = [
        (lambda tr, y, te, seed: np.zeros(3), "scores has shape (3,)"),
        (lambda tr, y, te, seed: np.zeros((len(te), 1)), "scores has shape"),
        (lambda tr, y, te, seed: np.full(len(te), np.nan), "scores"),
        (lambda tr, y, te, seed: ["high"] * len(te), "scores"),
        (lambda tr, y, te, seed: None, "scores"),
        (lambda tr, y, te, seed: {"scores": np.zeros(len(te))}, "scores must be an array"),
    ]
    for fn, message in bad:
        report = check_project("ch7.project", fn)
        assert report.status == "failed" and report.points == 0, report.text()
        assert message in report.problem and "cannot be measured" in report.problem
    report = check_project("ch7.project", lambda tr, y, te, seed: torch.zeros(len(te)) / 0)
    assert report.status == "failed" and "scores" in report.problem
    report = check_project("ch7.project", lambda tr, y, te, seed: {}["model"])
    assert report.status == "error" and "KeyError" in report.text()
    # a list of numbers and 0/1 predictions are fine, measured as they are
    for fn in (
        lambda tr, y, te, seed: list(range(len(te))),
        lambda tr, y, te, seed: [s.find("A") < 3 for s in te],
    ):
        report = check_project("ch7.project", fn)
        assert report.status == "failed" and "held-out AUROC" in report.problem


def test_project_example_solution_clears_the_goal_on_more_hidden_splits():
    project = get_exercise("ch7.project")
    for seed in (5, 6, 7):  # test_project.py covers 0-4 (passing); here with a margin
        case = project.make_cases(np.random.default_rng(10_000 + seed))[0]
        report = evaluate(
            project, [case], [Outcome(value=project.reference(*case.args, **case.kwargs))]
        )
        assert report.passed and report.measure.value >= order.GOAL + 0.03, (seed, report.text())
