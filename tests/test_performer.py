"""Performer's random features: every formula against an independent route.

Quadrature (Gauss-Hermite) for the identities, Monte Carlo with tolerances from the sample size
for the estimators' means and variances, scipy for the χ_d law and its quantiles, a float64 double
loop for the attention, torch's flop counter for the cost model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import special, stats

from theory_lib import performer as pf


def gen(seed, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


# ---------------------------------------------------------------- the identities, by quadrature
@pytest.mark.parametrize(("q", "k"), [(0.7, -0.4), (1.5, 0.9), (-2.0, -1.0)])
def test_gaussian_expectation_identities_by_gauss_hermite(q, k):
    """1-D: E_ω[e^{ωq - q²/2} e^{ωk - k²/2}] and e^{(q²+k²)/2} E[cos ω(q-k)] both equal e^{qk}."""
    x, w = np.polynomial.hermite_e.hermegauss(120)  # ∫ f(x) e^{-x²/2} dx
    w = w / math.sqrt(2 * math.pi)
    positive = np.sum(w * np.exp(x * q - q * q / 2) * np.exp(x * k - k * k / 2))
    trig = math.exp((q * q + k * k) / 2) * np.sum(w * np.cos(x * (q - k)))
    assert positive == pytest.approx(math.exp(q * k), rel=1e-13)
    assert trig == pytest.approx(math.exp(q * k), rel=1e-12)


# ---------------------------------------------------------------- the χ_d law and Su's radii
@pytest.mark.parametrize(("d", "m"), [(1, 5), (2, 3), (3, 7), (16, 16), (64, 4), (64, 1000), (512, 9)])
def test_quantile_radii_against_scipy_and_their_equation(d, m):
    r = pf.quantile_radii(d, m)
    i = np.arange(1, m + 1)
    assert r.dtype == torch.float64 and bool((r.diff() > 0).all())
    # torch's gammainc is good to about 1e-9 relative where x ~ a > 20 (against scipy), and so are the radii
    np.testing.assert_allclose(r.numpy(), stats.chi.ppf(i / (m + 1), d), rtol=1e-8)
    np.testing.assert_allclose(special.gammainc(d / 2, r.numpy() ** 2 / 2), i / (m + 1), rtol=1e-8, atol=1e-15)


def test_quantile_radii_closed_form_for_d_2_and_the_note():
    m = 3
    exact = [math.sqrt(-2 * math.log(1 - i / (m + 1))) for i in range(1, m + 1)]
    np.testing.assert_allclose(pf.quantile_radii(2, m).numpy(), exact, rtol=1e-13)
    np.testing.assert_allclose(pf.quantile_radii(64, 4).numpy(), [7.3713, 7.7800, 8.1380, 8.5601], atol=6e-5)


def test_chi_pdf_against_scipy_and_its_integral():
    r = torch.linspace(0, 15, 3001, dtype=torch.float64)
    for d in (1, 2, 5, 64):
        p = pf.chi_pdf(r, d)
        np.testing.assert_allclose(p.numpy(), stats.chi.pdf(r.numpy(), d), rtol=1e-11, atol=1e-300)
        assert torch.trapezoid(p, r).item() == pytest.approx(1.0, abs=1e-5)  # trapezoid error h²/12 |f'(0)|


# ---------------------------------------------------------------- ω
def test_iid_rows_are_standard_normal(device):
    om = pf.sample_omega(200_000, 3, device=device, generator=gen(0, device), dtype=torch.float64)
    assert om.shape == (200_000, 3) and om.device.type == device.type
    cov = om.T @ om / om.shape[0]
    assert torch.allclose(cov, torch.eye(3, dtype=torch.float64, device=device), atol=5 * math.sqrt(2 / 2e5))


@pytest.mark.parametrize("kind", ["orthogonal", "quantile"])
def test_orthogonal_blocks_and_lengths(kind, device):
    d, m = 8, 20  # blocks of 8, 8 and the last cut to 4
    om = pf.sample_omega(m, d, kind, device=device, generator=gen(1, device), dtype=torch.float64).cpu()
    unit = om / om.norm(dim=-1, keepdim=True)
    for lo, hi in ((0, 8), (8, 16), (16, 20)):
        gram = unit[lo:hi] @ unit[lo:hi].T
        assert torch.allclose(gram, torch.eye(hi - lo, dtype=torch.float64), atol=1e-12)
    assert (unit[:8] @ unit[8:16].T).abs().max() > 1e-3  # blocks are independent, not orthogonal
    if kind == "quantile":
        np.testing.assert_allclose(om.norm(dim=-1).sort().values.numpy(), pf.quantile_radii(d, m).numpy(), rtol=1e-12)


def test_orthogonal_lengths_are_chi_d_and_rows_normal():
    """Goodness of fit of the lengths (Kolmogorov-Smirnov against χ_d), and E[ωωᵀ] = I."""
    d = 5
    om = pf.sample_omega(40_000, d, "orthogonal", generator=gen(2), dtype=torch.float64)
    assert stats.kstest(om.norm(dim=-1).numpy(), stats.chi(d).cdf).pvalue > 1e-3
    cov = om.T @ om / om.shape[0]
    assert torch.allclose(cov, torch.eye(d, dtype=torch.float64), atol=5 * math.sqrt(2 / 4e4))
    first = (om[:, 0] / om.norm(dim=-1)).numpy()  # a Haar direction's first coordinate: (u₁+1)/2 ~ Beta((d-1)/2, ...)
    assert stats.kstest((first + 1) / 2, stats.beta((d - 1) / 2, (d - 1) / 2).cdf).pvalue > 1e-3


# ---------------------------------------------------------------- the estimators
Q = torch.tensor([0.6, 0.0, 0.2], dtype=torch.float64)
K = torch.tensor([0.3, 0.4, -0.5], dtype=torch.float64)


@pytest.mark.parametrize("features", ["positive", "trig"])
def test_single_feature_mean_and_variance_by_monte_carlo(features, device):
    """One feature each, N = 400 000 draws: the mean against e^{q·k}, the variance against the closed
    form; tolerances 5 standard errors, from the sample's own second and fourth moments."""
    n = 400_000
    om = pf.sample_omega(n, 3, device=device, generator=gen(3, device), dtype=torch.float64)[:, None, :]  # (n, 1, 3)
    q, k = Q.to(device)[None, None], K.to(device)[None, None]
    x = pf.feature_kernel(q, k, om, features).reshape(n).cpu()  # n independent one-feature estimates
    target = math.exp(float(Q @ K))
    assert abs(x.mean().item() - target) < 5 * x.std().item() / math.sqrt(n)
    f = pf.positive_feature_variance if features == "positive" else pf.trig_feature_variance
    var = f(Q, K).item()
    dev2 = (x - target) ** 2
    assert abs(dev2.mean().item() - var) < 5 * dev2.std().item() / math.sqrt(n)


