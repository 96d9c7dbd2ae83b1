"""BERT's 0.02: truncation, Post/Pre Norm weights and the toy stack, each against an independent route."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from torch import nn

from theory_lib import bert_init as bi


# ---------------------------------------------------------------- truncation
def _scaled_moment(k, b):
    """E[(Z/b)^k | |Z| <= b] by numerical integration over s = Z/b in [-1, 1] (safe for tiny b)."""
    num = integrate.quad(lambda s: s ** k * math.exp(-(b * s) ** 2 / 2), -1, 1, epsabs=0, epsrel=1e-13)[0]
    den = integrate.quad(lambda s: math.exp(-(b * s) ** 2 / 2), -1, 1, epsabs=0, epsrel=1e-13)[0]
    return num / den


def _moment(k, b):
    """E[Z^k | |Z| <= b]."""
    return b ** k * _scaled_moment(k, b)


def _std_by_quadrature(b):
    """std(Z | |Z| <= b)."""
    return b * math.sqrt(_scaled_moment(2, b))


@pytest.mark.parametrize("b", [0.05, 0.5, 1.0, 2.0, 3.0, 6.0])
def test_truncation_factor_against_quadrature_and_scipy(b):
    assert bi.truncation_factor(b) == pytest.approx(_std_by_quadrature(b), rel=1e-10)
    assert bi.truncation_factor(b) == pytest.approx(stats.truncnorm(-b, b).std(), rel=1e-9)


def test_truncation_factor_limits_and_tensor_input():
    # b -> 0: uniform on [-b, b], std b/sqrt(3); b -> inf: no truncation
    assert bi.truncation_factor(1e-6) == pytest.approx(1e-6 / math.sqrt(3), rel=1e-9)
    for b in (1e-200, 1e-120, 9e-4, 1.1e-3):  # b^2/2 and the gamma functions underflow at the small end
        assert bi.truncation_factor(b) == pytest.approx(_std_by_quadrature(b), rel=1e-11)
    assert bi.truncation_factor(12.0) == pytest.approx(1.0, abs=1e-15)
    b = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    out = bi.truncation_factor(b)
    assert isinstance(out, torch.Tensor) and out.shape == (3,)
    assert out.tolist() == pytest.approx([bi.truncation_factor(v) for v in b.tolist()], rel=1e-14)


@settings(max_examples=100, deadline=None)
@given(b1=st.floats(1e-3, 8.0), b2=st.floats(1e-3, 8.0))
def test_truncation_factor_is_increasing_and_below_uniform_and_one(b1, b2):
    lo, hi = sorted((b1, b2))
    f_lo, f_hi = bi.truncation_factor(lo), bi.truncation_factor(hi)
    assert f_lo <= f_hi * (1 + 1e-12)
    # the truncated density falls on [0, b], so it is more concentrated than U[-b, b]
    assert f_hi <= min(1.0, hi / math.sqrt(3)) * (1 + 1e-12)


@pytest.mark.parametrize("b", [1.0, 2.0])
def test_truncation_factor_against_torch_trunc_normal(b, device):
    """torch.nn.init.trunc_normal_ with bounds at +-b*std: sample std within 5 standard errors."""
    n, std = 400_000, 0.02
    g = torch.Generator(device=device).manual_seed(0)
    w = torch.empty(n, device=device, dtype=torch.float64)
    torch.nn.init.trunc_normal_(w, std=std, a=-b * std, b=b * std, generator=g)
    z = (w / std).cpu()
    m2, m4 = _moment(2, b), _moment(4, b)
    se = math.sqrt((m4 - m2 * m2) / n) / (2 * math.sqrt(m2))  # delta method: se of sqrt(mean z^2)
    assert z.pow(2).mean().sqrt().item() == pytest.approx(bi.truncation_factor(b), abs=5 * se)


def test_torch_trunc_normal_default_bounds_are_absolute():
    """trunc_normal_(w, std=0.02) cuts at +-2 in absolute units: no truncation, std stays 0.02."""
    n = 200_000
    w = torch.empty(n, dtype=torch.float64)
    torch.nn.init.trunc_normal_(w, std=0.02, generator=torch.Generator().manual_seed(1))
    se = 0.02 / math.sqrt(2 * n)  # se of a normal sample's std
    assert w.std().item() == pytest.approx(0.02, abs=5 * se)
    assert abs(w.std().item() - bi.truncated_normal_std(0.02)) > 50 * se


def test_sample_truncated_normal_distribution(device):
    n, std, b = 100_000, 0.5, 2.0
    g = torch.Generator(device=device).manual_seed(2)
    x = bi.sample_truncated_normal((n,), std, b, device=device, generator=g, dtype=torch.float64)
    assert x.device.type == device.type and x.dtype == torch.float64
    assert x.abs().max().item() <= b * std
    z = (x / std).cpu().numpy()
    d = stats.kstest(z, stats.truncnorm(-b, b).cdf).statistic
    assert d < 1.95 / math.sqrt(n)  # the KS critical value at the 0.001 level
    m2, m4 = _moment(2, b), _moment(4, b)
    se = math.sqrt((m4 - m2 * m2) / n) / (2 * math.sqrt(m2))
    assert float(np.sqrt((z ** 2).mean())) == pytest.approx(bi.truncation_factor(b), abs=5 * se)
    assert float(z.mean()) == pytest.approx(0.0, abs=5 * math.sqrt(m2 / n))


def test_sample_truncated_normal_shapes_and_seeds():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = bi.sample_truncated_normal((4, 5), generator=g1)
    assert a.shape == (4, 5) and a.dtype == torch.float32
    assert torch.equal(a, bi.sample_truncated_normal((4, 5), generator=g2))
    assert bi.sample_truncated_normal(7).shape == (7,)


def test_article_claims():
    """0.02 truncated at 2 sigma is 0.02/1.1368472 ~ 0.0176, about half of Xavier's 1/sqrt(768) ~ 0.0361."""
    assert 1 / bi.truncation_factor(2.0) == pytest.approx(1.1368472, abs=5e-8)
    assert bi.truncated_normal_std(0.02) == pytest.approx(0.0176, abs=5e-5)
    ratio = bi.truncated_normal_std(0.02) / (1 / math.sqrt(768))
    assert 0.45 < ratio < 0.5
    assert bi.post_norm_weights(12, 1.0)[0].item() == pytest.approx(2.0 ** -6, rel=1e-14)


