"""Chapter 9 checks: correct variants pass, and the references agree with independent
computations. (The catalogued mutants are tested for every exercise in test_check.py.)"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import genolearn.deep as gd
from genolearn.deep import in_silico_mutagenesis
from genolearn.deep.tabular import ExpressionMLP, fit_classifier, predict_logits
from genolearn.exercises import check_project, evaluate, get_exercise, project_data
from genolearn.exercises.ch09_project import GOAL, TEST_FRACTION, cell_type_split, chapter_recipe
from genolearn.grading.protocol import Unsupported
from genolearn.nn.imbalance import class_weights
from genolearn.nn.metrics import confusion_matrix
from genolearn.nn.scaling import standardize
from tests.exercises.conftest import assert_fails, assert_passes

pytestmark = pytest.mark.ch09
torch.set_num_threads(1)
SEEDS = (0, 1, 2, 3)


def cases(exercise_id, seed):
    return get_exercise(exercise_id).make_cases(np.random.default_rng(seed))


# ---- class_weights
def weights_loop(y, n_classes):
    out = np.zeros(n_classes)
    for c in range(n_classes):
        count = sum(1 for label in y if label == c)
        if count:
            out[c] = len(y) / (n_classes * count)
    return out


def test_class_weights_variants_pass():
    assert_passes("ch9.class_weights", weights_loop, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_class_weights_give_every_present_class_the_same_total(seed):
    ex = get_exercise("ch9.class_weights")
    for case in cases("ch9.class_weights", seed):
        y, n_classes = case.args
        w = ex.reference(y, n_classes)
        totals = np.bincount(y, weights=w[y], minlength=n_classes)  # (C,)
        present = np.bincount(y, minlength=n_classes) > 0
        np.testing.assert_allclose(totals[present], len(y) / n_classes)
        np.testing.assert_allclose(w[y].sum(), len(y) * present.sum() / n_classes)


# ---- per_class_recall
def recall_from_masks(y_true, y_pred, n_classes):
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        mine = y_true == c
        if mine.any():
            out[c] = np.mean(y_pred[mine] == c)
    return out


def test_per_class_recall_variants_pass():
    assert_passes("ch9.per_class_recall", recall_from_masks, SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_per_class_recall_is_the_confusion_matrix_diagonal_over_its_rows(seed):
    ex = get_exercise("ch9.per_class_recall")
    for case in cases("ch9.per_class_recall", seed):
        y_true, y_pred, n_classes = case.args
        cm = confusion_matrix(y_true, y_pred, n_classes)  # (C, C) rows = true class
        with np.errstate(invalid="ignore"):
            expected = np.diag(cm) / cm.sum(axis=1)
        np.testing.assert_allclose(ex.reference(*case.args), expected)


# ---- standardize
def standardize_by_column(X_train, X_test):
    dtype = np.result_type(X_train.dtype, X_test.dtype, np.float32)
    z_train = np.empty(X_train.shape, dtype)
    z_test = np.empty(X_test.shape, dtype)
    for g in range(X_train.shape[1]):
        col = X_train[:, g].astype(np.float64)
        mean = col.mean()
        sd = col.std() if np.ptp(col) > 0 else 1.0
        z_train[:, g] = (col - mean) / sd
        z_test[:, g] = (X_test[:, g] - mean) / sd
    return z_train, z_test


def test_standardize_variants_pass():
    assert_passes("ch9.standardize", standardize_by_column, SEEDS)


def test_standardize_keeps_a_shifted_test_set_shifted():
    ex = get_exercise("ch9.standardize")
    rng = np.random.default_rng(0)
    train = rng.normal(size=(50, 3))
    z_train, z_test = ex.reference(train, train + 10.0)
    np.testing.assert_allclose(z_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.all(z_test.mean(axis=0) > 5)


# ---- single_base_variants
def variants_by_index(x):
    length = x.shape[1]
    ref = x.argmax(axis=0)  # (L,)
    out = np.repeat(x[None], 3 * length, axis=0)
    alternatives = [[b for b in range(4) if b != r] for r in ref]
    for k in range(3 * length):
        pos, j = divmod(k, 3)
        out[k, :, pos] = np.eye(4, dtype=x.dtype)[alternatives[pos][j]]
    return out


def test_single_base_variants_variants_pass():
    assert_passes("ch9.single_base_variants", variants_by_index, SEEDS)


def test_single_base_variants_scored_by_a_model_equal_in_silico_mutagenesis():
    ex = get_exercise("ch9.single_base_variants")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 7, 8), torch.nn.ReLU(),
                                torch.nn.Linear(8, 1))  # fmt: skip
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, 7)].T  # (4, 7)
    variants = ex.reference(x)  # (21, 4, 7)
    with torch.no_grad():
        logits = model(torch.as_tensor(np.concatenate([x[None], variants])))[:, 0].numpy()
    ism = in_silico_mutagenesis(model, x[None], device="cpu")[0]  # (4, 7)
    np.testing.assert_allclose(logits[1:] - logits[0], ism.T[x.T == 0], atol=1e-6)


def test_a_variant_list_with_the_reference_is_a_shape_error():
    report = assert_fails(
        "ch9.single_base_variants", lambda x: np.concatenate([x[None], variants_by_index(x)])
    )
    assert "shape" in report.problem


# ---- the project: beat the chapter's baseline on held-out cells
PBMC = importlib.util.find_spec("scanpy") is not None and importlib.util.find_spec("h5py")
needs_pbmc = pytest.mark.skipif(
    not PBMC, reason="scanpy's data file (requirements/nodeps.txt) and h5py are not installed"
)


@needs_pbmc
def test_project_split_is_stratified_disjoint_and_drawn_from_the_seed():
    X_train, y_train, X_test, y_test = cell_type_split(np.random.default_rng(0))
    assert X_train.shape == (280, 765) and X_test.shape == (420, 765)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    total = np.bincount(np.r_[y_train, y_test])
    np.testing.assert_array_equal(total, [192, 129, 95, 13, 31, 240])
    assert np.all(np.abs(np.bincount(y_test) - TEST_FRACTION * total) <= 1)  # every type 40/60
    train_rows = {row.tobytes() for row in X_train}
    assert not any(row.tobytes() in train_rows for row in X_test)  # no cell on both sides
    assert len(set(y_test[:20])) > 2  # shuffled, not sorted by type
    _, _, _, other = cell_type_split(np.random.default_rng(1))
    assert not np.array_equal(other, y_test)


@needs_pbmc
def test_project_the_chapters_unweighted_baseline_does_not_reach_the_goal():
    unweighted_lr = functools.partial(chapter_recipe, hidden=(), weighted=False)
    report = check_project("ch9.project", unweighted_lr)
    assert report.status == "failed" and report.points == 0, report.text()
    assert "held-out balanced accuracy" in report.problem and f"{GOAL:.2f}" in report.problem
    project = get_exercise("ch9.project")
    failed = 0
    for seed in range(5):  # hidden splits 10_000 + s, as the grader draws them (0.83-0.86)
        case = project.make_cases(np.random.default_rng(10_000 + seed))[0]
        failed += not project.measure(unweighted_lr(*case.args, **case.kwargs), case.answer).passed
    assert failed >= 4  # 35 of 50 fail (benchmarks/ch09_project_spread.py)


@needs_pbmc
def test_project_malformed_labels_are_feedback_not_crashes():
    n = len(project_data("ch9.project").answer)
    bad = [
        (lambda *a, seed: np.zeros(3, dtype=np.int64), "labels has shape (3,)"),
        (lambda *a, seed: np.zeros((n, 6)), "not 6 scores (take argmax(axis=1))"),
        (lambda *a, seed: np.full(n, np.nan), "labels has dtype float64 but must be"),
        (lambda *a, seed: np.full(n, 7), "must be the cell types 0-5"),
        (lambda *a, seed: ["T cell"] * n, "return integer labels 0-5"),
        (lambda *a, seed: None, "labels must be an array"),
        (lambda *a, seed: torch.zeros(n, dtype=torch.int64), "returned a torch.Tensor"),
    ]
    for fn, message in bad:
        report = check_project("ch9.project", fn)
        assert report.status == "failed" and report.points == 0, report.text()
        assert message in report.problem and "cannot be measured" in report.problem, message
    stand_in = Unsupported("Tensor", "torch")  # what the grader gets back for a tensor
    with pytest.raises(TypeError, match=r"returned a torch\.Tensor"):
        get_exercise("ch9.project").measure(stand_in, np.zeros(n, dtype=np.int64))
    report = check_project("ch9.project", lambda *a, seed: [0] * n)  # a list is fine
    assert report.status == "failed" and 1 / 6 - 1e-9 < report.measure.value < 1 / 6 + 1e-9
    assert "recall T 1.00, mono 0.00" in report.problem


@needs_pbmc
def test_project_example_solution_clears_the_goal_with_a_margin_on_more_hidden_splits():
    project = get_exercise("ch9.project")
    for seed in range(5, 8):  # test_project.py covers 0-4
        case = project.make_cases(np.random.default_rng(10_000 + seed))[0]
        labels = project.reference(*case.args, **case.kwargs)
        assert labels.shape == case.answer.shape and labels.dtype == np.int64
        measured = project.measure(labels, case.answer)
        assert measured.passed and measured.value >= GOAL + 0.03, (seed, measured.text)


@needs_pbmc
def test_project_the_chapters_example_solution_is_the_reference():
    """The notebook shows the example solution: it must label the cells as the package's."""
    import nbformat

    path = Path(__file__).resolve().parents[2] / "chapters" / "09_capstone" / "capstone.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    (source,) = [c.source for c in cells if "# BEGIN SOLUTION ch9.project" in c.source]
    namespace = {
        "np": np, "gd": gd, "ExpressionMLP": ExpressionMLP, "fit_classifier": fit_classifier,
        "predict_logits": predict_logits, "standardize": standardize,
        "class_weights": class_weights,
    }  # fmt: skip
    exec(source, namespace)  # defines classify_cells
    case = get_exercise("ch9.project").make_cases(np.random.default_rng(3))[0]
    np.testing.assert_array_equal(
        namespace["classify_cells"](*case.args, **case.kwargs),
        get_exercise("ch9.project").reference(*case.args, **case.kwargs),
    )