def test_variance_table_of_the_note_and_exact_cases():
    e1, e2 = torch.tensor([1.0, 0.0], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64)
    cases = [(e1, e1, 396.039737, 0.0), (e1, e2, 6.389056, 2.762196), (e1, -e1, 0.0, 3.560432)]
    for q, k, plus, trig in cases:
        assert pf.positive_feature_variance(q, k).item() == pytest.approx(plus, abs=1e-6)
        assert pf.trig_feature_variance(q, k).item() == pytest.approx(trig, abs=1e-6)
    assert pf.positive_feature_variance(0.5 * e1, -0.5 * e1).item() == 0.0
    assert pf.trig_feature_variance(0.5 * e1, -0.5 * e1).item() == pytest.approx(0.329395, abs=1e-6)


def test_relative_rms_and_features_needed_for_ten_percent():
    unit = lambda deg: torch.tensor([math.cos(math.radians(deg)), math.sin(math.radians(deg))], dtype=torch.float64)  # noqa: E731
    need = lambda q, k: pf.relative_rms(q, k).item() ** 2 / 0.01  # noqa: E731
    assert need(unit(0), unit(0)) == pytest.approx(5360, rel=1e-3)
    assert need(unit(0), unit(90)) == pytest.approx(639, rel=1e-3)
    assert need(unit(0), -unit(0)) == 0
    assert need(math.sqrt(8) * unit(0), math.sqrt(8) * unit(90)) == pytest.approx(8.9e8, rel=1e-2)
    for q, k in ((unit(0), unit(70)), (0.4 * unit(10), 1.3 * unit(200))):
        for name, var in (("positive", pf.positive_feature_variance), ("trig", pf.trig_feature_variance)):
            rms = pf.relative_rms(q, k, 7, name).item()
            assert rms == pytest.approx(math.sqrt(var(q, k, 7).item()) / math.exp(float(q @ k)), rel=1e-12)


