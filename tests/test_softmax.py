"""Repeated softmax: every formula against an independent route."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.autograd.functional import jacobian

from theory_lib import softmax as sm


def test_iterates_shape_index_zero_and_dtype(device):
    x = torch.randn(3, 5, 4, device=device, dtype=torch.float64)
    out = sm.iterate_softmax(x, steps=6)
    assert out.shape == (7, 3, 5, 4)
    assert out.dtype == torch.float64 and out.device.type == device.type
    assert torch.equal(out[0], x)
    assert torch.allclose(out[1:].sum(-1), torch.ones(6, 3, 5, dtype=torch.float64, device=device))


def test_iterates_keep_float32_and_accept_lists():
    assert sm.iterate_softmax(torch.ones(3, dtype=torch.float32), 2).dtype == torch.float32
    assert sm.iterate_softmax([1, 100], 1).dtype == torch.float64  # lists carry no dtype
    assert sm.iterate_softmax(torch.tensor([1, 100]), 1).dtype == torch.get_default_dtype()


def test_after_one_step_every_entry_is_in_open_unit_interval():
    x = torch.tensor([-30.0, 0.0, 5.0, 30.0], dtype=torch.float64)
    p1 = sm.iterate_softmax(x, 1)[1]
    assert ((p1 > 0) & (p1 < 1)).all()
    assert sm.spread(p1) < 1


def test_two_class_iterates_follow_tanh_map(device):
    """n = 2 exactly: a_{k+1} = tanh(a_k / (2 tau))."""
    for tau in (0.3, 1.0, 2.5):
        x = torch.tensor([1.0, 100.0], dtype=torch.float64, device=device)
        a = sm.spread(sm.iterate_softmax(x, 15, temperature=tau))
        predicted = sm.two_class_map(a[:-1], temperature=tau)
        torch.testing.assert_close(a[1:], predicted, rtol=1e-12, atol=1e-15)


def test_two_class_map_is_the_sigmoid_difference():
    d = torch.linspace(-8, 8, 101, dtype=torch.float64)
    assert torch.allclose(sm.two_class_map(d), 2 * torch.sigmoid(d) - 1, atol=1e-14)


@pytest.mark.parametrize("n", [2, 3, 7, 50])
@pytest.mark.parametrize("tau", [0.5, 1.0, 3.0])
def test_local_rate_is_the_jacobian_eigenvalue(n, tau):
    """Autograd Jacobian of p -> softmax(p/tau) at the uniform point is (1/(n tau))(I - 11^T/n)."""
    u = torch.full((n,), 1.0 / n, dtype=torch.float64)
    J = jacobian(lambda p: torch.softmax(p / tau, -1), u)
    expected = (torch.eye(n, dtype=torch.float64) - 1.0 / n) / (n * tau)
    torch.testing.assert_close(J, expected, rtol=1e-12, atol=1e-14)
    eig = torch.linalg.eigvalsh((J + J.T) / 2)
    assert eig.max().item() == pytest.approx(sm.local_rate(n, tau), rel=1e-10)


def test_spread_decays_at_the_local_rate():
    """Far into the iteration, a_{k+1}/a_k tends to 1/(n tau)."""
    x = torch.tensor([0.3, -1.2, 2.0, 0.7, 0.1], dtype=torch.float64)
    for tau in (0.5, 1.0, 2.0):
        a = sm.spread(sm.iterate_softmax(x, 12, temperature=tau))
        ratio = (a[12] / a[11]).item()
        assert ratio == pytest.approx(sm.local_rate(5, tau), rel=1e-3)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=40),
    steps=st.integers(1, 12),
    tau=st.floats(0.05, 10.0),
)
def test_contraction_bound_never_violated(values, steps, tau):
    x = torch.tensor(values, dtype=torch.float64)
    n = x.shape[-1]
    a = sm.spread(sm.iterate_softmax(x, steps, temperature=tau))
    bound = sm.contraction_bound(a[:-1], n, temperature=tau)
    assert (a[1:] <= bound * (1 + 1e-12) + 1e-15).all()


def test_contraction_bound_values():
    assert sm.contraction_bound(1.0, 4) == pytest.approx(2 * math.sinh(1.0) / 4)
    assert sm.contraction_bound(0.5, 3) < 0.5  # a real contraction for small spreads, n >= 3


def test_huge_logits_stay_finite(device):
    x = torch.tensor([1e4, -1e4, 0.0, 1e4], device=device)
    out = sm.iterate_softmax(x, 20)
    assert torch.isfinite(out).all()
    assert sm.steps_to_uniform(x) > 0


def test_article_claims():
    """[1, 100] is about uniform after roughly 10 softmaxes, [1, 2, 3, 4] after roughly 5."""
    k100 = sm.steps_to_uniform(torch.tensor([1.0, 100.0], dtype=torch.float64))
    k4 = sm.steps_to_uniform(torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64))
    assert 9 <= k100 <= 12 and 4 <= k4 <= 7
    # independent count through the exact n = 2 map
    a, k = 99.0, 0
    while a >= 1e-3:
        a, k = math.tanh(a / 2), k + 1
    assert k == k100


def test_steps_to_uniform_batch(device):
    x = torch.tensor([[1.0, 100.0], [0.0, 0.5]], dtype=torch.float64, device=device)
    steps = sm.steps_to_uniform(x)
    assert steps.tolist() == [sm.steps_to_uniform(x[0]), sm.steps_to_uniform(x[1])]


def test_small_temperature_reports_the_fixed_point_instead_of_looping():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    with pytest.raises(sm.NotUniformError, match="fixed point") as info:
        sm.steps_to_uniform(x, temperature=0.1)
    fp = info.value.fixed_point
    # it really is a fixed point of p -> softmax(p / tau), and it is not uniform
    torch.testing.assert_close(torch.softmax(fp / 0.1, -1), fp, atol=1e-12, rtol=0)
    assert sm.spread(fp) > 0.5
    assert info.value.steps < 200


def test_n2_fixed_point_solves_tanh_equation():
    tau = 0.3
    with pytest.raises(sm.NotUniformError) as info:
        sm.steps_to_uniform(torch.tensor([0.0, 1.0], dtype=torch.float64), temperature=tau)
    a_star = info.value.spread.item()
    assert a_star == pytest.approx(math.tanh(a_star / (2 * tau)), abs=1e-12)


def test_max_steps_runs_out_cleanly():
    with pytest.raises(sm.NotUniformError, match="max_steps"):
        sm.steps_to_uniform(torch.tensor([0.0, 1.0], dtype=torch.float64), temperature=0.51, max_steps=5)


def test_critical_temperature_separates_attraction():
    n = 4
    tau_c = sm.critical_temperature(n)
    x = torch.tensor([0.0, 0.1, 0.2, 0.3], dtype=torch.float64)
    assert isinstance(sm.steps_to_uniform(x, temperature=tau_c * 1.2), int)
    with pytest.raises(sm.NotUniformError):
        sm.steps_to_uniform(x, temperature=tau_c * 0.8)


def test_bistability_temperature_against_scipy():
    from scipy.optimize import minimize_scalar

    for n, m in [(3, 1), (4, 1), (10, 1), (10, 3), (1000, 1)]:

        def neg_tau(d, n=n, m=m):
            return -d / (math.log1p((n - m) * d) - math.log1p(-m * d))

        res = minimize_scalar(neg_tau, bounds=(1e-9, (1 - 1e-9) / m), method="bounded", options={"xatol": 1e-12})
        assert sm.bistability_temperature(n, m) == pytest.approx(-res.fun, rel=1e-7)
    assert sm.bistability_temperature(2) == pytest.approx(0.5, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 5000), frac=st.floats(0.0, 1.0))
def test_bistability_temperature_lies_between_one_over_n_and_one_half(n, frac):
    m = 1 + int(frac * (n - 2))
    tau_star = sm.bistability_temperature(n, m)
    assert 1.0 / n * (1 - 1e-9) <= tau_star <= 0.5 * (1 + 1e-9)


def test_two_level_point_is_fixed_at_its_temperature():
    n, m, d = 6, 2, 0.3
    tau = sm.fixed_point_temperature(d, n, m)
    lo, hi = (1 - m * d) / n, (1 + (n - m) * d) / n
    p = torch.tensor([hi] * m + [lo] * (n - m), dtype=torch.float64)
    torch.testing.assert_close(torch.softmax(p / tau, -1), p, rtol=0, atol=1e-14)


def test_bistability_window_iteration():
    """n = 4: between 1/n and tau* both the uniform point and a one-hot-like point attract."""
    n = 4
    tau_star = sm.bistability_temperature(n)
    near_uniform = torch.tensor([0.0, 0.01, 0.02, 0.03], dtype=torch.float64)
    peaked = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    inside = 0.5 * (tau_star + 1.0 / n)
    assert isinstance(sm.steps_to_uniform(near_uniform, temperature=inside), int)
    with pytest.raises(sm.NotUniformError):
        sm.steps_to_uniform(peaked, temperature=inside)
    # just above tau* no non-uniform fixed point is left: the peaked start becomes uniform too
    assert isinstance(sm.steps_to_uniform(peaked, temperature=tau_star * 1.02), int)


def test_last_iterate_is_the_last_of_the_iterates(device):
    x = 3 * torch.randn(50, 5, dtype=torch.float64, device=device)
    torch.testing.assert_close(sm.last_iterate(x, 9, 0.4), sm.iterate_softmax(x, 9, 0.4)[-1], rtol=0, atol=0)


@pytest.mark.parametrize(
    "n, tau, count", [(3, 0.348, 2), (4, 0.3, 2), (8, 0.2, 2), (3, 0.3, 1), (2, 0.3, 1), (3, 0.4, 0)]
)
def test_fixed_point_gaps_are_the_fixed_points(n, tau, count):
    """Each gap gives a point that softmax(./tau) maps to itself (the route: torch's softmax); the
    count is 2 inside the window (1/n, tau*], 1 below 1/n, 0 above tau*."""
    gaps = sm.fixed_point_gaps(tau, n)
    assert len(gaps) == count and gaps == sorted(gaps)
    for d in gaps:
        p = sm.two_level_point(d, n)
        torch.testing.assert_close(torch.softmax(p / tau, -1), p, rtol=0, atol=1e-13)


def test_in_the_window_the_small_gap_is_a_saddle_and_the_large_one_attracts():
    n, tau = 3, 0.348
    saddle, node = sm.fixed_point_gaps(tau, n)
    for d, fate in ((saddle * 0.99, "uniform"), (saddle * 1.01, node), (node * 0.98, node), (node * 1.01, node)):
        p = sm.last_iterate(sm.two_level_point(d, n), 3000, tau)
        if fate == "uniform":
            assert sm.spread(p) < 1e-9
        else:
            assert sm.spread(p).item() == pytest.approx(fate, abs=1e-9)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sm.last_iterate(torch.ones(3), -1), "steps"),
        (lambda: sm.last_iterate(torch.ones(3), 2, temperature=0), "temperature"),
        (lambda: sm.fixed_point_gaps(0.0, 3), "temperature"),
        (lambda: sm.fixed_point_gaps(0.3, 1), "n"),
        (lambda: sm.fixed_point_gaps(0.3, 3, 3), "m"),
        (lambda: sm.two_level_point(0.5, 3, 2), "d"),
        (lambda: sm.two_level_point(-0.1, 3), "d"),
        (lambda: sm.iterate_softmax(torch.tensor(1.0), 3), "x"),
        (lambda: sm.iterate_softmax(torch.empty(0), 3), "x"),
        (lambda: sm.iterate_softmax(torch.tensor([1.0, float("nan")]), 3), "x"),
        (lambda: sm.iterate_softmax(torch.tensor([1.0, float("inf")]), 3), "x"),
        (lambda: sm.iterate_softmax(torch.ones(3), -1), "steps"),
        (lambda: sm.iterate_softmax(torch.ones(3), 2.5), "steps"),
        (lambda: sm.iterate_softmax(torch.ones(3), 2, temperature=0), "temperature"),
        (lambda: sm.iterate_softmax(torch.ones(3), 2, temperature=-1), "temperature"),
        (lambda: sm.spread(torch.empty(0)), "p"),
        (lambda: sm.spread(torch.tensor(2.0)), "p"),
        (lambda: sm.contraction_bound(-0.1, 3), "a"),
        (lambda: sm.contraction_bound(0.1, 0), "n"),
        (lambda: sm.contraction_bound(0.1, 3, temperature=0), "temperature"),
        (lambda: sm.two_class_map(float("nan")), "a"),
        (lambda: sm.two_class_map(0.5, temperature=-2), "temperature"),
        (lambda: sm.local_rate(1), "n"),
        (lambda: sm.critical_temperature(1), "n"),
        (lambda: sm.steps_to_uniform(torch.ones(3), tol=0), "tol"),
        (lambda: sm.steps_to_uniform(torch.ones(3), temperature=0), "temperature"),
        (lambda: sm.steps_to_uniform(torch.ones(3), max_steps=-1), "max_steps"),
        (lambda: sm.steps_to_uniform(torch.tensor(3.0)), "x"),
        (lambda: sm.fixed_point_temperature(0.0, 4), "d"),
        (lambda: sm.fixed_point_temperature(0.6, 4, 2), "d"),
        (lambda: sm.fixed_point_temperature(0.1, 1), "n"),
        (lambda: sm.fixed_point_temperature(0.1, 4, 4), "m"),
        (lambda: sm.bistability_temperature(4, 0), "m"),
        (lambda: sm.bistability_temperature(1), "n"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------- what the messages say
def test_stall_message_gives_the_true_reason():
    """[1, 2, 3, 4] at tau = 0.3 stalls in the bistable window (1/n = 0.25 < 0.3 <= tau*), not
    because 0.3 < 1/n; at tau = 0.2 the uniform point really repels."""
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    with pytest.raises(sm.NotUniformError) as info:
        sm.steps_to_uniform(x, temperature=0.3)
    msg = str(info.value)
    assert info.value.stalled
    assert "0.3 > 1/n = 0.25" in msg and "bistable window" in msg and "repel" not in msg
    assert f"0.3 ≤ τ* = {sm.bistability_temperature(4):.6g}" in msg
    with pytest.raises(sm.NotUniformError, match=r"0\.2 < 1/n = 0\.25: the uniform point repels"):
        sm.steps_to_uniform(x, temperature=0.2)


def test_running_out_of_steps_is_not_a_stall():
    with pytest.raises(sm.NotUniformError) as info:
        sm.steps_to_uniform(torch.tensor([0.0, 1.0], dtype=torch.float64), temperature=0.51, max_steps=5)
    assert not info.value.stalled and info.value.steps == 5