LOOKUP = '''
import numpy as np
import h5py
from genolearn.dna.pbmc import load_pbmc, pbmc_datafile

def classify_cells(X_train, y_train, X_test, seed):
    """Looks the held-out cells up in the file scanpy ships (what the grader flags)."""
    pbmc = load_pbmc()
    index = {row.tobytes(): label for row, label in zip(pbmc.X, pbmc.y)}
    return np.array([index[row.tobytes()] for row in X_test])

def open_the_file(X_train, y_train, X_test, seed):
    with h5py.File(pbmc_datafile(), "r") as f:
        f["obs"]["bulk_labels"][:1]
    return np.zeros(len(X_test), dtype=np.int64)
'''


@needs_pbmc
@pytest.mark.grading
def test_project_looking_the_labels_up_in_the_shipped_data_is_flagged(tmp_path):
    import nbformat
    from nbformat import v4

    from genolearn.grading import Call, Limits, run_submission

    project = get_exercise("ch9.project")
    assert {"genolearn.dna.pbmc", "h5py", "scanpy", "anndata"} <= set(project.forbid)
    path = tmp_path / "capstone.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(LOOKUP)]), path)
    cases = project.make_cases(np.random.default_rng(11))
    calls = [
        Call.from_exercise(project, cases),
        Call("t.file", "open_the_file", tuple(cases), project.forbid),
    ]
    result = run_submission(path, calls, limits=Limits(submission_timeout_s=120))
    lookup, opened = result.calls
    assert lookup.status == "forbidden_flag", lookup.reason
    assert "flagged for the instructor to review" in lookup.reason
    assert any("genolearn.dna.pbmc.load_pbmc" in f for f in lookup.forbidden), lookup.forbidden
    report = evaluate(project, cases, [c.to_outcome() for c in lookup.cases])
    assert report.measure.value == 1.0  # a perfect score: why the instructor must see it
    assert opened.status == "forbidden_flag" and any("h5py" in f for f in opened.forbidden)
