"""Layers as modules with a hand-written ``forward`` and ``backward`` (Chapters 2 and 3).

The contract follows ``torch.nn``: a :class:`Module` maps ``x`` to ``forward(x)``; its
``backward(grad_out)`` receives ``dL/d output``, ADDS ``dL/d parameter`` into every
:class:`Parameter`'s ``.grad`` and returns ``dL/d input``. Gradients accumulate until
``zero_grad()`` clears them, exactly as in torch.

Shapes use N (batch), D (input features) and H (output features of a layer).
The layers are written to be lean (float32 end to end, no needless copies, parameter gradients
written into preallocated buffers) because ``benchmarks/mlp_numpy_vs_torch.py`` races them
against torch.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np

from genolearn._validation import as_rng, check_array, check_int, check_number, describe
from genolearn.nn.activations import relu, sigmoid, tanh

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "Dropout",
    "Sequential",
    "count_parameters",
]


class Parameter:
    """A trainable array and its gradient.

    Attributes:
        data: the values, shape ``(*)``, floating dtype. Optimizers update it in place.
        grad: ``dL/d data``, same shape and dtype as ``data``, starting at zero. Every backward
            pass ADDS to it (gradients from several uses or batches accumulate, as in torch);
            :meth:`zero_grad` sets it back to zero.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        self.data = check_array(data, "data", dtype_kind="f")
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place (the array object is kept)."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: subclasses implement ``forward(x)`` and ``backward(grad_out)``.

    Attributes holding a :class:`Parameter`, a :class:`Module` or a list of modules are found by
    :meth:`parameters`, so a subclass only needs to assign them in ``__init__``.
    """

    training: bool = True  # class default, so subclasses that skip super().__init__() still work

    def __init__(self) -> None:
        self.training = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Given ``dL/d output``, add ``dL/d parameter`` to each ``.grad``; return ``dL/d input``.

        ``input_grad=False`` skips ``dL/d input`` and returns None: the input is data, which
        needs no gradient (torch does the same for inputs without ``requires_grad``). For the
        first layer of a model that saves one of its three matrix products.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_out)")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def children(self) -> Iterator[Module]:
        """The modules held directly by this one, in assignment order."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def parameters(self) -> list[Parameter]:
        """Every :class:`Parameter` of this module and its children, each once, as a list."""
        found: dict[int, Parameter] = {}  # keyed by id: a shared Parameter is listed once
        for module in self.modules():
            for value in vars(module).values():
                if isinstance(value, Parameter):
                    found.setdefault(id(value), value)
        return list(found.values())

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training mode (or eval mode); returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (e.g. :class:`Dropout` becomes the identity); returns self."""
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _not_called_yet(module: Module) -> RuntimeError:
    name = type(module).__name__
    return RuntimeError(
        f"{name}.backward() was called before forward(): backward needs the values that "
        f"forward saves, so run the layer on a batch first (out = layer(x))"
    )


def _check_grad_out(grad_out: Any, expected_shape: tuple[int, ...]) -> np.ndarray:
    g = check_array(grad_out, "grad_out", dtype_kind="f")
    if g.shape != expected_shape:
        raise ValueError(
            f"grad_out has shape {g.shape} but must be {expected_shape}, the shape of the "
            f"output of the last forward pass (dL/d output has the output's shape)"
        )
    return g


class Linear(Module):
    """Fully connected layer ``y = x W^T + b``, as ``torch.nn.Linear``.

    Shape:
        x: ``(N, D)`` with D = ``in_features``; output ``(N, H)`` with H = ``out_features``.

    Attributes:
        weight: :class:`Parameter` of shape ``(H, D)`` (stored ``(out, in)`` like torch).
        bias: :class:`Parameter` of shape ``(H,)``, or None when ``bias=False``.

    Initialisation (torch's default): every weight and bias entry is drawn independently
    from ``U(-1/sqrt(D), 1/sqrt(D))``, so each output starts with variance about ``1/3`` of
    the mean squared input whatever D is.

    Args:
        seed: int or ``numpy.random.Generator`` for the initial values.
        dtype: floating dtype of the parameters; inputs must have the same dtype.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        seed: int | np.random.Generator,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", low=1)
        self.out_features = check_int(out_features, "out_features", low=1)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, but got {describe(bias)}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point dtype, but got {dtype}")
        rng = as_rng(seed)
        bound = 1.0 / np.sqrt(self.in_features)
        w = rng.uniform(-bound, bound, size=(self.out_features, self.in_features))  # (H, D)
        self.weight = Parameter(w.astype(dtype))
        self.bias = (
            Parameter(rng.uniform(-bound, bound, size=self.out_features).astype(dtype))
            if bias
            else None
        )  # (H,)
        self._x: np.ndarray | None = None
        self._grad_w: np.ndarray | None = None  # reused buffer for the product g^T x

    def _check_x(self, x: Any) -> np.ndarray:
        d, w_dtype = self.in_features, self.weight.data.dtype
        if isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] == d and x.dtype == w_dtype:
            return x  # the common case, checked cheaply
        me = f"{self!r} expects {d} features per sample"
        try:
            x = check_array(x, "x", shape=("N", d), dtype_kind="f")
        except ValueError as err:
            arr = np.asarray(x)
            if arr.ndim == 1 and arr.shape[0] == d:
                hint = "a single sample must be a row: use x.reshape(1, -1)"
            elif arr.ndim == 2 and arr.shape[0] == d:
                hint = "x looks transposed (samples must be rows): use x.T"
            elif arr.ndim > 2 and arr.shape[0] and arr[0].size == d:
                hint = "flatten each sample first: x.reshape(len(x), -1)"
            else:
                hint = me
            raise ValueError(f"{err}; {hint}") from None
        except TypeError as err:
            hint = f"; convert it with x.astype(np.{w_dtype})" if "dtype" in str(err) else ""
            raise TypeError(f"{err}{hint}") from None
        if x.dtype != w_dtype:
            raise TypeError(
                f"x has dtype {x.dtype} but the layer's weight is {w_dtype}; convert x with "
                f"x.astype(np.{w_dtype}) or build the layer with dtype=np.{x.dtype}"
            )
        return x

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x: (N, D) -> (N, H)``. Saves ``x`` (no copy) for the backward pass."""
        x = self._check_x(x)
        self._x = x
        out = x @ self.weight.data.T  # (N, D) @ (D, H) -> (N, H); .T is a view, BLAS transposes
        if self.bias is not None:
            out += self.bias.data  # (N, H) + (H,): broadcast over rows, in place
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """``grad_out: (N, H) -> dL/dx: (N, D)``; adds ``dL/dW: (H, D)`` and ``dL/db: (H,)``."""
        x = self._x
        if x is None:
            raise _not_called_yet(self)
        g = _check_grad_out(grad_out, (x.shape[0], self.out_features))
        w = self.weight
        if self._grad_w is None:
            self._grad_w = np.empty_like(w.grad)
        # dL/dW = g^T x : (H, N) @ (N, D) -> (H, D), written into a reused buffer and then
        # added in place, so the gradient accumulates without allocating a new (H, D) array.
        np.matmul(g.T, x, out=self._grad_w)
        w.grad += self._grad_w
        if self.bias is not None:
            self.bias.grad += g.sum(axis=0)  # (N, H) -> (H,): the bias is used by every row
        if not input_grad:
            return None
        return g @ w.data  # (N, H) @ (H, D) -> (N, D)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class _Activation(Module):
    """Elementwise activation: ``x: (*) -> (*)``. Saves its output for the backward pass."""

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def _function(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _derivative_from_output(self, out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = self._function(x)
        return self._out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        if self._out is None:
            raise _not_called_yet(self)
        g = _check_grad_out(grad_out, self._out.shape)
        if not input_grad:
            return None  # no parameters, so nothing else to do
        return g * self._derivative_from_output(self._out)  # chain rule, elementwise


class Sigmoid(_Activation):
    """``sigmoid(x)``; backward uses ``s (1 - s)`` with the saved output s. ``(*) -> (*)``."""

    def _function(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    def _derivative_from_output(self, out: np.ndarray) -> np.ndarray:
        return out * (1 - out)  # = sigmoid_derivative(x), without recomputing sigmoid


class Tanh(_Activation):
    """``tanh(x)``; backward uses ``1 - t^2`` with the saved output t. ``(*) -> (*)``."""

    def _function(self, x: np.ndarray) -> np.ndarray:
        return tanh(x)

    def _derivative_from_output(self, out: np.ndarray) -> np.ndarray:
        return 1 - out * out  # = tanh_derivative(x)


class ReLU(_Activation):
    """``max(0, x)``; backward passes the gradient where the output is > 0. ``(*) -> (*)``.

    The derivative at exactly 0 is taken as 0, as in torch.
    """

    def _function(self, x: np.ndarray) -> np.ndarray:
        return relu(x)

    def _derivative_from_output(self, out: np.ndarray) -> np.ndarray:
        return out > 0  # boolean mask; g * mask keeps g's dtype (out > 0 exactly when x > 0)


class Dropout(Module):
    """Inverted dropout: in training, zero each entry with probability ``p`` and scale the
    survivors by ``1 / (1 - p)`` so the expected output equals the input; in eval mode
    (``model.eval()``) it is the identity, so no rescaling is needed at test time.

    Shape: ``x: (*) -> (*)``. ``seed`` (int or Generator) drives the masks.
    """

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator) -> None:
        super().__init__()
        self.p = check_number(p, "p", low=0.0, high=1.0)
        self._rng = as_rng(seed)
        self._mask: np.ndarray | None = None  # scaled mask (0 or 1/(1-p)), or None = identity
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(x, "x", dtype_kind="f")
        self._shape = x.shape
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape) >= self.p  # each entry kept with probability 1 - p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)  # p = 1 drops everything
        self._mask = keep.astype(x.dtype) * x.dtype.type(scale)
        return x * self._mask

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        if self._shape is None:
            raise _not_called_yet(self)
        g = _check_grad_out(grad_out, self._shape)
        if not input_grad:
            return None
        return g if self._mask is None else g * self._mask  # same mask as the forward pass

    def extra_repr(self) -> str:
        return f"p={self.p}"


@cache
def _takes_input_grad(cls: type) -> bool:
    """Whether ``cls.backward`` accepts ``input_grad`` (a learner's own module may not)."""
    return "input_grad" in inspect.signature(cls.backward).parameters


class Sequential(Module):
    """Modules applied one after the other; backward runs them in reverse (the chain rule).

    Shape: what the first module takes -> what the last one returns, e.g.
    ``(N, D) -> (N, C)`` for ``Sequential(Linear(D, H), ReLU(), Linear(H, C))``.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                hint = ""
                if callable(m):
                    hint = "; wrap functions in a Module, e.g. ReLU() rather than relu"
                raise TypeError(
                    f"Sequential argument {i} must be a Module, got {describe(m)}{hint}"
                )
        self.layers: list[Module] = list(modules)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for m in self.layers:
            x = m(x)
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate from the last module to the first and return ``dL/d input``."""
        g = grad_out
        for i in range(len(self.layers) - 1, -1, -1):
            m = self.layers[i]
            if i == 0 and not input_grad and _takes_input_grad(type(m)):
                return m.backward(g, input_grad=False)
            g = m.backward(g)
        return g if input_grad else None

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): " + repr(m).replace("\n", "\n  ") for i, m in enumerate(self))
        return f"Sequential({inner}\n)" if self.layers else "Sequential()"


def count_parameters(model: Module) -> int:
    """Total number of trainable numbers in ``model`` (shared parameters counted once)."""
    if not hasattr(model, "parameters"):
        raise TypeError(f"model must be a Module, but got {describe(model)}")
    return int(sum(p.data.size for p in model.parameters()))
