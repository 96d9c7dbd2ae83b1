"""W_1 two ways (the Kantorovich-Rubinstein dual LP; 1-D samples by CDFs) and WGAN critics trained
with the gradient penalty (GP) or gradient normalisation (GN), with the cost of one step of each.

    W_1(p, q) = max_{|f(u) - f(v)| <= ||u - v||} E_p f - E_q f,   GP: E(||grad D(x~)|| - 1)^2
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, choice, integer, positive, public, shorten
from theory_lib.critic.forms import FORMS, _critic_grad, _norm, _points, _widths, gradient_normalize, relu_critic

METHODS = ("gp", "gn")  # gradient penalty, gradient normalisation
PARTS = ("critic", "generator")
MAX_POINTS = 400  # lipschitz_dual: (n + m)^2 constraints
MAX_STEPS = 20_000


# ---------------------------------------------------------------- W_1: the dual LP, and 1-D samples
def _masses(name: str, value, n: int) -> torch.Tensor:
    m = as_float_tensor(name, value).detach().double().cpu().reshape(-1)
    if m.numel() != n or bool((m < 0).any()) or float(m.sum()) <= 0:
        raise ValueError(f"{name} must be {n} non-negative masses with a positive sum, got {shorten(value)}")
    return m


@public(
    {"x": [[0.0], [1.0]], "p": [0.5, 0.5], "y": [[2.0], [0.5]], "q": [0.3, 0.7]},
    cannot=("grad", "batch"),
    extremes={"y": [[[1e6], [-1e6]]]},
)
def lipschitz_dual(x, p, y, q) -> tuple[float, torch.Tensor]:
    """The dual of W_1: max_f sum_i p_i f(x_i) - sum_j q_j f(y_j) over f with |f(u) - f(v)| <= ||u - v||
    on the n + m support points (Kantorovich-Rubinstein), by scipy's HiGHS linear programme.

    x (n, d), y (m, d), masses p (n,), q (m,) with equal sums (each is normalised to 1 if not);
    returns (W_1, f at the n + m points, f(x_0) = 0), float64 on x's device. n + m <= 400.
    """
    import numpy as np
    from scipy import optimize, sparse

    xs, ys = (as_float_tensor(k, v, min_dim=2).detach().double() for k, v in (("x", x), ("y", y)))
    if xs.dim() != 2 or ys.dim() != 2 or xs.shape[1] != ys.shape[1]:
        raise ValueError(f"y must be (m, d) with x's d = {xs.shape[-1]}, got shape {tuple(ys.shape)}")
    if xs.shape[0] + ys.shape[0] > MAX_POINTS:
        raise ValueError(f"y must bring the points to at most {MAX_POINTS} with x's, got {shorten(y)}")
    a, b = _masses("p", p, xs.shape[0]), _masses("q", q, ys.shape[0])
    a, b = a / a.sum(), b / b.sum()
    pts = torch.cat([xs, ys.to(xs.device)]).cpu()
    dist = torch.cdist(pts, pts).numpy()  # (N, N)
    n = pts.shape[0]
    iu, ju = np.nonzero(~np.eye(n, dtype=bool))  # f_i - f_j <= d_ij for every ordered pair
    rows = np.arange(iu.size)
    a_ub = sparse.csr_matrix(
        (np.r_[np.ones(iu.size), -np.ones(iu.size)], (np.r_[rows, rows], np.r_[iu, ju])), shape=(iu.size, n)
    )
    c = -np.r_[a.numpy(), -b.numpy()]  # maximise sum p f(x) - sum q f(y)
    bounds = [(0.0, 0.0)] + [(None, None)] * (n - 1)
    res = optimize.linprog(c, A_ub=a_ub, b_ub=dist[iu, ju], bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - a feasible, bounded LP by construction
        raise RuntimeError(f"lipschitz_dual: linprog failed: {res.message}")
    return float(-res.fun), torch.as_tensor(res.x, dtype=torch.float64, device=xs.device)


@public({"a": [0.0, 1.0, 3.0], "b": [0.5, 2.0]}, cannot=("batch",), extremes={"b": [[1e12, -1e12]]})
def wasserstein_1d(a, b) -> torch.Tensor:
    """W_1 between the empirical measures of two 1-D samples: int |F_a(s) - F_b(s)| ds (0-d tensor)."""
    u = as_float_tensor("a", a).reshape(-1)
    v = as_float_tensor("b", b).reshape(-1).to(device=u.device, dtype=u.dtype)
    s = torch.sort(torch.cat([u, v]))[0]  # every jump of either CDF
    mid = s[:-1].contiguous()
    fa = torch.searchsorted(torch.sort(u)[0].contiguous(), mid, right=True).to(s.dtype) / u.numel()
    fb = torch.searchsorted(torch.sort(v)[0].contiguous(), mid, right=True).to(s.dtype) / v.numel()
    return ((fa - fb).abs() * s.diff()).sum()


# ---------------------------------------------------------------- training: GP against GN
@public(
    lambda: {"critic": relu_critic([1, 8, 1]), "real": [[0.0], [1.0]], "fake": [[2.0], [3.0]]},
    kinds={"critic": "other"},
    cannot=("batch", "float32"),
)
def gradient_penalty(critic, real, fake, *, generator=None) -> torch.Tensor:
    """E (||grad D(x~)|| - 1)^2 at x~ = u real + (1 - u) fake, u ~ U[0, 1] per row (WGAN-GP), 0-d,
    differentiable in the critic's parameters (double backprop)."""
    r, f = _points(real, "real"), _points(fake, "fake")
    if r.shape != f.shape:
        raise ValueError(f"fake must have real's shape {tuple(r.shape)}, got {tuple(f.shape)}")
    gen = _checks.generator("generator", generator, r.device)
    u = torch.rand(r.shape[0], 1, generator=gen, device=r.device, dtype=r.dtype)
    mix = (u * r.detach() + (1 - u) * f.detach()).requires_grad_(True)
    _, _, g = _critic_grad(critic, mix)
    return ((_norm(g)[0] - 1) ** 2).mean()


