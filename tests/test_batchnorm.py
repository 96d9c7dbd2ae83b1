"""Batch normalisation and the loss landscape: every formula against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd.functional import hessian

from theory_lib import batchnorm as bnm

f64 = torch.float64


def problem(seed=0, n=60, d=3, mean=2.0, device="cpu"):
    """A least-squares problem with uncentered, unequally scaled inputs."""
    g = torch.Generator(device=device).manual_seed(seed)
    x = mean + torch.randn(n, d, generator=g, dtype=f64, device=device) * torch.linspace(0.5, 2.0, d, dtype=f64, device=device)
    y = x @ torch.linspace(1.0, -1.0, d, dtype=f64, device=device) + 0.3 * torch.randn(n, generator=g, dtype=f64, device=device)
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


# ------------------------------------------------------------------ the landscape probe
def _unflatten(theta, d, hidden, bn):
    """θ flattened in the documented order -> the list of tensors, for nn modules built here."""
    out, i = [], 0
    for kind, shape, *_ in bnm._layer_shapes(d, hidden, bn):
        size = math.prod(shape)
        out.append(theta[i : i + size].reshape(shape))
        i += size
    assert i == theta.numel()
    return out


def _torch_mlp(d, hidden, bn, tensors):
    """The same network from torch.nn modules (nn.BatchNorm1d in training mode)."""
    it, layers, widths = iter(tensors), [], [d, *hidden, 1]
    for i, (fi, fo) in enumerate(zip(widths[:-1], widths[1:])):
        last = i == len(widths) - 2
        if bn == "before":
            norm = torch.nn.BatchNorm1d(fi, dtype=f64, track_running_stats=False)
            norm.weight.data, norm.bias.data = next(it).clone(), next(it).clone()
            layers.append(norm)
        lin = torch.nn.Linear(fi, fo, dtype=f64)
        lin.weight.data, lin.bias.data = next(it).clone(), next(it).clone()
        layers.append(lin)
        if not last:
            if bn == "after":
                norm = torch.nn.BatchNorm1d(fo, dtype=f64, track_running_stats=False)
                norm.weight.data, norm.bias.data = next(it).clone(), next(it).clone()
                layers.append(norm)
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("bn", ["none", "after", "before"])
def test_probe_network_matches_torch_nn(bn):
    """Full-batch steps: the probe's loss, SGD step and probe measures against nn.Sequential + autograd."""
    x, y = bnm.teacher_task(48, 4, mean=1.0, scale_spread=2.0, generator=torch.Generator().manual_seed(14), dtype=f64)
    hidden, lr = (6, 5), 0.05
    r = bnm.landscape_probe(x, y, hidden=hidden, bn=bn, lr=lr, steps=3, batch_size=48, probe_scales=(0.5, 2.0),
                            keep_params=True)
    for k in range(3):
        net = _torch_mlp(4, hidden, bn, _unflatten(r.params[k], 4, hidden, bn))
        loss = ((net(x)[:, 0] - y) ** 2).mean() / 2
        grads = torch.autograd.grad(loss, list(net.parameters()))
        g = torch.cat([gi.reshape(-1) for gi in grads])
        assert r.train_loss[k].item() == pytest.approx(loss.item(), rel=1e-10)
        assert r.full_loss[k].item() == pytest.approx(loss.item(), rel=1e-10)  # full batch
        assert r.grad_norm[k].item() == pytest.approx(g.norm().item(), rel=1e-10)
        torch.testing.assert_close(r.params[k + 1], r.params[k] - lr * g, rtol=1e-10, atol=1e-12)
        for j, eta in enumerate(r.step_sizes.tolist()):
            moved = _torch_mlp(4, hidden, bn, _unflatten(r.params[k] - eta * g, 4, hidden, bn))
            lj = ((moved(x)[:, 0] - y) ** 2).mean() / 2
            gj = torch.cat([t.reshape(-1) for t in torch.autograd.grad(lj, list(moved.parameters()))])
            assert r.probe_loss[k, j].item() == pytest.approx(lj.item(), rel=1e-10)
            assert r.grad_change[k, j].item() == pytest.approx((gj - g).norm().item(), rel=1e-8)


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


