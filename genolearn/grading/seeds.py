"""Hidden inputs per student: seeds derived from the instructor's secret.

Every student gets their own randomized test cases, so answers copied from a classmate's
feedback do not transfer, and an appeal replays exactly the cases that were graded:
``exercise.make_cases(numpy.random.default_rng(student_seed(secret, student, exercise)))``.

The seed is an HMAC-SHA256 of the student and exercise ids keyed by the secret, so it is
stable across runs, machines and Python versions (no ``hash()`` randomization), and nobody
without the secret can predict it. Records carry only :func:`secret_fingerprint`.

**Why tasks carry seeds, and why that is safe.** Where secrets live:

* the coordinator (``genolearn grade``) reads the secret file once, closes it, keeps the bytes
  in memory only (never in an environment variable, an argument or a file it writes) and
  derives one seed per (student, exercise) with :func:`student_seed` (:func:`read_secret`
  closes the file before it returns);
* a task — sent to a freshly ``exec``-ed local worker or a Dask worker, never to a fork of
  the coordinator — carries that student's seeds only. A seed is a one-way function of the
  secret: it reproduces that one student's cases for that one exercise, and reveals nothing
  about the secret or any other student's cases. A task is also small (a seed instead of
  arrays of cases), and the worker recomputes the cases and expected values itself, so a
  record can be replayed on appeal from the seed alone;
* the sandbox (:mod:`~genolearn.grading.runner`) receives neither seed nor secret nor expected
  values: only the inputs of its own cases, on its stdin. It runs in the jail
  (:mod:`~genolearn.grading.jail`), which cannot see the coordinator's or this worker's
  processes, memory or files, and holds no capability. So even a student who broke out of the
  Python-level checks learns at most their own inputs — which their feedback shows anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from genolearn._validation import describe

__all__ = [
    "SecretError",
    "case_set_label",
    "read_secret",
    "secret_fingerprint",
    "student_seed",
]

_DOMAIN = b"genolearn/grading/seed/v1"


class SecretError(ValueError):
    """The secret file is missing, unreadable or empty."""


def _as_key(secret: bytes | str) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes):
        raise TypeError(f"secret must be bytes or str, but got {describe(secret)}")
    if not secret:
        raise SecretError("secret must not be empty")
    return secret


def _check_id(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty str, but got {describe(value)}")
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters, but got {value!r}")
    return value


def student_seed(secret: bytes | str, student_id: str, exercise_id: str) -> int:
    """The seed of ``student_id``'s hidden cases for ``exercise_id``: a 64-bit int >= 0.

    ``HMAC-SHA256(secret, domain ‖ student ‖ exercise)``, first 8 bytes, big-endian. The ids
    are joined with NUL bytes (which neither may contain), so ``("ab", "c")`` and
    ``("a", "bc")`` cannot collide.
    """
    key = _as_key(secret)
    message = b"\x00".join(
        [
            _DOMAIN,
            _check_id(student_id, "student_id").encode("utf-8"),
            _check_id(exercise_id, "exercise_id").encode("utf-8"),
        ]
    )
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big")


def secret_fingerprint(secret: bytes | str) -> str:
    """A short public name for the secret (16 hex digits): records made with another secret
    are recognised as stale, and the secret cannot be recovered from it."""
    key = _as_key(secret)
    return hmac.new(key, b"genolearn/grading/fingerprint/v1", hashlib.sha256).hexdigest()[:16]


def case_set_label(seed: int, checks_version: str) -> str:
    """The name of one student's case set for one exercise, shown in their feedback
    (``"3f9a1c2b0d4e"``): quoting it on appeal lets the instructor confirm that a replay uses
    the very cases graded. It reveals neither the seed nor the secret."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be an int >= 0, but got {describe(seed)}")
    text = f"{seed}:{checks_version}".encode()
    return hashlib.sha256(text).hexdigest()[:12]


def read_secret(path: str | os.PathLike[str]) -> bytes:
    """The secret stored in the file at ``path``; trailing newlines are dropped, so
    ``openssl rand -hex 32 > secret.txt`` works.

    Raises:
        SecretError: the file is missing, not a regular file, unreadable or empty.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"--secret-file must be a path, but got {describe(path)}")
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise SecretError(f"--secret-file: no file at {p}") from None
    except OSError as exc:
        raise SecretError(f"--secret-file: cannot read {p}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretError(f"--secret-file: {p} is not a regular file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SecretError(f"--secret-file: cannot read {p}: {exc.strerror}") from None
    data = data.rstrip(b"\r\n")
    if not data.strip():
        raise SecretError(
            f"--secret-file: {p} is empty; put a long random string in it, e.g. "
            f"`openssl rand -hex 32 > {p}`, and keep it (the same secret replays the same cases)"
        )
    return data
