"""Lesson 12, the experiments: toy data, a small tanh classifier trained plainly, with FGM or with the
input-gradient penalty, its accuracy under an FGM attack, and the gap between FGM's θ-gradient and
the penalty's (the first-order equivalence, whose error is O(ε²)).

    plain     θ ← θ − lr ∇_θ mean L_i
    fgm       θ ← θ − lr ∇_θ mean L(x_i + Δx_i),  Δx_i = ε∇_x L_i/‖∇_x L_i‖ held fixed (two backprops)
    penalty   θ ← θ − lr ∇_θ mean [L_i + ε‖∇_x L_i‖]   (double backprop)
"""

from __future__ import annotations

import dataclasses
import math
import time

import torch
import torch.nn.functional as F

from theory_lib import _checks
from theory_lib._checks import as_float_tensor, boolean, choice, integer, positive, public
from theory_lib.adversarial.gradients import (
    NORMS,
    _fgm_loss,
    _model_inputs,
    _penalty_loss,
    fgm_loss,
    fgm_perturbation,
    gradient_penalty_loss,
)

__all__ = [
    "METHODS",
    "gaussian_classes",
    "two_moons",
    "tanh_mlp",
    "train_classifier",
    "TrainRun",
    "attacked_accuracy",
    "step_seconds",
    "expansion_gap",
]

METHODS = ("plain", "fgm", "penalty")
MAX_POINTS = 10**6


def _sampling(device, generator):
    device = _checks.device("device", device, generator=generator)
    _checks.generator("generator", generator, device)
    return device


@public({"n": 20}, extremes={"n": [2, 10**5], "separation": [0.0, 1e3]})
def gaussian_classes(n: int, *, separation: float = 1.0, dim: int = 1, device=None, generator=None):
    """n points, classes 0 and 1 alternately, x ~ N(±separation/2 · e_1, I_dim): (x (n, dim) float64, y (n,))."""
    n = integer("n", n, minimum=2, maximum=MAX_POINTS)
    separation = positive("separation", separation, allow_zero=True, maximum=1e6)
    dim = integer("dim", dim, minimum=1, maximum=1000)
    device = _sampling(device, generator)
    _checks.fits("n", n, n * dim)
    y = torch.arange(n, device=device) % 2  # (n,)
    x = torch.randn(n, dim, generator=generator, device=device, dtype=torch.float64)
    x[:, 0] += (y.to(torch.float64) - 0.5) * separation
    return x, y


@public({"n": 20}, extremes={"n": [2, 10**5], "noise": [0.0, 1e3]})
def two_moons(n: int, *, noise: float = 0.15, device=None, generator=None):
    """Two interleaved half circles (class 0 above, class 1 below) with Gaussian noise: (x (n, 2) float64, y (n,))."""
    n = integer("n", n, minimum=2, maximum=MAX_POINTS)
    noise = positive("noise", noise, allow_zero=True, maximum=1e6)
    device = _sampling(device, generator)
    y = torch.arange(n, device=device) % 2
    t = math.pi * torch.rand(n, generator=generator, device=device, dtype=torch.float64)
    x = torch.stack([torch.cos(t), torch.sin(t)], 1)  # (n, 2)
    x = torch.where(y[:, None] == 1, torch.stack([1 - x[:, 0], 0.5 - x[:, 1]], 1), x)
    return x + noise * torch.randn(n, 2, generator=generator, device=device, dtype=torch.float64), y


@public({"inputs": 2}, extremes={"hidden": [1, 256]})
def tanh_mlp(inputs: int, *, hidden: int = 16, classes: int = 2, device=None, generator=None, dtype=torch.float64):
    """inputs → hidden → hidden → classes with tanh, weights N(0, 1/fan_in) from ``generator``."""
    inputs = integer("inputs", inputs, minimum=1, maximum=10_000)
    hidden = integer("hidden", hidden, minimum=1, maximum=10_000)
    classes = integer("classes", classes, minimum=2, maximum=10_000)
    device = _sampling(device, generator)
    dtype = _checks.dtype("dtype", dtype)
    sizes = (inputs, hidden, hidden, classes)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        lin = torch.nn.Linear(a, b, device=device, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=generator, device=device, dtype=dtype) / math.sqrt(a))
            lin.bias.zero_()
        layers += [lin] + ([torch.nn.Tanh()] if i < 2 else [])
    return torch.nn.Sequential(*layers)


@dataclasses.dataclass
class TrainRun:
    """A trained classifier: the model, the training loss per step (the objective descended) and
    the wall time of one step in seconds (median over the run)."""

    model: torch.nn.Module
    losses: torch.Tensor
    seconds_per_step: float


def _objective(method, model, x, y, eps):
    if method == "plain":
        return F.cross_entropy(model(x), y)
    if method == "fgm":
        return _fgm_loss(model, x, y, eps, "l2")
    return _penalty_loss(model, x, y, eps, False)


