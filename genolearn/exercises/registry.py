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
    "NOTEBOOKS",
    "Case",
    "Mistake",
    "Exercise",
    "register",
    "get_exercise",
    "all_exercises",
    "notebook_name",
]

#: Chapter number -> the chapter notebook's file name. The checks of one chapter live in
#: several modules ``genolearn/exercises/chNN_<concept>.py``, so the notebook is named here,
#: not derived from a module's name.
NOTEBOOKS: dict[int, str] = {
    1: "neuron.ipynb",
    2: "layers.ipynb",
    3: "backprop.ipynb",
    4: "training.ipynb",
    5: "fnn.ipynb",
    6: "cnn.ipynb",
    7: "rnn.ipynb",
    8: "transformer.ipynb",
    9: "capstone.ipynb",
}


def notebook_name(chapter: int) -> str:
    """The file name of chapter ``chapter``'s notebook (``KeyError`` naming the known ones)."""
    try:
        return NOTEBOOKS[chapter]
    except KeyError:
        raise KeyError(f"chapter must be one of {sorted(NOTEBOOKS)}, but got {chapter!r}") from None


def _chapter_modules() -> tuple[str, ...]:
    """The modules of checks, ``genolearn/exercises/chNN_<concept>.py`` (several per chapter),
    found by name."""
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

    When a learner's answers equal this mutant's on every case, and no other catalogued mutant
    does, the learner most likely made this mistake, and ``message`` is shown as the hint.
    Every mistake is also a test: the exercise's check must fail the mutant and name it.
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
            from ``rng`` with the contract (the grader seeds it per student).
        contract: a :class:`~genolearn.exercises.contract.Contract`: the arguments, their
            ranges, the precisions and the tolerances the expected result justifies.
        mistakes: the catalogue of known wrong answers (for a diagnosis).
        forbid: module prefixes whose use inside the answer is flagged for review by the grader
            (e.g. calling ``genolearn.nn.sigmoid`` instead of writing it).
        warnings_fail: numerical warnings count as a failure (only where the exercise's text
            asks for warning-free code).
        depends: ids of exercises whose functions this one may call; the learner's function is
            evaluated with those references in place of the learner's own (a mistake costs
            points once).
        parts: names of the parts of a tuple answer (``("dx", "dW", "db")``), for feedback.
    """

    id: str
    chapter: int
    title: str
    function: str
    points: float
    reference: Callable[..., Any]
    make_cases: Callable[[np.random.Generator], list[Case]]
    contract: Any = None
    mistakes: tuple[Mistake, ...] = ()
    forbid: tuple[str, ...] = ()
    warnings_fail: bool = False
    depends: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    def tolerance(self, itemsize: int = 8, case: Case | None = None) -> tuple[float, float]:
        """``(rtol, atol)`` for ``case``, posed in floats of ``itemsize`` bytes: what the
        expected result's precision justifies (never the answer's dtype)."""
        if self.contract is None:
            return (1e-9, 1e-12) if itemsize >= 8 else (2e-5, 1e-6)
        return self.contract.tolerance(itemsize, case)

    @property
    def substitutes(self) -> tuple[tuple[str, str], ...]:
        """``(function name, "module:qualname")`` of the references of :attr:`depends`, for
        the grader's sandbox, which puts them in place of the learner's own."""
        deps = [get_exercise(i) for i in self.depends]
        return tuple(
            (d.function, f"{d.reference.__module__}:{d.reference.__qualname__}") for d in deps
        )

    @property
    def rtol(self) -> float:
        """The relative tolerance of a float64 problem."""
        return self.tolerance(8)[0]

    @property
    def atol(self) -> float:
        """The absolute tolerance of a float64 problem."""
        return self.tolerance(8)[1]


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
    importing torch, which Chapters 5-9 need)."""
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


def all_exercises(chapter: int | None = None, *, projects: bool = False) -> list[Exercise]:
    """Every registered exercise (of one chapter if given), by chapter, then in registration
    order. Projects (:mod:`genolearn.exercises.project`) only with ``projects=True``, each
    after its chapter's exercises."""
    _load(chapter)
    found = [
        e
        for e in _REGISTRY.values()
        if (chapter is None or e.chapter == chapter)
        and (projects or not getattr(e, "is_project", False))
    ]
    # by chapter, a chapter's project after its exercises (as in the notebook)
    return sorted(found, key=lambda e: (e.chapter, getattr(e, "is_project", False)))
