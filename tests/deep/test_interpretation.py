"""Tests for genolearn.deep.interpretation on models whose right answer is known."""

import matplotlib
import numpy as np
import pytest
import torch

from genolearn.deep import (
    FNN,
    MotifCNN,
    SequenceRNN,
    attribution_auroc,
    filters_to_pwms,
    in_silico_mutagenesis,
    plot_logo,
    pwm_ism_numpy,
    saliency,
)
from genolearn.dna.motifs import load_jaspar, pwm_scan
from genolearn.dna.synthetic import synthetic_task

matplotlib.use("Agg")
pytestmark = pytest.mark.ch06
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def ctcf_model():
    """A MotifCNN by hand: one filter = the CTCF PWM, fires above 8 bits, logit = its max."""
    pwm = load_jaspar("CTCF").pwm()
    model = MotifCNN(1, 19, hidden=0)
    with torch.no_grad():
        model.conv.weight.copy_(torch.tensor(pwm[None], dtype=torch.float32))
        model.conv.bias.fill_(-8.0)
        model.linear.weight.fill_(1.0)
        model.linear.bias.fill_(0.0)
    return model.eval()


@pytest.fixture(scope="module")
def positives():
    data = synthetic_task("single_motif", n=80, length=100, seed=0)
    return data.subset(data.y == 1)


def test_saliency_and_ism_find_the_planted_motif(ctcf_model, positives):
    sal = saliency(ctcf_model, positives.x)
    ism = in_silico_mutagenesis(ctcf_model, positives.x)
    assert sal.shape == ism.shape == positives.x.shape
    assert attribution_auroc(sal, positives.mask) > 0.95
    assert attribution_auroc(ism, positives.mask) > 0.95


def test_ism_and_saliency_of_a_linear_model_are_exact():
    """For logit = sum w * x + b: ISM = w[new base] - w[old base]; saliency = w[old base]."""
    torch.manual_seed(0)
    model = FNN(12, hidden=()).eval()  # a single Linear(48, 1)
    w = model.net[0].weight.detach().numpy().reshape(4, 12)  # channel-major flatten
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 12)), 4).float().transpose(1, 2)
    x[1, :, 5] = 0  # an N column
    x = x.numpy()
    ism = in_silico_mutagenesis(model, x, batch_size=10)
    reference = (w[None] * x).sum(axis=1, keepdims=True)  # (N, 1, L): weight of the base present
    np.testing.assert_allclose(ism, w[None] - reference, atol=1e-5)
    assert np.all(ism[x == 1] == 0)
    np.testing.assert_allclose(ism[1, :, 5], w[:, 5], atol=1e-5)  # from N every base is a change
    np.testing.assert_allclose(saliency(model, x, batch_size=2), w[None] * x, atol=1e-6)


def test_attribution_methods_work_on_any_model(positives):
    torch.manual_seed(0)
    model = SequenceRNN("gru", 4).train()
    x = positives.x[:3]
    assert saliency(model, x).shape == (3, 4, 100)
    assert in_silico_mutagenesis(model, x[:1]).shape == (1, 4, 100)
    assert model.training  # mode restored
    with pytest.raises(ValueError, match="output=2 but the model has 1 output"):
        saliency(model, x, output=2)


def test_filters_to_pwms_recovers_the_motif(ctcf_model, positives):
    counts = filters_to_pwms(ctcf_model, positives.x, threshold=0.6)
    assert counts.shape == (1, 4, 19)
    ppm = counts[0] / counts[0].sum(axis=0)
    ctcf = load_jaspar("CTCF")
    assert "".join("ACGT"[i] for i in ppm.argmax(axis=0)) == ctcf.consensus
    assert np.corrcoef(ppm.ravel(), ctcf.ppm.ravel())[0, 1] > 0.9
    n_sites = counts[0, :, 0].sum()
    assert len(positives) * 0.9 <= n_sites <= len(positives) * 1.2  # about one site each


def test_filters_to_pwms_from_raw_weights_and_padding(ctcf_model, positives):
    pwm = load_jaspar("CTCF").pwm()
    from_weights = filters_to_pwms(pwm[None], positives.x, bias=np.array([-8.0]))
    from_model = filters_to_pwms(ctcf_model, positives.x)
    np.testing.assert_allclose(from_weights, from_model)
    padded = torch.nn.Sequential(torch.nn.Conv1d(4, 2, 5, padding=2))
    assert filters_to_pwms(padded, positives.x).shape == (2, 4, 5)
    dead = np.full((1, 4, 5), -1.0)  # never activates above 0
    assert np.all(filters_to_pwms(dead, positives.x) == 0)


