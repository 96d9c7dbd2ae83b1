"""Gradient normalisation (theory_lib.critic): each form in closed form on linear critics, the in-region
gradient norms against double backprop and finite differences on seeded ReLU and LeakyReLU critics,
the jumps across region boundaries, smooth critics breaking the bound, Su's control, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import critic as c


def _linear(g, beta, scale=1.0):
    """D(x) = scale (g^T x + beta) as a critic, dtype and device following x."""
    g = torch.as_tensor(g, dtype=torch.float64)

    def critic(x):
        return scale * (x @ g.to(x) + beta)

    return critic


def _grid(device, n=61, half=3.0):
    t = torch.linspace(-half, half, n, dtype=torch.float64, device=device)
    return torch.cartesian_prod(t, t)


def _masked_gradient(net, x):
    """grad D of a ReLU/LeakyReLU MLP, written out as W_L diag(sigma'(h)) ... W_1 (no autograd)."""
    lins = [m for m in net if isinstance(m, torch.nn.Linear)]
    acts = [m for m in net if not isinstance(m, torch.nn.Linear)]
    h, jac = x, None
    for k, lin in enumerate(lins):
        pre = h = h @ lin.weight.T + (lin.bias if lin.bias is not None else 0)
        jac = lin.weight.expand(x.shape[0], -1, -1) if jac is None else lin.weight @ jac
        if k < len(acts):
            slope = getattr(acts[k], "negative_slope", 0.0)
            d = torch.where(pre > 0, torch.ones_like(pre), torch.full_like(pre, slope))
            h = pre * d
            jac = d[:, :, None] * jac
    return h.reshape(-1), jac[:, 0, :]


# ---------------------------------------------------------------- linear critics: every form in closed form
@pytest.mark.parametrize("scale", [0.01, 1.0, 100.0])
def test_forms_on_a_linear_critic(device, scale):
    g, beta = np.array([3.0, -4.0]), 0.7  # ||g|| = 5
    x = torch.tensor([[1.0, 2.0], [-0.3, 0.1], [2.5, -1.0]], dtype=torch.float64, device=device)
    crit = _linear(g, beta, scale)
    d = scale * (x.cpu().numpy() @ g + beta)
    n = scale * 5.0
    want = {
        "plain": d / n,
        "iccv": d / (n + np.abs(d)),
        "wacv": d * n / (n**2 + 1e-3),
        "direction": x.cpu().numpy() @ (g / 5.0),
    }
    for form, expected in want.items():
        out = c.gradient_normalize(crit, x, form=form)
        assert out.shape == (3,) and out.device == x.device and out.dtype == torch.float64
        np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-12, atol=1e-14)
    for eps in (0.7, 30.0):  # WACV's epsilon: D n/(n^2 + eps), gradient norm n^2/(n^2 + eps)
        out = c.gradient_normalize(crit, x, form="wacv", eps=eps).detach().cpu().numpy()
        np.testing.assert_allclose(out, d * n / (n**2 + eps), rtol=1e-12)
        norm = c.normalized_gradient_norm(crit, x, form="wacv", eps=eps).cpu().numpy()
        np.testing.assert_allclose(norm, np.full(3, n**2 / (n**2 + eps)), rtol=1e-12)
    # direction = t - beta/||g||: shifted from the plain form by the region's offset
    t = c.gradient_normalize(crit, x, form="plain").detach().cpu().numpy()
    np.testing.assert_allclose(want["direction"], t - beta / 5.0, atol=1e-12)


