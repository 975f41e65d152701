"""Checks for Chapter 4 — optimizers: one step of SGD with momentum and one step of Adam."""

from __future__ import annotations

import numpy as np

from genolearn.exercises.contract import Array, Choice, Contract, Number, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register
from genolearn.nn.steps import adam_step, sgd_step

__all__ = ["SGD_STEP", "ADAM_STEP"]

_FORBID = ("genolearn", "torch", "scipy.special", "sklearn")
_SHAPES = [("A",), ("A", "B")]
_DIMS = {"A": (1, 8), "B": (1, 4)}


def _same_shape(*names):
    """Fill ``names`` with arrays of the first argument's shape and dtype, at a scale drawn
    log-uniformly from 1e-6 to 10 (tiny gradients are where Adam's eps matters)."""

    def fix(values, rng, dims):
        first = next(iter(values.values()))
        scale = 10 ** rng.uniform(-6, 1)
        for name in names:
            values[name] = (scale * rng.normal(size=first.shape)).astype(first.dtype)
        if "v" in values:  # a running mean of squares is >= 0
            values["v"] = (values["v"] ** 2).astype(first.dtype)
        return values

    return fix


_PARAM = ("param", Choice(tuple(Array(s, normal(1.0)) for s in _SHAPES)))
_SGD = Contract(
    args=(
        _PARAM,
        ("grad", None),
        ("velocity", None),
        ("lr", Number(1e-4, 1.0, log=True)),
        ("momentum", Choice((0.0, Number(0.0, 0.999)))),
    ),
    dims=_DIMS,
    fix=_same_shape("grad", "velocity"),
)
_ADAM = Contract(
    args=(
        _PARAM,
        ("grad", None),
        ("m", None),
        ("v", None),
        ("t", Choice((1, 2, Number(1, 10_000, integer=True)))),
        ("lr", Number(1e-5, 0.5, log=True)),
        ("beta1", Choice((0.9, 0.0, Number(0.5, 0.99)))),
        ("beta2", Choice((0.999, Number(0.9, 0.99999)))),
        ("eps", Choice((1e-8, Number(1e-12, 1e-3, log=True)))),
    ),
    dims=_DIMS,
    fix=_same_shape("grad", "m", "v"),
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
    return [*cases, *_SGD.draw(rng, 4)]


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


SGD_STEP = register(
    Exercise(
        id="ch4.sgd_step",
        chapter=4,
        title="One step of SGD with momentum",
        function="sgd_step",
        points=2,
        reference=_sgd_reference,
        make_cases=_sgd_cases,
        contract=_SGD,
        parts=("param", "velocity"),
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
                lambda p, g, v, lr, momentum: (p - lr * v, momentum * v + g),
            ),
            Mistake(
                "momentum ignored",
                "this is plain gradient descent: the velocity must carry the old velocity, "
                "v = momentum * velocity + grad.",
                lambda p, g, v, lr, momentum: (p - lr * g, g.copy()),
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
        cases.append(Case((p, g, m, v, t, lr, *defaults), label=f"a run's state at t = {t}"))
    return [*cases, *_ADAM.draw(rng, 4)]


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
        contract=_ADAM,
        parts=("param", "m", "v"),
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
