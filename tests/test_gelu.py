"""GELU and its approximations: torch's own GELU, mpmath at 30 digits for the Taylor, min-max and
least-squares constants, a dense brute-force grid for the max errors, and bad and extreme input."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import torch

from theory_lib import gelu as g

mp.mp.dps = 30
A = mp.sqrt(2 / mp.pi)


def _phi(x):
    return (1 + mp.erf(x / mp.sqrt(2))) / 2


def _err(form, value, a=None, level="phi"):
    """The error Phi - Phi~ (or x times it) as an mpmath function, from the formulas, not the module."""
    a = A if a is None else mp.mpf(a)
    if form == "tanh":
        e = lambda x: _phi(x) - (1 + mp.tanh(a * (x + mp.mpf(value) * x**3))) / 2  # noqa: E731
    else:
        e = lambda x: _phi(x) - 1 / (1 + mp.exp(-mp.mpf(value) * x))  # noqa: E731
    return e if level == "phi" else (lambda x: x * e(x))


def _mp_peaks(e, xs):
    """The peaks of e near each x, by mpmath's root of e' (30 digits), as (x, e(x))."""
    out = []
    for x in xs:
        xp = mp.findroot(lambda t: mp.diff(e, t), mp.mpf(x))
        out.append((xp, e(xp)))
    return out


# ---------------------------------------------------------------- gelu itself
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode", ["none", "tanh"])
def test_gelu_matches_torch(device, dtype, mode):
    x = torch.linspace(-12, 12, 4001, dtype=dtype, device=device)
    y = g.gelu(x, mode)
    assert y.dtype == dtype and y.device == x.device and y.shape == x.shape
    ref = torch.nn.functional.gelu(x, approximate=mode)
    tol = 1e-6 if dtype == torch.float32 else 1e-13
    torch.testing.assert_close(y, ref, atol=tol, rtol=tol)


def test_gelu_sigmoid_and_gradient(device):
    x = torch.linspace(-6, 6, 301, dtype=torch.float64, device=device, requires_grad=True)
    y = g.gelu(x, "sigmoid", lam=1.702)
    torch.testing.assert_close(y, x / (1 + torch.exp(-1.702 * x)), atol=1e-14, rtol=1e-14)
    (grad,) = torch.autograd.grad(y.sum(), x)
    (ref,) = torch.autograd.grad(torch.nn.functional.gelu(x, approximate="tanh").sum(), x)
    (ours,) = torch.autograd.grad(g.gelu(x, "tanh").sum(), x)
    torch.testing.assert_close(ours, ref, atol=1e-13, rtol=1e-13)
    assert torch.isfinite(grad).all()


@pytest.mark.parametrize("mode", g.APPROXIMATIONS)
def test_gelu_finite_at_extremes(device, mode):
    x = torch.tensor([-1e30, -1e5, -40.0, 0.0, 1e-30, 40.0, 1e5, 1e30], device=device, requires_grad=True)
    y = g.gelu(x, mode)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(grad).all()
    assert y[0] == 0 and y[-1] == 1e30  # xPhi(x): 0 far left, x far right


def test_error_matches_the_plain_formula_and_is_odd():
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    plain = 0.5 * torch.erf(x / math.sqrt(2)) - 0.5 * torch.tanh(g.TANH_A * (x + 0.044715 * x**3))
    torch.testing.assert_close(g.gelu_error(x, "tanh", 0.044715), plain, atol=1e-15, rtol=0)
    e = g.gelu_error(x, "sigmoid", 1.702, level="gelu")
    torch.testing.assert_close(e, x * (g.gelu(x) / x.where(x != 0, 1) - torch.sigmoid(1.702 * x)), atol=1e-14, rtol=0)
    torch.testing.assert_close(e, e.flip(0))  # GELU level: even


# ---------------------------------------------------------------- max errors
@pytest.mark.parametrize(("form", "value", "level"), [("tanh", 0.044715, "phi"), ("sigmoid", 1.702, "gelu")])
def test_max_error_against_a_dense_grid_over_both_signs(form, value, level):
    x = torch.linspace(-30, 30, 3_000_001, dtype=torch.float64)
    brute = g.gelu_error(x, form, value, level=level).abs().max().item()
    worst = g.gelu_max_error(form, value, level=level)
    assert brute <= worst + 1e-15 and worst - brute < 1e-9  # grid step 2e-5: error of the max ~1e-10


def test_max_error_values_against_mpmath():
    for form, value, level in [("tanh", 0.044715, "phi"), ("sigmoid", 1.702, "phi"), ("tanh", 0.044715, "gelu")]:
        peaks = g.gelu_error_peaks(form, value, level=level)
        exact = _mp_peaks(_err(form, value, level=level), [x for x, _ in peaks])
        assert max(abs(float(v)) for _, v in exact) == pytest.approx(
            g.gelu_max_error(form, value, level=level), abs=1e-15
        )


# ---------------------------------------------------------------- the fits
def test_taylor_fit_kills_the_x_and_x3_terms():
    a, c, _ = g.fit_gelu_tanh("taylor")
    coef = mp.taylor(lambda x: mp.erf(x / mp.sqrt(2)) - mp.tanh(mp.mpf(a) * (x + mp.mpf(c) * x**3)), 0, 5)
    assert abs(coef[1]) < 1e-15 and abs(coef[3]) < 1e-15
    assert abs(coef[5]) > 1e-5  # the first term it cannot remove
    lam, _ = g.fit_gelu_sigmoid("taylor")
    assert abs(mp.diff(lambda x: _phi(x) - 1 / (1 + mp.exp(-mp.mpf(lam) * x)), 0)) < 1e-15


@pytest.mark.parametrize("level", g.LEVELS)
@pytest.mark.parametrize("free_a", [False, True])
def test_tanh_minimax_equal_alternating_peaks(level, free_a):
    a, c, worst = g.fit_gelu_tanh("minimax", level=level, free_a=free_a)
    assert (a == g.TANH_A) != free_a
    peaks = g.gelu_error_peaks("tanh", c, level=level, a=a)
    top = sorted(sorted(peaks, key=lambda p: -abs(p[1]))[: 3 if free_a else 2])
    exact = _mp_peaks(_err("tanh", c, a, level), [x for x, _ in top])
    values = [float(v) for _, v in exact]
    assert all(v1 * v2 < 0 for v1, v2 in zip(values, values[1:], strict=False))  # alternating
    assert max(map(abs, values)) - min(map(abs, values)) < 1e-13  # equal: the constants to ~1e-9
    assert worst == pytest.approx(max(map(abs, values)), abs=1e-15)
    for dc in (-1e-6, 1e-6):  # optimal: moving c raises the max
        assert g.gelu_max_error("tanh", c + dc, level=level, a=a) > worst


@pytest.mark.parametrize("level", g.LEVELS)
def test_sigmoid_minimax_equal_alternating_peaks(level):
    lam, worst = g.fit_gelu_sigmoid("minimax", level=level)
    top = sorted(sorted(g.gelu_error_peaks("sigmoid", lam, level=level), key=lambda p: -abs(p[1]))[:2])
    (x1, v1), (x2, v2) = _mp_peaks(_err("sigmoid", lam, level=level), [x for x, _ in top])
    assert v1 * v2 < 0 and abs(abs(v1) - abs(v2)) < 1e-13
    assert (
        g.gelu_max_error("sigmoid", lam - 1e-6, level=level)
        > worst
        < g.gelu_max_error("sigmoid", lam + 1e-6, level=level)
    )


@pytest.mark.parametrize("criterion", ["lsq-uniform", "lsq-normal"])
@pytest.mark.parametrize("level", g.LEVELS)
def test_least_squares_derivative_vanishes(criterion, level):
    end = 4 if criterion == "lsq-uniform" else mp.inf
    w = (lambda x: 1) if criterion == "lsq-uniform" else (lambda x: mp.npdf(x))
    scale = (lambda x: 1) if level == "phi" else (lambda x: x)

    def dj(form, value):  # d/d(value) of int w error^2, by mpmath quadrature of the analytic derivative
        e = _err(form, value, level=level)
        if form == "tanh":
            de = lambda x: -A * x**3 / (2 * mp.cosh(A * (x + mp.mpf(value) * x**3)) ** 2)  # noqa: E731
        else:
            de = lambda x: -x * mp.exp(-mp.mpf(value) * x) / (1 + mp.exp(-mp.mpf(value) * x)) ** 2  # noqa: E731
        return mp.quad(lambda x: w(x) * e(x) * scale(x) * de(x), [0, 1, 2, 4, end] if end == mp.inf else [0, 2, 4])

    _, c, _ = g.fit_gelu_tanh(criterion, level=level)
    lam, _ = g.fit_gelu_sigmoid(criterion, level=level)
    for form, value, step in (("tanh", c, 1e-4), ("sigmoid", lam, 1e-2)):
        assert abs(dj(form, value)) < 1e-9 * abs(dj(form, value + step))


def test_article_numbers():
    """Su's claims: the min-max constants round to the published ones; the Taylor c does not."""
    _, c, worst = g.fit_gelu_tanh("minimax")
    assert round(c, 6) == 0.044715 and round(g.fit_gelu_tanh("taylor")[1], 7) == 0.0455399
    assert round(g.fit_gelu_sigmoid("minimax")[0], 3) == 1.702
    assert 0 < g.gelu_max_error("tanh", 0.044715) - worst < 1e-4 * worst


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: g.gelu([1.0], "erf"), "approximate"),
        (lambda: g.gelu([1.0], "tanh", c=-0.1), "c"),
        (lambda: g.gelu([1.0], "sigmoid", lam=0.0), "lam"),
        (lambda: g.gelu([float("nan")]), "x"),
        (lambda: g.gelu_max_error("relu", 1.0), "approximate"),
        (lambda: g.gelu_max_error("sigmoid", 1.7, a=0.8), "a"),
        (lambda: g.gelu_max_error("tanh", 0.04, a=100.0), "a"),
        (lambda: g.gelu_max_error("tanh", 0.04, level="erf"), "level"),
        (lambda: g.fit_gelu_tanh("l1"), "criterion"),
        (lambda: g.fit_gelu_tanh(free_a=1), "free_a"),
        (lambda: g.fit_gelu_sigmoid("minimax", level="x"), "level"),
        (lambda: g.gelu_error([1.0], "tanh", float("inf")), "value"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
