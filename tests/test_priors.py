"""theory_lib.priors against independent routes: the pairwise form of the adjusted loss, its fitted minimiser
against the balanced rule, scipy's normal CDF and quadrature, the CAN step's closed form, Sinkhorn solved by
root finding, the LA paper's training-set sizes; bad input by name."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, optimize, stats

from theory_lib import priors as pr

F64 = dict(dtype=torch.float64)


# ---------------------------------------------------------------- logit adjustment
def test_adjusted_loss_equals_its_pairwise_form(device):
    g = torch.Generator(device=device).manual_seed(0)
    f = 3 * torch.randn(64, 5, generator=g, device=device, **F64)
    y = torch.randint(0, 5, (64,), generator=g, device=device)
    prior = torch.tensor([0.5, 0.2, 0.15, 0.1, 0.05], device=device, **F64)
    for tau in (0.0, 1.0, 1.7):
        ratio = (prior[None, :] / prior[y][:, None]) ** tau * torch.exp(f - f.gather(1, y[:, None]))
        pairwise = torch.log(ratio.sum(1)).mean()  # the i = y term is 1: log[1 + sum_{i != y}]
        assert torch.allclose(pr.logit_adjusted_cross_entropy(f, y, prior, tau), pairwise, rtol=1e-12)
    assert pr.logit_adjusted_cross_entropy(f, y, prior, 1.0).device == f.device


def test_adjusted_loss_finite_at_huge_logits():
    f = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]], **F64, requires_grad=True)
    loss = pr.logit_adjusted_cross_entropy(f, [1, 0], [0.7, 0.2, 0.1])
    loss.backward()
    assert torch.isfinite(loss) and loss > 1e4 and torch.isfinite(f.grad).all()


def _quasi_population(n=4000, pi1=0.1, mu=1.0):
    """Stratified draws of the two Gaussians in proportion to the prior: a deterministic stand-in for the law."""
    n1 = int(n * pi1)

    def q(m):
        return torch.tensor(stats.norm.ppf((np.arange(m) + 0.5) / m), **F64)

    x = torch.cat([q(n - n1) - mu, q(n1) + mu])
    y = torch.cat([torch.zeros(n - n1), torch.ones(n1)]).long()
    return x, y


@pytest.mark.parametrize("tau", [0.0, 1.0, 2.0])
def test_fitted_minimiser_is_the_tau_adjusted_rule(tau):
    """The minimiser of the tau-adjusted loss for f = (0, w x + c) is w = 2 mu, c = (1 - tau) log(pi1/pi0), found by
    scipy's Nelder-Mead (not train_linear); then argmax f + (tau - 1) log p has the balanced threshold 0."""
    x, y = _quasi_population()
    prior = [0.9, 0.1]

    def loss(v):
        f = torch.stack([torch.zeros_like(x), v[0] * x + v[1]], 1)
        return pr.logit_adjusted_cross_entropy(f, y, prior, tau).item()

    w, c = optimize.minimize(loss, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-12}).x
    assert abs(w - 2.0) < 0.02
    assert abs(c - (1 - tau) * math.log(0.1 / 0.9)) < 0.02  # argmax f + (tau - 1) log p balanced: t = 0 at any tau
    balanced = -(c + (tau - 1) * math.log(0.1 / 0.9)) / w  # the threshold of argmax f + (tau - 1) log p
    assert abs(balanced) < 0.02


def test_train_linear_plain_and_bias_initialised_end_the_same():
    x, y = _quasi_population(4000)
    x = x[:, None]
    prior = torch.tensor([0.9, 0.1], **F64)
    w0, b0 = pr.train_linear(x, y, prior)
    w1, b1 = pr.train_linear(x, y, prior, bias_init=prior.log())
    wa, ba = pr.train_linear(x, y, prior, tau=1.0)
    assert torch.allclose(b0[1] - b0[0], b1[1] - b1[0], atol=1e-4)  # convex: the start is forgotten
    assert abs((b0[1] - b0[0]).item() - math.log(1 / 9)) < 0.05
    assert abs((ba[1] - ba[0]).item()) < 0.05 and abs((wa[1, 0] - wa[0, 0]).item() - 2) < 0.05


def test_posthoc_adjust_and_balanced_error():
    f = torch.tensor([[2.0, 1.0], [0.0, 0.0]], **F64)
    out = pr.posthoc_adjust(f, [0.8, 0.2], tau=1.0)
    assert torch.allclose(out, f - torch.log(torch.tensor([0.8, 0.2], **F64)))
    pred, target = torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0, 0, 0, 0, 1])
    by_hand = (1 / 4 + 0 / 1) / 2  # class 0: one of four wrong; class 1: right
    assert abs(pr.balanced_error(pred, target, 3).item() - by_hand) < 1e-15  # class 2 absent: not counted


