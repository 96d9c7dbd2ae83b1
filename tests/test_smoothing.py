"""Smooth approximations: every formula against an independent route."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from theory_lib import smoothing as sm

F64 = torch.float64
finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
sharp = st.floats(0.05, 200.0)

# (function, kind) -> the exact function and the smooth one, both numpy/torch-free of each other
EXACT = {"abs": np.abs, "relu": lambda x: np.maximum(x, 0.0), "sign": np.sign,
         "step": lambda x: (x > 0).astype(float)}
CASES = [("abs", k) for k in sm.ABS_KINDS] + [("relu", k) for k in sm.RELU_KINDS] + \
        [("sign", k) for k in sm.SIGN_KINDS] + [("step", "sigmoid")]


def smooth(function, kind, x, k):
    if function == "abs":
        return sm.smooth_abs(x, k, kind)
    if function == "relu":
        return sm.smooth_relu(x, k, kind)
    if function == "sign":
        return sm.smooth_sign(x, k, kind)
    return sm.smooth_step(x, k)


# Closed-form derivatives, written independently of the implementation.
def derivative(function, kind, x, k):
    if (function, kind) == ("abs", "logcosh"):
        return np.tanh(k * x)
    if (function, kind) == ("abs", "erf"):
        return special.erf(k * x) + 2 * k * x * np.exp(-(k * x) ** 2) / math.sqrt(math.pi)
    if (function, kind) == ("abs", "tanh"):
        return np.tanh(k * x) + k * x / np.cosh(k * x) ** 2
    if (function, kind) == ("relu", "softplus"):
        return special.expit(k * x)
    if (function, kind) == ("relu", "swish"):
        s = special.expit(k * x)
        return s + k * x * s * (1 - s)
    if (function, kind) == ("sign", "tanh"):
        return k / np.cosh(k * x) ** 2
    if (function, kind) == ("sign", "erf"):
        return 2 * k * np.exp(-(k * x) ** 2) / math.sqrt(math.pi)
    s = special.expit(k * x)
    return k * s * (1 - s)


# ---------------------------------------------------------------- smooth max and its bound
def test_smooth_max_matches_scipy_logsumexp(device):
    g = torch.Generator(device=device).manual_seed(0)
    x = 5 * torch.randn(7, 11, generator=g, dtype=F64, device=device)
    for tau in (0.01, 0.3, 1.0, 4.0):
        for dim in (0, 1, -1):
            got = sm.smooth_max(x, tau, dim=dim).cpu().numpy()
            want = tau * special.logsumexp(x.cpu().numpy() / tau, axis=dim)
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    assert sm.smooth_max(x, 1.0).device.type == device.type


@settings(max_examples=200, deadline=None)
@given(values=st.lists(finite, min_size=1, max_size=30), tau=st.floats(1e-3, 20.0))
def test_smooth_max_lies_between_max_and_max_plus_tau_log_n(values, tau):
    x = torch.tensor(values, dtype=F64)
    m = x.max().item()
    s = sm.smooth_max(x, tau).item()
    slack = 1e-12 * (1 + abs(m))
    assert m - slack <= s <= m + sm.smooth_max_bound(len(values), tau) + slack


def test_bound_is_attained_by_ties_and_gap_tends_to_tau_log_m():
    for n in (2, 5, 40):
        x = torch.full((n,), 1.7, dtype=F64)
        assert sm.smooth_max(x, 0.3).item() - 1.7 == pytest.approx(sm.smooth_max_bound(n, 0.3), rel=1e-12)
    # m tied maxima among others far below: gap -> tau log m as tau -> 0
    x = torch.tensor([2.0, 2.0, 2.0, -1.0, 0.5], dtype=F64)
    assert (sm.smooth_max(x, 0.01) - 2.0).item() == pytest.approx(0.01 * math.log(3), rel=1e-12)


def test_smooth_max_converges_to_max():
    x = torch.tensor([0.3, -2.0, 1.1, 1.0], dtype=F64)
    errs = [(sm.smooth_max(x, tau) - 1.1).item() for tau in (1.0, 0.1, 0.01, 0.001)]
    assert all(a > b for a, b in zip(errs, errs[1:])) and errs[-1] < 1e-12


def test_smooth_max_extremes_are_finite_with_finite_gradients(device):
    for dtype in (torch.float32, F64):
        x = torch.tensor([1e4, -1e4, 0.0, 1e4 - 1], dtype=dtype, device=device, requires_grad=True)
        for tau in (1e-4, 1.0, 1e4):
            v = sm.smooth_max(x, tau)
            (g,) = torch.autograd.grad(v, x)
            assert torch.isfinite(v) and torch.isfinite(g).all()
            assert v.item() >= 1e4 - 1e-3
            assert g.sum().item() == pytest.approx(1.0, rel=1e-5)


# ---------------------------------------------------------------- onehot, argmax
def test_gradient_of_smooth_max_is_smooth_onehot_and_matches_scipy_softmax(device):
    g = torch.Generator(device=device).manual_seed(1)
    x = torch.randn(4, 6, generator=g, dtype=F64, device=device, requires_grad=True)
    for tau in (0.05, 0.7, 3.0):
        (grad,) = torch.autograd.grad(sm.smooth_max(x, tau).sum(), x)
        p = sm.smooth_onehot(x, tau)
        torch.testing.assert_close(grad, p, rtol=1e-12, atol=1e-14)
        want = special.softmax(x.detach().cpu().numpy() / tau, axis=-1)
        np.testing.assert_allclose(p.detach().cpu().numpy(), want, rtol=1e-12, atol=1e-15)


def test_smooth_onehot_tends_to_onehot_of_argmax():
    x = torch.tensor([[0.2, 1.5, 1.4, -3.0], [9.0, 1.0, 8.0, 8.5]], dtype=F64)
    hard = torch.nn.functional.one_hot(x.argmax(-1), 4).to(F64)
    errs = [(sm.smooth_onehot(x, tau) - hard).abs().max().item() for tau in (1.0, 0.1, 0.01, 0.001)]
    assert all(a > b for a, b in zip(errs, errs[1:])) and errs[-1] < 1e-40


def test_smooth_argmax_is_the_index_weighted_softmax_and_converges():
    x = torch.tensor([0.1, 0.4, 2.0, 1.2, -1.0], dtype=F64)
    for tau in (2.0, 0.5):
        p = special.softmax(x.numpy() / tau)
        assert sm.smooth_argmax(x, tau).item() == pytest.approx(float(np.dot(np.arange(5), p)), rel=1e-13)
    assert sm.smooth_argmax(x, 1e-3).item() == pytest.approx(2.0, abs=1e-12)
    # along another dim
    xx = torch.stack([x, x.flip(0)], dim=1)  # (5, 2)
    got = sm.smooth_argmax(xx, 1e-3, dim=0)
    torch.testing.assert_close(got, torch.tensor([2.0, 2.0], dtype=F64), atol=1e-12, rtol=0)


def test_smooth_argmax_averages_tied_indices():
    """The article's argmax ~ sum i softmax_i fails at ties: [3, 0, 3] goes to 1, a minimiser."""
    x = torch.tensor([3.0, 0.0, 3.0], dtype=F64)
    assert sm.smooth_argmax(x, 1e-3).item() == pytest.approx(1.0, abs=1e-12)


