"""Checks for Chapter 3 — gradient checking: a central-difference gradient and the relative
error that compares an analytic gradient with a numerical one."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Choice, Contract, Number, integers, labels, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.activations import sigmoid
from genolearn.nn.backprop import numerical_gradient_logistic, relative_error

__all__ = ["NUMERICAL_GRADIENT_LOGISTIC", "RELATIVE_ERROR"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "jax")


def _large_w_needs_large_eps(values, rng, dims):
    # Far from 0 the loss is large (hundreds) and a central difference with a tiny eps has
    # lost its digits to cancellation, in the reference too: pair large weights with eps >= 0.01.
    if np.abs(values["w"]).max() > 10:
        values["eps"] = max(values["eps"], 0.01)
    return values


_NUMGRAD = Contract(
    args=(
        ("w", Choice((Array(("D",), normal(0.5)), Array(("D",), normal(150.0))))),
        ("X", Array(("N", "D"), integers(0, 4))),  # k-mer counts
        ("y", Array(("N",), labels("two"), kind="int")),
        ("eps", Number(1e-5, 0.5, log=True)),
    ),
    dims={"N": (1, 10), "D": (1, 6), "two": (2, 2)},
    precisions=(np.float64,),
    # The central difference of a loss computed to ~1e-16 has absolute error ~1e-16 / eps.
    rtol=1e-8,
    atol=1e-9,
    fix=_large_w_needs_large_eps,
)


def _gradient_pairs(rng, shape, dims):
    """Analytic gradients with magnitudes from 1e-14 to 10 (so the floor 1e-12 meets tiny
    values), exact zeros included."""
    mag = 10.0 ** rng.uniform(-14, 1, size=shape)
    return np.where(rng.random(shape) < 0.1, 0.0, np.where(rng.random(shape) < 0.5, -mag, mag))


def _numeric_like(values, rng, dims):
    a = values["analytic"]
    how = rng.integers(0, 4, size=a.shape)
    noisy = a * (1 + rng.normal(scale=1e-3, size=a.shape))
    unrelated = _gradient_pairs(rng, a.shape, dims)
    n = np.select([how == 0, how == 1, how == 2], [a, noisy, -a], unrelated)
    values["numeric"] = n.astype(a.dtype)
    return values


_RELERR = Contract(
    args=(
        (
            "analytic",
            Choice(tuple(Array(s, _gradient_pairs) for s in [("A",), ("A", "B")])),
        ),
        ("numeric", None),
    ),
    dims={"A": (1, 8), "B": (1, 4)},
    fix=_numeric_like,
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
    cases.append(
        Case(
            (np.array([300.0, -250.0]), np.array([[3.0, 0.0], [0.0, 3.0], [1.0, 1.0]]),
             np.array([1, 0, 0]), 0.01),
            label="|z| up to 900, where log(1 + exp(z)) overflows",
        )
    )  # fmt: skip
    return [*cases, *_NUMGRAD.draw(rng, 4)]


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
        contract=_NUMGRAD,
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
    cases.append(
        Case(
            (np.array([1e-13, 3e-13, -2e-13, 0.0]), np.array([2e-13, 3e-13, 1e-13, 4e-13])),
            label="tiny gradients where the floor 1e-12 decides",
        )
    )
    return [*cases, *_RELERR.draw(rng, 5)]


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
        contract=_RELERR,
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
