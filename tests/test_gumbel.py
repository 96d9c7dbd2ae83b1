"""Reparameterisation and Gumbel-Softmax: every formula against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, special, stats

from theory_lib import gumbel as gb

ALPHA = 1e-4  # false-alarm rate of each chi-square test


def chi_square_ok(draws: torch.Tensor, p: np.ndarray) -> tuple[bool, float, float]:
    """Pearson's chi-square of integer draws against the probabilities p, and its threshold: the
    (1 - ALPHA) quantile of chi^2 with k - 1 degrees of freedom (a correct sampler fails with prob. ALPHA)."""
    counts = np.bincount(draws.cpu().numpy().reshape(-1), minlength=len(p))
    expected = counts.sum() * p
    stat = float(((counts - expected) ** 2 / expected).sum())
    threshold = float(stats.chi2.ppf(1 - ALPHA, len(p) - 1))
    return stat < threshold, stat, threshold


def dsig(x):
    return math.exp(-abs(x)) / (1 + math.exp(-abs(x))) ** 2


def quad_moments(delta: float, tau: float):
    """E[g], Var[g], E[y_1] by scipy's quad in the variable L ~ Logistic (not the module's x), split at
    the peak L = -Delta of width tau."""
    kw = dict(limit=800, epsabs=0.0, epsrel=1e-13)
    g = lambda l: dsig((delta + l) / tau) / tau  # noqa: E731
    pieces = [
        (-200.0, -delta - 60 * tau),
        (-delta - 60 * tau, -delta),
        (-delta, -delta + 60 * tau),
        (-delta + 60 * tau, 200.0),
    ]

    def integral(h):
        return sum(integrate.quad(lambda l: h(l) * dsig(l), a, b, **kw)[0] for a, b in pieces if b > a)

    mean = integral(g)
    var = integral(lambda l: (g(l) - mean) ** 2)
    y = integral(lambda l: special.expit((delta + l) / tau))
    return mean, var, y


# ---------------------------------------------------------------- Gumbel-Max is exact in law
def test_gumbel_noise_is_the_gumbel_quantile(device):
    u = torch.tensor([1e-300, 1e-3, 0.3, 0.5, 0.9, 1 - 2**-53], dtype=torch.float64, device=device)
    expected = -np.log(-np.log(u.cpu().numpy()))
    assert np.allclose(gb.gumbel_noise(u).cpu().numpy(), expected, rtol=1e-14)
    # the Gumbel cdf F(x) = exp(-e^-x) inverts it
    assert np.allclose(np.exp(-np.exp(-expected)), u.cpu().numpy(), rtol=1e-12)


def test_proof_integral_and_the_gumbel_race_give_p():
    """Su's step: int_0^1 eps^{1/p - 1} d eps = p; and P(argmax = i) = int pdf_i prod_{j != i} F_j by quadrature."""
    for p in (0.5, 0.3, 0.2, 0.01):
        assert integrate.quad(lambda e, p=p: e ** (1 / p - 1), 0, 1)[0] == pytest.approx(p, rel=1e-10)
    o = np.array([0.7, -0.3, 1.2, 0.0])
    F = lambda x, m: np.exp(-np.exp(-(x - m)))  # noqa: E731
    win = []
    for i in range(4):
        dens = lambda x, i=i: np.exp(-(x - o[i])) * np.prod([F(x, m) for m in o])  # noqa: E731  pdf_i prod_j F_j
        win.append(integrate.quad(dens, -30, 60, epsabs=0, epsrel=1e-12)[0])
    assert np.allclose(win, special.softmax(o), rtol=1e-9)


