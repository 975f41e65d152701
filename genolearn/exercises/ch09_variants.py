"""Checks for Chapter 9 — every single-base variant of a sequence (for variant-effect scoring)."""

from __future__ import annotations

import numpy as np

from genolearn.deep.variants import single_base_variants
from genolearn.exercises.contract import Array, Contract, one_hot
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["SINGLE_BASE_VARIANTS"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn")

# --------------------------------------------------------------------------- variants

_VARIANTS = Contract(args=(("x", Array((4, "L"), one_hot(0))),), dims={"L": (1, 10)})


def _encode(seq: str) -> np.ndarray:
    return np.eye(4)[["ACGT".index(b) for b in seq]].T  # (4, L)


def _variant_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case((_encode("G"),), label="one base: G -> A, C, T"),
        Case((_encode("CAGGTAAGT"),), label="a donor site CAG|GTAAGT"),
        Case((_encode("ACGT").astype(np.float32),), label="ACGT in float32"),
        Case((_encode("TTTA"),), label="TTTA"),
        *_VARIANTS.draw(rng, 4),
    ]


def _variants_loop(x, keep, order="position"):
    """Variants as the catalogued mistakes make them: ``keep(variant, base, pos)`` edits."""
    length = x.shape[1]
    out = []
    pairs = [(p, b) for p in range(length) for b in range(4)]
    if order == "base":
        pairs = [(p, b) for b in range(4) for p in range(length)]
    for pos, base in pairs:
        if x[base, pos] == 1:
            continue
        out.append(keep(x.copy(), base, pos))
    return np.stack(out)


def _variants_not_cleared(x):
    return _variants_loop(x, lambda v, b, p: (v.__setitem__((b, p), 1), v)[1])


def _variants_with_reference(x):
    length = x.shape[1]
    out = np.repeat(x[None], 4 * length, axis=0)  # (4L, 4, L)
    for pos in range(length):
        for base in range(4):
            out[4 * pos + base, :, pos] = 0
            out[4 * pos + base, base, pos] = 1
    return out


def _replace(v, b, p):
    v[:, p] = 0
    v[b, p] = 1
    return v


def _variants_base_major(x):
    return _variants_loop(x, _replace, order="base")


def _variants_blanked(x):
    return _variants_loop(x, lambda v, b, p: (v.__setitem__((slice(None), p), 0), v)[1])


def _variants_cyclic(x):
    length = x.shape[1]
    out = np.repeat(x[None], 3 * length, axis=0)  # (3L, 4, L)
    for pos in range(length):
        ref = int(np.argmax(x[:, pos]))
        for j in range(3):
            out[3 * pos + j, :, pos] = 0
            out[3 * pos + j, (ref + 1 + j) % 4, pos] = 1
    return out


SINGLE_BASE_VARIANTS = register(
    Exercise(
        id="ch9.single_base_variants",
        chapter=9,
        title="Every single-base variant of a sequence",
        function="single_base_variants",
        points=3,
        reference=single_base_variants,
        make_cases=_variant_cases,
        contract=_VARIANTS,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "old base not cleared",
                "the new base was written without clearing the old one: the column holds two "
                "1s. Set the whole column to 0, then write the new base.",
                _variants_not_cleared,
            ),
            Mistake(
                "reference included",
                "you made 4 variants per position, one of them the reference itself; make the "
                "3 substitutions only (3 L variants).",
                _variants_with_reference,
            ),
            Mistake(
                "base-major order",
                "the variants are ordered by new base, then position; order them by position, "
                "then by the new base in ACGT order (variant 3 l + j changes position l).",
                _variants_base_major,
            ),
            Mistake(
                "position blanked",
                "the column was set to all zeros (an N) instead of the new base.",
                _variants_blanked,
            ),
            Mistake(
                "bases in cyclic order",
                "the three new bases follow the reference cyclically (for G: T, A, C); list "
                "them in ACGT order, skipping the reference (for G: A, C, T).",
                _variants_cyclic,
            ),
        ),
    )
)
