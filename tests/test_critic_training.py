"""W_1 and WGAN critics (theory_lib.critic.training): the dual LP against lesson 16's primal EMD and
scipy, the 1-D W_1 against scipy, the gradient penalty in closed form, GP and GN training, and the
cost of a step (GN's generator step stores more: its loss holds grad D)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

from theory_lib import critic as c, transport


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dual_lp_equals_the_primal_emd(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(6, 2)), rng.normal(loc=1.0, size=(5, 2))
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(5))
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    value, f = c.lipschitz_dual(x, p, y, q)
    assert value == pytest.approx(transport.emd(p, q, cost), rel=1e-9, abs=1e-10)
    pts = np.vstack([x, y])
    lip = np.abs(f.numpy()[:, None] - f.numpy()[None]) / (
        np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.eye(11)
    )
    assert lip.max() <= 1 + 1e-9  # the optimal f is 1-Lipschitz on the support
    assert float(p @ f.numpy()[:6] - q @ f.numpy()[6:]) == pytest.approx(value, rel=1e-9)


def test_dual_lp_and_the_1d_w1_against_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=7), rng.normal(loc=0.5, scale=2.0, size=11)
    want = scipy.stats.wasserstein_distance(a, b)
    assert c.wasserstein_1d(a, b).item() == pytest.approx(want, rel=1e-12)
    value, _ = c.lipschitz_dual(a[:, None], np.full(7, 1 / 7), b[:, None], np.full(11, 1 / 11))
    assert value == pytest.approx(want, rel=1e-9)


def test_wasserstein_1d_on_the_device_and_differentiable(device):
    a = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64, device=device, requires_grad=True)
    b = torch.tensor([0.5, 2.0], dtype=torch.float64, device=device)
    w = c.wasserstein_1d(a, b)
    assert w.device == a.device and w.item() == pytest.approx(scipy.stats.wasserstein_distance([0, 1, 3], [0.5, 2]))
    w.backward()
    assert torch.isfinite(a.grad).all()


def test_gradient_penalty_of_a_linear_critic():
    g = torch.tensor([[3.0], [4.0]], dtype=torch.float64)
    crit = lambda x: (x @ g).reshape(-1)  # noqa: E731  ||grad D|| = 5 everywhere: penalty (5 - 1)^2
    r, f = torch.randn(10, 2, dtype=torch.float64), torch.randn(10, 2, dtype=torch.float64)
    assert c.gradient_penalty(crit, r, f).item() == pytest.approx(16.0, rel=1e-12)
    net = c.relu_critic([2, 8, 1])
    c.gradient_penalty(net, r, f).backward()
    assert net[0].weight.grad is not None and bool(net[0].weight.grad.abs().sum() > 0)  # double backprop


def _samples():
    gen = torch.Generator().manual_seed(1)
    real = 0.5 * torch.randn(128, generator=gen, dtype=torch.float64) + 2
    fake = 0.5 * torch.randn(128, generator=gen, dtype=torch.float64)
    return real, fake


def test_gp_critic_approaches_w1_and_gn_stays_bounded():
    real, fake = _samples()
    w1 = c.wasserstein_1d(real, fake).item()
    gp = c.train_critic(real, fake, method="gp", steps=200)
    gn = c.train_critic(real, fake, method="gn", steps=200)
    assert gp.gaps.shape == (200,) and gn.gaps.shape == (200,)
    assert abs(gp.gaps[-20:].mean().item() - w1) < 0.2 * w1  # the soft constraint lands near W_1
    assert gn.gaps[-20:].mean().item() < min(2.0, w1)  # ICCV's D^ lies in [-1, 1]: its gap below 2
    assert gn.gaps[-1] > gn.gaps[0]
    again = c.train_critic(real, fake, method="gn", steps=200)
    assert torch.equal(again.gaps, gn.gaps)  # seeded: the same run twice


def test_gn_generator_step_stores_more_than_gp(device):
    gp = c.step_cost("gp", "generator", batch=128, repeats=2, device=device)
    gn = c.step_cost("gn", "generator", batch=128, repeats=2, device=device)
    assert gn["saved_bytes"] > 1.5 * gp["saved_bytes"] and gp["seconds"] > 0
    if device.type == "cuda":
        assert gn["peak_bytes"] > 0


def test_train_critic_refuses_samples_too_large_for_memory():
    big = torch.zeros(10**6, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"^real must ask for at most 512 MiB"):
        c.train_critic(big, big, widths=(1, 64, 64, 1), steps=1)
