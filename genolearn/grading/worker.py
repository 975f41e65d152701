"""The sandboxed worker: runs one student notebook, then calls its exercise functions.

Started only by :func:`genolearn.grading.sandbox.run_submission`: in the jail, as a child the
zygote forks (:mod:`~genolearn.grading.zygote`, which calls :func:`run_job`); without it, as::

    python -I -m genolearn.grading.worker --result-fd N

(``-I``: neither the working directory nor ``PYTHONPATH`` can shadow ``numpy`` or
``genolearn``). The job arrives on stdin: one line of JSON — the notebook's file name and
size, the calls ``{index, exercise, function, forbid, cases: [{args, kwargs}]}`` (values
encoded with :mod:`~genolearn.grading.protocol`), the cells to skip and output caps — then the
notebook's bytes, which the worker writes into its (empty) working folder. The worker then

1. moves the result pipe to a random high descriptor that is not inherited by programs it
   starts, and installs the audit hook (:func:`~genolearn.grading.audit.install_audit_hook`);
2. reads the notebook with nbformat (v4; older versions are converted) — an unreadable one
   is a single ``fatal`` message;
3. executes the code cells in order in one namespace, as Jupyter would from top to bottom:
   IPython magics and shell lines (``%``, ``!``) are skipped, an exception in a cell is
   recorded and the next cell runs, printed output goes to a capped in-memory sink;
4. calls each function on each case with deep copies of the inputs, recording the output
   (encoded, size-capped), the exception and the student line that raised it, numerical
   warnings, mutated inputs, and calls into forbidden modules (``sys.setprofile``);
5. writes one JSON line per event to the result pipe, each with the job's token, and ends
   with ``os._exit`` (student threads and ``atexit`` handlers cannot keep it alive).

The worker never sees expected answers: comparing happens in the grader, so even a forged
result line can only claim outputs, never a pass. Threads for BLAS are set to one before
numpy is imported (the grader also sets them in the environment, because ``-m`` imports the
``genolearn`` package, and numpy with it, before this module runs).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import builtins  # noqa: E402
import copy  # noqa: E402
import difflib  # noqa: E402
import faulthandler  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import linecache  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from genolearn.grading import protocol  # noqa: E402
from genolearn.grading.audit import install_audit_hook  # noqa: E402

__all__ = ["main", "run_job"]

# Bound before any student code runs, so a notebook that patches these modules cannot break
# the worker's own bookkeeping; builtins and numpy's namespace are restored after student code.
_write, _getpid, _exit, _clock = os.write, os.getpid, os._exit, time.perf_counter
_deepcopy, _dumps = copy.deepcopy, json.dumps
# numpy.random is imported lazily by numpy: import it now, while memory is plentiful (after a
# student's memory bomb, loading its shared libraries can fail).
_GENERATOR = np.random.Generator
_BUILTINS, _NUMPY = dict(builtins.__dict__), dict(np.__dict__)
_MAX_TEXT = 2000
_CELL_MAGICS_WITH_PYTHON = {"time", "timeit", "capture", "prun"}


def _restore() -> None:
    builtins.__dict__.update(_BUILTINS)
    np.__dict__.update(_NUMPY)


class _Fatal(Exception):
    """The job cannot run at all (e.g. the notebook cannot be read)."""


class _Channel:
    """The result pipe, moved to a random high descriptor; one JSON line per message."""

    def __init__(self, fd: int, token: str):
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        high = max(64, limit // 2)
        for _ in range(100):
            target = random.SystemRandom().randrange(high, max(high + 1, limit))
            try:
                os.fstat(target)
            except OSError:
                break
        self.fd = os.dup2(fd, target, inheritable=False)
        os.close(fd)
        self.token, self.pid = token, _getpid()

    def send(self, kind: str, **fields: Any) -> None:
        if _getpid() != self.pid:
            _exit(0)  # a child forked by student code must never report
        message = {"token": self.token, "kind": kind, **fields}
        line = _dumps(message, separators=(",", ":"), allow_nan=False)
        view = memoryview((line + "\n").encode())
        try:
            while view:
                view = view[_write(self.fd, view) :]
        except OSError:
            _exit(70)  # the channel is gone; the grader reports the worker's death


class _Capture:
    """Keeps the first ``limit`` characters of everything printed, counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.kept, self.total = limit, [], 0, 0

    def take(self, text: str) -> None:
        self.total += len(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))

    def text(self) -> str:
        return "".join(self.parts)


