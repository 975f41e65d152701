"""One-hot encoding of DNA: strings <-> arrays of shape ``(N, 4, L)``.

Convention (the same as ``torch.nn.Conv1d`` and the genomics libraries): channel-first, rows in
``ACGT`` order, an unknown base ``N`` is an all-zero column. Lowercase letters are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from genolearn._validation import check_array, check_choice, describe
from genolearn.dna.alphabet import ALPHABET, UNKNOWN

__all__ = ["validate_sequence", "one_hot_encode", "one_hot_decode"]

# Byte value -> channel (0..3), 4 for N, -1 for anything else. Built once.
_LOOKUP = np.full(256, -1, dtype=np.int8)
for _i, _b in enumerate(ALPHABET + UNKNOWN):
    _LOOKUP[ord(_b)] = _i
    _LOOKUP[ord(_b.lower())] = _i


def validate_sequence(seq: str, name: str = "seq") -> str:
    """Return ``seq`` upper-cased, or raise ``ValueError`` naming the first bad character.

    Raises:
        TypeError: ``seq`` is not a ``str``.
        ValueError: a character outside ``ACGTN`` (any case), with its position.
    """
    if not isinstance(seq, str):
        raise TypeError(f"{name} must be a DNA string, but got {describe(seq)}")
    codes = np.frombuffer(seq.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if len(codes) != len(seq):  # a non-ASCII character: find it by position in the str
        for pos, ch in enumerate(seq):
            if ord(ch) > 127:
                raise ValueError(
                    f"{name} has invalid character {ch!r} at position {pos}; "
                    f"expected only A, C, G, T or N (any case)"
                )
    bad = np.flatnonzero(_LOOKUP[codes] < 0)
    if bad.size:
        pos = int(bad[0])
        raise ValueError(
            f"{name} has invalid character {seq[pos]!r} at position {pos}; "
            f"expected only A, C, G, T or N (any case)"
        )
    return seq.upper()


def one_hot_encode(
    seqs: str | Iterable[str],
    *,
    pad: str | None = None,
    length: int | None = None,
    dtype: type | np.dtype = np.float32,
) -> np.ndarray:
    """Encode DNA as one-hot.

    Args:
        seqs: one string, or a list of strings.
        pad: how to handle sequences of unequal length: ``None`` (default) raises ``ValueError``;
            ``"right"`` pads each sequence with ``N`` (zero columns) on the right up to ``length``
            (default: the longest). Padding is explicit so unequal data is never silently mixed.
        length: target length with ``pad="right"``; a longer sequence is an error.
        dtype: output dtype (float32 by default, what models take).

    Returns:
        ``(4, L)`` for one string, ``(N, 4, L)`` for a list.

    Raises:
        ValueError: invalid character (named, with its position), unequal lengths without
            ``pad``, empty list.
    """
    if isinstance(seqs, str):
        validate_sequence(seqs, "seqs")
        return one_hot_encode([seqs], pad=pad, length=length, dtype=dtype)[0]
    if isinstance(seqs, (bytes, np.ndarray)) or not isinstance(seqs, Iterable):
        raise TypeError(f"seqs must be a str or a list of str, but got {describe(seqs)}")
    check_choice(pad, "pad", [None, "right"])
    seqs = list(seqs)
    if not seqs:
        raise ValueError("seqs is an empty list; expected at least one sequence")
    for i, s in enumerate(seqs):
        validate_sequence(s, f"seqs[{i}]")
    lengths = [len(s) for s in seqs]
    if pad is None:
        if length is not None:
            raise ValueError("length is only used with pad='right'")
        if len(set(lengths)) > 1:
            i = next(j for j, n in enumerate(lengths) if n != lengths[0])
            raise ValueError(
                f"seqs have unequal lengths: seqs[0] has length {lengths[0]} but seqs[{i}] has "
                f"length {lengths[i]}; pass pad='right' to pad with N, or trim them yourself"
            )
        target = lengths[0]
    else:
        target = max(lengths) if length is None else int(length)
        if max(lengths) > target:
            i = int(np.argmax(lengths))
            raise ValueError(f"seqs[{i}] has length {lengths[i]}, longer than length={target}")
    out = np.zeros((len(seqs), 4, target), dtype=dtype)  # (N, 4, L)
    if target == 0:
        return out
    codes = np.full((len(seqs), target), 4, dtype=np.int8)  # N everywhere = padding
    for i, s in enumerate(seqs):
        codes[i, : len(s)] = _LOOKUP[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]
    n_idx, l_idx = np.nonzero(codes < 4)
    out[n_idx, codes[n_idx, l_idx], l_idx] = 1
    return out


def one_hot_decode(x: np.ndarray) -> str | list[str]:
    """Decode one-hot back to strings; an all-zero column becomes ``N``.

    Args:
        x: ``(4, L)`` or ``(N, 4, L)``; each column must be all-zero or one-hot.

    Returns:
        a ``str`` for ``(4, L)`` input, a ``list[str]`` of length N for ``(N, 4, L)``.
    """
    arr = check_array(x, "x", ndim=(2, 3), dtype_kind="fiub")
    single = arr.ndim == 2
    if arr.shape[-2] != 4:
        raise ValueError(f"x has shape {arr.shape} but must be (4, L) or (N, 4, L)")
    if single:
        arr = arr[None]  # (1, 4, L)
    col_sums = arr.sum(axis=1)  # (N, L)
    if not np.all((col_sums == 0) | (col_sums == 1)) or not np.all((arr == 0) | (arr == 1)):
        bad = np.argwhere(~((col_sums == 0) | (col_sums == 1)))
        where = f" (first at sequence {bad[0][0]}, position {bad[0][1]})" if bad.size else ""
        raise ValueError(
            "x is not one-hot: every column must be all zeros (N) or a single 1" + where
        )
    letters = np.frombuffer((ALPHABET + UNKNOWN).encode(), dtype=np.uint8)
    idx = np.where(col_sums == 0, 4, arr.argmax(axis=1))  # (N, L)
    out = [letters[row].tobytes().decode("ascii") for row in idx]
    return out[0] if single else out
