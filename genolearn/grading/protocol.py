"""The JSON codec between the grader and its sandboxed worker — plain data only, never pickle.

A value crosses the process boundary as JSON. Plain JSON covers ``None``, ``bool``, ``int``,
finite ``float``, ``str`` and ``list``; everything else is a *tagged object*, a JSON object
whose ``"$type"`` says what it is:

============  ===========================================================================
``float``     NaN or ±inf, as the 16 hex digits of its IEEE-754 bits (so every NaN payload
              and sign round-trips exactly; standard JSON has no NaN)
``tuple``     ``{"items": [...]}``
``dict``      ``{"items": {...}}`` — string keys only, order kept
``ndarray``   ``{"dtype": "<f8", "shape": [N, L], "data": base64 of the raw little-endian
              bytes in C order}`` — bool, integer, float, complex, str and bytes dtypes
``scalar``    a numpy scalar (``np.float32(1.5)``), same fields as ``ndarray`` without shape
``generator``   a ``numpy.random.Generator`` over PCG64 (a seed an exercise may take):
              ``{"state": "<decimal>", "inc": "<decimal>", "has_uint32": 0, "uinteger": 0}``
``unsupported``  anything else: ``{"type": "EvilObject", "module": "__main__", "reason": ""}``
============  ===========================================================================

Types are matched exactly (``type(x) is float``), so a subclass of ``float`` or ``ndarray``
with a custom ``__eq__`` comes back as :class:`Unsupported` and can never compare equal to
the expected answer. Encoding is capped in bytes and in elements (:class:`OutputTooLarge`).

The worker writes one JSON message per line, each carrying the job's random token; the grader
parses every line with :func:`parse_message`, which checks the size, the token and the
JSON Schema :data:`MESSAGE_SCHEMA` before anything is decoded.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from genolearn._validation import check_int

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ITEMS",
    "MESSAGE_KINDS",
    "MESSAGE_SCHEMA",
    "ForgedMessage",
    "OutputTooLarge",
    "ProtocolError",
    "Unsupported",
    "decode",
    "dumps",
    "encode",
    "loads",
    "parse_message",
    "size_text",
    "type_name",
]

TAG = "$type"
DEFAULT_MAX_BYTES = 16 * 2**20
DEFAULT_MAX_ITEMS = 20_000
MAX_DEPTH = 64
_ARRAY_KINDS = "biufcUS"  # bool, signed, unsigned, float, complex, str, bytes
_DTYPE_RE = re.compile(r"^(\|b1|\|[iu]1|<[iu][248]|<f[248]|<c(8|16)|<U[0-9]{1,6}|\|S[0-9]{1,6})$")
_SCALAR_TYPES = frozenset(
    t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in _ARRAY_KINDS
)
_json_str = json.encoder.encode_basestring_ascii
_MAX_INT_BITS = 12_000  # about 3,600 digits, under Python's 4,300-digit str conversion limit


class ProtocolError(ValueError):
    """A message from the worker is malformed: too large, not JSON, or not schema-valid."""


class ForgedMessage(ProtocolError):
    """A line on the result channel does not carry this job's token (a forgery or stray data)."""


class OutputTooLarge(ValueError):
    """A value is over the byte or element cap; ``str()`` says by how much."""


@dataclass(frozen=True)
class Unsupported:
    """Stands in for a value the protocol does not carry (never the object itself).

    ``type`` is the class's qualified name, ``module`` its module, ``reason`` an optional
    explanation ("it contains itself"). ``type_name`` is what feedback shows: ``EvilObject``,
    ``generator``, ``torch.Tensor``.
    """

    type: str
    module: str = ""
    reason: str = ""

    #: Tells :func:`genolearn.exercises.compare.summarize` to name the original type, not this one.
    genolearn_stand_in: ClassVar[bool] = True

    @property
    def type_name(self) -> str:
        if self.module in ("", "builtins", "__main__"):
            return self.type
        return f"{self.module}.{self.type}"

    def __str__(self) -> str:
        extra = f" ({self.reason})" if self.reason else ""
        return f"<unsupported {self.type_name}{extra}>"