@public(
    lambda: {"x": [[0.1, 0.2], [1.0, -0.3], [0.4, 0.9], [-0.5, 0.1]], "y": [0, 1, 0, 1], "steps": 3},
    cannot=("batch",),
    extremes={"steps": [0, 2], "eps": [0.0, 1e3], "lr": [1e-12, 1.0]},
)
@_checks.one_cpu_thread()
def train_classifier(
    x, y, *, method="plain", eps=0.1, hidden=16, steps=300, lr=0.01, device=None, generator=None, progress=None
) -> TrainRun:
    """Adam on the method's objective (module docstring), full batch, from tanh_mlp's initialisation.

    ``progress(done, total)`` is called now and then (the figures' worker hook)."""
    x = as_float_tensor("x", x, min_dim=2).detach()
    method = choice("method", method, METHODS)
    eps = positive("eps", eps, allow_zero=True)
    hidden = integer("hidden", hidden, minimum=1, maximum=1024)
    steps = integer("steps", steps, minimum=0, maximum=100_000)
    lr = positive("lr", lr, maximum=10.0)
    device = _checks.device("device", device, generator=generator) if device is not None else x.device
    _checks.generator("generator", generator, device)
    x = x.to(device=device, dtype=torch.float64).reshape(x.shape[0], -1)
    model = tanh_mlp(x.shape[1], hidden=hidden, device=device, generator=generator)
    x, y, _ = _model_inputs(model, x, y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, times = torch.empty(steps, dtype=torch.float64), []
    for step in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = _objective(method, model, x, y, eps)
        loss.backward()
        opt.step()
        if x.is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        losses[step] = loss.detach()
        if progress is not None and (step % 25 == 0 or step == steps - 1):
            progress(step + 1, steps)
    seconds = float(torch.tensor(times).median()) if times else 0.0
    return TrainRun(model=model, losses=losses, seconds_per_step=seconds)


@public(
    lambda: {
        "model": tanh_mlp(2, generator=torch.Generator().manual_seed(0)),
        "x": [[0.1, 0.2], [1.0, -0.3]],
        "y": [0, 1],
    },
    kinds={"model": "other"},
    cannot=("batch", "float32", "grad"),
    extremes={"repeats": [1, 50]},
)
@_checks.one_cpu_thread()
def step_seconds(model, x, y, *, eps: float = 0.1, repeats: int = 30) -> dict:
    """The median wall time of one step's objective and backward pass for each method, the methods
    interleaved round by round so that they share the machine's load: {method: seconds}."""
    x, y, _ = _model_inputs(model, x, y)
    eps = positive("eps", eps, allow_zero=True)
    repeats = integer("repeats", repeats, minimum=1, maximum=10_000)
    x = x.detach()
    times = {m: [] for m in METHODS}
    for _ in range(repeats):
        for method in METHODS:
            t0 = time.perf_counter()
            _objective(method, model, x, y, eps).backward()
            if x.is_cuda:
                torch.cuda.synchronize()
            times[method].append(time.perf_counter() - t0)
    model.zero_grad(set_to_none=True)
    return {m: float(torch.tensor(t).median()) for m, t in times.items()}


@public(
    lambda: {
        "model": tanh_mlp(2, generator=torch.Generator().manual_seed(0)),
        "x": [[0.1, 0.2], [1.0, -0.3]],
        "y": [0, 1],
        "eps": 0.2,
    },
    kinds={"model": "other"},
    cannot=("batch", "float32"),
    extremes={"eps": [0.0, 1e6]},
)
def attacked_accuracy(model, x, y, eps, *, norm: str = "l2") -> float:
    """The fraction of samples still classified right at x_i + Δx_i, Δx_i the one-step FGM attack
    of size ε on L_i (eps = 0: the clean accuracy)."""
    x, y, _ = _model_inputs(model, x, y)
    eps = positive("eps", eps, allow_zero=True)
    norm = choice("norm", norm, NORMS)
    x = x.detach()
    with torch.enable_grad():
        xx = x.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xx), y, reduction="sum"), xx)
    delta = fgm_perturbation(g.reshape(len(g), -1), eps, norm=norm).reshape(x.shape)
    with torch.no_grad():
        return float((model(x + delta).argmax(-1) == y).double().mean())


@public(
    lambda: {
        "model": tanh_mlp(2, generator=torch.Generator().manual_seed(0)),
        "x": [[0.1, 0.2], [1.0, -0.3]],
        "y": [0, 1],
        "eps": 0.01,
    },
    kinds={"model": "other"},
    cannot=("batch", "float32", "grad"),
    extremes={"eps": [0.0, 1e-8, 10.0]},
)
def expansion_gap(model, x, y, eps, *, squared: bool = False) -> float:
    """‖∇_θ fgm_loss − ∇_θ gradient_penalty_loss‖ over the model's parameters (a torch.nn.Module):
    normalised FGM against ε‖∇_x L‖, or (``squared``) unnormalised FGM against (ε/2)‖∇_x L‖².
    O(ε²): both θ-gradients agree to first order in ε."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module (its parameters are θ), got {_checks.shorten(model)}")
    x, y, _ = _model_inputs(model, x, y)
    eps = positive("eps", eps, allow_zero=True)
    squared = boolean("squared", squared)
    params = [p for p in model.parameters() if p.requires_grad]
    fgm = torch.autograd.grad(fgm_loss(model, x, y, eps, norm="none" if squared else "l2"), params)
    pen = torch.autograd.grad(gradient_penalty_loss(model, x, y, eps, squared=squared), params)
    return math.sqrt(sum(float(((a - b) ** 2).sum()) for a, b in zip(fgm, pen, strict=True)))