@pytest.mark.parametrize("k", [2, 5])
def test_gumbel_max_draws_follow_softmax(device, k):
    logits = torch.linspace(-1.5, 2.0, k, dtype=torch.float64, device=device)
    draws = gb.sample_gumbel_max(logits, 200_000, generator=torch.Generator(device).manual_seed(k))
    assert draws.dtype == torch.int64 and draws.shape == (200_000,) and draws.device.type == device.type
    ok, stat, threshold = chi_square_ok(draws, torch.softmax(logits, -1).cpu().numpy())
    assert ok, f"chi2 = {stat:.2f} above {threshold:.2f}"


def test_gumbel_max_batched_and_article_form(device):
    """A batch of logit vectors, and log p in place of the logits (the article's form): the same law."""
    p = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], dtype=torch.float64, device=device)
    draws = gb.sample_gumbel_max(p.log(), 100_000, generator=torch.Generator(device).manual_seed(1))
    assert draws.shape == (100_000, 2)
    for row in range(2):
        assert chi_square_ok(draws[:, row], p[row].cpu().numpy())[0]
    shifted = gb.sample_gumbel_max(p.log() + 7.0, 100_000, generator=torch.Generator(device).manual_seed(1))
    assert torch.equal(shifted, draws)  # the normaliser (a shift) changes nothing


@pytest.mark.parametrize("tau", [5.0, 1.0, 0.1])
def test_argmax_of_relaxed_samples_follows_softmax_at_every_tau(device, tau):
    logits = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64, device=device).log()
    y = gb.sample_gumbel_softmax(logits, tau, 100_000, generator=torch.Generator(device).manual_seed(3))
    assert chi_square_ok(y.argmax(-1), np.array([0.5, 0.3, 0.2]))[0]


def test_a_wrong_law_fails_the_chi_square():
    """The test can fail: softmax(2 o) is not the law of Gumbel-Max on o."""
    logits = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64).log()
    draws = gb.sample_gumbel_max(logits, 100_000, generator=torch.Generator().manual_seed(0))
    assert not chi_square_ok(draws, torch.softmax(2 * logits, -1).numpy())[0]


def test_generator_makes_runs_reproducible_and_relaxed_argmax_equals_max():
    logits = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    n = (1 << 20) // 12 * 2 + 5  # crosses two block boundaries
    a = gb.sample_gumbel_max(logits, n, generator=torch.Generator().manual_seed(9))
    b = gb.sample_gumbel_max(logits, n, generator=torch.Generator().manual_seed(9))
    y = gb.sample_gumbel_softmax(logits, 1e-3, n, generator=torch.Generator().manual_seed(9))
    assert torch.equal(a, b) and torch.equal(y.argmax(-1), a)


# ---------------------------------------------------------------- Gumbel-Softmax
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gumbel_softmax_is_the_softmax_of_perturbed_logits(device, dtype):
    g = torch.Generator(device).manual_seed(2)
    logits = torch.randn(6, 5, dtype=dtype, device=device, generator=g)
    u = torch.rand(6, 5, dtype=torch.float64, device=device, generator=g)
    for tau in (0.05, 0.7, 3.0):
        y = gb.gumbel_softmax(logits, u, tau)
        assert y.dtype == dtype and y.device.type == device.type
        z = (logits.double().cpu().numpy() - np.log(-np.log(u.cpu().numpy()))) / tau
        ref = special.softmax(z, axis=-1)
        tol = 1e-5 if dtype == torch.float32 else 1e-12
        assert np.allclose(y.double().cpu().numpy(), ref, atol=tol)
        assert torch.allclose(gb.gumbel_softmax(logits + 3.0, u, tau), y, atol=10 * tol)  # shift invariance


def test_gumbel_softmax_tends_to_the_one_hot_of_gumbel_max(device):
    g = torch.Generator(device).manual_seed(4)
    logits = torch.randn(200, 4, dtype=torch.float64, device=device, generator=g)
    u = torch.rand(200, 4, dtype=torch.float64, device=device, generator=g)
    hot = torch.nn.functional.one_hot(gb.gumbel_max(logits, u), 4).double()
    assert torch.allclose(gb.gumbel_softmax(logits, u, 1e-4), hot, atol=1e-12)
    extreme = gb.gumbel_softmax(torch.tensor([1e4, -1e4, 0.0], device=device), torch.tensor([0.3, 0.5, 0.6]), 1e-4)
    assert torch.equal(extreme.cpu(), torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))


