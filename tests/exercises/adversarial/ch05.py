"""Chapter 5 — wrong and correct answers written independently of the mistake catalogue.

Same layout as :mod:`tests.exercises.adversarial.ch01`; the exercise texts are in
``chapters/05_fnn/fnn.ipynb`` (the baselines: a PWM from sites, its best window score, the
most accurate threshold, k-mer counts of one-hot DNA).
"""

from __future__ import annotations

import numpy as np

__all__ = ["WRONG", "CORRECT", "WITNESSES"]

_rng = np.random.default_rng(5005)


def _encode(*seqs):
    table = {b: np.eye(4)[i] for i, b in enumerate("ACGT")} | {"N": np.zeros(4)}
    return np.stack([np.array([table[b] for b in s]).T for s in seqs])  # (N, 4, L)


# --------------------------------------------------------------------------- pwm_from_sites


def ps_float16(sites, pseudocount):
    counts = sites.sum(axis=0).astype(np.float16)
    return np.log2((counts + pseudocount) / (len(sites) + 4 * pseudocount) / 0.25).astype(
        np.float16
    )


def ps_one_pseudocount_per_column(sites, pseudocount):
    counts = sites.sum(axis=0)
    return np.log2((counts + pseudocount / 4) / (len(sites) + pseudocount) / 0.25)


def ps_first_site_only(sites, pseudocount):
    return np.log2((sites[0] + pseudocount) / (1 + 4 * pseudocount) / 0.25)


def ps_mean_instead_of_counts(sites, pseudocount):
    freq = sites.mean(axis=0)  # the pseudocount then weighs N times too much
    return np.log2((freq + pseudocount) / (1 + 4 * pseudocount) / 0.25)


def ps_in_place(sites, pseudocount):
    sites += pseudocount / len(sites)  # edits the caller's array
    return np.log2(sites.sum(axis=0) / (len(sites) + 4 * pseudocount) / 0.25)


def ps_loops(sites, pseudocount):
    n, _, k = sites.shape
    out = np.empty((4, k))
    for pos in range(k):
        column = [pseudocount + sum(float(sites[i, b, pos]) for i in range(n)) for b in range(4)]
        total = sum(column)
        out[:, pos] = [np.log2(4 * c / total) for c in column]
    return out


def ps_einsum(sites, pseudocount):
    counts = np.einsum("nak->ak", sites.astype(np.float64))
    probs = (counts + pseudocount) / (counts + pseudocount).sum(axis=0)
    return np.log2(probs) + 2


# --------------------------------------------------------------------------- best_pwm_score


def bs_first_window(x, pwm):
    return np.einsum("nak,ak->n", x[:, :, : pwm.shape[1]], pwm)


def bs_float16(x, pwm):
    win = np.lib.stride_tricks.sliding_window_view(x.astype(np.float16), pwm.shape[1], axis=2)
    return np.einsum("nawk,ak->nw", win, pwm.astype(np.float16)).max(axis=1)


def bs_global_max(x, pwm):
    k = pwm.shape[1]
    scores = [np.sum(x[:, :, w : w + k] * pwm, axis=(1, 2)) for w in range(x.shape[2] - k + 1)]
    return np.full(len(x), np.max(scores))  # the best over ALL sequences, for each


def bs_both_strands(x, pwm):
    k = pwm.shape[1]
    win = np.lib.stride_tricks.sliding_window_view(x, k, axis=2)
    forward = np.einsum("nawk,ak->nw", win, pwm)
    reverse = np.einsum("nawk,ak->nw", win, pwm[::-1, ::-1])
    return np.maximum(forward, reverse).max(axis=1)


def bs_max_per_column(x, pwm):
    return np.full(len(x), pwm.max(axis=0).sum())  # the best possible site, not the best found


def bs_loops(x, pwm):
    n, _, length = x.shape
    k = pwm.shape[1]
    out = np.empty(n)
    for i in range(n):
        out[i] = max(
            sum(pwm[a, j] * x[i, a, w + j] for a in range(4) for j in range(k))
            for w in range(length - k + 1)
        )
    return out


def bs_lookup(x, pwm):
    codes = x.argmax(axis=1)  # (N, L): one-hot, so every column names its base
    k = pwm.shape[1]
    per_base = pwm[codes[:, :, None], np.arange(k)[None, None, :]]  # (N, L, K)
    windows = [per_base[:, w : w + k, :].diagonal(axis1=1, axis2=2).sum(axis=1)
               for w in range(x.shape[2] - k + 1)]  # fmt: skip
    return np.max(windows, axis=0)


# --------------------------------------------------------------------------- best_threshold


def bt_mean_score(scores, y):
    return float(np.mean(scores))


def bt_sorted_position(scores, y):
    order = np.sort(scores)
    return float(order[int(len(order) - np.sum(y == 1)) if np.any(y == 1) else -1])


def bt_without_ties(scores, y):
    acc = [np.mean((scores >= t) == (y == 1)) for t in scores]  # scores in input order
    return float(scores[int(np.argmax(acc))])


def bt_accuracy_returned(scores, y):
    return max(np.mean((scores >= t) == (y == 1)) for t in scores)


def bt_loops(scores, y):
    best, best_t = -1, None
    for t in sorted(set(float(s) for s in scores)):
        right = sum(1 for s, label in zip(scores, y, strict=True) if (s >= t) == bool(label))
        if right > best:
            best, best_t = right, t
    return best_t