def test_article_numbers_at_t_2_4_and_scale_invariance():
    """The note's example: ||g|| = 5 at a point where D = 12 (t = 2.4): ICCV 12/17 with gradient norm
    25/289, unchanged by the scale c; WACV (eps = 1e-3) 1.714286, 2.399904, 2.400000 at c = 0.01, 1, 100."""
    x = torch.tensor([[2.4, 0.0]], dtype=torch.float64)  # g = (5, 0), beta = 0: D = 12
    wacv = {0.01: 1.714286, 1.0: 2.399904, 100.0: 2.400000}
    for scale, w in wacv.items():
        crit = _linear([5.0, 0.0], 0.0, scale)
        assert c.gradient_normalize(crit, x).item() == pytest.approx(12 / 17, rel=1e-12)
        assert c.normalized_gradient_norm(crit, x).item() == pytest.approx(25 / 289, rel=1e-10)
        assert c.gradient_normalize(crit, x, form="wacv").item() == pytest.approx(w, abs=5e-7)
    saturated = c.normalized_gradient_norm(_linear([1.0, 0.0], 0.0), torch.tensor([[10.0, 0.0]], dtype=torch.float64))
    assert saturated.item() == pytest.approx(1 / 121, rel=1e-12)


def test_where_the_gradient_vanishes():
    """grad D = 0: plain and direction 0, ICCV sign(D), WACV 0, and every gradient norm 0."""
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=torch.float64)
    for value, sign in ((2.0, 1.0), (-3.0, -1.0), (0.0, 0.0)):
        crit = lambda x, v=value: x.sum(-1) * 0 + v  # noqa: E731
        want = {"plain": 0.0, "iccv": sign, "wacv": 0.0, "direction": 0.0}
        for form, w in want.items():
            assert torch.equal(c.gradient_normalize(crit, x, form=form), torch.full((2,), w, dtype=torch.float64))
            assert torch.equal(c.normalized_gradient_norm(crit, x, form=form), torch.zeros(2, dtype=torch.float64))
    constant = lambda x: torch.ones(x.shape[0], dtype=x.dtype)  # noqa: E731  (no graph at all)
    assert torch.equal(c.gradient_normalize(constant, x), torch.ones(2, dtype=torch.float64))


