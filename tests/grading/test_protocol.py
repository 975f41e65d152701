"""The grader ↔ worker JSON codec: exact round trips, caps, unsupported values, the schema."""

from __future__ import annotations

import json
import math
import struct

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genolearn.grading import protocol
from genolearn.grading.protocol import (
    MESSAGE_SCHEMA,
    ForgedMessage,
    OutputTooLarge,
    ProtocolError,
    Unsupported,
    decode,
    dumps,
    encode,
    loads,
    parse_message,
)

pytestmark = pytest.mark.grading

TOKEN = "0123456789abcdef" * 2


def identical(a, b) -> bool:
    """Same type, same bits (NaN payloads and -0.0 included), recursively."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and np.shape(a) == np.shape(b) and a.tobytes() == b.tobytes()
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    return a == b


DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "<U3", "S4",
]  # fmt: skip
nan_payloads = st.integers(0, 2**51 - 1).map(
    lambda m: struct.unpack(">d", struct.pack(">Q", 0x7FF8_0000_0000_0000 | m))[0]
)
floats = st.floats(allow_nan=True, allow_infinity=True) | nan_payloads | st.just(-0.0)
arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
)
numpy_scalars = st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(dt, ())).map(lambda a: a[()])
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**200), 2**200)
    | floats
    | st.text(max_size=20)
    | arrays
    | numpy_scalars
)
values = st.recursive(
    leaves,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.lists(kids, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=6), kids, max_size=4)
    ),
    max_leaves=25,
)


@settings(deadline=None, max_examples=150)
@given(values)
def test_round_trip_is_exact(value):
    assert identical(loads(dumps(value)), value)


@settings(deadline=None, max_examples=150)
@given(values)
def test_size_cap_never_undercounts(value):
    size = len(dumps(value))
    if size > 1:  # a cap just under the real JSON size must refuse the value
        with pytest.raises(OutputTooLarge):
            encode(value, max_bytes=size - 1)


@settings(deadline=None, max_examples=50)
@given(st.lists(values, max_size=3))
def test_result_message_round_trip(outputs):
    cases = [
        {
            "status": "ok",
            "output": encode(v),
            "error": None,
            "mutated": [],
            "warnings": [],
            "duration": 0.5,
            "detail": "",
        }
        for v in outputs
    ]
    msg = {"token": TOKEN, "kind": "result", "call": 0, "found": True, "found_type": None}
    msg |= {"similar": [], "cases": cases, "forbidden": [], "tracing_disabled": False}
    msg["duration"] = 1.0
    line = json.dumps(msg, allow_nan=False).encode()
    parsed = parse_message(line, TOKEN, max_bytes=2**24)
    got = [decode(c["output"]) for c in parsed["cases"]]
    assert identical(got, outputs)


@pytest.mark.parametrize(
    "bits", ["7ff8000000000000", "fff8000000000000", "7ff0000000000001", "7ff0000000000000"]
)
def test_non_finite_floats_keep_their_bits(bits):
    x = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert struct.pack(">d", loads(dumps(x))).hex() == bits
    arr = np.array([x, -x, 1.0])
    assert loads(dumps(arr)).tobytes() == arr.tobytes()


def test_nan_literals_are_never_written_or_accepted():
    assert "NaN" not in dumps([math.nan, math.inf]) and "Infinity" not in dumps(-math.inf)
    with pytest.raises(ProtocolError, match="NaN is not valid JSON"):
        loads("NaN")


def test_big_endian_and_non_contiguous_arrays_come_back_equal():
    a = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    b = loads(dumps(a))
    assert b.dtype == np.dtype("<i4") and b.flags.writeable
    np.testing.assert_array_equal(a, b)


class EvilObject:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class EvilFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class EvilArray(np.ndarray):
    pass


class FakeName(type):
    __qualname__ = "numpy.ndarray"  # a metaclass cannot make an object pass for an array


class Disguised(metaclass=FakeName):
    pass


def _gen():
    yield 1


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (EvilObject(), "EvilObject"),
        (EvilFloat(1.0), "EvilFloat"),
        (np.zeros(2).view(EvilArray), "EvilArray"),
        (_gen(), "generator"),
        (np.array([1, None], dtype=object), "numpy.ndarray"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "numpy.ndarray"),
        (np.longdouble(1.0), "numpy.longdouble"),
        ({1: "a"}, "dict"),
        (2**20000, "int"),
        (Disguised(), "Disguised"),
        (print, "builtin_function_or_method"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_other_values_come_back_unsupported(value, type_name):
    got = loads(dumps(value))
    assert isinstance(got, Unsupported)
    assert got.type_name.split(".")[-1] == type_name.split(".")[-1]
    assert got.type_name == type_name or got.module == __name__
    assert not isinstance(got, (np.ndarray, EvilObject, float))


def test_cycles_and_deep_nesting_are_unsupported_not_a_crash():
    loop: list = [1]
    loop.append(loop)
    got = loads(dumps(loop))
    assert got[0] == 1 and got[1].reason == "it contains itself"
    deep: list = []
    for _ in range(200):
        deep = [deep]
    node = loads(dumps(deep))
    for _ in range(protocol.MAX_DEPTH):
        node = node[0]
    assert isinstance(node, Unsupported) and "deeper" in node.reason


def test_strict_encoding_names_the_type():
    with pytest.raises(TypeError, match="EvilObject"):
        encode((np.ones(2), EvilObject()), strict=True)


def test_size_caps():
    with pytest.raises(OutputTooLarge, match="1 MiB limit"):
        encode(np.zeros(2**18), max_bytes=2**20)
    with pytest.raises(OutputTooLarge, match="more than 100 elements"):
        encode(list(range(101)), max_items=100)
    assert len(decode(encode(list(range(100)), max_items=100))) == 100
    with pytest.raises(ValueError, match="max_bytes must be >= 1"):
        encode(1, max_bytes=0)


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(MESSAGE_SCHEMA)


def _line(**msg) -> bytes:
    return json.dumps({"token": TOKEN, **msg}).encode()


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"token": "' + TOKEN.encode() + b'", "kind": "cell", "cell": NaN}', "NaN"),
        (_line(kind="launch"), "kind"),
        (_line(kind="cell"), "'cell' is a required property"),
        (_line(kind="cell", cell=-1), "less than the minimum"),
        (_line(kind="cell", cell=1, extra=2), "Additional properties"),
        (_line(kind="fatal", reason=["x"]), "not of type 'string'"),
    ],
)
def test_malformed_messages_are_clear_errors(line, match):
    with pytest.raises(ProtocolError, match=match):
        parse_message(line, TOKEN, max_bytes=2**20)


def _result_with(output) -> bytes:
    case = {"status": "ok", "output": output, "error": None, "mutated": [], "warnings": []}
    case |= {"duration": 0.0, "detail": ""}
    return _line(
        kind="result",
        call=0,
        found=True,
        found_type=None,
        similar=[],
        cases=[case],
        forbidden=[],
        tracing_disabled=False,
        duration=0.0,
    )


@pytest.mark.parametrize(
    ("output", "match"),
    [
        ({"a": 1}, "'\\$type' is a required property"),
        ({"$type": "pickle", "data": "gASV"}, "is not one of"),
        ({"$type": "float", "bits": "nan"}, "does not match"),
        ({"$type": "ndarray", "dtype": "<f8", "shape": [-1], "data": ""}, "less than the minimum"),
        ({"$type": "tuple", "items": [], "code": "import os"}, "Additional properties"),
    ],
)
def test_malformed_values_fail_the_schema(output, match):
    with pytest.raises(ProtocolError, match=match):
        parse_message(_result_with(output), TOKEN, max_bytes=2**20)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"$type": "ndarray", "dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="}, "not allowed"),
        ({"$type": "ndarray", "dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAA="}, "needs 16"),
        ({"$type": "ndarray", "dtype": "<f8", "shape": [1], "data": "@@@"}, "base64"),
        ({"$type": "scalar", "dtype": "<V8", "data": "AAAAAAAAAAA="}, "not allowed"),
        ({"$type": "tuple"}, "malformed 'tuple'"),
    ],
)
def test_schema_valid_but_inconsistent_values_fail_decoding(value, match):
    with pytest.raises(ProtocolError, match=match):
        decode(value)


def test_token_is_checked_before_anything_else():
    forged = json.dumps({"token": "f" * 32, "kind": "done"}).encode()
    with pytest.raises(ForgedMessage):
        parse_message(forged, TOKEN, max_bytes=2**20)
    with pytest.raises(ForgedMessage):
        parse_message(b"[1, 2]", TOKEN, max_bytes=2**20)
    assert parse_message(_line(kind="done"), TOKEN, max_bytes=2**20)["kind"] == "done"


def test_oversized_line_is_rejected_before_parsing():
    with pytest.raises(ProtocolError, match="over 1 KiB"):
        parse_message(b"x" * 2000, TOKEN, max_bytes=1024)
