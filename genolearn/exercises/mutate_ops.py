"""The syntax-tree edits that make mutants (see :mod:`genolearn.exercises.mutate`).

:func:`node_ops` lists, for one node, every edit as ``(operator, make)``: ``make`` takes a copy
of the node and returns its replacement (a node, or a list of statements). ``HELPERS`` are the
names a mutant's code may call (a lower-precision cast of the result, an in-place scribble).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["HELPERS", "Op", "node_ops"]


_BINOP_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.MatMult: ast.Mult,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
}  # fmt: skip
_CMP_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
}  # fmt: skip
_REDUCTIONS = {"sum", "mean", "max", "min", "prod", "std", "var", "argmax", "argmin", "any", "all"}
_DROPPABLE_TERMS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def _cast(value: Any, dtype: str) -> Any:
    """The mutant's result computed in a lower precision: float arrays and floats rounded."""
    if isinstance(value, (tuple, list)):
        return type(value)(_cast(v, dtype) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(dtype)
    if isinstance(value, float):
        return float(np.dtype(dtype).type(value))
    return value


def _scribble(value: Any) -> None:
    """Change ``value`` in place (the first element), as a careless ``x[0] = ...`` would."""
    if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
        first = value.flat[0]
        if value.dtype.kind == "b":
            value.flat[0] = not first
        elif value.dtype.kind in "iu":
            value.flat[0] = first ^ 1
        else:
            value.flat[0] = 1.5 if first != 1.5 else 2.5
    elif isinstance(value, list):
        value.append(value[-1] if value else 0)


HELPERS = {"__mutant_cast__": _cast, "__mutant_scribble__": _scribble}


def _num(value: Any) -> ast.AST:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _binop(left: ast.AST, op: ast.operator, right: ast.AST) -> ast.BinOp:
    return ast.BinOp(left=left, op=op, right=right)


def _np_call(name: str, *args: ast.AST) -> ast.Call:
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load()), list(args), [])


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_np(node: ast.Call) -> bool:
    f = node.func
    return (
        isinstance(f, ast.Attribute)
        and isinstance(f.value, ast.Name)
        and f.value.id
        in (
            "np",
            "numpy",
        )
    )


Op = tuple[str, Callable[[ast.AST], Any]]


def _is_max(node: ast.AST) -> bool:
    """``x.max(...)``, ``np.max(...)`` or ``np.amax(...)``: the shift of a stable softmax or
    log-sum-exp (``z - z.max(axis, keepdims=True)``)."""
    return isinstance(node, ast.Call) and _call_name(node) in ("max", "amax", "nanmax")