def test_filters_to_pwms_errors(positives):
    with pytest.raises(ValueError, match=r"has no nn\.Conv1d layer"):
        filters_to_pwms(SequenceRNN(conv_filters=None), positives.x)
    with pytest.raises(ValueError, match="stride 1 and dilation 1"):
        filters_to_pwms(torch.nn.Conv1d(4, 2, 5, stride=2), positives.x)
    with pytest.raises(ValueError, match=r"threshold must be < 1\.0"):
        filters_to_pwms(np.zeros((1, 4, 5)), positives.x, threshold=1.0)
    with pytest.raises(ValueError, match=r"weights has shape \(1, 5, 5\) but must be \(F, 4, K\)"):
        filters_to_pwms(np.zeros((1, 5, 5)), positives.x)


def test_attribution_auroc_extremes_and_forms():
    mask = np.zeros((2, 10), dtype=bool)
    mask[:, 3:6] = True
    assert attribution_auroc(mask.astype(float), mask) == 1.0
    assert attribution_auroc((~mask).astype(float), mask) == 0.0
    onehot_form = np.zeros((2, 4, 10))
    onehot_form[:, 2] = -1.0 * mask  # negative attributions count by magnitude
    assert attribution_auroc(onehot_form, mask) == 1.0
    with pytest.raises(ValueError, match="both planted"):
        attribution_auroc(np.ones((2, 10)), np.zeros((2, 10), dtype=bool))
    with pytest.raises(ValueError, match=r"mask has shape \(2, 9\) but must be \(N, L\) with"):
        attribution_auroc(np.ones((2, 10)), np.zeros((2, 9), dtype=bool))


def test_plot_logo():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    ctcf = load_jaspar("CTCF")
    logo = plot_logo(ctcf, ax=axes[0])
    assert logo.ax is axes[0] and axes[0].get_ylabel() == "bits"
    heights = logo.df.to_numpy().sum(axis=1)
    assert 0 <= heights.min() and heights.max() <= 2 + 1e-9
    plot_logo(ctcf.pwm(), ax=axes[1])
    assert axes[1].get_ylabel() == "weight"
    with pytest.raises(ValueError, match="kind must be"):
        plot_logo(ctcf, kind="probability")
    with pytest.raises(ValueError, match="non-negative columns"):
        plot_logo(ctcf.pwm(), kind="information")
    plt.close(fig)


def test_pwm_ism_numpy_is_the_model_ism_of_a_pwm_scanner(positives):
    """One filter = the CTCF PWM, no bias, logit = the best window's score: the model's ISM
    and the numpy ISM agree while the ReLU never clips, i.e. on sequences with a real site."""
    pwm = load_jaspar("CTCF").pwm()
    model = MotifCNN(1, 19, hidden=0)
    with torch.no_grad():
        model.conv.weight.copy_(torch.tensor(pwm[None], dtype=torch.float32))
        model.conv.bias.fill_(0.0)
        model.linear.weight.fill_(1.0)
        model.linear.bias.fill_(0.0)
    x = positives.x[:4]
    largest_drop = (pwm.max(axis=0) - pwm.min(axis=0)).max()
    assert np.all(pwm_scan(x, pwm).max(axis=1) > largest_drop)  # no mutation reaches 0
    got = pwm_ism_numpy(x, pwm)
    np.testing.assert_allclose(got, in_silico_mutagenesis(model.eval(), x), atol=1e-4)
    assert np.all(got[x == 1] == 0)


def _best_window(seq, pwm):
    k = pwm.shape[1]
    return max(np.sum(seq[:, w : w + k] * pwm) for w in range(seq.shape[1] - k + 1))


def test_pwm_ism_numpy_brute_force_with_an_unknown_base():
    rng = np.random.default_rng(0)
    x = np.eye(4)[rng.integers(0, 4, size=(3, 12))].transpose(0, 2, 1)  # (3, 4, 12)
    x[1, :, 5] = 0  # an N: all four bases are substitutions there
    pwm = rng.normal(size=(4, 4))
    got = pwm_ism_numpy(x, pwm)
    for n in range(3):
        for pos in range(12):
            for base in range(4):
                variant = x[n].copy()
                variant[:, pos] = 0
                variant[base, pos] = 1
                want = _best_window(variant, pwm) - _best_window(x[n], pwm)
                if x[n, base, pos] == 1:
                    want = 0.0
                assert got[n, base, pos] == pytest.approx(want, abs=1e-12)


def test_pwm_ism_numpy_errors():
    with pytest.raises(ValueError, match=r"pwm has width K = 5 but x has length L = 3"):
        pwm_ism_numpy(np.zeros((1, 4, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"x has shape \(4, 3\)"):
        pwm_ism_numpy(np.zeros((4, 3)), np.zeros((4, 2)))
