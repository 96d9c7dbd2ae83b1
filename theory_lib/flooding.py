"""Flooding: train on |L - b| + b, and what one descent step plus one ascent step descend.

Su Jianlin, 《我们真的需要把训练集的损失降低到零吗？》, kexue.fm/archives/7643 (2020-07-31), on
Ishida et al., "Do we need zero training loss after achieving zero training error?" (ICML 2020).
With g = grad L and a flood level b >= 0,

    L~ = |L - b| + b,   grad L~ = sign(L - b) g          (descent above b, ascent below)

Once L hovers at b the steps alternate, descent at eps_1 then ascent at eps_2:

    theta_2 = theta_0 - eps_1 g(theta_0) + eps_2 g(theta_0 - eps_1 g(theta_0))
            = theta_0 - (eps_1 - eps_2) g - (eps_1 eps_2 / 2) grad ||g||^2 + O(eps^3)

At equal rates eps the L term cancels: two steps are one descent step on ||g||^2 at rate eps^2/2
(exact for a quadratic L, whatever the order of the two steps). At eps_1 > eps_2 they are one step at
rate eps_1 - eps_2 on L + eps_1 eps_2 / (2 (eps_1 - eps_2)) ||g||^2. ``loss_fn`` maps a parameter
tensor theta to a scalar (or to one loss per row of a batch of theta, rows independent: their sum is
differentiated). The toys: the valley L(u, v) = (1/2)(1 + v^2) u^2, whose minima u = 0 have
sharpness 1 + v^2, and the smooth non-quadratic L = softplus(theta_1) + theta_2^4 / 4 + theta_1 theta_2.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, integer, positive, public, real, shorten

__all__ = [
    "FloodRun",
    "descent_ascent",
    "equivalent_penalty",
    "equivalent_step",
    "flood_valley",
    "flood_valleys",
    "flooding_loss",
    "sign_flip_rate",
    "toy_gradient",
    "toy_loss",
    "toy_penalty_gradient",
    "train_flooding",
    "unequal_rate_paths",
    "valley_loss",
]

MAX_STEPS = 10**6  # flood_valley and unequal_rate_paths loop in Python: about 1 s per 10^6 steps
MAX_TRAIN_STEPS = 10**5
ORDERS = ("descent-first", "ascent-first")
OPTIMIZERS = ("sgd", "adam")


# ---------------------------------------------------------------- checks
def _callable(name: str, f):
    if not callable(f):
        raise ValueError(f"{name} must be a callable mapping a parameter tensor to a scalar loss, got {shorten(f)}")
    return f


def _theta(theta) -> torch.Tensor:
    return as_float_tensor("theta", theta, min_dim=1).detach()


def _rates(lr, ascent_lr):
    lr = positive("lr", lr)
    return lr, lr if ascent_lr is None else positive("ascent_lr", ascent_lr)


def _gradient(loss_fn, theta: torch.Tensor, *, penalty: bool = False):
    """g = grad L at theta (and grad ||g||^2 with ``penalty``), detached, shaped like theta."""
    with torch.enable_grad():
        t = theta.detach().clone().requires_grad_(True)
        loss = loss_fn(t)
        if not isinstance(loss, torch.Tensor) or not loss.is_floating_point():
            raise ValueError(f"loss_fn must return a float tensor, got {shorten(loss)}")
        (g,) = torch.autograd.grad(loss.sum(), t, create_graph=penalty)
        if not penalty:
            return g.detach()
        (p,) = torch.autograd.grad((g * g).sum(), t)
        return g.detach(), p.detach()


# ---------------------------------------------------------------- the flooded loss and two steps
@public({"loss": 0.3, "b": 0.1}, extremes={"b": [0.0, 1e6], "loss": [0.0, 1e300]})
def flooding_loss(loss, b):
    """L~ = |L - b| + b: L above the flood level b, 2b - L below it (gradient sign(L - b) grad L).

    Differentiable through ``loss`` (any shape, elementwise); b >= 0. b = 0 gives L back for L >= 0.
    """
    t = as_float_tensor("loss", loss, min_dim=0)
    b = positive("b", b, allow_zero=True)
    return (t - b).abs() + b


@public(
    lambda: {"theta": [0.5, -0.3], "loss_fn": toy_loss, "lr": 0.1},
    extremes={"lr": [1e-12, 1.0], "ascent_lr": [1e-12, 1.0]},
    kinds={"loss_fn": "other", "ascent_lr": "real"},
)
def descent_ascent(theta, loss_fn, lr, *, ascent_lr=None, order: str = "descent-first"):
    """Two flooding steps: theta_1 = theta - lr g(theta), theta_2 = theta_1 + ascent_lr g(theta_1).

    ``order="ascent-first"``: theta_1 = theta + ascent_lr g(theta), theta_2 = theta_1 - lr g(theta_1).
    ascent_lr defaults to lr. Returns theta_2 (a new tensor, no graph); theta is left unchanged.
    """
    t = _theta(theta)
    _callable("loss_fn", loss_fn)
    lr, ascent_lr = _rates(lr, ascent_lr)
    order = _checks.choice("order", order, ORDERS)
    first, second = (-lr, ascent_lr) if order == "descent-first" else (ascent_lr, -lr)
    mid = t + first * _gradient(loss_fn, t)
    return mid + second * _gradient(loss_fn, mid)


@public(
    lambda: {"theta": [0.5, -0.3], "loss_fn": toy_loss, "lr": 0.1},
    extremes={"lr": [1e-12, 1.0], "ascent_lr": [1e-12, 1.0]},
    kinds={"loss_fn": "other", "ascent_lr": "real"},
)
def equivalent_step(theta, loss_fn, lr, *, ascent_lr=None):
    """The second-order prediction of descent_ascent (either order):

    theta - (eps_1 - eps_2) grad L - (eps_1 eps_2 / 2) grad ||grad L||^2,  eps_1 = lr, eps_2 = ascent_lr;
    at equal rates no L term is left. grad ||g||^2 = 2 H g by double backward.
    """
    t = _theta(theta)
    _callable("loss_fn", loss_fn)
    lr, ascent_lr = _rates(lr, ascent_lr)
    g, p = _gradient(loss_fn, t, penalty=True)
    return t - (lr - ascent_lr) * g - 0.5 * lr * ascent_lr * p


@public({"lr": 0.1, "ascent_lr": 0.05}, extremes={"lr": [1e-300, 1e300], "ascent_lr": [1e-300]})
def equivalent_penalty(lr, ascent_lr):
    """(eps_1 - eps_2, c) with c = eps_1 eps_2 / (2 (eps_1 - eps_2)): descent at rate eps_1 then ascent at
    eps_2 is, to second order, one step at rate eps_1 - eps_2 on L + c ||grad L||^2. Needs 0 < eps_2 < eps_1."""
    lr = positive("lr", lr)
    ascent_lr = real("ascent_lr", ascent_lr, lo=0.0, hi=lr, lo_open=True, hi_open=True)
    rate = lr - ascent_lr
    return rate, lr * (ascent_lr / rate) / 2  # the quotient first: lr * ascent_lr may overflow


# ---------------------------------------------------------------- the valley
@public({"theta": [1.0, 2.0]}, spans={"theta": (-1e3, 1e3)})
def valley_loss(theta):
    """L(u, v) = (1/2)(1 + v^2) u^2 for theta = (u, v) in the last dimension (shape (..., 2) -> (...)).

    Every point u = 0 is a minimum, with sharpness (Hessian's largest eigenvalue) 1 + v^2."""
    t = as_float_tensor("theta", theta)
    if t.shape[-1] != 2:
        raise ValueError(f"theta must have a last dimension of size 2 (u, v), got shape {tuple(t.shape)}")
    u, v = t[..., 0], t[..., 1]
    return 0.5 * (1 + v * v) * u * u


@public(
    {"u0": 1.0, "v0": 2.0, "b": 0.1, "lr": 0.05, "steps": 100},
    extremes={"steps": [0, 10**5], "b": [0.0, 1e6], "lr": [1e-12, 0.1], "v0": [0.0, 3.0]},
    kinds={"u0": "real", "v0": "real"},
    nonfinite="a step too large for the curvature (lr (1 + v^2) > 2) or a long ascent (b far above L) diverges",
)
def flood_valley(u0, v0, *, b, lr, steps):
    """Gradient descent on |L - b| + b for the valley L = (1/2)(1 + v^2) u^2, from (u0, v0).

    Each step: s = sign(L - b), (u, v) <- (u, v) - lr s ((1 + v^2) u, v u^2) (s = 0 exactly at L = b, as
    autograd's |x| has). b = 0 is plain descent. Returns the (steps + 1, 2) float64 path. Plain descent
    is stable for lr (1 + v^2) < 2; beyond it, or in a long ascent (b far above L), the path grows
    without bound and overflows to inf (then NaN), as the iteration itself does.
    """
    u, v = real("u0", u0), real("v0", v0)
    b = positive("b", b, allow_zero=True)
    lr = positive("lr", lr)
    steps = integer("steps", steps, maximum=MAX_STEPS)
    path = [(u, v)]
    for _ in range(steps):
        loss = 0.5 * (1 + v * v) * u * u
        s = lr if loss > b else -lr if loss < b else 0.0
        u, v = u - s * (1 + v * v) * u, v - s * v * u * u
        path.append((u, v))
    return torch.tensor(path, dtype=torch.float64)


@public(
    {"u0": 1.0, "v0": [2.0, 1.0], "b": [0.0, 0.1], "lr": 0.05, "steps": 50, "keep": [0, 10, 50]},
    extremes={"steps": [50, 10**4], "lr": [1e-12, 0.1]},
    kinds={"u0": "tensor", "v0": "tensor", "b": "tensor", "lr": "tensor", "keep": "other"},
    cannot=("grad",),
    nonfinite="as flood_valley: an unstable step size diverges",
)
def flood_valleys(u0, v0, *, b, lr, steps, keep):
    """flood_valley for K settings at once: u0, v0, b, lr broadcast together to shape S (K of them), and the
    points at the step indices ``keep`` (sorted, within [0, steps]) are returned, (len(keep), *S, 2) float64
    on u0's device. Same arithmetic, in the same order, as flood_valley (numpy on the CPU)."""
    import numpy as np

    names = ("u0", "v0", "b", "lr")
    ts = [as_float_tensor(n, x, min_dim=0) for n, x in zip(names, (u0, v0, b, lr), strict=True)]
    if bool((ts[2] < 0).any()):
        raise ValueError(f"b must be >= 0 (a flood level), got {shorten(b)}")
    if bool((ts[3] <= 0).any()):
        raise ValueError(f"lr must be > 0, got {shorten(lr)}")
    steps = integer("steps", steps, maximum=MAX_STEPS)
    try:
        idx = [integer("keep", k, maximum=steps) for k in (keep.tolist() if hasattr(keep, "tolist") else keep)]
    except TypeError:
        raise ValueError(f"keep must be a list of step indices in [0, {steps}], got {shorten(keep)}") from None
    if not idx or idx != sorted(idx):
        raise ValueError(f"keep must be a non-empty sorted list of step indices in [0, {steps}], got {shorten(keep)}")
    try:
        u, v, flood, rate = np.broadcast_arrays(*(t.detach().cpu().to(torch.float64).numpy() for t in ts))
    except ValueError:
        raise ValueError(
            f"u0, v0, b and lr must broadcast together, got shapes {[tuple(t.shape) for t in ts]}"
        ) from None
    _checks.fits("keep", keep, len(idx) * u.size * 2)
    u, v = u.copy(), v.copy()
    out = np.empty((len(idx), *u.shape, 2))
    j = 0
    for step in range(steps + 1):
        while j < len(idx) and idx[j] == step:
            out[j, ..., 0], out[j, ..., 1] = u, v
            j += 1
        if step == steps or j == len(idx):
            break
        loss = 0.5 * (1 + v * v) * u * u
        s = rate * np.sign(loss - flood)
        u, v = u - s * (1 + v * v) * u, v - s * v * u * u
    return torch.from_numpy(out).to(ts[0].device)


# ---------------------------------------------------------------- the smooth toy
def _pair(theta):
    t = as_float_tensor("theta", theta)
    if t.shape[-1] != 2:
        raise ValueError(f"theta must have a last dimension of size 2, got shape {tuple(t.shape)}")
    return t[..., 0], t[..., 1]


@public({"theta": [0.5, -0.3]}, spans={"theta": (-3.0, 3.0)}, extremes={"theta": [[1e3, 1e2], [-1e3, 0.0]]})
def toy_loss(theta):
    """L = softplus(theta_1) + theta_2^4 / 4 + theta_1 theta_2, over the last dimension ((..., 2) -> (...))."""
    a, c = _pair(theta)
    return torch.nn.functional.softplus(a) + c**4 / 4 + a * c


@public({"theta": [0.5, -0.3]}, spans={"theta": (-3.0, 3.0)}, extremes={"theta": [[1e3, 1e2], [-1e3, 0.0]]})
def toy_gradient(theta):
    """grad L = (sigmoid(theta_1) + theta_2, theta_2^3 + theta_1), shaped like theta."""
    a, c = _pair(theta)
    return torch.stack([torch.sigmoid(a) + c, c**3 + a], dim=-1)


@public({"theta": [0.5, -0.3]}, spans={"theta": (-3.0, 3.0)}, extremes={"theta": [[1e3, 1e1], [-1e3, 0.0]]})
def toy_penalty_gradient(theta):
    """grad ||grad L||^2 = 2 H g, H = [[s(1 - s), 1], [1, 3 theta_2^2]], s = sigmoid(theta_1), g = toy_gradient."""
    a, c = _pair(theta)
    s = torch.sigmoid(a)
    g1, g2 = s + c, c**3 + a
    return 2 * torch.stack([s * (1 - s) * g1 + g2, g1 + 3 * c * c * g2], dim=-1)


def _toy_grads(a: float, c: float):
    s = 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))
    g1, g2 = s + c, c * c * c + a
    return g1, g2, 2 * (s * (1 - s) * g1 + g2), 2 * (g1 + 3 * c * c * g2)


