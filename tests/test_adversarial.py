"""Adversarial training (lesson 12): FGM, the input-gradient penalty and the linear case, each
against an independent route (hand-derived gradients, finite differences, scipy, closed forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import optimize

from theory_lib import adversarial as adv

F64 = torch.float64


def linear_model(w, b):
    """Two logits (0, w·x + b): cross-entropy with class 1 ⇔ softplus(−f), class 0 ⇔ softplus(f)."""
    w, b = torch.as_tensor(w, dtype=F64), torch.as_tensor(b, dtype=F64)

    def model(x):
        f = x @ w.to(x) + b.to(x)
        return torch.stack([torch.zeros_like(f), f], 1)

    return model


def toy(n=40, d=2, seed=0, device="cpu"):
    g = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=F64, device=device)
    y = (x[:, 0] + 0.8 * torch.randn(n, generator=g, dtype=F64, device=device) > 0).long()
    return x, y


def net(seed=3, d=2):
    return adv.tanh_mlp(d, hidden=8, generator=torch.Generator().manual_seed(seed))


def flat_grad(loss, params):
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])


# ---------------------------------------------------------------- the fast gradient
def test_fgm_perturbation_forms(device):
    g = torch.tensor([[3.0, -4.0], [0.0, 0.0], [1e-300, -1e-300], [1e300, 1e300]], dtype=F64, device=device)
    d = adv.fgm_perturbation(g, 0.5)
    assert d.device.type == device.type and torch.isfinite(d).all()
    norms = torch.sqrt((d * d).sum(1))
    torch.testing.assert_close(norms, torch.tensor([0.5, 0.0, 0.5, 0.5], dtype=F64, device=device))
    torch.testing.assert_close(d[0], torch.tensor([0.3, -0.4], dtype=F64, device=device))  # ε g/‖g‖ by hand
    torch.testing.assert_close(
        adv.fgm_perturbation(g, 0.5, norm="sign")[0], torch.tensor([0.5, -0.5], dtype=F64, device=device)
    )
    torch.testing.assert_close(adv.fgm_perturbation(g[:1], 0.5, norm="none"), 0.5 * g[:1])
    # a 1-d gradient is one sample: one norm over all of it
    one = adv.fgm_perturbation(torch.tensor([3.0, 0.0, 4.0], dtype=F64), 2.0)
    torch.testing.assert_close(one, torch.tensor([1.2, 0.0, 1.6], dtype=F64))
    # samples of higher rank: one norm per sample over its other dimensions
    cube = torch.randn(3, 2, 4, dtype=F64, generator=torch.Generator().manual_seed(0))
    out = adv.fgm_perturbation(cube, 0.1)
    torch.testing.assert_close(out.flatten(1).norm(dim=1), torch.full((3,), 0.1, dtype=F64))


def test_zero_gradient_gives_zero_and_finite_backward():
    g = torch.zeros(2, 3, dtype=F64, requires_grad=True)
    d = adv.fgm_perturbation(g, 1.0)
    assert bool((d == 0).all())
    (grad,) = torch.autograd.grad(d.sum(), g)
    assert torch.isfinite(grad).all()


def test_fgm_maximises_the_linearised_loss_over_the_ball():
    """<g, Δx> over ‖Δx‖₂ ≤ ε is largest at ε g/‖g‖ (Cauchy–Schwarz), over ‖Δx‖∞ ≤ ε at ε sign(g)."""
    gen = torch.Generator().manual_seed(1)
    g = torch.randn(5, dtype=F64, generator=gen)
    best = float(g @ adv.fgm_perturbation(g, 0.3))
    best_inf = float(g @ adv.fgm_perturbation(g, 0.3, norm="sign"))
    u = torch.randn(20_000, 5, dtype=F64, generator=gen)
    assert float((u / u.norm(dim=1, keepdim=True) * 0.3 @ g).max()) <= best + 1e-12
    assert best == pytest.approx(0.3 * float(g.norm()), rel=1e-12)
    box = 0.3 * (2 * torch.rand(20_000, 5, dtype=F64, generator=gen) - 1)
    assert float((box @ g).max()) <= best_inf + 1e-12


# ---------------------------------------------------------------- per-sample input gradients
def test_input_gradient_is_per_sample(device):
    x, y = toy(device=device)
    model = net().to(device)
    g = adv.input_gradient(model, x, y)
    assert g.shape == x.shape and g.device.type == device.type
    for i in (0, 7, 31):  # each sample alone
        xi = x[i : i + 1].clone().requires_grad_(True)
        (gi,) = torch.autograd.grad(F.cross_entropy(model(xi), y[i : i + 1]), xi)
        torch.testing.assert_close(g[i], gi[0])


def test_input_gradient_against_finite_differences():
    x, y = toy(n=6)
    model = net()
    g = adv.input_gradient(model, x, y)
    h = 1e-6
    for j in range(2):
        e = torch.zeros_like(x)
        e[:, j] = h
        fd = (adv.per_sample_losses(model, x + e, y) - adv.per_sample_losses(model, x - e, y)) / (2 * h)
        torch.testing.assert_close(g[:, j], fd.detach(), rtol=1e-7, atol=1e-9)


def test_penalty_matches_the_hand_derived_logistic_gradient():
    """Linear logits (0, f): ∇_x L_i = −y±_i σ(−y±_i f_i) w, so ‖∇_x L_i‖ = σ(−y±_i f_i)‖w‖."""
    x, y = toy(n=30)
    w, b = torch.tensor([0.7, -1.3], dtype=F64), 0.2
    ypm = 2 * y.to(F64) - 1
    f = x @ w + b
    s = torch.sigmoid(-ypm * f)
    L = F.softplus(-ypm * f)
    for eps in (0.0, 0.3, 2.0):
        want = (L + eps * s * w.norm()).mean()
        got = adv.gradient_penalty_loss(linear_model(w, b), x, y, eps)
        assert got.item() == pytest.approx(want.item(), rel=1e-13)
        want_sq = (L + eps / 2 * (s * w.norm()) ** 2).mean()
        got_sq = adv.gradient_penalty_loss(linear_model(w, b), x, y, eps, squared=True)
        assert got_sq.item() == pytest.approx(want_sq.item(), rel=1e-13)


def test_penalty_theta_gradient_against_finite_differences():
    x, y = toy(n=12)
    model = net()
    params = list(model.parameters())
    for squared in (False, True):
        grad = flat_grad(adv.gradient_penalty_loss(model, x, y, 0.4, squared=squared), params)
        flat = torch.nn.utils.parameters_to_vector(params).detach()
        rng = np.random.default_rng(0)
        for k in rng.choice(flat.numel(), 6, replace=False):
            vals = []
            for h in (1e-6, -1e-6):
                bumped = flat.clone()
                bumped[k] += h
                torch.nn.utils.vector_to_parameters(bumped, params)
                vals.append(float(adv.gradient_penalty_loss(model, x, y, 0.4, squared=squared)))
            torch.nn.utils.vector_to_parameters(flat, params)
            assert grad[k].item() == pytest.approx((vals[0] - vals[1]) / 2e-6, rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------- the first-order equivalence
@pytest.mark.parametrize("squared", [False, True])
def test_fgm_theta_gradient_matches_the_penalty_to_order_eps_squared(squared):
    x, y = toy(n=25)
    model = net()
    params = list(model.parameters())
    gaps = []
    for eps in (1e-2, 1e-3, 1e-4):
        fgm = flat_grad(adv.fgm_loss(model, x, y, eps, norm="none" if squared else "l2"), params)
        pen = flat_grad(adv.gradient_penalty_loss(model, x, y, eps, squared=squared), params)
        gaps.append(float((fgm - pen).norm()))
        assert adv.expansion_gap(model, x, y, eps, squared=squared) == pytest.approx(gaps[-1], rel=1e-9)
    slopes = np.diff(np.log10(gaps)) / np.diff(np.log10([1e-2, 1e-3, 1e-4]))
    assert slopes == pytest.approx([2.0, 2.0], abs=0.02)
    # and the first-order term is really there: FGM's gradient is not the plain one
    plain = flat_grad(F.cross_entropy(model(x), y), params)
    fgm = flat_grad(adv.fgm_loss(model, x, y, 1e-4, norm="none" if squared else "l2"), params)
    assert float((fgm - plain).norm()) > 50 * gaps[-1]


def test_fgm_loss_holds_the_perturbation_fixed():
    """The θ-gradient of fgm_loss equals that of L at the shifted (constant) inputs."""
    x, y = toy(n=10)
    model = net()
    params = list(model.parameters())
    delta = adv.fgm_perturbation(adv.input_gradient(model, x, y), 0.2).detach()
    want = flat_grad(F.cross_entropy(model(x + delta), y), params)
    torch.testing.assert_close(flat_grad(adv.fgm_loss(model, x, y, 0.2), params), want)


@pytest.mark.parametrize("norm", ["l2", "sign"])
def test_fgm_loss_on_a_linear_model_is_the_robust_loss(norm):
    """On a linear model FGM finds the exact worst case: fgm_loss = robust_logistic_loss."""
    x, y = toy(n=50, d=3)
    w, b = torch.tensor([0.5, -2.0, 1.1], dtype=F64), -0.3
    for eps in (0.0, 0.1, 0.7):
        got = adv.fgm_loss(linear_model(w, b), x, y, eps, norm=norm)
        want = adv.robust_logistic_loss(w, b, x, 2 * y - 1, eps, norm=norm)
        assert float(got) == pytest.approx(float(want), rel=1e-12)


# ---------------------------------------------------------------- the linear case
X9 = adv.linear._X
Y9 = adv.linear._Y


def _scipy_fit(X, y, eps, norm):
    X, y = np.asarray(X, float), np.asarray(y, float)

    def f(z):
        w, b = z[:-1], z[-1]
        n = np.linalg.norm(w) if norm == "l2" else np.abs(w).sum()
        return np.logaddexp(0, eps * n - y * (X @ w + b)).mean()

    best = None
    for start in ([1.0, 1.0, 0.0], [0.3, -0.2, 0.1], [-1.0, 2.0, -0.5]):
        r = optimize.minimize(
            f, start, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40_000}
        )
        best = r if best is None or r.fun < best.fun else best
    return best.x, best.fun


@pytest.mark.parametrize("norm", ["l2", "sign"])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3, 0.45])
def test_fit_against_scipy(norm, eps):
    w, b = adv.robust_logistic_fit(X9, Y9, eps, norm=norm)
    assert w.dtype == F64 and b.dtype == F64
    z, fun = _scipy_fit(X9, Y9, eps, norm)
    ours = float(adv.robust_logistic_loss(w, b, X9, Y9, eps, norm=norm))
    assert ours <= fun + 1e-12  # no worse than scipy's best
    assert ours == pytest.approx(fun, abs=1e-10)
    np.testing.assert_allclose(np.r_[w.numpy(), b.item()], z, atol=2e-5)


def test_l2_fit_is_stationary_to_float64_precision():
    w, b = adv.robust_logistic_fit(X9, Y9, 0.3)
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = adv.robust_logistic_loss(w, b, X9, Y9, 0.3)
    gw, gb = torch.autograd.grad(loss, (w, b))
    assert float(gw.abs().max()) < 1e-13 and abs(float(gb)) < 1e-13


@pytest.mark.parametrize("norm", ["l2", "sign"])
def test_collapse_eps_separates_the_fits_on_either_side(norm):
    crit = adv.robust_collapse_eps(X9, Y9, norm=norm)
    X, y = np.asarray(X9), np.asarray(Y9)
    diff = X[y == 1].mean(0) - X[y == -1].mean(0)
    assert crit == pytest.approx(0.5 * np.linalg.norm(diff, 2 if norm == "l2" else np.inf), rel=1e-14)
    below, _ = adv.robust_logistic_fit(X9, Y9, crit * (1 - 1e-3), norm=norm)
    assert float(below.abs().max()) > 0
    w, b = adv.robust_logistic_fit(X9, Y9, crit, norm=norm)
    assert bool((w == 0).all()) and float(b) == math.log(5 / 4)
    # scipy on either side: below, it finds a loss under the constant predictor's; above, it cannot
    const = float(adv.robust_logistic_loss(torch.zeros(2), math.log(5 / 4), X9, Y9, 0.0))
    _, under = _scipy_fit(X9, Y9, crit * 0.95, norm)
    _, over = _scipy_fit(X9, Y9, crit * 1.05, norm)
    assert under < const - 1e-5 and over >= const - 1e-12


def test_robust_loss_is_softplus_of_distance_times_norm():
    """softplus(‖w‖(ε − d)), d = y f/‖w‖ the signed distance to the boundary."""
    X, y = torch.tensor(X9, dtype=F64), torch.tensor(Y9, dtype=F64)
    w, b = torch.tensor([0.8, -0.5], dtype=F64), 0.1
    d = y * (X @ w + b) / w.norm()
    want = F.softplus(w.norm() * (0.25 - d)).mean()
    assert float(adv.robust_logistic_loss(w, b, X, y, 0.25)) == pytest.approx(float(want), rel=1e-14)


# ---------------------------------------------------------------- training and attacks
def test_attack_on_a_linear_model_flips_exactly_the_points_within_eps():
    """l2 FGM on a linear model: a sample stays right iff its signed distance d exceeds ε."""
    x, y = toy(n=200, seed=4)
    w, b = torch.tensor([1.5, 0.4], dtype=F64), 0.1
    d = (2 * y.to(F64) - 1) * (x @ w + b) / w.norm()
    for eps in (0.0, 0.2, 0.5):
        assert adv.attacked_accuracy(linear_model(w, b), x, y, eps) == pytest.approx(float((d > eps).double().mean()))


def test_training_methods_do_what_they_say(device):
    g = torch.Generator(device=device).manual_seed(0)
    x, y = adv.two_moons(200, generator=g, device=device)
    runs = {
        m: adv.train_classifier(
            x, y, method=m, eps=0.1, steps=200, generator=torch.Generator(device=device).manual_seed(1)
        )
        for m in adv.METHODS
    }
    assert all(r.model[0].weight.device.type == device.type for r in runs.values())
    attacked = {m: adv.attacked_accuracy(r.model, x, y, 0.2) for m, r in runs.items()}
    assert attacked["penalty"] > attacked["plain"] and attacked["fgm"] > attacked["plain"]
    assert all(r.seconds_per_step > 0 and torch.isfinite(r.losses).all() for r in runs.values())
    assert runs["plain"].losses[-1] < runs["plain"].losses[0]


def test_data_shapes_and_labels(device):
    g = torch.Generator(device=device).manual_seed(0)
    x, y = adv.gaussian_classes(1000, separation=2.0, generator=g, device=device)
    assert x.shape == (1000, 1) and set(y.tolist()) == {0, 1}
    gap = float(x[y == 1, 0].mean() - x[y == 0, 0].mean())
    assert gap == pytest.approx(2.0, abs=4 * math.sqrt(2 / 500))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: adv.fgm_perturbation([1.0], -0.1), "eps"),
        (lambda: adv.fgm_perturbation([1.0], 0.1, norm="l1"), "norm"),
        (lambda: adv.robust_logistic_loss([1.0, 0.0], 0.0, X9, [2] + Y9[1:], 0.1), "y"),
        (lambda: adv.robust_logistic_fit(X9, [1] * 9, 0.1), "y"),
        (lambda: adv.robust_collapse_eps(X9, [-1] * 9), "y"),
        (lambda: adv.robust_logistic_fit(X9, Y9, 0.1, norm="none"), "norm"),
        (lambda: adv.gradient_penalty_loss(net(), *toy(4), -1.0), "eps"),
        (lambda: adv.fgm_loss(net(), toy(4)[0], torch.tensor([0, 1, 2, 0]), 0.1), "y"),
        (lambda: adv.fgm_loss(net(), toy(4)[0], torch.tensor([0.0, 1.5, 1.0, 0.0]), 0.1), "y"),
        (lambda: adv.train_classifier(*toy(4), method="pgd"), "method"),
        (lambda: adv.train_classifier(*toy(4), lr=0.0), "lr"),
        (lambda: adv.train_classifier(*toy(4), steps=-1), "steps"),
        (lambda: adv.input_gradient("not a model", *toy(4)), "model"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_separable_data_have_no_finite_fit():
    X = [[-2.0, 0.0], [-1.5, 0.3], [1.5, 0.1], [2.0, -0.2]]
    with pytest.raises(ValueError, match="separable"):
        adv.robust_logistic_fit(X, [-1, -1, 1, 1], 0.1)


def test_step_seconds_times_every_method_and_leaves_no_gradient():
    x, y = toy(n=30)
    model = net()
    times = adv.step_seconds(model, x, y, repeats=3)
    assert set(times) == set(adv.METHODS) and all(t > 0 for t in times.values())
    assert all(p.grad is None for p in model.parameters())