# ---------------------------------------------------------------- two Gaussians
def test_gaussian_errors_against_scipy_and_quadrature():
    t = torch.linspace(-3, 3, 13, **F64)
    ber, err = pr.gaussian_errors(t, 0.1, mu=1.3)
    tn = t.numpy()
    m0, m1 = stats.norm.sf(tn, loc=-1.3), stats.norm.cdf(tn, loc=1.3)
    assert np.allclose(ber.numpy(), (m0 + m1) / 2, atol=1e-14)
    assert np.allclose(err.numpy(), 0.9 * m0 + 0.1 * m1, atol=1e-14)
    q = integrate.quad(lambda x: stats.norm.pdf(x, 1.3), -np.inf, 0.5)[0]
    assert abs(pr.gaussian_errors(0.5, 0.3, mu=1.3)[1] - (0.7 * stats.norm.sf(0.5, -1.3) + 0.3 * q)) < 1e-10


def test_threshold_minimises_the_errors_it_claims():
    grid = torch.linspace(-4, 4, 80001, **F64)
    ber, err = pr.gaussian_errors(grid, 0.1)
    assert abs(grid[ber.argmin()].item() - pr.gaussian_threshold(0.1, 1.0)) < 1e-3
    assert abs(grid[err.argmin()].item() - pr.gaussian_threshold(0.1, 0.0)) < 1e-3
    # the note's numbers: at tau = 2 argmax f puts the threshold near -1.09 with BER about 0.278
    t2 = pr.gaussian_threshold(0.1, 2.0)
    assert abs(t2 + math.log(9) / 2) < 1e-12 and abs(pr.gaussian_errors(t2, 0.1)[0] - 0.278) < 1e-3


def test_long_tail_counts_give_the_papers_training_sets():
    assert pr.long_tail_counts(5000, 10, 100).sum().item() == 12406  # CIFAR-10-LT
    assert pr.long_tail_counts(500, 100, 100).sum().item() == 10847  # CIFAR-100-LT
    c = pr.long_tail_counts(1000, 5, 1.0)
    assert (c == 1000).all()


def test_sample_classes_counts_and_means(device):
    x, y = pr.sample_classes([3000, 1000], mu=2.0, generator=torch.Generator(device=device).manual_seed(0))
    assert (
        x.device.type == torch.device(device).type
        and (torch.bincount(y) == torch.tensor([3000, 1000], device=device)).all()
    )
    assert torch.allclose(x[y == 1].mean(0).cpu(), torch.tensor([0.0, 2.0], **F64), atol=0.1)


# ---------------------------------------------------------------- CAN
def test_topk_uncertainty_su_against_the_paper():
    a, b = [0.05, 0.95], [0.5, 0.5]
    su = pr.topk_uncertainty([a, b], 2)
    paper = pr.topk_uncertainty([a, b], 2, renormalize=False)
    h = -(0.05 * math.log(0.05) + 0.95 * math.log(0.95)) / math.log(2)
    assert abs(su[0].item() - h) < 1e-12 and abs(su[1].item() - 1) < 1e-12
    p3 = [[0.5, 0.25, 0.25], [0.5, 0.5, 0.0]]
    assert pr.topk_uncertainty(p3, 2, renormalize=False)[0] == pr.topk_uncertainty(p3, 2, renormalize=False)[1]
    assert abs(paper[0] - paper[1]) > 0.1  # m = 2: the paper's form does separate these two
    assert pr.topk_uncertainty([[1.0, 0.0, 0.0]], 3).item() == 0.0


def test_can_step_against_its_closed_form(device):
    g = torch.Generator(device=device).manual_seed(1)
    conf = torch.softmax(3 * torch.randn(30, 4, generator=g, device=device, **F64), -1)
    rows = torch.softmax(torch.randn(7, 4, generator=g, device=device, **F64), -1)
    prior = torch.tensor([0.4, 0.3, 0.2, 0.1], device=device, **F64)
    for alpha in (1.0, 0.6):
        s = (conf**alpha).sum(0)
        q = rows**alpha / ((s + rows**alpha) / 31) * prior
        q = q / q.sum(1, keepdim=True)
        assert torch.allclose(pr.can_correct(rows, conf, prior, alpha=alpha), q, rtol=1e-12)
        assert torch.allclose(pr.can_correct(rows[2], conf, prior, alpha=alpha), q[2], rtol=1e-12)


