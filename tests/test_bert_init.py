"""BERT's 0.02: truncation and the Post/Pre Norm weights against independent routes; bad input to every function."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from scipy import integrate, stats

from theory_lib import bert_init as bi


# ---------------------------------------------------------------- truncation
def _scaled_moment(k, b):
    """E[(Z/b)^k | |Z| <= b] by numerical integration over s = Z/b in [-1, 1] (safe for tiny b)."""
    num = integrate.quad(lambda s: s**k * math.exp(-((b * s) ** 2) / 2), -1, 1, epsabs=0, epsrel=1e-13)[0]
    den = integrate.quad(lambda s: math.exp(-((b * s) ** 2) / 2), -1, 1, epsabs=0, epsrel=1e-13)[0]
    return num / den


def _moment(k, b):
    """E[Z^k | |Z| <= b]."""
    return b**k * _scaled_moment(k, b)


def _std_by_quadrature(b):
    """std(Z | |Z| <= b)."""
    return b * math.sqrt(_scaled_moment(2, b))


@pytest.mark.parametrize("b", [0.05, 0.5, 1.0, 2.0, 3.0, 6.0])
def test_truncation_factor_against_quadrature_and_scipy(b):
    assert bi.truncation_factor(b) == pytest.approx(_std_by_quadrature(b), rel=1e-10)
    assert bi.truncation_factor(b) == pytest.approx(stats.truncnorm(-b, b).std(), rel=1e-9)


def test_truncation_factor_limits_and_tensor_input():
    # b -> 0: uniform on [-b, b], std b/sqrt(3); b -> inf: no truncation
    assert bi.truncation_factor(1e-6) == pytest.approx(1e-6 / math.sqrt(3), rel=1e-9)
    for b in (1e-200, 1e-120, 9e-4, 1.1e-3):  # b^2/2 and the gamma functions underflow at the small end
        assert bi.truncation_factor(b) == pytest.approx(_std_by_quadrature(b), rel=1e-11)
    assert bi.truncation_factor(12.0) == pytest.approx(1.0, abs=1e-15)
    b = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    out = bi.truncation_factor(b)
    assert isinstance(out, torch.Tensor) and out.shape == (3,)
    assert out.tolist() == pytest.approx([bi.truncation_factor(v) for v in b.tolist()], rel=1e-14)


@settings(max_examples=100, deadline=None)
@given(b1=st.floats(1e-3, 8.0), b2=st.floats(1e-3, 8.0))
def test_truncation_factor_is_increasing_and_below_uniform_and_one(b1, b2):
    lo, hi = sorted((b1, b2))
    f_lo, f_hi = bi.truncation_factor(lo), bi.truncation_factor(hi)
    assert f_lo <= f_hi * (1 + 1e-12)
    # the truncated density falls on [0, b], so it is more concentrated than U[-b, b]
    assert f_hi <= min(1.0, hi / math.sqrt(3)) * (1 + 1e-12)


@pytest.mark.parametrize("b", [1.0, 2.0])
def test_truncation_factor_against_torch_trunc_normal(b, device):
    """torch.nn.init.trunc_normal_ with bounds at +-b*std: sample std within 5 standard errors."""
    n, std = 400_000, 0.02
    g = torch.Generator(device=device).manual_seed(0)
    w = torch.empty(n, device=device, dtype=torch.float64)
    torch.nn.init.trunc_normal_(w, std=std, a=-b * std, b=b * std, generator=g)
    z = (w / std).cpu()
    m2, m4 = _moment(2, b), _moment(4, b)
    se = math.sqrt((m4 - m2 * m2) / n) / (2 * math.sqrt(m2))  # delta method: se of sqrt(mean z^2)
    assert z.pow(2).mean().sqrt().item() == pytest.approx(bi.truncation_factor(b), abs=5 * se)


def test_torch_trunc_normal_default_bounds_are_absolute():
    """trunc_normal_(w, std=0.02) cuts at +-2 in absolute units: no truncation, std stays 0.02."""
    n = 200_000
    w = torch.empty(n, dtype=torch.float64)
    torch.nn.init.trunc_normal_(w, std=0.02, generator=torch.Generator().manual_seed(1))
    se = 0.02 / math.sqrt(2 * n)  # se of a normal sample's std
    assert w.std().item() == pytest.approx(0.02, abs=5 * se)
    assert abs(w.std().item() - bi.truncated_normal_std(0.02)) > 50 * se


def test_sample_truncated_normal_distribution(device):
    n, std, b = 100_000, 0.5, 2.0
    g = torch.Generator(device=device).manual_seed(2)
    x = bi.sample_truncated_normal((n,), std, b, device=device, generator=g, dtype=torch.float64)
    assert x.device.type == device.type and x.dtype == torch.float64
    assert x.abs().max().item() <= b * std
    z = (x / std).cpu().numpy()
    d = stats.kstest(z, stats.truncnorm(-b, b).cdf).statistic
    assert d < 1.95 / math.sqrt(n)  # the KS critical value at the 0.001 level
    m2, m4 = _moment(2, b), _moment(4, b)
    se = math.sqrt((m4 - m2 * m2) / n) / (2 * math.sqrt(m2))
    assert float(np.sqrt((z**2).mean())) == pytest.approx(bi.truncation_factor(b), abs=5 * se)
    assert float(z.mean()) == pytest.approx(0.0, abs=5 * math.sqrt(m2 / n))


def test_sample_truncated_normal_shapes_and_seeds():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = bi.sample_truncated_normal((4, 5), generator=g1)
    assert a.shape == (4, 5) and a.dtype == torch.float32
    assert torch.equal(a, bi.sample_truncated_normal((4, 5), generator=g2))
    assert bi.sample_truncated_normal(7).shape == (7,)


def test_article_claims():
    """0.02 truncated at 2 sigma is 0.02/1.1368472 ~ 0.0176, about half of Xavier's 1/sqrt(768) ~ 0.0361."""
    assert 1 / bi.truncation_factor(2.0) == pytest.approx(1.1368472, abs=5e-8)
    assert bi.truncated_normal_std(0.02) == pytest.approx(0.0176, abs=5e-5)
    ratio = bi.truncated_normal_std(0.02) / (1 / math.sqrt(768))
    assert 0.45 < ratio < 0.5
    assert bi.post_norm_weights(12, 1.0)[0].item() == pytest.approx(2.0**-6, rel=1e-14)


