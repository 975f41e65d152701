"""Checks for Chapter 8 — where attention looks: the attention mass on planted sites,
against the share an even spread would give."""

from __future__ import annotations

import numpy as np

from genolearn.deep.attention import attention_enrichment
from genolearn.exercises.contract import Array, Contract, normal
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["ATTENTION_ENRICHMENT"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _rows_and_sites(values, rng, dims):
    """Scores -> softmax rows (sharp or flat); a site mask with at least one site per row."""
    scores = values["weights"] * float(rng.choice([0.3, 1.0, 5.0]))
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    values["weights"] = (e / e.sum(axis=-1, keepdims=True)).astype(scores.dtype)
    sites = rng.random((dims["N"], dims["Lk"])) < float(rng.choice([0.1, 0.3, 0.7]))
    sites[np.arange(dims["N"]), rng.integers(0, dims["Lk"], size=dims["N"])] = True
    values["sites"] = sites
    return values


_ENRICH = Contract(
    args=(("weights", Array(("N", "Lq", "Lk"), normal(1.0))), ("sites", None)),
    dims={"N": (1, 4), "Lq": (1, 7), "Lk": (1, 9)},
    fix=_rows_and_sites,
)


def _cases(rng: np.random.Generator) -> list[Case]:
    even = np.full((1, 4, 4), 0.25)
    on_site = np.zeros((1, 2, 4))
    on_site[0, :, 1] = 1.0  # both queries look only at key 1
    sites = np.array([[False, True, False, False]])
    two = np.stack([even[0, :2], on_site[0]])  # (2, 2, 4)
    cases = [
        Case((even, sites), label="even attention: enrichment 1"),
        Case((on_site, sites), label="all attention on the one site of 4 keys: enrichment 4"),
        Case(
            (two, np.array([[True, True, False, False], [False, True, False, False]])),
            label="two sequences with different numbers of site tokens",
        ),
        Case(
            (np.array([[[0.7, 0.1, 0.2], [0.1, 0.1, 0.8]]]), np.array([[True, False, False]])),
            label="queries that differ: average over the queries",
        ),
    ]
    return [*cases, *_ENRICH.draw(rng, 5)]


def _mass(weights, sites):
    return (weights * sites[:, None, :]).sum(axis=2)  # (N, Lq)


ATTENTION_ENRICHMENT = register(
    Exercise(
        id="ch8.attention_enrichment",
        chapter=8,
        title="Where does attention look?",
        function="attention_enrichment",
        points=2,
        reference=attention_enrichment,
        make_cases=_cases,
        contract=_ENRICH,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "not divided by the even share",
                "divide the mass on sites by the share of keys that are sites (what an even "
                "spread would give), so that 1 means no preference.",
                lambda weights, sites: _mass(weights, sites).mean(axis=1),
            ),
            Mistake(
                "the non-sites counted",
                "sites is True at site tokens: sum the weights where it is True (the mass ON "
                "the sites), and divide by the share of True keys.",
                lambda weights, sites: _mass(weights, ~sites).mean(axis=1) / sites.mean(axis=1),
            ),
            Mistake(
                "divided by the number of site tokens",
                "the even share is the FRACTION of keys that are sites (their number divided "
                "by Lk), not their number.",
                lambda weights, sites: _mass(weights, sites).mean(axis=1) / sites.sum(axis=1),
            ),
            Mistake(
                "pooled over all sequences",
                "return one enrichment per sequence, each divided by its own share of site "
                "keys, not one number broadcast over the batch.",
                lambda weights, sites: np.full(
                    len(weights), _mass(weights, sites).mean() / sites.mean()
                ),
            ),
            Mistake(
                "summed over the queries",
                "average the mass on sites over the queries (each query's row sums to 1), "
                "do not add it up.",
                lambda weights, sites: _mass(weights, sites).sum(axis=1) / sites.mean(axis=1),
            ),
        ),
    )
)