def test_truncated_normal_std_tensor_input():
    s = torch.tensor([0.01, 0.02], dtype=torch.float64)
    out = bi.truncated_normal_std(s)
    assert out.tolist() == pytest.approx([bi.truncated_normal_std(0.01), bi.truncated_normal_std(0.02)], rel=1e-12)


# ---------------------------------------------------------------- residual weights
def _unrolled_post_norm(depth, sigma):
    """Coefficients of (x_0, F_0, ..., F_{l-1}) by running x_{t+1} = (x_t + F_t)/sqrt(1+sigma^2)."""
    c = [1.0] + [0.0] * depth
    for t in range(depth):
        c[t + 1] += 1.0  # + F_t
        c = [v / math.sqrt(1 + sigma * sigma) for v in c]
    return c


@pytest.mark.parametrize("depth", [1, 2, 7, 24])
@pytest.mark.parametrize("sigma", [0.0, 0.3, 1.0, 2.5])
def test_post_norm_weights_match_the_unrolled_recurrence(depth, sigma, device):
    w = bi.post_norm_weights(depth, sigma, device=device)
    assert w.shape == (depth + 1,) and w.device.type == device.type
    torch.testing.assert_close(w.cpu(), torch.tensor(_unrolled_post_norm(depth, sigma), dtype=torch.float64),
                               rtol=1e-13, atol=0)


def test_post_norm_weights_article_form():
    """sigma = 1: x_l = x_0/2^{l/2} + sum_k F_k/2^{(l-k)/2}."""
    l = 12
    expected = [2 ** (-l / 2)] + [2 ** (-(l - k) / 2) for k in range(l)]
    assert bi.post_norm_weights(l).tolist() == pytest.approx(expected, rel=1e-14)


def test_pre_norm_weights():
    raw = bi.pre_norm_weights(5, 0.7, final_norm=False)
    assert raw.tolist() == [1.0] * 6
    normed = bi.pre_norm_weights(5, 0.7)
    assert normed.tolist() == pytest.approx([1 / math.sqrt(1 + 5 * 0.49)] * 6, rel=1e-14)


@settings(max_examples=100, deadline=None)
@given(depth=st.integers(1, 200), sigma=st.floats(0.0, 20.0))
def test_weights_keep_unit_output_variance(depth, sigma):
    """x_0 has variance 1, each F_k variance sigma^2, all independent: the output has variance 1."""
    for w in (bi.post_norm_weights(depth, sigma), bi.pre_norm_weights(depth, sigma)):
        total = w[0] ** 2 + sigma ** 2 * (w[1:] ** 2).sum()
        assert total.item() == pytest.approx(1.0, rel=1e-9)
    # Post Norm: the residual path decays geometrically, later branches weigh more
    w = bi.post_norm_weights(depth, sigma)
    assert (w[2:] >= w[1:-1]).all() and w[0] == w[1]


