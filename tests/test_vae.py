"""The VAE as a density estimator: the toy's closed forms against scipy.stats and mpmath quadrature,
E[L_M] against Monte Carlo, the ESS fraction against quadrature, and bad and extreme input.
The linear VAE's experiment functions are tested in tests/test_vae_linear.py."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import torch
from scipy import integrate, stats

from theory_lib import vae

mp.mp.dps = 30
A, S, X = 2.0, 0.5, 1.0  # the article note's toy
M0, V0 = 0.5, 0.1  # the note's proposal N(0.5, 0.1)


def _mp_normal(x, mean, var):
    return mp.exp(-((x - mean) ** 2) / (2 * var)) / mp.sqrt(2 * mp.pi * var)


def _mp_joint(z, x=X, a=A, s=S):
    """q(x|z) q(z), from the model's definition, in mpmath."""
    return _mp_normal(x, a * z, s**2) * _mp_normal(z, 0, 1)


# ---------------------------------------------------------------- the exact toy
def test_log_marginal_and_posterior_against_scipy_and_quadrature(device):
    x = torch.tensor([-3.0, 0.0, 1.0, 2.5], dtype=torch.float64, device=device)
    got = vae.linear_gaussian_log_marginal(x, A, S)
    assert got.device == x.device and got.dtype == torch.float64
    ref = stats.norm.logpdf(x.cpu().numpy(), 0, math.sqrt(A**2 + S**2))
    torch.testing.assert_close(got.cpu(), torch.from_numpy(ref), atol=1e-14, rtol=1e-14)
    # the marginal and the posterior's moments as integrals of q(x|z) q(z)
    q = mp.quad(_mp_joint, [-mp.inf, mp.inf])
    mean = mp.quad(lambda z: z * _mp_joint(z), [-mp.inf, mp.inf]) / q
    second = mp.quad(lambda z: z**2 * _mp_joint(z), [-mp.inf, mp.inf]) / q
    assert vae.linear_gaussian_log_marginal(X, A, S).item() == pytest.approx(float(mp.log(q)), abs=1e-13)
    mu, var = vae.linear_gaussian_posterior(X, A, S)
    assert mu.item() == pytest.approx(float(mean), abs=1e-14)
    assert var.item() == pytest.approx(float(second - mean**2), abs=1e-14)


def test_log_weights_against_scipy_and_exact_at_the_posterior(device):
    z = torch.linspace(-4, 4, 41, dtype=torch.float64, device=device)
    got = vae.importance_log_weights(z, X, A, S, M0, V0).cpu().numpy()
    zn = z.cpu().numpy()
    ref = stats.norm.logpdf(X, A * zn, S) + stats.norm.logpdf(zn) - stats.norm.logpdf(zn, M0, math.sqrt(V0))
    assert abs(got - ref).max() < 1e-12
    mu, var = vae.linear_gaussian_posterior(X, A, S)
    exact = vae.importance_log_weights(z, X, A, S, mu, var)  # every weight is q(x)
    assert (exact - vae.linear_gaussian_log_marginal(X, A, S)).abs().max().item() < 1e-13


def test_broadcasting_and_device_follow_the_inputs(device):
    x = torch.tensor([[0.0], [1.0]], dtype=torch.float32, device=device)
    s = torch.tensor([0.1, 0.5, 1.0], device=device)
    out = vae.expected_elbo(x, A, s, 0.0, 1.0)
    assert out.shape == (2, 3) and out.dtype == torch.float64 and out.device == x.device
    assert vae.ess_fraction(x, A, s).shape == (2, 3)
    assert vae.sample_log_estimates(x, A, s, 0.0, 1.0, 3, 5).shape == (2, 3, 5)


