"""Six derived optimisers: one update rule theta <- theta - gamma h and six small changes to it.

Su Jianlin, 《6个派生优化器的简单介绍及其实现》, kexue.fm/archives/7094 (2019-11-25), and bert4keras's
``extend_with_*`` wrappers. With g the gradient, h = f(g_<=t) the base direction (SGD: h = g, or the
momentum buffer m <- mu m + g; Adam: m^/(sqrt(v^) + eps), bias-corrected at step t + 1):

    weight decay        u = h + lambda theta            (= L2 lambda/2 ||theta||^2 for SGD only)
    layer adaptation    u <- u ||theta|| / ||u||        (per tensor: the step is gamma ||theta||)
    piecewise-linear lr theta <- theta - gamma rho(t) u (rho linear between breakpoints)
    accumulation        g = (1/k) sum_j g_(j)           (one update every k micro-batches)
    Lookahead           every k updates: Theta <- Theta + alpha (theta - Theta), theta <- Theta
    lazy                rows whose gradient is all zero do not move (their moments still decay)

On L = theta^2 / 2 with SGD at rate gamma and Theta_0 = theta_0, one synchronisation multiplies
theta by 1 - alpha + alpha (1 - gamma)^k (``lookahead_factor``).
"""

from __future__ import annotations

import torch

from theory_lib._checks import as_float_tensor, choice, integer, positive, public, real, sampling, shorten

# The declared functions (tests/test_properties.py drives each with valid, extreme and bad input).
# Public too, though not listed: DerivedOptimizer, a torch.optim.Optimizer tested against torch's
# own optimizers in tests/test_optimizers.py, and quadratic_paths, the figures' batched form of
# quadratic_path (tested row by row against DerivedOptimizer there).
__all__ = ["lookahead_factor", "piecewise_linear", "quadratic_path"]

BASES = ("sgd", "adam")
MAX_PATH_STEPS = 10**5


def _schedule(schedule, from_zero: bool) -> tuple[list[float], list[float]]:
    """The breakpoints (sorted steps, values) of a {step: value} dict, (0, 0) prepended if from_zero."""
    if not isinstance(schedule, dict) or not schedule:
        raise ValueError(f"schedule must be a non-empty dict {{step: value}}, got {shorten(schedule)}")
    items = sorted((integer("schedule step", k), real("schedule value", v)) for k, v in schedule.items())
    if from_zero and items[0][0] != 0:
        items = [(0, 0.0)] + items
    return [float(k) for k, _ in items], [v for _, v in items]


@public({"t": 500.0, "schedule": {1000: 1.0, 2000: 0.1}}, kinds={"schedule": "other", "from_zero": "bool"})
def piecewise_linear(t, schedule, *, from_zero=True):
    """rho(t) for ``schedule`` = {step: value}: linear between breakpoints, constant after the last.

    from_zero prepends (0, 0) unless 0 is a key (a warm-up from 0); before the first breakpoint rho is
    the first value (bert4keras's ``piecewise_linear``). ``t`` a number (returns a float) or a tensor.
    """
    if not isinstance(from_zero, bool):
        raise ValueError(f"from_zero must be True or False, got {shorten(from_zero)}")
    xs, ys = _schedule(schedule, from_zero)
    scalar = not isinstance(t, torch.Tensor)
    tt = as_float_tensor("t", t, min_dim=0)
    out = torch.full_like(tt, ys[0])
    for i in range(len(xs) - 1):
        (x0, y0), (x1, y1) = (xs[i], ys[i]), (xs[i + 1], ys[i + 1])
        inside = (tt >= x0) & (tt < x1)
        out = torch.where(inside, y0 + (y1 - y0) * (tt - x0) / (x1 - x0), out)
    out = torch.where(tt >= xs[-1], torch.full_like(tt, ys[-1]), out)
    return float(out) if scalar else out


