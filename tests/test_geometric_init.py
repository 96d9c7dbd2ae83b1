"""Initialisation from a geometric view: Monte Carlo against the exact expectations, torch's own
initialisers against the closed-form standard deviations."""

from __future__ import annotations

import math

import pytest
import torch

from theory_lib import geometric_init as gi

# E[w^4] / E[w^2]^2 of each distribution, from its definition (not from the library)
KAPPA = {"normal": 3.0, "uniform": 9.0 / 5.0, "rademacher": 1.0}


def exact_error(n: int, m: int, kappa: float) -> float:
    """E mean((W^T W - I)^2), entries of variance 1/m: diagonal entries have variance (kappa - 1)/m,
    off-diagonal ones 1/m, so the mean over n^2 entries is (kappa + n - 2) / (m n)."""
    return (kappa + n - 2) / (m * n)


@pytest.mark.parametrize("distribution", gi.DISTRIBUTIONS)
@pytest.mark.parametrize("n, m", [(4, 4), (32, 32), (16, 64)])
def test_orthogonality_error_matches_its_expectation(distribution, n, m):
    g = torch.Generator().manual_seed(n * 1000 + m)
    errs = gi.orthogonality_error(n, m, distribution, trials=1500, generator=g)
    se = errs.std().item() / math.sqrt(errs.numel())
    assert abs(errs.mean().item() - exact_error(n, m, KAPPA[distribution])) < 4.5 * se


def test_the_distribution_matters_only_at_order_one_over_n_squared():
    """At n = 4 the three laws differ clearly; the difference is (kappa_a - kappa_b)/n^2."""
    g = torch.Generator().manual_seed(0)
    means = {
        d: gi.orthogonality_error(4, distribution=d, trials=4000, generator=g).mean().item() for d in gi.DISTRIBUTIONS
    }
    assert means["normal"] > means["uniform"] > means["rademacher"]
    assert means["normal"] - means["rademacher"] == pytest.approx((3 - 1) / 16, abs=0.03)


def test_error_shrinks_like_one_over_n():
    g = torch.Generator().manual_seed(1)
    scaled = [n * gi.orthogonality_error(n, trials=8, generator=g).mean().item() for n in (64, 128, 256)]
    for n, s in zip((64, 128, 256), scaled, strict=True):
        assert s == pytest.approx((n + 1) / n, rel=0.1)  # n * E = (n + 1)/n -> 1


def test_orthogonality_error_shape_dtype_device(device):
    g = torch.Generator(device=device).manual_seed(0)
    out = gi.orthogonality_error(8, 10, "uniform", trials=3, generator=g)
    assert out.shape == (3,) and out.dtype == torch.float64 and out.device.type == device.type
    out = gi.orthogonality_error(5, device=device)
    assert out.shape == (1,) and out.device.type == device.type


def test_xavier_std_matches_torch_xavier_normal():
    fan_in, fan_out = 300, 700
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)  # torch's layout: (out, in)
    torch.manual_seed(0)
    torch.nn.init.xavier_normal_(w)
    se = gi.xavier_std(fan_in, fan_out) / math.sqrt(2 * w.numel())  # s.e. of a sample std
    assert abs(w.std().item() - gi.xavier_std(fan_in, fan_out)) < 5 * se
    assert gi.xavier_std(fan_in, fan_out) == pytest.approx(math.sqrt(2 / 1000))


def test_he_std_matches_torch_kaiming_normal():
    fan_in, fan_out = 400, 500
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    se = gi.he_std(fan_in) / math.sqrt(2 * w.numel())
    assert abs(w.std().item() - gi.he_std(fan_in)) < 5 * se


def test_he_std_keeps_the_norm_through_relu():
    """E||relu(Wx)||^2 = ||x||^2 with std sqrt(2/n); half of that with 1/sqrt(n)."""
    n, batch = 128, 64
    g = torch.Generator().manual_seed(3)
    x = torch.randn(n, batch, generator=g, dtype=torch.float64)
    w = torch.randn(200, n, n, generator=g, dtype=torch.float64)  # 200 independent layers
    ratio_he = (torch.relu(gi.he_std(n) * w @ x) ** 2).sum(1) / (x**2).sum(0)  # (200, batch)
    ratio_plain = (torch.relu(w @ x / math.sqrt(n)) ** 2).sum(1) / (x**2).sum(0)
    for r, target in ((ratio_he, 1.0), (ratio_plain, 0.5)):
        per_layer = r.mean(1)  # inputs share a layer, so average over layers for the s.e.
        se = per_layer.std().item() / math.sqrt(per_layer.numel())
        assert abs(per_layer.mean().item() - target) < 4.5 * se


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gi.orthogonality_error(0), "n"),
        (lambda: gi.orthogonality_error(2.5), "n"),
        (lambda: gi.orthogonality_error(8, m=4), "m"),
        (lambda: gi.orthogonality_error(8, m=0), "m"),
        (lambda: gi.orthogonality_error(8, distribution="cauchy"), "distribution"),
        (lambda: gi.orthogonality_error(8, trials=0), "trials"),
        (lambda: gi.xavier_std(0, 10), "fan_in"),
        (lambda: gi.xavier_std(10, -1), "fan_out"),
        (lambda: gi.xavier_std(10.5, 10), "fan_in"),
        (lambda: gi.he_std(0), "fan_in"),
        (lambda: gi.he_std(True), "fan_in"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


def test_norm_ratio_density_against_sampled_matrices():
    """chi^2_m / m (closed form) against ||Wx||^2/||x||^2 sampled with W (m x n, N(0, 1/m)): mean, variance and
    the histogram within sampling error; it integrates to 1 (quadrature)."""
    g = torch.Generator().manual_seed(3)
    n, m = 8, 12
    w = torch.randn(20000, m, n, generator=g, dtype=torch.float64) / math.sqrt(m)
    x = torch.randn(n, dtype=torch.float64, generator=g)
    r = (w @ x).pow(2).sum(-1) / x.pow(2).sum()
    assert abs(r.mean().item() - 1) < 0.01 and abs(r.var().item() - 2 / m) < 0.01
    grid = torch.linspace(1e-6, 8, 40001, dtype=torch.float64)
    pdf = gi.norm_ratio_log_pdf(grid, m).exp()
    assert abs(torch.trapezoid(pdf, grid).item() - 1) < 1e-6
    edges = torch.tensor([0.5, 0.8, 1.0, 1.3], dtype=torch.float64)
    hist = ((r >= edges[0]) & (r < edges[-1])).double().mean().item()
    mass = torch.trapezoid(pdf[(grid >= 0.5) & (grid < 1.3)], grid[(grid >= 0.5) & (grid < 1.3)]).item()
    assert abs(hist - mass) < 4 * math.sqrt(mass * (1 - mass) / 20000)
    assert gi.norm_ratio_log_pdf(torch.tensor([-1.0, 0.0]), m).eq(-math.inf).all()


def test_marchenko_pastur_edges_against_eigenvalues():
    """The edges of the spectrum of W^T W against the eigenvalues of one large sampled W."""
    g = torch.Generator().manual_seed(4)
    for n, m in ((200, 200), (200, 800)):
        w = torch.randn(m, n, generator=g, dtype=torch.float64) / math.sqrt(m)
        ev = torch.linalg.eigvalsh(w.T @ w)
        lo, hi = gi.marchenko_pastur_edges(n, m)
        assert abs(ev.max().item() - hi) < 0.15 and abs(ev.min().item() - lo) < (0.05 if m > n else 0.01)
    with pytest.raises(ValueError, match="m must be >= n"):
        gi.marchenko_pastur_edges(10, 5)
