"""Flooding (|L - b| + b): every formula against an independent route, bad input, extreme input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import flooding as fl

F64 = dict(dtype=torch.float64)


def quadratic(a: torch.Tensor):
    """L = (1/2) theta^T A theta, as a loss_fn."""
    return lambda t: 0.5 * t @ (a.to(t) @ t)


def spd(dim: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(dim, dim, generator=g, **F64)
    return m @ m.T / dim + 0.1 * torch.eye(dim, **F64)


# ---------------------------------------------------------------- the flooded loss
def test_flooding_loss_gradient_is_the_sign_times_the_gradient(device):
    """grad of |L - b| + b is sign(L - b) grad L: autograd on the flooded loss against that rule."""
    theta = torch.tensor([0.4, -0.2], device=device, **F64)
    for b in (0.0, 0.3, 2.0):
        t = theta.clone().requires_grad_(True)
        loss = fl.toy_loss(t)
        (g_flood,) = torch.autograd.grad(fl.flooding_loss(loss, b), t)
        expected = math.copysign(1.0, loss.item() - b) * fl.toy_gradient(theta)
        torch.testing.assert_close(g_flood, expected)
        assert fl.flooding_loss(loss, b).item() == pytest.approx(max(loss.item(), 2 * b - loss.item()))


def test_toy_gradient_and_penalty_against_autograd(device):
    g = torch.Generator(device=device).manual_seed(0)
    theta = 2 * torch.randn(50, 2, generator=g, device=device, **F64)
    t = theta.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fl.toy_loss(t).sum(), t, create_graph=True)
    (pen,) = torch.autograd.grad((grad * grad).sum(), t)
    torch.testing.assert_close(fl.toy_gradient(theta), grad.detach())
    torch.testing.assert_close(fl.toy_penalty_gradient(theta), pen)
    v = torch.tensor([[1.0, 2.0], [-0.5, 0.3]], device=device, **F64)
    assert fl.valley_loss(v).tolist() == pytest.approx([0.5 * 5, 0.5 * 1.09 * 0.25])


# ---------------------------------------------------------------- two steps
@pytest.mark.parametrize("order", fl.ORDERS)
def test_descent_ascent_on_a_quadratic_is_exact(order, device):
    """L = theta^T A theta / 2: both orders give theta - (e1 - e2) A theta - e1 e2 A^2 theta exactly,
    which is also equivalent_step's prediction (no third-order term for a quadratic)."""
    a = spd(5, 1).to(device)
    theta = torch.linspace(-1, 1, 5, device=device, **F64)
    for e1, e2 in ((0.1, 0.1), (0.3, 0.05), (0.02, 0.2)):
        exact = theta - (e1 - e2) * a @ theta - e1 * e2 * a @ a @ theta
        got = fl.descent_ascent(theta, quadratic(a), e1, ascent_lr=e2, order=order)
        torch.testing.assert_close(got, exact, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(fl.equivalent_step(theta, quadratic(a), e1, ascent_lr=e2), exact)


def test_descent_ascent_leaves_theta_alone_and_matches_two_manual_steps():
    theta = torch.tensor([0.5, -0.3], **F64)
    keep = theta.clone()
    out = fl.descent_ascent(theta, fl.toy_loss, 0.2, ascent_lr=0.1)
    assert torch.equal(theta, keep)
    mid = theta - 0.2 * fl.toy_gradient(theta)
    torch.testing.assert_close(out, mid + 0.1 * fl.toy_gradient(mid))
    back = fl.descent_ascent(theta, fl.toy_loss, 0.2, ascent_lr=0.1, order="ascent-first")
    mid = theta + 0.1 * fl.toy_gradient(theta)
    torch.testing.assert_close(back, mid - 0.2 * fl.toy_gradient(mid))


@pytest.mark.parametrize("order", fl.ORDERS)
def test_equivalent_step_error_falls_as_eps_cubed(order, device):
    """On the non-quadratic toy, |exact two steps - prediction| / eps^3 settles to a constant:
    the log-log slope over eps = 0.04 .. 0.005 is 3 (it would be 2 with the eps^2/2 coefficient wrong)."""
    theta = torch.tensor([0.5, -0.3], device=device, **F64)
    eps = np.array([0.04, 0.02, 0.01, 0.005])
    err = [
        (fl.descent_ascent(theta, fl.toy_loss, e, order=order) - fl.equivalent_step(theta, fl.toy_loss, e))
        .norm()
        .item()
        for e in eps
    ]
    slope = np.polyfit(np.log(eps), np.log(err), 1)[0]
    assert slope == pytest.approx(3.0, abs=0.1)
    move = (fl.descent_ascent(theta, fl.toy_loss, 0.01, order=order) - theta).norm().item()
    assert err[2] < 0.05 * move  # the prediction carries the step: the displacement is O(eps^2)
    # unequal rates at a fixed ratio: the error is O(eps^3) too
    err2 = [
        (
            fl.descent_ascent(theta, fl.toy_loss, e, ascent_lr=e / 2)
            - fl.equivalent_step(theta, fl.toy_loss, e, ascent_lr=e / 2)
        )
        .norm()
        .item()
        for e in eps
    ]
    assert np.polyfit(np.log(eps), np.log(err2), 1)[0] == pytest.approx(3.0, abs=0.1)


def test_equal_rates_have_no_l_term():
    """At equal rates the first-order terms cancel: the two steps move by O(eps^2), not O(eps)."""
    theta = torch.tensor([0.5, -0.3], **F64)
    d1 = (fl.descent_ascent(theta, fl.toy_loss, 0.01) - theta).norm().item()
    d2 = (fl.descent_ascent(theta, fl.toy_loss, 0.005) - theta).norm().item()
    assert d1 / d2 == pytest.approx(4.0, rel=0.02)


def test_equivalent_penalty_is_the_objective_of_the_prediction():
    """rate * grad(L + c ||g||^2) equals (e1 - e2) g + (e1 e2 / 2) grad ||g||^2, by autograd of that objective."""
    e1, e2 = 0.1, 0.04
    rate, c = fl.equivalent_penalty(e1, e2)
    assert rate == pytest.approx(0.06) and c == pytest.approx(0.1 * 0.04 / 0.12)
    theta = torch.tensor([0.7, 0.2], **F64, requires_grad=True)
    (g,) = torch.autograd.grad(fl.toy_loss(theta), theta, create_graph=True)
    (obj,) = torch.autograd.grad(fl.toy_loss(theta) + c * (g * g).sum(), theta)
    torch.testing.assert_close(theta.detach() - rate * obj, fl.equivalent_step(theta, fl.toy_loss, e1, ascent_lr=e2))
    assert fl.equivalent_penalty(1e300, 1e299)[1] == pytest.approx(1e300 * (1 / 9) / 2)


def test_unequal_rate_paths_against_autograd_steps():
    """The alternating path is descent_ascent iterated; the predicted one is gradient descent on
    L + c ||g||^2 by autograd; over 200 steps they stay close (second order per step)."""
    theta = torch.tensor([0.5, -0.3], **F64)
    alt, pen = fl.unequal_rate_paths(theta, 0.1, 0.05, 30)
    t = theta
    for k in range(30):
        t = fl.descent_ascent(t, fl.toy_loss, 0.1, ascent_lr=0.05)
        torch.testing.assert_close(alt[k + 1], t)
    rate, c = fl.equivalent_penalty(0.1, 0.05)
    t = theta.clone()
    for k in range(30):
        x = t.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fl.toy_loss(x), x, create_graph=True)
        (obj,) = torch.autograd.grad(fl.toy_loss(x) + c * (g * g).sum(), x)
        t = t - rate * obj
        torch.testing.assert_close(pen[k + 1], t)
    alt, pen = fl.unequal_rate_paths(theta, 0.1, 0.05, 200)
    walked = (alt[-1] - alt[0]).norm()
    assert (alt[-1] - pen[-1]).norm() < 0.02 * walked