@public({"lr": 0.1, "k": 5, "alpha": 0.5, "n": 3}, extremes={"n": [0, 10**6], "lr": [1e-12, 1.0]})
def lookahead_factor(lr, k, alpha, n):
    """(1 - alpha + alpha (1 - lr)^k)^n: n Lookahead synchronisations of SGD on L = theta^2 / 2, Theta_0 = theta_0."""
    lr = positive("lr", lr, maximum=2.0)
    k = integer("k", k, minimum=1)
    alpha = real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True)
    n = integer("n", n)
    return (1 - alpha + alpha * (1 - lr) ** k) ** n


class DerivedOptimizer(torch.optim.Optimizer):
    """SGD or Adam with Su's six extensions, in bert4keras's order (module docstring).

    A ``step()`` reads ``.grad`` as one micro-batch's gradient; every ``grad_accum_steps``-th call
    updates with their mean. Update t = 0, 1, ...: u = h + lambda theta; layer_adaptation rescales u to
    ||theta|| per tensor (unless a norm is 0); theta <- theta - lr rho(t) u, lazy keeping rows (all
    indices but the last) whose gradient is all zero; after every lookahead_steps-th update the slow
    copy Theta (from theta_0) moves Theta <- Theta + alpha (theta - Theta), then theta <- Theta.
    """

    def __init__(
        self,
        params,
        *,
        base="adam",
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        momentum=0.0,
        weight_decay=0.0,
        layer_adaptation=False,
        lr_schedule=None,
        grad_accum_steps=1,
        lookahead_steps=None,
        lookahead_alpha=0.5,
        lazy=False,
    ):
        base = choice("base", base, BASES)
        lr = positive("lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {shorten(betas)}")
        betas = tuple(real(f"betas[{i}]", b, lo=0.0, hi=1.0, hi_open=True) for i, b in enumerate(betas))
        eps = positive("eps", eps)
        momentum = real("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)
        weight_decay = positive("weight_decay", weight_decay, allow_zero=True)
        for name, flag in (("layer_adaptation", layer_adaptation), ("lazy", lazy)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {shorten(flag)}")
        if lr_schedule is not None:
            _schedule(lr_schedule, True)
        grad_accum_steps = integer("grad_accum_steps", grad_accum_steps, minimum=1)
        if lookahead_steps is not None:
            lookahead_steps = integer("lookahead_steps", lookahead_steps, minimum=1)
        lookahead_alpha = real("lookahead_alpha", lookahead_alpha, lo=0.0, hi=1.0, lo_open=True)
        defaults = dict(
            base=base,
            lr=lr,
            betas=betas,
            eps=eps,
            momentum=momentum,
            weight_decay=weight_decay,
            layer_adaptation=layer_adaptation,
            lr_schedule=lr_schedule,
            grad_accum_steps=grad_accum_steps,
            lookahead_steps=lookahead_steps,
            lookahead_alpha=lookahead_alpha,
            lazy=lazy,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, group)
        return loss

    def _init(self, p, group) -> dict:
        st = self.state[p]
        if not st:
            st["step"], st["micro"] = 0, 0
            st["acc"] = torch.zeros_like(p)
            st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
            if group["lookahead_steps"] is not None:
                st["slow"] = p.detach().clone()  # Theta_0 = theta_0, not zeros
        return st

    def _direction(self, st, g, group) -> torch.Tensor:
        t = st["step"]
        if group["base"] == "sgd":
            if group["momentum"] == 0:
                return g
            st["m"].mul_(group["momentum"]).add_(g)
            return st["m"].clone()
        b1, b2 = group["betas"]
        st["m"].mul_(b1).add_(g, alpha=1 - b1)
        st["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
        m_hat = st["m"] / (1 - b1 ** (t + 1))
        v_hat = st["v"] / (1 - b2 ** (t + 1))
        return m_hat / (v_hat.sqrt() + group["eps"])

    def _update(self, p, grad, group):
        st = self._init(p, group)
        k = group["grad_accum_steps"]
        if k > 1:
            st["acc"].add_(grad)
            st["micro"] += 1
            if st["micro"] < k:
                return
            g = st["acc"] / k
            st["acc"].zero_()
            st["micro"] = 0
        else:
            g = grad.clone()
        t = st["step"]
        u = self._direction(st, g, group) + group["weight_decay"] * p
        if group["layer_adaptation"]:
            nu, nt = u.norm(), p.norm()
            if nu > 0 and nt > 0:
                u = u * (nt / nu)
        rho = 1.0 if group["lr_schedule"] is None else piecewise_linear(float(t), group["lr_schedule"])
        if group["lazy"]:
            u = u * (g != 0).any(dim=-1, keepdim=True) if g.dim() > 0 else u * (g != 0)
        p.sub_(group["lr"] * rho * u)
        st["step"] = t + 1
        la = group["lookahead_steps"]
        if la is not None and st["step"] % la == 0:
            st["slow"].add_(p - st["slow"], alpha=group["lookahead_alpha"])
            p.copy_(st["slow"])


QUADRATIC_A = ((1.0, 0.0), (0.0, 10.0))  # an ill-conditioned valley, condition number 10
QUADRATIC_C = (1.0, 1.0)  # its minimum


@public(
    {"steps": 50, "options": {"base": "sgd", "lr": 0.05}},
    extremes={"steps": [0, 2000], "noise": [0.0, 10.0]},
    kinds={"options": "other", "start": "tensor"},
    cannot=("grad", "batch"),
    nonfinite="SGD at lr > 0.2 diverges along the stiff axis (curvature 10)",
)
def quadratic_path(steps, options, *, start=(-1.5, 2.0), noise=0.0, l2=0.0, device=None, generator=None):
    """The path of DerivedOptimizer(**options) on L = (1/2)(theta - c)^T A (theta - c) + (l2/2)||theta||^2.

    A = diag(1, 10), c = (1, 1). Each micro-batch's gradient is the true one plus N(0, noise^2) per
    coordinate (drawn with ``generator``); returns the (updates + 1, 2) float64 path, one row per update.
    """
    steps = integer("steps", steps, maximum=MAX_PATH_STEPS)
    noise = positive("noise", noise, allow_zero=True)
    l2 = positive("l2", l2, allow_zero=True)
    if not isinstance(options, dict):
        raise ValueError(f"options must be a dict of DerivedOptimizer keywords, got {shorten(options)}")
    dev, generator, _ = sampling(device, generator)
    theta = as_float_tensor("start", start).to(device=dev, dtype=torch.float64).clone()
    if theta.shape != (2,):
        raise ValueError(f"start must be a point (2,), got shape {tuple(theta.shape)}")
    A = torch.tensor(QUADRATIC_A, dtype=torch.float64, device=dev)
    c = torch.tensor(QUADRATIC_C, dtype=torch.float64, device=dev)
    opt = DerivedOptimizer([theta], **options)
    k = opt.defaults["grad_accum_steps"]
    noises = noise * torch.randn(steps * k, 2, dtype=torch.float64, device=dev, generator=generator) if noise else None
    path = [theta.clone()]
    for i in range(steps * k):
        g = A @ (theta - c) + l2 * theta
        theta.grad = g if noises is None else g + noises[i]
        opt.step()
        if (i + 1) % k == 0:
            path.append(theta.clone())
    return torch.stack(path)


def _rows(name, value, batch: int, dev) -> torch.Tensor:
    """A per-row float64 column (batch, 1) from a number or a (batch,) sequence, each entry >= 0."""
    t = as_float_tensor(name, value, min_dim=0).to(device=dev, dtype=torch.float64).reshape(-1)
    if t.numel() not in (1, batch) or bool((t < 0).any()):
        raise ValueError(f"{name} must be >= 0: a number or {batch} values, got {shorten(value)}")
    return t.expand(batch).reshape(batch, 1).clone()


@public(
    {"steps": 20, "batch": 3, "base": "adam", "lr": 0.05, "weight_decay": [0.0, 0.1, 0.2]},
    extremes={"steps": [0, 2000], "noise": [0.0, 10.0]},
    kinds={
        "weight_decay": "other",
        "l2": "other",
        "rho": "other",
        "lookahead_steps": "other",
        "lookahead_alpha": "other",
    },
    cannot=("grad", "batch"),
    nonfinite="SGD at lr > 0.2 diverges along the stiff axis (curvature 10)",
)
def quadratic_paths(
    steps,
    batch,
    *,
    base="adam",
    lr=1e-3,
    weight_decay=0.0,
    l2=0.0,
    layer_adaptation=False,
    rho=None,
    grad_accum_steps=1,
    lookahead_steps=0,
    lookahead_alpha=0.5,
    noise=0.0,
    start=(-1.5, 2.0),
    seed=0,
    device=None,
):
    """``batch`` independent runs of quadratic_path at once, one per row: (updates + 1, batch, 2).

    Row b is DerivedOptimizer(base, lr, weight_decay[b], ...) on the valley plus (l2[b]/2)||theta||^2,
    its lr times rho[t, b] at update t (rho: (steps, batch), or None), Lookahead every
    lookahead_steps[b] updates (0: off) with alpha lookahead_alpha[b], gradient noise noise[b] times
    the draws of torch.Generator().manual_seed(seed) (the same as quadratic_path's on the CPU). Adam's
    eps 1e-8, betas (0.9, 0.999); layer adaptation per row (each row is its own tensor).
    """
    steps = integer("steps", steps, maximum=MAX_PATH_STEPS)
    batch = integer("batch", batch, minimum=1, maximum=10**6)
    base = choice("base", base, BASES)
    lr = positive("lr", lr)
    k = integer("grad_accum_steps", grad_accum_steps, minimum=1)
    dev = sampling(device, None)[0]
    wd, l2 = _rows("weight_decay", weight_decay, batch, dev), _rows("l2", l2, batch, dev)
    sigma = _rows("noise", noise, batch, dev)
    la_k = _rows("lookahead_steps", lookahead_steps, batch, dev)
    la_a = _rows("lookahead_alpha", lookahead_alpha, batch, dev)
    if rho is None:
        rho = torch.ones(steps, batch, dtype=torch.float64, device=dev)
    rho = as_float_tensor("rho", rho, min_dim=0).to(device=dev, dtype=torch.float64).expand(steps, batch)
    A = torch.tensor(QUADRATIC_A, dtype=torch.float64, device=dev)
    c = torch.tensor(QUADRATIC_C, dtype=torch.float64, device=dev)
    theta = as_float_tensor("start", start).to(device=dev, dtype=torch.float64).expand(batch, 2).clone()
    slow, m, v = theta.clone(), torch.zeros_like(theta), torch.zeros_like(theta)
    draws = torch.randn(steps * k, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(int(seed)))
    mean_noise = draws.to(dev).reshape(steps, k, 2).sum(1) / k  # accumulation: the mean of k noisy gradients
    out, lookahead = [theta.clone()], bool((la_k > 0).any())
    for t in range(steps):
        g = (theta - c) @ A + l2 * theta + sigma * mean_noise[t]
        if base == "sgd":
            h = g
        else:
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            h = (m / (1 - 0.9 ** (t + 1))) / ((v / (1 - 0.999 ** (t + 1))).sqrt() + 1e-8)
        u = h + wd * theta
        if layer_adaptation:
            nu, nt = u.norm(dim=1, keepdim=True), theta.norm(dim=1, keepdim=True)
            u = torch.where((nu > 0) & (nt > 0), u * nt / nu.clamp_min(1e-300), u)
        theta = theta - lr * rho[t].unsqueeze(1) * u
        if lookahead:
            sync = (la_k > 0) & (torch.remainder(t + 1, la_k.clamp_min(1)) == 0)
            slow = torch.where(sync, slow + la_a * (theta - slow), slow)
            theta = torch.where(sync, slow, theta)
        out.append(theta.clone())
    return torch.stack(out)


LAZY_TARGETS = ((1.0, -1.0), (1.0, 1.0))  # row 0: a frequent token, row 1: a rare one


def lazy_rows(beta1, period, steps=60, *, lazy, lr=0.1, beta2=0.999, device=None):
    """The rare row of a 2-row embedding under DerivedOptimizer(base="adam", lazy=lazy): (path, seen).

    The loss at step t is the sum of (1/2)||theta_r - target_r||^2 (LAZY_TARGETS, rows from 0) over the
    tokens present: row 0 at every step, row 1 when t % period == 0. Returns the rare row's
    (steps + 1, 2) float64 path on the CPU and the (steps,) bool mask of the steps with its gradient.
    """
    beta1 = real("beta1", beta1, lo=0.0, hi=1.0, hi_open=True)
    period = integer("period", period, minimum=1)
    steps = integer("steps", steps, maximum=MAX_PATH_STEPS)
    if not isinstance(lazy, bool):
        raise ValueError(f"lazy must be True or False, got {shorten(lazy)}")
    dev = sampling(device, None)[0]
    emb = torch.zeros(2, 2, dtype=torch.float64, device=dev)
    target = torch.tensor(LAZY_TARGETS, dtype=torch.float64, device=dev)
    opt = DerivedOptimizer([emb], lr=lr, betas=(beta1, beta2), lazy=lazy)
    seen = torch.arange(steps) % period == 0
    present = torch.ones(steps, 2, 1, dtype=torch.float64, device=dev)
    present[:, 1, 0] = seen.to(torch.float64)
    path = [emb[1].clone()]
    for t in range(steps):
        emb.grad = (emb - target) * present[t]
        opt.step()
        path.append(emb[1].clone())
    return torch.stack(path).cpu(), seen


def lazy_rows_batched(beta1, period, steps=60, *, lazy, lr=0.1, beta2=0.999, eps=1e-8):
    """lazy_rows' rare-row path for many (beta1[b], period[b]) at once, Adam written out: (steps + 1, batch, 2).

    The figures' fast form (one DerivedOptimizer run costs milliseconds a step); tested against
    lazy_rows row by row in tests/test_optimizers.py.
    """
    b1 = as_float_tensor("beta1", beta1, min_dim=0).to(torch.float64).reshape(-1, 1)
    per = as_float_tensor("period", period, min_dim=0).to(torch.float64).reshape(-1)
    if bool(((b1 < 0) | (b1 >= 1)).any()) or bool((per < 1).any()) or bool((per != per.round()).any()):
        raise ValueError(
            f"beta1 must lie in [0, 1) and period be whole numbers >= 1, got {shorten(beta1)}, {shorten(period)}"
        )
    b1, per = torch.broadcast_tensors(b1, per.reshape(-1, 1))
    steps = integer("steps", steps, maximum=MAX_PATH_STEPS)
    target = torch.tensor(LAZY_TARGETS[1], dtype=torch.float64)
    theta = torch.zeros(b1.shape[0], 2, dtype=torch.float64)
    m, v, out = torch.zeros_like(theta), torch.zeros_like(theta), [theta.clone()]
    for t in range(steps):
        seen = torch.remainder(torch.tensor(float(t)), per) == 0
        g = (theta - target) * seen
        m = b1 * m + (1 - b1) * g
        v = beta2 * v + (1 - beta2) * g * g
        u = (m / (1 - b1 ** (t + 1))) / ((v / (1 - beta2 ** (t + 1))).sqrt() + eps)
        theta = theta - lr * (u * seen if lazy else u)
        out.append(theta.clone())
    return torch.stack(out)


def keras_step_ratio(j, k, beta1=0.9, beta2=0.999):
    """Adam's j-th update under bert4keras's Keras-v1 accumulation over DerivedOptimizer's (a constant gradient).

    There the counter advances every micro-step and the update at micro-step 0 applies a zero gradient,
    so update j (j = 1, 2, ...) holds m = (1 - beta1^j) g, v = (1 - beta2^j) g^2 but is bias-corrected
    with t = jk + 1; counting updates (t = j) the step is exactly lr. The ratio (eps = 0):
    [(1 - beta1^j) / (1 - beta1^(jk+1))] / sqrt((1 - beta2^j) / (1 - beta2^(jk+1))).
    """
    j = integer("j", j, minimum=1)
    k = integer("k", k, minimum=1)
    beta1 = real("beta1", beta1, lo=0.0, hi=1.0, hi_open=True)
    beta2 = real("beta2", beta2, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    t = j * k + 1
    return ((1 - beta1**j) / (1 - beta1**t)) / ((1 - beta2**j) / (1 - beta2**t)) ** 0.5
