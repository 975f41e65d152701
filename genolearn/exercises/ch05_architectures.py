"""Checks for Chapter 5 — architectures for DNA: a convolution over one-hot DNA, max pooling,
in-silico mutagenesis of a PWM, one LSTM step, sinusoidal positions and masked attention.

The references are the numpy functions of :mod:`genolearn.deep` (importing them imports torch,
which is why the registry loads this module only when a Chapter 5 exercise is asked for).
"""

from __future__ import annotations

import numpy as np

from genolearn.deep.cnn import conv1d_numpy, max_pool1d_numpy
from genolearn.deep.interpretation import pwm_ism_numpy
from genolearn.deep.rnn import lstm_cell_step_numpy
from genolearn.deep.transformer import scaled_dot_product_attention, sinusoidal_encoding
from genolearn.exercises.registry import Case, Exercise, Mistake, register

__all__ = ["CONV1D", "MAX_POOL1D", "ISM_SCORES", "LSTM_CELL", "POSITIONAL_ENCODING", "ATTENTION"]

_FORBID = ("genolearn", "torch", "scipy", "sklearn", "tensorflow", "jax")


def _one_hot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``(n, 4, length)`` float64 one-hot of uniformly random DNA."""
    codes = rng.integers(0, 4, size=(n, length))  # (n, L)
    return np.moveaxis(np.eye(4)[codes], -1, 1)  # (n, L, 4) -> (n, 4, L)


def _encode(seq: str) -> np.ndarray:
    """``(4, L)`` float64 one-hot of an ``ACGT`` string."""
    return np.eye(4)[["ACGT".index(b) for b in seq]].T


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# --------------------------------------------------------------------------- conv1d


def _conv_cases(rng: np.random.Generator) -> list[Case]:
    ttag = np.array([[[0.0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 1, 0]]])  # (1, 4, 3): matches "TTA"
    cases = [
        Case(
            (_encode("GATTACA")[None], ttag, np.array([0.0])),
            label="one sequence, one filter that matches TTA",
        ),
        Case(
            (_encode("ACGTAC")[None], np.arange(24.0).reshape(1, 4, 6) / 10, np.array([0.5])),
            label="K = L: a single window",
        ),
        Case(
            (_encode("CAGT")[None], np.arange(8.0).reshape(2, 4, 1), np.array([1.0, -1.0])),
            label="K = 1: a per-base weight",
        ),
        Case(
            (
                np.stack([_encode("AACCGGTT"), _encode("TGCATGCA")]),
                np.array([[[1.0, -1, 0], [0, 2, 0], [0, 0, 3], [-2, 0, 1]]] * 2)
                * np.array([1.0, -0.5])[:, None, None],
                np.array([0.25, -0.75]),
            ),
            label="two sequences, two filters, asymmetric kernels",
        ),
    ]
    for n, f, length, k in [(3, 4, 20, 5), (2, 3, 12, 4)]:
        cases.append(
            Case(
                (_one_hot(rng, n, length), rng.normal(size=(f, 4, k)), rng.normal(size=f)),
                label=f"random one-hot DNA ({n}, 4, {length}), {f} filters of width {k}",
            )
        )
    x = rng.normal(size=(2, 4, 15)).astype(np.float32)
    cases.append(
        Case(
            (
                x,
                rng.normal(size=(3, 4, 6)).astype(np.float32),
                rng.normal(size=3).astype(np.float32),
            ),
            label="random real-valued input (2, 4, 15), float32",
        )
    )
    return cases


def _conv_reference(x, w, b):
    # float32 inputs give a float32 answer (as torch would), so a learner who computes in
    # float32 is held to float32 accuracy; conv1d_numpy itself always sums in float64.
    return conv1d_numpy(x, w, b).astype(np.result_type(x, w, b))


def _windows(x, k):
    return np.lib.stride_tricks.sliding_window_view(x, k, axis=2)  # (N, C, L-K+1, K)


def _conv_flipped(x, w, b):
    return conv1d_numpy(x, w[:, :, ::-1], b)


def _conv_same(x, w, b):
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) // 2, k // 2)))
    return conv1d_numpy(xp, w, b)


def _conv_last_missing(x, w, b):
    return conv1d_numpy(x, w, b)[:, :, :-1]


def _conv_no_bias(x, w, b):
    return conv1d_numpy(x, w)


def _conv_channels_first(x, w, b):
    return conv1d_numpy(x.sum(axis=1, keepdims=True), w.sum(axis=1, keepdims=True)) + b[:, None]


def _conv_stride_k(x, w, b):
    k = w.shape[2]
    return np.einsum("nclk,fck->nfl", _windows(x, k)[:, :, ::k], w) + b[:, None]


CONV1D = register(
    Exercise(
        id="ch5.conv1d",
        chapter=5,
        title="A convolution over one-hot DNA",
        function="conv1d",
        points=3,
        reference=_conv_reference,
        make_cases=_conv_cases,
        rtol=1e-6,
        atol=1e-9,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "flipped kernel (true convolution)",
                "the kernel was read backwards: that is the mathematician's convolution. Deep "
                "learning 'convolutions' are cross-correlations: out[n, f, l] = b[f] + "
                "sum_{c,k} x[n, c, l + k] w[f, c, k], with k running forwards.",
                _conv_flipped,
            ),
            Mistake(
                "'same' padding",
                "your output has length L, as with zero padding; without padding a width-K "
                "filter fits in only L - K + 1 windows.",
                _conv_same,
            ),
            Mistake(
                "last window missing",
                "the last window is missing: window starts run 0, 1, ..., L - K, so there are "
                "L - K + 1 of them (range(L - K + 1), not range(L - K)).",
                _conv_last_missing,
            ),
            Mistake(
                "missing bias",
                "the bias b[f] was not added to filter f's output.",
                _conv_no_bias,
            ),
            Mistake(
                "channels summed before weighting",
                "the input channels were summed before multiplying by the weights; each "
                "channel c has its own weight row w[f, c, :], so multiply first, then sum over "
                "c and k. (For one-hot DNA the channel sum is 1 everywhere, so the base is lost.)",
                _conv_channels_first,
            ),
            Mistake(
                "windows jump by K",
                "the windows did not overlap: a convolution slides one base at a time "
                "(stride 1), so consecutive windows share K - 1 bases.",
                _conv_stride_k,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- max pooling


def _pool_cases(rng: np.random.Generator) -> list[Case]:
    x = np.array([[[1.0, 3.0, 2.0, 5.0, 4.0, 0.0]]])  # (1, 1, 6)
    cases = [
        Case((x, 2), label="kernel 2, default stride"),
        Case((x, 3, 1), label="kernel 3, stride 1: overlapping windows"),
        Case((x, 4), label="kernel 4, default stride: the partial window is dropped"),
        Case((-np.abs(x), 2, 3), label="negative values, kernel 2, stride 3"),
        Case((np.array([[[2.0, -1.0, 7.0]], [[0.0, 0.0, 0.0]]]), 3), label="kernel = L"),
    ]
    n, c, length = 2, 3, int(rng.integers(10, 16))
    cases.append(
        Case((rng.normal(size=(n, c, length)), 3), label=f"random ({n}, {c}, {length}), kernel 3")
    )
    cases.append(
        Case(
            (rng.normal(size=(3, 2, 17)).astype(np.float32), 4, 3),
            label="random (3, 2, 17) float32, kernel 4, stride 3",
        )
    )
    cases.append(
        Case((rng.normal(size=(1, 4, 12)), 2, 5), label="random (1, 4, 12), kernel 2, stride 5")
    )
    return cases


def _pool_windows(x, kernel_size, stride):
    return _windows(x, kernel_size)[:, :, ::stride]  # (N, C, n_windows, kernel)


def _pool_mean(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, stride or kernel_size).mean(axis=3)


def _pool_stride_ignored(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, 1).max(axis=3)


def _pool_default_one(x, kernel_size, stride=None):
    return _pool_windows(x, kernel_size, stride or 1).max(axis=3)


def _pool_ceil(x, kernel_size, stride=None):
    stride = stride or kernel_size
    length = x.shape[2]
    starts = range(0, length, stride)
    return np.stack([x[:, :, s : s + kernel_size].max(axis=2) for s in starts], axis=2)


def _pool_global(x, kernel_size, stride=None):
    return x.max(axis=2)


def _pool_swapped(x, kernel_size, stride=None):
    stride = stride or kernel_size
    return _pool_windows(x, stride, kernel_size).max(axis=3)


MAX_POOL1D = register(
    Exercise(
        id="ch5.max_pool1d",
        chapter=5,
        title="Max pooling",
        function="max_pool1d",
        points=2,
        reference=max_pool1d_numpy,
        make_cases=_pool_cases,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "average pooling",
                "these are window means; max pooling keeps each window's largest value.",
                _pool_mean,
            ),
            Mistake(
                "stride ignored",
                "the windows moved one position at a time whatever the stride: window j "
                "starts at j * stride.",
                _pool_stride_ignored,
            ),
            Mistake(
                "default stride 1",
                "when stride is None it defaults to kernel_size (non-overlapping windows, "
                "torch's convention), not to 1.",
                _pool_default_one,
            ),
            Mistake(
                "partial window kept",
                "a last window that runs past the end was kept; like torch (ceil_mode=False) "
                "drop it: there are (L - kernel_size) // stride + 1 windows.",
                _pool_ceil,
            ),
            Mistake(
                "global max pooling",
                "you took one maximum over the whole sequence; here each window of "
                "kernel_size positions gets its own maximum.",
                _pool_global,
            ),
            Mistake(
                "kernel_size and stride swapped",
                "the window width and the step were swapped: windows are kernel_size wide and "
                "start every stride positions.",
                _pool_swapped,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- ISM of a PWM


def _ism_reference(x, pwm):
    return pwm_ism_numpy(x[None], pwm)[0]


def _ism_cases(rng: np.random.Generator) -> list[Case]:
    tata = np.array([[0.0, 2, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [2, 0, 2, 0]]) - 0.5  # TATA
    cases = [
        Case((_encode("GGTATAGG"), tata), label="a perfect TATA site in GGTATAGG"),
        Case((_encode("TATA"), tata), label="K = L: one window"),
        Case((_encode("ACGTT"), np.array([[1.0], [-1.0], [0.5], [2.0]])), label="K = 1"),
        Case(
            (_encode("TATACCTATA"), tata),
            label="two equally good sites: breaking one leaves the other",
        ),
    ]
    for length, k in [(int(rng.integers(12, 25)), 5), (int(rng.integers(8, 15)), 3)]:
        cases.append(
            Case(
                (_one_hot(rng, 1, length)[0], rng.normal(size=(4, k))),
                label=f"random sequence of length {length}, random PWM of width {k}",
            )
        )
    return cases


def _ism_generic(x, pwm, score, substitute):
    """Every substitution of every base, scored with ``score``; ``substitute`` edits a copy."""
    out = np.zeros(x.shape)
    for pos in range(x.shape[1]):
        for base in range(4):
            if x[base, pos] == 1:
                continue
            variant = substitute(x.copy(), base, pos)
            out[base, pos] = score(variant, pwm) - score(x, pwm)
    return out


def _window_scores(x, pwm):
    return conv1d_numpy(x[None], pwm[None])[0, 0]  # (W,)


def _replace(v, base, pos):
    v[:, pos] = 0.0
    v[base, pos] = 1.0
    return v


def _add(v, base, pos):
    v[base, pos] = 1.0
    return v


def _ism_no_subtraction(x, pwm):
    best = _window_scores(x, pwm).max()
    return np.where(x == 1, best, _ism_reference(x, pwm) + best)


def _ism_column_not_cleared(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).max(), _add)


def _ism_best_window_only(x, pwm):
    scores = _window_scores(x, pwm)
    start, k = int(np.argmax(scores)), pwm.shape[1]
    out = np.zeros(x.shape)
    observed = (x[:, start : start + k] * pwm).sum(axis=0)  # (K,)
    out[:, start : start + k] = pwm - observed
    return out


def _ism_sum_of_windows(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).sum(), _replace)


def _ism_sign_flipped(x, pwm):
    return -_ism_reference(x, pwm)


def _blank(v, base, pos):
    v[:, pos] = 0.0
    return v


def _ism_deletion(x, pwm):
    return _ism_generic(x, pwm, lambda s, p: _window_scores(s, p).max(), _blank)


ISM_SCORES = register(
    Exercise(
        id="ch5.ism_scores",
        chapter=5,
        title="In-silico mutagenesis of a PWM",
        function="ism_scores",
        points=3,
        reference=_ism_reference,
        make_cases=_ism_cases,
        rtol=1e-7,
        atol=1e-9,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "reference score not subtracted",
                "these are the mutated sequences' scores; ISM reports the change, "
                "score(mutant) - score(original), so the observed base gets 0.",
                _ism_no_subtraction,
            ),
            Mistake(
                "old base not cleared",
                "the new base was added without removing the old one (the column had two 1s): "
                "a substitution sets the whole column to the new base's one-hot vector.",
                _ism_column_not_cleared,
            ),
            Mistake(
                "only the best window rescored",
                "only the original best window was rescored. After a mutation another window "
                "can become the best (or the damaged site may have a twin): recompute the "
                "maximum over every window.",
                _ism_best_window_only,
            ),
            Mistake(
                "sum instead of max",
                "you used the sum of all window scores; the model's output is the best window's "
                "score (the maximum).",
                _ism_sum_of_windows,
            ),
            Mistake(
                "sign flipped",
                "the sign is flipped: a mutation that weakens the site must get a negative "
                "score (score(mutant) - score(original)).",
                _ism_sign_flipped,
            ),
            Mistake(
                "deletion instead of substitution",
                "every base at a position got the same value: the position was blanked (all "
                "zeros, like an N) instead of being set to each of the other bases in turn.",
                _ism_deletion,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- LSTM cell


def _lstm_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(
            (
                np.array([[1.0]]),
                np.array([[0.5]]),
                np.array([[-1.0]]),
                np.array([[1.0], [2.0], [-1.0], [0.5]]),
                np.array([[0.5], [-0.5], [1.0], [2.0]]),
                np.array([0.0, 1.0, 0.0, 0.0]),
                np.array([0.1, 0.0, -0.2, 0.3]),
            ),
            label="H = 1, D = 1, hand-picked numbers",
        ),
    ]
    for n, d, h, dtype, zero_state in [
        (2, 4, 3, np.float64, True),
        (3, 4, 2, np.float64, False),
        (4, 5, 4, np.float64, False),
        (2, 4, 3, np.float32, False),
    ]:
        x = _one_hot(rng, n, 1)[:, :, 0] if d == 4 else rng.normal(size=(n, d))  # (N, D)
        state = np.zeros((2, n, h)) if zero_state else rng.normal(size=(2, n, h))
        args = (
            x,
            state[0],
            state[1],
            rng.normal(size=(4 * h, d)),
            rng.normal(size=(4 * h, h)),
            rng.normal(size=4 * h),
            rng.normal(size=4 * h),
        )
        what = "one-hot bases" if d == 4 else "real inputs"
        start = "zero state" if zero_state else "random state"
        cases.append(
            Case(
                tuple(a.astype(dtype) for a in args),
                label=f"N = {n}, D = {d} ({what}), H = {h}, {start}, {np.dtype(dtype).name}",
            )
        )
    return cases


def _gates(x, h, w_ih, w_hh, b_ih, b_hh):
    return np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)  # 4 x (N, H)


def _lstm_from(i, f, g, o, c, *, g_act=np.tanh, forget=True, tanh_c=True, old_c=False):
    c_new = (_sigmoid(f) * c if forget else c) + _sigmoid(i) * g_act(g)
    h_new = _sigmoid(o) * (np.tanh(c if old_c else c_new) if tanh_c else c_new)
    return h_new, c_new


def _lstm_if_swapped(x, h, c, w_ih, w_hh, b_ih, b_hh):
    f, i, g, o = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return _lstm_from(i, f, g, o, c)


def _lstm_go_swapped(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, o, g = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return _lstm_from(i, f, g, o, c)


def _lstm_sigmoid_g(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, g_act=_sigmoid)


def _lstm_no_forget(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, forget=False)


def _lstm_no_tanh_c(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, tanh_c=False)


def _lstm_old_c(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return _lstm_from(*_gates(x, h, w_ih, w_hh, b_ih, b_hh), c, old_c=True)


def _lstm_swapped_outputs(x, h, c, w_ih, w_hh, b_ih, b_hh):
    h_new, c_new = lstm_cell_step_numpy(x, h, c, w_ih, w_hh, b_ih, b_hh)
    return c_new, h_new


LSTM_CELL = register(
    Exercise(
        id="ch5.lstm_cell",
        chapter=5,
        title="One LSTM step",
        function="lstm_cell",
        points=3,
        reference=lstm_cell_step_numpy,
        make_cases=_lstm_cases,
        rtol=1e-6,
        atol=1e-9,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "input and forget gates swapped",
                "the input and forget gates were read in the wrong order: torch stacks the "
                "gates as (input, forget, cell, output), so i is the first H columns and f "
                "the second.",
                _lstm_if_swapped,
            ),
            Mistake(
                "cell and output gates swapped",
                "the candidate g and the output gate o were swapped: torch's order is i, f, g, "
                "o (g third, o last).",
                _lstm_go_swapped,
            ),
            Mistake(
                "sigmoid on the candidate",
                "the candidate cell value g goes through tanh (values in -1..1, so the cell "
                "can also decrease); sigmoid is for the three gates.",
                _lstm_sigmoid_g,
            ),
            Mistake(
                "no forget gate",
                "the old cell state was kept whole: c' = sigmoid(f) * c + sigmoid(i) * tanh(g); "
                "the forget gate is what lets an LSTM drop what it no longer needs.",
                _lstm_no_forget,
            ),
            Mistake(
                "tanh of the cell state missing",
                "h' = sigmoid(o) * tanh(c'): squash the new cell state with tanh before the "
                "output gate.",
                _lstm_no_tanh_c,
            ),
            Mistake(
                "output from the old cell state",
                "h' must be computed from the NEW cell state c', after the update.",
                _lstm_old_c,
            ),
            Mistake(
                "outputs returned as (c', h')",
                "return the new hidden state first: (h', c'), as torch.nn.LSTMCell does.",
                _lstm_swapped_outputs,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- positional encoding


def _pe_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((np.array([0.0, 1.0, 2.0]), 2), label="positions 0, 1, 2; d = 2"),
        Case((np.arange(6.0), 4), label="positions 0..5; d = 4"),
        Case((np.arange(50.0), 16), label="positions 0..49; d = 16"),
        Case((np.array([0.0, 10.0, 250.0, 1000.0]), 8), label="far-apart positions; d = 8"),
    ]
    length, d = int(rng.integers(5, 40)), 2 * int(rng.integers(2, 17))
    cases.append(Case((np.arange(float(length)), d), label=f"positions 0..{length - 1}; d = {d}"))
    cases.append(
        Case(
            (np.sort(rng.uniform(0, 500, size=7)), 6),
            label="random non-integer positions; d = 6",
        )
    )
    return cases


def _pe_angles(positions, d, *, exponent=None, multiply=False):
    i = np.arange(d // 2)
    exponent = 2 * i / d if exponent is None else exponent
    rate = 10000.0**exponent
    return positions[:, None] * rate if multiply else positions[:, None] / rate  # (L, d / 2)


def _interleave(sin_part, cos_part):
    out = np.empty((sin_part.shape[0], 2 * sin_part.shape[1]))
    out[:, 0::2], out[:, 1::2] = sin_part, cos_part
    return out


def _pe_swapped(positions, d):
    a = _pe_angles(positions, d)
    return _interleave(np.cos(a), np.sin(a))


def _pe_column_index(positions, d):
    j = np.arange(d)
    angle = positions[:, None] / 10000.0 ** (j / d)  # (L, d): column j uses j, not 2 floor(j / 2)
    return np.where(j % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_pair_index(positions, d):
    a = _pe_angles(positions, d, exponent=np.arange(d // 2) / d)
    return _interleave(np.sin(a), np.cos(a))


def _pe_from_one(positions, d):
    return sinusoidal_encoding(positions + 1, d)


def _pe_multiplied(positions, d):
    a = _pe_angles(positions, d, multiply=True)
    return _interleave(np.sin(a), np.cos(a))


def _pe_halves(positions, d):
    a = _pe_angles(positions, d)
    return np.concatenate([np.sin(a), np.cos(a)], axis=1)


POSITIONAL_ENCODING = register(
    Exercise(
        id="ch5.positional_encoding",
        chapter=5,
        title="Sinusoidal positional encoding",
        function="positional_encoding",
        points=2,
        reference=sinusoidal_encoding,
        make_cases=_pe_cases,
        rtol=1e-7,
        atol=1e-9,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "sin and cos swapped",
                "even columns (0, 2, 4, ...) hold the sines and odd columns the cosines: at "
                "position 0 the row is 0, 1, 0, 1, ...",
                _pe_swapped,
            ),
            Mistake(
                "column index in the exponent",
                "a sine column and the cosine column after it share one frequency: both use "
                "10000^(2i / d) with i the PAIR index, so column j uses 2 * (j // 2), not j.",
                _pe_column_index,
            ),
            Mistake(
                "factor 2 missing in the exponent",
                "the exponent is 2i / d (i = pair index 0 .. d/2 - 1), so the slowest clock "
                "has period close to 10000 * 2 pi; with i / d the frequencies stop halfway.",
                _pe_pair_index,
            ),
            Mistake(
                "positions shifted by one",
                "use the positions as given (the first is usually 0, whose row is 0, 1, 0, "
                "1, ...), not position + 1.",
                _pe_from_one,
            ),
            Mistake(
                "multiplied instead of divided",
                "the angle is position / 10000^(2i / d): divide, so that later columns turn "
                "slower, not faster.",
                _pe_multiplied,
            ),
            Mistake(
                "sines and cosines in two halves",
                "you put all sines first and all cosines after; here they are interleaved: "
                "column 2i is a sine and column 2i + 1 the matching cosine.",
                _pe_halves,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- attention


def _attention_cases(rng: np.random.Generator) -> list[Case]:
    causal = np.tril(np.ones((4, 4), dtype=bool))
    padding = np.array([True, True, True, False, False])  # (Lk,): the last 2 keys are padding
    cases = [
        Case(
            (
                np.array([[1.0, 0.0]]),
                np.array([[1.0, 0.0], [0.0, 1.0]]),
                np.array([[1.0, 2.0], [3.0, 4.0]]),
                None,
            ),
            label="one query, two keys, no mask",
        ),
        Case(
            (np.ones((2, 3)), np.ones((3, 3)), np.arange(6.0).reshape(3, 2), None),
            label="identical keys: equal weights",
        ),
        Case(
            (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), causal),
            label="causal mask: query i sees keys 0..i",
        ),
        Case(
            (
                rng.normal(size=(2, 3, 4)),
                rng.normal(size=(2, 5, 4)),
                rng.normal(size=(2, 5, 2)),
                padding,
            ),
            label="batch of 2, key-padding mask of shape (5,)",
        ),
        Case(
            (
                np.array([[40.0, 0, 0, 0], [0, 40, 0, 0], [30, 30, 0, 0]]),
                np.array([[50.0, 0, 0, 0], [0, 50, 0, 0], [0, 0, 50, 0], [-50, 0, 0, 0], [25] * 4]),
                np.arange(10.0).reshape(5, 2),
                None,
            ),
            label="large scores (q . k / sqrt(d) up to 1000)",
        ),
    ]
    lq, lk, d = int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(2, 9))
    cases.append(
        Case(
            (rng.normal(size=(lq, d)), rng.normal(size=(lk, d)), rng.normal(size=(lk, 3)), None),
            label=f"random Lq = {lq}, Lk = {lk}, d = {d}",
        )
    )
    mask = rng.random((2, 6, 6)) < 0.6
    mask[..., 0] = True  # every query may attend to at least one key ...
    mask[..., -1] = False  # ... and is blocked from at least one
    cases.append(
        Case(
            (*(rng.normal(size=(2, 6, 4)).astype(np.float32) for _ in range(3)), mask),
            label="random batch (2, 6, 4) float32 with a random mask",
        )
    )
    return cases


def _attention_reference(q, k, v, mask):
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    dtype = np.result_type(q, k, v)  # float32 inputs: a float32 answer, float32 tolerance
    return out.astype(dtype), weights.astype(dtype)


def _attn(
    q,
    k,
    v,
    mask,
    *,
    scale=None,
    axis=-1,
    fill=-1e9,
    use_mask=True,
    invert=False,
    after=False,
    stable=True,
):
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(d) if scale is None else scale)
    allowed = None if mask is None or not use_mask else np.broadcast_to(mask, scores.shape)
    if allowed is not None and invert:
        allowed = ~allowed
    if allowed is not None and not after:
        scores = np.where(allowed, scores, fill)
    with np.errstate(over="ignore", invalid="ignore"):
        if stable:
            scores = scores - scores.max(axis=axis, keepdims=True)
        weights = np.exp(scores)
        weights = weights / weights.sum(axis=axis, keepdims=True)
    if allowed is not None and after:
        weights = weights * allowed
    return weights @ v, weights


ATTENTION = register(
    Exercise(
        id="ch5.attention",
        chapter=5,
        title="Scaled dot-product attention with a mask",
        function="attention",
        points=3,
        reference=_attention_reference,
        make_cases=_attention_cases,
        rtol=1e-6,
        atol=1e-9,
        forbid=_FORBID,
        mistakes=(
            Mistake(
                "no 1/sqrt(d) scaling",
                "divide the scores q k^T by sqrt(d) before the softmax; unscaled, they grow "
                "with d and the softmax saturates.",
                lambda q, k, v, mask: _attn(q, k, v, mask, scale=1.0),
            ),
            Mistake(
                "scaled by 1/d",
                "the scores are divided by sqrt(d), not by d.",
                lambda q, k, v, mask: _attn(q, k, v, mask, scale=q.shape[-1]),
            ),
            Mistake(
                "softmax over the queries",
                "the softmax ran over the wrong axis: each QUERY's weights over the keys must "
                "sum to 1, so normalise along the last axis (keys).",
                lambda q, k, v, mask: _attn(q, k, v, mask, axis=-2),
            ),
            Mistake(
                "mask ignored",
                "the mask was not applied: where mask is False the weight must be exactly 0 "
                "(set those scores to -inf before the softmax).",
                lambda q, k, v, mask: _attn(q, k, v, mask, use_mask=False),
            ),
            Mistake(
                "mask inverted",
                "the mask was used the wrong way round: True means 'may attend', False means "
                "'blocked' (torch's boolean attn_mask convention).",
                lambda q, k, v, mask: _attn(q, k, v, mask, invert=True),
            ),
            Mistake(
                "mask applied after the softmax",
                "the blocked weights were zeroed after the softmax, so the rows no longer sum "
                "to 1: mask the scores (with -inf) BEFORE the softmax.",
                lambda q, k, v, mask: _attn(q, k, v, mask, after=True),
            ),
            Mistake(
                "softmax without subtracting the maximum",
                "exp of a large score overflows to inf and inf / inf is nan: subtract each "
                "row's maximum score before exp (the softmax does not change).",
                lambda q, k, v, mask: _attn(q, k, v, mask, fill=-np.inf, stable=False),
            ),
        ),
    )
)