# ---------------------------------------------------------------- the valley
def test_flood_valley_matches_flooding_loss_under_sgd():
    """torch.optim.SGD on flooding_loss(valley_loss) takes the same steps as flood_valley."""
    for b in (0.0, 0.1):
        theta = torch.tensor([1.0, 2.0], **F64, requires_grad=True)
        opt = torch.optim.SGD([theta], lr=0.05)
        path = [theta.detach().clone()]
        for _ in range(300):
            opt.zero_grad()
            fl.flooding_loss(fl.valley_loss(theta), b).backward()
            opt.step()
            path.append(theta.detach().clone())
        torch.testing.assert_close(fl.flood_valley(1.0, 2.0, b=b, lr=0.05, steps=300), torch.stack(path))


def test_flood_valley_flattens_and_plain_descent_does_not():
    """Plain descent stops where it lands (v ~ 1.77, sharpness ~ 4.1); flooding at b = 0.1 drifts along the
    valley to v ~ 0 (sharpness ~ 1) with the loss held at b (the note's numbers, recomputed)."""
    plain = fl.flood_valley(1.0, 2.0, b=0.0, lr=0.05, steps=20_000)
    flood = fl.flood_valley(1.0, 2.0, b=0.1, lr=0.05, steps=20_000)
    assert 1 + plain[-1, 1] ** 2 > 4 and 1.7 < plain[-1, 1] < 1.8
    assert 1 + flood[-1, 1] ** 2 < 1.001
    assert fl.valley_loss(flood[-1]).item() == pytest.approx(0.1, rel=0.05)
    assert fl.flood_valley(1.0, 2.0, b=0.1, lr=0.05, steps=0).tolist() == [[1.0, 2.0]]


def test_flood_valleys_is_flood_valley_for_each_setting():
    b = torch.tensor([0.0, 0.1, 0.25], **F64)[:, None]
    v0 = torch.tensor([0.5, 2.0], **F64)
    keep = [0, 1, 7, 500]
    out = fl.flood_valleys(1.0, v0, b=b, lr=0.05, steps=500, keep=keep)
    assert out.shape == (4, 3, 2, 2)
    for i in range(3):
        for j in range(2):
            ref = fl.flood_valley(1.0, v0[j].item(), b=b[i, 0].item(), lr=0.05, steps=500)
            assert torch.equal(out[:, i, j], ref[keep])


