"""Checks for Chapter 4 — training: MSE and cross-entropy with their gradients, one SGD and one
Adam step, a minibatch schedule, and a complete minibatch training loop.

Every exercise returns plain data (floats, arrays and tuples of them) so the sandboxed grader
can compare it; the minibatch exercise therefore returns the batches themselves rather than
an iterator.
"""

from __future__ import annotations

import numpy as np

from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.data import minibatches
from genolearn.nn.losses import cross_entropy, cross_entropy_grad, mse_loss, mse_loss_grad, softmax
from genolearn.nn.steps import adam_step, sgd_step, train_logistic_regression

__all__ = [
    "MSE_LOSS_AND_GRAD",
    "CROSS_ENTROPY_LOSS_AND_GRAD",
    "SGD_STEP",
    "ADAM_STEP",
    "MAKE_MINIBATCHES",
    "TRAIN_LOGISTIC_REGRESSION",
]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")

# --------------------------------------------------------------------------- MSE


def mse_loss_and_grad(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Reference: ``(mean((pred - target)^2), 2 (pred - target) / pred.size)``. ``(*)``."""
    return mse_loss(pred, target), mse_loss_grad(pred, target)


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.5, 2.0]), np.array([1.0, 1.0])), label="two predictions"),
        Case(
            (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])),
            label="perfect predictions: loss 0, gradient 0",
        ),
        Case(
            (
                np.array([[2.0, 5.5, 7.0], [1.0, 4.0, 6.5]]),
                np.array([[2.5, 5.0, 8.0], [0.0, 4.0, 6.0]]),
            ),
            label="log-expression of 3 genes in 2 samples, shape (2, 3)",
        ),
    ]
    for shape, dtype in [((7,), np.float64), ((6, 4), np.float64), ((5, 2), np.float32)]:
        pred = rng.normal(size=shape).astype(dtype)
        target = rng.normal(size=shape).astype(dtype)
        cases.append(Case((pred, target), label=f"random {shape}, {np.dtype(dtype).name}"))
    return cases


def _mse_no_two(pred, target):
    return mse_loss(pred, target), (pred - target) / pred.size


def _mse_grad_not_averaged(pred, target):
    return mse_loss(pred, target), 2 * (pred - target)


def _mse_sum(pred, target):
    return float(np.sum((pred - target) ** 2)), 2 * (pred - target)


def _mse_sign(pred, target):
    return mse_loss(pred, target), 2 * (target - pred) / pred.size


def _mse_rows(pred, target):
    n = pred.shape[0]
    return float(np.sum((pred - target) ** 2) / n), 2 * (pred - target) / n


MSE_LOSS_AND_GRAD = register(
    Exercise(
        id="ch4.mse_loss_and_grad",
        chapter=4,
        title="Mean squared error and its gradient",
        function="mse_loss_and_grad",
        points=2,
        reference=mse_loss_and_grad,
        make_cases=_mse_cases,
        rtol=1e-6,
        atol=1e-12,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "gradient without the 2",
                "the derivative of (p - y)^2 is 2 (p - y): the gradient is missing the factor 2.",
                _mse_no_two,
            ),
            Mistake(
                "gradient not averaged",
                "the loss is a mean over all values, so its gradient is divided by their count "
                "too: 2 (pred - target) / pred.size.",
                _mse_grad_not_averaged,
            ),
            Mistake(
                "sum instead of mean",
                "this is the summed squared error; take the mean (divide the loss and the "
                "gradient by the number of values), so the loss does not grow with the batch.",
                _mse_sum,
            ),
            Mistake(
                "gradient sign flipped",
                "the gradient points the wrong way: d/dp (p - y)^2 = +2 (p - y). Following it "
                "downhill must move pred towards target.",
                _mse_sign,
            ),
            Mistake(
                "mean over rows only",
                "you divided by the number of rows; the mean runs over every value "
                "(pred.size), so a (2, 3) array is divided by 6, not 2.",
                _mse_rows,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- cross-entropy


def cross_entropy_loss_and_grad(
    logits: np.ndarray, targets: np.ndarray
) -> tuple[float, np.ndarray]:
    """Reference: mean cross-entropy of ``logits: (N, C)`` against ``targets: (N,)`` and
    ``dL/dlogits = (softmax(logits) - onehot(targets)) / N``."""
    return cross_entropy(logits, targets), cross_entropy_grad(logits, targets)


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([[2.0, 1.0, 0.1]]), np.array([0])), label="one sample, 3 classes"),
        Case(
            (
                np.array([[1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0], [3.0, -2.0, 1.0, 0.5]]),
                np.array([1, 3, 2]),
            ),
            label="which base (A, C, G, T) is at the masked position? 3 samples",
        ),
        Case(
            (np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 5e3]]), np.array([2, 1])),
            label="logits up to 1e4: exp overflows without the max subtraction",
        ),
        Case(
            (
                np.array([[100.0, 90.0], [-100.0, 95.0], [0.0, 1.0]], dtype=np.float32),
                np.array([1, 1, 0]),
            ),
            label="float32 logits past exp's overflow at 88",
        ),
    ]
    for n, c in [(5, 3), (2, 6)]:
        z = rng.normal(scale=3.0, size=(n, c))
        cases.append(Case((z, rng.integers(0, c, size=n)), label=f"random ({n}, {c})"))
    z = rng.uniform(-1e4, 1e4, size=(4, 5))
    cases.append(Case((z, rng.integers(0, 5, size=4)), label="random logits in [-1e4, 1e4]"))
    return cases


def _onehot(targets, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    out[np.arange(shape[0]), targets] = 1
    return out


def _ce_naive(logits, targets):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        n = len(targets)
        loss = float(-np.mean(np.log(p[np.arange(n), targets])))
        return loss, (p - _onehot(targets, p.shape, p.dtype)) / n


def _ce_log_of_softmax(logits, targets):
    p = softmax(logits, axis=1)
    with np.errstate(divide="ignore"):
        loss = float(-np.mean(np.log(p[np.arange(len(targets)), targets])))
    return loss, cross_entropy_grad(logits, targets)


def _ce_grad_not_averaged(logits, targets):
    return cross_entropy(logits, targets), cross_entropy_grad(logits, targets, reduction="sum")


def _ce_sum(logits, targets):
    return (
        cross_entropy(logits, targets, reduction="sum"),
        cross_entropy_grad(logits, targets, reduction="sum"),
    )


def _ce_wrong_axis(logits, targets):
    p = softmax(logits, axis=0)  # (N, C) normalised over the batch: wrong
    n = len(targets)
    with np.errstate(divide="ignore"):
        loss = float(-np.mean(np.log(p[np.arange(n), targets])))
    return loss, (p - _onehot(targets, p.shape, p.dtype)) / n


def _ce_grad_sign(logits, targets):
    return cross_entropy(logits, targets), -cross_entropy_grad(logits, targets)


def _ce_no_onehot(logits, targets):
    return cross_entropy(logits, targets), softmax(logits, axis=1) / len(targets)


CROSS_ENTROPY_LOSS_AND_GRAD = register(
    Exercise(
        id="ch4.cross_entropy_loss_and_grad",
        chapter=4,
        title="Stable cross-entropy and its gradient",
        function="cross_entropy_loss_and_grad",
        points=3,
        reference=cross_entropy_loss_and_grad,
        make_cases=_ce_cases,
        rtol=1e-6,
        atol=1e-12,
        forbid=_FORBID,
        warnings_fail=True,
        mistakes=(
            Mistake(
                "no max subtraction",
                "exp(1e4) overflows to inf and inf / inf is nan: subtract each row's maximum "
                "from the logits before exponentiating (it cancels in the softmax).",
                _ce_naive,
            ),
            Mistake(
                "log of softmax",
                "log(softmax(z)) is -inf once a probability underflows to 0; compute the log "
                "directly: log p = z - max - log(sum(exp(z - max))) (log-sum-exp).",
                _ce_log_of_softmax,
            ),
            Mistake(
                "gradient not averaged",
                "the loss is the mean over the N samples, so the gradient is divided by N too: "
                "(softmax(z) - onehot) / N.",
                _ce_grad_not_averaged,
            ),
            Mistake(
                "sum instead of mean",
                "this is the summed loss; average over the batch (divide the loss and the "
                "gradient by N).",
                _ce_sum,
            ),
            Mistake(
                "softmax over the wrong axis",
                "the softmax normalises each sample's C class scores (axis=1, along a row), not "
                "each class over the batch (axis=0).",
                _ce_wrong_axis,
            ),
            Mistake(
                "gradient sign flipped",
                "the gradient is softmax(z) - onehot(targets), not onehot - softmax: the "
                "correct class's logit must go up when we step against the gradient.",
                _ce_grad_sign,
            ),
            Mistake(
                "one-hot not subtracted",
                "the gradient is softmax(z) - onehot(targets): subtract 1 at each sample's "
                "correct class.",
                _ce_no_onehot,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- SGD with momentum


def _sgd_reference(param, grad, velocity, lr, momentum):
    return sgd_step(param, grad, velocity, lr, momentum)


def _sgd_cases(rng: np.random.Generator) -> list[Case]:
    one = np.array([1.0])
    cases = [
        Case((one, one, np.zeros(1), 0.1, 0.9), label="first step: velocity starts at 0"),
        Case((np.array([0.9]), one, one, 0.1, 0.9), label="second step: velocity 1"),
        Case(
            (np.array([0.5, -1.0]), np.array([2.0, -4.0]), np.zeros(2), 0.05, 0.0),
            label="momentum 0: plain gradient descent",
        ),
    ]
    for shape, dtype in [((3, 4), np.float64), ((5,), np.float64), ((2, 3), np.float32)]:
        cases.append(
            Case(
                (
                    rng.normal(size=shape).astype(dtype),
                    rng.normal(size=shape).astype(dtype),
                    rng.normal(size=shape).astype(dtype),
                    float(rng.uniform(0.01, 0.5)),
                    float(rng.uniform(0.5, 0.99)),
                ),
                label=f"random {shape} weights, {np.dtype(dtype).name}, with velocity",
            )
        )
    return cases


def _sgd_lr_in_velocity(param, grad, velocity, lr, momentum):
    v = momentum * velocity + lr * grad
    return param - v, v


def _sgd_momentum_on_grad(param, grad, velocity, lr, momentum):
    v = velocity + momentum * grad
    return param - lr * v, v


def _sgd_dampened(param, grad, velocity, lr, momentum):
    v = momentum * velocity + (1 - momentum) * grad
    return param - lr * v, v


def _sgd_sign(param, grad, velocity, lr, momentum):
    v = momentum * velocity + grad
    return param + lr * v, v


def _sgd_old_velocity(param, grad, velocity, lr, momentum):
    return param - lr * velocity, momentum * velocity + grad


def _sgd_no_momentum(param, grad, velocity, lr, momentum):
    return param - lr * grad, grad.copy()


SGD_STEP = register(
    Exercise(
        id="ch4.sgd_step",
        chapter=4,
        title="One step of SGD with momentum",
        function="sgd_step",
        points=2,
        reference=_sgd_reference,
        make_cases=_sgd_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "lr inside the velocity",
                "this is the textbook form v = momentum v + lr g, p = p - v; here we use "
                "torch's convention: v = momentum v + g, then p = p - lr v.",
                _sgd_lr_in_velocity,
            ),
            Mistake(
                "momentum on the gradient",
                "momentum multiplies the old velocity, not the gradient: "
                "v = momentum * velocity + grad.",
                _sgd_momentum_on_grad,
            ),
            Mistake(
                "dampened velocity",
                "you averaged v = momentum v + (1 - momentum) g; torch's SGD adds the full "
                "gradient: v = momentum v + g.",
                _sgd_dampened,
            ),
            Mistake(
                "sign flipped",
                "the step goes uphill: descend with p = p - lr v.",
                _sgd_sign,
            ),
            Mistake(
                "step with the old velocity",
                "the step uses the velocity before this step's gradient was added; update v "
                "first, then p = p - lr * v with the new v.",
                _sgd_old_velocity,
            ),
            Mistake(
                "momentum ignored",
                "this is plain gradient descent: the velocity must carry the old velocity, "
                "v = momentum * velocity + grad.",
                _sgd_no_momentum,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- Adam


def _adam_reference(param, grad, m, v, t, lr, beta1, beta2, eps):
    return adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_state(rng, shape, steps, lr, beta1, beta2, eps, dtype=np.float64, scale=1.0):
    """Parameter, gradient and moments just before step ``steps + 1`` of a real run."""
    p = rng.normal(size=shape).astype(dtype)
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    for t in range(1, steps + 1):
        g = (scale * rng.normal(size=shape)).astype(dtype)
        p, m, v = adam_step(p, g, m, v, t, lr, beta1, beta2, eps)
    return p, (scale * rng.normal(size=shape)).astype(dtype), m, v


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    fixed = np.random.default_rng(20240)  # the fixed cases are the same for every student
    defaults = (0.9, 0.999, 1e-8)
    cases = [
        Case(
            (
                np.array([1.0, -2.0, 0.5]),
                np.array([0.5, -3.0, 1e-3]),
                np.zeros(3),
                np.zeros(3),
                1,
                0.1,
                *defaults,
            ),
            label="t = 1 from m = v = 0: every parameter moves by lr",
        ),
    ]
    for t, label in [(2, "t = 2, where the bias correction still matters"), (10, "t = 10")]:
        p, g, m, v = _adam_state(fixed, (4,), t - 1, 0.01, *defaults)
        cases.append(Case((p, g, m, v, t, 0.01, *defaults), label=label))
    p, g, m, v = _adam_state(fixed, (3,), 2, 1e-3, *defaults, scale=1e-4)
    cases.append(
        Case((p, g, m, v, 3, 1e-3, *defaults), label="tiny gradients (1e-4), where eps matters")
    )
    p, g, m, v = _adam_state(fixed, (2, 3), 4, 0.05, 0.8, 0.99, 1e-6, dtype=np.float32)
    cases.append(Case((p, g, m, v, 5, 0.05, 0.8, 0.99, 1e-6), label="betas (0.8, 0.99), float32"))
    for shape in [(3, 4), (6,)]:
        t = int(rng.integers(1, 30))
        lr = float(rng.uniform(1e-3, 0.1))
        p, g, m, v = _adam_state(rng, shape, t - 1, lr, *defaults)
        cases.append(Case((p, g, m, v, t, lr, *defaults), label=f"random {shape} at t = {t}"))
    return cases


def _adam_parts(param, grad, m, v, t, beta1, beta2):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return m, v, m / (1 - beta1**t), v / (1 - beta2**t)


def _adam_no_correction(param, grad, m, v, t, lr, beta1, beta2, eps):
    m, v, _, _ = _adam_parts(param, grad, m, v, t, beta1, beta2)
    return param - lr * m / (np.sqrt(v) + eps), m, v


def _adam_t_plus_one(param, grad, m, v, t, lr, beta1, beta2, eps):
    m, v, m_hat, v_hat = _adam_parts(param, grad, m, v, t + 1, beta1, beta2)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_eps_in_sqrt(param, grad, m, v, t, lr, beta1, beta2, eps):
    m, v, m_hat, v_hat = _adam_parts(param, grad, m, v, t, beta1, beta2)
    return param - lr * m_hat / np.sqrt(v_hat + eps), m, v


def _adam_beta2_for_m(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta2 * m + (1 - beta2) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta2**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_only_m_corrected(param, grad, m, v, t, lr, beta1, beta2, eps):
    m, v, m_hat, _ = _adam_parts(param, grad, m, v, t, beta1, beta2)
    return param - lr * m_hat / (np.sqrt(v) + eps), m, v


def _adam_sign(param, grad, m, v, t, lr, beta1, beta2, eps):
    m, v, m_hat, v_hat = _adam_parts(param, grad, m, v, t, beta1, beta2)
    return param + lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_returns_corrected(param, grad, m, v, t, lr, beta1, beta2, eps):
    _, _, m_hat, v_hat = _adam_parts(param, grad, m, v, t, beta1, beta2)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat


ADAM_STEP = register(
    Exercise(
        id="ch4.adam_step",
        chapter=4,
        title="One step of Adam, with bias correction",
        function="adam_step",
        points=3,
        reference=_adam_reference,
        make_cases=_adam_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no bias correction",
                "m and v start at 0 and are too small in the first steps: divide them by "
                "(1 - beta1**t) and (1 - beta2**t) before taking the step.",
                _adam_no_correction,
            ),
            Mistake(
                "bias correction with t + 1",
                "the bias correction is off by one step: t is already the number of this step "
                "(1 for the first), so use 1 - beta**t as given; do not add 1.",
                _adam_t_plus_one,
            ),
            Mistake(
                "eps inside the square root",
                "eps goes outside the square root: sqrt(v_hat) + eps. With tiny gradients "
                "sqrt(v_hat + eps) is a very different number.",
                _adam_eps_in_sqrt,
            ),
            Mistake(
                "beta2 used for m",
                "the running mean of gradients m uses beta1; beta2 is for the squared gradients v.",
                _adam_beta2_for_m,
            ),
            Mistake(
                "only m bias-corrected",
                "v needs its bias correction too: v_hat = v / (1 - beta2**t).",
                _adam_only_m_corrected,
            ),
            Mistake(
                "sign flipped",
                "the step goes uphill: param - lr * m_hat / (sqrt(v_hat) + eps).",
                _adam_sign,
            ),
            Mistake(
                "bias-corrected moments returned",
                "return the raw running means m and v as the new state; m_hat and v_hat are "
                "only used to compute this step (correcting the state would correct it again "
                "next step).",
                _adam_returns_corrected,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- minibatches


def make_minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, seed: int | np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Reference: one epoch's ``(X_batch, y_batch)`` pairs, in the order of
    ``np.random.default_rng(seed).permutation(len(X))``; the last batch may be smaller."""
    return tuple(minibatches(X, y, batch_size, shuffle=True, seed=seed))


def _batch_cases(rng: np.random.Generator) -> list[Case]:
    x10 = np.arange(20, dtype=np.float64).reshape(10, 2)
    y10 = np.arange(10) % 2
    onehot = np.eye(4, dtype=np.float32)[np.arange(6 * 8).reshape(6, 8) % 4].transpose(0, 2, 1)
    cases = [
        Case((x10, y10, 4, 0), label="N = 10, batch size 4: the last batch has 2"),
        Case((x10[:8], y10[:8], 4, 1), label="N = 8, batch size 4: two full batches"),
        Case((x10[:5], y10[:5], 8, 2), label="batch size larger than N: one batch"),
        Case((x10[:4], y10[:4], 1, 3), label="batch size 1"),
        Case((onehot, np.array([0, 1, 1, 0, 1, 0]), 4, 4), label="one-hot DNA (6, 4, 8) float32"),
    ]
    for _ in range(2):
        n = int(rng.integers(7, 30))
        bs = int(rng.integers(2, 8))
        x = rng.normal(size=(n, 3))
        cases.append(
            Case(
                (x, rng.integers(0, 2, size=n), bs, int(rng.integers(0, 2**31))),
                label=f"random N = {n}, batch size {bs}",
            )
        )
    return cases


def _batches_drop_last(X, y, batch_size, seed):
    return tuple(minibatches(X, y, batch_size, shuffle=True, seed=seed, drop_last=True))


def _batches_no_shuffle(X, y, batch_size, seed):
    return tuple(minibatches(X, y, batch_size, shuffle=False))


def _batches_overlapping(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    n_batches = -(-len(X) // batch_size)
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]]) for i in range(n_batches)
    )