def test_orthogonal_features_are_unbiased_and_beat_iid_at_m_equal_d():
    """The note's case d = m = 16, q = 0.6e₁, k = 0.3e₁ + 0.4e₂: iid MSE = Var₊/16; orthogonal lower."""
    d, trials = 16, 20_000
    q = torch.zeros(d, dtype=torch.float64)
    k = torch.zeros(d, dtype=torch.float64)
    q[0], k[0], k[1] = 0.6, 0.3, 0.4
    target = math.exp(float(q @ k))
    est = {}
    for kind in ("iid", "orthogonal"):
        om = pf.sample_omega(d, d, kind, draws=trials, generator=gen(len(kind)), dtype=torch.float64)
        est[kind] = pf.feature_kernel(q[None, None], k[None, None], om).reshape(trials)
        err = est[kind] - target
        assert abs(err.mean().item()) < 5 * err.std().item() / math.sqrt(trials)
    iid_mse = pf.positive_feature_variance(q, k, d).item()
    se = lambda e: ((e - target) ** 2).std().item() / math.sqrt(trials)  # noqa: E731
    assert abs(((est["iid"] - target) ** 2).mean().item() - iid_mse) < 5 * se(est["iid"])
    assert ((est["orthogonal"] - target) ** 2).mean().item() < iid_mse - 5 * se(est["orthogonal"])


# ---------------------------------------------------------------- Su's quantile radii are biased
def test_quantile_bias_against_bessel_and_cosh():
    for m, s in ((3, 1.0), (10, 2.0)):
        r = pf.quantile_radii(2, m).numpy()
        assert pf.quantile_bias(2, m, s) == pytest.approx(
            np.mean(special.i0(r * s)) / math.exp(s * s / 2) - 1, rel=1e-12
        )
        r1 = pf.quantile_radii(1, m).numpy()
        assert pf.quantile_bias(1, m, s) == pytest.approx(np.mean(np.cosh(r1 * s)) / math.exp(s * s / 2) - 1, rel=1e-12)
    nu = 64 / 2 - 1  # d = 64: E_u e^{κ u₁} = Γ(d/2)(2/κ)^ν I_ν(κ)
    r, s = pf.quantile_radii(64, 4).numpy(), 1.0
    vmf = np.exp(special.gammaln(32) + nu * np.log(2 / (r * s)) + np.log(special.ive(nu, r * s)) + r * s)
    assert pf.quantile_bias(64, 4, s) == pytest.approx(np.mean(vmf) / math.exp(s * s / 2) - 1, rel=1e-10)


def test_quantile_bias_by_monte_carlo_and_the_note():
    """The note's table, and Monte Carlo with sample_omega("quantile") for d = 2, m = 3."""
    for (d, m), bias in (((2, 3), -0.121), ((16, 16), -0.0096), ((64, 4), -0.0054), ((64, 64), -0.00098)):
        assert pf.quantile_bias(d, m, 1.0) == pytest.approx(bias, rel=0.02)
    s = torch.tensor([1.0, 0.0], dtype=torch.float64)
    for kind, trials, bias in (("quantile", 100_000, pf.quantile_bias(2, 3, 1.0)), ("orthogonal", 100_000, 0.0)):
        om = pf.sample_omega(3, 2, kind, draws=trials, generator=gen(9), dtype=torch.float64)
        x = torch.exp(om @ s - 0.5).mean(-1)  # estimates of E e^{ω·s} e^{-|s|²/2} = 1
        assert abs(x.mean().item() - 1 - bias) < 5 * x.std().item() / math.sqrt(trials)
    assert pf.quantile_bias(2, 3, 1.0) < -0.1 and pf.quantile_bias(5, 7, 0.0) == pytest.approx(0.0, abs=1e-15)