@pytest.mark.parametrize("bn", ["after", "before"])
def test_batch_norm_makes_training_blind_to_the_input_mean(bn):
    """BN(W(x + c) + b) = BN(Wx + b) and BN(x + c) = BN(x): a shifted input trains identically."""
    kw = dict(hidden=(8, 8), bn=bn, lr=0.05, steps=15, batch_size=16)
    runs = []
    for mean in (0.0, 3.0, -2.0):
        x, y = bnm.teacher_task(64, 4, mean=mean, generator=torch.Generator().manual_seed(16), dtype=f64)
        runs.append(bnm.landscape_probe(x, y, **kw))
    for r in runs[1:]:
        torch.testing.assert_close(r.train_loss, runs[0].train_loss, rtol=1e-7, atol=1e-9)
        torch.testing.assert_close(r.beta_smoothness, runs[0].beta_smoothness, rtol=1e-6, atol=1e-9)
    # without BN the mean matters
    x0, y0 = bnm.teacher_task(64, 4, mean=0.0, generator=torch.Generator().manual_seed(16), dtype=f64)
    x3, y3 = bnm.teacher_task(64, 4, mean=3.0, generator=torch.Generator().manual_seed(16), dtype=f64)
    kw["bn"] = "none"
    a, b = bnm.landscape_probe(x0, y0, **kw), bnm.landscape_probe(x3, y3, **kw)
    assert (a.train_loss - b.train_loss).abs().max() > 1e-2


def test_probe_is_deterministic_and_runs_on_the_device(device):
    x, y = bnm.teacher_task(96, 4, mean=2.0, generator=torch.Generator(device=device).manual_seed(17), device=device)
    kw = dict(hidden=(8,), bn="after", lr=0.05, steps=12, batch_size=16, probe_every=3, seed=5)
    a, b = bnm.landscape_probe(x, y, **kw), bnm.landscape_probe(x, y, **kw)
    assert torch.equal(a.train_loss, b.train_loss) and torch.equal(a.grad_change, b.grad_change)
    assert a.step.tolist() == [0, 3, 6, 9]
    assert a.probe_loss.shape == (4, 4) and a.train_loss.shape == (12,)
    assert torch.isfinite(a.beta_smoothness).all() and a.diverged_at == -1
    c = bnm.landscape_probe(x, y, **{**kw, "seed": 6})
    assert not torch.equal(a.train_loss, c.train_loss)


def test_probe_reports_a_divergence_and_keeps_the_finite_prefix():
    x, y = bnm.teacher_task(64, 4, mean=5.0, generator=torch.Generator().manual_seed(18))
    r = bnm.landscape_probe(x, y, hidden=(16, 16), lr=5.0, steps=60, batch_size=32)
    assert 0 < r.diverged_at < 60
    assert torch.isfinite(r.train_loss[: r.diverged_at]).all()
    assert torch.isnan(r.train_loss[r.diverged_at :]).all()
    assert torch.isnan(r.full_loss[r.step >= r.diverged_at]).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_batch_norm_smooths_the_landscape_of_the_default_task(seed):
    """Santurkar et al.'s claims on this task (fixed seeds): at a small rate BN lowers the gradient change
    and the effective β-smoothness (several-fold on average, less in the median, which skips the early
    transient); at three times that rate the plain net diverges and the BN net trains."""
    x, y = bnm.teacher_task(256, 8, mean=3.0, scale_spread=3.0, generator=torch.Generator().manual_seed(seed))
    kw = dict(hidden=(32, 32), steps=60, batch_size=64, probe_every=2)
    none = bnm.landscape_probe(x, y, bn="none", lr=0.01, **kw)
    after = bnm.landscape_probe(x, y, bn="after", lr=0.01, **kw)
    assert none.diverged_at == after.diverged_at == -1
    assert after.beta_smoothness.mean() < 0.33 * none.beta_smoothness.mean()
    assert after.beta_smoothness.median() < 0.8 * none.beta_smoothness.median()
    assert after.gradient_predictiveness.median() < 0.75 * none.gradient_predictiveness.median()
    fast_none = bnm.landscape_probe(x, y, bn="none", lr=0.03, **kw)
    fast_after = bnm.landscape_probe(x, y, bn="after", lr=0.03, **kw)
    assert fast_none.diverged_at >= 0 and fast_after.diverged_at == -1
    assert fast_after.full_loss[-1] < after.full_loss[-1]  # the larger rate BN allows pays off


