"""Smooth approximations (max, onehot, argmax, |x|, relu, sign, step): every formula against an independent route."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from scipy import optimize, special

from theory_lib import smoothing as sm

F64 = torch.float64
finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
sharp = st.floats(0.05, 200.0)

# (function, kind) -> the exact function and the smooth one, both numpy/torch-free of each other
EXACT = {"abs": np.abs, "relu": lambda x: np.maximum(x, 0.0), "sign": np.sign, "step": lambda x: (x > 0).astype(float)}
CASES = (
    [("abs", k) for k in sm.ABS_KINDS]
    + [("relu", k) for k in sm.RELU_KINDS]
    + [("sign", k) for k in sm.SIGN_KINDS]
    + [("step", "sigmoid")]
)


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
        return special.erf(k * x) + 2 * k * x * np.exp(-((k * x) ** 2)) / math.sqrt(math.pi)
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
        return 2 * k * np.exp(-((k * x) ** 2)) / math.sqrt(math.pi)
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
    assert all(a > b for a, b in itertools.pairwise(errs)) and errs[-1] < 1e-12


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
    assert all(a > b for a, b in itertools.pairwise(errs)) and errs[-1] < 1e-40


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
        x = torch.tensor([-1e4, -1.0, -1e-3, 0.0, 1e-3, 1.0, 1e4], dtype=dtype, device=device, requires_grad=True)
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

        def gap(t, k=k):
            return -abs(smooth(function, kind, torch.tensor(t, dtype=F64), k).item() - EXACT[function](t))

        best = min(
            optimize.minimize_scalar(gap, bounds=b, method="bounded", options={"xatol": 1e-12}).fun
            for b in ((-6 / k, 0.0), (0.0, 6 / k))
        )
        assert -best == pytest.approx(sm.approximation_error(function, k, kind), rel=1e-7)


def test_error_constants_by_independent_routes():
    c_erf = -optimize.minimize_scalar(
        lambda u: -u * special.erfc(u), bounds=(0, 3), method="bounded", options={"xatol": 1e-12}
    ).fun
    assert sm.approximation_error("abs", 1.0, "erf") == pytest.approx(c_erf, rel=1e-9)
    assert sm.approximation_error("abs", 1.0, "tanh") == pytest.approx(special.lambertw(1 / math.e).real, rel=1e-12)
    assert sm.approximation_error("relu", 2.0, "swish") == pytest.approx(
        special.lambertw(1 / math.e).real / 2, rel=1e-12
    )
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
        errs.append(
            (smooth(function, kind, x, k) - torch.from_numpy(EXACT[function](x.numpy())))[keep].abs().max().item()
        )
    assert all(a > b or a == b == 0.0 for a, b in itertools.pairwise(errs)), errs
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
