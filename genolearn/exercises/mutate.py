"""Mutation testing of the checks: wrong implementations generated from every reference.

A *mutant* is the exercise's reference (or a genolearn function it calls, see below) with one
small change made to its syntax tree: an operator swapped, a constant perturbed, a term dropped,
a reduction's ``axis``/``keepdims`` changed, a range or slice bound off by one, a stable formula
made naive (``np.log1p(x) -> np.log(1 + x)``, a ``np.where`` branch or an ``np.abs`` removed), the
result cast to float32/float16, or an argument edited in place. A check that passes a mutant
cannot tell that wrong answer from the right one, unless the change makes no difference within
the exercise's contract (an *equivalent* mutant).

Which code is mutated: the reference and the genolearn functions it calls by name, to depth
``depth``, except validation (``genolearn._validation``; guards ``if ...: raise``) and other
exercises' references (each is checked by its own exercise: a mistake costs points once). A
mutated callee is compiled in its module's globals and reached through rebound copies of its
callers, so nothing is patched in place. Mutant ids are stable: ``exercise id:function:operator:
line:col`` with the line counted from the mutated function's ``def`` (line 1).
"""

from __future__ import annotations
import __future__

import ast
import copy
import hashlib
import inspect
import linecache
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genolearn.exercises.mutate_ops import HELPERS, node_ops
from genolearn.exercises.registry import Exercise, all_exercises

__all__ = ["Mutant", "mutants", "mutated_functions", "sample"]

_ANNOTATIONS = __future__.annotations.compiler_flag  # annotations are never evaluated


@dataclass(frozen=True)
class Mutant:
    """One generated wrong implementation of an exercise.

    ``implementation()`` compiles it: a function with the reference's signature.
    """

    id: str
    exercise_id: str
    function: str  # module.qualname of the mutated function (the reference or a callee)
    operator: str
    line: int
    col: int
    description: str  # "before -> after", as source text
    _build: Callable[[], Callable[..., Any]] = field(repr=False, compare=False)

    def implementation(self) -> Callable[..., Any]:
        return self._build()


def _source_tree(fn: Callable) -> ast.FunctionDef | None:
    if fn.__code__.co_freevars:  # a closure cannot be recompiled in its module's globals
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        return None
    if _compiled_from_disk(fn) != fn.__code__.co_code:
        raise RuntimeError(
            f"the source of {fn.__module__}.{fn.__qualname__} on disk is not the code that "
            "was imported (was the file edited since?): mutants would not be of this code"
        )
    fdef.decorator_list = []
    body = fdef.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        fdef.body = body[1:]  # the docstring
    return fdef


def _compiled_from_disk(fn: Callable) -> bytes | None:
    """The bytecode of ``fn`` compiled from its file as it is on disk now (the whole module,
    as the import did: the compiler treats names bound by a module-level import specially)."""
    filename = inspect.getsourcefile(fn)
    lines = linecache.getlines(filename) if filename else []
    if not lines:
        return None
    todo = [compile("".join(lines), filename, "exec", dont_inherit=True)]
    while todo:
        code = todo.pop()
        if code.co_qualname == fn.__code__.co_qualname:
            return code.co_code
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return None


def _resolve(fn: Callable, node: ast.AST) -> Any:
    return fn.__globals__.get(node.id) if isinstance(node, ast.Name) else None


def _is_validation(obj: Any) -> bool:
    return getattr(obj, "__module__", "") == "genolearn._validation"


def mutated_functions(
    exercise: Exercise, depth: int = 2
) -> list[tuple[tuple[Callable, ...], tuple[str, ...]]]:
    """The functions whose mutants stand for ``exercise``: ``(chain, names)`` pairs, where
    ``chain`` runs from the reference to the mutated function and ``names[i]`` is the global
    name under which ``chain[i]`` calls ``chain[i + 1]``."""
    others = {id(e.reference) for e in all_exercises() if e.id != exercise.id}
    found = [((exercise.reference,), ())]
    seen = {id(exercise.reference)}
    frontier = list(found)
    for _ in range(depth):
        nxt = []
        for chain, names in frontier:
            tree = _source_tree(chain[-1])
            for node in ast.walk(tree) if tree is not None else ():
                obj = _resolve(chain[-1], node.func) if isinstance(node, ast.Call) else None
                if (
                    inspect.isfunction(obj)
                    and obj.__module__.startswith("genolearn")
                    and not _is_validation(obj)
                    and id(obj) not in others | seen
                ):
                    seen.add(id(obj))
                    nxt.append(((*chain, obj), (*names, node.func.id)))
        found += nxt
        frontier = nxt
    return found


def _excluded(fn: Callable, fdef: ast.FunctionDef, reference: bool) -> set[int]:
    """Nodes never mutated: validation calls, raise/assert, error paths (an ``if`` whose body
    ends in ``raise``), f-strings, annotations, and a callee's defaults (its callers choose the
    arguments)."""
    a = fdef.args
    roots: list[ast.AST] = [x for x in (fdef.returns,) if x is not None]
    roots += [p.annotation for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.annotation]
    if not reference:
        roots += [d for d in (*a.defaults, *a.kw_defaults) if d is not None]
    for node in ast.walk(fdef):
        if isinstance(node, (ast.Raise, ast.Assert, ast.JoinedStr)):
            roots.append(node)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        elif isinstance(node, ast.Call) and _is_validation(_resolve(fn, node.func)):
            roots.append(node)
        elif isinstance(node, ast.If) and isinstance(node.body[-1], ast.Raise):
            roots.append(node)
    return {id(n) for root in roots for n in ast.walk(root)}