def test_onehot_and_argmax_stable_at_extremes(device):
    x = torch.tensor([1e4, -1e4, 9999.0], device=device, requires_grad=True)
    for f in (lambda t: sm.smooth_onehot(t, 1e-4)[0], lambda t: sm.smooth_argmax(t, 1e-4)):
        v = f(x)
        (g,) = torch.autograd.grad(v, x)
        assert torch.isfinite(v) and torch.isfinite(g).all()
    assert sm.smooth_argmax(x, 1e-4).item() == 0.0


# ---------------------------------------------------------------- |x|, relu, sign, step
@pytest.mark.parametrize("function, kind", CASES)
def test_autograd_derivative_matches_closed_form(function, kind, device):
    x = torch.linspace(-3, 3, 601, dtype=F64, device=device, requires_grad=True)
    for k in (0.5, 3.0, 20.0):
        (g,) = torch.autograd.grad(smooth(function, kind, x, k).sum(), x)
        want = derivative(function, kind, x.detach().cpu().numpy(), k)
        np.testing.assert_allclose(g.cpu().numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("function, kind", CASES)
def test_gradcheck_against_finite_differences(function, kind):
    x = torch.tensor([-1.3, -0.2, 0.0, 0.05, 0.9], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: smooth(function, kind, t, 2.5), (x,))


@pytest.mark.parametrize("function, kind", CASES)
def test_stable_for_huge_inputs_and_sharpness(function, kind, device):
    """|x| up to 1e4 and k up to 1e4 (tau 1e-4): finite values, finite gradients, exact limits."""
    for dtype in (torch.float32, F64):
        x = torch.tensor([-1e4, -1.0, -1e-3, 0.0, 1e-3, 1.0, 1e4], dtype=dtype, device=device,
                         requires_grad=True)
        for k in (1e-4, 1.0, 1e4):
            v = smooth(function, kind, x, k)
            (g,) = torch.autograd.grad(v.sum(), x)
            assert torch.isfinite(v).all() and torch.isfinite(g).all(), (k, dtype)
        v = smooth(function, kind, x, 1e4).detach().cpu().double().numpy()
        exact = EXACT[function](x.detach().cpu().double().numpy())
        far = np.abs(x.detach().cpu().numpy()) >= 1.0
        np.testing.assert_allclose(v[far], exact[far], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("function, kind", [c for c in CASES if c[0] in ("abs", "relu")])
def test_sup_error_is_the_stated_constant(function, kind):
    """Numerical maximisation of |smooth - exact| (scipy) reproduces approximation_error."""
    for k in (0.7, 4.0):
        gap = lambda t: -abs(smooth(function, kind, torch.tensor(t, dtype=F64), k).item() - EXACT[function](t))
        best = min(optimize.minimize_scalar(gap, bounds=b, method="bounded", options={"xatol": 1e-12}).fun
                   for b in ((-6 / k, 0.0), (0.0, 6 / k)))
        assert -best == pytest.approx(sm.approximation_error(function, k, kind), rel=1e-7)


def test_error_constants_by_independent_routes():
    c_erf = -optimize.minimize_scalar(lambda u: -u * special.erfc(u), bounds=(0, 3), method="bounded",
                                      options={"xatol": 1e-12}).fun
    assert sm.approximation_error("abs", 1.0, "erf") == pytest.approx(c_erf, rel=1e-9)
    assert sm.approximation_error("abs", 1.0, "tanh") == pytest.approx(special.lambertw(1 / math.e).real, rel=1e-12)
    assert sm.approximation_error("relu", 2.0, "swish") == pytest.approx(special.lambertw(1 / math.e).real / 2, rel=1e-12)
    assert sm.approximation_error("max2", 2.0, "logcosh") == pytest.approx(math.log(2) / 4, rel=1e-12)
    assert sm.approximation_error("sign", 1e6) == 1.0 and sm.approximation_error("step", 1e6) == 0.5


@settings(max_examples=150, deadline=None)
@given(x=finite, k=sharp)
def test_error_bounds_and_sides_hold_everywhere(x, k):
    t = torch.tensor(x, dtype=F64)
    ulp = 1e-13 * (1 + abs(x))
    above = {("abs", "logcosh"), ("relu", "softplus")}
    for function, kind in [c for c in CASES if c[0] in ("abs", "relu")]:
        diff = smooth(function, kind, t, k).item() - EXACT[function](x)
        assert abs(diff) <= sm.approximation_error(function, k, kind) + ulp
        assert (diff >= -ulp) if (function, kind) in above else (diff <= ulp)
    for kind in sm.SIGN_KINDS:
        assert abs(sm.smooth_sign(t, k, kind).item() - np.sign(x)) <= 1.0
    assert abs(sm.smooth_step(t, k).item() - float(x > 0)) <= 0.5 + 1e-15


@pytest.mark.parametrize("function, kind", CASES)
def test_converges_as_k_grows(function, kind):
    """Continuous ones converge uniformly like 1/k; sign and step uniformly outside |x| >= 0.1."""
    x = torch.linspace(-3, 3, 6001, dtype=F64)
    keep = (x.abs() >= 0.1) if function in ("sign", "step") else torch.ones_like(x, dtype=torch.bool)
    errs = []
    for k in (1.0, 10.0, 100.0, 1000.0):
        errs.append((smooth(function, kind, x, k) - torch.from_numpy(EXACT[function](x.numpy())))[keep].abs().max().item())
    assert all(a > b or a == b == 0.0 for a, b in zip(errs, errs[1:])), errs
    assert errs[-1] < 1e-3


def test_identities_between_the_approximations():
    x = torch.linspace(-4, 4, 161, dtype=F64)
    y = torch.linspace(3, -2, 161, dtype=F64)
    k = 1.7
    # logcosh |x| is the two-entry smooth max of (x, -x); its max2 is the smooth max at tau 1/(2k)
    torch.testing.assert_close(sm.smooth_abs(x, k), sm.smooth_max(torch.stack([x, -x], -1), 1 / k))
    torch.testing.assert_close(sm.smooth_max2(x, y, k), sm.smooth_max(torch.stack([x, y], -1), 1 / (2 * k)))
    d = x - y
    # the article's two forms of a smooth max(x1, x2)
    torch.testing.assert_close(sm.smooth_max2(x, y, k, "erf"), (x + y + d * torch.special.erf(k * d)) / 2)
    torch.testing.assert_close(sm.smooth_max2(x, y, k, "tanh"), y + d * torch.sigmoid(2 * k * d))
    # relu = max(x, 0); softplus and swish are the logcosh / tanh max2 at half the sharpness
    torch.testing.assert_close(sm.smooth_relu(x, k), torch.log1p(torch.exp(k * x)) / k)
    torch.testing.assert_close(sm.smooth_relu(x, k), sm.smooth_max2(x, 0.0, k / 2))
    torch.testing.assert_close(sm.smooth_relu(x, k, "swish"), sm.smooth_max2(x, 0.0, k / 2, "tanh"))
    # sign = 2 step - 1 at twice the sharpness
    torch.testing.assert_close(sm.smooth_sign(x, k), 2 * sm.smooth_step(x, 2 * k) - 1)


@settings(max_examples=100, deadline=None)
@given(a=finite, b=finite, k=sharp)
def test_smooth_max2_within_its_error_of_max(a, b, k):
    for kind in sm.ABS_KINDS:
        got = sm.smooth_max2(torch.tensor(a, dtype=F64), torch.tensor(b, dtype=F64), k, kind).item()
        assert abs(got - max(a, b)) <= sm.approximation_error("max2", k, kind) + 1e-12 * (1 + abs(a) + abs(b))


def test_smooth_max2_broadcasts_and_keeps_device(device):
    x1 = torch.zeros(3, 1, device=device)
    x2 = torch.arange(4.0, device=device)
    out = sm.smooth_max2(x1, x2, 50.0)
    assert out.shape == (3, 4) and out.device.type == device.type


# ---------------------------------------------------------------- metrics
def counts(pred, y):
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return tp, fp, fn


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=60))
def test_smooth_metrics_equal_hard_metrics_on_hard_predictions_binary(pairs):
    pred = np.array([p for p, _ in pairs])
    y = np.array([t for _, t in pairs])
    tp, fp, fn = counts(pred, y)
    hard_f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    p = torch.tensor(pred, dtype=F64)
    assert sm.smooth_f1(p, torch.tensor(y)).item() == pytest.approx(hard_f1, abs=1e-15)
    assert sm.smooth_accuracy(p, torch.tensor(y)).item() == pytest.approx(float((pred == y).mean()), abs=1e-15)
    assert sm.hard_f1(p, torch.tensor(y), 0.5).item() == pytest.approx(hard_f1, abs=1e-15)
    # the same through (N, 2) one-hot rows
    onehot = torch.nn.functional.one_hot(torch.tensor(pred), 2).to(F64)
    assert sm.smooth_f1(onehot, torch.tensor(y)).item() == pytest.approx(hard_f1, abs=1e-15)
    assert sm.smooth_accuracy(onehot, torch.tensor(y)).item() == pytest.approx(float((pred == y).mean()), abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=60))
