"""Word-embedding dimension (n > 8.33 log N): every formula against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from scipy import integrate, optimize, special, stats

from theory_lib import embedding as em

C_LIMIT = em.entropy_coefficient_limit()


# ---------------------------------------------------------------- independent references
def quad_terms(n: int):
    """log E[e^{n cos t}] and E_q[n cos t] by scipy.integrate.quad over the angle t.

    The peak and the window come from a dense numpy grid (not from the module's formulas);
    the integrand is exp(l(t) - max l) with l(t) = n cos t + (n - 2) log sin t.
    """
    grid = np.linspace(0.0, math.pi, 400_001)[1:-1]
    ell = lambda t: n * np.cos(t) + (n - 2) * np.log(np.sin(t)) if n > 2 else n * np.cos(t)  # noqa: E731
    vals = ell(grid)
    top = vals.max()
    if n == 2:  # the peak sits at t = 0
        top = ell(np.array([0.0]))[0]
    live = grid[vals - top > -80]  # the integrand is below e^-80 of its peak outside
    a, b = max(0.0, live[0] - 1e-3), min(math.pi, live[-1] + 1e-3)
    peak = grid[np.argmax(vals)]
    pts = [p for p in (peak,) if a < p < b]
    f = lambda t: math.exp(float(ell(np.array([t]))[0]) - top) if 0 < t < math.pi or n == 2 else 0.0  # noqa: E731
    kw = dict(points=pts or None, limit=400, epsabs=0.0, epsrel=1e-13)
    i0, _ = integrate.quad(f, a, b, **kw)
    i1, _ = integrate.quad(lambda t: f(t) * math.cos(t), a, b, **kw)
    log_norm = 0.5 * math.log(math.pi) + math.lgamma((n - 1) / 2) - math.lgamma(n / 2)
    return top + math.log(i0) - log_norm, n * i1 / i0


def bessel_terms(n: int):
    """E[e^{k cos t}] on S^{n-1} is the von Mises-Fisher normaliser Gamma(n/2) (2/k)^nu I_nu(k),
    nu = n/2 - 1; its log-derivative gives E_q[cos t] = I_{nu+1}(k) / I_nu(k). Here k = n."""
    nu = n / 2 - 1
    log_mgf = special.gammaln(n / 2) - nu * math.log(n / 2) + math.log(special.ive(nu, n)) + n
    return log_mgf, n * special.ive(nu + 1, n) / special.ive(nu, n)


# ---------------------------------------------------------------- the integral
@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 10, 33, 100, 1000, 10_000, 100_000])
def test_entropy_gap_matches_quad(n):
    log_mgf, energy = em.entropy_terms(n)
    q_mgf, q_energy = quad_terms(n)
    assert log_mgf == pytest.approx(q_mgf, rel=1e-11, abs=1e-12)
    assert energy == pytest.approx(q_energy, rel=1e-11, abs=1e-12)
    assert em.entropy_gap(n) == pytest.approx(q_mgf - q_energy, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 6, 9, 16, 64, 256, 1024, 3000])
def test_entropy_terms_match_bessel_closed_form(n):
    log_mgf, energy = em.entropy_terms(n)
    b_mgf, b_energy = bessel_terms(n)
    assert log_mgf == pytest.approx(b_mgf, rel=1e-11, abs=1e-12)
    assert energy == pytest.approx(b_energy, rel=1e-11, abs=1e-12)


def test_small_dimensions_in_closed_form():
    """n = 3: cos t is uniform on [-1, 1]; n = 2: t is uniform on [0, pi] (Bessel I0, I1)."""
    t = 3.0
    mgf3 = math.sinh(t) / t  # E[e^{t eta}], eta ~ U(-1, 1)
    energy3 = (math.cosh(t) - math.sinh(t) / t) / mgf3  # t d/dt log mgf
    assert em.entropy_gap(3) == pytest.approx(math.log(mgf3) - energy3, rel=1e-13)
    two = torch.tensor(2.0, dtype=torch.float64)
    i0, i1 = torch.special.modified_bessel_i0(two).item(), torch.special.modified_bessel_i1(two).item()
    assert em.entropy_gap(2) == pytest.approx(math.log(i0) - 2 * i1 / i0, rel=1e-13)


def test_tensor_input_matches_scalars_and_keeps_device(device):
    dims = torch.tensor([[2, 5], [300, 70_000]], device=device)
    h = em.entropy_gap(dims)
    assert h.shape == (2, 2) and h.dtype == torch.float64 and h.device.type == device.type
    expected = [[em.entropy_gap(2), em.entropy_gap(5)], [em.entropy_gap(300), em.entropy_gap(70_000)]]
    torch.testing.assert_close(h.cpu(), torch.tensor(expected, dtype=torch.float64), rtol=1e-13, atol=0)
    c = em.entropy_coefficient(dims)
    torch.testing.assert_close(c, h / dims.double(), rtol=1e-15, atol=0)


def test_gap_is_negative_and_decreasing():
    h = em.entropy_gap(torch.arange(2, 5001))
    assert (h < 0).all() and (h[1:] < h[:-1]).all()


# ---------------------------------------------------------------- the Laplace limit
def test_limit_is_the_maximum_of_the_laplace_exponent():
    """(1/n) log E[e^{n eta}] -> max_eta eta + log(1 - eta^2)/2; c = that max - argmax."""
    phi = lambda e: -(e + 0.5 * math.log(1 - e * e))  # noqa: E731
    res = optimize.minimize_scalar(phi, bounds=(0.0, 0.999), method="bounded", options={"xatol": 1e-12})
    assert res.x == pytest.approx((math.sqrt(5) - 1) / 2, abs=1e-8)  # 1/golden ratio
    assert C_LIMIT == pytest.approx(-res.fun - res.x, abs=1e-7)  # linear in the argmax error
    assert C_LIMIT == pytest.approx(-0.5 * math.log((1 + math.sqrt(5)) / 2), rel=1e-15)


@pytest.mark.parametrize("n", [1000, 10_000, 100_000, 1_000_000])
def test_coefficient_tends_to_the_limit_at_rate_one_over_n(n):
    """h_n/n - c = d/n + O(1/n^2): at 1e5 the numeric value agrees with the limit to 1e-6."""
    gap = em.entropy_coefficient(n) - C_LIMIT
    assert gap * n == pytest.approx(em.entropy_gap_offset(), abs=0.06 / n + 1e-7)
    assert abs(gap) < 0.1 / n


def test_offset_from_richardson_extrapolation():
    """d = lim (h_n - c n), estimated from h_n at n and 2n by removing the a/n term."""
    n = 2000
    r1, r2 = em.entropy_gap(n) - C_LIMIT * n, em.entropy_gap(2 * n) - C_LIMIT * 2 * n
    assert 2 * r2 - r1 == pytest.approx(em.entropy_gap_offset(), abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 1_000_000))
def test_two_term_expansion_brackets_the_integral(n):
    """c n + d - 0.05/n < h_n < c n + d for every n (the next term is about -0.044/n)."""
    h, asym = em.entropy_gap(n), em.entropy_gap_asymptotic(n)
    assert asym - 0.05 / n - 1e-9 * n < h < asym + 1e-9 * n


# ---------------------------------------------------------------- densities and sampling
@pytest.mark.parametrize("n", [3, 5, 40, 400])
def test_cosine_densities_are_normalised_and_q_has_the_tilted_mean(n):
    def f(e, k):
        return math.exp(em.cosine_log_densities(torch.tensor(e, dtype=torch.float64), n)[k].item())

    kw = dict(points=[0.0, (math.sqrt(5) - 1) / 2], epsabs=0.0, epsrel=1e-12, limit=400)
    assert integrate.quad(lambda e: f(e, 0), -1.0, 1.0, **kw)[0] == pytest.approx(1.0, abs=1e-11)
    assert integrate.quad(lambda e: f(e, 1), -1.0, 1.0, **kw)[0] == pytest.approx(1.0, abs=1e-11)
    mean_q = integrate.quad(lambda e: e * f(e, 1), -1.0, 1.0, **kw)[0]
    assert n * mean_q == pytest.approx(em.entropy_terms(n)[1], rel=1e-10)


def test_cosine_density_agrees_with_the_angles_module():
    """The private angle law here against theory_lib.angles (lesson 02), when that API is there."""
    angles = pytest.importorskip("theory_lib.angles")
    if not hasattr(angles, "cosine_log_pdf"):
        pytest.skip("theory_lib.angles has no cosine_log_pdf")
    eta = torch.linspace(-0.999, 0.999, 41, dtype=torch.float64)
    for n in (2, 3, 7, 64, 5000):
        ours, _ = em.cosine_log_densities(eta, n)
        torch.testing.assert_close(ours, angles.cosine_log_pdf(eta, n), rtol=1e-12, atol=1e-12)


def test_n3_density_is_uniform():
    log_p, _ = em.cosine_log_densities(torch.linspace(-0.99, 0.99, 9), 3)
    torch.testing.assert_close(log_p, torch.full((9,), math.log(0.5), dtype=torch.float64))


@pytest.mark.parametrize("n", [2, 5, 50])
def test_sampled_cosines_follow_the_beta_law(n, device):
    """(eta + 1)/2 ~ Beta((n-1)/2, (n-1)/2): Kolmogorov-Smirnov on 4000 samples."""
    g = torch.Generator(device=device).manual_seed(n)
    eta = em.sample_cosines(n, 4000, device=device, generator=g)
    assert eta.shape == (4000,) and eta.device.type == device.type
    a = (n - 1) / 2
    assert stats.kstest(((eta.cpu().numpy() + 1) / 2), stats.beta(a, a).cdf).pvalue > 1e-3


def test_nested_columns_each_follow_their_law():
    g = torch.Generator().manual_seed(1)
    dims = torch.tensor([3, 8, 30])
    eta = em.sample_cosines(dims, 3000, generator=g)
    assert eta.shape == (3000, 3)
    for k, n in enumerate(dims.tolist()):
        a = (n - 1) / 2
        assert stats.kstest((eta[:, k].numpy() + 1) / 2, stats.beta(a, a).cdf).pvalue > 1e-3


@pytest.mark.parametrize("n", [2, 5, 50, 100_000])
def test_cosines_drawn_from_the_law_follow_the_beta_law(n, device):
    """method="law" (Z / sqrt(Z^2 + chi^2_{n-1})) has the same Beta((n-1)/2, (n-1)/2) law, at any n."""
    g = torch.Generator(device=device).manual_seed(n)
    eta = em.sample_cosines(n, 4000, device=device, generator=g, method="law")
    assert eta.shape == (4000,) and eta.dtype == torch.float64 and eta.device.type == device.type
    a = (n - 1) / 2
    assert stats.kstest(((eta.cpu().numpy() + 1) / 2), stats.beta(a, a).cdf).pvalue > 1e-3


def test_law_columns_are_independent_and_each_follows_its_law():
    g = torch.Generator().manual_seed(2)
    dims = torch.tensor([3, 3, 40])
    eta = em.sample_cosines(dims, 4000, generator=g, method="law")
    assert eta.shape == (4000, 3)
    for k, n in enumerate(dims.tolist()):
        a = (n - 1) / 2
        assert stats.kstest((eta[:, k].numpy() + 1) / 2, stats.beta(a, a).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(eta[:, 0].numpy(), eta[:, 1].numpy())[0, 1]) < 4 / math.sqrt(4000)


def test_estimate_from_given_cosines_is_the_monte_carlo_estimate():
    """entropy_gap_mc = entropy_gap_from_cosines on the same draws; the law route agrees with the
    integral at n = 8 and sticks near -log S at n = 10^5."""
    for method in ("vectors", "law"):
        est, se = em.entropy_gap_mc(8, 3000, generator=torch.Generator().manual_seed(4), method=method)
        eta = em.sample_cosines(8, 3000, generator=torch.Generator().manual_seed(4), method=method)
        assert em.entropy_gap_from_cosines(eta, 8) == pytest.approx((est, se), rel=1e-12, abs=1e-15)
    est, se = em.entropy_gap_mc(8, 100_000, generator=torch.Generator().manual_seed(5), method="law")
    assert abs(est - em.entropy_gap(8)) < 5 * se
    est, _ = em.entropy_gap_mc(100_000, 10_000, generator=torch.Generator().manual_seed(6), method="law")
    assert -math.log(10_000) - 1e-9 <= est <= 0


@pytest.mark.parametrize("n", [2, 3, 5, 8, 12])
def test_monte_carlo_agrees_with_the_integral(n, device):
    """While samples >> e^{-h_n} the estimate is within 5 standard errors of the integral."""
    g = torch.Generator(device=device).manual_seed(10 + n)
    est, se = em.entropy_gap_mc(n, 40_000, device=device, generator=g)
    assert 0 < se < 0.2
    assert abs(est - em.entropy_gap(n)) < 5 * se + 1e-3 / 40_000**0.5


def test_monte_carlo_standard_error_is_calibrated():
    """The delta-method error bar matches the spread of 40 independent estimates (n = 4)."""
    g = torch.Generator().manual_seed(3)
    runs = [em.entropy_gap_mc(4, 2000, generator=g) for _ in range(40)]
    spread = float(np.std([r[0] for r in runs], ddof=1))
    mean_se = float(np.mean([r[1] for r in runs]))
    assert spread == pytest.approx(mean_se, rel=0.4)  # sd of a 40-sample sd is about 11 %


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 400), samples=st.integers(1, 300), seed=st.integers(0, 10_000))
def test_monte_carlo_can_never_go_below_minus_log_samples(n, samples, seed):
    """estimate = -KL(weights || uniform) >= -log(samples): the same bound that keeps H >= 0."""
    est, se = em.entropy_gap_mc(n, samples, generator=torch.Generator().manual_seed(seed))
    assert -math.log(samples) - 1e-9 <= est <= 1e-12 and se >= 0


def test_monte_carlo_fails_when_samples_are_too_few():
    """At n = 400, e^{-h_n} ~ 10^42 samples would be needed; 2000 leave it stuck near -log 2000."""
    est, se = em.entropy_gap_mc(400, 2000, generator=torch.Generator().manual_seed(0))
    assert est > -math.log(2000) - 1e-9
    assert est - em.entropy_gap(400) > 50 * max(se, 1e-3)  # far off, with a small error bar


def test_monte_carlo_tensor_shape(device):
    g = torch.Generator(device=device).manual_seed(0)
    est, se = em.entropy_gap_mc(torch.tensor([2, 6, 9], device=device), 500, device=device, generator=g)
    assert est.shape == se.shape == (3,) and est.device.type == device.type


# ---------------------------------------------------------------- finite vocabulary entropy
def test_pair_entropy_matches_categorical_entropy(device):
    g = torch.Generator(device=device).manual_seed(0)
    u = 3 * torch.randn(3000, 7, generator=g, device=device, dtype=torch.float64)
    v = 3 * torch.randn(2500, 7, generator=g, device=device, dtype=torch.float64)
    direct = torch.distributions.Categorical(logits=(u @ v.T).reshape(-1)).entropy().item()
    assert em.pair_entropy(u, v) == pytest.approx(direct, rel=1e-11)  # several row blocks
    assert em.pair_entropy(u[:50], v[:40]) == pytest.approx(
        torch.distributions.Categorical(logits=(u[:50] @ v[:40].T).reshape(-1)).entropy().item(), rel=1e-12
    )


def test_finite_vocabulary_entropy_tends_to_the_approximation(device):
    """For n = 3 and N = 1500 the N^2 pairs estimate E[...] like N^2 independent samples
    (E[e^{<u,v>} | u] does not depend on u), so the tolerance is the Monte Carlo error at
    N^2 samples."""
    N, n = 1500, 3
    g = torch.Generator(device=device).manual_seed(5)
    H = em.sampled_entropy(N, n, device=device, generator=g)
    _, se = em.entropy_gap_mc(n, N * N, device=device, generator=g)
    assert H - 2 * math.log(N) == pytest.approx(em.entropy_gap(n), abs=5 * se)


def test_finite_vocabulary_entropy_stays_in_range_where_the_approximation_fails():
    g = torch.Generator().manual_seed(2)
    N, n = 100, 200
    assert 2 * math.log(N) + em.entropy_gap(n) < -30  # the approximation is absurd here
    H = em.sampled_entropy(N, n, generator=g)
    assert 0 <= H <= 2 * math.log(N)


# ---------------------------------------------------------------- the dimension bound
def direct_search(N, condition):
    n = 2
    while not condition(n):
        n += 1
    return n


@pytest.mark.parametrize("N", [2, 10, 1000, 100_000, 5_000_000, 1e8])
def test_min_embedding_dim_against_direct_search(N):
    two_log_n = 2 * math.log(N)
    assert em.min_embedding_dim(N, "exact") == direct_search(N, lambda n: two_log_n + em.entropy_gap(n) < 0)
    assert em.min_embedding_dim(N, "limit") == direct_search(N, lambda n: n > two_log_n / -C_LIMIT)
    for c in (0.24, 0.1, 1.0):
        assert em.min_embedding_dim(N, c) == direct_search(N, lambda n, c=c: n > two_log_n / c)


def test_min_embedding_dim_vectorised():
    Ns = torch.logspace(1, 9, 25, dtype=torch.float64)
    for coefficient in ("exact", "limit", 0.24):
        dims = em.min_embedding_dim(Ns, coefficient)
        assert dims.dtype == torch.int64
        assert dims.tolist() == [em.min_embedding_dim(N.item(), coefficient) for N in Ns]
        assert (dims[1:] >= dims[:-1]).all()


def test_article_claims():
    """N = 100 000 -> about 96; N = 5 000 000 -> about 128 (8.33 log N = 128.5)."""
    assert em.min_embedding_dim(100_000) == 96 == round(2 * math.log(1e5) / 0.24)
    assert round(2 * math.log(5e6) / 0.24) == 129 and em.min_embedding_dim(5_000_000) == 129
    assert em.min_embedding_dim(5_000_000, "exact") == 128
    for N in (100_000, 5_000_000):
        dims = {em.min_embedding_dim(N, c) for c in (0.24, "exact", "limit")}
        assert max(dims) - min(dims) <= 1


@pytest.mark.parametrize("N, eps", [(10, 0.5), (1000, 0.3), (100_000, 0.5), (1e6, 0.1)])
def test_jl_dimension_is_the_smallest_k_and_each_pair_fails_rarely(N, eps):
    bound = 4 * math.log(N) / (eps**2 / 2 - eps**3 / 3)
    k = em.jl_dimension(N, eps)
    assert k >= bound > k - 1
    # ||R x||^2 / ||x||^2 ~ chi2_k / k for a Gaussian R / sqrt(k): each pair fails w.p. <= 2/N^2
    fail = stats.chi2.cdf(k * (1 - eps), k) + stats.chi2.sf(k * (1 + eps), k)
    assert fail <= 2 / N**2


def test_random_projection_at_the_jl_dimension_keeps_every_distance():
    g = torch.Generator().manual_seed(0)
    N, d, eps = 40, 400, 0.5
    x = torch.randn(N, d, generator=g, dtype=torch.float64)
    i, j = torch.triu_indices(N, N, 1)
    before = ((x[i] - x[j]) ** 2).sum(-1)

    def ratios(k):
        R = torch.randn(d, k, generator=g, dtype=torch.float64) / math.sqrt(k)
        y = x @ R
        return ((y[i] - y[j]) ** 2).sum(-1) / before

    r = ratios(em.jl_dimension(N, eps))
    assert ((r > 1 - eps) & (r < 1 + eps)).all()
    r_small = ratios(8)
    assert not ((r_small > 1 - eps) & (r_small < 1 + eps)).all()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: em.entropy_gap(1), "n"),
        (lambda: em.entropy_gap(0), "n"),
        (lambda: em.entropy_gap(2.5), "n"),
        (lambda: em.entropy_gap(True), "n"),
        (lambda: em.entropy_gap(10**9), "n"),
        (lambda: em.entropy_gap(torch.tensor([2.0, 3.5])), "n"),
        (lambda: em.entropy_gap(torch.tensor([1, 4])), "n"),
        (lambda: em.entropy_gap(torch.tensor([4.0, float("nan")])), "n"),
        (lambda: em.entropy_terms(-3), "n"),
        (lambda: em.entropy_coefficient(1), "n"),
        (lambda: em.entropy_gap_asymptotic(1), "n"),
        (lambda: em.cosine_log_densities(torch.tensor([0.5]), 1), "n"),
        (lambda: em.cosine_log_densities(torch.tensor([1.5]), 4), "eta"),
        (lambda: em.cosine_log_densities(torch.tensor([float("nan")]), 4), "eta"),
        (lambda: em.sample_cosines(1, 10), "n"),
        (lambda: em.sample_cosines(4, 0), "samples"),
        (lambda: em.sample_cosines(4, 10, dtype=torch.int64), "dtype"),
        (lambda: em.entropy_gap_mc(4, 10, dtype=torch.float16), "dtype"),
        (lambda: em.entropy_gap_mc(1, 10), "n"),
        (lambda: em.entropy_gap_mc(4, 0), "samples"),
        (lambda: em.entropy_gap_mc(4, 2.5), "samples"),
        (lambda: em.sample_cosines(4, 10, method="beta"), "method"),
        (lambda: em.entropy_gap_from_cosines(torch.tensor([0.5, 1.5]), 4), "eta"),
        (lambda: em.entropy_gap_from_cosines(torch.zeros(3, 2), 4), "eta"),
        (lambda: em.entropy_gap_from_cosines(torch.tensor([float("nan")]), 4), "eta"),
        (lambda: em.entropy_gap_from_cosines(torch.zeros(3), 1), "n"),
        (lambda: em.pair_entropy(torch.ones(3), torch.ones(3, 2)), "u"),
        (lambda: em.pair_entropy(torch.ones(3, 2), torch.ones(3)), "v"),
        (lambda: em.pair_entropy(torch.ones(3, 2), torch.ones(3, 4)), "u"),
        (lambda: em.sampled_entropy(0, 4), "N"),
        (lambda: em.sampled_entropy(10, 0), "n"),
        (lambda: em.min_embedding_dim(1), "N"),
        (lambda: em.min_embedding_dim(float("nan")), "N"),
        (lambda: em.min_embedding_dim("100"), "N"),
        (lambda: em.min_embedding_dim(torch.tensor([10.0, 1.0])), "N"),
        (lambda: em.min_embedding_dim(100, 0), "coefficient"),
        (lambda: em.min_embedding_dim(100, -0.24), "coefficient"),
        (lambda: em.min_embedding_dim(100, "exactly"), "coefficient"),
        (lambda: em.min_embedding_dim(100, float("inf")), "coefficient"),
        (lambda: em.jl_dimension(1, 0.5), "N"),
        (lambda: em.jl_dimension(100, 0), "eps"),
        (lambda: em.jl_dimension(100, 1.0), "eps"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()
