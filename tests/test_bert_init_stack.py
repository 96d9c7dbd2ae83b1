"""BERT's 0.02 in the toy stack: its gradients and training against plain torch.nn and torch.optim."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from theory_lib import bert_init as bi


# ---------------------------------------------------------------- the toy stack
def test_post_norm_stack_follows_the_predicted_weights():
    """Measured coefficient of x_0 in x_l, <x_l, x_0>/<x_0, x_0>, against (1+sigma^2)^{-l/2}.

    The blocks are random: E_x <F(x), x>/d = tr(W2 W1)/(2d), of size s^2/2 per block, and each
    LayerNorm's per-sample scale fluctuates by O(sqrt(2/d)), averaged over the batch; with
    d = 256 both stay below 1e-2 over 8 blocks, so the tolerance is 0.02 absolute.
    """
    d, depth = 256, 8
    for std in (0.02, d**-0.5, 0.1):
        g = torch.Generator().manual_seed(5)
        model = bi.ResidualStack(d, depth, "post", std, generator=g, dtype=torch.float64)
        u = torch.randn(512, 16, generator=g, dtype=torch.float64)
        with torch.no_grad():
            _, states = model(u, return_states=True)
        x0 = states[0][0]
        sigma = math.sqrt(bi.branch_variance(d, std))
        for l in range(1, depth + 1):
            coef = ((states[l][0] * x0).sum(-1) / (x0 * x0).sum(-1)).mean().item()
            assert coef == pytest.approx(bi.post_norm_weights(l, sigma)[0].item(), abs=0.02), (std, l)


def test_pre_norm_stack_variance_grows_linearly():
    """Pre Norm: Var(x_l) = Var(x_0) + l sigma^2, so the final Norm's weight is 1/sqrt(1 + l sigma^2)."""
    d, depth = 256, 8
    for std in (d**-0.5, 0.1):
        g = torch.Generator().manual_seed(6)
        model = bi.ResidualStack(d, depth, "pre", std, generator=g, dtype=torch.float64)
        u = torch.randn(512, 16, generator=g, dtype=torch.float64)
        with torch.no_grad():
            _, states = model(u, return_states=True)
        v0 = states[0][0].var(-1).mean().item()
        s2 = bi.branch_variance(d, std)
        for l in range(1, depth + 1):
            measured = states[l][0].var(-1).mean().item()
            assert measured == pytest.approx(v0 + l * s2, rel=0.06), (std, l)
        w = bi.pre_norm_weights(depth, math.sqrt(s2))
        assert w[0].item() == pytest.approx(1 / math.sqrt(1 + depth * s2))


class PlainStack(nn.Module):
    """The same network written the plain way (nn.Linear, nn.LayerNorm), one run, for cross-checks."""

    def __init__(self, model: bi.ResidualStack, r: int):
        super().__init__()
        L, self.post = model.depth, model.norm == "post"
        self.embed = nn.Linear(model.embed.shape[2], model.width, bias=False)
        self.lin1 = nn.ModuleList(nn.Linear(model.width, model.hidden) for _ in range(L))
        self.lin2 = nn.ModuleList(nn.Linear(model.hidden, model.width) for _ in range(L))
        self.lns = nn.ModuleList(nn.LayerNorm(model.width) for _ in range(L + 1))
        self.head = nn.Linear(model.width, model.head.shape[1])
        with torch.no_grad():
            self.embed.weight.copy_(model.embed[r])
            for k in range(L):
                self.lin1[k].weight.copy_(model.w1[r, k])
                self.lin1[k].bias.copy_(model.b1[r, k, 0])
                self.lin2[k].weight.copy_(model.w2[r, k])
                self.lin2[k].bias.copy_(model.b2[r, k, 0])
            for k in range(L + 1):
                self.lns[k].weight.copy_(model.gain[r, k, 0])
                self.lns[k].bias.copy_(model.shift[r, k, 0])
            self.head.weight.copy_(model.head[r])
            self.head.bias.copy_(model.head_bias[r, 0])
        self.to(device=model.w1.device, dtype=model.w1.dtype)

    def forward(self, u):
        x = self.embed(u)
        L = len(self.lin1)
        if self.post:
            x = self.lns[L](x)
        for k in range(L):
            branch = self.lin2[k](torch.relu(self.lin1[k](x if self.post else self.lns[k](x))))
            x = self.lns[k](x + branch) if self.post else x + branch
        if not self.post:
            x = self.lns[L](x)
        return self.head(x)


@pytest.mark.parametrize("norm", ["post", "pre"])
def test_stack_and_gradient_norms_match_a_plain_implementation(norm, device):
    stds = [0.02, 0.2, 1.0]
    width, depth, seed = 16, 5, 7
    norms = bi.layer_gradient_norms(width, depth, norm, stds, n=64, seed=seed, device=device)
    assert norms.shape == (3, depth) and norms.dtype == torch.float64
    g = torch.Generator(device=device).manual_seed(seed)
    model = bi.ResidualStack(width, depth, norm, stds, generator=g, device=device)
    u, y = bi.synthetic_task(64, seed=seed + 1, device=device)
    out = model(u)
    for r, std in enumerate(stds):
        plain = PlainStack(model, r)
        ref = plain(u)
        torch.testing.assert_close(out[r], ref, rtol=1e-5, atol=1e-6)
        ((ref - y) ** 2).mean().backward()
        expected = [
            math.sqrt(plain.lin1[k].weight.grad.pow(2).sum().item() + plain.lin2[k].weight.grad.pow(2).sum().item())
            for k in range(depth)
        ]
        assert norms[r].tolist() == pytest.approx(expected, rel=1e-4)
        single = bi.layer_gradient_norms(width, depth, norm, std, n=64, seed=seed, device=device)
        assert single.shape == (depth,)
        assert single.tolist() == pytest.approx(norms[r].tolist(), rel=1e-4)