def test_macro_f1_on_hard_predictions_is_the_mean_of_per_class_f1(pairs):
    pred = np.array([p for p, _ in pairs])
    y = np.array([t for _, t in pairs])
    per_class = []
    for c in range(4):
        tp, fp, fn = counts((pred == c).astype(int), (y == c).astype(int))
        per_class.append(1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
    onehot = torch.nn.functional.one_hot(torch.tensor(pred), 4).to(F64)
    got = sm.smooth_f1(onehot, torch.tensor(y), average="macro").item()
    assert got == pytest.approx(float(np.mean(per_class)), abs=1e-14)


def test_hard_f1_vectorised_over_thresholds_and_models(device):
    g = torch.Generator(device=device).manual_seed(8)
    scores = torch.randn(3, 200, generator=g, dtype=F64, device=device)  # 3 models
    y = (torch.rand(200, generator=g, device=device) < 0.2).long()
    thresholds = torch.linspace(-1.5, 1.5, 7, dtype=F64, device=device)
    curve = sm.hard_f1(scores[0], y, thresholds[:, None])  # (7,)
    per_model = sm.hard_f1(scores, y, 0.3)  # (3,)
    s, yy = scores.cpu().numpy(), y.cpu().numpy()
    for j, t in enumerate(thresholds.tolist()):
        tp, fp, fn = counts((s[0] > t).astype(int), yy)
        assert curve[j].item() == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-15)
    for r in range(3):
        tp, fp, fn = counts((s[r] > 0.3).astype(int), yy)
        assert per_model[r].item() == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-15)


