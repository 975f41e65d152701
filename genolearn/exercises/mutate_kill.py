"""The kill table: every exercise's generated mutants run through the learner's ``check``.

A mutant is *killed* when ``check`` rejects it on every seed tried (whatever a student's hidden
inputs, the check catches it), *equivalent* when it is listed as such (with a reason, and
shown equal to the reference on a large sample by ``tests/exercises/test_mutation.py``), and
*survived* otherwise. ``benchmarks/mutation_table.py`` and the test print :func:`kill_table`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from genolearn.exercises.mutate import Mutant, mutants, sample
from genolearn.exercises.registry import Exercise

__all__ = ["KillRow", "kill_row", "kill_table", "passing_seeds"]


def passing_seeds(mutant: Mutant, seeds: Sequence[int] = (0, 1, 2)) -> tuple[int, ...]:
    """The seeds on which the learner's ``check`` accepts ``mutant`` (empty: killed)."""
    from genolearn.exercises import check  # the notebook's own check, unchanged

    fn = mutant.implementation()
    return tuple(s for s in seeds if check(mutant.exercise_id, fn, seed=s).passed)


@dataclass(frozen=True)
class KillRow:
    """One exercise's line of the kill table; ``survivors``: each surviving mutant with the
    seeds on which the check accepted it."""

    exercise_id: str
    generated: int
    tried: int
    killed: int
    equivalent: int
    survivors: tuple[tuple[Mutant, tuple[int, ...]], ...]

    @property
    def survived(self) -> int:
        return len(self.survivors)


def kill_row(
    exercise: Exercise,
    equivalent: Mapping[str, str],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    limit: int | None = None,
) -> KillRow:
    """Run ``exercise``'s mutants (at most ``limit``, see :func:`sample`) through the check.

    A mutant is killed when the check rejects it on EVERY seed (so no student's hidden inputs
    let it through); one accepted on some seed survives, unless ``equivalent`` lists its id.
    """
    generated = mutants(exercise)
    tried = sample(generated, limit)
    killed, equiv, survivors = 0, 0, []
    for m in tried:
        passed = passing_seeds(m, seeds)
        if not passed:
            killed += 1
        elif m.id in equivalent:
            equiv += 1
        else:
            survivors.append((m, passed))
    return KillRow(exercise.id, len(generated), len(tried), killed, equiv, tuple(survivors))


def kill_table(rows: Sequence[KillRow]) -> str:
    """The kill table as text: one line per exercise and a total."""
    head = f"{'exercise':36} {'mutants':>7} {'killed':>6} {'equiv':>5} {'survived':>8}  kill %"
    lines = [head, "-" * len(head)]
    total = [0, 0, 0, 0]
    for r in rows:
        n = f"{r.tried}" if r.tried == r.generated else f"{r.tried}/{r.generated}"
        lines.append(f"{r.exercise_id:36} {n:>7} {r.killed:6} {r.equivalent:5} {r.survived:8}"
                     f"  {_percent(r.killed, r.tried - r.equivalent)}")  # fmt: skip
        for i, v in enumerate((r.tried, r.killed, r.equivalent, r.survived)):
            total[i] += v
    lines.append("-" * len(head))
    pct = _percent(total[1], total[0] - total[2])
    lines.append(f"{'total':36} {total[0]:7} {total[1]:6} {total[2]:5} {total[3]:8}  {pct}")
    return "\n".join(lines)


def _percent(killed: int, of: int) -> str:
    return f"{100.0 * killed / of:6.1f}" if of else "     -"