# ------------------------------------------------------------------ bad input
def test_one_thread_restores_the_setting():
    before = torch.get_num_threads()
    with bnm.one_thread("cpu"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


X = torch.randn(10, 2, dtype=f64)
Y = torch.randn(10, dtype=f64)


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


# ------------------------------------------------------------------ lesson 06's figures show the truth
def test_batch_size_verdict_is_computed_from_the_losses():
    from theory_lib.figures.batchnorm import batch_size_verdict

    nan = float("nan")
    # lesson 06 at η = 0.01: BN after loses to no BN at batch 64 too, so batch 2 cannot show the claim
    assert batch_size_verdict(0.268, 0.278, 0.127, 0.135).startswith("not testable")
    assert batch_size_verdict(0.30, 0.40, 0.375, 0.0845).startswith("supports")
    assert batch_size_verdict(nan, 0.36, 0.375, 0.0845).startswith("does not support")  # no BN diverged at 2
    assert batch_size_verdict(0.2, nan, 0.375, 0.0845).startswith("supports")  # BN diverged at 2
    assert batch_size_verdict(0.2, 0.1, nan, nan).startswith("not testable")


def test_least_squares_figure_axes_fit_the_data_and_label_the_standardized_weights():
    from theory_lib.figures.batchnorm import LeastSquaresBNFigure

    fig = LeastSquaresBNFigure(offscreen=True)
    try:
        assert "v_1" in fig.ax_land[2].get_xlabel() and "v_2" in fig.ax_land[2].get_ylabel()
        assert "w_1" in fig.ax_land[0].get_xlabel()
        assert fig.ax_loss.get_xlim() == (0, 50)  # 30 steps on a 1-2-5 bracket, not the slider's 100
        lo, hi = fig.ax_loss.get_ylim()
        drawn = np.concatenate([c.get_ydata() for c in fig.curves])
        assert lo <= drawn.min() and drawn.max() <= hi and hi / drawn.max() < 1e3 and drawn.min() / lo < 1e3
        styles = {c.get_linestyle() for c in fig.curves}
        assert len(styles) == 3
    finally:
        fig.close()


def test_least_squares_figure_shows_divergence_and_steps_still_matter():
    """At η = 3 every run diverges at once: each path ends on its panel's edge with a mark, the
    loss panel draws each curve up to where it passes the top, and the steps change what is said."""
    from theory_lib.figures.batchnorm import LeastSquaresBNFigure

    fig = LeastSquaresBNFigure(offscreen=True, lr=3.0)
    try:
        for ax, path, mark in zip(fig.ax_land, fig.paths, fig.exits):
            r = ax.get_xlim()[1]
            x, y = mark.get_data()
            assert len(x) == 1 and max(abs(x[0]), abs(y[0])) == pytest.approx(r)
            assert np.abs(np.asarray(path.get_xydata())).max() <= r * (1 + 1e-9)
        for curve, mark in zip(fig.curves, fig.curve_exits):
            assert len(curve.get_xdata()) >= 2  # a visible line, not an empty panel
            assert len(mark.get_xdata()) == 1 and mark.get_ydata()[0] == fig.ax_loss.get_ylim()[1]
        assert fig.readout.count("diverges") == 3
        before = fig.readout
        fig.update(steps=60)
        assert fig.readout != before and "After 60 steps" in fig.readout
    finally:
        fig.close()


def test_landscape_figure_limits_follow_what_is_drawn():
    """At η = 0.3 the plain net diverges at step 4: one probed point, no line; the limits follow
    the BN curves, and the divergence is marked on the top edge."""
    from theory_lib.figures.batchnorm import LandscapeBNFigure, probe_run

    fig = LandscapeBNFigure(offscreen=True, lr=0.3)
    try:
        none = probe_run("none", 0.3, 64, 3.0)
        assert none.diverged_at >= 0
        for ax, pairs, marks, key in zip(fig.axes, fig.lines, fig.div_marks, fig.KEYS):
            (raw_none, _), (raw_bn, _) = pairs
            assert len(raw_none.get_xdata()) == 0
            bn = np.asarray(raw_bn.get_ydata())
            lo, hi = ax.get_ylim()
            assert hi / bn.max() <= 10 and bn.min() / lo <= 10, f"{key}: limits do not follow the BN curve"
            assert list(marks[0].get_xdata()) == [none.diverged_at] and marks[0].get_ydata()[0] == hi
        assert LandscapeBNFigure.controls["batch_size"].reachable(16)
        assert "BN trains" in fig.readout
    finally:
        fig.close()


def test_landscape_figure_readout_says_bn_loses_at_the_default():
    from theory_lib.figures.batchnorm import LandscapeBNFigure, probe_run

    fig = LandscapeBNFigure(offscreen=True)
    try:
        none, bn = probe_run("none", 0.01, 64, 3.0), probe_run("after", 0.01, 64, 3.0)
        a, b = none.full_loss[-1].item(), bn.full_loss[-1].item()
        assert ("does not help" in fig.readout) == (b >= a)
    finally:
        fig.close()