def test_smooth_accuracy_is_the_expected_accuracy_of_sampled_predictions(device):
    g = torch.Generator(device=device).manual_seed(3)
    n, c, draws = 40, 5, 20_000
    p = torch.softmax(torch.randn(n, c, generator=g, dtype=F64, device=device), -1)
    y = torch.randint(0, c, (n,), generator=g, device=device)
    samples = torch.multinomial(p, draws, replacement=True, generator=g)  # (n, draws)
    acc = (samples == y[:, None]).double().mean(0)  # accuracy of each sampled prediction
    se = acc.std().item() / math.sqrt(draws)
    assert abs(acc.mean().item() - sm.smooth_accuracy(p, y).item()) < 5 * se


def test_smooth_f1_is_the_ratio_of_expected_counts_not_expected_f1():
    """2 E[TP] / (E[#predicted] + #positives) exactly; the exact E[F1] (all 2^n outcomes) differs."""
    rng = np.random.default_rng(4)
    n = 10
    p = rng.uniform(0, 1, n)
    y = (rng.uniform(0, 1, n) < 0.3).astype(float)
    y[0] = 1.0
    ratio = 2 * np.sum(p * y) / (np.sum(p) + np.sum(y))
    assert sm.smooth_f1(torch.tensor(p), torch.tensor(y)).item() == pytest.approx(ratio, rel=1e-14)
    pred = np.array(list(itertools.product([0.0, 1.0], repeat=n)))  # (2^n, n) every outcome
    weight = np.prod(np.where(pred == 1, p, 1 - p), axis=1)
    expected_f1 = np.sum(weight * 2 * (pred * y).sum(1) / (pred.sum(1) + y.sum()))
    assert abs(expected_f1 - ratio) > 1e-3  # a Jensen gap: a ratio of means is not a mean of ratios