@dataclass
class CriticRun:
    """A trained critic and its history: ``gaps`` (steps,) E_real D - E_fake D (of D^ for GN)."""

    critic: torch.nn.Module
    gaps: torch.Tensor
    seconds: float


def _samples(name, value) -> torch.Tensor:
    t = as_float_tensor(name, value)
    return t.reshape(-1, 1) if t.dim() == 1 else _points(t, name)


def _objective(critic, r, f, method, form, penalty, gen):
    if method == "gn":
        gap = gradient_normalize(critic, r, form=form).mean() - gradient_normalize(critic, f, form=form).mean()
        return -gap, gap
    gap = critic(r).mean() - critic(f).mean()
    return -gap + penalty * gradient_penalty(critic, r, f, generator=gen), gap


@public(
    {"real": [0.0, 0.2, 0.4, 0.1], "fake": [2.0, 2.5, 1.8, 2.2], "method": "gn", "steps": 5},
    cannot=("batch", "grad"),
    extremes={"steps": [1]},
)
def train_critic(
    real,
    fake,
    *,
    method: str = "gp",
    steps: int = 300,
    lr: float = 3e-3,
    widths=(1, 32, 32, 1),
    form: str = "iccv",
    penalty: float = 10.0,
    generator=None,
) -> CriticRun:
    """Train a seeded ReLU critic by Adam to maximise E_real D - E_fake D on two fixed samples,
    with the gradient penalty (method "gp", weight ``penalty``) or gradient normalisation ("gn",
    ``form``, the gap then of D^). Samples (n,) or (n, d), equal shapes; float64 on real's device."""
    r = _samples("real", real).detach().double()
    f = _samples("fake", fake).detach().double().to(r.device)
    if r.shape != f.shape:
        raise ValueError(f"fake must have real's shape {tuple(r.shape)}, got shape {tuple(f.shape)}")
    method, form = choice("method", method, METHODS), choice("form", form, FORMS)
    steps = integer("steps", steps, minimum=1, maximum=MAX_STEPS)
    lr = positive("lr", lr, maximum=1.0)
    penalty = positive("penalty", penalty, allow_zero=True, maximum=1e6)
    widths = _widths(list(widths) if isinstance(widths, tuple) else widths)
    if widths[0] != r.shape[1]:
        raise ValueError(f"widths must start with the samples' dimension {r.shape[1]}, got {shorten(widths)}")
    _checks.fits("real", real, 2 * r.shape[0] * max(widths) * len(widths) * 8)  # activations kept for backward
    gen = _checks.generator("generator", generator, r.device)
    gen = gen if gen is not None else torch.Generator(device=r.device).manual_seed(0)
    critic = relu_critic(widths, device=r.device, generator=gen)
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))
    gaps = torch.empty(steps, dtype=torch.float64)
    start = time.perf_counter()
    with _checks.one_cpu_thread(r.device):
        for k in range(steps):
            loss, gap = _objective(critic, r, f, method, form, penalty, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            gaps[k] = gap.detach()
    return CriticRun(critic, gaps, time.perf_counter() - start)


def _saved_bytes():
    box = [0]

    def pack(t):
        box[0] += t.numel() * t.element_size()
        return t

    return box, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)