def test_truncated_normal_std_tensor_input():
    s = torch.tensor([0.01, 0.02], dtype=torch.float64)
    out = bi.truncated_normal_std(s)
    assert out.tolist() == pytest.approx([bi.truncated_normal_std(0.01), bi.truncated_normal_std(0.02)], rel=1e-12)


# ---------------------------------------------------------------- residual weights
def _unrolled_post_norm(depth, sigma):
    """Coefficients of (x_0, F_0, ..., F_{l-1}) by running x_{t+1} = (x_t + F_t)/sqrt(1+sigma^2)."""
    c = [1.0] + [0.0] * depth
    for t in range(depth):
        c[t + 1] += 1.0  # + F_t
        c = [v / math.sqrt(1 + sigma * sigma) for v in c]
    return c


@pytest.mark.parametrize("depth", [1, 2, 7, 24])
@pytest.mark.parametrize("sigma", [0.0, 0.3, 1.0, 2.5])
def test_post_norm_weights_match_the_unrolled_recurrence(depth, sigma, device):
    w = bi.post_norm_weights(depth, sigma, device=device)
    assert w.shape == (depth + 1,) and w.device.type == device.type
    torch.testing.assert_close(
        w.cpu(), torch.tensor(_unrolled_post_norm(depth, sigma), dtype=torch.float64), rtol=1e-13, atol=0
    )


def test_post_norm_weights_article_form():
    """sigma = 1: x_l = x_0/2^{l/2} + sum_k F_k/2^{(l-k)/2}."""
    l = 12
    expected = [2 ** (-l / 2)] + [2 ** (-(l - k) / 2) for k in range(l)]
    assert bi.post_norm_weights(l).tolist() == pytest.approx(expected, rel=1e-14)


def test_pre_norm_weights():
    raw = bi.pre_norm_weights(5, 0.7, final_norm=False)
    assert raw.tolist() == [1.0] * 6
    normed = bi.pre_norm_weights(5, 0.7)
    assert normed.tolist() == pytest.approx([1 / math.sqrt(1 + 5 * 0.49)] * 6, rel=1e-14)


@settings(max_examples=100, deadline=None)
@given(depth=st.integers(1, 200), sigma=st.floats(0.0, 20.0))
def test_weights_keep_unit_output_variance(depth, sigma):
    """x_0 has variance 1, each F_k variance sigma^2, all independent: the output has variance 1."""
    for w in (bi.post_norm_weights(depth, sigma), bi.pre_norm_weights(depth, sigma)):
        total = w[0] ** 2 + sigma**2 * (w[1:] ** 2).sum()
        assert total.item() == pytest.approx(1.0, rel=1e-9)
    # Post Norm: the residual path decays geometrically, later branches weigh more
    w = bi.post_norm_weights(depth, sigma)
    assert (w[2:] >= w[1:-1]).all() and w[0] == w[1]