def bt_matrix(scores, y):
    cuts = np.sort(np.unique(scores))
    right = ((scores[None, :] >= cuts[:, None]) == (y[None, :] == 1)).sum(axis=1)
    return float(cuts[right == right.max()].min())


# --------------------------------------------------------------------------- kmer_spectrum


def ks_no_unknown_check(x, k):
    codes = x.argmax(axis=1)
    out = np.zeros((len(x), 4**k))
    for row in range(len(x)):
        for start in range(x.shape[2] - k + 1):
            out[row, int("".join(str(c) for c in codes[row, start : start + k]), 4)] += 1
    return out


def ks_window_count_off_by_one(x, k):
    codes, known = x.argmax(axis=1), x.sum(axis=1) > 0
    out = np.zeros((len(x), 4**k))
    for row in range(len(x)):
        for start in range(x.shape[2] - k):
            if known[row, start : start + k].all():
                out[row, int("".join(str(c) for c in codes[row, start : start + k]), 4)] += 1
    return out


def ks_presence(x, k):
    counts = ks_loops(x, k)
    return (counts > 0).astype(np.float64)


def ks_last_k_only(x, k):
    return ks_loops(x[:, :, -k:], k) if x.shape[2] >= k else ks_loops(x, k)  # one window


def ks_reverse_complement_too(x, k):
    return ks_loops(x, k) + ks_loops(x[:, ::-1, ::-1], k)


def ks_loops(x, k):
    out = np.zeros((len(x), 4**k))
    for row, seq in enumerate(x):
        for start in range(seq.shape[1] - k + 1):
            window = seq[:, start : start + k]
            if window.sum() != k:
                continue  # an unknown base inside
            index = 0
            for col in window.T:
                index = 4 * index + int(np.argmax(col))
            out[row, index] += 1
    return out


def ks_histogram(x, k):
    codes = np.where(x.any(axis=1), x.argmax(axis=1), 99)
    out = []
    for seq in codes:
        if len(seq) < k:
            out.append(np.zeros(4**k))
            continue
        win = np.stack([seq[j : len(seq) - k + 1 + j] for j in range(k)], axis=1)
        good = win.max(axis=1) < 4
        index = (win[good] * 4 ** np.arange(k - 1, -1, -1)).sum(axis=1)
        out.append(np.histogram(index, bins=np.arange(4**k + 1))[0].astype(np.float64))
    return np.array(out)


# --------------------------------------------------------------------------- tables

WRONG = {
    "ch5.pwm_from_sites": [
        (ps_float16, "computes and returns float16", None),
        (ps_one_pseudocount_per_column, "the pseudocount shared out over the four bases", None),
        (ps_first_site_only, "counts only the first site", None),
        (ps_mean_instead_of_counts, "frequencies plus the pseudocount", None),
        (ps_in_place, "adds the pseudocount into the caller's array", "mutated input"),
    ],
    "ch5.best_pwm_score": [
        (bs_first_window, "scores only the first window", None),
        (bs_float16, "computes in float16", None),
        (bs_global_max, "the best window over all sequences, for every sequence", None),
        (bs_both_strands, "also scores the reverse strand", None),
        (bs_max_per_column, "the best possible score of the PWM", None),
    ],
    "ch5.best_threshold": [
        (bt_mean_score, "the mean score as threshold", None),
        (bt_sorted_position, "the cut that calls as many positives as there are", None),
        (bt_without_ties, "the first best score in input order, not the smallest", None),
        (bt_accuracy_returned, "returns the best accuracy, not the cut", None),
    ],
    "ch5.kmer_spectrum": [
        (ks_no_unknown_check, "counts windows with an unknown base", "unknown base counted as A"),
        (ks_window_count_off_by_one, "range(L - k): the last window never counted", None),
        (ks_presence, "1 if a k-mer occurs, not how often", None),
        (ks_last_k_only, "counts only the last window", None),
        (ks_reverse_complement_too, "adds the reverse complement's counts", None),
    ],
}

CORRECT = {
    "ch5.pwm_from_sites": [ps_loops, ps_einsum],
    "ch5.best_pwm_score": [bs_loops, bs_lookup],
    "ch5.best_threshold": [bt_loops, bt_matrix],
    "ch5.kmer_spectrum": [ks_loops, ks_histogram],
}

_tata = np.array([[0.0, 2, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [2, 0, 2, 0]]) - 0.5

WITNESSES = {
    "ch5.pwm_from_sites": [
        (_encode("ACGTA", "ACGAA", "TCGTA"), 0.5),
        (_encode("GG", "GC"), 2.0),
        (_encode("TTAC"), 0.1),
    ],
    "ch5.best_pwm_score": [
        (_encode("GGTATAGG", "CCCCCCCC", "TATACCCC"), _tata),
        (_encode("ACGTTGCAAC", "TTTTTGGGGG"), _rng.normal(size=(4, 3))),
        (_encode("CCCCGGGT"), _rng.normal(size=(4, 4))),
    ],
    "ch5.best_threshold": [
        (np.array([0.1, 0.4, 0.35, 0.8, 0.9]), np.array([0, 0, 1, 1, 1])),
        (np.array([2.0, 1.0, 1.0, 3.0, 0.5]), np.array([1, 0, 1, 1, 0])),
        (np.array([0.3, 0.3, 0.9, -0.2]), np.array([0, 1, 1, 0])),
    ],
    "ch5.kmer_spectrum": [
        (_encode("ACGTTACNGA", "AAAAAAAAAA"), 2),
        (_encode("ACGTACGT"), 1),
        (_encode("TTGCANCAT", "GGGCCCATA"), 3),
    ],
}