@public({"method": "gn", "part": "generator", "batch": 64, "repeats": 2}, extremes={"batch": [1]})
def step_cost(
    method: str,
    part: str,
    *,
    batch: int = 256,
    widths=(1, 64, 64, 1),
    form: str = "iccv",
    repeats: int = 5,
    device=None,
) -> dict:
    """One training step's cost: {"seconds": median wall time, "saved_bytes": what autograd stores}.

    part "critic": the critic's loss (GP: -gap + 10 E(||grad D|| - 1)^2; GN: -gap of D^); part
    "generator": -E D(G(z)) or -E D^(G(z)) backpropagated to G(z) = mu + sigma z. GN needs the
    critic's input gradient inside the generator's loss too (second order), GP only in the critic's.
    On CUDA also "peak_bytes" (torch.cuda.max_memory_allocated above the start)."""
    method, part = choice("method", method, METHODS), choice("part", part, PARTS)
    form = choice("form", form, FORMS)
    batch = integer("batch", batch, minimum=1, maximum=10**6)
    repeats = integer("repeats", repeats, minimum=1, maximum=1000)
    widths = _widths(list(widths) if isinstance(widths, tuple) else widths)
    dev = _checks.device("device", device)
    _checks.fits("batch", batch, batch * max(widths) * len(widths) * 8)
    gen = torch.Generator(device=dev).manual_seed(0)
    critic = relu_critic(widths, device=dev, generator=gen)
    mu = torch.zeros(widths[0], dtype=torch.float64, device=dev, requires_grad=True)
    sigma = torch.ones(widths[0], dtype=torch.float64, device=dev, requires_grad=True)
    real = torch.randn(batch, widths[0], generator=gen, device=dev, dtype=torch.float64) + 2
    z = torch.randn(batch, widths[0], generator=gen, device=dev, dtype=torch.float64)

    def step():
        fake = mu + sigma * z
        if part == "generator":
            d = gradient_normalize(critic, fake, form=form) if method == "gn" else critic(fake).reshape(-1)
            loss = -d.mean()
        else:
            loss = _objective(critic, real, fake.detach(), method, form, 10.0, gen)[0]
        loss.backward()

    times, saved = [], 0
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
    with _checks.one_cpu_thread(dev):
        for _ in range(repeats + 1):  # the first is a warm-up
            box, hooks = _saved_bytes()
            start = time.perf_counter()
            with hooks:
                step()
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            times.append(time.perf_counter() - start)
            saved = box[0]
            for p in (*critic.parameters(), mu, sigma):
                p.grad = None
    out = {"seconds": statistics.median(times[1:]), "saved_bytes": float(saved)}
    if dev.type == "cuda":
        out["peak_bytes"] = float(torch.cuda.max_memory_allocated(dev) - base)
    return out