def test_relaxed_sample_mean_is_biased_but_its_argmax_is_not():
    """E[y_1] by sampling against binary_gs_relaxed_mean: not p_1 at tau = 1 (the relaxed law is not Cat(p))."""
    delta = math.log(3)
    y = gb.sample_gumbel_softmax(
        torch.tensor([delta, 0.0], dtype=torch.float64), 1.0, 400_000, generator=torch.Generator().manual_seed(5)
    )
    y1 = y[:, 0]
    se = float(y1.std()) / math.sqrt(y1.numel())
    assert abs(float(y1.mean()) - gb.binary_gs_relaxed_mean(delta, 1.0)) < 5 * se
    assert abs(float(y1.mean()) - 0.75) > 20 * se
    assert abs(float((y1 > 0.5).double().mean()) - 0.75) < 5 * math.sqrt(0.75 * 0.25 / y1.numel())


# ---------------------------------------------------------------- the binary case
@pytest.mark.parametrize("delta", [0.0, math.log(3), -2.5])
@pytest.mark.parametrize("tau", [1e-2, 0.1, 0.5, 1.0, 3.0, 10.0])
def test_binary_moments_against_quad(delta, tau):
    mean, var, y = quad_moments(delta, tau)
    assert gb.binary_gs_grad_mean(delta, tau) == pytest.approx(mean, rel=1e-9)
    assert gb.binary_gs_grad_var(delta, tau) == pytest.approx(var, rel=1e-9)
    assert gb.binary_gs_relaxed_mean(delta, tau) == pytest.approx(y, rel=1e-9)
    assert gb.binary_gs_grad_moments(delta, tau) == pytest.approx((mean, var), rel=1e-9)


def test_binary_closed_forms_at_delta_zero():
    """Delta = 0: E[g] = int sigma'(x) sigma'(tau x) dx is 1/6 at tau = 1 (int sigma'^2), 1 - pi/4 at 1/2 and
    half that at 2 (E_tau[g] = E_{1/tau}[g] / tau); Var at tau = 1 is int sigma'^3 - 1/36 = 1/30 - 1/36 = 1/180."""
    assert gb.binary_gs_grad_mean(0.0, 1.0) == pytest.approx(1 / 6, rel=1e-12)
    assert gb.binary_gs_grad_mean(0.0, 0.5) == pytest.approx(1 - math.pi / 4, rel=1e-12)
    assert gb.binary_gs_grad_mean(0.0, 2.0) == pytest.approx((1 - math.pi / 4) / 2, rel=1e-12)
    assert gb.binary_gs_grad_var(0.0, 1.0) == pytest.approx(1 / 180, rel=1e-10)
    assert gb.binary_gs_relaxed_mean(0.0, 0.37) == pytest.approx(0.5, abs=1e-14)


@pytest.mark.parametrize("delta", [0.0, math.log(3), 3.0])
def test_binary_limits_as_tau_falls(delta):
    """The bias vanishes and tau Var[g] -> sigma'(Delta)/6 (sigma'(Delta) times int sigma'^2 = 1/6)."""
    s = dsig(delta)
    assert gb.binary_gs_grad_mean(delta, 1e-4) == pytest.approx(s, rel=1e-5)
    assert 1e-4 * gb.binary_gs_grad_var(delta, 1e-4) == pytest.approx(s / 6, rel=1e-3)
    assert gb.binary_gs_relaxed_mean(delta, 1e-4) == pytest.approx(special.expit(delta), rel=1e-6)
    taus = [1.0, 0.3, 0.1, 0.03, 0.01]
    bias = [abs(gb.binary_gs_grad_mean(delta, t) - s) for t in taus]
    assert all(b1 < b0 for b0, b1 in zip(bias, bias[1:], strict=False))


