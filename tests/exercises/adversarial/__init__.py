"""An independent corpus of wrong and correct answers to every registered exercise (issue 10).

Written from the exercise texts (the chapter notebooks), not from the mistake catalogue in
``genolearn/exercises``, to measure how often ``check`` accepts a wrong answer or rejects a
correct one. One module per chapter; each holds

* ``WRONG[id]``: ``[(fn, what it gets wrong, expected diagnosis or None), ...]`` — the
  diagnosis is the name ``check`` should report (``Report.diagnosis``), ``None`` where no
  catalogued misconception applies and only a generic explanation is right;
* ``CORRECT[id]``: correct answers written differently from the reference;
* ``WITNESSES[id]``: argument tuples inside the exercise's contract that show each wrong answer
  is genuinely wrong (see :mod:`tests.exercises.adversarial.witness`).

``benchmarks/false_accept.py`` measures the corpus; ``tests/exercises/test_adversarial.py``
turns it into tests.
"""

from __future__ import annotations

from tests.exercises.adversarial import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09

__all__ = ["WRONG", "CORRECT", "WITNESSES", "WARNING_FREE", "CHAPTERS"]

CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09)

WRONG = {k: v for m in CHAPTERS for k, v in m.WRONG.items()}
CORRECT = {k: v for m in CHAPTERS for k, v in m.CORRECT.items()}
WITNESSES = {k: v for m in CHAPTERS for k, v in m.WITNESSES.items()}

# Exercises whose text asks for code that never triggers an overflow warning: there a warning
# alone makes an answer wrong; elsewhere a correct value with a warning is a correct answer.
WARNING_FREE = frozenset({"ch1.sigmoid", "ch4.cross_entropy_loss_and_grad"})
