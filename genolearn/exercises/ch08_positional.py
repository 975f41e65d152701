"""Checks for Chapter 8 — transformers: the sinusoidal positional encoding."""

from __future__ import annotations

import numpy as np

from genolearn.deep.transformer import sinusoidal_encoding
from genolearn.exercises.contract import Array, Choice, Contract, Custom, uniform
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["POSITIONAL_ENCODING"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _positions(rng, shape, dims):
    """Positions 0..L-1, or sorted real offsets up to 1e4 (base pairs)."""
    if rng.random() < 0.5:
        return np.arange(float(shape[0]))
    return np.sort(rng.uniform(0.0, 1e4, size=shape))


_PE = Contract(
    args=(
        ("positions", Choice((Array(("L",), _positions), Array(("L",), uniform(-50.0, 50.0))))),
        ("d_model", Custom(lambda rng, dims, dtype: 2 * int(rng.integers(1, 17)))),
    ),
    dims={"L": (1, 40)},
    # sin of an angle near 1e4 is known to ~1e-12 when the angle is computed in float64
    precisions=(np.float64,),
    rtol=1e-9,
    atol=1e-10,
)

# --------------------------------------------------------------------------- positional encoding


def _pe_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.0, 1.0, 2.0]), 2), label="positions 0, 1, 2; d = 2"),
        Case((np.arange(6.0), 4), label="positions 0..5; d = 4"),
        Case((np.arange(50.0), 16), label="positions 0..49; d = 16"),
        Case((np.array([0.0, 10.0, 250.0, 1000.0]), 8), label="far-apart positions; d = 8"),
    ]
    return [*cases, *_PE.draw(rng, 3)]


def _pe_angles(positions, d, *, exponent=None, multiply=False):
    i = np.arange(d // 2)
    exponent = 2 * i / d if exponent is None else exponent
    rate = 10000.0**exponent
    return positions[:, None] * rate if multiply else positions[:, None] / rate  # (L, d / 2)


def _interleave(sin_part, cos_part):
    out = np.empty((sin_part.shape[0], 2 * sin_part.shape[1]))
    out[:, 0::2], out[:, 1::2] = sin_part, cos_part
    return out


def _pe_swapped(positions, d):
    a = _pe_angles(positions, d)
    return _interleave(np.cos(a), np.sin(a))


def _pe_column_index(positions, d):
    j = np.arange(d)
    angle = positions[:, None] / 10000.0 ** (j / d)  # (L, d): column j uses j, not 2 floor(j / 2)
    return np.where(j % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_pair_index(positions, d):
    a = _pe_angles(positions, d, exponent=np.arange(d // 2) / d)
    return _interleave(np.sin(a), np.cos(a))


def _pe_multiplied(positions, d):
    a = _pe_angles(positions, d, multiply=True)
    return _interleave(np.sin(a), np.cos(a))


def _pe_halves(positions, d):
    a = _pe_angles(positions, d)
    return np.concatenate([np.sin(a), np.cos(a)], axis=1)


POSITIONAL_ENCODING = register(
    Exercise(
        id="ch8.positional_encoding",
        chapter=8,
        title="Sinusoidal positional encoding",
        function="positional_encoding",
        points=2,
        reference=sinusoidal_encoding,
        make_cases=_pe_cases,
        contract=_PE,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "sin and cos swapped",
                "even columns (0, 2, 4, ...) hold the sines and odd columns the cosines: at "
                "position 0 the row is 0, 1, 0, 1, ...",
                _pe_swapped,
            ),
            Mistake(
                "column index in the exponent",
                "a sine column and the cosine column after it share one frequency: both use "
                "10000^(2i / d) with i the PAIR index, so column j uses 2 * (j // 2), not j.",
                _pe_column_index,
            ),
            Mistake(
                "factor 2 missing in the exponent",
                "the exponent is 2i / d (i = pair index 0 .. d/2 - 1), so the slowest clock "
                "has period close to 10000 * 2 pi; with i / d the frequencies stop halfway.",
                _pe_pair_index,
            ),
            Mistake(
                "positions shifted by one",
                "use the positions as given (the first is usually 0, whose row is 0, 1, 0, "
                "1, ...), not position + 1.",
                lambda positions, d: sinusoidal_encoding(positions + 1, d),
            ),
            Mistake(
                "multiplied instead of divided",
                "the angle is position / 10000^(2i / d): divide, so that later columns turn "
                "slower, not faster.",
                _pe_multiplied,
            ),
            Mistake(
                "sines and cosines in two halves",
                "you put all sines first and all cosines after; here they are interleaved: "
                "column 2i is a sine and column 2i + 1 the matching cosine.",
                _pe_halves,
            ),
        ),
    )
)