def test_branch_variance_against_monte_carlo():
    """Var F(x) for F = W2 relu(W1 x), W drawn by torch's own truncated normal, x ~ N(0, I)."""
    d, h, std, trials = 64, 96, 0.1, 200
    g = torch.Generator().manual_seed(4)
    w1 = torch.nn.init.trunc_normal_(
        torch.empty(trials, h, d, dtype=torch.float64), std=std, a=-2 * std, b=2 * std, generator=g
    )
    w2 = torch.nn.init.trunc_normal_(
        torch.empty(trials, d, h, dtype=torch.float64), std=std, a=-2 * std, b=2 * std, generator=g
    )
    x = torch.randn(trials, 32, d, generator=g, dtype=torch.float64)
    second = (torch.relu(x @ w1.transpose(1, 2)) @ w2.transpose(1, 2)).pow(2).mean(dim=(1, 2))  # (trials,)
    se = second.std().item() / math.sqrt(trials)  # independent weights per trial
    assert second.mean().item() == pytest.approx(bi.branch_variance(d, std, hidden=h), abs=5 * se)
    plain = bi.branch_variance(d, std, hidden=h, bound=None)
    assert plain == pytest.approx(h * d * std**4 / 2)
    assert bi.branch_variance(d, std, hidden=h) == pytest.approx(plain * bi.truncation_factor(2.0) ** 4)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bi.truncation_factor(0.0), "bound"),
        (lambda: bi.truncation_factor(-1.0), "bound"),
        (lambda: bi.truncation_factor(float("nan")), "bound"),
        (lambda: bi.truncation_factor(torch.tensor([1.0, -1.0])), "bound"),
        (lambda: bi.truncated_normal_std(0.0), "std"),
        (lambda: bi.truncated_normal_std(-0.02), "std"),
        (lambda: bi.truncated_normal_std(torch.tensor([0.0])), "std"),
        (lambda: bi.truncated_normal_std(0.02, bound=0), "bound"),
        (lambda: bi.sample_truncated_normal(3, std=0), "std"),
        (lambda: bi.sample_truncated_normal(3, bound=-2), "bound"),
        (lambda: bi.sample_truncated_normal((3, -1)), "shape"),
        (lambda: bi.post_norm_weights(0), "depth"),
        (lambda: bi.post_norm_weights(2.5), "depth"),
        (lambda: bi.post_norm_weights(3, -0.1), "sigma"),
        (lambda: bi.pre_norm_weights(0), "depth"),
        (lambda: bi.pre_norm_weights(3, float("inf")), "sigma"),
        (lambda: bi.branch_variance(0, 0.02), "width"),
        (lambda: bi.branch_variance(8, 0.0), "std"),
        (lambda: bi.branch_variance(8, 0.02, hidden=0), "hidden"),
        (lambda: bi.branch_variance(8, 0.02, bound=0), "bound"),
        (lambda: bi.ResidualStack(0, 3), "width"),
        (lambda: bi.ResidualStack(8, 0), "depth"),
        (lambda: bi.ResidualStack(8, 3, "mid"), "norm"),
        (lambda: bi.ResidualStack(8, 3, "post", 0.0), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", [0.02, -1.0]), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", []), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", 0.02, bound=0.0), "bound"),
        (lambda: bi.synthetic_task(1), "n"),
        (lambda: bi.synthetic_task(8, frequency=0), "frequency"),
        (lambda: bi.synthetic_task(8, seed=-1), "seed"),
        (lambda: bi.layer_gradient_norms(8, 0), "depth"),
        (lambda: bi.layer_gradient_norms(8, 2, std=0), "std"),
        (lambda: bi.layer_gradient_norms(8, 2, wrt="bias"), "wrt"),
        (lambda: bi.warmup_schedule(0, 0), "steps"),
        (lambda: bi.warmup_schedule(5, -1), "warmup"),
        (lambda: bi.train_loss_curves(8, 2, steps=0), "steps"),
        (lambda: bi.train_loss_curves(8, 2, lr=0), "lr"),
        (lambda: bi.train_loss_curves(8, 2, std=-1), "std"),
        (lambda: bi.train_loss_curves(8, 2, warmups=()), "warmups"),
        (lambda: bi.train_loss_curves(8, 2, warmups=(0, -5)), "warmups"),
        (lambda: bi.train_loss_curves(8, 0), "depth"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()