@pytest.mark.parametrize(("delta", "tau"), [(0.0, 1.0), (math.log(3), 0.1), (-1.0, 3.0)])
def test_binary_moments_against_autograd_monte_carlo(device, delta, tau):
    """Per-sample gradients of gumbel_softmax by autograd: mean and variance within five standard errors."""
    n = 400_000
    logits = torch.tensor([delta, 0.0], dtype=torch.float64, device=device, requires_grad=True)
    u = torch.rand(n, 2, dtype=torch.float64, device=device, generator=torch.Generator(device).manual_seed(6))
    y1 = gb.gumbel_softmax(logits.expand(n, 2), u, tau)[:, 0]
    # d y1 / d o1 per sample: y1 depends on the row's own logits only, so the gradient of the sum is per-sample
    rows = logits.detach().expand(n, 2).clone().requires_grad_(True)
    (g,) = torch.autograd.grad(gb.gumbel_softmax(rows, u, tau)[:, 0].sum(), rows)
    g = g[:, 0]
    se_mean = float(g.std()) / math.sqrt(n)
    assert abs(float(g.mean()) - gb.binary_gs_grad_mean(delta, tau)) < 5 * se_mean
    var = float(g.var())
    se_var = math.sqrt(float(((g - g.mean()) ** 4).mean()) - var**2) / math.sqrt(n)
    assert abs(var - gb.binary_gs_grad_var(delta, tau)) < 5 * se_var
    y1 = y1.detach()
    assert abs(float(y1.mean()) - gb.binary_gs_relaxed_mean(delta, tau)) < 5 * float(y1.std()) / math.sqrt(n)


def test_binary_moments_broadcast_on_device(device):
    d = torch.tensor([[0.0], [1.0]], device=device)
    t = torch.tensor([0.5, 1.0, 2.0], device=device)
    m = gb.binary_gs_grad_mean(d, t)
    assert m.shape == (2, 3) and m.device.type == device.type and m.dtype == torch.float32
    assert float(m[0, 1]) == pytest.approx(1 / 6, rel=1e-6)


# ---------------------------------------------------------------- score function against reparameterisation
def hermite_variances(f: str, mu: float, sigma: float, omega: float):
    """Var of the SF and reparameterised estimates by Gauss-Hermite (probabilists') quadrature, 200 nodes."""
    x, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    z = mu + sigma * x
    fz, dfz = (z**2, 2 * z) if f == "square" else (np.sin(omega * z), omega * np.cos(omega * z))
    sf = fz * x / sigma
    return (w * sf**2).sum() - (w * sf).sum() ** 2, (w * dfz**2).sum() - (w * dfz).sum() ** 2


CASES = [("square", 1.0, 1.0, 1.0), ("square", 1.0, 0.1, 1.0), ("square", -0.5, 2.0, 1.0), ("sin", 0.0, 1.0, 5.0)]
CASES += [("sin", 0.0, 1.0, 1.0), ("sin", 0.7, 0.3, 2.0), ("sin", -1.2, 0.05, 0.5)]


@pytest.mark.parametrize(("f", "mu", "sigma", "omega"), CASES)
def test_variances_against_hermite_quadrature(f, mu, sigma, omega):
    sf, rp = hermite_variances(f, mu, sigma, omega)
    assert gb.score_function_variance(f, mu, sigma, omega=omega) == pytest.approx(sf, rel=1e-9, abs=1e-13)
    assert gb.reparam_variance(f, mu, sigma, omega=omega) == pytest.approx(rp, rel=1e-9, abs=1e-13)


