"""Find the students' notebooks in a submissions folder.

Two layouts are accepted, mixed freely:

* one notebook per student: ``alice.ipynb`` is student ``alice``;
* one folder per student: ``bob/…/anything.ipynb`` is student ``bob``. Exactly one notebook is
  expected; if there are several and exactly one has the released notebook's name
  (``neuron.ipynb``), that one is graded, otherwise the student is told which ones were found.

Every notebook and every folder becomes a :class:`Submission`: either a notebook to grade, or a
``problem`` written for the student (two notebooks, an empty folder, a folder without a
notebook, a symbolic link) so they still get a gradebook row and feedback. Files beside the
submissions that are not notebooks (``README.txt``, ``grades.xlsx``), hidden entries
(``.DS_Store``, ``.ipynb_checkpoints``) and archive debris (``__MACOSX``) are not students: they
are skipped and listed in :attr:`Scan.ignored` (the command line warns about the first kind).
Student ids are made safe for file names by :func:`student_id`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "NOT_A_NOTEBOOK",
    "Scan",
    "Submission",
    "find_submissions",
    "read_notebook_bytes",
    "student_id",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SKIPPED_NAMES = {"__MACOSX": "macOS archive metadata", "__pycache__": "Python cache"}
_MAX_ID = 64
#: Why a file beside the submissions that is not a notebook (README.txt) was skipped.
NOT_A_NOTEBOOK = "not a Jupyter notebook (.ipynb), so not a submission"


def student_id(name: str) -> str:
    """A student id safe in file names, derived from a file or folder name.

    Letters, digits, ``.``, ``_`` and ``-`` are kept (accents are dropped: ``José`` → ``Jose``),
    anything else becomes ``_``. A name that had to change gets a short hash of the original
    appended (``José`` → ``Jose-6d1c0b``), so two different names never share an id.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a student name must be a non-empty str, got {name!r}")
    ascii_text = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    )
    safe = _UNSAFE.sub("_", ascii_text).strip("._-")[:_MAX_ID]
    if safe != name:
        raw = name.encode("utf-8", "surrogateescape")
        safe = f"{safe or 'student'}-{hashlib.sha256(raw).hexdigest()[:6]}"
    return safe


@dataclass(frozen=True)
class Submission:
    """One student's submission.

    ``student`` is the safe id; ``source`` the entry as found (``"alice.ipynb"``,
    ``"bob/"``), relative to the submissions folder. Exactly one of ``path`` (the notebook to
    grade) and ``problem`` (why there is nothing to grade, a sentence for the student) is set.
    ``note`` says what the finder decided when that may surprise (which of two notebooks).
    """

    student: str
    source: str
    path: Path | None = None
    problem: str = ""
    note: str = ""


@dataclass
class Scan:
    """What :func:`find_submissions` found: submissions sorted by student, and entries it
    skipped as ``(entry, reason)``."""

    submissions: list[Submission] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    def __getitem__(self, student: str) -> Submission:
        for sub in self.submissions:
            if sub.student == student:
                return sub
        raise KeyError(f"no submission from {student!r}")


def _skip_reason(name: str) -> str:
    if name.startswith("."):
        return "hidden"
    return _SKIPPED_NAMES.get(name, "")


def _is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _shown(names: Iterable[str], limit: int = 5) -> str:
    names = sorted(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _in_folder(student: str, folder: Path, display: str, names: set[str]) -> Submission:
    """The notebook inside one student's folder (searched recursively), or the problem."""
    notebooks: list[str] = []
    links: list[str] = []
    others: list[str] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        dirs[:] = sorted(d for d in dirs if not _skip_reason(d))
        for d in dirs:
            if os.path.islink(os.path.join(root, d)):
                links.append((rel_root / d).as_posix() + "/")
        for f in sorted(files):
            if _skip_reason(f):
                continue
            rel = (rel_root / f).as_posix()
            if os.path.islink(os.path.join(root, f)):
                links.append(rel)
            elif _is_notebook(f):
                notebooks.append(rel)
            else:
                others.append(rel)
    if len(notebooks) == 1:
        return Submission(student, display, folder / notebooks[0])
    if len(notebooks) > 1:
        named = [n for n in notebooks if Path(n).name in names]
        if len(named) == 1:
            note = (
                f"found {len(notebooks)} notebooks ({_shown(notebooks)}); graded {named[0]}, "
                "which has the released notebook's name"
            )
            return Submission(student, display, folder / named[0], note=note)
        problem = f"found {len(notebooks)} notebooks: {_shown(notebooks)}; submit exactly one"
        return Submission(student, display, problem=problem)
    if links:
        problem = (
            f"{display} holds only symbolic links ({_shown(links)}), which are not graded; "
            "submit the notebook file itself"
        )
    elif others:
        problem = (
            f"found no notebook (.ipynb) in {display} (it holds {_shown(others)}); "
            "submit your Jupyter notebook"
        )
    else:
        problem = f"the folder {display} is empty; submit your Jupyter notebook (.ipynb)"
    return Submission(student, display, problem=problem)


def find_submissions(
    folder: str | os.PathLike[str],
    *,
    notebook_names: Iterable[str] = (),
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Scan:
    """Every student's submission in ``folder`` (see the module docstring for the layouts).

    Args:
        folder: the submissions folder.
        notebook_names: the released notebooks' file names (``"neuron.ipynb"``): in a folder
            with several notebooks, the one with such a name is graded.
        exclude: paths inside ``folder`` to leave out (e.g. the grader's output folder).

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"SUBMISSIONS: no folder at {root}")
    names = set(notebook_names)
    excluded = {Path(p).resolve() for p in exclude}
    found: dict[str, list[Submission]] = {}
    scan = Scan()
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        reason = _skip_reason(entry.name)
        if Path(entry.path).resolve() in excluded:
            reason = "the grader's output folder"
        if reason:
            scan.ignored.append((entry.name, reason))
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        if not stat.S_ISDIR(mode) and not _is_notebook(entry.name):
            scan.ignored.append((entry.name, NOT_A_NOTEBOOK))  # README.txt is not a student
            continue
        if stat.S_ISDIR(mode):
            sid = student_id(entry.name)
            sub = _in_folder(sid, Path(entry.path), entry.name + "/", names)
        else:
            sid = student_id(entry.name[: -len(".ipynb")])
            if stat.S_ISLNK(mode):
                problem = f"{entry.name} is a symbolic link; submit the notebook file itself"
                sub = Submission(sid, entry.name, problem=problem)
            elif not stat.S_ISREG(mode):
                sub = Submission(sid, entry.name, problem=f"{entry.name} is not a regular file")
            else:
                sub = Submission(sid, entry.name, Path(entry.path))
        found.setdefault(sid.casefold(), []).append(sub)
    for subs in found.values():
        if len(subs) == 1:
            scan.submissions.append(subs[0])
            continue
        sources = _shown(s.source for s in subs)
        problem = f"found several submissions for one student ({sources}); submit exactly one"
        scan.submissions.append(Submission(subs[0].student, sources, problem=problem))
    scan.submissions.sort(key=lambda s: s.student)
    return scan


def read_notebook_bytes(path: str | os.PathLike[str], cap: int) -> bytes:
    """The bytes of the notebook at ``path``, refusing a symbolic link, a non-file or a file
    larger than ``cap`` bytes (``OSError`` with a sentence for the student)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError("the notebook is a symbolic link; submit the file itself") from None
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError("the notebook is not a regular file")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OSError(
            f"the notebook is larger than {cap // 2**20} MiB; clear its outputs "
            "(Kernel → Restart & Clear Output) and submit again"
        )
    return data
