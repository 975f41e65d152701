"""Tests for genolearn.deep.training, including the Chapter 5 quality bar for MotifCNN."""

import itertools

import numpy as np
import pytest
import torch

from genolearn.deep import (
    FNN,
    MotifCNN,
    SequenceRNN,
    SequenceTransformer,
    evaluate,
    predict,
    set_seed,
    train_model,
)
from genolearn.deep.training import History
from genolearn.dna.synthetic import synthetic_task

pytestmark = pytest.mark.ch05
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small():
    return synthetic_task("single_motif", n=200, length=60, seed=1)


def test_motif_cnn_reaches_98_percent_on_single_motif():
    """The quality bar: CTCF present vs absent in L = 200, 1,400 training sequences.

    Measured at about 2 s on one CPU thread (0.997-1.0 test accuracy).
    """
    data = synthetic_task("single_motif", n=2000, length=200, seed=0)
    train, val, test = data.split(seed=0)
    set_seed(0)
    model = MotifCNN(16, 19)
    history = train_model(
        model, train, val, epochs=12, batch_size=64, lr=3e-3, seed=0, device="cpu"
    )
    result = evaluate(model, test.x, test.y)
    assert result["accuracy"] >= 0.98, (result, history.val_accuracy)
    assert result["auroc"] >= 0.99
    assert history.wall_time > 0  # speed is measured in benchmarks/, not asserted here


def test_the_default_recipe_learns_a_motif_chapter_5_never_uses():
    """MotifCNN() with train_model's defaults, FOXA1 in L = 100: measured 0.987 (seed 3).

    benchmarks/recipes.py compares these defaults with a plain CNN on six such tasks.
    """
    data = synthetic_task("single_motif", n=1000, length=100, seed=3, motifs=["FOXA1"])
    train, val, test = data.split(seed=3)
    set_seed(3)
    model = MotifCNN()
    history = train_model(model, train, val, seed=3, device="cpu")
    assert len(history) == 20 and history.restored_epoch == history.best_epoch
    assert evaluate(model, test.x, test.y)["accuracy"] >= 0.95


def test_history_records_every_epoch(small):
    set_seed(0)
    history = train_model(MotifCNN(4, 9), small, small, epochs=3, seed=0, device="cpu")
    assert isinstance(history, History) and len(history) == 3
    for values in (
        history.train_loss,
        history.val_loss,
        history.train_accuracy,
        history.val_accuracy,
    ):
        assert len(values) == 3 and all(np.isfinite(values))
    assert all(0 <= a <= 1 for a in history.val_accuracy)
    assert history.wall_time >= sum(history.epoch_time) > 0


def test_without_validation_data_val_is_nan(small):
    set_seed(0)
    history = train_model(MotifCNN(4, 9), (small.x, small.y), epochs=1, seed=0, device="cpu")
    assert np.isnan(history.val_loss[0]) and np.isnan(history.val_accuracy[0])


def test_overfits_a_tiny_batch(small):
    tiny = small.subset(range(16))
    set_seed(0)
    model = MotifCNN(16, 9)
    history = train_model(model, tiny, epochs=150, batch_size=16, lr=1e-2, seed=0, device="cpu")
    assert history.train_loss[-1] < 0.05
    assert evaluate(model, tiny.x, tiny.y)["accuracy"] == 1.0


def _run(seed):
    data = synthetic_task("single_motif", n=120, length=40, seed=5)
    set_seed(seed)
    model = MotifCNN(4, 9, dropout=0.2)
    history = train_model(model, data, data, epochs=2, batch_size=16, seed=seed, device="cpu")
    return history, model


def test_same_seed_same_run():
    (h1, m1), (h2, m2), (h3, _) = _run(0), _run(0), _run(1)
    assert h1.train_loss == h2.train_loss and h1.val_accuracy == h2.val_accuracy
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(p1, p2, rtol=0, atol=0)
    assert h1.train_loss != h3.train_loss