class _Sink(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` for student code: capped, never blocks, never fills."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, capture: _Capture):
        self.capture = capture
        self.buffer = _ByteSink(capture)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.capture.take(text)
        return len(text)

    def close(self) -> None:  # closing stdout in a notebook must not break later prints
        pass


class _ByteSink(io.RawIOBase):
    def __init__(self, capture: _Capture):
        self.capture = capture

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.capture.take(data.decode("utf-8", "replace"))
        return len(data)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- the notebook


def _load_cells(path: str) -> list[tuple[int, str]]:
    """``(cell number counted from 1 over all cells, source)`` of each code cell."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise _Fatal(f"the notebook file is empty ({len(raw)} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Fatal(
            f"it is not UTF-8 text: byte 0x{raw[exc.start]:02x} at position {exc.start} "
            "cannot be decoded (save it again from Jupyter and resubmit)"
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Fatal(f"it is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise _Fatal("it is JSON but not a Jupyter notebook (no 'nbformat' version number)")
    import nbformat

    try:
        nb = nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as exc:
        raise _Fatal(f"nbformat cannot read it ({type(exc).__name__}: {exc})") from None
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise _Fatal("it has no list of cells")
    code = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            code.append((number, "".join(source) if isinstance(source, list) else str(source)))
    if not code:
        raise _Fatal("the notebook has no code cells")
    return code


def _python_source(source: str) -> str | None:
    """The cell without IPython magics and shell lines (replaced by ``pass`` so line numbers
    stay put); ``None`` for a cell magic such as ``%%bash`` whose body is not Python."""
    lines = source.split("\n")
    first = lines[0].strip()
    if first.startswith("%%"):
        if (first[2:].split() or [""])[0] not in _CELL_MAGICS_WITH_PYTHON:
            return None
        lines[0] = ""
    for i, line in enumerate(lines):
        code = line.lstrip()
        if code.startswith(("%", "!")):
            lines[i] = line[: len(line) - len(code)] + "pass  # IPython magic skipped by the grader"
    return "\n".join(lines)


def _text(obj: Any) -> str:
    try:
        text = str(obj)
    except BaseException:
        return "<the message could not be shown>"
    return text[:_MAX_TEXT] if type(text) is str else "<the message could not be shown>"


def _error_record(exc: BaseException) -> dict[str, Any]:
    """Type, message and the innermost line of student code (a ``<cell N>`` frame)."""
    qual, module = protocol.type_name(exc)
    name = qual if module in ("builtins", "__main__", "") else f"{module}.{qual}"
    if isinstance(exc, SystemExit):
        message = "" if exc.code is None else _text(repr(exc.code))
    else:
        message = _text(exc)
    cell = line = source = None
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        if isinstance(exc, SyntaxError) and str(exc.filename).startswith("<cell "):
            cell, line, source = int(exc.filename[6:-1]), exc.lineno, (exc.text or "").strip()
        for frame in reversed(frames):
            if cell is None and frame.filename.startswith("<cell "):
                cell, line, source = int(frame.filename[6:-1]), frame.lineno, frame.line
    except Exception:
        pass
    return {"type": name, "message": message, "cell": cell, "line": line, "source": source}


def _display(*objs: Any, **kwargs: Any) -> None:
    """Jupyter's ``display`` without a front end: the objects go to the capped output."""
    for obj in objs:
        print(obj)


def _run_cell(number: int, source: str, ns: dict) -> dict[str, Any] | None:
    filename = f"<cell {number}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec", dont_inherit=True), ns)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the next cell runs
        return _error_record(exc)
    return None


# --------------------------------------------------------------------------- the calls


def _matcher(forbid: tuple[str, ...]):
    cache: dict[str, bool] = {}

    def matches(module: str) -> bool:
        if module not in cache:
            cache[module] = not module.startswith("genolearn.grading") and any(
                module == p or module.startswith(p + ".") for p in forbid
            )
        return cache[module]

    return matches


def _c_module(fn: Any) -> str | None:
    """The module of a C function or method given to a ``c_call`` profile event."""
    module = getattr(fn, "__module__", None)
    if type(module) is str:
        return module
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, types.ModuleType):
        name = owner.__dict__.get("__name__")
        return name if type(name) is str else None
    if owner is not None:
        return protocol.type_name(owner)[1] if not isinstance(owner, type) else owner.__module__
    return None


class _Profiler:
    """``sys.setprofile`` hook recording calls into forbidden modules (outermost first)."""

    def __init__(self, forbid: tuple[str, ...]):
        self.matches, self.hits = _matcher(forbid), {}

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            module = frame.f_globals.get("__name__")
            if type(module) is str and self.matches(module) and len(self.hits) < 20:
                self.hits.setdefault(f"{module}.{frame.f_code.co_qualname}", None)
        elif event == "c_call":
            module = _c_module(arg)
            if module and self.matches(module) and len(self.hits) < 20:
                self.hits.setdefault(f"{module}.{getattr(arg, '__qualname__', '?')}", None)


def _static_references(fn: Any, forbid: tuple[str, ...]) -> list[str]:
    """Names the function's code uses that resolve to forbidden modules or their functions
    (catches what profiling cannot see, e.g. a ``scipy.special`` ufunc)."""
    code, globs = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if not isinstance(code, types.CodeType) or type(globs) is not dict:
        return []
    matches, names, stack = _matcher(forbid), set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    hits = []
    for name in sorted(names):
        obj = globs.get(name)
        if isinstance(obj, types.ModuleType):
            module = obj.__dict__.get("__name__")
            label = module
        elif isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc, type)):
            module = getattr(obj, "__module__", None)
            label = f"{module}.{getattr(obj, '__qualname__', name)}"
        else:
            continue
        if type(module) is str and matches(module):
            hits.append(str(label))
    return hits


def _same(a: Any, b: Any) -> bool:
    """Is ``b`` (what the function was given, maybe changed) still equal to ``a``?"""
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is _GENERATOR:
        return True  # a seed given as a Generator is there to be drawn from
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b or (a != a and b != b)


def _run_case(fn: Any, args: tuple, kwargs: dict, profiler: _Profiler | None, job: dict) -> dict:
    given_args, given_kwargs = _deepcopy(args), _deepcopy(kwargs)
    _restore()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = _clock()
        if profiler is not None:
            sys.setprofile(profiler)
        try:
            value, error = fn(*given_args, **given_kwargs), None
        except BaseException as exc:  # the student's exception is a result, not our crash
            value, error = None, exc
        finally:
            disabled = profiler is not None and sys.getprofile() is not profiler
            sys.setprofile(None)
        duration = _clock() - start
    if _getpid() != job["pid"]:
        _exit(0)  # a child forked by the student's function returns here: it must not report
    _restore()
    record = {"status": "ok", "output": None, "error": None, "duration": duration, "detail": ""}
    if error is not None:
        record.update(status="error", error=_error_record(error))
    else:
        try:
            record["output"] = protocol.encode(
                value, max_bytes=job["max_output_bytes"], max_items=job["max_output_items"]
            )
        except protocol.OutputTooLarge as exc:
            record.update(status="too_large", detail=str(exc))
        except MemoryError:
            record.update(status="too_large", detail="the value is too large to send")
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    before, after = [*args, *kwargs.values()], [*given_args, *given_kwargs.values()]
    record["mutated"] = [n for n, a, b in zip(names, before, after, strict=True) if not _same(a, b)]
    record["warnings"] = sorted(
        {_text(f"{w.category.__name__}: {w.message}")[:300] for w in caught[:100]}
    )[:20]
    record["disabled"] = disabled
    return record


def _resolve(calls: list[dict]) -> dict[str, Any]:
    """The reference functions the calls substitute (``"module:qualname"`` -> function),
    imported before any student code runs, so a notebook cannot swap them."""
    out: dict[str, Any] = {}
    for call in calls:
        for _, where in call.get("substitute", ()):
            module, _, qualname = str(where).partition(":")
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            out[where] = obj
    return out


def _substitute(fn: Any, pairs: list, resolved: dict[str, Any], profiler: Any) -> Any:
    """Put the reference dependencies into ``fn``'s globals (the exercise is graded in
    isolation: a mistake in a function it calls costs points only there); returns a function
    that restores the globals. While a reference runs, call tracing is paused: its own calls
    into genolearn are not the student's."""
    globs = getattr(fn, "__globals__", None)
    if type(globs) is not dict or not pairs:
        return lambda: None

    def paused(ref: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            sys.setprofile(None)
            try:
                return ref(*args, **kwargs)
            finally:
                sys.setprofile(profiler)

        return call if profiler is not None else ref

    missing = object()
    saved = {name: globs.get(name, missing) for name, _ in pairs}
    globs.update({name: paused(resolved[where]) for name, where in pairs})

    def restore() -> None:
        for name, old in saved.items():
            if old is missing:
                globs.pop(name, None)
            else:
                globs[name] = old

    return restore


def _run_call(
    call: dict, ns: dict, channel: _Channel, job: dict, resolved: dict[str, Any]
) -> dict[str, Any]:
    name = call["function"]
    result = {"call": call["index"], "found": False, "found_type": None, "similar": []}
    result.update(cases=[], forbidden=[], tracing_disabled=False, duration=0.0)
    fn = ns.get(name)
    if fn is None or not callable(fn):
        if name in ns:
            result["found_type"] = protocol.type_name(fn)[0]
        defined = [k for k, v in ns.items() if type(k) is str and callable(v) and k[:1] != "_"]
        result["similar"] = difflib.get_close_matches(name, defined, n=3, cutoff=0.7)
        return result
    forbid = tuple(call["forbid"])
    profiler = _Profiler(forbid) if forbid else None
    start = _clock()
    restore = _substitute(fn, list(call.get("substitute", ())), resolved, profiler)
    try:
        for j, case in enumerate(call["cases"]):
            channel.send("case", call=call["index"], case=j)
            args, kwargs = protocol.decode(case["args"]), protocol.decode(case["kwargs"])
            record = _run_case(fn, tuple(args), dict(kwargs), profiler, job)
            result["tracing_disabled"] |= record.pop("disabled")
            result["cases"].append(record)
    finally:
        restore()
    hits = list(profiler.hits) if profiler is not None else []
    hits += [h for h in _static_references(fn, forbid) if h not in hits]
    result.update(found=True, forbidden=hits[:50], duration=_clock() - start)
    return result


# --------------------------------------------------------------------------- main


def _read_job() -> dict[str, Any]:
    """The job (one JSON line on stdin), after writing the notebook bytes that follow it
    into the working folder; stdin is then ``/dev/null``."""
    with open(0, "rb", closefd=False) as stdin:
        job = json.loads(stdin.readline())
        name, size = job["notebook"], int(job["notebook_bytes"])
        if os.path.basename(name) != name or name.startswith("."):
            raise ValueError(f"the notebook's name must be a plain file name, got {name!r}")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            while size > 0:
                chunk = stdin.read(min(size, 1 << 20))
                if not chunk:
                    raise EOFError("the notebook ended early")
                f.write(chunk)
                size -= len(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return job


def main(argv: list[str] | None = None) -> None:
    """Run one job (see the module docstring); never returns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result-fd", type=int, required=True)
    run_job(parser.parse_args(argv).result_fd)


def run_job(result_fd: int) -> None:
    """Read the job on stdin and run it, reporting on ``result_fd``; never returns."""
    faulthandler.enable()  # a segfault leaves a traceback in stderr for the grader's report
    job = _read_job()
    channel = _Channel(result_fd, job["token"])
    job["pid"] = _getpid()
    install_audit_hook(os.getcwd(), allow_subprocess=job["allow_subprocess"])
    channel.send("ready", pid=job["pid"], audit_hook=True)
    try:
        resolved = _resolve(job["calls"])
        cells = _load_cells(job["notebook"])
    except _Fatal as exc:
        channel.send("fatal", reason=str(exc))
        _exit(0)
    except Exception as exc:
        channel.send("fatal", reason=f"it could not be read ({type(exc).__name__}: {exc})")
        _exit(0)
    capture = _Capture(job["max_captured_output"])
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    ns["display"] = _display
    errors = []
    for number, source in cells:
        if number in job["skip_cells"]:
            continue
        channel.send("cell", cell=number)
        python = _python_source(source)
        sys.stdout = sys.stderr = _Sink(capture)
        error = None if python is None else _run_cell(number, python, ns)
        if _getpid() != job["pid"]:
            _exit(0)
        _restore()
        if error is not None:
            errors.append(error)
    channel.send(
        "notebook",
        cells=len(cells),
        errors=errors[:1000],
        stdout=capture.text(),
        stdout_bytes=capture.total,
    )
    for call in job["calls"]:
        channel.send("start", call=call["index"])
        sys.stdout = sys.stderr = _Sink(capture)
        channel.send("result", **_run_call(call, ns, channel, job, resolved))
    channel.send("done")
    _exit(0)


if __name__ == "__main__":
    main()