def _call_ops(node: ast.Call) -> list[Op]:
    ops: list[Op] = []
    name, args = _call_name(node), node.args
    for i, kw in enumerate(node.keywords):
        if kw.arg == "axis":
            ops.append(("axis:dropped", lambda n, i=i: _without_kw(n, i)))
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
                for k in (kw.value.value + 1, kw.value.value - 1):
                    ops.append((f"axis:{kw.value.value}->{k}", lambda n, i=i, k=k: _kw(n, i, k)))
        if kw.arg == "keepdims" and isinstance(kw.value, ast.Constant):
            flip = not kw.value.value
            ops.append((f"keepdims:->{flip}", lambda n, i=i, flip=flip: _kw(n, i, flip)))
    names = {kw.arg for kw in node.keywords}
    if name in _REDUCTIONS and "axis" in names and "keepdims" not in names:
        ops.append(("keepdims:added", lambda n: _with_kw(n, "keepdims", True)))
    if _is_np(node) and len(args) >= 1:
        if name == "log1p":
            ops.append(
                ("naive:log1p", lambda n: _np_call("log", _binop(_num(1), ast.Add(), n.args[0])))
            )
        elif name == "expm1":
            ops.append(
                ("naive:expm1", lambda n: _binop(_np_call("exp", n.args[0]), ast.Sub(), _num(1)))
            )
        elif name == "logaddexp" and len(args) == 2:
            ops.append(
                (
                    "naive:logaddexp",
                    lambda n: _np_call(
                        "log",
                        _binop(_np_call("exp", n.args[0]), ast.Add(), _np_call("exp", n.args[1])),
                    ),
                )
            )
        elif name in ("abs", "absolute", "clip"):
            ops.append((f"naive:{name}-removed", lambda n: n.args[0]))
        elif name == "where" and len(args) == 3:
            ops += [("naive:where->true-branch", lambda n: n.args[1])]
            ops += [("naive:where->false-branch", lambda n: n.args[2])]
        elif name in ("maximum", "minimum", "fmax", "fmin") and len(args) == 2:
            ops += [(f"naive:{name}->first", lambda n: n.args[0])]
            ops += [(f"naive:{name}->second", lambda n: n.args[1])]
    if name == "astype" and isinstance(node.func, ast.Attribute):
        ops.append(("dtype:astype-removed", lambda n: n.func.value))
    if isinstance(node.func, ast.Name) and name == "range" and args:
        stop = len(args) - 1 if len(args) > 1 else 0
        for tag, op in (("-", ast.Sub), ("+", ast.Add)):
            ops.append((f"range:stop{tag}1", lambda n, op=op, s=stop: _arg(n, s, op())))
        if len(args) >= 2:
            ops.append(("range:start+1", lambda n: _arg(n, 0, ast.Add())))
        else:
            ops.append(("range:start=1", lambda n: ast.Call(n.func, [_num(1), *n.args], [])))
    return ops


def _arg(node: ast.Call, i: int, op: ast.operator) -> ast.Call:
    node.args[i] = _binop(node.args[i], op, _num(1))
    return node


def _kw(node: ast.Call, i: int, value: Any) -> ast.Call:
    node.keywords[i].value = ast.Constant(value) if isinstance(value, bool) else _num(value)
    return node


def _without_kw(node: ast.Call, i: int) -> ast.Call:
    del node.keywords[i]
    return node


def _with_kw(node: ast.Call, key: str, value: Any) -> ast.Call:
    node.keywords.append(ast.keyword(key, ast.Constant(value)))
    return node


def _const_ops(value: Any) -> list[Op]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    if value == 0:
        targets = [type(value)(1)]
    elif value == 1:
        targets = [type(value)(0), type(value)(2)]
    elif isinstance(value, int):
        targets = [value + 1, value - 1]
    else:
        targets = [value * 1.1]
    return [(f"const:{value!r}->{t!r}", lambda n, t=t: ast.Constant(t)) for t in targets]


def _slice_ops(node: ast.Slice) -> list[Op]:
    def bound(n: ast.Slice, part: str, op: ast.operator | None, default: int) -> ast.Slice:
        old = getattr(n, part)
        setattr(n, part, _num(default) if old is None else _binop(old, op, _num(1)))
        return n

    ops: list[Op] = [("slice:lower+1", lambda n: bound(n, "lower", ast.Add(), 1))]
    ops.append(("slice:upper-1", lambda n: bound(n, "upper", ast.Sub(), -1)))
    if node.upper is not None:
        ops.append(("slice:upper+1", lambda n: bound(n, "upper", ast.Add(), 0)))
    return ops