@pytest.mark.parametrize(
    "make",
    [
        lambda: FNN(60),
        lambda: SequenceRNN("gru", 8, bidirectional=True),
        lambda: SequenceTransformer(8, 2, 1, max_len=60),
    ],
    ids=["fnn", "gru", "transformer"],
)
def test_every_model_trains_through_the_same_loop(small, make):
    set_seed(0)
    model = make()
    history = train_model(model, small, small, epochs=2, batch_size=50, seed=0, device="cpu")
    assert len(history) == 2 and np.isfinite(history.train_loss).all()


def test_multiclass_uses_cross_entropy(small):
    y = np.arange(len(small)) % 3
    set_seed(0)
    model = MotifCNN(4, 9, n_outputs=3)
    train_model(model, (small.x, y), epochs=1, seed=0, device="cpu")
    probs = predict(model, small.x)
    assert probs.shape == (200, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert set(evaluate(model, small.x, y)) == {"accuracy", "auroc"}


def test_predict_returns_probabilities_and_restores_mode(small):
    model = MotifCNN(4, 9).train()
    probs = predict(model, torch.as_tensor(small.x), batch_size=7)
    assert probs.shape == (200,) and np.all((probs > 0) & (probs < 1))
    assert model.training  # predict switched to eval and back


def test_evaluate_against_its_definition(small):
    """AUROC = P(random positive outscores random negative), ties 1/2; accuracy at p >= 0.5."""
    set_seed(0)
    model = MotifCNN(4, 9)
    probs = predict(model, small.x)
    pos, neg = probs[small.y == 1], probs[small.y == 0]
    pairs = [(p > q) + 0.5 * (p == q) for p, q in itertools.product(pos, neg)]
    result = evaluate(model, small.x, small.y)
    assert result["auroc"] == pytest.approx(np.mean(pairs))
    assert result["accuracy"] == pytest.approx(np.mean((probs >= 0.5) == small.y))
    with pytest.raises(ValueError, match="y_true has no negatives"):
        evaluate(model, small.x[:3], np.ones(3, dtype=int))


def test_errors(small):
    model = MotifCNN(4, 9)
    with pytest.raises(TypeError, match=r"train_data must be a pair \(x, y\) or a dataset"):
        train_model(model, small.x, seed=0)
    bad = np.zeros((32, 5, 100), dtype=np.float32)
    with pytest.raises(
        ValueError, match=r"train_data x has shape \(32, 5, 100\) but must be \(N, 4, L\)"
    ):
        train_model(model, (bad, np.zeros(32, int)), seed=0)
    with pytest.raises(ValueError, match=r"needs labels in \[0, 1\]"):
        train_model(model, (small.x, small.y + 1), seed=0, device="cpu")
    with pytest.raises(
        ValueError, match=r"train_data y has shape \(3,\) but must be \(N,\) with N = 200"
    ):
        train_model(model, (small.x, small.y[:3]), seed=0)
    with pytest.raises(ValueError, match=r"train_data y holds 0\.5, but labels must be class"):
        train_model(model, (small.x, np.full(200, 0.5)), seed=0)
    with pytest.raises(ValueError, match=r"val_data y holds nan"):
        train_model(model, small, (small.x, np.full(200, np.nan)), seed=0)
    with pytest.raises(TypeError, match="train_data y has dtype <U1 but must be numeric"):
        train_model(model, (small.x, np.array(["a"] * 200)), seed=0)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        train_model(model, small, small, patience=0, seed=0)
    with pytest.raises(TypeError, match="progress must be True, False or None, got 'yes'"):
        train_model(model, small, progress="yes", seed=0)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train_model(model, small, epochs=0, seed=0)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'seed'"):
        train_model(model, small)


def test_float_labels_train_exactly_like_integer_labels(small):
    """Binary float labels (0.0 / 1.0, e.g. from a pandas column) are the classes they spell."""
    runs = []
    for y in (small.y, small.y.astype(np.float32), small.y.astype(bool)):
        set_seed(0)
        model = MotifCNN(4, 9)
        runs.append(train_model(model, (small.x, y), epochs=2, seed=0, device="cpu"))
    assert runs[0].train_loss == runs[1].train_loss == runs[2].train_loss


def test_restore_best_keeps_the_epoch_of_lowest_validation_loss(small):
    train, val = small.subset(range(100)), small.subset(range(100, 200))
    set_seed(0)
    model = MotifCNN(8, 9)
    history = train_model(model, train, val, epochs=12, lr=3e-2, patience=None, seed=0)
    best = int(np.argmin(history.val_loss))
    assert history.restored_epoch == history.best_epoch == best
    probs = torch.as_tensor(predict(model, val.x), dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy(probs, torch.as_tensor(val.y).double())
    assert float(loss) == pytest.approx(history.val_loss[best], rel=1e-4)
    set_seed(0)
    last = train_model(
        MotifCNN(8, 9), train, val, epochs=12, lr=3e-2, patience=None, restore_best=False, seed=0
    )
    assert last.restored_epoch is None and last.val_loss == history.val_loss


def test_patience_stops_after_that_many_epochs_without_improvement(small):
    set_seed(0)
    history = train_model(MotifCNN(8, 9), small, small, epochs=60, lr=0.05, patience=2, seed=0)
    assert history.stopped_early and len(history) < 60
    assert len(history) - 1 - history.best_epoch == 2  # two epochs without a lower loss
    set_seed(0)
    no_val = train_model(MotifCNN(8, 9), small, epochs=4, patience=1, seed=0)
    assert len(no_val) == 4 and not no_val.stopped_early  # patience needs validation data


def test_progress_switch(monkeypatch, capsys, small):
    import genolearn.deep.training as training

    monkeypatch.setattr(training, "_PROGRESS_DELAY", 0.0)
    for env, shown in (("0", False), ("off", False), ("1", True), ("", True)):
        monkeypatch.setenv("GENOLEARN_PROGRESS", env)
        set_seed(0)
        train_model(MotifCNN(4, 9), small, epochs=2, seed=0, device="cpu")
        assert ("training" in capsys.readouterr().err) is shown, env
    monkeypatch.setenv("GENOLEARN_PROGRESS", "0")
    train_model(MotifCNN(4, 9), small, epochs=1, seed=0, progress=True)
    assert "training" in capsys.readouterr().err  # an explicit argument wins
    monkeypatch.setenv("GENOLEARN_PROGRESS", "maybe")
    with pytest.raises(ValueError, match="GENOLEARN_PROGRESS is 'maybe' but must be 0"):
        train_model(MotifCNN(4, 9), small, epochs=1, seed=0)


def test_history_plot_matches_the_numpy_side(small):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from genolearn.nn import History as NumpyHistory

    set_seed(0)
    history = train_model(MotifCNN(4, 9), small, small, epochs=3, seed=0, device="cpu")
    ax = history.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["train_loss", "val_loss", "best epoch"]
    assert list(ax.get_lines()[1].get_ydata()) == history.val_loss
    assert ax.get_lines()[2].get_xdata()[0] == history.best_epoch + 1
    reference = NumpyHistory()
    for t, v in zip(history.train_loss, history.val_loss, strict=True):
        reference.append(train_loss=t, val_loss=v)
    numpy_ax = reference.plot()
    assert [line.get_label() for line in numpy_ax.get_lines()] == labels
    assert ax.get_xlabel() == numpy_ax.get_xlabel() and ax.get_ylabel() == numpy_ax.get_ylabel()
    acc = history.plot(keys=["train_accuracy", "val_accuracy"])
    assert acc.get_ylabel() == "value" and len(acc.get_lines()) == 3
    with pytest.raises(KeyError, match="no 'accuracy' in this history"):
        history.plot(keys=["accuracy"])
    no_val = train_model(MotifCNN(4, 9), small, epochs=2, seed=0, device="cpu").plot()
    assert [line.get_label() for line in no_val.get_lines()] == ["train_loss", "best epoch"]
    plt.close("all")