def test_branch_variance_against_monte_carlo():
    """Var F(x) for F = W2 relu(W1 x), W drawn by torch's own truncated normal, x ~ N(0, I)."""
    d, h, std, trials = 64, 96, 0.1, 200
    g = torch.Generator().manual_seed(4)
    w1 = torch.nn.init.trunc_normal_(torch.empty(trials, h, d, dtype=torch.float64), std=std, a=-2 * std, b=2 * std, generator=g)
    w2 = torch.nn.init.trunc_normal_(torch.empty(trials, d, h, dtype=torch.float64), std=std, a=-2 * std, b=2 * std, generator=g)
    x = torch.randn(trials, 32, d, generator=g, dtype=torch.float64)
    second = (torch.relu(x @ w1.transpose(1, 2)) @ w2.transpose(1, 2)).pow(2).mean(dim=(1, 2))  # (trials,)
    se = second.std().item() / math.sqrt(trials)  # independent weights per trial
    assert second.mean().item() == pytest.approx(bi.branch_variance(d, std, hidden=h), abs=5 * se)
    plain = bi.branch_variance(d, std, hidden=h, bound=None)
    assert plain == pytest.approx(h * d * std ** 4 / 2)
    assert bi.branch_variance(d, std, hidden=h) == pytest.approx(plain * bi.truncation_factor(2.0) ** 4)