def test_metric_gradients_are_finite_and_match_closed_form():
    p = torch.tensor([0.0, 0.2, 0.9, 1.0, 0.5], dtype=F64, requires_grad=True)
    y = torch.tensor([0, 1, 1, 0, 0])
    (g,) = torch.autograd.grad(sm.smooth_f1(p, y), p)
    a, b = 2 * (p * y).sum().item(), (p.sum() + y.sum()).item()
    want = (2 * y.double() * b - a) / b ** 2  # d/dp_n of a/b
    torch.testing.assert_close(g, want)
    zero = torch.zeros(4, dtype=F64, requires_grad=True)  # 0/0: F1 = 1 with a finite gradient
    v = sm.smooth_f1(zero, torch.zeros(4, dtype=torch.long))
    (g,) = torch.autograd.grad(v, zero)
    assert v.item() == 1.0 and torch.isfinite(g).all()


# ---------------------------------------------------------------- the training use case
def test_imbalanced_blobs_counts_moments_and_device(device):
    g = torch.Generator(device=device).manual_seed(5)
    x, y = sm.imbalanced_blobs(20_000, 0.1, 2.5, dim=3, generator=g, device=device)
    assert x.shape == (20_000, 3) and y.shape == (20_000,) and x.device.type == device.type
    assert int(y.sum()) == 2000
    pos, neg = x[y == 1].cpu().numpy(), x[y == 0].cpu().numpy()
    for arr, mean0 in ((pos, 2.5), (neg, 0.0)):
        se = 1 / math.sqrt(len(arr))
        assert abs(arr[:, 0].mean() - mean0) < 5 * se and np.abs(arr[:, 1:].mean(0)).max() < 5 * se
        # each coordinate is standard normal (Kolmogorov-Smirnov)
        assert stats.kstest(arr[:, 1], "norm").pvalue > 1e-3
    x2, _ = sm.imbalanced_blobs(20_000, 0.1, 2.5, dim=3, generator=torch.Generator(device=device).manual_seed(5),
                                device=device)
    assert torch.equal(x, x2)