# ---------------------------------------------------------------- the experiment
def test_sign_flip_rate_counts_from_the_first_dip():
    assert fl.sign_flip_rate([0.5, 0.3, 0.05, 0.2, 0.05, 0.2], 0.1) == 1.0
    assert fl.sign_flip_rate([0.5, 0.05, 0.04, 0.2, 0.3], 0.1) == pytest.approx(1 / 3)
    assert fl.sign_flip_rate([0.5, 0.4], 0.1) == 0.0


def test_train_flooding_holds_the_loss_at_b_and_plain_training_drives_it_to_zero():
    plain = fl.train_flooding(0.0, 400, log_every=100)
    flood = fl.train_flooding(0.2, 400, log_every=100)
    assert plain.train_loss[-1] < 0.1 and plain.train_error[-1] < 0.05
    assert flood.train_loss[-1] == pytest.approx(0.2, abs=0.03)
    assert flood.flip_rate > 0.8  # full-batch descent alternates
    assert plain.test_loss[-1] > flood.test_loss[-1]
    assert torch.equal(plain.train_loss[:1], flood.train_loss[:1])  # same data and initial weights
    assert plain.step_loss.shape == (400,) and plain.logged.tolist() == [0, 100, 200, 300, 400]
    again = fl.train_flooding(0.0, 400, log_every=100)
    assert torch.equal(again.train_loss, plain.train_loss)


def test_train_flooding_reports_progress_and_a_raising_hook_stops_it():
    seen = []
    fl.train_flooding(0.1, 30, log_every=10, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 30), (10, 30), (20, 30)]

    def stop(done, total):
        if done >= 10:
            raise KeyboardInterrupt  # what a worker's Cancelled does: the run ends there

    with pytest.raises(KeyboardInterrupt):
        fl.train_flooding(0.1, 30, log_every=10, progress=stop)


# ---------------------------------------------------------------- bad and extreme input
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: fl.flooding_loss(0.3, -0.1), "b"),
        (lambda: fl.descent_ascent([0.5, 0.1], fl.toy_loss, 0.0), "lr"),
        (lambda: fl.descent_ascent([0.5, 0.1], fl.toy_loss, 0.1, ascent_lr=-1), "ascent_lr"),
        (lambda: fl.descent_ascent([0.5, 0.1], fl.toy_loss, 0.1, order="up"), "order"),
        (lambda: fl.descent_ascent([0.5, 0.1], 3, 0.1), "loss_fn"),
        (lambda: fl.equivalent_step([0.5, 0.1], "f", 0.1), "loss_fn"),
        (lambda: fl.equivalent_penalty(0.1, 0.1), "ascent_lr"),
        (lambda: fl.equivalent_penalty(0.1, 0.2), "ascent_lr"),
        (lambda: fl.equivalent_penalty(-0.1, 0.05), "lr"),
        (lambda: fl.flood_valley(1, 2, b=-1, lr=0.1, steps=3), "b"),
        (lambda: fl.flood_valley(1, 2, b=0.1, lr=0, steps=3), "lr"),
        (lambda: fl.flood_valley(1, 2, b=0.1, lr=0.1, steps=-1), "steps"),
        (lambda: fl.flood_valleys(1, 2, b=0.1, lr=0.1, steps=3, keep=[2, 1]), "keep"),
        (lambda: fl.flood_valleys(1, 2, b=0.1, lr=0.1, steps=3, keep=[5]), "keep"),
        (lambda: fl.valley_loss([1.0, 2.0, 3.0]), "theta"),
        (lambda: fl.unequal_rate_paths([0.5, 0.1], 0.1, 0.1, 3), "ascent_lr"),
        (lambda: fl.train_flooding(-0.1, 3), "b"),
        (lambda: fl.train_flooding(0.1, 3, optimizer="rmsprop"), "optimizer"),
        (lambda: fl.train_flooding(0.1, 3, batch_size=1000), "batch_size"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_extreme_input_stays_finite():
    assert fl.flooding_loss(torch.tensor(1e300, **F64), 1e6).item() == 1e300
    tiny = fl.descent_ascent([0.5, -0.3], fl.toy_loss, 1e-12)
    assert torch.isfinite(tiny).all()
    assert torch.isfinite(fl.toy_penalty_gradient(torch.tensor([-1e3, 0.0]))).all()
    assert torch.isfinite(fl.toy_loss(torch.tensor([1e3, 10.0], dtype=torch.float32))).all()
    far = fl.flood_valley(1.0, 3.0, b=1e6, lr=0.01, steps=5)  # b above the loss: ascent
    assert torch.isfinite(far).all() and far[-1, 0] > far[0, 0]
    assert torch.isfinite(fl.flood_valley(1e-200, 0.0, b=0.0, lr=1e-12, steps=10)).all()
