"""Tests for genolearn.nn.train: fit() learns, stops early, and is reproducible."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from genolearn.nn.layers import Linear, Module, ReLU, Sequential
from genolearn.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss
from genolearn.nn.metrics import accuracy, roc_auc
from genolearn.nn.optim import SGD, Adam
from genolearn.nn.train import History, fit, predict

matplotlib.use("Agg")

pytestmark = pytest.mark.ch04


def blobs(n=200, seed=0):
    """Two well-separated Gaussian blobs in 2-D: ``X: (N, 2)`` float32, ``y: (N,)`` int."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 2)) + 3 * (2 * y[:, None] - 1)
    return X.astype(np.float32), y


def mlp(seed=0):
    return Sequential(Linear(2, 8, seed=seed), ReLU(), Linear(8, 2, seed=seed + 1))


def test_loss_decreases_and_the_model_separates_the_blobs():
    X, y = blobs()
    model = mlp()
    history = fit(
        model,
        CrossEntropyLoss(),
        SGD(model.parameters(), lr=0.1, momentum=0.9),
        X,
        y,
        epochs=15,
        batch_size=32,
        seed=0,
        metrics={"accuracy": accuracy},
    )
    losses = history["train_loss"]
    assert len(losses) == 15 and history.epochs == 15
    assert losses[-1] < 0.5 * losses[0]
    assert losses[-1] < 0.05
    assert history["train_accuracy"][-1] == 1.0
    assert accuracy(y, predict(model, X)) == 1.0


def test_validation_history_and_metric_names():
    X, y = blobs(300)
    X_val, y_val = blobs(100, seed=1)
    model = mlp()
    metrics = {"accuracy": accuracy, "auc": lambda t, z: roc_auc(t, z[:, 1] - z[:, 0])}
    history = fit(
        model,
        CrossEntropyLoss(),
        Adam(model.parameters(), lr=0.01),
        X,
        y,
        epochs=4,
        batch_size=64,
        seed=1,
        X_val=X_val,
        y_val=y_val,
        metrics=metrics,
    )
    expected = {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "train_auc", "val_auc"}
    assert set(history) == expected
    assert all(len(v) == 4 for v in history.values())
    assert all(isinstance(v, float) for values in history.values() for v in values)
    assert history["val_auc"][-1] > 0.99
    assert history.best_epoch == int(np.argmin(history["val_loss"]))
    assert model.training  # fit leaves the model in training mode


def test_same_seed_same_history_and_weights():
    X, y = blobs()

    def run(seed):
        model = mlp()
        history = fit(
            model,
            CrossEntropyLoss(),
            SGD(model.parameters(), lr=0.05),
            X,
            y,
            epochs=3,
            batch_size=16,
            seed=seed,
        )
        return history["train_loss"], [p.data.copy() for p in model.parameters()]

    (loss_a, w_a), (loss_b, w_b), (loss_c, _) = run(5), run(5), run(6)
    assert loss_a == loss_b
    assert all(np.array_equal(a, b) for a, b in zip(w_a, w_b, strict=True))
    assert loss_a != loss_c  # a different shuffle


class _Memorizer(Module):
    """Training loss keeps falling while validation loss rises after epoch 1 (a tiny
    overfitting story): the output is a learned bias, the validation targets the opposite."""

    def __init__(self):
        super().__init__()
        self.layer = Linear(1, 1, seed=0, dtype=np.float64)

    def forward(self, x):
        return self.layer(x)

    def backward(self, grad_out, *, input_grad=True):
        return self.layer.backward(grad_out, input_grad=input_grad)


def test_early_stopping_stops_and_restores_the_best_weights():
    from genolearn.nn.losses import MSELoss

    X = np.ones((20, 1))
    y = np.full((20, 1), 5.0)  # training pulls the output towards 5
    X_val = np.ones((5, 1))
    y_val = np.full((5, 1), 0.5)  # validation prefers an output near 0.5: best early on
    model = _Memorizer()
    snapshots = []

    class Recorder(SGD):
        def step(self):
            super().step()
            snapshots.append([p.data.copy() for p in model.parameters()])

    opt = Recorder(model.parameters(), lr=0.02)
    history = fit(
        model,
        MSELoss(),
        opt,
        X,
        y,
        epochs=50,
        batch_size=20,
        seed=0,
        X_val=X_val,
        y_val=y_val,
        early_stopping_patience=3,
    )
    best = history.best_epoch
    assert history.stopped_early
    assert history.epochs == best + 1 + 3  # three epochs without improvement, then stop
    assert history["val_loss"][best] == min(history["val_loss"])
    # one step per epoch (batch = all 20 samples): the weights after epoch `best` are restored
    for p, w in zip(model.parameters(), snapshots[best], strict=True):
        assert np.array_equal(p.data, w)
    assert history["train_loss"][-1] < history["train_loss"][best]