def _valley_grads(u: float, v: float):
    w = 1 + v * v
    g1, g2 = w * u, v * u * u
    return g1, g2, 2 * (w * g1 + 2 * u * v * g2), 2 * (2 * u * v * g1 + u * u * g2)


LOSSES = {"toy": _toy_grads, "valley": _valley_grads}


@public(
    {"theta": [0.5, -0.3], "lr": 0.1, "ascent_lr": 0.05, "steps": 20},
    spans={"theta": (-1.5, 1.5)},
    extremes={"steps": [0, 10**4], "lr": [0.050001, 0.2]},
    cannot=("batch", "grad"),
)
def unequal_rate_paths(theta, lr, ascent_lr, steps, *, loss: str = "toy"):
    """``steps`` alternating pairs (descent at lr, then ascent at ascent_lr) and ``steps`` steps of descent
    at lr - ascent_lr on L + c ||grad L||^2 (c from equivalent_penalty), for L the smooth toy
    (``loss="toy"``, theta = (theta_1, theta_2)) or the valley (``"valley"``, theta = (u, v)).

    Returns two (steps + 1, 2) float64 paths on theta's device; the second predicts the first. The
    gradients are closed forms (tested against autograd), in Python floats: about 2 us a step.
    """
    t = as_float_tensor("theta", theta)
    if t.shape != (2,):
        raise ValueError(f"theta must be a 2-vector, got shape {tuple(t.shape)}")
    grads = LOSSES[_checks.choice("loss", loss, tuple(LOSSES))]
    rate, coef = equivalent_penalty(lr, ascent_lr)
    lr = float(lr)
    ascent_lr = lr - rate
    steps = integer("steps", steps, maximum=MAX_STEPS)
    start = tuple(t.tolist())
    alt, pen = [start], [start]
    x, y = start
    for _ in range(steps):
        g1, g2, _, _ = grads(x, y)
        x, y = x - lr * g1, y - lr * g2
        g1, g2, _, _ = grads(x, y)
        x, y = x + ascent_lr * g1, y + ascent_lr * g2
        alt.append((x, y))
    x, y = start
    for _ in range(steps):
        g1, g2, p1, p2 = grads(x, y)
        x, y = x - rate * (g1 + coef * p1), y - rate * (g2 + coef * p2)
        pen.append((x, y))
    f64 = dict(dtype=torch.float64, device=t.device)
    return torch.tensor(alt, **f64), torch.tensor(pen, **f64)


