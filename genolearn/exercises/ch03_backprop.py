"""Checks for Chapter 3 — backpropagation: the local backward of an activation, a dense layer
and softmax + cross-entropy, a central-difference gradient and the relative error that compares
an analytic gradient with a numerical one."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.backprop import (
    dense_backward,
    numerical_gradient_logistic,
    relative_error,
    relu_backward,
    sigmoid_backward,
    softmax_cross_entropy_backward,
)

__all__ = [
    "SIGMOID_BACKWARD",
    "RELU_BACKWARD",
    "DENSE_BACKWARD",
    "SOFTMAX_CROSS_ENTROPY_BACKWARD",
    "NUMERICAL_GRADIENT_LOGISTIC",
    "RELATIVE_ERROR",
]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "jax")

# --------------------------------------------------------------------------- sigmoid backward


def _sigmoid_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.0]), np.array([1.0])), label="z = 0, upstream gradient 1"),
        Case(
            (np.array([-2.0, 0.5, 3.0]), np.array([0.5, -2.0, 4.0])),
            label="a few values with different upstream gradients",
        ),
        Case(
            (np.array([-40.0, -10.0, 10.0, 40.0]), np.array([1.0, 1.0, 1.0, 1.0])),
            label="saturated: |z| up to 40",
        ),
    ]
    for shape, dtype in [((4, 3), np.float64), ((2, 3, 2), np.float64), ((6,), np.float32)]:
        z = rng.normal(scale=2.0, size=shape).astype(dtype)
        g = rng.normal(size=shape).astype(dtype)
        cases.append(Case((z, g), label=f"random {shape} {np.dtype(dtype).name}"))
    return cases


SIGMOID_BACKWARD = register(
    Exercise(
        id="ch3.sigmoid_backward",
        chapter=3,
        title="Backward through a sigmoid",
        function="sigmoid_backward",
        points=1,
        reference=sigmoid_backward,
        make_cases=_sigmoid_backward_cases,
        rtol=1e-7,
        atol=1e-12,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "z(1-z)",
                "you used z (1 - z): the local derivative is s (1 - s) with s = sigmoid(z), "
                "the node's output, not its input z.",
                lambda z, g: g * z * (1 - z),
            ),
            Mistake(
                "grad_out ignored",
                "this is the local derivative s (1 - s) alone: multiply it by grad_out, the "
                "error arriving from above (chain rule: upstream times local).",
                lambda z, g: sigmoid(z) * (1 - sigmoid(z)),
            ),
            Mistake(
                "sigmoid instead of its derivative",
                "you multiplied grad_out by sigmoid(z); the local derivative is "
                "sigmoid(z) (1 - sigmoid(z)).",
                lambda z, g: g * sigmoid(z),
            ),
            Mistake(
                "added instead of multiplied",
                "the chain rule multiplies: grad_out * s (1 - s), not grad_out + s (1 - s).",
                lambda z, g: g + sigmoid(z) * (1 - sigmoid(z)),
            ),
            Mistake(
                "tanh's derivative",
                "1 - s² is tanh's derivative; the sigmoid's is s (1 - s).",
                lambda z, g: g * (1 - sigmoid(z) ** 2),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- relu backward


def _relu_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([-2.0, -0.5, 0.5, 2.0]), np.array([3.0, -1.0, 2.0, -4.0])),
            label="two negative and two positive z",
        ),
        Case(
            (np.array([-1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0])),
            label="z exactly 0: ReLU'(0) = 0 by convention (as in torch)",
        ),
        Case(
            (np.array([[1.5, -1.5], [0.25, -3.0]]), np.array([[-2.0, 5.0], [-1.0, 0.5]])),
            label="negative upstream gradients where z > 0",
        ),
    ]
    for shape, dtype in [((5, 4), np.float64), ((3, 2, 4), np.float64), ((7,), np.float32)]:
        z = rng.normal(size=shape).astype(dtype)
        g = rng.normal(size=shape).astype(dtype)
        cases.append(Case((z, g), label=f"random {shape} {np.dtype(dtype).name}"))
    return cases


RELU_BACKWARD = register(
    Exercise(
        id="ch3.relu_backward",
        chapter=3,
        title="Backward through a ReLU",
        function="relu_backward",
        points=1,
        reference=relu_backward,
        make_cases=_relu_backward_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "relu(z) instead of its derivative",
                "you multiplied grad_out by relu(z) = max(0, z); the local derivative is 1 "
                "where z > 0 and 0 elsewhere.",
                lambda z, g: g * np.maximum(z, 0),
            ),
            Mistake(
                "grad_out ignored",
                "this is the local derivative (1 where z > 0) alone: multiply it by grad_out "
                "(chain rule: upstream times local).",
                lambda z, g: (z > 0).astype(z.dtype),
            ),
            Mistake(
                "gradient passed everywhere",
                "the gradient went through where z < 0 too: ReLU is flat there (output 0 "
                "whatever z), so dL/dz = 0 where z < 0.",
                lambda z, g: g.copy(),
            ),
            Mistake(
                "mask from grad_out",
                "you kept the positive entries of grad_out; the mask comes from the forward "
                "input: dL/dz = grad_out where z > 0.",
                lambda z, g: np.where(g > 0, g, 0.0).astype(g.dtype),
            ),
            Mistake(
                "ReLU'(0) = 1",
                "at z = 0 exactly, use a derivative of 0 (mask z > 0, not z >= 0), as torch does.",
                lambda z, g: g * (z >= 0),
            ),
        ),
    )
)

# --------------------------------------------------------------------------- dense backward


def _dense_cases(rng: np.random.Generator) -> list[Case]:
    x0 = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])  # (2, 3)
    w0 = np.array([[0.5, -1.0, 0.0], [2.0, 0.25, 1.0], [-0.5, 1.5, 3.0]])  # (3, 3), not symmetric
    g0 = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])  # (2, 3)
    cases = [
        Case((x0, w0, g0), label="N = 2, D = H = 3 by hand"),
        Case(
            (np.array([[1.0, 2.0]]), np.array([[1.0], [-1.0]]), np.array([[3.0]])),
            label="one example, one output: N = 1, D = 2, H = 1",
        ),
    ]
    for n, d, h, dtype in [(5, 4, 3, np.float64), (8, 6, 2, np.float64), (6, 3, 5, np.float32)]:
        x = rng.normal(size=(n, d)).astype(dtype)
        w = rng.normal(size=(d, h)).astype(dtype)
        g = rng.normal(size=(n, h)).astype(dtype)
        cases.append(
            Case((x, w, g), label=f"random N = {n}, D = {d}, H = {h}, {np.dtype(dtype).name}")
        )
    # A one-hot DNA window (flattened (4, L) -> 4 L features) into 3 hidden units.
    bases = rng.integers(0, 4, size=(4, 6))  # (N, L)
    onehot = np.zeros((4, 4, 6))
    np.put_along_axis(onehot, bases[:, None, :], 1.0, axis=1)  # (N, 4, L)
    cases.append(
        Case(
            (onehot.reshape(4, 24), rng.normal(size=(24, 3)), rng.normal(size=(4, 3))),
            label="one-hot DNA, N = 4 windows of L = 6 flattened to D = 24, H = 3",
        )
    )
    return cases


def _dense_dw_transposed(x, W, g):
    return g @ W.T, g.T @ x, g.sum(axis=0)


def _dense_db_not_summed(x, W, g):
    return g @ W.T, x.T @ g, g.copy()


def _dense_db_averaged(x, W, g):
    return g @ W.T, x.T @ g, g.mean(axis=0)


def _dense_divided_by_n(x, W, g):
    n = x.shape[0]
    return g @ W.T, x.T @ g / n, g.sum(axis=0) / n


def _dense_dx_uses_w(x, W, g):
    return g @ W, x.T @ g, g.sum(axis=0)


def _dense_dx_uses_x(x, W, g):
    return x.copy(), x.T @ g, g.sum(axis=0)


DENSE_BACKWARD = register(
    Exercise(
        id="ch3.dense_backward",
        chapter=3,
        title="Backward through a dense layer",
        function="dense_backward",
        points=3,
        reference=dense_backward,
        make_cases=_dense_cases,
        rtol=1e-7,
        atol=1e-10,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "dW transposed",
                "dW came out as grad_out.T @ x, of shape (H, D); W has shape (D, H), and its "
                "gradient must too: dW = x.T @ grad_out.",
                _dense_dw_transposed,
            ),
            Mistake(
                "db not summed over the batch",
                "db kept one row per example; the same bias is used by all N examples, so its "
                "gradients add up: db = grad_out.sum(axis=0), shape (H,).",
                _dense_db_not_summed,
            ),
            Mistake(
                "db averaged",
                "db is the SUM of grad_out over the batch, not the mean: if the loss is a mean, "
                "its 1/N is already inside grad_out.",
                _dense_db_averaged,
            ),
            Mistake(
                "dW and db divided by N",
                "dW and db are N times too small: do not divide by N here — the loss's 1/N is "
                "already inside grad_out, and dividing again counts it twice.",
                _dense_divided_by_n,
            ),
            Mistake(
                "W used where W.T is needed",
                "looks like W was used where W.T is needed: dx = grad_out @ W.T, (N, H) @ "
                "(H, D) -> (N, D).",
                _dense_dx_uses_w,
            ),
            Mistake(
                "x returned as dx",
                "dx is not x: it is the error sent back to the layer below, grad_out @ W.T.",
                _dense_dx_uses_x,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- softmax + CE


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]), np.array([0, 1])),
            label="N = 2 examples, C = 3 classes",
        ),
        Case((np.array([[0.5, -0.5]]), np.array([1])), label="one example, two classes"),
        Case(
            (np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]), np.array([2, 0, 1])),
            label="N = C = 3",
        ),
        Case(
            (np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]]), np.array([0, 2])),
            label="logits of +-1000: subtract each row's maximum before exp",
        ),
    ]
    for n, c, dtype in [(6, 4, np.float64), (10, 2, np.float64), (5, 3, np.float32)]:
        logits = rng.normal(scale=3.0, size=(n, c)).astype(dtype)
        targets = rng.integers(0, c, size=n).astype(np.int64)
        cases.append(
            Case((logits, targets), label=f"random N = {n}, C = {c}, {np.dtype(dtype).name}")
        )
    # Four nucleotide classes: predict the base at the centre of a window.
    cases.append(
        Case(
            (rng.normal(scale=2.0, size=(8, 4)), rng.integers(0, 4, size=8).astype(np.int64)),
            label="C = 4 classes A, C, G, T; N = 8",
        )
    )
    return cases


def _softmax(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _onehot(targets, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    out[np.arange(shape[0]), targets] = 1
    return out


def _ce_sum(logits, targets):
    return _softmax(logits) - _onehot(targets, logits.shape, logits.dtype)


def _ce_wrong_axis(logits, targets):
    n = logits.shape[0]
    return (_softmax(logits, axis=0) - _onehot(targets, logits.shape, logits.dtype)) / n


def _ce_no_onehot(logits, targets):
    return _softmax(logits) / logits.shape[0]


def _ce_sign(logits, targets):
    n = logits.shape[0]
    return (_onehot(targets, logits.shape, logits.dtype) - _softmax(logits)) / n


def _ce_unstable(logits, targets):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
    return (p - _onehot(targets, logits.shape, logits.dtype)) / logits.shape[0]


def _ce_minus_one_everywhere(logits, targets):
    return (_softmax(logits) - 1) / logits.shape[0]


SOFTMAX_CROSS_ENTROPY_BACKWARD = register(
    Exercise(
        id="ch3.softmax_cross_entropy_backward",
        chapter=3,
        title="Backward through softmax and cross-entropy",
        function="softmax_cross_entropy_backward",
        points=2,
        reference=softmax_cross_entropy_backward,
        make_cases=_ce_cases,
        rtol=1e-7,
        atol=1e-12,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "missing 1/N",
                "your gradient is N times too large: the loss is the MEAN over the batch, so "
                "divide softmax - onehot by N.",
                _ce_sum,
            ),
            Mistake(
                "softmax over the wrong axis",
                "the softmax was taken over axis 0 (the examples); each example's probabilities "
                "sum to 1 over the classes, axis=1.",
                _ce_wrong_axis,
            ),
            Mistake(
                "one-hot not subtracted",
                "this is softmax / N alone: subtract 1 at each example's true class "
                "(softmax - onehot(targets)) / N.",
                _ce_no_onehot,
            ),
            Mistake(
                "sign flipped",
                "the sign is flipped: dL/dlogits = (softmax - onehot) / N; your version would "
                "make gradient descent push the true class down.",
                _ce_sign,
            ),
            Mistake(
                "softmax without subtracting the max",
                "exp(1000) overflows to inf and inf / inf is nan: subtract each row's maximum "
                "from the logits before exp (the softmax does not change).",
                _ce_unstable,
            ),
            Mistake(
                "1 subtracted from every class",
                "subtract 1 only at the true class of each example (the one-hot), not from "
                "every entry.",
                _ce_minus_one_everywhere,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- numerical gradient


def _numgrad_cases(rng: np.random.Generator) -> list[Case]:
    x0 = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]])  # (3, 2)
    cases = [
        Case((np.array([0.5, -0.5]), x0, np.array([1, 0, 1]), 1e-5), label="N = 3, D = 2"),
        Case(
            (np.array([0.5, -0.5]), x0, np.array([1, 0, 1]), 0.5),
            label="same, with a large eps = 0.5 (the curvature shows)",
        ),
        Case(
            (np.array([0.2, -0.1, 0.3]), np.array([[1.0, 2.0, 0.0]]), np.array([0]), 1e-4),
            label="one example, D = 3",
        ),
    ]
    for n, d, eps in [(6, 4, 1e-5), (10, 3, 1e-3), (5, 5, 0.1)]:
        # Features like k-mer counts (0-3), weights small: |z| stays below about 10.
        X = rng.integers(0, 4, size=(n, d)).astype(np.float64)
        w = rng.normal(scale=0.5, size=d)
        y = rng.integers(0, 2, size=n).astype(np.int64)
        cases.append(Case((w, X, y, eps), label=f"k-mer counts, N = {n}, D = {d}, eps = {eps:g}"))
    return cases


def _loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def _numgrad_forward(w, X, y, eps):
    base = _loss(w, X, y)
    grad = np.zeros(len(w))
    for i in range(len(w)):
        wp = w.copy()
        wp[i] += eps
        grad[i] = (_loss(wp, X, y) - base) / eps
    return grad


def _numgrad_eps_not_doubled(w, X, y, eps):
    return 2 * numerical_gradient_logistic(w, X, y, eps)


def _numgrad_all_at_once(w, X, y, eps):
    value = (_loss(w + eps, X, y) - _loss(w - eps, X, y)) / (2 * eps)
    return np.full(len(w), value)


def _numgrad_not_restored(w, X, y, eps):
    w = w.copy()
    grad = np.zeros(len(w))
    for i in range(len(w)):
        w[i] += eps
        f_plus = _loss(w, X, y)
        w[i] -= 2 * eps
        f_minus = _loss(w, X, y)  # w[i] is left at old - eps for the next coordinates
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _numgrad_sum(w, X, y, eps):
    return len(y) * numerical_gradient_logistic(w, X, y, eps)


def _numgrad_squared_error(w, X, y, eps):
    def mse(v):
        return np.mean((sigmoid(X @ v) - y) ** 2)

    grad = np.zeros(len(w))
    for i in range(len(w)):
        wp, wm = w.copy(), w.copy()
        wp[i] += eps
        wm[i] -= eps
        grad[i] = (mse(wp) - mse(wm)) / (2 * eps)
    return grad


NUMERICAL_GRADIENT_LOGISTIC = register(
    Exercise(
        id="ch3.numerical_gradient_logistic",
        chapter=3,
        title="A central-difference gradient",
        function="numerical_gradient_logistic",
        points=2,
        reference=numerical_gradient_logistic,
        make_cases=_numgrad_cases,
        rtol=1e-6,
        atol=1e-8,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "forward difference",
                "this is the one-sided (forward) difference (L(w + eps e_i) - L(w)) / eps; use "
                "the central difference (L(w + eps e_i) - L(w - eps e_i)) / (2 eps), whose "
                "error shrinks like eps² instead of eps.",
                _numgrad_forward,
            ),
            Mistake(
                "divided by eps, not 2 eps",
                "your gradient is twice too large: w + eps and w - eps are 2 eps apart, so "
                "divide the difference by 2 eps.",
                _numgrad_eps_not_doubled,
            ),
            Mistake(
                "all weights perturbed at once",
                "every entry came out the same: you moved all weights together. Perturb one "
                "weight at a time (w[i] +- eps), keeping the others fixed.",
                _numgrad_all_at_once,
            ),
            Mistake(
                "w[i] not restored",
                "after perturbing w[i], put it back to its original value before moving on to "
                "w[i + 1]; otherwise the later entries are measured at a shifted w.",
                _numgrad_not_restored,
            ),
            Mistake(
                "loss summed instead of averaged",
                "your gradient is N times too large: the loss is the MEAN over the N examples.",
                _numgrad_sum,
            ),
            Mistake(
                "squared error instead of cross-entropy",
                "this is the gradient of the squared error (sigmoid(z) - y)²; the exercise's "
                "loss is the cross-entropy mean(log(1 + exp(z)) - y z).",
                _numgrad_squared_error,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- relative error


def _relerr_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (np.array([1.0, -2.0, 0.5]), np.array([1.0, -2.0, 0.5])),
            label="identical gradients: error 0",
        ),
        Case(
            (np.array([2.0, 0.01, -3.0]), np.array([2.002, 0.0102, -3.0])),
            label="a tiny entry that is 2 % off",
        ),
        Case(
            (np.array([0.0, 1.0, -1.0]), np.array([0.0, 1.1, -1.0])),
            label="a dead unit: both gradients exactly 0 in one entry",
        ),
        Case(
            (np.array([[1e-4, 2e-4], [3e-4, -1e-4]]), np.array([[1.1e-4, 2e-4], [3e-4, -2e-4]])),
            label="small gradients, shape (2, 2)",
        ),
        Case((np.array([100.0, -50.0]), np.array([100.5, -50.0])), label="large gradients"),
        Case(
            (np.array([1.0, -1.0, 2.0]), np.array([-1.0, 1.0, 1.0])),
            label="opposite signs: the worst possible, error 1",
        ),
    ]
    for shape in [(5,), (3, 4)]:
        a = rng.normal(size=shape)
        n = a * (1 + rng.normal(scale=1e-3, size=shape)) + rng.normal(scale=1e-6, size=shape)
        cases.append(Case((a, n), label=f"random {shape}, nearly equal"))
    a = rng.normal(scale=0.1, size=6)
    cases.append(Case((a, rng.normal(scale=0.1, size=6)), label="random (6,), unrelated"))
    a = rng.normal(size=(4, 3)).astype(np.float32)
    n = (a + rng.normal(scale=1e-3, size=(4, 3))).astype(np.float32)
    cases.append(Case((a, n), label="random (4, 3) float32"))
    return cases


def _re_absolute(a, n):
    return np.abs(a - n)


def _re_over_a(a, n):
    return np.abs(a - n) / np.maximum(np.abs(a), 1e-12)


def _re_max_denominator(a, n):
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)


def _re_no_floor(a, n):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a - n) / (np.abs(a) + np.abs(n))


def _re_signed(a, n):
    return (a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)


def _re_norms(a, n):
    ratio = np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12)
    return np.full(a.shape, ratio, dtype=np.result_type(a, n))


RELATIVE_ERROR = register(
    Exercise(
        id="ch3.relative_error",
        chapter=3,
        title="The relative error of a gradient check",
        function="relative_error",
        points=1,
        reference=relative_error,
        make_cases=_relerr_cases,
        rtol=1e-7,
        atol=1e-14,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "absolute error",
                "this is the absolute error |a - n|; divide each entry by "
                "max(|a| + |n|, 1e-12) so that the error means the same for small and large "
                "gradients.",
                _re_absolute,
            ),
            Mistake(
                "divided by |a| only",
                "divide by |a| + |n| (floored at 1e-12), not by |a| alone: the check should "
                "not trust either side more than the other.",
                _re_over_a,
            ),
            Mistake(
                "max(|a|, |n|) in the denominator",
                "max(|a|, |n|) is another common convention; this exercise uses |a| + |n| "
                "(floored at 1e-12), which puts the worst case, opposite signs, at exactly 1.",
                _re_max_denominator,
            ),
            Mistake(
                "no floor on the denominator",
                "where both gradients are exactly 0 (a dead unit), |a| + |n| = 0 and 0 / 0 is "
                "nan: divide by max(|a| + |n|, 1e-12).",
                _re_no_floor,
            ),
            Mistake(
                "no absolute value of the difference",
                "take |a - n|: an error is an error whichever side is larger.",
                _re_signed,
            ),
            Mistake(
                "norms of the whole arrays",
                "every entry is the same: you compared the norms of the whole arrays. Compute "
                "the relative error entry by entry.",
                _re_norms,
            ),
        ),
    )
)