def test_iwae_log_estimate_against_the_plain_formula_and_far_from_zero():
    lw = torch.randn(6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    plain = torch.log(torch.exp(lw).mean(-1))
    torch.testing.assert_close(vae.iwae_log_estimate(lw), plain, atol=1e-14, rtol=0)
    torch.testing.assert_close(vae.iwae_log_estimate(lw.T, dim=0), plain, atol=1e-14, rtol=0)
    far = vae.iwae_log_estimate(torch.tensor([[-5000.0, -5001.0], [4000.0, -4000.0]], dtype=torch.float64))
    assert far[0].item() == pytest.approx(-5000 + math.log((1 + math.exp(-1)) / 2), abs=1e-12)
    assert far[1].item() == pytest.approx(4000 - math.log(2), abs=1e-12)  # between max - log M and max


def test_expected_elbo_is_the_quadrature_of_log_w_and_log_q_minus_kl():
    for m, v in ((M0, V0), (0.0, 1.0), (-1.0, 3.0)):
        r = lambda z, m=m, v=v: _mp_normal(z, m, v)  # noqa: E731
        ref = mp.quad(lambda z, r=r: r(z) * mp.log(_mp_joint(z) / r(z)), [-mp.inf, m, mp.inf])
        assert vae.expected_elbo(X, A, S, m, v).item() == pytest.approx(float(ref), abs=1e-12)
    mu, var = vae.linear_gaussian_posterior(X, A, S)
    assert vae.expected_elbo(X, A, S, mu, var).item() == pytest.approx(vae.linear_gaussian_log_marginal(X, A, S).item())
    assert vae.expected_elbo(X, A, S, M0, V0).item() == pytest.approx(-1.85208, abs=5e-6)  # the note's number


def test_expected_iwae_bound_two_samples_against_2d_quadrature():
    def log_w(e):  # from the definitions, in plain floats: log N(x; az, s^2) + log N(z; 0, 1) - log N(z; m, v)
        z = M0 + math.sqrt(V0) * e
        return -((X - A * z) ** 2) / (2 * S**2) - math.log(S) - z**2 / 2 + e**2 / 2 + 0.5 * math.log(V0)

    def integrand(e2, e1):
        l1, l2 = log_w(e1), log_w(e2)
        top = max(l1, l2)
        lse = top + math.log(math.exp(l1 - top) + math.exp(l2 - top)) - math.log(2) - 0.5 * math.log(2 * math.pi)
        return lse * math.exp(-(e1**2 + e2**2) / 2) / (2 * math.pi)

    ref, err = integrate.dblquad(integrand, -9, 9, -9, 9, epsabs=1e-12, epsrel=1e-12)
    assert vae.expected_iwae_bound(X, A, S, M0, V0, 2).item() == pytest.approx(ref, abs=1e-10)


def test_expected_iwae_bound_converges_in_its_nodes_and_rises_to_log_q(device):
    x = torch.tensor(X, dtype=torch.float64, device=device)
    log_q = vae.linear_gaussian_log_marginal(x, A, S).item()
    for M, (n1, n2) in ((2, (100, 140)), (3, (60, 80))):
        assert vae.expected_iwae_bound(x, A, S, M0, V0, M, nodes=n1).item() == pytest.approx(
            vae.expected_iwae_bound(x, A, S, M0, V0, M, nodes=n2).item(), abs=1e-10
        )
    values = [vae.expected_iwae_bound(x, A, S, M0, V0, M).item() for M in range(1, vae.MAX_QUADRATURE_M + 1)]
    assert all(u < w for u, w in zip(values, values[1:], strict=False)) and values[-1] < log_q
    mu, var = vae.linear_gaussian_posterior(X, A, S)
    assert vae.expected_iwae_bound(x, A, S, mu, var, 3).item() == pytest.approx(log_q, abs=1e-12)


def test_expected_iwae_bound_matches_the_sampler(device):
    g = torch.Generator(device=device).manual_seed(7)
    for m, v in ((M0, V0), (0.0, 1.0)):
        for M in (1, 2, 3):
            draws = vae.sample_log_estimates(X, A, S, m, v, M, 200_000, device=device, generator=g)
            mean, se = draws.mean().item(), draws.std().item() / math.sqrt(draws.numel())
            assert abs(mean - vae.expected_iwae_bound(X, A, S, m, v, M).item()) < max(4 * se, 2e-2 if m == 0 else 0)


def test_sampler_is_seeded_and_unbiased_in_w():
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a = vae.sample_log_estimates(X, A, S, M0, V0, 4, 1000, generator=g())
    torch.testing.assert_close(a, vae.sample_log_estimates(X, A, S, M0, V0, 4, 1000, generator=g()))
    one = vae.sample_log_estimates(X, A, S, M0, V0, 1, 400_000, generator=g())  # E[w] = q(x), E[log w] < log q(x)
    assert torch.logsumexp(one, 0).item() - math.log(one.numel()) == pytest.approx(
        vae.linear_gaussian_log_marginal(X, A, S).item(), abs=5e-3
    )


# ---------------------------------------------------------------- effective sample size
@pytest.mark.parametrize(("s", "m", "v"), [(1.0, 0.0, 1.0), (0.5, 0.0, 1.0), (0.1, 0.0, 1.0), (0.5, 0.4, 0.05)])
def test_ess_fraction_against_quadrature(s, m, v):
    """(E_r w)^2 / E_r[w^2] with E_r[w^2] = int w(z)^2 r(z) dz by scipy's quad (pieces around the posterior)."""
    log_q = vae.linear_gaussian_log_marginal(X, A, s).item()
    mu = vae.linear_gaussian_posterior(X, A, s)[0].item()

    def w2r(z):
        return math.exp(2 * vae.importance_log_weights(z, X, A, s, m, v).item() + stats.norm.logpdf(z, m, math.sqrt(v)))

    edges = [-math.inf, mu - 1, mu, mu + 1, math.inf]
    ew2 = sum(
        integrate.quad(w2r, lo, hi, epsabs=0, epsrel=1e-13, limit=400)[0]
        for lo, hi in zip(edges, edges[1:], strict=False)
    )
    assert vae.ess_fraction(X, A, s, m, v).item() == pytest.approx(math.exp(2 * log_q) / ew2, rel=1e-10)


def test_ess_fraction_values_of_the_note_and_its_limits():
    ess = [vae.ess_fraction(X, A, s).item() for s in (1.0, 0.5, 0.1, 0.01)]
    assert [round(e, 3) for e in ess] == [0.549, 0.301, 0.062, 0.006]
    small = vae.ess_fraction(X, A, 1e-4).item() / 1e-4  # ~ 2 sqrt(pi) N(x; 0, a^2) s
    assert small == pytest.approx(2 * math.sqrt(math.pi) * stats.norm.pdf(X, 0, A), rel=1e-3)
    mu, var = vae.linear_gaussian_posterior(X, A, S)
    assert vae.ess_fraction(X, A, S, mu, var).item() == pytest.approx(1.0, abs=1e-14)
    assert vae.ess_fraction(X, A, S, mu, 0.5 * var).item() == 0.0  # E[w^2] infinite
    near = [vae.ess_fraction(X, A, S, mu, c * var).item() for c in (0.501, 0.51, 0.6)]
    assert 0 < near[0] < near[1] < near[2] < 1  # falls to 0 as v comes down to half the posterior variance


def test_ess_fraction_against_monte_carlo():
    g = torch.Generator().manual_seed(5)
    z = M0 + math.sqrt(V0) * torch.randn(10**6, dtype=torch.float64, generator=g)
    w = vae.importance_log_weights(z, X, A, S, M0, V0).exp()
    assert (w.mean() ** 2 / (w**2).mean()).item() == pytest.approx(vae.ess_fraction(X, A, S, M0, V0).item(), rel=1e-2)


# ---------------------------------------------------------------- bad and extreme input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: vae.linear_gaussian_log_marginal(1.0, 2.0, 0.0), "s"),
        (lambda: vae.linear_gaussian_posterior(1.0, 2.0, -1.0), "s"),
        (lambda: vae.expected_elbo(1.0, 2.0, 0.5, 0.0, 0.0), "v"),
        (lambda: vae.ess_fraction(1.0, 2.0, 0.5, 0.0, -2.0), "v"),
        (lambda: vae.expected_iwae_bound(1.0, 2.0, 0.5, 0.0, 1.0, 0), "M"),
        (lambda: vae.expected_iwae_bound(1.0, 2.0, 0.5, 0.0, 1.0, 5), "M"),
        (lambda: vae.sample_log_estimates(1.0, 2.0, 0.5, 0.0, 1.0, 0, 10), "M"),
        (lambda: vae.sample_log_estimates(1.0, 2.0, 0.5, 0.0, 1.0, 2, 0), "num"),
        (lambda: vae.sample_log_estimates(1.0, 2.0, 0.5, 0.0, 1.0, 10**6, 10**6), "num"),
        (lambda: vae.iwae_log_estimate([1.0, 2.0], dim=1), "dim"),
        (lambda: vae.importance_log_weights(math.nan, 1.0, 2.0, 0.5, 0.0, 1.0), "z"),
    ],
)
def test_bad_input_names_parameter_and_value(call, name):
    with pytest.raises(ValueError, match=rf"^{name} .*got"):
        call()


def test_extreme_input_stays_finite(device):
    x = torch.tensor([-1e3, 0.0, 1e3], dtype=torch.float64, device=device, requires_grad=True)
    for s, m, v in ((1e-6, 0.0, 1.0), (1e3, 5.0, 1e-8), (0.5, 1e3, 1e4)):
        outs = [
            vae.linear_gaussian_log_marginal(x, A, s),
            vae.expected_elbo(x, A, s, m, v),
            vae.ess_fraction(x, A, s, m, v),
            vae.expected_iwae_bound(x, A, s, m, v, 2),
        ]
        (grad,) = torch.autograd.grad(sum(o.sum() for o in outs), x)
        assert all(torch.isfinite(o).all() for o in outs) and torch.isfinite(grad).all()
    assert vae.ess_fraction(1.0, 2.0, 1e-6).item() > 0  # tiny but not rounded to 0: ~ 0.62 s
