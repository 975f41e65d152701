"""Tests for genolearn.nn.autograd: every operation's gradient against torch.autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genolearn.nn.autograd import Tensor, cross_entropy
from genolearn.nn.layers import Linear, ReLU, Sequential
from genolearn.nn.losses import CrossEntropyLoss
from tests.gradcheck import assert_close, numerical_gradient, torch_forward_backward

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.ch03


def check_against_torch(fn, shapes, *, positive=False, seed=0, torch_fn=None):
    """Run ``fn`` on Tensors and on torch tensors (same code: both support these ops), with a
    random upstream gradient, and compare the output and every input's gradient."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=s) for s in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    t_out, t_grads = torch_forward_backward(torch_fn or fn, arrays, upstream)
    assert_close(out.data, t_out, what="forward")
    for i, (leaf, want) in enumerate(zip(leaves, t_grads, strict=True)):
        assert_close(leaf.grad, want, what=f"grad of input {i}")


BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 3, 4), (3, 1)),
    ((5, 1), (1, 4)),
    ((1,), (2, 3)),
    ((), (3, 2)),
]


@pytest.mark.parametrize("op", list(BINARY_OPS))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_ops_with_broadcasting_match_torch(op, shapes):
    check_against_torch(BINARY_OPS[op], shapes, positive=(op == "div"))


@settings(max_examples=30, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
    op=st.sampled_from(list(BINARY_OPS)),
    seed=st.integers(0, 1000),
)
def test_broadcast_gradients_have_the_input_shapes(shapes, op, seed):
    check_against_torch(BINARY_OPS[op], shapes.input_shapes, positive=(op == "div"), seed=seed)


UNARY_OPS = {
    "neg": (lambda a: -a, False),
    "square": (lambda a: a**2, False),
    "cube": (lambda a: a**3, False),
    "sqrt": (lambda a: a**0.5, True),
    "reciprocal": (lambda a: a**-1, True),
    "exp": (lambda a: a.exp(), False),
    "log": (lambda a: a.log(), True),
    "relu": (lambda a: a.relu(), False),
    "sigmoid": (lambda a: a.sigmoid(), False),
    "tanh": (lambda a: a.tanh(), False),
    "sum": (lambda a: a.sum(), False),
    "sum0": (lambda a: a.sum(axis=0), False),
    "sum1_keep": (lambda a: a.sum(axis=1, keepdims=True), False),
    "sum_neg_axis": (lambda a: a.sum(axis=-1), False),
    "mean": (lambda a: a.mean(), False),
    "mean0": (lambda a: a.mean(axis=0), False),
    "mean1_keep": (lambda a: a.mean(axis=1, keepdims=True), False),
    "reshape": (lambda a: a.reshape(-1), False),
    "reshape_tuple": (lambda a: a.reshape((a.shape[1], a.shape[0])), False),
    "T": (lambda a: a.T, False),
    "index_rows": (lambda a: a[[0, 0, 2]], False),  # a repeated row accumulates
    "slice": (lambda a: a[1:, ::2], False),
}


@pytest.mark.parametrize("op", list(UNARY_OPS))
@pytest.mark.parametrize("shape", [(3, 4), (5, 2)])
def test_unary_ops_match_torch(op, shape):
    fn, positive = UNARY_OPS[op]
    check_against_torch(fn, [shape], positive=positive)


def test_sum_over_several_axes_and_transpose_with_axes():
    check_against_torch(
        lambda a: a.sum(axis=(0, 2)), [(2, 3, 4)], torch_fn=lambda a: a.sum(dim=(0, 2))
    )
    check_against_torch(
        lambda a: a.transpose(1, 2, 0), [(2, 3, 4)], torch_fn=lambda a: a.permute(1, 2, 0)
    )


@pytest.mark.parametrize(
    "shapes", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5))]
)
def test_matmul_matches_torch(shapes):
    check_against_torch(lambda a, b: a @ b, shapes)


def test_diamond_graph_node_used_twice():
    # b is used by two branches that meet again: its gradient must be the sum of both paths
    def f(a, w):
        b = a @ w  # (4, 3)
        return (b * b.sigmoid() + b.tanh()).mean(axis=0) * b.sum(axis=0)

    check_against_torch(f, [(4, 5), (5, 3)])


def test_same_tensor_on_both_sides_of_an_op():
    check_against_torch(lambda a: a * a + a, [(3, 2)])
    check_against_torch(lambda a: a / a.exp() - a, [(3, 2)])


def test_intermediate_gradients_are_kept():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 2
    loss = (h * h).sum()  # dL/dh = 2h, dL/dx = 8x
    loss.backward()
    assert_close(h.grad, 2 * h.data)
    assert_close(x.grad, 8 * x.data)
    assert loss.grad == pytest.approx(1.0)


