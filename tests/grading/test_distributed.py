"""Grading on a Dask cluster gives the same records as grading locally; only strings travel."""

from __future__ import annotations

import json

import pytest

from genolearn.grading import grade_class
from genolearn.grading.distributed import run_dask, run_local
from genolearn.grading.task import GradeTask
from tests.grading.classroom import LIMITS, Student, build_class, lean_notebook, released

pytestmark = pytest.mark.grading

SECRET = b"dask-secret"


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    wrong = lean_notebook(replace={"sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(z))"})
    students = [
        Student("amy", lean_notebook()),
        Student("bob", released()),
        Student("cid", wrong),
        Student("dan", {"a.ipynb": lean_notebook(), "b.ipynb": lean_notebook()}),
    ]
    return build_class(root / "submissions", students), root


def test_dask_cluster_grades_like_the_local_workers(cluster, klass):
    subs, root = klass
    local = grade_class(subs, root / "local", chapters=[1], secret=SECRET, limits=LIMITS)[1]
    remote = grade_class(
        subs,
        root / "dask",
        chapters=[1],
        secret=SECRET,
        limits=LIMITS,
        scheduler=cluster.scheduler_address,
    )[1]
    assert not local.errors and not remote.errors
    assert remote.graded == local.graded == ["amy", "bob", "cid", "dan"]
    assert remote.gradebook.read_bytes() == local.gradebook.read_bytes()
    for name in ("amy", "bob", "cid", "dan"):
        assert (root / "dask" / "records" / "ch01" / f"{name}.json").read_bytes() == (
            root / "local" / "records" / "ch01" / f"{name}.json"
        ).read_bytes()
    assert "\ncid,2,0," in remote.gradebook.read_text()  # the sigmoid is wrong
    for name in ("gradebook.csv", "canvas.csv", "moodle.csv"):
        assert (root / "dask" / name).read_bytes() == (root / "local" / name).read_bytes()
    # Reruns on the cluster reuse the records written by the coordinator.
    again = grade_class(
        subs,
        root / "dask",
        chapters=[1],
        secret=SECRET,
        limits=LIMITS,
        scheduler=cluster.scheduler_address,
    )[1]
    assert again.graded == [] and again.reused == ["amy", "bob", "cid", "dan"]


def _task(**changes) -> str:
    task = GradeTask(
        student="amy",
        source="amy.ipynb",
        sha256="0" * 64,
        seeds=(("ch1.sigmoid", 1),),
        checks_version="0" * 16,  # not this genolearn's checks
        secret_fingerprint="0" * 16,
        limits=LIMITS,
        notebook=b"{}",
    )
    for key, value in changes.items():
        task = task.__class__(**{**task.__dict__, key: value})
    return task.to_json()


def test_a_worker_with_other_checks_refuses_the_task(cluster):
    for results in (
        run_local([("amy", _task()), ("bad", "not json")], workers=1),
        run_dask([("amy", _task())], cluster.scheduler_address),
    ):
        errors = dict(results)
        assert "differ from the coordinator's" in str(errors["amy"])
        if "bad" in errors:  # the same local worker went on after a malformed task
            assert isinstance(errors["bad"], Exception) and "JSONDecodeError" in str(errors["bad"])


def test_tasks_carry_seeds_not_the_secret():
    payload = json.loads(_task())
    assert payload["seeds"] == [["ch1.sigmoid", 1]] and "secret" not in payload
    assert GradeTask.from_json(_task()).notebook == b"{}"
    with pytest.raises(ValueError, match="not a grading task"):
        GradeTask.from_json('{"format": "other"}')


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(OSError, match="--scheduler: cannot reach a Dask scheduler at"):
        list(run_dask([("amy", _task())], "tcp://127.0.0.1:9", connect_timeout_s=1))
    with pytest.raises(ValueError, match="--scheduler must be an address"):
        list(run_dask([("amy", _task())], " "))


def test_local_workers_ignore_modules_in_the_working_folder(tmp_path, monkeypatch):
    for name in ("json.py", "numpy.py", "genolearn.py"):
        (tmp_path / name).write_text("raise SystemExit('shadowed!')")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    [(key, error)] = run_local([("amy", _task())], workers=1)
    assert key == "amy" and "differ from the coordinator's" in str(error)
