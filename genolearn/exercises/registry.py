"""The exercise registry: what each exercise is, how it is checked, and how it is scored.

An :class:`Exercise` is plain data plus pure functions, so the same definition serves the
learner's instant :func:`~genolearn.exercises.check.check` (in their own kernel) and the
instructor's sandboxed grader (cases generated and compared in the grader's process, the student
function run elsewhere).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "Mistake",
    "Exercise",
    "register",
    "get_exercise",
    "all_exercises",
]

def _chapter_modules() -> tuple[str, ...]:
    """One module of checks per chapter, ``genolearn/exercises/chNN_<name>.py``, found by name."""
    import pkgutil

    import genolearn.exercises as package

    return tuple(
        f"{package.__name__}.{m.name}"
        for m in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
        if m.name.startswith("ch") and m.name[2:4].isdigit()
    )


@dataclass(frozen=True)
class Case:
    """One input to an exercise function: ``function(*args, **kwargs)``.

    ``label`` says in words what the case probes ("large |z|", "random (5, 3) float32").
    """

    args: tuple
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Mistake:
    """A catalogued misconception: a wrong implementation (a *mutant*) and what to tell.

    When a learner's output equals the mutant's output on a failing case, the learner most
    likely made this mistake, and ``message`` is shown as the hint. Every mistake is also a test:
    the exercise's check must fail the mutant and name this mistake.
    """

    name: str
    message: str
    implementation: Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    """An exercise the learner codes and genolearn checks.

    Attributes:
        id: ``"ch1.sigmoid"`` — chapter prefix, then the function name by convention.
        chapter: chapter number.
        title: shown in feedback and the gradebook.
        function: the name the learner must define in the notebook.
        points: awarded when every case passes (all or nothing per exercise).
        reference: the correct implementation; expected values come from it.
        make_cases: ``rng -> list[Case]``; fixed edge cases first, then randomized ones drawn
            from ``rng`` (the grader seeds it per student, so hidden inputs differ).
        mistakes: the catalogue of known wrong answers, tried in order for a diagnosis.
        rtol, atol: tolerances for floating-point comparison.
        forbid: module prefixes whose use inside the answer is flagged for review by the grader
            (e.g. calling ``genolearn.nn.sigmoid`` instead of writing it).
        warnings_fail: numerical warnings (overflow, invalid value) count as a failure.
    """

    id: str
    chapter: int
    title: str
    function: str
    points: float
    reference: Callable[..., Any]
    make_cases: Callable[[np.random.Generator], list[Case]]
    mistakes: tuple[Mistake, ...] = ()
    rtol: float = 1e-6
    atol: float = 1e-8
    forbid: tuple[str, ...] = ()
    warnings_fail: bool = False


_REGISTRY: dict[str, Exercise] = {}
_loaded: set[str] = set()


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry (ids are unique)."""
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"exercise id {exercise.id!r} is already registered")
    _REGISTRY[exercise.id] = exercise
    return exercise


def _load(chapter: int | None = None) -> None:
    """Import the chapter modules (only the one asked for: Chapter 1's checks must not pay for
    importing torch, which Chapter 5's need)."""
    for name in _chapter_modules():
        number = int(name.rsplit(".", 1)[1][2:4])
        if (chapter is None or number == chapter) and name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, or a ``KeyError`` listing close ids."""
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a str like 'ch1.sigmoid', got {exercise_id!r}")
    prefix = exercise_id.split(".")[0]
    _load(int(prefix[2:]) if prefix[:2] == "ch" and prefix[2:].isdigit() else None)
    if exercise_id not in _REGISTRY:
        _load()
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        prefix = exercise_id.split(".")[0]
        near = sorted(i for i in _REGISTRY if i.startswith(prefix + ".")) or sorted(_REGISTRY)
        raise KeyError(
            f"no exercise {exercise_id!r}; known ids include: {', '.join(near[:12])}"
        ) from None


def all_exercises(chapter: int | None = None) -> list[Exercise]:
    """Every registered exercise (of one chapter if given), in registration order."""
    _load(chapter)
    return [e for e in _REGISTRY.values() if chapter is None or e.chapter == chapter]
