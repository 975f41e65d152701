"""The one DNA alphabet of genolearn: ``ACGT``, in this order, defined once."""

from __future__ import annotations

__all__ = ["ALPHABET", "COMPLEMENT", "BASE_INDEX", "UNKNOWN"]

#: Channel order of every one-hot array: row 0 is A, 1 is C, 2 is G, 3 is T.
ALPHABET = "ACGT"
#: The letter for an unknown base; it encodes as an all-zero column.
UNKNOWN = "N"
#: Watson–Crick complement (N pairs with N).
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}
#: Letter -> channel index.
BASE_INDEX = {base: i for i, base in enumerate(ALPHABET)}