def node_ops(node: ast.AST, params: list[str], *, reference: bool) -> list[Op]:
    """Every mutation of ``node`` as ``(operator, make)``; ``make(copied node)`` returns the
    replacement (a node, or a list of statements). ``params`` may be edited in place; the
    result's precision and the arguments' in-place edits are mutated in the ``reference`` only
    (what the learner returns and receives)."""
    ops: list[Op] = []
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAPS:
        new = _BINOP_SWAPS[type(node.op)]
        name = f"swap:{type(node.op).__name__}->{new.__name__}"
        ops.append((name, lambda n, new=new: (setattr(n, "op", new()), n)[1]))
    if isinstance(node, ast.BinOp) and isinstance(node.op, _DROPPABLE_TERMS):
        shift = isinstance(node.op, ast.Sub) and _is_max(node.right)
        name = "naive:max-shift-removed" if shift else "drop:right-operand"
        ops.append((name, lambda n: n.left))
        ops.append(("drop:left-operand", lambda n: n.right))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for new in _CMP_SWAPS.get(type(node.ops[0]), ()):
            name = f"compare:{type(node.ops[0]).__name__}->{new.__name__}"
            ops.append((name, lambda n, new=new: (n.ops.__setitem__(0, new()), n)[1]))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        ops.append((f"drop:unary-{type(node.op).__name__}", lambda n: n.operand))
    if isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        ops.append(
            (
                f"swap:{type(node.op).__name__}->{new.__name__}",
                lambda n, new=new: (setattr(n, "op", new()), n)[1],
            )
        )
    if isinstance(node, ast.Constant):
        ops += _const_ops(node.value)
    if isinstance(node, ast.Attribute) and node.attr == "inf" and isinstance(node.value, ast.Name):
        ops.append(("const:inf->1e4", lambda n: ast.Constant(1e4)))  # a mask of -1e4, not -inf
    if isinstance(node, ast.Call):
        ops += _call_ops(node)
    if isinstance(node, ast.Slice):
        ops += _slice_ops(node)
    if reference and isinstance(node, ast.Return) and node.value is not None:
        for dtype in ("float32", "float16"):
            call = ast.Name("__mutant_cast__", ast.Load())
            ops.append(
                (
                    f"dtype:result-{dtype}",
                    lambda n, d=dtype, c=call: ast.Return(
                        ast.Call(c, [n.value, ast.Constant(d)], [])
                    ),
                )
            )
    target = _inplace_target(node, params)
    if target is not None:
        ops.append((f"inplace:augassign({target})", _to_augassign))
    if reference and isinstance(node, ast.FunctionDef):
        for p in params:
            ops.append((f"inplace:scribble({p})", lambda n, p=p: _scribble_returns(n, p)))
    return ops


def _inplace_target(node: ast.AST, params: list[str]) -> str | None:
    """``t = a OP b`` or ``return a OP b`` with ``a`` an argument: can become ``a OP= b``."""
    value = node.value if isinstance(node, (ast.Assign, ast.Return)) else None
    if isinstance(node, ast.Assign) and not (
        len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
    ):
        return None
    if (
        isinstance(value, ast.BinOp)
        and isinstance(value.op, _DROPPABLE_TERMS)
        and isinstance(value.left, ast.Name)
        and value.left.id in params
    ):
        return value.left.id
    return None


def _to_augassign(node: ast.Assign | ast.Return) -> list[ast.stmt]:
    a = node.value.left.id
    aug = ast.AugAssign(ast.Name(a, ast.Store()), node.value.op, node.value.right)
    node.value = ast.Name(a, ast.Load())
    return [aug, node]


def _scribble_returns(fdef: ast.FunctionDef, param: str) -> ast.FunctionDef:
    """Keep the argument object, and change it in place just before every return."""
    keep = "__mutant_input__"
    for node in ast.walk(fdef):
        for fname, value in ast.iter_fields(node):
            if isinstance(value, list) and any(isinstance(s, ast.Return) for s in value):
                new: list[ast.stmt] = []
                for s in value:
                    if isinstance(s, ast.Return) and s.value is not None:
                        new += ast.parse(
                            f"__mutant_result__ = 0\n__mutant_scribble__({keep})\n"
                            "return __mutant_result__"
                        ).body
                        new[-3].value = s.value
                    else:
                        new.append(s)
                setattr(node, fname, new)
    fdef.body.insert(0, ast.parse(f"{keep} = {param}").body[0])
    return fdef
