"""The receptive field of a stack of convolution and pooling layers: how many input bases one
output position sees.

For layers ``l = 1 .. n`` (input side first) with kernel widths ``k_l``, strides ``s_l`` and
dilations ``d_l``,

    r = 1 + sum_l d_l (k_l - 1) prod_{j < l} s_j,

because a layer widens the field by ``d_l (k_l - 1)`` of its own input positions, and one step
of its input is ``prod_{j < l} s_j`` bases. A pooling layer of width ``k`` and stride ``s`` is
the layer ``(k, s, 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from genolearn._validation import check_int, describe

__all__ = ["receptive_field"]


def receptive_field(layers: Sequence[Sequence[int]]) -> int:
    """Input bases seen by one output position of ``layers``.

    Args:
        layers: ``(kernel_size, stride, dilation)`` triples, input side first (an empty list
            is the input itself: 1 base).

    Returns:
        the receptive field ``r`` in bases (an int >= 1).
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a list of (kernel_size, stride, dilation) triples, "
            f"but got {describe(layers)}"
        )
    r, jump = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, Sequence) or len(layer) != 3:
            raise ValueError(
                f"layers[{i}] must be a (kernel_size, stride, dilation) triple, "
                f"but got {describe(layer)}"
            )
        k = check_int(layer[0], f"layers[{i}] kernel_size", low=1)
        s = check_int(layer[1], f"layers[{i}] stride", low=1)
        d = check_int(layer[2], f"layers[{i}] dilation", low=1)
        r += d * (k - 1) * jump  # this layer's span, in input bases
        jump *= s  # one step after this layer = jump input bases
    return r