def test_cross_entropy_training_reaches_the_scipy_optimum():
    g = torch.Generator().manual_seed(6)
    x, y = sm.imbalanced_blobs(600, 0.2, 1.5, generator=g)
    model = sm.train_linear_classifier(x, y, "ce", steps=600, lr=0.1)
    xn, yn = x.numpy(), y.numpy()

    def nll(theta):
        z = xn @ theta[:2] + theta[2]
        return np.mean(np.logaddexp(0, z) - yn * z)

    opt = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    got = np.r_[model.w.numpy(), model.b.item()]
    np.testing.assert_allclose(got, opt.x, atol=2e-3)
    assert model.history_loss[-1].item() == pytest.approx(opt.fun, abs=1e-7)
    assert model.history_step[0] == 0 and model.history_step[-1] == 600
    assert torch.equal(model.history_w[0], torch.zeros(2, dtype=F64))


def test_f1_loss_beats_cross_entropy_at_threshold_half_when_imbalanced():
    """The lesson's claim, on one seed with a wide margin: at 5 % positives the smooth-F1 loss
    reaches a much higher hard F1 than cross-entropy read at 0.5, and about what cross-entropy
    reaches with its threshold moved to the F1-optimal one."""
    g = torch.Generator().manual_seed(0)
    xtr, ytr = sm.imbalanced_blobs(2000, 0.05, 1.0, generator=g)
    xte, yte = sm.imbalanced_blobs(10_000, 0.05, 1.0, generator=g)
    ce = sm.train_linear_classifier(xtr, ytr, "ce")
    f1 = sm.train_linear_classifier(xtr, ytr, "f1")
    hard = lambda z, t=0.0: sm.smooth_f1((z > t).double(), yte).item()
    f1_ce, f1_f1 = hard(ce.logits(xte)), hard(f1.logits(xte))
    thresholds = torch.linspace(0.02, 0.98, 49, dtype=F64)
    train_f1 = [sm.smooth_f1((ce.probs(xtr) > t).double(), ytr).item() for t in thresholds]
    t_best = thresholds[int(np.argmax(train_f1))].item()
    f1_tuned = hard(ce.logits(xte), math.log(t_best / (1 - t_best)))
    assert f1_f1 > f1_ce + 0.1
    assert abs(f1_f1 - f1_tuned) < 0.05
    # the F1-optimal threshold of a calibrated model is about half the F1 it reaches
    assert t_best == pytest.approx(max(train_f1) / 2, abs=0.06)