# ---------------------------------------------------------------- the experiment
@public({"losses": [0.3, 0.05, 0.12, 0.08], "b": 0.1}, extremes={"b": [0.0, 1e6]}, cannot=("batch", "grad"))
def sign_flip_rate(losses, b) -> float:
    """How often sign(L_t - b) changes between consecutive steps, counted from the first L_t < b on.

    The two-step derivation needs strict alternation (rate 1). A float in [0, 1]; 0 when L never goes below b.
    """
    t = as_float_tensor("losses", losses).to(torch.float64)
    if t.dim() != 1:
        raise ValueError(f"losses must be a 1-d tensor (one loss per step), got shape {tuple(t.shape)}")
    b = positive("b", b, allow_zero=True)
    below = torch.nonzero(t < b)
    if below.numel() == 0:
        return 0.0
    s = torch.sign(t[int(below[0]) :] - b)
    return float((s[1:] != s[:-1]).to(torch.float64).mean()) if s.numel() > 1 else 0.0


@dataclass
class FloodRun:
    """A training run of train_flooding: full-data metrics at ``logged`` steps, the loss each step saw."""

    logged: torch.Tensor  # (k,) step indices
    train_loss: torch.Tensor  # (k,) mean cross-entropy on the whole training set
    train_error: torch.Tensor  # (k,) fraction misclassified
    test_loss: torch.Tensor  # (k,)
    test_error: torch.Tensor  # (k,)
    step_loss: torch.Tensor  # (steps,) the (mini-)batch loss each step descended or ascended
    flip_rate: float  # sign_flip_rate(step_loss, b)
    seconds_per_step: float


