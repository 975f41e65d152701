"""Mutation-tested checks: every generated mutant of every exercise's reference is killed by the
exercise's ``check`` (rejected on every seed), or it is listed in ``equivalent_mutants.json``
with a reason and shown equal to the reference on >= 1,000 inputs drawn from the contract.

The kill table is printed in pytest's terminal summary. ``benchmarks/mutation_table.py`` prints
the same table (and the survivors) outside pytest.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genolearn.exercises import all_exercises, get_exercise
from genolearn.exercises.mutate import Mutant, mutants, sample
from genolearn.exercises.mutate_kill import KillRow, kill_row, kill_table, passing_seeds
from genolearn.exercises.registry import Case

EQUIVALENT: dict[str, str] = json.loads(
    Path(__file__).with_name("equivalent_mutants.json").read_text()
)
SEEDS = (0, 1, 2)  # a mutant is killed when the check rejects it on every one of these
LIMIT = None  # mutants per exercise (a deterministic sample when set); all of them fit in time
SAMPLE_SIZE = 1000  # distinct inputs in each differential test
IDS = [e.id for e in all_exercises()]


def _marked(exercise_id: str):
    """A parameter with its chapter's marker (``pytest -m ch03`` runs Chapter 3's mutants)."""
    chapter = int(exercise_id.split(".")[0][2:])
    return pytest.param(exercise_id, marks=getattr(pytest.mark, f"ch{chapter:02d}"))


FAMILIES = (
    "swap", "compare", "const", "drop", "axis", "keepdims", "range", "slice", "naive", "dtype",
    "inplace",
)  # fmt: skip

_ROWS: dict[str, KillRow] = {}


def _row(exercise_id: str) -> KillRow:
    if exercise_id not in _ROWS:
        _ROWS[exercise_id] = kill_row(
            get_exercise(exercise_id), EQUIVALENT, seeds=SEEDS, limit=LIMIT
        )
    return _ROWS[exercise_id]


class _KillTable:
    """A plugin registered by the module's fixture: prints the table at the end of the run."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if _ROWS:
            terminalreporter.section("mutation kill table (tests/exercises/test_mutation.py)")
            rows = [_ROWS[i] for i in IDS if i in _ROWS]
            terminalreporter.write_line(kill_table(rows))
            terminalreporter.write_line(f"killed = rejected by check() on every seed of {SEEDS}")


@pytest.fixture(scope="module", autouse=True)
def _print_kill_table(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("genolearn-kill-table"):
        manager.register(_KillTable(), "genolearn-kill-table")
    yield


@pytest.mark.parametrize("exercise_id", [_marked(i) for i in IDS])
def test_every_non_equivalent_mutant_is_killed(exercise_id):
    row = _row(exercise_id)
    assert row.tried >= 5, f"only {row.tried} mutants generated for {exercise_id}"
    survivors = [
        f"  {m.id} (accepted on seeds {list(seeds)}): {m.description}" for m, seeds in row.survivors
    ]
    assert not survivors, (
        f"{len(survivors)} of {row.tried} mutants of {exercise_id} pass its check; kill them "
        "with a better case, or record them in equivalent_mutants.json with the reason:\n"
        + "\n".join(survivors)
    )


# ------------------------------------------------------------------ equivalent mutants


def _key(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _key(v)) for k, v in sorted(value.items())))
    if isinstance(value, np.random.Generator):
        return ("Generator", json.dumps(value.bit_generator.state, sort_keys=True, default=str))
    return (type(value).__name__, repr(value))


_SAMPLES: dict[str, list[Case]] = {}


def _contract_sample(exercise) -> list[Case]:
    """>= SAMPLE_SIZE distinct inputs: the fixed edge cases and random cases of the case maker
    on many seeds, plus draws from the exercise's contract when it declares one."""
    if exercise.id not in _SAMPLES:
        contract = getattr(exercise, "contract", None)
        seen, cases, seed = set(), [], 0
        while len(cases) < SAMPLE_SIZE:
            rng = np.random.default_rng([20240917, seed])
            drawn = list(exercise.make_cases(rng))
            if contract is not None and hasattr(contract, "draw"):
                drawn += list(contract.draw(rng, 20))
            for case in drawn:
                key = _key((case.args, dict(case.kwargs)))
                if key not in seen:
                    seen.add(key)
                    cases.append(case)
            seed += 1
            assert seed < 5000, f"{exercise.id}: cannot draw {SAMPLE_SIZE} distinct inputs"
        _SAMPLES[exercise.id] = cases
    return _SAMPLES[exercise.id]