def type_name(value: Any) -> tuple[str, str]:
    """``(qualname, module)`` of ``type(value)``, read without running ``value``'s own code
    (a metaclass cannot fake them: the descriptors of ``type`` itself are used)."""
    cls = type(value)
    try:
        qual = type.__dict__["__qualname__"].__get__(cls)
        module = type.__dict__["__module__"].__get__(cls)
    except Exception:
        qual, module = "?", ""
    qual = qual[:200] if type(qual) is str else "?"
    module = module[:200] if type(module) is str else ""
    return qual, module


def _unsupported(value: Any, reason: str = "") -> dict[str, Any]:
    qual, module = type_name(value)
    return {TAG: "unsupported", "type": qual, "module": module, "reason": reason}


class _Encoder:
    def __init__(self, max_bytes: int, max_items: int, strict: bool):
        self.max_bytes, self.max_items, self.strict = max_bytes, max_items, strict
        self.bytes, self.items = 0, 0
        self.active: set[int] = set()

    def charge(self, nbytes: int, items: int = 0) -> None:
        self.bytes += nbytes
        self.items += items
        if self.bytes > self.max_bytes:
            raise OutputTooLarge(
                f"the value is larger than the {size_text(self.max_bytes)} limit "
                f"(over {size_text(self.bytes)} so far)"
            )
        if self.items > self.max_items:
            raise OutputTooLarge(
                f"the value has more than {self.max_items:,} elements in lists, tuples and "
                "dicts; return a numpy array instead"
            )

    def reject(self, value: Any, reason: str = "") -> dict[str, Any]:
        if self.strict:
            qual, module = type_name(value)
            name = qual if module in ("builtins", "__main__", "") else f"{module}.{qual}"
            raise TypeError(
                f"cannot send a value of type {name}{' (' + reason + ')' if reason else ''}; "
                "use None, bool, int, float, str, list, tuple, dict or a numeric numpy array"
            )
        record = _unsupported(value, reason)
        self.charge(64 + sum(len(_json_str(record[k])) for k in ("type", "module", "reason")))
        return record

    def encode(self, x: Any, depth: int) -> Any:
        t = type(x)
        if x is None or t is bool:
            self.charge(5)
            return x
        if t is int:
            if x.bit_length() > _MAX_INT_BITS:
                return self.reject(x, f"an integer with more than {_MAX_INT_BITS} bits")
            self.charge(x.bit_length() // 3 + 2)
            return x
        if t is float:
            if math.isfinite(x):
                self.charge(24)  # the longest repr, e.g. -1.2345678901234567e-308
                return x
            self.charge(48)
            return {TAG: "float", "bits": _float_bits(x)}
        if t is str:
            # What the string costs once written as JSON (escapes and \uXXXX included).
            if x.isascii() and x.isprintable():
                self.charge(len(x) + 2 + x.count('"') + x.count("\\"))
            else:
                self.charge(len(_json_str(x)))
            return x
        if t is np.ndarray:
            return self.array(x)
        if self.strict and t is np.random.Generator and type(x.bit_generator) is np.random.PCG64:
            self.charge(160)
            state = x.bit_generator.state
            return {
                TAG: "generator",
                "state": str(state["state"]["state"]),
                "inc": str(state["state"]["inc"]),
                "has_uint32": int(state["has_uint32"]),
                "uinteger": int(state["uinteger"]),
            }
        if t in _SCALAR_TYPES:
            arr = np.asarray(x)
            if not _DTYPE_RE.match(_little_endian(arr.dtype).str):
                return self.reject(x, f"a numpy scalar of dtype {arr.dtype}")
            fields = self.array(arr)
            del fields["shape"]
            fields[TAG] = "scalar"
            return fields
        if t not in (list, tuple, dict):
            return self.reject(x)
        if depth >= MAX_DEPTH:
            return self.reject(x, f"nested deeper than {MAX_DEPTH} levels")
        if id(x) in self.active:
            return self.reject(x, "it contains itself")
        self.active.add(id(x))
        try:
            # brackets, commas and the tag of tuples and dicts
            self.charge({list: 2, tuple: 32, dict: 32}[t] + len(x), len(x))
            if t is list:
                return [self.encode(v, depth + 1) for v in x]
            if t is tuple:
                return {TAG: "tuple", "items": [self.encode(v, depth + 1) for v in x]}
            if any(type(k) is not str for k in x):
                return self.reject(x, "a dict whose keys are not all strings")
            items = {}
            for k, v in x.items():
                self.charge(len(_json_str(k)) + 2)
                items[k] = self.encode(v, depth + 1)
            return {TAG: "dict", "items": items}
        finally:
            self.active.discard(id(x))

    def array(self, a: np.ndarray) -> dict[str, Any]:
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.fields is not None:
            return self.reject(a, f"an array of dtype {a.dtype}")
        dt = _little_endian(a.dtype)
        if not _DTYPE_RE.match(dt.str):
            return self.reject(a, f"an array of dtype {a.dtype}")
        self.charge(4 * ((a.nbytes + 2) // 3) + 64 + 21 * a.ndim)  # base64, tag, dtype, shape
        raw = np.ascontiguousarray(a, dtype=dt).tobytes()
        data = base64.b64encode(raw).decode("ascii")
        return {TAG: "ndarray", "dtype": dt.str, "shape": list(a.shape), "data": data}


def _little_endian(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype


def _float_bits(x: float) -> str:
    return struct.pack(">d", x).hex()


def size_text(n: int) -> str:
    """``1 GiB``, ``512 MiB``, ``300 bytes``: a byte count for messages."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def encode(
    value: Any,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_items: int = DEFAULT_MAX_ITEMS,
    strict: bool = False,
) -> Any:
    """Turn ``value`` into JSON-ready plain data (see the module docstring for the format).

    Args:
        value: any Python object. Objects the protocol does not carry become an
            ``unsupported`` record (or a ``TypeError`` when ``strict``).
        max_bytes: cap on the approximate size of the encoded value.
        max_items: cap on the total number of elements in lists, tuples and dicts.
        strict: raise ``TypeError`` instead of encoding unsupported values (the grader uses
            this for case inputs, which must be plain data).

    Raises:
        OutputTooLarge: over ``max_bytes`` or ``max_items``.
    """
    check_int(max_bytes, "max_bytes", low=1)
    check_int(max_items, "max_items", low=1)
    return _Encoder(max_bytes, max_items, strict).encode(value, 0)


def decode(obj: Any) -> Any:
    """Inverse of :func:`encode`; arrays come back writable, unsupported values as
    :class:`Unsupported`. Raises :class:`ProtocolError` for anything malformed."""
    t = type(obj)
    if obj is None or t in (bool, int, float, str):
        return obj
    if t is list:
        return [decode(v) for v in obj]
    if t is not dict or type(obj.get(TAG)) is not str:
        raise ProtocolError(f"expected a value, got {t.__name__} without a '$type' tag")
    tag = obj[TAG]
    try:
        if tag == "float":
            bits = obj["bits"]
            if not re.fullmatch(r"[0-9a-f]{16}", bits):
                raise ProtocolError(f"float bits must be 16 hex digits, got {bits!r}")
            return struct.unpack(">d", bytes.fromhex(bits))[0]
        if tag == "tuple":
            return tuple(decode(v) for v in obj["items"])
        if tag == "dict":
            return {str(k): decode(v) for k, v in obj["items"].items()}
        if tag in ("ndarray", "scalar"):
            shape = obj["shape"] if tag == "ndarray" else []
            arr = _decode_array(obj["dtype"], shape, obj["data"])
            return arr if tag == "ndarray" else arr[()]
        if tag == "generator":
            return _decode_generator(obj)
        if tag == "unsupported":
            return Unsupported(str(obj["type"]), str(obj.get("module", "")), obj.get("reason", ""))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"malformed {tag!r} value: {type(exc).__name__}: {exc}") from None
    raise ProtocolError(f"unknown value tag {tag!r}")


def _decode_generator(obj: dict) -> np.random.Generator:
    fields = [obj["state"], obj["inc"], obj["has_uint32"], obj["uinteger"]]
    if not all(type(f) is str and f.isdigit() and len(f) <= 40 for f in fields[:2]):
        raise ProtocolError("generator state and inc must be decimal strings")
    if not all(type(f) is int and 0 <= f < 2**32 for f in fields[2:]):
        raise ProtocolError("generator has_uint32 and uinteger must be 32-bit integers")
    bits = np.random.PCG64()
    try:
        bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(fields[0]), "inc": int(fields[1])},
            "has_uint32": fields[2],
            "uinteger": fields[3],
        }
    except (ValueError, OverflowError) as exc:
        raise ProtocolError(f"invalid generator state ({exc})") from None
    return np.random.Generator(bits)


def _decode_array(dtype: str, shape: list, data: str) -> np.ndarray:
    if type(dtype) is not str or not _DTYPE_RE.match(dtype):
        raise ProtocolError(f"array dtype {dtype!r} is not allowed")
    if type(shape) is not list or len(shape) > 32:
        raise ProtocolError(f"array shape {shape!r} must be a list of at most 32 sizes")
    if any(type(s) is not int or s < 0 for s in shape):
        raise ProtocolError(f"array shape {shape!r} must hold non-negative integers")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ProtocolError(f"array data is not valid base64 ({exc})") from None
    dt = np.dtype(dtype)
    expected = math.prod(shape) * dt.itemsize
    if len(raw) != expected:
        raise ProtocolError(
            f"array of shape {tuple(shape)} and dtype {dtype} needs {expected} bytes, "
            f"got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def dumps(value: Any, **caps: Any) -> str:
    """``json.dumps(encode(value, **caps))`` in compact form (no NaN literals)."""
    return json.dumps(encode(value, **caps), separators=(",", ":"), allow_nan=False)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """Parse and :func:`decode` one value; the value schema is checked first."""
    try:
        obj = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not valid JSON: {exc}") from None
    _check_schema(obj, "value")
    return decode(obj)


# --------------------------------------------------------------------------- message schema

_VALUE = {"$ref": "#/$defs/value"}
_NAT = {"type": "integer", "minimum": 0}
_SECONDS = {"type": "number", "minimum": 0}
_TEXT = {"type": "string", "maxLength": 20_000}
_NAMES = {"type": "array", "items": _TEXT, "maxItems": 200}


def _obj(keys: tuple[str, ...], required: dict, optional: dict | None = None) -> dict[str, Any]:
    props = {**{key: {} for key in keys}, **required, **(optional or {})}
    return {"properties": props, "required": list(required), "additionalProperties": False}


def _tagged(tag: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict:
    return {"if": {"properties": {TAG: {"const": tag}}}, "then": _obj((TAG,), required, optional)}


_ERROR = {
    "type": ["object", "null"],
    "properties": {
        "type": _TEXT,
        "message": _TEXT,
        "cell": {"type": ["integer", "null"]},
        "line": {"type": ["integer", "null"]},
        "source": {"type": ["string", "null"], "maxLength": 20_000},
    },
    "required": ["type", "message", "cell", "line", "source"],
    "additionalProperties": False,
}
_CASE = {
    "type": "object",
    "properties": {
        "status": {"enum": ["ok", "error", "too_large"]},
        "output": _VALUE,
        "error": _ERROR,
        "mutated": _NAMES,
        "warnings": _NAMES,
        "duration": _SECONDS,
        "detail": _TEXT,
    },
    "required": ["status", "output", "error", "mutated", "warnings", "duration", "detail"],
    "additionalProperties": False,
}
_KIND_FIELDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "ready": ({"pid": _NAT, "audit_hook": {"type": "boolean"}}, {}),
    "cell": ({"cell": _NAT}, {}),
    "notebook": (
        {
            "cells": _NAT,
            "errors": {"type": "array", "items": _ERROR, "maxItems": 10_000},
            "stdout": {"type": "string", "maxLength": 2**24},
            "stdout_bytes": _NAT,
        },
        {},
    ),
    "fatal": ({"reason": _TEXT}, {}),
    "start": ({"call": _NAT}, {}),
    "case": ({"call": _NAT, "case": _NAT}, {}),
    "result": (
        {
            "call": _NAT,
            "found": {"type": "boolean"},
            "found_type": {"type": ["string", "null"], "maxLength": 400},
            "similar": _NAMES,
            "cases": {"type": "array", "items": _CASE, "maxItems": 10_000},
            "forbidden": _NAMES,
            "tracing_disabled": {"type": "boolean"},
            "duration": _SECONDS,
        },
        {},
    ),
    "done": ({}, {}),
}
MESSAGE_KINDS = tuple(_KIND_FIELDS)

#: JSON Schema (draft 2020-12) of one worker → grader message (one line on the result channel).
MESSAGE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "genolearn sandbox worker message",
    "type": "object",
    "required": ["token", "kind"],
    "properties": {
        "token": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "kind": {"enum": list(MESSAGE_KINDS)},
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": k}}}, "then": _obj(("token", "kind"), req, opt)}
        for k, (req, opt) in _KIND_FIELDS.items()
    ],
    "$defs": {
        # Written without anyOf/oneOf: each keyword applies to one JSON type only, so plain
        # numbers are checked fast and an error names the exact offending field.
        "value": {
            "type": ["null", "boolean", "number", "string", "array", "object"],
            "items": _VALUE,
            "required": [TAG],
            "dependentSchemas": {TAG: {"$ref": "#/$defs/tagged"}},
        },
        "tagged": {
            "properties": {
                TAG: {"enum": ["float", "tuple", "dict", "ndarray", "scalar", "unsupported"]}
            },
            "allOf": [
                _tagged("float", {"bits": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}),
                _tagged("tuple", {"items": {"type": "array", "items": _VALUE}}),
                _tagged("dict", {"items": {"type": "object", "additionalProperties": _VALUE}}),
                _tagged(
                    "ndarray",
                    {
                        "dtype": {"type": "string", "maxLength": 12},
                        "shape": {"type": "array", "items": _NAT, "maxItems": 32},
                        "data": {"type": "string"},
                    },
                ),
                _tagged(
                    "scalar",
                    {"dtype": {"type": "string", "maxLength": 12}, "data": {"type": "string"}},
                ),
                _tagged(
                    "unsupported",
                    {"type": {"type": "string", "maxLength": 400}},
                    {
                        "module": {"type": "string", "maxLength": 400},
                        "reason": {"type": "string", "maxLength": 400},
                    },
                ),
            ],
        },
    },
}
_validators: dict[str, Any] = {}


def _validator(which: str) -> Any:
    # jsonschema is imported lazily: only the grader validates, the worker never does.
    if which not in _validators:
        import jsonschema

        schema = MESSAGE_SCHEMA
        if which == "value":
            schema = {"$defs": MESSAGE_SCHEMA["$defs"], **_VALUE}
        _validators[which] = jsonschema.Draft202012Validator(schema)
    return _validators[which]


def _check_schema(obj: Any, which: str) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(which).iter_errors(obj))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ProtocolError(f"message does not match the schema at {where}: {error.message[:300]}")


def parse_message(line: bytes | str, token: str, *, max_bytes: int) -> dict[str, Any]:
    """Check one line from the worker and return the message with values still encoded.

    Order of checks: size (``max_bytes``), JSON syntax (NaN literals rejected), the token
    (constant-time comparison; a mismatch raises :class:`ForgedMessage`), then the schema.
    Decode values afterwards with :func:`decode`.

    Raises:
        ProtocolError: the line is too long, not JSON, or not schema-valid.
        ForgedMessage: the line does not carry ``token``.
    """
    if len(line) > max_bytes:
        raise ProtocolError(f"message of {size_text(len(line))} is over {size_text(max_bytes)}")
    try:
        obj = json.loads(line, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not valid JSON: {str(exc)[:200]}") from None
    got = obj.get("token") if type(obj) is dict else None
    if type(got) is not str or not hmac.compare_digest(got.encode(), token.encode()):
        raise ForgedMessage("a line on the result channel does not carry this job's token")
    _check_schema(obj, "message")
    return obj