def test_bce_with_logits_and_column_outputs():
    X, y = blobs(100)
    model = Sequential(Linear(2, 1, seed=0))
    y_col = y[:, None].astype(np.float32)  # (N, 1) to match the model's (N, 1) output
    history = fit(
        model,
        BCEWithLogitsLoss(),
        SGD(model.parameters(), lr=0.5),
        X,
        y_col,
        epochs=5,
        batch_size=25,
        seed=0,
    )
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_progress_bar_runs(capsys):
    X, y = blobs(40)
    model = mlp()
    history = fit(
        model,
        CrossEntropyLoss(),
        SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=2,
        batch_size=8,
        seed=0,
        progress=True,
    )
    assert history.epochs == 2
    assert "epoch" in capsys.readouterr().err


def test_divergence_is_reported_with_a_hint():
    X, y = blobs(64)
    model = mlp()
    with pytest.raises(FloatingPointError, match="learning rate is probably too high"):
        with np.errstate(all="ignore"):
            fit(
                model,
                CrossEntropyLoss(),
                SGD(model.parameters(), lr=1e30),
                X,
                y,
                epochs=3,
                batch_size=8,
                seed=0,
            )


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"early_stopping_patience": 2}, ValueError, "needs validation data"),
        ({"X_val": np.zeros((3, 2), np.float32)}, ValueError, "give both X_val and y_val"),
        ({"epochs": 0}, ValueError, "epochs must be >= 1"),
        ({"seed": None}, TypeError, "seed must be an int"),
        ({"metrics": {"acc": 0.5}}, TypeError, r"metrics\['acc'\] must be a function"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an integer"),
        ({"loss_fn": CrossEntropyLoss(reduction="none")}, TypeError, "reduction='mean'"),
    ],
)
def test_fit_argument_errors(kwargs, error, message):
    X, y = blobs(20)
    model = mlp()
    args = {"epochs": 1, "batch_size": 4, "seed": 0, **kwargs}
    loss_fn = args.pop("loss_fn", CrossEntropyLoss())
    with pytest.raises(error, match=message):
        fit(model, loss_fn, SGD(model.parameters(), lr=0.1), X, y, **args)


def test_fit_works_with_a_module_whose_backward_has_no_input_grad_option():
    class Plain(Module):
        def __init__(self):
            super().__init__()
            self.inner = mlp()

        def forward(self, x):
            return self.inner(x)

        def backward(self, grad_out):
            return self.inner.backward(grad_out)

    X, y = blobs(40)
    model = Plain()
    history = fit(
        model,
        CrossEntropyLoss(),
        SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=2,
        batch_size=8,
        seed=0,
    )
    assert history.epochs == 2


def test_history_is_a_dict_with_best_epoch_and_plot():
    h = History()
    assert h.best_epoch is None and h.epochs == 0
    for train, val in [(1.0, 0.9), (0.5, 0.4), (0.3, 0.6)]:
        h.append(train_loss=train, val_loss=val, val_accuracy=0.5)
    assert h["train_loss"] == [1.0, 0.5, 0.3] and h.best_epoch == 1
    assert isinstance(h, dict) and "val_loss" in h
    assert "History(epochs=3, best_epoch=1" in repr(h)
    ax = h.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["train_loss", "val_loss", "best epoch"]
    assert ax.get_xlabel() == "epoch"
    ax2 = h.plot(keys=["val_accuracy"])
    assert ax2.get_ylabel() == "value"
    with pytest.raises(KeyError, match="no 'auc' in this history"):
        h.plot(keys=["auc"])
    import matplotlib.pyplot as plt

    plt.close("all")


def test_predict_batches_and_restores_mode():
    model = mlp()
    X, _ = blobs(50)
    full = model(X)
    model.train()
    assert np.allclose(predict(model, X, batch_size=7), full)
    assert model.training