# ---------------------------------------------------------------- ReLU and LeakyReLU critics on a grid
@pytest.mark.parametrize(("seed", "slope", "bias"), [(0, 0.0, True), (3, 0.0, True), (1, 0.2, True), (2, 0.0, False)])
def test_in_region_gradient_norms_on_relu_critics(device, seed, slope, bias):
    gen = torch.Generator(device=device).manual_seed(seed)
    net = c.relu_critic([2, 32, 32, 1], bias=bias, negative_slope=slope, device=device, generator=gen)
    x = _grid(device)
    d_explicit, g_explicit = _masked_gradient(net, x)
    d, g = c.critic_gradient(net, x)
    torch.testing.assert_close(d, d_explicit, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g, g_explicit, rtol=1e-12, atol=1e-12)
    n = g_explicit.norm(dim=1)
    t = (d_explicit / n).detach()
    plain = c.normalized_gradient_norm(net, x, form="plain")
    iccv = c.normalized_gradient_norm(net, x, form="iccv")
    wacv = c.normalized_gradient_norm(net, x, form="wacv")
    torch.testing.assert_close(plain, torch.ones_like(plain), rtol=0, atol=1e-12)
    torch.testing.assert_close(iccv, (1 + t.abs()) ** -2, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(wacv, (n**2 / (n**2 + 1e-3)).detach(), rtol=1e-10, atol=1e-14)
    assert float(wacv.max()) <= 1 and float(iccv.max()) <= 1
    assert float(c.gradient_normalize(net, x).detach().abs().max()) < 1  # ICCV is bounded by 1
    for form in c.FORMS:  # the closed form the figures use agrees with double backprop
        closed = c.in_region_gradient_norm(d, g, form=form)
        torch.testing.assert_close(closed, c.normalized_gradient_norm(net, x, form=form), rtol=1e-10, atol=1e-12)


def test_central_differences_match_inside_regions():
    """Away from region boundaries, central differences of the ICCV form give (1 + |t|)^-2."""
    net = c.relu_critic([2, 64, 64, 1], generator=torch.Generator().manual_seed(0))
    x = _grid("cpu", n=41)
    h = 1e-6
    fd = []
    for e in torch.eye(2, dtype=torch.float64):
        up, down = c.gradient_normalize(net, x + h * e), c.gradient_normalize(net, x - h * e)
        fd.append((up - down) / (2 * h))
    fd_norm = torch.stack(fd, 1).norm(dim=1).detach()
    same = torch.ones(x.shape[0], dtype=torch.bool)  # points whose ±h box stays in one region
    for e in torch.eye(2, dtype=torch.float64):
        same &= (_masked_gradient(net, x + h * e)[1] == _masked_gradient(net, x - h * e)[1]).all(1)
    assert float(same.float().mean()) > 0.95
    auto = c.normalized_gradient_norm(net, x)
    torch.testing.assert_close(fd_norm[same], auto[same].detach(), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- jumps: real, and invisible to autograd
def _kink(x):
    """f = x for x < 1, 3x - 2 for x >= 1 (continuous, f(1) = 1), as a ReLU network."""
    return (x + 2 * torch.relu(x - 1)).reshape(-1)


def test_the_kink_jumps_and_its_difference_quotient_grows_like_one_over_delta():
    at = lambda v: torch.tensor([[v]], dtype=torch.float64)  # noqa: E731
    left, right = at(1 - 1e-12), at(1 + 1e-12)
    assert c.gradient_normalize(_kink, left, form="plain").item() == pytest.approx(1.0, abs=1e-9)
    assert c.gradient_normalize(_kink, right, form="plain").item() == pytest.approx(1 / 3, abs=1e-9)
    assert c.gradient_normalize(_kink, left).item() == pytest.approx(0.5, abs=1e-9)
    assert c.gradient_normalize(_kink, right).item() == pytest.approx(0.25, abs=1e-9)
    for delta, want in ((1e-2, 12.1), (1e-4, 1.25e3), (1e-6, 1.25e5)):
        jump = c.gradient_normalize(_kink, at(1 + delta)) - c.gradient_normalize(_kink, at(1 - delta))
        quotient = abs(jump.item()) / (2 * delta)
        assert quotient == pytest.approx(want, rel=0.01)
        assert c.normalized_gradient_norm(_kink, at(1 + delta)).item() <= 1  # autograd: in-region values only
    # the jump needs a change of |f'|: f = |x| keeps f/|f'| continuous at 0
    absx = lambda x: x.abs().reshape(-1)  # noqa: E731
    for delta in (1e-3, 1e-6):
        jump = c.gradient_normalize(absx, at(delta), form="plain") - c.gradient_normalize(
            absx, at(-delta), form="plain"
        )
        assert abs(jump.item()) / (2 * delta) == pytest.approx(0.0, abs=1e-9)


def test_finite_differences_exceed_one_across_a_boundary_of_a_random_critic():
    net = c.relu_critic([2, 32, 32, 1], generator=torch.Generator().manual_seed(0))
    x = _grid("cpu", n=81)
    _, g = _masked_gradient(net, x)
    step = 6.0 / 80
    right = x + torch.tensor([step, 0.0], dtype=torch.float64)
    changed = ((_masked_gradient(net, right)[1] - g).abs() > 1e-9).any(1)
    a, b = x[changed][:20], right[changed][:20]  # pairs straddling a boundary: bisect to it
    for _ in range(40):
        mid = (a + b) / 2
        same = (_masked_gradient(net, mid)[1] - _masked_gradient(net, a)[1]).abs().max(1).values < 1e-12
        a, b = torch.where(same[:, None], mid, a), torch.where(same[:, None], b, mid)
    delta = 1e-7
    e = torch.tensor([delta, 0.0], dtype=torch.float64)
    quotient = (
        (c.gradient_normalize(net, b + e) - c.gradient_normalize(net, a - e)).abs() / (b - a + 2 * e)[:, 0]
    ).detach()
    assert float(quotient.max()) > 100, quotient
    assert float(c.normalized_gradient_norm(net, torch.cat([a - e, b + e])).max()) <= 1


# ---------------------------------------------------------------- smooth critics break the bound
def test_a_smooth_critic_breaks_the_bound():
    """D = sin(5x): the ICCV form's slope a^2/(a|cos ax| + |sin ax|)^2, 13.69 at x = 0.3 and 25 where cos = 0."""
    a = 5.0
    sine = lambda x: torch.sin(a * x).reshape(-1)  # noqa: E731
    xs = torch.tensor([[0.3], [math.pi / (2 * a) + 1e-9], [0.05]], dtype=torch.float64)
    closed = a**2 / (a * torch.cos(a * xs[:, 0]).abs() + torch.sin(a * xs[:, 0]).abs()) ** 2
    auto = c.normalized_gradient_norm(sine, xs)
    torch.testing.assert_close(auto, closed, rtol=1e-10, atol=0)
    assert auto[0].item() == pytest.approx(13.69, abs=0.01) and auto[1].item() == pytest.approx(25.0, rel=1e-6)
    h = 1e-6  # central differences away from the cusp at cos = 0, one-sided there
    fd = (c.gradient_normalize(sine, xs + h) - c.gradient_normalize(sine, xs - h)) / (2 * h)
    torch.testing.assert_close(fd.abs()[[0, 2]], closed[[0, 2]], rtol=1e-6, atol=0)
    one_sided = (c.gradient_normalize(sine, xs[1:2] + 1e-8) - c.gradient_normalize(sine, xs[1:2])) / 1e-8
    assert abs(one_sided.item()) == pytest.approx(25.0, rel=1e-5)
    for smooth in (torch.nn.Tanh(), torch.nn.Softplus()):  # a tanh / softplus MLP exceeds 1 somewhere
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(2, 32), smooth, torch.nn.Linear(32, 1)).double()
        with torch.no_grad():
            net[0].weight.mul_(4)
        assert float(c.normalized_gradient_norm(net, _grid("cpu", n=41)).max()) > 1


# ---------------------------------------------------------------- Su's control
@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_su_control_equals_plain_form_without_biases_only(device, slope):
    x = _grid(device)
    kw = dict(negative_slope=slope, device=device)
    gen = lambda: torch.Generator(device=device).manual_seed(4)  # noqa: E731
    nobias = c.relu_critic([2, 32, 32, 1], bias=False, generator=gen(), **kw)
    diff = c.gradient_normalize(nobias, x, form="direction") - c.gradient_normalize(nobias, x, form="plain")
    assert float(diff.detach().abs().max()) < 1e-12
    biased = c.relu_critic([2, 32, 32, 1], bias=True, generator=gen(), **kw)
    diff = c.gradient_normalize(biased, x, form="direction") - c.gradient_normalize(biased, x, form="plain")
    assert float(diff.detach().abs().max()) > 0.5
    # same in-region gradient: both are 1 by double backprop
    torch.testing.assert_close(
        c.normalized_gradient_norm(biased, x, form="direction"),
        torch.ones(x.shape[0], dtype=torch.float64, device=device),
    )


# ---------------------------------------------------------------- differentiability, seeding, values
def test_differentiable_in_x_and_parameters():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Softplus(), torch.nn.Linear(8, 1)).double()
    x = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    for form in c.FORMS:
        assert torch.autograd.gradcheck(lambda x, f=form: c.gradient_normalize(net, x, form=f), (x,))
        assert torch.autograd.gradcheck(lambda x, f=form: c.normalized_gradient_norm(net, x, form=f), (x,))
    relu = c.relu_critic([2, 8, 1])
    c.gradient_normalize(relu, x.detach()).sum().backward()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in relu.parameters())


