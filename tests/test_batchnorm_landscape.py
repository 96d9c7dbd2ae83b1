"""Batch normalisation in a network: the landscape probe against torch.nn, and what BN does to the landscape."""

from __future__ import annotations

import math

import pytest
import torch

from theory_lib import batchnorm as bnm
from theory_lib.batchnorm.probe import _layer_shapes

f64 = torch.float64


# ------------------------------------------------------------------ the landscape probe
def _unflatten(theta, d, hidden, bn):
    """θ flattened in the documented order -> the list of tensors, for nn modules built here."""
    out, i = [], 0
    for _, shape, *_ in _layer_shapes(d, hidden, bn):
        size = math.prod(shape)
        out.append(theta[i : i + size].reshape(shape))
        i += size
    assert i == theta.numel()
    return out


def _torch_mlp(d, hidden, bn, tensors):
    """The same network from torch.nn modules (nn.BatchNorm1d in training mode)."""
    it, layers, widths = iter(tensors), [], [d, *hidden, 1]
    for i, (fi, fo) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
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
    r = bnm.landscape_probe(
        x, y, hidden=hidden, bn=bn, lr=lr, steps=3, batch_size=48, probe_scales=(0.5, 2.0), keep_params=True
    )
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
