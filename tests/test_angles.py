"""The angle between two random vectors: every formula against an independent route.

Oracles: math.gamma / scipy.stats.beta (densities), scipy.special.betainc (the cdf),
scipy.integrate.quad (normalisation, variance), the article's own table, Monte Carlo with
tolerances from the sample size, and hand-derived identities checked by hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from scipy import integrate, special, stats

from theory_lib import angles as ag

F64 = torch.float64
BIG_N = [2, 3, 4, 5, 10, 57, 100, 1000, 10**4, 10**5, 10**6]


def exact_cdf(theta, n):
    """I_x(a, a) with x = sin^2(theta/2) = (1 - cos theta)/2, computed without cancellation."""
    a = (n - 1) / 2
    return special.betainc(a, a, np.sin(np.asarray(theta) / 2) ** 2)


# ---------------------------------------------------------------------------- densities
@pytest.mark.parametrize("n", range(2, 21))
def test_pdf_is_the_gamma_formula(n):
    theta = np.linspace(0.0, math.pi, 41)
    expected = math.gamma(n / 2) / (math.gamma((n - 1) / 2) * math.sqrt(math.pi)) * np.sin(theta) ** (n - 2)
    got = ag.angle_pdf(torch.tensor(theta, dtype=F64), n).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("n", BIG_N)
def test_log_pdf_matches_the_beta_law_of_the_cosine(n):
    """(cos theta + 1)/2 = cos^2(theta/2) ~ Beta(a, a), a = (n-1)/2, and |dx/dtheta| = sin(theta)/2."""
    theta = np.linspace(0.05, math.pi - 0.05, 57)
    a = (n - 1) / 2
    expected = stats.beta.logpdf(np.cos(theta / 2) ** 2, a, a) + np.log(np.sin(theta) / 2)
    got = ag.angle_log_pdf(torch.tensor(theta, dtype=F64), n).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-8)
    eta = np.cos(theta)
    got_eta = ag.cosine_log_pdf(torch.tensor(eta, dtype=F64), n).numpy()
    np.testing.assert_allclose(got_eta, stats.beta.logpdf((eta + 1) / 2, a, a) + math.log(0.5), rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 100, 1000, 10**5])
def test_pdf_integrates_to_one(n):
    total, err = integrate.quad(lambda t: ag.angle_pdf(t, n), 0, math.pi, points=[math.pi / 2], limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    total_eta, _ = integrate.quad(lambda e: ag.cosine_pdf(e, n), -1, 1, points=[0.0], limit=200)
    assert total_eta == pytest.approx(1.0, abs=1e-6 if n == 2 else 1e-8)  # n = 2: integrable 1/sqrt ends


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 10**7))
def test_normalizers_multiply_to_a_simple_ratio(n):
    """C_n C_{n+1} = Gamma((n+1)/2) / (Gamma((n-1)/2) pi) = (n-1) / (2 pi): exposes lgamma cancellation."""
    lhs = ag.angle_log_normalizer(n) + ag.angle_log_normalizer(n + 1)
    assert lhs == pytest.approx(math.log((n - 1) / (2 * math.pi)), abs=2e-14)


def test_special_cases_two_and_three_dimensions():
    theta = torch.linspace(0, math.pi, 101, dtype=F64)
    torch.testing.assert_close(ag.angle_pdf(theta, 2), torch.full_like(theta, 1 / math.pi))
    torch.testing.assert_close(ag.angle_pdf(theta, 3), torch.sin(theta) / 2)
    torch.testing.assert_close(ag.angle_cdf(theta, 2), theta / math.pi)
    torch.testing.assert_close(ag.angle_cdf(theta, 3), (1 - torch.cos(theta)) / 2)
    eta = torch.linspace(-0.99, 0.99, 51, dtype=F64)
    torch.testing.assert_close(ag.cosine_pdf(eta, 3), torch.full_like(eta, 0.5))  # uniform cosine


def test_zero_outside_and_types(device):
    theta = torch.tensor([-0.1, 0.0, 1.0, math.pi, 3.3], device=device)
    p = ag.angle_pdf(theta, 5)
    assert p.device.type == device.type and p.dtype == torch.float32
    assert p[0] == 0 and p[-1] == 0 and p[1] == 0 and p[2] > 0
    assert ag.angle_log_pdf(theta, 5)[0] == -math.inf
    F = ag.angle_cdf(theta, 5)
    assert F[0] == 0 and F[-1] == 1 and F.device.type == device.type
    assert isinstance(ag.angle_pdf(1.0, 4), float) and isinstance(ag.angle_cdf(1.0, 4), float)


def test_laplace_density_is_the_normal_law():
    theta = np.linspace(1.0, 2.1, 23)
    for n in (3, 10, 500):
        expected = stats.norm.pdf(theta, loc=math.pi / 2, scale=1 / math.sqrt(n - 2))
        np.testing.assert_allclose(ag.laplace_pdf(torch.tensor(theta, dtype=F64), n).numpy(), expected, rtol=1e-12)


# ---------------------------------------------------------------------------- cdf
@pytest.mark.parametrize("n", BIG_N)
def test_cdf_matches_the_incomplete_beta_function(n):
    theta = np.linspace(0, math.pi, 1201)
    got = ag.angle_cdf(torch.tensor(theta, dtype=F64), n).numpy()
    ref = exact_cdf(theta, n)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-13)
    lower = (theta <= math.pi / 2) & (ref > 1e-290)  # the lower tail keeps relative precision
    np.testing.assert_allclose(got[lower], ref[lower], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 10**6), theta=st.floats(0.0, math.pi))
def test_cdf_symmetry_and_bounds(n, theta):
    F = ag.angle_cdf(theta, n)
    assert 0.0 <= F <= 1.0
    assert ag.angle_cdf(math.pi - theta, n) == pytest.approx(1.0 - F, abs=1e-13)


@pytest.mark.parametrize("n", [3, 7, 100, 10**4])
def test_cdf_derivative_is_the_pdf(n):
    """Central differences of F against p_n (step a small fraction of the angle's s.d.)."""
    sd = math.sqrt(ag.angle_variance(n))
    theta = math.pi / 2 + sd * torch.linspace(-3, 3, 13, dtype=F64)
    h = 1e-4 * sd
    slope = (ag.angle_cdf(theta + h, n) - ag.angle_cdf(theta - h, n)) / (2 * h)
    torch.testing.assert_close(slope, ag.angle_pdf(theta, n), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------- variance
# the article's table (Su computed these by numerical integration); quoted to its 6 digits
ARTICLE = {3: 0.467401, 10: 0.110661, 20: 0.0525832, 50: 0.0204053, 100: 0.0101007, 200: 0.00502508, 1000: 0.001001}


@pytest.mark.parametrize("n, value", sorted(ARTICLE.items()))
def test_variance_reproduces_the_article_table(n, value):
    assert ag.angle_variance(n) == pytest.approx(value, rel=1e-5)


@pytest.mark.parametrize("n", [2, 3, 4, 11, 50, 333, 5000])
def test_variance_against_numerical_integration(n):
    sd = 1 / math.sqrt(n)
    var, _ = integrate.quad(
        lambda t: (t - math.pi / 2) ** 2 * ag.angle_pdf(t, n),
        0,
        math.pi,
        points=[math.pi / 2 - 5 * sd, math.pi / 2, math.pi / 2 + 5 * sd],
        limit=400,
        epsabs=1e-14,
        epsrel=1e-12,
    )
    assert ag.angle_variance(n) == pytest.approx(var, rel=1e-9)


def test_variance_closed_forms():
    assert ag.angle_variance(2) == pytest.approx(math.pi**2 / 12, rel=1e-15)  # uniform on [0, pi]
    assert ag.angle_variance(3) == pytest.approx(math.pi**2 / 4 - 2, rel=1e-14)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(3, 10**6))
def test_variance_recursion_and_bounds(n):
    """Integration by parts: Var_n - Var_{n+2} = 2/n^2; and 1/n < Var_n < 1/(n-2) (Laplace is an upper bound)."""
    v = ag.angle_variance(n)
    assert v - ag.angle_variance(n + 2) == pytest.approx(2 / n**2, rel=1e-9)
    assert 1 / n < v < 1 / (n - 2)
    assert abs(v - 1 / (n - 1)) < 1 / n**3 + 1e-18  # 1/(n-1) is right to second order


@pytest.mark.parametrize("n", [2, 3, 10, 1000])
def test_variance_against_sampling(n):
    g = torch.Generator().manual_seed(n)
    theta = ag.sample_angles(n, 200_000, method="beta", generator=g, dtype=F64)
    dev2 = (theta - math.pi / 2) ** 2
    se = (dev2.std() / math.sqrt(dev2.numel())).item()
    assert abs(dev2.mean().item() - ag.angle_variance(n)) < 4.5 * se


# ---------------------------------------------------------------------------- near orthogonality
@pytest.mark.parametrize("n", [2, 3, 10, 100, 10**4, 10**6])
def test_prob_near_orthogonal_matches_the_beta_law(n):
    a = (n - 1) / 2
    for eps in (1e-3, 0.01, 0.1, 0.5, 1.2):
        s = math.sin(eps)  # |theta - pi/2| < eps  <=>  |cos theta| < sin eps
        ref = special.betainc(a, a, (1 + s) / 2) - special.betainc(a, a, (1 - s) / 2)
        assert ag.prob_near_orthogonal(n, eps) == pytest.approx(ref, rel=1e-9, abs=1e-13)
    assert ag.prob_near_orthogonal(n, math.pi / 2) == pytest.approx(1.0, abs=1e-13)
    assert ag.prob_near_orthogonal(n, 10.0) == pytest.approx(1.0, abs=1e-13)


def test_prob_near_orthogonal_keeps_relative_precision_for_tiny_eps():
    """P ~ 2 eps p_n(pi/2) = 2 eps C_n as eps -> 0 (relative error O(n eps^2))."""
    for n in (2, 3, 50, 10**6):
        eps = 1e-9
        assert ag.prob_near_orthogonal(n, eps) == pytest.approx(
            2 * eps * math.exp(ag.angle_log_normalizer(n)), rel=1e-12
        )


def test_prob_near_orthogonal_broadcasts_over_n(device):
    ns = torch.tensor([[2], [3], [10], [1000]], device=device)  # (4, 1)
    eps = torch.tensor([0.01, 0.2, 1.0], dtype=F64, device=device)  # (3,)
    got = ag.prob_near_orthogonal(ns, eps)
    assert got.shape == (4, 3) and got.device.type == device.type
    for i, n in enumerate([2, 3, 10, 1000]):
        for j, e in enumerate([0.01, 0.2, 1.0]):
            assert got[i, j].item() == pytest.approx(ag.prob_near_orthogonal(n, e), rel=1e-13)


def test_prob_near_orthogonal_against_sampling():
    n, eps, count = 100, math.radians(5), 30_000
    g = torch.Generator().manual_seed(7)
    theta = ag.sample_angles(n, count, method="vectors", generator=g, dtype=F64)
    frac = ((theta - math.pi / 2).abs() < eps).double().mean().item()
    p = ag.prob_near_orthogonal(n, eps)
    assert abs(frac - p) < 4.5 * math.sqrt(p * (1 - p) / count)


# ---------------------------------------------------------------------------- sampling
def chi2_bins_ok(theta: np.ndarray, n: int, bins: int = 40) -> tuple[float, float]:
    """Pearson chi-square of the sample against p_n on equiprobable bins; returns (stat, 1e-4 critical value)."""
    q = np.linspace(0, 1, bins + 1)
    # bin edges at the exact quantiles, found by bisection on the cdf
    grid = np.linspace(0, math.pi, 20001)
    F = exact_cdf(grid, n)
    edges = np.interp(q, F, grid)
    edges[0], edges[-1] = -1.0, 4.0
    counts, _ = np.histogram(theta, bins=edges)
    expected = theta.size / bins
    stat = float(((counts - expected) ** 2 / expected).sum())
    return stat, float(stats.chi2.ppf(1 - 1e-4, bins - 1))


@pytest.mark.parametrize(
    "method, n",
    [
        ("vectors", 2),
        ("vectors", 3),
        ("vectors", 10),
        ("vectors", 300),
        ("beta", 2),
        ("beta", 3),
        ("beta", 10),
        ("beta", 1000),
        ("beta", 10**6),
    ],
)
def test_samples_follow_the_exact_law(method, n):
    """Goodness of fit: chi-square on 40 equiprobable bins stays below its 1e-4 critical value."""
    g = torch.Generator().manual_seed(1234 + n)
    theta = ag.sample_angles(
        n, 20_000 if method == "vectors" else 40_000, method=method, generator=g, dtype=F64
    ).numpy()
    if n < 1000:  # equiprobable edges from a grid resolve the law for moderate n
        stat, crit = chi2_bins_ok(theta, n)
        assert stat < crit
    # any n: Kolmogorov-Smirnov against the exact cdf (standardised, so the grid does not matter)
    assert stats.kstest(theta, lambda t: exact_cdf(t, n)).pvalue > 1e-4


@pytest.mark.parametrize("n", [2, 3, 25])
def test_both_methods_agree_in_law(n):
    g = torch.Generator().manual_seed(99)
    a = ag.sample_angles(n, 20_000, method="vectors", generator=g, dtype=F64).numpy()
    b = ag.sample_angles(n, 20_000, method="beta", generator=g, dtype=F64).numpy()
    assert stats.ks_2samp(a, b).pvalue > 1e-4


def test_two_dimensions_uniform_three_dimensions_uniform_cosine():
    g = torch.Generator().manual_seed(5)
    for method in ag.METHODS:
        t2 = ag.sample_angles(2, 30_000, method=method, generator=g, dtype=F64).numpy()
        assert stats.kstest(t2, stats.uniform(0, math.pi).cdf).pvalue > 1e-4
        t3 = ag.sample_angles(3, 30_000, method=method, generator=g, dtype=F64).numpy()
        assert stats.kstest(np.cos(t3), stats.uniform(-1, 2).cdf).pvalue > 1e-4


def test_sampling_shape_dtype_device_and_reproducibility(device):
    for method in ag.METHODS:
        g1 = torch.Generator(device=device).manual_seed(3)
        g2 = torch.Generator(device=device).manual_seed(3)
        a = ag.sample_angles(7, 1000, method=method, device=device, generator=g1)
        b = ag.sample_angles(7, 1000, method=method, device=device, generator=g2)
        assert a.shape == (1000,) and a.dtype == torch.get_default_dtype() and a.device.type == device.type
        assert torch.equal(a, b)
        assert ((a >= 0) & (a <= math.pi)).all()
        assert ag.sample_angles(7, 10, method=method, device=device, dtype=F64).dtype == F64


def test_vectors_are_drawn_in_memory_bounded_chunks(monkeypatch):
    """With a tiny chunk the sampler loops over many chunks and still returns the right law."""
    calls = []
    real_randn = torch.randn

    def spy(*shape, **kw):
        calls.append(shape)
        return real_randn(*shape, **kw)

    monkeypatch.setattr(ag, "_VECTOR_CHUNK", 2 * 50 * 64)  # 64 pairs of 50-d vectors per chunk
    monkeypatch.setattr(ag.torch, "randn", spy)
    g = torch.Generator().manual_seed(11)
    theta = ag.sample_angles(50, 5000, method="vectors", generator=g, dtype=F64)
    monkeypatch.undo()
    assert theta.shape == (5000,) and len(calls) == math.ceil(5000 / 64)
    assert max(math.prod(shape) for shape in calls) <= 2 * 50 * 64
    assert stats.kstest(theta.numpy(), lambda t: exact_cdf(t, 50)).pvalue > 1e-4


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: ag.angle_log_normalizer(1), "n"),
        (lambda: ag.angle_log_normalizer(2.5), "n"),
        (lambda: ag.angle_log_pdf(1.0, 1), "n"),
        (lambda: ag.angle_log_pdf(float("nan"), 3), "theta"),
        (lambda: ag.angle_pdf(torch.tensor([]), 3), "theta"),
        (lambda: ag.angle_pdf(1.0, 0), "n"),
        (lambda: ag.angle_cdf(float("inf"), 3), "theta"),
        (lambda: ag.angle_cdf(1.0, True), "n"),
        (lambda: ag.cosine_log_pdf(float("nan"), 3), "eta"),
        (lambda: ag.cosine_pdf(0.1, 1), "n"),
        (lambda: ag.laplace_pdf(1.0, 2), "n"),
        (lambda: ag.laplace_pdf(float("nan"), 5), "theta"),
        (lambda: ag.angle_variance(1), "n"),
        (lambda: ag.angle_variance(3.0), "n"),
        (lambda: ag.prob_near_orthogonal(1, 0.1), "n"),
        (lambda: ag.prob_near_orthogonal(torch.tensor([1, 5]), 0.1), "n"),
        (lambda: ag.prob_near_orthogonal(torch.tensor([3.0]), 0.1), "n"),
        (lambda: ag.prob_near_orthogonal(5, 0.0), "eps"),
        (lambda: ag.prob_near_orthogonal(5, -0.1), "eps"),
        (lambda: ag.prob_near_orthogonal(5, float("nan")), "eps"),
        (lambda: ag.sample_angles(1, 10), "n"),
        (lambda: ag.sample_angles(3, 0), "num_pairs"),
        (lambda: ag.sample_angles(3, 10.5), "num_pairs"),
        (lambda: ag.sample_angles(3, 10, method="gauss"), "method"),
        (lambda: ag.sample_angles(3, 10, dtype=torch.int64), "dtype"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------------------- the simple formulas' errors
@pytest.mark.parametrize("n", [2, 3, 10, 1000, 10**6])
def test_variance_relative_errors_against_the_definition(n):
    laplace, nm1 = ag.variance_relative_errors(n)
    var = float(special.polygamma(1, n / 2)) / 2  # scipy's trigamma, an independent route
    assert nm1 == pytest.approx(1 / (n - 1) / var - 1, rel=1e-8)
    if n == 2:
        assert laplace == math.inf
    else:
        assert laplace == pytest.approx(1 / (n - 2) / var - 1, rel=1e-8)
    assert 0 < nm1 < laplace  # both overstate Var; 1/(n-1) by far less


def test_variance_relative_errors_leading_orders():
    """Laplace's error is 1/n to leading order, that of 1/(n-1) is 1/(3 n^2)."""
    for n in (10**3, 10**4):
        laplace, nm1 = ag.variance_relative_errors(n)
        assert laplace * n == pytest.approx(1, rel=3 / n)
        assert nm1 * 3 * n**2 == pytest.approx(1, rel=3 / n)


def test_variance_relative_errors_bad_input():
    with pytest.raises(ValueError, match="^n"):
        ag.variance_relative_errors(1)