# ---------------------------------------------------------------- attention against a double loop
def loop_attention(q, k, v, om, features, causal):
    """Float64, entry by entry: w_ij = Σ_l φ_l(q_i) φ_l(k_j), out_i = Σ_j w_ij v_j / Σ_j w_ij."""
    n, nk, m = q.shape[0], k.shape[0], om.shape[0]
    out = torch.zeros(n, v.shape[1], dtype=torch.float64)
    for i in range(n):
        num, den = torch.zeros(v.shape[1], dtype=torch.float64), 0.0
        for j in range(i + 1 if causal else nk):
            w = 0.0
            for l in range(m):
                a, b = float(om[l] @ q[i]), float(om[l] @ k[j])
                if features == "positive":
                    w += math.exp(a - float(q[i] @ q[i]) / 2 + b - float(k[j] @ k[j]) / 2) / m
                else:
                    w += math.exp(float(q[i] @ q[i] + k[j] @ k[j]) / 2) * math.cos(a - b) / m
            num, den = num + w * v[j], den + w
        out[i] = num / den
    return out


@pytest.mark.parametrize("features", ["positive", "trig"])
@pytest.mark.parametrize("causal", [False, True])
def test_performer_attention_against_the_double_loop(features, causal, device):
    g = gen(6)
    q, k = (
        0.5 * torch.randn(7, 3, generator=g, dtype=torch.float64),
        0.5 * torch.randn(7, 3, generator=g, dtype=torch.float64),
    )
    v, om = (
        torch.randn(7, 2, generator=g, dtype=torch.float64),
        pf.sample_omega(12, 3, "orthogonal", generator=g, dtype=torch.float64),
    )
    ref = loop_attention(q, k, v, om, features, causal)
    out = pf.performer_attention(*(t.to(device) for t in (q, k, v, om)), features=features, causal=causal)
    assert out.device.type == device.type
    assert torch.allclose(out.cpu(), ref, rtol=1e-10, atol=1e-10)
    w = pf.performer_weights(*(t.to(device) for t in (q, k, om)), features=features, causal=causal).cpu()
    assert torch.allclose(w @ v, ref, rtol=1e-10, atol=1e-10)
    assert not causal or bool((w.triu(1) == 0).all())
    batched = pf.performer_attention(q.expand(2, 4, 7, 3), k, v, om, features=features, causal=causal)
    assert batched.shape == (2, 4, 7, 2) and torch.allclose(batched[1, 3], ref, rtol=1e-10, atol=1e-10)
    single = pf.performer_attention(q.float(), k.float(), v.float(), om.float(), features=features, causal=causal)
    assert single.dtype == torch.float32 and torch.allclose(single.double(), ref, rtol=1e-4, atol=1e-4)


def test_stabilisation_keeps_large_inputs_finite_and_exact():
    """|q|, |k| ≈ 30: e^{ω·x - |x|²/2} underflows or overflows alone; the log-space reference does not."""
    g = gen(7)
    q, k = (
        30 * torch.randn(5, 4, generator=g, dtype=torch.float64) / 2,
        30 * torch.randn(6, 4, generator=g, dtype=torch.float64) / 2,
    )
    v, om = (
        torch.randn(6, 3, generator=g, dtype=torch.float64),
        pf.sample_omega(16, 4, generator=g, dtype=torch.float64),
    )
    a = om @ q.T - (q * q).sum(-1) / 2  # (m, n) log features
    b = om @ k.T - (k * k).sum(-1) / 2  # (m, n_k)
    log_w = torch.logsumexp(a[:, :, None] + b[:, None, :], dim=0)  # (n, n_k)
    ref = torch.softmax(log_w, dim=-1) @ v
    for dtype in (torch.float64, torch.float32):
        out = pf.performer_attention(q.to(dtype), k.to(dtype), v.to(dtype), om.to(dtype))
        assert torch.isfinite(out).all()
        assert torch.allclose(out.double(), ref, atol=1e-9 if dtype == torch.float64 else 1e-3)