def test_backward_twice_accumulates_and_zero_grad_clears():
    x = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]]), requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    assert_close(x.grad, 2 * x.data)
    loss.backward()  # the graph is kept; gradients add up, like torch with retain_graph=True
    assert_close(x.grad, 4 * x.data)
    x.zero_grad()
    assert_close(x.grad, np.zeros((2, 2)))
    loss.backward()
    assert_close(x.grad, 2 * x.data)


def test_backward_of_a_non_scalar_needs_grad():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"needs a single-number output.*shape \(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but must be \(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 2.0))
    assert_close(x.grad, np.full((2, 3), 6.0))


def test_constants_get_no_gradient_and_constant_graphs_cannot_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.arange(3.0))
    (x * c).sum().backward()
    assert c.grad is None and not c.requires_grad
    assert_close(x.grad, np.arange(3.0))
    with pytest.raises(RuntimeError, match="does not require grad"):
        (c * 2).sum().backward()


def test_numpy_arrays_and_numbers_on_either_side():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    a = np.array([3.0, 4.0])
    out = (a + x) * (2.0 - x) / (1.0 / x) - a * x
    assert isinstance(out, Tensor)
    out.sum().backward()
    ta = torch.from_numpy(a)
    check_against_torch(
        lambda t: (a + t) * (2.0 - t) / (1.0 / t) - a * t,
        [(2,)],
        positive=True,
        torch_fn=lambda t: (ta + t) * (2.0 - t) / (1.0 / t) - ta * t,
    )


def test_float32_is_kept_and_integers_become_float64():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 2.0 + 1).exp().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float64


def test_scalar_exponent_only():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="only a scalar exponent"):
        x ** Tensor(2.0)


def test_long_chains_do_not_hit_the_recursion_limit():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + x
    y.backward()
    assert x.grad == pytest.approx(3001.0)


def test_gradient_of_a_composite_matches_central_differences():
    w0 = np.random.default_rng(3).normal(size=(3, 2))
    x = np.random.default_rng(4).normal(size=(4, 3))

    def loss_value(w):
        return ((Tensor(x) @ Tensor(w)).tanh() ** 2).mean().item()

    w = Tensor(w0, requires_grad=True)
    ((Tensor(x) @ w).tanh() ** 2).mean().backward()
    assert_close(w.grad, numerical_gradient(loss_value, w0), rtol=1e-6, atol=1e-9)


# ----- cross-entropy ----------------------------------------------------------------------------
@pytest.mark.parametrize("n,c", [(1, 2), (5, 3), (16, 10)])
def test_cross_entropy_matches_torch(n, c):
    rng = np.random.default_rng(n * c)
    logits = rng.normal(scale=3, size=(n, c))
    targets = rng.integers(0, c, size=n)
    z = Tensor(logits, requires_grad=True)
    loss = cross_entropy(z, targets)
    loss.backward()
    t_loss, (t_grad,) = torch_forward_backward(
        lambda t: torch.nn.functional.cross_entropy(t, torch.from_numpy(targets)), [logits]
    )
    assert loss.item() == pytest.approx(float(t_loss), rel=1e-12)
    assert_close(z.grad, t_grad)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4 - 1]])
    targets = np.array([1, 2])
    z = Tensor(logits, requires_grad=True)
    loss = cross_entropy(z, targets)
    loss.backward()
    t_loss, (t_grad,) = torch_forward_backward(
        lambda t: torch.nn.functional.cross_entropy(t, torch.from_numpy(targets)), [logits]
    )
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(float(t_loss))
    assert_close(z.grad, t_grad)


def test_cross_entropy_errors():
    z = Tensor(np.zeros((3, 2)), requires_grad=True)
    with pytest.raises(TypeError, match="logits must be a Tensor"):
        cross_entropy(np.zeros((3, 2)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"class indices in \[0, 1\], but contains 2"):
        cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="argmax"):
        cross_entropy(z, np.eye(2)[[0, 1, 0]])


def test_autograd_mlp_gives_the_same_gradients_as_the_layers():
    """Chapter 3's engine and Chapter 2's hand-written backward agree on a whole MLP."""
    rng = np.random.default_rng(0)
    model = Sequential(
        Linear(6, 5, seed=1, dtype=np.float64), ReLU(), Linear(5, 3, seed=2, dtype=np.float64)
    )
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    loss_fn = CrossEntropyLoss()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())

    w1, b1, w2, b2 = (Tensor(p.data.copy(), requires_grad=True) for p in model.parameters())
    t_loss = cross_entropy((Tensor(x) @ w1.T + b1).relu() @ w2.T + b2, y)
    t_loss.backward()
    assert t_loss.item() == pytest.approx(loss, rel=1e-12)
    for p, t in zip(model.parameters(), (w1, b1, w2, b2), strict=True):
        assert_close(t.grad, p.grad)