def test_relu_critic_is_seeded_by_its_generator_only(device):
    state = torch.random.get_rng_state()
    a = c.relu_critic([3, 5, 1], device=device, generator=torch.Generator(device=device).manual_seed(7))
    b = c.relu_critic([3, 5, 1], device=device, generator=torch.Generator(device=device).manual_seed(7))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert a[0].weight.device.type == device.type and a[0].weight.dtype == torch.float64
    leaky = c.relu_critic([2, 4, 1], negative_slope=0.3, bias=False, dtype=torch.float32)
    assert isinstance(leaky[1], torch.nn.LeakyReLU) and leaky[1].negative_slope == 0.3 and leaky[0].bias is None
    assert leaky[0].weight.dtype == torch.float32


def test_normalize_values_matches_the_autograd_route():
    net = c.relu_critic([2, 16, 1], generator=torch.Generator().manual_seed(1))
    x = _grid("cpu", n=21)
    d, g = c.critic_gradient(net, x)
    for form in c.FORMS:
        torch.testing.assert_close(c.normalize_values(d, g, x, form=form), c.gradient_normalize(net, x, form=form))


# ---------------------------------------------------------------- bad and extreme input
def test_bad_input_names_parameter_value_and_range():
    net = c.relu_critic([2, 4, 1])
    x = torch.zeros(3, 2, dtype=torch.float64)
    cases = [
        (lambda: c.gradient_normalize(net, x, form="spectral"), "form", "'plain', 'iccv', 'wacv', 'direction'"),
        (lambda: c.gradient_normalize(net, x, eps=0.0), "eps", "spectral"),
        (lambda: c.normalized_gradient_norm(net, x, eps=-1.0), "eps", ""),
        (lambda: c.relu_critic([2, 4, 2]), "widths", "ending in 1"),
        (lambda: c.relu_critic([2]), "widths", "at least 2"),
        (lambda: c.gradient_normalize(lambda t: t, x), "critic", "one value per row"),
        (lambda: c.gradient_normalize(lambda t: t.sum(), x), "critic", "one value per row"),
        (lambda: c.gradient_normalize(3.0, x), "critic", "callable"),
        (lambda: c.gradient_normalize(net, torch.zeros(3)), "x", "2 dimension"),
        (lambda: c.normalize_values([1.0], [[1.0, 0.0]], form="direction"), "x", "direction"),
        (lambda: c.train_critic([0.0, 1.0], [1.0], steps=1), "fake", "shape"),
        (lambda: c.train_critic([0.0, 1.0], [1.0, 2.0], steps=0), "steps", "[1,"),
        (lambda: c.lipschitz_dual([[0.0]], [-1.0], [[1.0]], [1.0]), "p", "non-negative"),
    ]
    for call, name, hint in cases:
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert msg.startswith(name) and "got" in msg and (hint == "spectral" or hint in msg), msg
    with pytest.raises(ValueError, match=r"eps must be a finite real number in \(0, inf\), got 0.0"):
        c.gradient_normalize(net, x, eps=0.0)


def test_extreme_input_stays_finite():
    net = c.relu_critic([2, 16, 16, 1], generator=torch.Generator().manual_seed(0))
    x = torch.tensor([[1e8, -1e8], [1e-12, 0.0], [-5e7, 3.0]], dtype=torch.float64)
    tiny = _linear([1e-150, 0.0], 0.0)
    for form in c.FORMS:
        for eps in (1e-300, 1e6):
            assert torch.isfinite(c.gradient_normalize(net, x, form=form, eps=eps)).all()
            assert torch.isfinite(c.normalized_gradient_norm(net, x, form=form, eps=eps)).all()
            assert torch.isfinite(c.gradient_normalize(tiny, x, form=form, eps=eps)).all()
    assert c.gradient_normalize(tiny, x[:1]).item() == pytest.approx(1e8 / (1 + 1e8))  # scale-free ICCV