# ---------------------------------------------------------------- the toy stack
def test_post_norm_stack_follows_the_predicted_weights():
    """Measured coefficient of x_0 in x_l, <x_l, x_0>/<x_0, x_0>, against (1+sigma^2)^{-l/2}.

    The blocks are random: E_x <F(x), x>/d = tr(W2 W1)/(2d), of size s^2/2 per block, and each
    LayerNorm's per-sample scale fluctuates by O(sqrt(2/d)), averaged over the batch; with
    d = 256 both stay below 1e-2 over 8 blocks, so the tolerance is 0.02 absolute.
    """
    d, depth = 256, 8
    for std in (0.02, d ** -0.5, 0.1):
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
    for std in (d ** -0.5, 0.1):
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
            f = lambda z: self.lin2[k](torch.relu(self.lin1[k](z)))  # noqa: E731
            x = self.lns[k](x + f(x)) if self.post else x + f(self.lns[k](x))
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
        expected = [math.sqrt(plain.lin1[k].weight.grad.pow(2).sum().item() + plain.lin2[k].weight.grad.pow(2).sum().item())
                    for k in range(depth)]
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
    curves = bi.train_loss_curves(width, depth, norm, 0.3, warmups=(warm,), steps=steps, lr=lr, n=32,
                                  seed=seed, dtype=torch.float64)
    model = bi.ResidualStack(width, depth, norm, 0.3, generator=torch.Generator().manual_seed(seed),
                             dtype=torch.float64)
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
    curves = bi.train_loss_curves(32, 12, "post", 32 ** -0.5, warmups=(0, 40), steps=150, lr=1e-2, n=128)
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


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bi.truncation_factor(0.0), "bound"),
        (lambda: bi.truncation_factor(-1.0), "bound"),
        (lambda: bi.truncation_factor(float("nan")), "bound"),
        (lambda: bi.truncation_factor(torch.tensor([1.0, -1.0])), "bound"),
        (lambda: bi.truncated_normal_std(0.0), "std"),
        (lambda: bi.truncated_normal_std(-0.02), "std"),
        (lambda: bi.truncated_normal_std(torch.tensor([0.0])), "std"),
        (lambda: bi.truncated_normal_std(0.02, bound=0), "bound"),
        (lambda: bi.sample_truncated_normal(3, std=0), "std"),
        (lambda: bi.sample_truncated_normal(3, bound=-2), "bound"),
        (lambda: bi.sample_truncated_normal((3, -1)), "shape"),
        (lambda: bi.post_norm_weights(0), "depth"),
        (lambda: bi.post_norm_weights(2.5), "depth"),
        (lambda: bi.post_norm_weights(3, -0.1), "sigma"),
        (lambda: bi.pre_norm_weights(0), "depth"),
        (lambda: bi.pre_norm_weights(3, float("inf")), "sigma"),
        (lambda: bi.branch_variance(0, 0.02), "width"),
        (lambda: bi.branch_variance(8, 0.0), "std"),
        (lambda: bi.branch_variance(8, 0.02, hidden=0), "hidden"),
        (lambda: bi.branch_variance(8, 0.02, bound=0), "bound"),
        (lambda: bi.ResidualStack(0, 3), "width"),
        (lambda: bi.ResidualStack(8, 0), "depth"),
        (lambda: bi.ResidualStack(8, 3, "mid"), "norm"),
        (lambda: bi.ResidualStack(8, 3, "post", 0.0), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", [0.02, -1.0]), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", []), "std"),
        (lambda: bi.ResidualStack(8, 3, "post", 0.02, bound=0.0), "bound"),
        (lambda: bi.synthetic_task(1), "n"),
        (lambda: bi.synthetic_task(8, frequency=0), "frequency"),
        (lambda: bi.synthetic_task(8, seed=-1), "seed"),
        (lambda: bi.layer_gradient_norms(8, 0), "depth"),
        (lambda: bi.layer_gradient_norms(8, 2, std=0), "std"),
        (lambda: bi.layer_gradient_norms(8, 2, wrt="bias"), "wrt"),
        (lambda: bi.warmup_schedule(0, 0), "steps"),
        (lambda: bi.warmup_schedule(5, -1), "warmup"),
        (lambda: bi.train_loss_curves(8, 2, steps=0), "steps"),
        (lambda: bi.train_loss_curves(8, 2, lr=0), "lr"),
        (lambda: bi.train_loss_curves(8, 2, std=-1), "std"),
        (lambda: bi.train_loss_curves(8, 2, warmups=()), "warmups"),
        (lambda: bi.train_loss_curves(8, 2, warmups=(0, -5)), "warmups"),
        (lambda: bi.train_loss_curves(8, 0), "depth"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ------------------------------------------------------------------ lesson 04's figures show the truth
def test_truncation_figure_opens_at_the_article_values_and_agrees_with_the_table():
    """d = 768 and std 0.02 exactly (not 765 and 0.0198); the readout's ratio is the lesson table's
    actual·√768; the headline values and the table's sizes can be set exactly."""
    from theory_lib.figures.bert_init import TruncationFigure

    spec = TruncationFigure.controls
    assert (spec["d"].value, spec["std"].value, spec["bound"].value) == (768, 0.02, 2.0)
    for d in (256, 768, 1024, 4096):
        assert spec["d"].reachable(d)
    assert spec["std"].reachable(0.02) and spec["bound"].reachable(1.0)
    fig = TruncationFigure(offscreen=True)
    try:
        table = bi.truncated_normal_std(0.02) * math.sqrt(768)  # the lesson's "BERT-base" row
        assert f"ratio actual/Xavier = <b>{table:.3f}</b>" in fig.readout
        assert f"{table:.3f}" == "0.488"
    finally:
        fig.close()


def test_truncation_figure_marks_a_crossing_beyond_the_axis():
    from theory_lib.figures.bert_init import TruncationFigure

    fig = TruncationFigure(offscreen=True, d=8192, std=0.002, bound=4.0)  # d* ≈ 250 000, off the axis
    try:
        x, _ = fig.cross_point.get_data()
        assert x[0] == TruncationFigure.D_LIM[1] and fig.cross_point.get_marker() == ">"
        assert "250,2" in fig.cross_text.get_text()
        fig.update(std=0.02, bound=2.0)  # d* ≈ 3231, on the axis: the plain cross, no note
        assert fig.cross_point.get_marker() == "x" and fig.cross_text.get_text() == ""
    finally:
        fig.close()


def test_toy_stack_collapsed_runs_stay_visible_on_the_mean_line():
    """At the maximum learning rate, Post Norm runs without warmup collapse onto the constant
    predictor's loss: each is drawn above the reference line with its own markers, at steps of
    its own, and the line's label counts them."""
    from theory_lib.figures.bert_init import ToyStackFigure

    fig = ToyStackFigure(offscreen=True, lr=3e-2)
    try:
        fig.fig.canvas.draw()
        lines = fig.cold_lines + fig.warm_lines
        stuck = [ln for ln in lines if len(ln.get_ydata()) and ToyStackFigure.is_collapsed(np.asarray(ln.get_ydata()))]
        assert len(stuck) >= 2  # several runs on the same line: the case the figure must show
        ref = fig.constant
        for ln in stuck:
            assert ln.get_zorder() > ref.get_zorder() and ln.get_linewidth() > ref.get_linewidth()
            assert ln.get_marker() not in ("None", "", None)
        marks = {(ln.get_marker(), ln.get_markerfacecolor() == "white", ln.get_markevery()) for ln in stuck}
        assert len(marks) == len(stuck), "two collapsed runs drawn with the same markers at the same steps"
        assert f"{len(stuck)} runs collapsed onto it" in fig.constant_text.get_text()
        # the reference line is still readable: its label says what it is
        assert "predicting the mean" in fig.constant_text.get_text()
    finally:
        fig.close()


def test_residual_figure_tells_post_from_pre_without_colour():
    from theory_lib.figures.bert_init import ResidualWeightsFigure

    fig = ResidualWeightsFigure(offscreen=True, sigma=0.01)  # the two curves coincide (weights ≈ 1)
    try:
        assert fig.post_x0.get_linestyle() != fig.pre_x0.get_linestyle()
        assert (fig.post_w.get_linestyle(), fig.post_w.get_marker()) != (fig.pre_w.get_linestyle(), fig.pre_w.get_marker())
        assert ResidualWeightsFigure.controls["sigma"].reachable(0.49)  # "try this" 2
        assert ResidualWeightsFigure.controls["depth"].reachable(24)
    finally:
        fig.close()
