"""Batch normalisation and the loss landscape: every formula against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.autograd.functional import hessian

from theory_lib import batchnorm as bnm

f64 = torch.float64


def problem(seed=0, n=60, d=3, mean=2.0, device="cpu"):
    """A least-squares problem with uncentered, unequally scaled inputs."""
    g = torch.Generator(device=device).manual_seed(seed)
    x = mean + torch.randn(n, d, generator=g, dtype=f64, device=device) * torch.linspace(
        0.5, 2.0, d, dtype=f64, device=device
    )
    y = x @ torch.linspace(1.0, -1.0, d, dtype=f64, device=device) + 0.3 * torch.randn(
        n, generator=g, dtype=f64, device=device
    )
    return x, y


# ------------------------------------------------------------------ L = λ_max(E[xxᵀ])
def test_lipschitz_is_the_top_eigenvalue_of_the_autograd_hessian(device):
    x, y = problem(device=device)
    w = torch.randn(3, dtype=f64, device=device)
    H = hessian(lambda v: ((x @ v - y) ** 2).mean() / 2, w)  # autograd, not xᵀx/N
    torch.testing.assert_close(bnm.second_moment(x), H, rtol=1e-12, atol=1e-12)
    top = np.linalg.eigvalsh(H.cpu().numpy())[-1]
    L = bnm.gradient_lipschitz(x)
    assert L.device.type == device.type
    assert L.item() == pytest.approx(top, rel=1e-12)
    assert bnm.max_stable_lr(x).item() == pytest.approx(2 / top, rel=1e-12)


def test_lipschitz_constant_is_attained_and_never_exceeded():
    """‖∇f(w) - ∇f(v)‖ <= L‖w - v‖ for random pairs, with equality along the top eigenvector."""
    x, y = problem(seed=1)
    L = bnm.gradient_lipschitz(x).item()

    def grad(w):
        w = w.clone().requires_grad_()
        (g,) = torch.autograd.grad(((x @ w - y) ** 2).mean() / 2, w)
        return g

    gen = torch.Generator().manual_seed(2)
    ratios = []
    for _ in range(200):
        w, v = torch.randn(2, 3, generator=gen, dtype=f64)
        ratios.append(((grad(w) - grad(v)).norm() / (w - v).norm()).item())
    assert max(ratios) <= L * (1 + 1e-12)
    top = torch.linalg.eigh(bnm.second_moment(x))[1][:, -1]
    w = torch.randn(3, generator=gen, dtype=f64)
    assert ((grad(w + 0.7 * top) - grad(w)).norm() / 0.7).item() == pytest.approx(L, rel=1e-10)


@pytest.mark.parametrize("normalize", [None, "center", "standardize"])
def test_gradient_descent_threshold_is_exactly_two_over_L(normalize):
    x, y = problem(seed=3, mean=1.5)
    xn, _ = bnm.normalize_inputs(x, y, normalize)
    L = bnm.gradient_lipschitz(xn).item()
    below = bnm.gradient_descent(x, y, 0.99 * 2 / L, 3000, normalize=normalize)
    above = bnm.gradient_descent(x, y, 1.01 * 2 / L, 3000, normalize=normalize)
    assert below.lipschitz.item() == pytest.approx(L, rel=1e-12)
    gap0 = (below.losses[0] - below.min_loss).item()
    # below: the top mode shrinks by 0.98 a step (0.98^6000 ~ 1e-53 on the loss gap); above: grows by 1.02
    assert (below.losses[-1] - below.min_loss).item() < 1e-10 * gap0
    assert (above.losses[-1] - above.min_loss).item() > 1e10 * gap0


def test_closed_form_path_replays_the_plain_loop():
    """The spectral closed form against w <- w - η ∇f(w) with the gradient from autograd."""
    x, y = problem(seed=4)
    for normalize in (None, "center", "standardize"):
        xn, yn = bnm.normalize_inputs(x, y, normalize)
        lr = 0.9 * bnm.max_stable_lr(xn).item()
        run = bnm.gradient_descent(x, y, lr, 40, normalize=normalize, w0=torch.tensor([0.3, -1.0, 2.0], dtype=f64))
        w = torch.tensor([0.3, -1.0, 2.0], dtype=f64)
        for k in range(41):
            torch.testing.assert_close(run.path[k], w, rtol=1e-9, atol=1e-11)
            wg = w.clone().requires_grad_()
            loss = ((xn @ wg - yn) ** 2).mean() / 2
            (g,) = torch.autograd.grad(loss, wg)
            assert run.losses[k].item() == pytest.approx(loss.item(), rel=1e-9, abs=1e-13)
            assert run.grad_norm_sq[k].item() == pytest.approx(g.pow(2).sum().item(), rel=1e-8, abs=1e-13)
            w = w - lr * g
        # the optimum solves the normal equations, and the minimum is below every iterate
        torch.testing.assert_close(bnm.second_moment(xn) @ run.optimum, xn.T @ yn / len(yn), rtol=1e-10, atol=1e-12)
        assert (run.losses >= run.min_loss - 1e-12).all()


def test_optimum_is_min_norm_for_a_singular_hessian():
    """Duplicated column: M is singular; the path must still converge to pinv(M) E[xy]."""
    x, y = problem(seed=5, d=2)
    x = torch.cat([x, x[:, :1]], dim=1)  # (n, 3), rank 2
    run = bnm.gradient_descent(x, y, 0.5 * bnm.max_stable_lr(x).item(), 4000)
    ref = torch.linalg.lstsq(x, y[:, None], driver="gelsd").solution[:, 0]  # min-norm least squares
    torch.testing.assert_close(run.optimum, ref, rtol=1e-8, atol=1e-9)
    torch.testing.assert_close(run.path[-1], ref, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ the descent lemma
@pytest.mark.parametrize("factor", [0.2, 0.5, 1.0, 1.5, 1.9, 2.3])
def test_descent_bound_holds_on_every_step(factor):
    x, y = problem(seed=6)
    L = bnm.gradient_lipschitz(x).item()
    lr = factor / L
    run = bnm.gradient_descent(x, y, lr, 60)
    change = run.losses[1:] - run.losses[:-1]
    bound = bnm.descent_bound(run.lipschitz, lr, run.grad_norm_sq[:-1])
    scale = run.losses.abs().max()
    assert (change <= bound + 1e-12 * scale).all()
    if factor < 2:
        assert (bound <= 0).all()


def test_descent_bound_is_attained_along_the_top_eigenvector():
    x, y = problem(seed=7)
    run0 = bnm.gradient_descent(x, y, 0.1, 0)
    top = torch.linalg.eigh(bnm.second_moment(x))[1][:, -1]
    L = bnm.gradient_lipschitz(x).item()
    for lr in (0.3 / L, 1.0 / L, 1.7 / L):
        run = bnm.gradient_descent(x, y, lr, 1, w0=run0.optimum + 0.8 * top)
        change = (run.losses[1] - run.losses[0]).item()
        bound = bnm.descent_bound(L, lr, run.grad_norm_sq[0].item())
        assert change == pytest.approx(bound, rel=1e-9)


def test_descent_bound_best_rate_is_one_over_L():
    L, g2 = 3.7, 2.5
    grid = np.linspace(0.01, 2 / L, 2001)
    values = [bnm.descent_bound(L, lr, g2) for lr in grid]
    assert grid[int(np.argmin(values))] == pytest.approx(1 / L, abs=2 / L / 2000)
    assert min(values) == pytest.approx(-g2 / (2 * L), rel=1e-6)
    assert bnm.descent_bound(L, 2 / L, g2) == pytest.approx(0.0, abs=1e-12)
    assert isinstance(bnm.descent_bound(L, 0.1, g2), float)
    assert isinstance(bnm.descent_bound(torch.tensor(L), 0.1, torch.tensor([g2, 1.0])), torch.Tensor)


# ------------------------------------------------------------------ centering and scaling
@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    mean=st.lists(st.floats(-50, 50, allow_nan=False), min_size=6, max_size=6),
    log_scale=st.floats(-3, 3),
)
def test_centering_never_increases_L(n, d, seed, mean, log_scale):
    g = torch.Generator().manual_seed(seed)
    x = torch.tensor(mean[:d], dtype=f64) + 10**log_scale * torch.randn(n, d, generator=g, dtype=f64)
    xc, _ = bnm.normalize_inputs(x, None, "center")
    L, Lc = bnm.gradient_lipschitz(x).item(), bnm.gradient_lipschitz(xc).item()
    assert Lc <= L * (1 + 1e-10) + 1e-300
    # and the mean is the best shift: any other c gives E[(x-c)(x-c)ᵀ] = E[xcxcᵀ] + (μ-c)(μ-c)ᵀ
    c = torch.randn(d, generator=g, dtype=f64) * 10**log_scale
    Lshift = bnm.gradient_lipschitz(x - c).item()
    assert Lc <= Lshift * (1 + 1e-10) + 1e-300


def test_centering_identity_is_exact():
    x, _ = problem(seed=8)
    mu = x.mean(0)
    for c in (torch.zeros(3, dtype=f64), torch.tensor([1.0, -2.0, 0.5], dtype=f64)):
        lhs = bnm.second_moment(x - c)
        rhs = bnm.second_moment(x - mu) + torch.outer(mu - c, mu - c)
        torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=1e-12)


def test_standardize_matches_torch_batch_norm(device):
    x, y = problem(seed=9, device=device)
    for eps in (1e-12, 1e-5, 0.3):  # torch insists on eps > 0
        xs, ys = bnm.normalize_inputs(x, y, "standardize", eps=eps)
        ref = torch.nn.functional.batch_norm(x, None, None, training=True, eps=eps)
        torch.testing.assert_close(xs, ref, rtol=1e-10, atol=1e-12)
        assert abs(ys.mean().item()) < 1e-12
    xc, yc = bnm.normalize_inputs(x, y, "center")
    assert xc.mean(0).abs().max().item() < 1e-12 and abs(yc.mean().item()) < 1e-12
    xs, _ = bnm.normalize_inputs(x, y, "standardize")  # eps = 0: exactly unit variance
    torch.testing.assert_close(xs.std(0, unbiased=False), torch.ones(3, dtype=f64, device=device), rtol=1e-12, atol=0)
    x0, y0 = bnm.normalize_inputs(x, y, None)
    assert x0 is x and y0 is y


def test_standardizing_is_gradient_descent_with_per_coordinate_rates():
    """GD on (x-μ)/σ, mapped back by w = v/σ, is GD on x-μ with the rate η/σ_i² per coordinate."""
    x, y = problem(seed=10)
    sigma = x.std(0, unbiased=False)
    lr = 0.4
    run = bnm.gradient_descent(x, y, lr, 30, normalize="standardize")
    xc, yc = x - x.mean(0), y - y.mean()
    w = torch.zeros(3, dtype=f64)
    for k in range(31):
        torch.testing.assert_close(run.path[k] / sigma, w, rtol=1e-9, atol=1e-12)
        w = w - (lr / sigma**2) * (xc.T @ (xc @ w - yc) / len(y))


def test_centering_with_a_small_batch_mean_leaves_a_rank_one_excess():
    """Centering by a batch estimate μ_B: L(x - μ_B) <= L(x - μ) + ‖μ - μ_B‖², and E‖μ - μ_B‖² = tr Σ / B
    (sampling without replacement from the data set shrinks that by (N - B)/(N - 1))."""
    g = torch.Generator().manual_seed(11)
    n, trials = 400, 1000
    x = 4.0 + torch.randn(n, 3, generator=g, dtype=f64) * torch.tensor([1.0, 2.0, 0.5], dtype=f64)
    mu = x.mean(0)
    tr = x.var(0, unbiased=False).sum().item()
    Lc = bnm.gradient_lipschitz(x - mu).item()
    for B in (2, 8, 32):
        idx = torch.rand(trials, n, generator=g).argsort(dim=1)[:, :B]  # (trials, B) without replacement
        mb = x[idx].mean(1)  # (trials, 3) batch means
        d2 = (mu - mb).pow(2).sum(1)  # (trials,)
        xc = x[None] - mb[:, None]  # (trials, n, 3)
        LB = torch.linalg.eigvalsh(xc.transpose(1, 2) @ xc / n)[:, -1]  # λ_max of each E[(x-μ_B)(x-μ_B)ᵀ]
        assert (LB >= Lc - 1e-9).all() and (LB <= Lc + d2 + 1e-9).all()
        expected = tr / B * (n - B) / (n - 1)
        se = d2.std().item() / math.sqrt(trials)
        assert abs(d2.mean().item() - expected) < 5 * se
    assert bnm.gradient_lipschitz(x - mb[0]).item() == pytest.approx(LB[0].item(), rel=1e-10)


# ------------------------------------------------------------------ data
def test_linear_regression_data_moments(device):
    g = torch.Generator(device=device).manual_seed(12)
    n = 20_000
    x, y = bnm.linear_regression_data(n, (2.0, -1.0), (1.0, 3.0), (1.0, 0.5), noise=0.2, generator=g, device=device)
    assert x.shape == (n, 2) and y.shape == (n,) and x.device.type == device.type
    tol = 5 / math.sqrt(n)
    assert torch.allclose(x.mean(0), torch.tensor([2.0, -1.0], dtype=f64, device=device), atol=5 * 3.0 / math.sqrt(n))
    assert x.std(0)[1].item() / 3.0 == pytest.approx(1.0, abs=tol)
    resid = y - x @ torch.tensor([1.0, 0.5], dtype=f64, device=device)
    assert resid.std().item() == pytest.approx(0.2, rel=tol)
    g2 = torch.Generator(device=device).manual_seed(12)
    x2, _ = bnm.linear_regression_data(n, (2.0, -1.0), (1.0, 3.0), (1.0, 0.5), noise=0.2, generator=g2, device=device)
    assert torch.equal(x, x2)


def test_teacher_task_statistics():
    n, d = 20_000, 6
    x, y = bnm.teacher_task(n, d, mean=3.0, scale_spread=4.0, generator=torch.Generator().manual_seed(13), dtype=f64)
    assert x.shape == (n, d) and y.shape == (n,)
    assert abs(y.mean().item()) < 1e-10 and y.std().item() == pytest.approx(1.0, rel=1e-10)
    s = x.std(0)
    assert (s[-1] / s[0]).item() == pytest.approx(16.0, rel=0.05)  # scales from 1/4 to 4
    assert torch.allclose(x.mean(0), torch.full((d,), 3.0, dtype=f64), atol=5 * 4.0 / math.sqrt(n))


# ------------------------------------------------------------------ the probe on a linear model
def test_probe_of_a_linear_model_is_the_quadratic_theory():
    """No hidden layer, full batch: SGD is gradient descent on least squares with inputs [x, 1];
    the loss along the gradient is f - η‖g‖² + η² gᵀMg/2, and β_eff = ‖Mg‖/‖g‖ <= L."""
    x, y = problem(seed=15, n=80, d=3)
    xa = torch.cat([x, torch.ones(80, 1, dtype=f64)], dim=1)  # the bias as a constant input
    M, L = bnm.second_moment(xa), bnm.gradient_lipschitz(xa).item()
    lr = 0.5 / L
    r = bnm.landscape_probe(x, y, hidden=(), lr=lr, steps=25, batch_size=80, keep_params=True)
    run = bnm.gradient_descent(xa, y, lr, 25, w0=r.params[0])
    torch.testing.assert_close(r.params, run.path, rtol=1e-9, atol=1e-11)
    g = run.path[:-1] @ M - xa.T @ y / 80  # (25, 4) gradients
    gMg = (g @ M * g).sum(1)
    for j, eta in enumerate(r.step_sizes.tolist()):
        expected = run.losses[:-1] - eta * g.pow(2).sum(1) + eta**2 / 2 * gMg
        torch.testing.assert_close(r.probe_loss[:, j], expected, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(r.grad_change[:, j], eta * (g @ M).norm(dim=1), rtol=1e-9, atol=1e-12)
    beta = r.beta_smoothness
    torch.testing.assert_close(beta, (g @ M).norm(dim=1) / g.norm(dim=1), rtol=1e-9, atol=1e-12)
    assert (beta <= L * (1 + 1e-9)).all() and (beta >= torch.linalg.eigvalsh(M)[0] * (1 - 1e-9)).all()


# ------------------------------------------------------------------ bad input


X = torch.randn(10, 2, dtype=f64)
Y = torch.randn(10, dtype=f64)


def test_the_probe_restores_the_thread_setting():
    """The probe runs on one CPU thread (tiny tensors) and gives the setting back."""
    before = torch.get_num_threads()
    bnm.landscape_probe(X, Y, hidden=(4,), steps=2, batch_size=5)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bnm.second_moment(torch.ones(1, 3)), "x"),
        (lambda: bnm.second_moment(torch.ones(5)), "x"),
        (lambda: bnm.second_moment(torch.ones(4, 2, 2)), "x"),
        (lambda: bnm.gradient_lipschitz(torch.tensor([[1.0, float("nan")], [0.0, 1.0]])), "x"),
        (lambda: bnm.gradient_lipschitz(torch.ones(1, 2)), "x"),
        (lambda: bnm.max_stable_lr(torch.zeros(4, 2)), "x"),
        (lambda: bnm.max_stable_lr(torch.ones(1, 2)), "x"),
        (lambda: bnm.descent_bound(-1.0, 0.1, 1.0), "L"),
        (lambda: bnm.descent_bound(torch.tensor([-1.0]), 0.1, 1.0), "L"),
        (lambda: bnm.descent_bound(1.0, 0.0, 1.0), "lr"),
        (lambda: bnm.descent_bound(1.0, -0.1, 1.0), "lr"),
        (lambda: bnm.descent_bound(1.0, 0.1, -1.0), "grad_norm_sq"),
        (lambda: bnm.normalize_inputs(X, Y, "whiten"), "normalize"),
        (lambda: bnm.normalize_inputs(torch.ones(1, 2), None), "x"),
        (lambda: bnm.normalize_inputs(X, Y[:5]), "y"),
        (lambda: bnm.normalize_inputs(X, None, "standardize", eps=-1.0), "eps"),
        (lambda: bnm.normalize_inputs(torch.ones(5, 2, dtype=f64), None, "standardize"), "x"),
        (lambda: bnm.gradient_descent(X, Y, 0.0, 5), "lr"),
        (lambda: bnm.gradient_descent(X, Y, -0.1, 5), "lr"),
        (lambda: bnm.gradient_descent(X, Y, 0.1, -1), "steps"),
        (lambda: bnm.gradient_descent(X, Y, 0.1, 5, normalize="bn"), "normalize"),
        (lambda: bnm.gradient_descent(X, Y, 0.1, 5, w0=torch.ones(3)), "w0"),
        (lambda: bnm.gradient_descent(X[:1], Y[:1], 0.1, 5), "x"),
        (lambda: bnm.gradient_descent(X, torch.ones(10, 1), 0.1, 5), "y"),
        (lambda: bnm.linear_regression_data(1, 0.0, 1.0, (1.0,)), "n"),
        (lambda: bnm.linear_regression_data(5, 0.0, 0.0, (1.0,)), "scale"),
        (lambda: bnm.linear_regression_data(5, (0.0, 1.0, 2.0), 1.0, (1.0, 2.0)), "mean"),
        (lambda: bnm.linear_regression_data(5, 0.0, 1.0, (1.0,), noise=-1), "noise"),
        (lambda: bnm.linear_regression_data(5, 0.0, 1.0, [[1.0]]), "w_true"),
        (lambda: bnm.teacher_task(1), "n"),
        (lambda: bnm.teacher_task(10, 0), "d"),
        (lambda: bnm.teacher_task(10, 2, mean=float("inf")), "mean"),
        (lambda: bnm.teacher_task(10, 2, mean="3"), "mean"),
        (lambda: bnm.teacher_task(10, 2, scale_spread=0.5), "scale_spread"),
        (lambda: bnm.landscape_probe(X, Y, bn="middle"), "bn"),
        (lambda: bnm.landscape_probe(X, Y, lr=0.0), "lr"),
        (lambda: bnm.landscape_probe(X, Y, steps=0), "steps"),
        (lambda: bnm.landscape_probe(X, Y, batch_size=1), "batch_size"),
        (lambda: bnm.landscape_probe(X, Y, hidden=(4, 0)), "hidden"),
        (lambda: bnm.landscape_probe(X, Y, probe_scales=(1.0, -1.0)), "probe_scales"),
        (lambda: bnm.landscape_probe(X, Y, probe_every=0), "probe_every"),
        (lambda: bnm.landscape_probe(X[:1], Y[:1]), "x"),
        (lambda: bnm.landscape_probe(X, Y[:3]), "y"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()