def _teacher_data(n: int, dim: int, noise: float, w: torch.Tensor, generator, device):
    x = torch.randn(n, dim, generator=generator, device=device)
    y = (x @ w > 0).long()
    flip = torch.rand(n, generator=generator, device=device) < noise
    return x, torch.where(flip, 1 - y, y)


@public(
    {"b": 0.1, "steps": 20},
    extremes={"steps": [1, 2000], "b": [0.0, 10.0], "lr": [1e-6, 1.0]},
    kinds={"batch_size": "int"},
    cannot=("grad", "batch"),
)
@_checks.one_cpu_thread()
def train_flooding(
    b,
    steps: int,
    *,
    optimizer: str = "sgd",
    lr: float = 0.5,
    batch_size=None,
    n_train: int = 100,
    n_test: int = 2000,
    dim: int = 5,
    hidden: int = 64,
    noise: float = 0.1,
    log_every: int = 10,
    seed: int = 0,
    device=None,
    generator=None,
    progress=None,
) -> FloodRun:
    """Train a one-hidden-layer ReLU network on |L - b| + b (b = 0: plain training), L the cross-entropy.

    Data: x ~ N(0, I_dim), labels sign(w·x) from a random teacher w, each flipped with probability
    ``noise`` (so a network that fits the training set perfectly has memorised noise). ``seed`` draws the
    data and the initial weights (the same for every b, optimizer and batch size); ``generator`` (on
    ``device``) draws the mini-batches (None: seeded by ``seed``). ``batch_size`` None is full batch.
    ``progress(done, total)``, if given, is called at each logged step (a figure's worker: it may raise).
    """
    b = positive("b", b, allow_zero=True)
    steps = integer("steps", steps, minimum=1, maximum=MAX_TRAIN_STEPS)
    optimizer = _checks.choice("optimizer", optimizer, OPTIMIZERS)
    lr = positive("lr", lr, maximum=10.0)
    n_train = integer("n_train", n_train, minimum=2, maximum=10**5)
    batch_size = n_train if batch_size is None else integer("batch_size", batch_size, minimum=1, maximum=n_train)
    n_test = integer("n_test", n_test, minimum=1, maximum=10**6)
    dim = integer("dim", dim, minimum=1, maximum=10**4)
    hidden = integer("hidden", hidden, minimum=1, maximum=10**4)
    _checks.fits("hidden", hidden, (n_train + n_test) * (dim + hidden) + hidden * dim)
    noise = real("noise", noise, lo=0.0, hi=0.5)
    log_every = integer("log_every", log_every, minimum=1)
    seed = _checks.seed("seed", seed)
    device = _checks.device("device", device, generator=generator)
    _checks.generator("generator", generator, device)
    if generator is None:
        generator = torch.Generator(device=device).manual_seed(seed + 1)
    data_gen = torch.Generator(device=device).manual_seed(seed)
    w = torch.randn(dim, generator=data_gen, device=device)
    x, y = _teacher_data(n_train, dim, noise, w, data_gen, device)
    xt, yt = _teacher_data(n_test, dim, noise, w, data_gen, device)
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws from the global CPU generator: seeded, then restored
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))
    model = model.to(device)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
    ce = torch.nn.functional.cross_entropy
    logged, rows, step_loss = [], [], torch.empty(steps, dtype=torch.float64)

    def log(step):
        with torch.no_grad():
            out, out_t = model(x), model(xt)
            rows.append(
                [ce(out, y).item(), (out.argmax(1) != y).float().mean().item()]
                + [ce(out_t, yt).item(), (out_t.argmax(1) != yt).float().mean().item()]
            )
        logged.append(step)

    start = time.perf_counter()
    for step in range(steps):
        if step % log_every == 0:
            log(step)
            if progress is not None:
                progress(step, steps)
        idx = torch.randperm(n_train, generator=generator, device=device)[:batch_size]
        loss = ce(model(x[idx]), y[idx])
        step_loss[step] = loss.item()
        opt.zero_grad()
        flooding_loss(loss, b).backward()
        opt.step()
    seconds = (time.perf_counter() - start) / steps
    log(steps)
    m = torch.tensor(rows, dtype=torch.float64)
    return FloodRun(
        torch.tensor(logged), m[:, 0], m[:, 1], m[:, 2], m[:, 3], step_loss, sign_flip_rate(step_loss, b), seconds
    )