def test_minibatch_training_is_reproducible_and_finite(device):
    g = torch.Generator(device=device).manual_seed(7)
    x, y = sm.imbalanced_blobs(500, 0.05, 1.0, generator=g, device=device)
    runs = [sm.train_linear_classifier(x, y, "f1", steps=30, batch_size=16, record_every=10,
                                       generator=torch.Generator(device=device).manual_seed(1))
            for _ in range(2)]
    assert torch.equal(runs[0].w, runs[1].w)
    assert torch.isfinite(runs[0].history_loss).all() and runs[0].history_w.shape == (4, 2)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sm.smooth_max(torch.tensor(1.0), 1.0), "x"),
        (lambda: sm.smooth_max(torch.empty(0), 1.0), "x"),
        (lambda: sm.smooth_max(torch.tensor([1.0, float("nan")]), 1.0), "x"),
        (lambda: sm.smooth_max(torch.ones(3), 0.0), "tau"),
        (lambda: sm.smooth_max(torch.ones(3), -1.0), "tau"),
        (lambda: sm.smooth_max(torch.ones(3), float("inf")), "tau"),
        (lambda: sm.smooth_max(torch.ones(3), 1.0, dim=1), "dim"),
        (lambda: sm.smooth_max_bound(0, 1.0), "n"),
        (lambda: sm.smooth_max_bound(3, 0.0), "tau"),
        (lambda: sm.smooth_onehot(torch.ones(3), -2.0), "tau"),
        (lambda: sm.smooth_onehot(torch.ones(2, 3), 1.0, dim=2), "dim"),
        (lambda: sm.smooth_argmax(torch.ones(3), 0), "tau"),
        (lambda: sm.smooth_argmax(torch.tensor([float("inf"), 1.0]), 1.0), "x"),
        (lambda: sm.smooth_abs(torch.ones(3), 0.0), "k"),
        (lambda: sm.smooth_abs(torch.ones(3), 1.0, kind="huber"), "kind"),
        (lambda: sm.smooth_abs(torch.empty(0), 1.0), "x"),
        (lambda: sm.smooth_relu(torch.ones(3), -1.0), "k"),
        (lambda: sm.smooth_relu(torch.ones(3), 1.0, kind="gelu"), "kind"),
        (lambda: sm.smooth_sign(torch.ones(3), float("nan")), "k"),
        (lambda: sm.smooth_sign(torch.ones(3), 1.0, kind="sigmoid"), "kind"),
        (lambda: sm.smooth_step(torch.ones(3), 0), "k"),
        (lambda: sm.smooth_step(torch.tensor([float("nan")]), 1.0), "x"),
        (lambda: sm.smooth_max2(torch.ones(3), torch.ones(4), 1.0), "x2"),
        (lambda: sm.smooth_max2(torch.ones(3), torch.ones(3), 0.0), "k"),
        (lambda: sm.smooth_max2(torch.ones(3), torch.ones(3), 1.0, kind="softplus"), "kind"),
        (lambda: sm.smooth_max2(torch.tensor([float("nan")]), 1.0, 1.0), "x1"),
        (lambda: sm.approximation_error("floor", 1.0), "function"),
        (lambda: sm.approximation_error("abs", 0.0), "k"),
        (lambda: sm.approximation_error("relu", 1.0, "logcosh"), "kind"),
        (lambda: sm.derivative_mass("max", 1.0, 3.0), "function"),
        (lambda: sm.derivative_mass("sign", 0.0, 3.0), "k"),
        (lambda: sm.derivative_mass("sign", 1.0, -1.0), "a"),
        (lambda: sm.derivative_mass("step", 1.0, 3.0, "tanh"), "kind"),
        (lambda: sm.smooth_accuracy(torch.tensor([0.5, 1.5]), torch.tensor([0, 1])), "probs"),
        (lambda: sm.smooth_accuracy(torch.tensor([[0.5, 0.2]]), torch.tensor([0])), "probs"),
        (lambda: sm.smooth_accuracy(torch.ones(2, 2, 2) / 2, torch.tensor([0, 1])), "probs"),
        (lambda: sm.smooth_accuracy(torch.tensor([0.5, 0.5]), torch.tensor([0, 1, 1])), "labels"),
        (lambda: sm.smooth_accuracy(torch.tensor([[0.5, 0.5]]), torch.tensor([2])), "labels"),
        (lambda: sm.smooth_accuracy(torch.tensor([0.5, 0.5]), torch.tensor([0.0, 0.5])), "labels"),
        (lambda: sm.smooth_f1(torch.tensor([0.5, 0.5]), torch.tensor([0, -1])), "labels"),
        (lambda: sm.smooth_f1(torch.tensor([-0.1, 0.5]), torch.tensor([0, 1])), "probs"),
        (lambda: sm.smooth_f1(torch.tensor([0.5, 0.5]), torch.tensor([0, 1]), average="micro"), "average"),
        (lambda: sm.smooth_f1(torch.ones(2, 3) / 3, torch.tensor([0, 1])), "average"),
        (lambda: sm.hard_f1(torch.tensor([float("nan"), 1.0]), torch.tensor([0, 1])), "scores"),
        (lambda: sm.hard_f1(torch.ones(3), torch.tensor([0, 1])), "labels"),
        (lambda: sm.hard_f1(torch.ones(2), torch.tensor([0, 2])), "labels"),
        (lambda: sm.hard_f1(torch.ones(2), torch.tensor([0, 1]), float("inf")), "threshold"),
        (lambda: sm.hard_f1(torch.ones(2, 4), torch.tensor([0, 1, 1, 0]), torch.ones(3, 1)), "threshold"),
        (lambda: sm.imbalanced_blobs(1, 0.1, 1.0), "n"),
        (lambda: sm.imbalanced_blobs(10, 0.0, 1.0), "positive_fraction"),
        (lambda: sm.imbalanced_blobs(10, 1.0, 1.0), "positive_fraction"),
        (lambda: sm.imbalanced_blobs(10, 0.1, -1.0), "separation"),
        (lambda: sm.imbalanced_blobs(10, 0.1, 1.0, dim=0), "dim"),
        (lambda: sm.train_linear_classifier(torch.ones(4), torch.ones(4)), "x"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(3)), "y"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.full((4,), 0.5)), "y"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(4), loss="hinge"), "loss"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(4), steps=0), "steps"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(4), lr=0), "lr"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(4), batch_size=0), "batch_size"),
        (lambda: sm.train_linear_classifier(torch.ones(4, 2), torch.ones(4), record_every=0), "record_every"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------- the figures show the truth (issue 15)
@pytest.mark.parametrize("function, kind, mass", [("sign", "tanh", 2.0), ("sign", "erf", 2.0), ("step", None, 1.0)])
def test_derivative_mass_is_exact_and_tends_to_the_delta_mass(function, kind, mass):
    for k in (1.0, 3.0, 500.0, 1000.0):
        x = torch.linspace(-3, 3, 2_000_001, dtype=torch.float64).requires_grad_(True)
        f = sm.smooth_sign(x, k, kind) if function == "sign" else sm.smooth_step(x, k)
        (d,) = torch.autograd.grad(f.sum(), x)
        quad = torch.trapezoid(d, x.detach()).item()             # spacing 3e-6: resolves the bump at k = 1000
        assert sm.derivative_mass(function, k, 3.0, kind) == pytest.approx(quad, abs=1e-6)
    assert sm.derivative_mass(function, 1000.0, 3.0, kind) == pytest.approx(mass, abs=1e-3)


def test_figure_one_resolves_the_kink_at_every_k():
    """The area printed under sign ≈ tanh is 2 at k = 1000 (the even grid read 5.0), and the drawn gap of
    |x| ≈ x·erf(kx) reaches its sup 0.2404/k (the even grid showed 7.7e-15)."""
    from theory_lib.figures.smoothing import FUNCTIONS, SmoothFunctionFigure

    names = {v: n for n, v in FUNCTIONS.items()}
    fig = SmoothFunctionFigure()
    try:
        assert fig.params["k"] == 3.0 and fig.controls["k"].reachable(3.0)
        for k in (300.0, 1000.0):
            fig.update(function=names["sign", "tanh"], k=k)
            assert "area on [−3, 3] 2" in fig.delta_text.get_text()
            fig.update(function=names["abs", "erf"], k=k)
            drawn = fig.gap_line.get_ydata().max()
            assert drawn == pytest.approx(sm.approximation_error("abs", k, "erf"), rel=1e-3)
    finally:
        fig.close()


def test_smooth_max_figure_refuses_overflowing_vectors_and_keeps_legends_on_the_canvas():
    from theory_lib.figures.smoothing import SmoothMaxFigure

    fig = SmoothMaxFigure()
    try:
        fig.fig.canvas.draw()
        with pytest.raises(ValueError, match="^vector"):
            fig.update(vector="1e308, -1e308")
        fig.update(vector="1e4, -1e4, 9999")                   # the lesson's example still draws
        renderer = fig.fig.canvas.get_renderer()
        canvas = fig.fig.bbox
        for ax in fig.fig.axes:
            box = ax.get_legend().get_window_extent(renderer)
            assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0, ax.get_title()
    finally:
        fig.close()


def test_f1_panels_fit_the_curves():
    from theory_lib.figures.smoothing import SmoothF1TrainingFigure

    fig = SmoothF1TrainingFigure()
    try:
        for ax in fig.fig.axes[1:]:                           # test F1 while training, F1 against t
            top = ax.get_ylim()[1]
            highest = max(np.max(line.get_ydata()) for line in ax.lines if len(line.get_ydata()))
            assert highest <= top <= 1.4 * highest, (ax.get_title(), top, highest)
        x0, x1 = fig.ax_s.get_xlim()
        pts = np.vstack([fig.neg.get_offsets(), fig.pos.get_offsets()])
        assert x0 <= pts[:, 0].min() and pts[:, 0].max() <= x1 and x1 - x0 <= np.ptp(pts[:, 0]) + 2
    finally:
        fig.close()