def _batches_with_replacement(X, y, batch_size, seed):
    order = np.random.default_rng(seed).integers(0, len(X), size=len(X))
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    )


def _batches_misaligned(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    ox, oy = rng.permutation(len(X)), rng.permutation(len(X))
    return tuple(
        (X[ox[i : i + batch_size]], y[oy[i : i + batch_size]]) for i in range(0, len(X), batch_size)
    )


def _batches_extra_empty(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (
            X[order[i * batch_size : (i + 1) * batch_size]],
            y[order[i * batch_size : (i + 1) * batch_size]],
        )
        for i in range(len(X) // batch_size + 1)
    )


MAKE_MINIBATCHES = register(
    Exercise(
        id="ch4.make_minibatches",
        chapter=4,
        title="One epoch of shuffled minibatches",
        function="make_minibatches",
        points=2,
        reference=make_minibatches,
        make_cases=_batch_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "last partial batch dropped",
                "the last, smaller batch is missing: every sample must appear once per epoch, "
                "so keep the remainder as a final batch.",
                _batches_drop_last,
            ),
            Mistake(
                "no shuffling",
                "the batches are in the original order: shuffle first with "
                "order = np.random.default_rng(seed).permutation(len(X)).",
                _batches_no_shuffle,
            ),
            Mistake(
                "overlapping batches",
                "consecutive batches overlap: batch i starts at i * batch_size, not at i.",
                _batches_overlapping,
            ),
            Mistake(
                "sampled with replacement",
                "some samples appear twice and others never: use a permutation "
                "(rng.permutation(len(X))), not random integers.",
                _batches_with_replacement,
            ),
            Mistake(
                "X and y shuffled separately",
                "X and y were shuffled with different permutations, so each sequence lost its "
                "label: index both with the same order.",
                _batches_misaligned,
            ),
            Mistake(
                "extra empty batch",
                "when batch_size divides N there is one empty batch too many at the end: make "
                "ceil(N / batch_size) batches, e.g. range(0, N, batch_size).",
                _batches_extra_empty,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- training loop


def _train_cases(rng: np.random.Generator) -> list[Case]:
    # Two features per sequence: motif count and GC fraction (centred), labels from the
    # Chapter 1 promoter rule, two of them flipped so the data are not separable.
    X = np.array(
        [[0, 0.1], [1, -0.1], [2, 0.05], [0, -0.15], [3, 0.2], [1, 0.12], [0, 0.0], [2, -0.2]]
    )
    y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    cases = [
        Case((X, y, 0.5, 3, 3, 0), label="8 sequences, batch size 3, 3 epochs"),
        Case((X, y, 0.1, 2, 1, 1), label="batch size 1: one update per sample"),
        Case((X[:6], y[:6], 1.0, 4, 6, 2), label="batch size N: full-batch gradient descent"),
    ]
    for _ in range(2):
        n, d = int(rng.integers(15, 40)), int(rng.integers(2, 6))
        x = rng.normal(size=(n, d))
        labels = (x @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
        bs = int(rng.integers(3, 9))
        cases.append(
            Case(
                (
                    x,
                    labels,
                    float(rng.uniform(0.05, 0.5)),
                    int(rng.integers(3, 6)),
                    bs,
                    int(rng.integers(0, 2**31)),
                ),
                label=f"random N = {n}, D = {d}, batch size {bs}",
            )
        )
    return cases


def _bce(z, y):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _loop(
    X,
    y,
    lr,
    epochs,
    batch_size,
    seed,
    *,
    average=True,
    bias=True,
    reseed=False,
    sign=1.0,
    record="mean",
):
    """The reference loop with one switch per catalogued mistake."""
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(epochs):
        total, last = 0.0, 0.0
        for xb, yb in minibatches(X, y, batch_size, seed=seed if reseed else rng):
            z = xb @ w + b
            last = _bce(z, yb)
            total += last * len(xb)
            dz = sigmoid(z) - yb
            if average:
                dz = dz / len(xb)
            w = w - sign * lr * (xb.T @ dz)
            if bias:
                b = b - sign * lr * float(dz.sum())
        losses.append({"mean": total / len(X), "last": last, "after": _bce(X @ w + b, y)}[record])
    return w, float(b), np.array(losses)


def _train_full_batch(X, y, lr, epochs, batch_size, seed):
    return _loop(X, y, lr, epochs, len(X), seed)


TRAIN_LOGISTIC_REGRESSION = register(
    Exercise(
        id="ch4.train_logistic_regression",
        chapter=4,
        title="A minibatch training loop",
        function="train_logistic_regression",
        points=3,
        reference=train_logistic_regression,
        make_cases=_train_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "gradient summed, not averaged",
                "the loss is the batch mean, so dL/dz = (sigmoid(z) - y) / B; without the / B "
                "the step grows with the batch size.",
                lambda *a: _loop(*a, average=False),
            ),
            Mistake(
                "one update per epoch",
                "you took one full-batch step per epoch; take one step per minibatch "
                "(ceil(N / batch_size) steps per epoch).",
                _train_full_batch,
            ),
            Mistake(
                "bias not learned",
                "the bias stayed 0: update b with dL/db = sum(dL/dz) as well.",
                lambda *a: _loop(*a, bias=False),
            ),
            Mistake(
                "same order every epoch",
                "every epoch replays the same batches: make rng = np.random.default_rng(seed) "
                "once and pass rng (not seed) to make_minibatches each epoch.",
                lambda *a: _loop(*a, reseed=True),
            ),
            Mistake(
                "gradient ascent",
                "the weights move uphill: subtract lr times the gradient.",
                lambda *a: _loop(*a, sign=-1.0),
            ),
            Mistake(
                "loss of the last batch",
                "the epoch's loss is the average of all its batch losses (weighted by batch "
                "size), not the last batch's loss.",
                lambda *a: _loop(*a, record="last"),
            ),
            Mistake(
                "loss measured after the epoch",
                "record the batch losses computed during the epoch (before each step), "
                "averaged over the samples, not the loss of the final weights on all data.",
                lambda *a: _loop(*a, record="after"),
            ),
        ),
    )
)