def _mutable_params(fdef: ast.FunctionDef) -> list[str]:
    """Parameters that may hold an array or a list (an in-place edit means something): those
    without an annotation, or annotated with an array or container type."""
    a = fdef.args
    out = []
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
        text = ast.unparse(p.annotation) if p.annotation else ""
        if not text or any(t in text for t in ("ndarray", "Any", "list", "Sequence", "Array")):
            out.append(p.arg)
    return out


def _replace(root: ast.AST, old: ast.AST, new: ast.AST | list[ast.stmt]) -> ast.AST:
    if old is root:
        return new
    for parent in ast.walk(root):
        for fname, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, fname, new)
                return root
            if isinstance(value, list) and any(v is old for v in value):
                i = next(i for i, v in enumerate(value) if v is old)
                value[i : i + 1] = new if isinstance(new, list) else [new]
                return root
    raise LookupError("node not found")


def _compile(chain: tuple[Callable, ...], names: tuple[str, ...], fdef: ast.FunctionDef):
    fn = chain[-1]
    module = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
    namespace = {**fn.__globals__, **HELPERS}
    exec(compile(module, f"<mutant of {fn.__qualname__}>", "exec", flags=_ANNOTATIONS), namespace)
    new = namespace[fdef.name]
    new.__kwdefaults__ = fn.__kwdefaults__
    for parent, name in reversed(list(zip(chain[:-1], names, strict=True))):
        rebound = types.FunctionType(
            parent.__code__,
            {**parent.__globals__, name: new},
            parent.__name__,
            parent.__defaults__,
            parent.__closure__,
        )
        rebound.__kwdefaults__ = parent.__kwdefaults__
        new = rebound
    return new


def _build(chain, names, fdef, index, make) -> Callable[..., Any]:
    tree = copy.deepcopy(fdef)
    node = list(ast.walk(tree))[index]
    return _compile(chain, names, _replace(tree, node, make(node)))


def _describe(before: ast.AST, after: Any) -> str:
    def text(x: Any) -> str:
        s = "; ".join(ast.unparse(n) for n in x) if isinstance(x, list) else ast.unparse(x)
        s = " ".join(s.split())
        return s if len(s) <= 70 else s[:67] + "..."

    return f"{text(before)} -> {text(after)}"


def mutants(exercise: Exercise, depth: int = 2) -> list[Mutant]:
    """Every mutant of ``exercise``, in a fixed order, with unique stable ids."""
    out: list[Mutant] = []
    for chain, names in mutated_functions(exercise, depth):
        fn = chain[-1]
        fdef = _source_tree(fn)
        if fdef is None:
            continue
        first = fdef.lineno
        reference = len(chain) == 1
        excluded = _excluded(fn, fdef, reference)
        params = _mutable_params(fdef)
        if reference:  # only the arguments that the cases fill with arrays or lists
            params = [p for p in params if p in _array_params(exercise)]
        where = f"{fn.__module__}.{fn.__qualname__}"
        for index, node in enumerate(ast.walk(fdef)):
            if id(node) in excluded or isinstance(node, ast.arguments):
                continue
            for operator, make in node_ops(node, params, reference=reference):
                line = getattr(node, "lineno", first) - first + 1
                col = getattr(node, "col_offset", 0)
                span = f"{col}-{getattr(node, 'end_col_offset', col)}"
                if isinstance(node, ast.FunctionDef):
                    before, after = ast.Name(f"def {fn.__name__}(...)"), ast.Name(operator)
                else:
                    before = copy.deepcopy(node)
                    after = make(copy.deepcopy(node))
                mid = f"{exercise.id}:{fn.__qualname__}:{operator}:{line}:{span}"
                out.append(
                    Mutant(
                        mid, exercise.id, where, operator, line, col, _describe(before, after),
                        lambda c=chain, n=names, f=fdef, i=index, m=make: _build(c, n, f, i, m),
                    )
                )  # fmt: skip
    ids = [m.id for m in out]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise RuntimeError(f"mutant ids are not unique: {dup[:5]}")
    return out


def _array_params(exercise: Exercise) -> set[str]:
    """The reference's parameters that hold an array or a list in some case (seed 0)."""
    signature = inspect.signature(exercise.reference)
    found = set()
    for case in exercise.make_cases(np.random.default_rng(0)):
        bound = signature.bind(*case.args, **case.kwargs).arguments
        found |= {k for k, v in bound.items() if isinstance(v, (np.ndarray, list))}
    return found


def sample(items: list[Mutant], limit: int | None) -> list[Mutant]:
    """At most ``limit`` mutants, chosen by a hash of their ids (the same on every machine)."""
    if limit is None or len(items) <= limit:
        return list(items)
    key = lambda m: hashlib.sha256(m.id.encode()).hexdigest()  # noqa: E731
    chosen = {m.id for m in sorted(items, key=key)[:limit]}
    return [m for m in items if m.id in chosen]