def _itemsize(case: Case) -> int:
    """The precision a case is posed in: its smallest float array's itemsize (8 if none)."""
    sizes, stack = [8], [*case.args, *case.kwargs.values()]
    while stack:
        a = stack.pop()
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            sizes.append(a.dtype.itemsize)
        elif isinstance(a, (tuple, list)):
            stack.extend(a)
    return min(sizes)


def _run(fn, case: Case) -> tuple[Any, Any]:
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs))
    with np.errstate(all="ignore"):
        out = fn(*args, **kwargs)
    return out, (args, kwargs)


def _same(expected: Any, got: Any, itemsize: int, where: str = "") -> str | None:
    """``None`` if ``got`` equals ``expected`` within the contract, else what differs.

    ``itemsize``: the precision the problem is posed in (its inputs' smallest float). Same
    structure, types and shapes; integer and boolean arrays equal; float arrays at least as
    precise as the expected one or the problem (a float64 answer to a float32 problem is allowed,
    as the check allows it), with NaN and inf at the same places and finite values within 16 ulp
    of that precision at the scale of the expected array, or at scale 1 for arrays of
    smaller numbers (computed from intermediates of size ~1, the reference itself resolves no
    better: e.g. s (1 - s) in float32 is 0 once s rounds to 1); numbers likewise; generators
    left in the same state.
    """
    if isinstance(expected, (tuple, list, dict)):
        if type(got) is not type(expected) or len(got) != len(expected):
            return f"{where}: {type(got).__name__} of {len(got)} for {type(expected).__name__}"
        items = expected.items() if isinstance(expected, dict) else enumerate(expected)
        for k, e in items:
            problem = _same(e, got[k], itemsize, f"{where}[{k}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (float, np.floating)):
        if not isinstance(got, (float, np.floating)):
            return f"{where}: {type(got).__name__} for a float"
    elif isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray:
            return f"{where}: {type(got).__name__} for an array"
    elif type(got) is not type(expected):
        return f"{where}: type {type(got).__name__} for {type(expected).__name__}"
    elif isinstance(expected, np.random.Generator):  # the same draws were taken from it
        same = _key(expected) == _key(got)
        return None if same else f"{where}: the generator was used differently"
    else:
        return None if got == expected else f"{where}: {got!r} for {expected!r}"
    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return f"{where}: shape {g.shape} for {e.shape}"
    if e.dtype.kind != "f":
        same = g.dtype.kind == e.dtype.kind and np.array_equal(e, g)
        return None if same else f"{where}: {g.dtype} {g} for {e.dtype} {e}"
    precision = np.dtype(f"f{min(e.dtype.itemsize, itemsize)}")
    if g.dtype.kind != "f" or g.dtype.itemsize < precision.itemsize:
        return f"{where}: dtype {g.dtype} for {e.dtype}"
    g = g.astype(np.float64)
    if not np.array_equal(np.isnan(e), np.isnan(g)) or not np.array_equal(
        np.where(np.isinf(e), e, 0), np.where(np.isinf(g), g, 0)
    ):
        return f"{where}: NaN or inf at other places"
    finite = np.isfinite(e)
    scale = float(np.max(np.abs(e[finite]), initial=0.0))
    ulp = 16 * np.finfo(precision).eps
    if not np.allclose(g[finite], e[finite], rtol=ulp, atol=ulp * max(scale, 1.0)):
        err = float(np.max(np.abs(g[finite] - e[finite])))
        return f"{where}: values differ by up to {err:.3g} (scale {scale:.3g})"
    return None


_EXPECTED: dict[str, list[tuple[Any, Any, Any]]] = {}
_MUTANTS: dict[str, dict[str, Mutant]] = {}


@pytest.mark.parametrize("mutant_id", [_marked(i) for i in sorted(EQUIVALENT)])
def test_equivalent_mutant_equals_the_reference_on_a_large_sample(mutant_id):
    reason = EQUIVALENT[mutant_id]
    assert isinstance(reason, str) and len(reason) > 20, f"{mutant_id}: give the reason"
    exercise = get_exercise(mutant_id.split(":")[0])
    if exercise.id not in _MUTANTS:
        _MUTANTS[exercise.id] = {m.id: m for m in mutants(exercise)}
    mutant = _MUTANTS[exercise.id].get(mutant_id)
    assert mutant, f"{mutant_id} is no longer generated: remove it from equivalent_mutants.json"
    fn = mutant.implementation()
    cases = _contract_sample(exercise)
    assert len(cases) >= SAMPLE_SIZE
    if exercise.id not in _EXPECTED:  # (result, its key, the inputs' key after the call)
        runs = [_run(exercise.reference, c) for c in cases]
        _EXPECTED[exercise.id] = [(out, _key(out), _key(after)) for out, after in runs]
    for case, (expected, key, inputs_key) in zip(cases, _EXPECTED[exercise.id], strict=True):
        got, inputs_after = _run(fn, case)
        problem = None if _key(got) == key else _same(expected, got, _itemsize(case), "result")
        if problem is None and _key(inputs_after) != inputs_key:
            problem = "it changes its inputs (in place)"
        assert problem is None, f"{mutant_id} is not equivalent on {case.label!r}: {problem}"
    # Equal to the reference everywhere: the check must then accept it on every seed, or the
    # check rejects a correct answer.
    assert passing_seeds(mutant, SEEDS) == SEEDS


# ------------------------------------------------------------------ the generator itself


def test_mutant_ids_are_stable_and_unique():
    for exercise in all_exercises():
        first = [m.id for m in mutants(exercise)]
        assert first == [m.id for m in mutants(exercise)]
        assert len(set(first)) == len(first)
        assert all(i.startswith(exercise.id + ":") for i in first)


def test_every_family_of_mutation_is_generated():
    operators = {m.operator.split(":")[0] for e in all_exercises() for m in mutants(e)}
    assert set(FAMILIES) <= operators, f"missing: {set(FAMILIES) - operators}"


def test_building_mutants_patches_nothing():
    exercise = get_exercise("ch4.train_logistic_regression")
    import genolearn.nn.steps as steps

    before = (steps.minibatch_indices, steps.train_logistic_regression, dict(steps.__dict__))
    built = [m.implementation() for m in mutants(exercise)]
    assert steps.minibatch_indices is before[0]
    assert steps.train_logistic_regression is before[1]
    assert steps.__dict__.keys() == before[2].keys()
    assert all(callable(f) and f is not exercise.reference for f in built)
    # a mutant of a callee is reached through a rebound copy of its caller
    callee = [m for m in mutants(exercise) if m.function.endswith(".minibatch_indices")]
    assert callee and all(m.implementation() is not exercise.reference for m in callee)


def test_a_naive_formula_mutant_is_generated_and_killed():
    # sigmoid's exp(-|z|) -> exp(-z) overflows for z = -1000 and returns inf / inf = nan there
    naive = [m for m in mutants(get_exercise("ch1.sigmoid")) if m.operator.startswith("naive:abs")]
    assert len(naive) == 1, [m.id for m in naive]
    z = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(all="ignore"):
        got = naive[0].implementation()(z)
    assert np.isnan(got[0]) and got[1] == 0.5 and got[2] == 1.0
    assert passing_seeds(naive[0], SEEDS) == ()


def test_sampling_is_deterministic_and_bounded():
    items = mutants(get_exercise("ch4.adam_step"))
    chosen = sample(items, 10)
    assert len(chosen) == 10 and chosen == sample(list(reversed(items)), 10)[::-1]
    assert [m.id for m in chosen] == [m.id for m in items if m in chosen]  # generation order
    assert sample(items, None) == items and sample(items, len(items) + 1) == items
