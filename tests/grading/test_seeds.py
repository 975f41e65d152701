"""Seeds of the hidden cases: stable, different per student and exercise, secret-keyed."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genolearn.exercises import get_exercise
from genolearn.grading.seeds import (
    SecretError,
    case_set_label,
    read_secret,
    secret_fingerprint,
    student_seed,
)

pytestmark = pytest.mark.grading

ids = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), min_size=1)


def test_pinned_values_are_stable_across_versions_and_machines():
    # HMAC-SHA256 is fully specified: these numbers must never change, or appeals could not
    # replay the cases that were graded.
    assert student_seed(b"course-secret", "alice", "ch1.sigmoid") == 17753125606880931626
    assert student_seed("course-secret", "bob", "ch1.sigmoid") == 5692643885239987571
    assert secret_fingerprint(b"course-secret") == "cc8de6e4a2c6046b"


def test_stable_across_processes_with_different_hash_seeds():
    code = (
        "from genolearn.grading.seeds import student_seed;"
        "print(student_seed(b'k', 'alice', 'ch1.sigmoid'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {str(student_seed(b"k", "alice", "ch1.sigmoid"))}


def test_differs_by_student_exercise_and_secret():
    seeds = {
        student_seed(secret, student, exercise)
        for secret in (b"k1", b"k2")
        for student in ("alice", "bob")
        for exercise in ("ch1.sigmoid", "ch1.neuron_forward")
    }
    assert len(seeds) == 8
    assert student_seed("k", "ab", "c") != student_seed("k", "a", "bc")  # no ambiguous join


def test_hidden_cases_differ_between_students_and_replay_exactly():
    exercise = get_exercise("ch1.sigmoid")

    def cases(student):
        rng = np.random.default_rng(student_seed(b"k", student, exercise.id))
        return exercise.make_cases(rng)

    alice, alice_again, bob = cases("alice"), cases("alice"), cases("bob")
    randomized = [i for i, c in enumerate(alice) if c.label.startswith("random")]
    assert randomized
    for i in randomized:
        np.testing.assert_array_equal(alice[i].args[0], alice_again[i].args[0])
        assert not np.array_equal(alice[i].args[0], bob[i].args[0])


@settings(max_examples=50, deadline=None)
@given(secret=st.binary(min_size=1, max_size=64), student=ids, exercise=ids)
def test_seed_is_a_deterministic_64_bit_int(secret, student, exercise):
    seed = student_seed(secret, student, exercise)
    assert isinstance(seed, int) and 0 <= seed < 2**64
    assert seed == student_seed(secret, student, exercise)
    np.random.default_rng(seed)  # usable as a numpy seed


def test_bad_arguments():
    with pytest.raises(SecretError, match="secret must not be empty"):
        student_seed(b"", "alice", "ch1.sigmoid")
    with pytest.raises(TypeError, match="student_id must be a non-empty str"):
        student_seed(b"k", "", "ch1.sigmoid")
    with pytest.raises(TypeError, match="secret must be bytes or str"):
        student_seed(123, "alice", "ch1.sigmoid")
    with pytest.raises(ValueError, match="NUL"):
        student_seed(b"k", "a\x00b", "ch1.sigmoid")


def test_fingerprint_and_case_set_label_reveal_nothing():
    secret = b"a-long-course-secret"
    fp = secret_fingerprint(secret)
    assert len(fp) == 16 and secret.hex()[:8] not in fp and fp != secret_fingerprint(b"other")
    seed = student_seed(secret, "alice", "ch1.sigmoid")
    label = case_set_label(seed, "0123456789abcdef")
    assert len(label) == 12 and str(seed) not in label
    assert label == case_set_label(seed, "0123456789abcdef")
    assert label != case_set_label(seed, "fedcba9876543210")  # a new check version is a new set


def test_read_secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(b"s3cret\n")
    assert read_secret(path) == b"s3cret"
    path.write_bytes(b"\x00\xffbinary\n\n")
    assert read_secret(path) == b"\x00\xffbinary"
    with pytest.raises(SecretError, match=r"--secret-file: no file at .*missing"):
        read_secret(tmp_path / "missing")
    with pytest.raises(SecretError, match="is not a regular file"):
        read_secret(tmp_path)
    for empty in (b"", b"\n", b"  \r\n"):
        path.write_bytes(empty)
        with pytest.raises(SecretError, match="is empty"):
            read_secret(path)