def test_many_features_approach_softmax_attention():
    g = gen(8)
    q, k, v = (0.4 * torch.randn(6, 4, generator=g, dtype=torch.float64) for _ in range(3))
    om = pf.sample_omega(200_000, 4, "orthogonal", generator=g, dtype=torch.float64)
    exact = torch.softmax(q @ k.T, -1) @ v
    assert torch.allclose(pf.performer_attention(q, k, v, om), exact, atol=0.01)


def test_gradients_are_finite_at_exact_cases():
    q = torch.tensor([[1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    for k in (-q.detach(), q.detach()):
        total = (
            pf.positive_feature_variance(q, k).sum()
            + pf.trig_feature_variance(q, k).sum()
            + pf.relative_rms(q, k).sum()
        )
        (grad,) = torch.autograd.grad(total, q)
        assert torch.isfinite(grad).all()
    big = torch.tensor([40.0, 0.0], dtype=torch.float64)
    assert pf.positive_feature_variance(big, -0.25 * big).item() == pytest.approx(math.exp(2 * -400 + 900), rel=1e-12)


# ---------------------------------------------------------------- the cost model, counted by torch
def test_multiply_adds_against_torch_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    n, d, m = 96, 16, 40
    q, k, v = (torch.randn(n, d) for _ in range(3))
    with FlopCounterMode(display=False) as soft:
        torch.softmax(q @ k.T, -1) @ v
    with FlopCounterMode(display=False) as perf:
        pf.performer_attention(q, k, v, torch.randn(m, d))
    softmax_ma, performer_ma = pf.attention_multiply_adds(n, d, m)
    assert soft.get_total_flops() == 2 * softmax_ma  # a multiply-add is two flops
    assert perf.get_total_flops() == pytest.approx(2 * performer_ma, rel=1.5 / d)  # + the normaliser's n·m
    assert pf.attention_multiply_adds(512, 64, 256)[0] == pf.attention_multiply_adds(512, 64, 256)[1]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: pf.sample_omega(0, 3), "m"),
        (lambda: pf.sample_omega(3, 0), "d"),
        (lambda: pf.sample_omega(3, 2, "sobol"), "kind"),
        (lambda: pf.quantile_radii(0, 3), "d"),
        (lambda: pf.chi_pdf([-1.0], 3), "r"),
        (lambda: pf.positive_random_features(torch.ones(3, 2), torch.ones(4, 3)), "omega"),
        (lambda: pf.feature_kernel(torch.ones(3, 2), torch.ones(3, 3), torch.ones(4, 2)), "k"),
        (lambda: pf.feature_kernel(torch.ones(3, 2), torch.ones(3, 2), torch.ones(4, 2), "relu"), "features"),
        (lambda: pf.performer_attention(torch.ones(3, 2), torch.ones(4, 2), torch.ones(3, 2), torch.ones(5, 2)), "v"),
        (
            lambda: pf.performer_attention(
                torch.ones(3, 2), torch.ones(4, 2), torch.ones(4, 2), torch.ones(5, 2), causal=True
            ),
            "k",
        ),
        (lambda: pf.positive_feature_variance([1.0, 0.0], [1.0, 0.0, 0.0]), "k"),
        (lambda: pf.relative_rms([1.0], [1.0], 0), "m"),
        (lambda: pf.quantile_bias(2, 3, -1.0), "norm"),
    ],
)
def test_bad_input_names_parameter_value_and_range(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must .*got"):
        call()


def test_quantile_bias_over_a_tensor_of_norms_matches_the_scalars():
    norms = torch.tensor([0.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    out = pf.quantile_bias(16, 5, norms)
    assert out.shape == (4,) and out[0].item() == pytest.approx(0.0, abs=1e-15)
    for s, b in zip(norms.tolist(), out.tolist(), strict=True):
        assert b == pytest.approx(pf.quantile_bias(16, 5, s), rel=1e-13, abs=1e-16)
    with pytest.raises(ValueError, match="^norm must"):
        pf.quantile_bias(16, 5, torch.tensor([1.0, -1.0]))