def test_su_binary_example_and_its_sinkhorn_limit():
    one = pr.can_correct([0.5, 0.5], [[0.05, 0.95]], [0.5, 0.5])
    assert torch.allclose(one, torch.tensor([0.725, 0.275], **F64), atol=1e-12)
    limit = pr.can_correct([0.5, 0.5], [[0.05, 0.95]], [0.5, 0.5], iters=2000)
    r = math.sqrt(0.95 / 0.05)
    assert abs(limit[0].item() - r / (1 + r)) < 1e-10


def test_can_limit_against_sinkhorn_by_root_finding():
    rng = np.random.default_rng(2)
    y = rng.dirichlet(np.ones(3), size=6)
    prior = np.array([0.5, 0.3, 0.2])
    n = y.shape[0]

    def equations(v):  # Y_ij a_i b_j: rows sum 1, columns average the prior (b_0 fixed at 1)
        a, b = np.exp(v[:n]), np.exp(np.r_[0.0, v[n:]])
        z = y * a[:, None] * b[None, :]
        return np.r_[z.sum(1) - 1, z.mean(0)[1:] - prior[1:]]

    v = optimize.root(equations, np.zeros(n + 2), tol=1e-14).x
    z = y * np.exp(v[:n])[:, None] * np.exp(np.r_[0.0, v[n:]])[None, :]
    got = pr.can_correct(torch.tensor(y[-1]), torch.tensor(y[:-1]), prior, iters=5000)
    assert np.allclose(got.numpy(), z[-1], atol=1e-9)


def test_can_alpha_compounds_inside_the_loop():
    p, conf, prior = torch.tensor([0.4, 0.6], **F64), torch.tensor([[0.2, 0.8], [0.7, 0.3]], **F64), [0.5, 0.5]
    y = torch.cat([conf, p[None]])
    for _ in range(3):  # a hand loop of the article's code
        y = y**2.0
        y = y / y.mean(0) * 0.5
        y = y / y.sum(1, keepdim=True)
    assert torch.allclose(pr.can_correct(p, conf, prior, alpha=2.0, iters=3), y[-1], rtol=1e-12)


def test_can_postprocess_touches_only_the_unsure_rows():
    probs = torch.tensor([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.05, 0.9, 0.05], [0.02, 0.03, 0.95]], **F64)
    prior = [0.2, 0.3, 0.5]
    out = pr.can_postprocess(probs, prior, k=2, threshold=0.9)
    sure = pr.topk_uncertainty(probs, 2) < 0.9
    assert sure.tolist() == [True, False, True, True]
    assert torch.equal(out[sure], probs[sure])
    assert torch.allclose(out[1], pr.can_correct(probs[1], probs[sure], prior))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: pr.posthoc_adjust([1.0, 2.0], [0.5, 0.0]), "prior"),
        (lambda: pr.posthoc_adjust([1.0, 2.0], [0.2, 0.3, 0.5]), "prior"),
        (lambda: pr.logit_adjusted_cross_entropy([[1.0, 2.0]], [2], [0.5, 0.5]), "target"),
        (lambda: pr.topk_uncertainty([[0.5, 0.5]], 3), "k"),
        (lambda: pr.topk_uncertainty([[0.5, -0.1, 0.6]], 2), "probs"),
        (lambda: pr.can_correct([0.5, 0.5], [[0.1, 0.9]], [0.5, 0.5], iters=0), "iters"),
        (lambda: pr.can_correct([0.5, 0.5], [[0.1, 0.2, 0.7]], [0.5, 0.5]), "confident"),
        (lambda: pr.long_tail_counts(100, 10, 0.5), "ratio"),
        (lambda: pr.gaussian_threshold(1.0, 1.0), "pi1"),
        (lambda: pr.can_postprocess([[0.5, 0.5]], [0.5, 0.5], k=2, alpha=0.0), "alpha"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_can_path_is_can_correct_at_each_iteration(device):
    g = torch.Generator(device=device).manual_seed(3)
    conf = torch.softmax(torch.randn(5, 3, generator=g, device=device, **F64), -1)
    rows = torch.softmax(torch.randn(2, 3, generator=g, device=device, **F64), -1)
    path = pr.can_path(rows, conf, [0.2, 0.3, 0.5], alpha=1.5, iters=4)
    assert path.shape == (4, 2, 3)
    for n in range(1, 5):
        assert torch.allclose(path[n - 1], pr.can_correct(rows, conf, [0.2, 0.3, 0.5], alpha=1.5, iters=n), rtol=1e-12)
