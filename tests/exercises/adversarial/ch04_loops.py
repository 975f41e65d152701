"""Chapter 4, minibatches and the training loop — wrong and correct answers (re-exported by
:mod:`tests.exercises.adversarial.ch04`; same layout as
:mod:`tests.exercises.adversarial.ch01`)."""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(444)


# --------------------------------------------------------------------------- make_minibatches


def _chunks(X, y, order, batch_size):
    return [
        (X[order[s : s + batch_size]], y[order[s : s + batch_size]])
        for s in range(0, len(X), batch_size)
    ]


def mb_pcg64(X, y, batch_size, seed):
    rng = np.random.Generator(np.random.PCG64(seed))  # same as default_rng for an int only
    return _chunks(X, y, rng.permutation(len(X)), batch_size)


def mb_y_unshuffled(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return [
        (X[order[s : s + batch_size]], y[s : s + batch_size]) for s in range(0, len(X), batch_size)
    ]


def mb_stop_short(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return [
        (X[order[s : s + batch_size]], y[order[s : s + batch_size]])
        for s in range(0, len(X) - 1, batch_size)
    ]  # the last start can be N - 1


def mb_two_lists(X, y, batch_size, seed):
    pairs = _chunks(X, y, np.random.default_rng(seed).permutation(len(X)), batch_size)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def mb_shuffle_in_place(X, y, batch_size, seed):
    np.random.default_rng(seed).shuffle(X)  # the caller's X is now shuffled
    np.random.default_rng(seed).shuffle(y)
    return [(X[s : s + batch_size], y[s : s + batch_size]) for s in range(0, len(X), batch_size)]


def mb_legacy_seed(X, y, batch_size, seed):
    np.random.seed(seed)  # noqa: NPY002 -- the legacy global RNG: another order
    return _chunks(X, y, np.random.permutation(len(X)), batch_size)  # noqa: NPY002


def mb_array_split(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    parts = np.array_split(order, -(-len(X) // batch_size))  # balanced, not batch_size each
    return [(X[idx], y[idx]) for idx in parts]


def mb_np_split(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return [(X[idx], y[idx]) for idx in np.split(order, range(batch_size, len(X), batch_size))]


def mb_while(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    order, start, out = rng.permutation(X.shape[0]), 0, []
    while start < len(order):
        idx = order[start : start + batch_size]
        out.append((X.take(idx, axis=0), y.take(idx)))
        start += batch_size
    return tuple(out)


# --------------------------------------------------------------------------- training loop


def _bce_mean(z, y):
    return float(np.mean(np.logaddexp(0.0, z) - z * y))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _train(
    X,
    y,
    lr,
    epochs,
    batch_size,
    seed,
    *,
    loss_fn=_bce_mean,
    record="weighted",
    reseed_by_epoch=False,
    sum_w=False,
    dtype=np.float64,
):
    rng = np.random.default_rng(seed)
    X, y = X.astype(dtype), y.astype(dtype)
    w, b = np.zeros(X.shape[1], dtype=dtype), dtype(0.0)
    losses = []
    for epoch in range(epochs):
        order = (np.random.default_rng(seed + epoch) if reseed_by_epoch else rng).permutation(
            len(X)
        )
        batch_losses, sizes = [], []
        for s in range(0, len(X), batch_size):
            xb, yb = X[order[s : s + batch_size]], y[order[s : s + batch_size]]
            z = xb @ w + b
            before = loss_fn(z, yb)
            dz = _sigmoid(z) - yb
            w = w - lr * (xb.T @ dz if sum_w else xb.T @ dz / len(yb))
            b = b - lr * dz.mean()
            after = loss_fn(xb @ w + b, yb)
            batch_losses.append(after if record == "after step" else before)
            sizes.append(len(yb))
        if record == "unweighted":
            losses.append(float(np.mean(batch_losses)))
        else:
            losses.append(float(np.dot(batch_losses, sizes) / len(X)))
    return w, float(b), np.array(losses)


def _naive_bce(z, y):
    s = 1 / (1 + np.exp(-z))
    return float(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)))


def tl_naive_bce(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, loss_fn=_naive_bce)


def tl_loss_after_step(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, record="after step")


def tl_unweighted(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, record="unweighted")


def tl_seed_plus_epoch(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, reseed_by_epoch=True)


def tl_w_summed(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, sum_w=True)


def tl_float16(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed, dtype=np.float16)


def tl_inline(X, y, lr, epochs, batch_size, seed):
    return _train(X, y, lr, epochs, batch_size, seed)


def tl_split(X, y, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    w, b, losses = np.zeros(X.shape[1]), 0.0, np.zeros(epochs)
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        for idx in np.split(order, range(batch_size, len(X), batch_size)):
            xb, yb = X[idx], y[idx]
            z = xb @ w + b
            losses[epoch] += np.sum(np.maximum(z, 0) - z * yb + np.log1p(np.exp(-np.abs(z))))
            dz = 0.5 * (1 + np.tanh(0.5 * z)) - yb
            w = w - lr * np.mean(xb.T * dz, axis=1)
            b = b - lr * np.mean(dz)
    return w, b, losses / len(X)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch4.make_minibatches": [
        (mb_pcg64, "Generator(PCG64(seed)): a Generator seed raises", None),
        (mb_y_unshuffled, "X shuffled, y taken in the original order", None),
        (mb_stop_short, "range(0, N - 1, batch_size) loses a last batch of one", None),
        (mb_two_lists, "returns (X batches, y batches) instead of pairs", None),
        (mb_shuffle_in_place, "rng.shuffle(X) shuffles the caller's X and y", "mutated input"),
        (mb_legacy_seed, "np.random.seed + np.random.permutation: another order", None),
        (mb_array_split, "np.array_split balances the batch sizes", None),
    ],
    "ch4.train_logistic_regression": [
        (tl_naive_bce, "loss from sigmoid probabilities: log(0) once |z| > 37", None),
        (tl_loss_after_step, "records each batch's loss after its step", None),
        (tl_unweighted, "epoch loss = mean of batch means (a short last batch counts fully)", None),
        (
            tl_seed_plus_epoch,
            "default_rng(seed + epoch) each epoch (a Generator seed raises)",
            None,
        ),
        (tl_w_summed, "dL/dw summed over the batch while dL/db is averaged", None),
        (tl_float16, "trains in float16", None),
    ],
}

CORRECT = {
    "ch4.make_minibatches": [mb_np_split, mb_while],
    "ch4.train_logistic_regression": [tl_inline, tl_split],
}

_X = _rng.normal(size=(9, 2))
_y = (_X @ np.array([1.0, -1.0]) > 0).astype(np.int64)
_big = np.array([[60.0, 1.0], [-55.0, 0.5], [48.0, -1.0], [-70.0, 0.0], [52.0, 2.0]])

WITNESSES = {
    "ch4.make_minibatches": [
        (_X, _y, 4, 7),
        (_X[:5], _y[:5], 1, 3),
        (_X, _y, 2, np.random.default_rng(5)),
    ],
    "ch4.train_logistic_regression": [
        (_X, _y, 0.5, 3, 4, 11),
        (_X, _y, 0.2, 2, 3, np.random.default_rng(12)),
        (_big, np.array([1, 0, 1, 0, 1]), 1.0, 3, 2, 13),
    ],
}