def test_state_gradient_norms_match_autograd():
    width, depth = 16, 4
    norms = bi.layer_gradient_norms(width, depth, "post", 0.3, wrt="states", n=32, seed=1)
    g = torch.Generator().manual_seed(1)
    model = bi.ResidualStack(width, depth, "post", 0.3, generator=g)
    u, y = bi.synthetic_task(32, seed=2)
    out, states = model(u, return_states=True)
    grads = torch.autograd.grad(((out - y) ** 2).mean(), states[:-1])
    expected = [gr[0].pow(2).sum(-1).mean().sqrt().item() for gr in grads]
    assert norms.tolist() == pytest.approx(expected, rel=1e-5)


def test_runs_share_directions_and_differ_only_in_scale():
    g = torch.Generator().manual_seed(8)
    model = bi.ResidualStack(8, 3, "post", [0.02, 0.5], generator=g)
    torch.testing.assert_close(model.w1[1], model.w1[0] * 25, rtol=1e-5, atol=0)
    assert torch.equal(model.embed[0], model.embed[1]) and torch.equal(model.head[0], model.head[1])
    single = bi.ResidualStack(8, 3, "post", 0.5, generator=torch.Generator().manual_seed(8))
    torch.testing.assert_close(single.w2[0], model.w2[1])
    bound = 2.0 * 0.5
    assert model.w1[1].abs().max().item() <= bound * (1 + 1e-6)


def test_small_std_keeps_post_norm_gradients_flat_and_large_std_does_not():
    """The article's claim, measured: at std 1 the first block gets a smaller gradient than the last."""
    norms = bi.layer_gradient_norms(32, 12, "post", [0.02, 1.0], seed=0)
    ratio = norms[:, :3].mean(1) / norms[:, -3:].mean(1)
    assert 0.7 < ratio[0].item() < 1.4
    assert ratio[1].item() < 0.6


# ---------------------------------------------------------------- training
def test_warmup_schedule():
    assert bi.warmup_schedule(5, 0).tolist() == [1.0] * 5
    assert bi.warmup_schedule(6, 4).tolist() == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    decayed = bi.warmup_schedule(4, 2, decay=True).tolist()
    assert decayed == pytest.approx([0.5 * 4 / 4, 1.0 * 3 / 4, 2 / 4, 1 / 4])


def test_synthetic_task_is_fixed_and_standardised():
    u, y = bi.synthetic_task(200, seed=3)
    u2, y2 = bi.synthetic_task(200, seed=3)
    assert torch.equal(u, u2) and torch.equal(y, y2)
    assert u.shape == (200, 16) and y.shape == (200, 1)
    assert y.mean().item() == pytest.approx(0.0, abs=1e-6) and y.std().item() == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("norm", ["post", "pre"])
def test_training_matches_torch_adam(norm):
    """The side-by-side Adam is torch.optim.Adam: same losses, step by step, with warmup and decay."""
    width, depth, steps, lr, warm, seed = 8, 3, 25, 3e-2, 10, 9
    curves = bi.train_loss_curves(
        width, depth, norm, 0.3, warmups=(warm,), steps=steps, lr=lr, n=32, seed=seed, dtype=torch.float64
    )
    model = bi.ResidualStack(
        width, depth, norm, 0.3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    u, y = bi.synthetic_task(32, seed=seed + 1)
    u, y = u.double(), y.double()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / warm) * (steps - t) / steps)
    expected = []
    for _ in range(steps):
        loss = ((model(u) - y) ** 2).mean()
        expected.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    assert curves.shape == (1, steps)
    assert curves[0].tolist() == pytest.approx(expected, rel=1e-9)


def test_runs_train_independently(device):
    kw = dict(steps=20, lr=1e-2, n=32, seed=1, device=device)
    a = bi.train_loss_curves(8, 3, "post", [0.02, 1.0], warmups=(0, 5), **kw)
    b = bi.train_loss_curves(8, 3, "post", [0.02, 1.0], warmups=(0, 15), **kw)
    assert a.shape == (2, 2, 20) and a.device.type == "cpu"
    torch.testing.assert_close(a[:, 0], b[:, 0], rtol=1e-6, atol=0)  # the no-warmup runs are unchanged
    assert not torch.equal(a[:, 1], b[:, 1])
    assert (a[:, :, 0] == a[:, :1, 0]).all()  # a warmup pair starts from the same weights


def test_warmup_rescues_post_norm_at_a_high_learning_rate():
    """The lesson's experiment in small: Post Norm + Xavier at lr 1e-2 without warmup ends near
    the constant predictor's loss (n-1)/n; with 40 warmup steps it fits."""
    curves = bi.train_loss_curves(32, 12, "post", 32**-0.5, warmups=(0, 40), steps=150, lr=1e-2, n=128)
    no_warm, warm = curves[:, -10:].mean(1).tolist()
    assert no_warm > 0.9
    assert warm < 0.1


def test_diverged_runs_are_nan_from_the_first_bad_step():
    curves = bi.train_loss_curves(4, 2, "pre", 1.0, warmups=(0,), steps=30, lr=1e38, n=16)
    c = curves[0]
    bad = ~torch.isfinite(c)
    assert bad.any(), "lr = 1e38 should overflow float32"
    first = int(bad.nonzero()[0])
    assert torch.isnan(c[first:]).all() and torch.isfinite(c[:first]).all()