@pytest.mark.parametrize(("f", "mu", "sigma", "omega"), [CASES[0], CASES[3], CASES[5]])
def test_variances_against_monte_carlo(device, f, mu, sigma, omega):
    """Both estimators sampled, the reparameterised one by autograd: variance within five standard errors."""
    n = 400_000
    eps = torch.randn(n, dtype=torch.float64, device=device, generator=torch.Generator(device).manual_seed(7))
    z = (mu + sigma * eps).requires_grad_(True)
    fz = z**2 if f == "square" else torch.sin(omega * z)
    (rp,) = torch.autograd.grad(fz.sum(), z)  # f'(mu + sigma eps), sample by sample
    sf = fz.detach() * eps / sigma
    for samples, exact in (
        (sf, gb.score_function_variance(f, mu, sigma, omega=omega)),
        (rp, gb.reparam_variance(f, mu, sigma, omega=omega)),
    ):
        var = float(samples.var())
        se = math.sqrt(float(((samples - samples.mean()) ** 4).mean()) - var**2) / math.sqrt(n)
        assert abs(var - exact) < 5 * se + 1e-12


def test_article_counterexample_and_extremes():
    """sin(5z), z ~ N(0, 1): reparameterisation 25 times worse; tiny sigma stays finite and exact to the limit."""
    assert gb.reparam_variance("sin", 0.0, 1.0, omega=5.0) / gb.score_function_variance(
        "sin", 0.0, 1.0, omega=5.0
    ) == pytest.approx(25.0, rel=1e-9)
    # sigma -> 0 at mu = 0: Var_SF -> 2 omega^2, Var_reparam ~ omega^6 sigma^4 / 2 (no cancellation to 0)
    assert gb.score_function_variance("sin", 0.0, 1e-8, omega=2.0) == pytest.approx(8.0, rel=1e-9)
    assert gb.reparam_variance("sin", 0.0, 1e-4, omega=2.0) == pytest.approx(2.0**6 * 1e-16 / 2, rel=1e-6)
    v = gb.score_function_variance("square", torch.tensor([0.0, 1.0, 3.0]), torch.tensor(0.5))
    assert v.shape == (3,) and v.dtype == torch.float32


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: gb.gumbel_noise([0.0, 0.5]), "u"),
        (lambda: gb.gumbel_noise([0.5, 1.0]), "u"),
        (lambda: gb.gumbel_max([1.0], [0.5]), "logits"),
        (lambda: gb.gumbel_max([1.0, 2.0], [0.5, 0.5, 0.5]), "u"),
        (lambda: gb.gumbel_softmax([1.0, 2.0], [0.5, 0.5], 0.0), "tau"),
        (lambda: gb.gumbel_softmax([1.0, 2.0], [0.5, 0.5], math.inf), "tau"),
        (lambda: gb.sample_gumbel_max([1.0, 2.0], 0), "num_samples"),
        (lambda: gb.sample_gumbel_max([1.0, 2.0], gb.MAX_SAMPLES + 1), "num_samples"),
        (lambda: gb.sample_gumbel_max([1.0, 2.0], 10**8), "num_samples"),  # 800 MB of output
        (lambda: gb.sample_gumbel_softmax([1.0, 2.0], -1.0, 5), "tau"),
        (lambda: gb.sample_gumbel_max([1.0, 2.0], 5, generator=0), "generator"),
        (lambda: gb.sample_gumbel_max([1.0, 2.0], 5, device="nonsense"), "device"),
        (lambda: gb.binary_gs_grad_mean(0.0, -1.0), "tau"),
        (lambda: gb.binary_gs_grad_var(40.0, 1.0), "delta"),
        (lambda: gb.score_function_variance("square", 0.0, 0.0), "sigma"),
        (lambda: gb.reparam_variance("cube", 0.0, 1.0), "f"),
        (lambda: gb.reparam_variance("sin", 0.0, 1.0, omega=-1.0), "omega"),
    ],
)
def test_bad_input_names_parameter_value_and_range(call, name):
    with pytest.raises(ValueError, match=name) as info:
        call()
    assert "got" in str(info.value)
