"""Derived optimisers: DerivedOptimizer against torch's SGD, Adam and AdamW, L2 under SGD, a full batch,
Lookahead's closed form and a hand loop for lazy rows; piecewise_linear against np.interp; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theory_lib import optimizers as op


def _run(make_opt, loss_fn, theta0, steps, device):
    theta = torch.tensor(theta0, dtype=torch.float64, device=device, requires_grad=True)
    opt = make_opt([theta])
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(theta).backward()
        opt.step()
    return theta.detach()


def _loss(theta):
    return (torch.sin(theta) * torch.arange(1, theta.numel() + 1, device=theta.device)).sum() + (theta**4).sum() / 4


THETA0 = [1.0, -2.0, 0.5]


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (dict(base="sgd", lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
        (dict(base="sgd", lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (dict(base="sgd", lr=0.05, weight_decay=0.1), lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.1)),
        (dict(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (dict(lr=0.01, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ],
)
def test_matches_torch(ours, theirs, device):
    a = _run(lambda p: op.DerivedOptimizer(p, **ours), _loss, THETA0, 30, device)
    b = _run(theirs, _loss, THETA0, 30, device)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_decay_is_l2_for_sgd_but_not_for_adam(device):
    lam = 0.1

    def l2(t):
        return _loss(t) + lam / 2 * (t * t).sum()

    for base, lr in (("sgd", 0.05), ("adam", 0.01)):
        decay = _run(
            lambda p, b=base, r=lr: op.DerivedOptimizer(p, base=b, lr=r, weight_decay=lam), _loss, THETA0, 20, device
        )
        in_loss = _run(lambda p, b=base, r=lr: op.DerivedOptimizer(p, base=b, lr=r), l2, THETA0, 20, device)
        gap = (decay - in_loss).abs().max().item()
        assert gap < 1e-12 if base == "sgd" else gap > 1e-3
    # Adam + L2 with torch.optim.Adam(weight_decay) = our Adam on L + lambda/2 ||theta||^2
    torch.testing.assert_close(
        _run(lambda p: op.DerivedOptimizer(p, lr=0.01), l2, THETA0, 20, device),
        _run(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=lam), _loss, THETA0, 20, device),
    )


def test_the_notes_adam_step_goes_against_the_gradient(device):
    """theta = (1, -2), a small positive gradient on the second coordinate, lr 0.01, lambda 0.1."""
    g = torch.tensor([0.5, 0.01], dtype=torch.float64, device=device)

    def one(weight_decay, l2):
        theta = torch.tensor([1.0, -2.0], dtype=torch.float64, device=device, requires_grad=True)
        opt = op.DerivedOptimizer([theta], lr=0.01, weight_decay=weight_decay)
        theta.grad = g + l2 * theta.detach()
        opt.step()
        return theta.detach()

    assert one(0.0, 0.1)[1].item() > -2.0  # L2: moves up, against the gradient's sign
    assert one(0.1, 0.0)[1].item() < -2.0
    assert one(0.1, 0.0)[1].item() == pytest.approx(-2.0 - 0.01 * (1 + 0.1 * -2.0), rel=1e-6)


def test_layer_adaptation_fixes_the_step_at_lr_norm_theta(device):
    for scale in (1.0, 100.0):
        theta = torch.tensor([3.0, 4.0], dtype=torch.float64, device=device)
        opt = op.DerivedOptimizer([theta], base="sgd", lr=0.1, layer_adaptation=True)
        theta.grad = scale * torch.tensor([1.0, 2.0], dtype=torch.float64, device=device)
        before = theta.clone()
        opt.step()
        assert (theta - before).norm().item() == pytest.approx(0.1 * 5.0, rel=1e-12)
    zero = torch.zeros(2, dtype=torch.float64, device=device)
    opt = op.DerivedOptimizer([zero], base="sgd", lr=0.1, layer_adaptation=True)
    zero.grad = torch.ones(2, dtype=torch.float64, device=device)
    opt.step()  # ||theta|| = 0: no rescaling, a plain step
    torch.testing.assert_close(zero, torch.full_like(zero, -0.1))


def test_schedule_scales_each_update(device):
    sched = {3: 1.0, 6: 0.25}
    theta = torch.zeros(1, dtype=torch.float64, device=device)
    opt = op.DerivedOptimizer([theta], base="sgd", lr=0.5, lr_schedule=sched)
    moves = []
    for _ in range(8):
        theta.grad = torch.ones_like(theta)
        before = theta.item()
        opt.step()
        moves.append(before - theta.item())
    want = 0.5 * np.interp(np.arange(8), [0, 3, 6], [0.0, 1.0, 0.25])
    np.testing.assert_allclose(moves, want, atol=1e-15)


def test_piecewise_linear_is_np_interp():
    rng = np.random.default_rng(0)
    t = rng.uniform(-10, 3000, 200)
    for sched, zero in (({1000: 1.0, 2000: 0.1}, True), ({0: 0.5, 10: 2.0}, True), ({100: 1.0, 200: 0.3}, False)):
        xs = sorted(sched)
        ys = [sched[x] for x in xs]
        if zero and xs[0] != 0:
            xs, ys = [0] + xs, [0.0] + ys
        ours = op.piecewise_linear(torch.tensor(t), sched, from_zero=zero).numpy()
        np.testing.assert_allclose(ours, np.interp(t, xs, ys), atol=1e-12)
    assert op.piecewise_linear(500, {1000: 1.0}) == 0.5


def test_accumulation_equals_the_full_batch(device):
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(12, 3, generator=gen, dtype=torch.float64), torch.randn(12, generator=gen, dtype=torch.float64)
    X, y = X.to(device), y.to(device)
    w_full = torch.zeros(3, dtype=torch.float64, device=device, requires_grad=True)
    w_acc = torch.zeros(3, dtype=torch.float64, device=device, requires_grad=True)
    full = op.DerivedOptimizer([w_full], lr=0.05)
    acc = op.DerivedOptimizer([w_acc], lr=0.05, grad_accum_steps=4)
    for _ in range(10):
        full.zero_grad()
        ((X @ w_full - y) ** 2).mean().backward()
        full.step()
        for j in range(4):
            acc.zero_grad()
            ((X[3 * j : 3 * j + 3] @ w_acc - y[3 * j : 3 * j + 3]) ** 2).mean().backward()
            before = w_acc.detach().clone()
            acc.step()
            if j < 3:
                assert torch.equal(before, w_acc.detach())  # no update between micro-batches
    torch.testing.assert_close(w_acc, w_full, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k, alpha", [(5, 0.5), (3, 0.8), (1, 1.0)])
def test_lookahead_closed_form(k, alpha, device):
    lr, n = 0.1, 4
    theta = torch.tensor([2.0], dtype=torch.float64, device=device)
    opt = op.DerivedOptimizer([theta], base="sgd", lr=lr, lookahead_steps=k, lookahead_alpha=alpha)
    for _ in range(n * k):
        theta.grad = theta.clone()  # L = theta^2 / 2
        opt.step()
    assert theta.item() == pytest.approx(2.0 * op.lookahead_factor(lr, k, alpha, n), rel=1e-12)


def test_lazy_rows_against_a_hand_loop(device):
    grads = [torch.tensor([[1.0, -1.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.5, 2.0]])] * 3
    emb = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, device=device)
    plain_emb = emb.clone()
    lazy = op.DerivedOptimizer([emb], lr=0.1, lazy=True)
    plain = op.DerivedOptimizer([plain_emb], lr=0.1)
    ref, m, v = emb.clone(), torch.zeros_like(emb), torch.zeros_like(emb)
    for t, g in enumerate(grads):
        g = g.to(device=device, dtype=torch.float64)
        emb.grad, plain_emb.grad = g, g
        before = plain_emb.clone()
        lazy.step()
        plain.step()
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        h = (m / (1 - 0.9 ** (t + 1))) / ((v / (1 - 0.999 ** (t + 1))).sqrt() + 1e-8)
        ref = ref - 0.1 * h * (g != 0).any(dim=-1, keepdim=True)
        if t > 0:  # plain Adam moves the row whose gradient is zero (momentum), lazy does not
            assert (plain_emb - before)[(g == 0).all(dim=-1)].abs().max() > 0
        torch.testing.assert_close(emb, ref, rtol=1e-12, atol=1e-12)


def test_quadratic_path_converges_and_is_reproducible(device):
    path = op.quadratic_path(400, {"base": "sgd", "lr": 0.05}, device=device)
    torch.testing.assert_close(path[-1], torch.tensor(op.QUADRATIC_C, dtype=torch.float64, device=device))
    noisy = [
        op.quadratic_path(
            20, {"lr": 0.1}, noise=1.0, device=device, generator=torch.Generator(device=device).manual_seed(3)
        )
        for _ in range(2)
    ]
    assert torch.equal(*noisy) and path.shape == (401, 2)
    acc = op.quadratic_path(7, {"lr": 0.1, "grad_accum_steps": 3})
    assert acc.shape == (8, 2)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(base="rmsprop"), "base"),
        (dict(grad_accum_steps=0), "grad_accum_steps"),
        (dict(lookahead_alpha=0.0), "lookahead_alpha"),
        (dict(lookahead_alpha=1.5), "lookahead_alpha"),
        (dict(lookahead_steps=0), "lookahead_steps"),
        (dict(lr_schedule={}), "schedule"),
        (dict(lr=-1.0), "lr"),
        (dict(betas=(0.9, 1.0)), "betas"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(lazy=1), "lazy"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        op.DerivedOptimizer([torch.zeros(2)], **kwargs)


def test_bad_schedule_input():
    with pytest.raises(ValueError, match="schedule"):
        op.piecewise_linear(1.0, {})
    with pytest.raises(ValueError, match="schedule step"):
        op.piecewise_linear(1.0, {-5: 1.0})
    with pytest.raises(ValueError, match="alpha"):
        op.lookahead_factor(0.1, 5, 0.0, 1)


def test_extreme_input_stays_finite(device):
    assert op.piecewise_linear(1e12, {1000: 1.0}) == 1.0
    theta = torch.tensor([1e30, -1e30], dtype=torch.float64, device=device)
    opt = op.DerivedOptimizer([theta], lr=1e-3, weight_decay=0.01, layer_adaptation=True)
    theta.grad = torch.tensor([1e-300, 0.0], dtype=torch.float64, device=device)
    opt.step()
    assert torch.isfinite(theta).all()


@pytest.mark.parametrize(
    "options",
    [
        dict(base="adam", lr=0.05, weight_decay=0.3),
        dict(base="sgd", lr=0.05, layer_adaptation=True, weight_decay=0.1),
        dict(base="adam", lr=0.05, grad_accum_steps=4, lookahead_steps=5, lookahead_alpha=0.3),
        dict(base="adam", lr=0.1, lr_schedule={20: 1.0, 50: 0.2}),
    ],
)
def test_quadratic_paths_row_by_row_equal_quadratic_path(options):
    """Each row of the batched run is DerivedOptimizer's own path (the figures read the batch)."""
    for noise, l2 in ((0.0, 0.0), (1.5, 0.2)):
        ref = op.quadratic_path(60, options, noise=noise, l2=l2, generator=torch.Generator().manual_seed(0))
        sched = options.get("lr_schedule")
        rho = None if sched is None else op.piecewise_linear(torch.arange(60.0, dtype=torch.float64), sched)
        rows = op.quadratic_paths(
            60,
            3,
            base=options["base"],
            lr=options["lr"],
            weight_decay=[options.get("weight_decay", 0.0), 0.0, options.get("weight_decay", 0.0)],
            l2=l2,
            noise=noise,
            rho=None if rho is None else rho[:, None],
            layer_adaptation=options.get("layer_adaptation", False),
            grad_accum_steps=options.get("grad_accum_steps", 1),
            lookahead_steps=options.get("lookahead_steps", 0),
            lookahead_alpha=options.get("lookahead_alpha", 0.5),
        )
        torch.testing.assert_close(rows[:, 0], ref, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(rows[:, 2], ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="weight_decay"):
        op.quadratic_paths(5, 3, weight_decay=[0.1, 0.2])


def _numpy_rare_row(beta1, period, steps, lazy, lr=0.1, beta2=0.999, eps=1e-8):
    """Adam on the rare row written in numpy, one coordinate at a time (both coordinates are equal)."""
    theta, m, v, out = 0.0, 0.0, 0.0, [0.0]
    for t in range(steps):
        seen = t % period == 0
        g = theta - 1.0 if seen else 0.0
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        u = (m / (1 - beta1 ** (t + 1))) / (np.sqrt(v / (1 - beta2 ** (t + 1))) + eps)
        theta -= lr * u * (seen or not lazy)
        out.append(theta)
    return np.array(out)


@pytest.mark.parametrize("beta1, period", [(0.9, 10), (0.0, 10), (0.5, 3), (0.95, 1)])
@pytest.mark.parametrize("lazy", [False, True])
def test_lazy_rows_against_numpy_adam(beta1, period, lazy, device):
    path, seen = op.lazy_rows(beta1, period, 40, lazy=lazy, device=device)
    want = _numpy_rare_row(beta1, period, 40, lazy)
    np.testing.assert_allclose(path.numpy(), np.stack([want, want], 1), rtol=1e-12, atol=1e-15)
    assert seen.tolist() == [t % period == 0 for t in range(40)]
    fast = op.lazy_rows_batched([beta1, 0.3], [period, 7], 40, lazy=lazy)
    np.testing.assert_allclose(fast[:, 0].numpy(), path.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast[:, 1].numpy(), op.lazy_rows(0.3, 7, 40, lazy=lazy)[0].numpy(), atol=1e-15)


def test_lazy_rows_first_drift_closed_form():
    """Step 1 (no gradient) after step 0's gradient g: plain Adam moves each coordinate by
    lr (β₁/(1+β₁)) / sqrt(β₂/(1+β₂)); lazy Adam does not move."""
    for beta1 in (0.0, 0.5, 0.9):
        path, _ = op.lazy_rows(beta1, 10, 2, lazy=False)
        want = 0.1 * (beta1 / (1 + beta1)) / np.sqrt(0.999 / 1.999)
        np.testing.assert_allclose((path[2] - path[1]).numpy(), [want, want], rtol=1e-7)
        lazy, _ = op.lazy_rows(beta1, 10, 2, lazy=True)
        assert torch.equal(lazy[2], lazy[1])


@pytest.mark.parametrize(
    "kwargs",
    [dict(beta1=1.0), dict(beta1=-0.1), dict(period=0), dict(period=2.5), dict(lazy="yes"), dict(steps=-1)],
)
def test_lazy_rows_bad_input(kwargs):
    args = dict(beta1=0.9, period=5, steps=10, lazy=False) | kwargs
    with pytest.raises(ValueError):
        op.lazy_rows(**args)
    if "lazy" not in kwargs:
        with pytest.raises(ValueError):
            op.lazy_rows_batched(**args)


def _keras_v1_accumulation(k, updates, lr=0.1, beta1=0.9, beta2=0.999):
    """bert4keras's Keras-v1 gradient accumulation with Adam, simulated micro-step by micro-step (numpy).

    iterations counts micro-steps; at iterations % k == 0 Adam updates with the accumulated mean (zeros at
    iteration 0), bias-corrected with t = iterations + 1; the gradient is a constant 1. Returns the step sizes.
    """
    theta, m, v, acc, sizes = 0.0, 0.0, 0.0, 0.0, []
    for it in range(k * updates + 1):
        if it % k == 0:
            g = acc / k
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
            t = it + 1
            step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-300)
            theta -= step
            acc = 0.0
            if it > 0:
                sizes.append(step)
        acc += 1.0
    return np.array(sizes)


@pytest.mark.parametrize("k", [1, 4, 10])
def test_keras_step_ratio_against_a_simulated_keras_loop(k):
    sizes = _keras_v1_accumulation(k, 30)
    want = [op.keras_step_ratio(j, k) for j in range(1, 31)]
    np.testing.assert_allclose(sizes / 0.1, want, rtol=1e-12)
    theta = torch.zeros(1, dtype=torch.float64)  # DerivedOptimizer counts updates: every step is lr
    opt, before = op.DerivedOptimizer([theta], lr=0.1, eps=1e-300, grad_accum_steps=k), []
    for _ in range(30 * k):
        before.append(theta.item())
        theta.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
    np.testing.assert_allclose(-np.diff(before[::k] + [theta.item()]), 0.1, rtol=1e-12)
